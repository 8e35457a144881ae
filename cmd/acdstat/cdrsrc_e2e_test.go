package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/acdstat/acdstat/aggregate"
	"github.com/acdstat/acdstat/cdr"
	"github.com/acdstat/acdstat/config"
	"github.com/acdstat/acdstat/simulate"
)

// cdrDay is the day of the records of this file's tests: a Tuesday of
// simulate.DefaultConfig's week, well within the retention at testToday.
var cdrDay = time.Date(2025, 10, 28, 10, 0, 0, 0, simulate.Copenhagen())

// writeFile writes a test's input file and returns its path.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// dayReport is the row of cdrDay of `acdstat report --format json` for the
// queue, as a person or a script reads it.
func dayReport(t *testing.T, environ []string, queue string) map[string]any {
	t.Helper()
	out := runCmd(t, environ, "report", "--queue", queue, "--period", "day", "--from", "2025-10-28", "--to", "2025-10-29", "--format", "json")
	var rows []map[string]any
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("report: %v\n%s", err, out)
	}
	if len(rows) != 1 {
		t.Fatalf("report: got %d rows; want the one day:\n%s", len(rows), out)
	}
	return rows[0]
}

// checkReport compares the named fields of a report row with want.
func checkReport(t *testing.T, what string, row map[string]any, want map[string]any) {
	t.Helper()
	for k, w := range want {
		if fmt.Sprint(row[k]) != fmt.Sprint(w) {
			t.Errorf("%s: %s = %v; want %v", what, k, row[k], w)
		}
	}
}

// waitNextIngestSecond waits until the ClickHouse server's clock has left
// the second in which the newest event was stored, so that what is stored
// next is stored later (ingest times have whole seconds).
func waitNextIngestSecond(t *testing.T, environ []string) {
	t.Helper()
	conn := openView(t, environ)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		var later uint8
		if err := conn.QueryRow(context.Background(), "SELECT now() > (SELECT max(ingested_at) FROM events)").Scan(&later); err != nil {
			t.Fatal(err)
		}
		if later == 1 {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("the server's clock did not pass the newest ingest time in 10 s")
}

// TestResentGenericCDRIsOneQueueCall sends one stay as a switch's export
// does: first unknown, later answered with its wait and talk, later again
// corrected (a shorter talk, transferred onward), and the first export once
// more. After each, through `acdstat ingest` and `acdstat rollup`, the
// report has one offered call with the newest decided figures, and
// queue_calls_current one row.
func TestResentGenericCDRIsOneQueueCall(t *testing.T) {
	enter := cdrDay.UTC().Format(time.RFC3339)
	rows := map[string][3]string{ // format: unknown, answered, corrected
		"csv": {
			"call_id,queue,enter_time,outcome,wait_s,talk_s,agent,caller,transferred\ng1,support," + enter + ",unknown,40,,,+4511111111,\n",
			"call_id,queue,enter_time,outcome,wait_s,talk_s,agent,caller,transferred\ng1,support," + enter + ",answered,20,300,alice,+4511111111,no\n",
			"call_id,queue,enter_time,outcome,wait_s,talk_s,agent,caller,transferred\ng1,support," + enter + ",answered,20,240,alice,+4511111111,yes\n",
		},
		"json": {
			`{"call_id":"g1","queue":"support","enter_time":"` + enter + `","outcome":"unknown","wait_s":40,"caller":"+4511111111"}`,
			`[{"call_id":"g1","queue":"support","enter_time":"` + enter + `","outcome":"answered","wait_s":20,"talk_s":300,"agent":"alice","caller":"+4511111111"}]`,
			`{"call_id":"g1","queue":"support","enter_time":"` + enter + `","outcome":"answered","wait_s":20,"talk_s":240,"agent":"alice","caller":"+4511111111","transferred":true}`,
		},
	}
	for _, format := range []string{"csv", "json"} {
		t.Run(format, func(t *testing.T) {
			environ := testEnv(t)
			send := func(i int) {
				t.Helper()
				runCmd(t, environ, "ingest", "--format", format, writeFile(t, fmt.Sprintf("export%d.%s", i, format), rows[format][i]))
				runCmd(t, environ, "rollup")
			}
			one := func(what, want string) {
				t.Helper()
				if got := storedCalls(t, environ); len(got) != 1 || got["g1 support 0"] != want {
					t.Errorf("%s: queue_calls_current %v; want only g1 support 0: %s", what, got, want)
				}
			}
			send(0)
			checkReport(t, "unknown", dayReport(t, environ, "support"), map[string]any{"offered": 1, "unknown": 1, "answered": 0})

			send(1)
			checkReport(t, "answered later", dayReport(t, environ, "support"),
				map[string]any{"offered": 1, "unknown": 0, "answered": 1, "asa_s": 20, "avg_talk_s": 300, "transferred": 0})
			one("answered later", fmt.Sprintf("answered enter=%d wait=20 talk=300", cdrDay.Unix()))

			waitNextIngestSecond(t, environ)
			send(2)
			send(0) // the first export once more: an unknown never undoes an end
			checkReport(t, "corrected", dayReport(t, environ, "support"),
				map[string]any{"offered": 1, "unknown": 0, "answered": 1, "asa_s": 20, "avg_talk_s": 240, "transferred": 1})
			one("corrected", fmt.Sprintf("answered enter=%d wait=20 talk=240", cdrDay.Unix()))
		})
	}
}

// fsRecord is a mod_json_cdr record of a caller's leg answered in queue
// support at cdrDay + at, with vars added (plain values, encode-values=false).
func fsRecord(t *testing.T, uuid string, at int, vars map[string]string) string {
	t.Helper()
	ep := func(s int) string { return fmt.Sprint(cdrDay.Add(time.Duration(at+s) * time.Second).Unix()) }
	v := map[string]string{
		"uuid": uuid, "caller_id_number": "4520000001", "destination_number": "7000",
		"start_epoch": ep(0), "end_epoch": ep(200), "billsec": "200", "hangup_cause": "NORMAL_CLEARING",
		"cc_side": "member", "cc_queue": "support", "cc_member_uuid": "m-" + uuid, "cc_queue_joined_epoch": ep(10),
		"cc_cause": "answered", "cc_agent": "1001", "cc_agent_uuid": "agent-" + uuid,
		"cc_queue_answered_epoch": ep(40), "cc_queue_terminated_epoch": ep(200),
	}
	for k, x := range vars {
		v[k] = x
	}
	b, err := json.Marshal(map[string]any{"variables": v})
	if err != nil {
		t.Fatal(err)
	}
	return string(b) + "\n"
}

// TestResentFreeSWITCHCDRIsOneQueueCall ingests a caller's CDR twice, the
// second time with its caller number and hang-up cause changed (a CDR
// regenerated and posted again), and the CDR of a call the agent
// transferred onward: the report has two answered calls, one transferred,
// and queue_calls_current one row per call.
func TestResentFreeSWITCHCDRIsOneQueueCall(t *testing.T) {
	environ := testEnv(t)
	xferAt := fmt.Sprint(cdrDay.Add(600*time.Second + 130*time.Second).Unix())
	file := writeFile(t, "cdrs.json",
		fsRecord(t, "fs-1", 0, nil)+
			fsRecord(t, "fs-1", 0, map[string]string{"caller_id_number": "+4520000001", "hangup_cause": "ORIGINATOR_CANCEL"})+
			fsRecord(t, "fs-2", 600, map[string]string{"cc_queue_terminated_epoch": xferAt,
				"transfer_history": "ARRAY::" + fmt.Sprint(cdrDay.Add(640*time.Second).Unix()) + ":p1:uuid_br:agent-fs-2|:" + xferAt + ":p2:bl_xfer:2000/default/XML"}))
	runCmd(t, environ, "ingest", "--format", "freeswitch_json", file)
	runCmd(t, environ, "rollup")
	checkReport(t, "FreeSWITCH", dayReport(t, environ, "support"),
		map[string]any{"offered": 2, "answered": 2, "unknown": 0, "transferred": 1, "asa_s": 30, "avg_talk_s": (160 + 90) / 2})
	got := storedCalls(t, environ)
	want := map[string]string{
		"fs-1 support 0": fmt.Sprintf("answered enter=%d wait=30 talk=160", cdrDay.Unix()+10),
		"fs-2 support 0": fmt.Sprintf("answered enter=%d wait=30 talk=90", cdrDay.Unix()+610),
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("queue_calls_current:\n got %v\nwant %v", got, want)
	}
}

// oldCDRGrouping builds generic CDR stays as BuildCDRCalls did before a
// stay was told by its enter time: every distinct row a stay of its own.
func oldCDRGrouping(events []cdr.Event, opt cdr.BuildOptions) []cdr.QueueCall {
	evs := slices.Clone(events)
	slices.SortFunc(evs, func(a, b cdr.Event) int {
		return strings.Compare(fmt.Sprintf("%s\x00%s\x00%s\x00%020d\x00%020d", a.Switch, a.CallID, a.Queue, a.Time.Unix(), a.ID),
			fmt.Sprintf("%s\x00%s\x00%s\x00%020d\x00%020d", b.Switch, b.CallID, b.Queue, b.Time.Unix(), b.ID))
	})
	evs = slices.CompactFunc(evs, func(a, b cdr.Event) bool { return a.ID == b.ID })
	var out []cdr.QueueCall
	for _, e := range evs {
		for _, c := range cdr.BuildCDRCalls([]cdr.Event{e}, opt) {
			if n := len(out); n > 0 && out[n-1].Switch == c.Switch && out[n-1].CallID == c.CallID && out[n-1].Queue == c.Queue {
				c.Seq = out[n-1].Seq + 1
			}
			out = append(out, c)
		}
	}
	return out
}

// TestRebuildMergesStaysOfResentCDRs is the upgrade: the calls of a stay
// exported twice (unknown, then answered) were built by the old grouping
// as two stays and rolled up; `acdstat rebuild` over the day makes them
// one answered call in the report, and tombstones the second stay.
func TestRebuildMergesStaysOfResentCDRs(t *testing.T) {
	environ := testEnv(t)
	enter := cdrDay.UTC().Format(time.RFC3339)
	file := writeFile(t, "export.csv", "call_id,queue,enter_time,outcome,wait_s,talk_s,agent\n"+
		"u1,support,"+enter+",unknown,40,,\n"+
		"u1,support,"+enter+",answered,20,300,alice\n"+
		"u2,support,"+cdrDay.Add(time.Hour).UTC().Format(time.RFC3339)+",abandoned,12,,\n")
	runCmd(t, environ, "ingest", "--format", "csv", "--no-build", file)

	// What a version before this fix built and rolled up.
	ctx := context.Background()
	cfg, err := config.Load(environ)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := openStore(ctx, cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	settings, err := config.LoadQueues(cfg.Queues)
	if err != nil {
		t.Fatal(err)
	}
	b := aggregate.NewBuilder(cfg.Jobs, log, clockFrom(testToday), map[string]cdr.BuildFunc{cdr.SourceCDR: oldCDRGrouping}, st)
	if _, err := b.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := newRoller(cfg, log, aggregate.FixedSettings(settings), st).Run(ctx); err != nil {
		t.Fatal(err)
	}
	checkReport(t, "old grouping", dayReport(t, environ, "support"), map[string]any{"offered": 3, "answered": 1, "unknown": 1, "abandoned": 1})

	runCmd(t, environ, "rebuild", "--from", "2025-10-28", "--to", "2025-10-29")
	checkReport(t, "after rebuild", dayReport(t, environ, "support"),
		map[string]any{"offered": 2, "answered": 1, "unknown": 0, "abandoned": 1, "asa_s": 20, "avg_talk_s": 300})
	got := storedCalls(t, environ)
	want := map[string]string{
		"u1 support 0": fmt.Sprintf("answered enter=%d wait=20 talk=300", cdrDay.Unix()),
		"u2 support 0": fmt.Sprintf("abandoned enter=%d wait=12 talk=0", cdrDay.Unix()+3600),
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("queue_calls_current:\n got %v\nwant %v", got, want)
	}
	// The second stay is hidden by a tombstone, not just left out.
	var deleted uint8
	if err := openView(t, environ).QueryRow(ctx, "SELECT argMax(deleted, version) FROM queue_calls WHERE call_id = 'u1' AND seq = 1").Scan(&deleted); err != nil {
		t.Fatal(err)
	}
	if deleted != 1 {
		t.Errorf("u1's second stay: deleted = %d; want a tombstone (1)", deleted)
	}
}
