package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/acdstat/acdstat/simulate"
)

// storedCalls reads every stay a user sees in queue_calls_current, keyed by
// call id and queue, as "outcome enter wait talk".
func storedCalls(t *testing.T, environ []string) map[string]string {
	t.Helper()
	conn, err := clickhouse.Open(&clickhouse.Options{
		Addr: []string{envValue(environ, "ACDSTAT_CLICKHOUSE_ADDR")},
		Auth: clickhouse.Auth{Database: envValue(environ, "ACDSTAT_CLICKHOUSE_DATABASE"), Username: "default"},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	rows, err := conn.Query(context.Background(), `SELECT call_id, queue, seq, toString(outcome), toUnixTimestamp(enter_time), wait_s, talk_s
FROM queue_calls_current WHERE outcome != 'waiting'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var id, q, o string
		var seq uint16
		var enter, wait, talk uint32
		if err := rows.Scan(&id, &q, &seq, &o, &enter, &wait, &talk); err != nil {
			t.Fatal(err)
		}
		out[fmt.Sprintf("%s %s %d", id, q, seq)] = fmt.Sprintf("%s enter=%d wait=%d talk=%d", o, enter, wait, talk)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestFreeSWITCHDayEqualsTruthAndQueueLog posts two simulated days of
// FreeSWITCH CDRs to a running acdstat (raw JSON with HTTP Basic auth, as
// mod_json_cdr sends them), then ingests the same CDRs again from a file:
// the queue calls per queue and outcome equal the simulator's truth, and
// every queue call equals the one built from the same days' queue_log.
func TestFreeSWITCHDayEqualsTruthAndQueueLog(t *testing.T) {
	// Two days: mod_json_cdr posts one CDR per request, and each is
	// one ClickHouse insert until the spool batches them.
	cfg := simulate.DefaultConfig()
	cfg.Days, cfg.CallsPerDay, cfg.Seed = 2, 150, 31
	sim, err := simulate.Generate(cfg)
	if err != nil {
		t.Fatal(err)
	}
	truth := sim.FreeSWITCHTruth()
	if len(truth.Calls) < 100 {
		t.Fatalf("the FreeSWITCH rendering has %d calls; want two days' worth", len(truth.Calls))
	}

	fs := testEnv(t, "ACDSTAT_INGEST_TOKEN=s3cret")
	startServe(t, fs)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	url := "http://" + envValue(fs, "ACDSTAT_HTTP_ADDR") + "/v1/ingest/freeswitch"
	if err := simulate.SendFreeSWITCH(ctx, url, "s3cret", "default", sim.FreeSWITCHCDRs(), nil); err != nil {
		t.Fatal(err)
	}
	waitForCounts(t, fs, truth.ByQueueOutcome(), time.Minute)

	// The same CDRs again from a file, through `acdstat ingest`: nothing
	// changes.
	dir := t.TempDir()
	var buf bytes.Buffer
	if err := sim.WriteFreeSWITCH(&buf); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "cdrs.json")
	if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := run(ctx, testProcess(fs, &out, io.Discard), []string{"ingest", "--format", "freeswitch_json", file}); err != nil {
		t.Fatalf("ingest: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "0 lines rejected") {
		t.Errorf("ingest output does not report 0 rejected records:\n%s", out.String())
	}
	if got, want := counts(t, fs), truth.ByQueueOutcome(); !reflect.DeepEqual(got, want) {
		t.Fatalf("after the file again:\n got %v\nwant %v", got, want)
	}
	fromFS := storedCalls(t, fs)

	// The same days as queue_log, in a database of its own.
	ql := testEnv(t)
	buf.Reset()
	if err := sim.WriteQueueLog(&buf); err != nil {
		t.Fatal(err)
	}
	qfile := filepath.Join(dir, "queue_log")
	if err := os.WriteFile(qfile, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := run(ctx, testProcess(ql, &out, io.Discard), []string{"ingest", "--format", "queue_log", qfile}); err != nil {
		t.Fatalf("ingest: %v\n%s", err, out.String())
	}
	fromQL := storedCalls(t, ql)
	want := map[string]string{}
	for _, c := range truth.Calls {
		k := fmt.Sprintf("%s %s %d", c.CallID, c.Queue, c.Seq-1)
		v, ok := fromQL[k]
		if !ok {
			t.Fatalf("queue_log has no stay %s", k)
		}
		want[fmt.Sprintf("%s %s 0", simulate.FreeSWITCHUUID(c.CallID), c.Queue)] = v
		if tv := fmt.Sprintf("%s enter=%d wait=%d talk=%d", c.Outcome, c.Enter.Unix(), c.WaitS, c.TalkS); tv != v {
			t.Errorf("stay %s: queue_log gives %s; truth %s", k, v, tv)
		}
	}
	if len(fromFS) != len(want) {
		t.Errorf("FreeSWITCH gives %d stays; queue_log has %d of the same calls", len(fromFS), len(want))
	}
	diffs := 0
	for k, v := range want {
		if fromFS[k] != v && diffs < 10 {
			diffs++
			t.Errorf("stay %s: FreeSWITCH gives %q; queue_log %q", k, fromFS[k], v)
		}
	}
}
