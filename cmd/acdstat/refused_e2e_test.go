package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/acdstat/acdstat/cdr"
	"github.com/acdstat/acdstat/intake"
)

// Issue 12, item 9: what ClickHouse refuses for what is in it does not hold
// intake, a backfill of many months goes in, and every path takes event
// times within the raw-event retention only, unless ingest --allow-old.

// enterLine is an ENTERQUEUE queue_log line of call id at at, from caller.
func enterLine(at time.Time, callID, caller string) string {
	return fmt.Sprintf("%d|%s|servicedesk|NONE|ENTERQUEUE||%s|1\n", at.Unix(), callID, caller)
}

// postQueueLog posts body to serve's queue_log intake and returns the answer.
func postQueueLog(t *testing.T, base, body string) intake.Answer {
	t.Helper()
	resp, err := http.Post(base+"/v1/ingest/queue_log?switch=pbx1", "text/plain", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var a intake.Answer
	if err := json.Unmarshal(raw, &a); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("POST queue_log: status %d: %s", resp.StatusCode, raw)
	}
	return a
}

// TestServeStoresWhatClickHouseTakesAndRejectsWhatItRefuses: an operator's
// view on events reads the caller number as a number, and one caller is
// "anonymous": ClickHouse (18.16, a real refusal) refuses every INSERT
// that holds that event. serve stores the other events of the request,
// lists the refused one in GET /v1/rejects with ClickHouse's reason, and
// its spool empties. A line older than the raw-event retention (400 days
// by default) is refused at intake with the reason.
func TestServeStoresWhatClickHouseTakesAndRejectsWhatItRefuses(t *testing.T) {
	environ := testEnv(t)
	startServe(t, environ)
	base := "http://" + envValue(environ, "ACDSTAT_HTTP_ADDR")
	conn := openView(t, environ)
	ctx := context.Background()
	for _, q := range []string{
		"CREATE TABLE caller_numbers (call_id String, number UInt64) ENGINE = MergeTree ORDER BY call_id",
		"CREATE MATERIALIZED VIEW caller_numbers_mv TO caller_numbers AS SELECT call_id, toUInt64(data2) AS number FROM events WHERE verb = 'ENTERQUEUE'",
	} {
		if err := conn.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	at := testToday.Add(-3 * time.Hour)
	var body strings.Builder
	for i := range 40 {
		caller := fmt.Sprintf("45%08d", i)
		if i == 23 {
			caller = "anonymous"
		}
		body.WriteString(enterLine(at.Add(time.Duration(i)*time.Second), fmt.Sprintf("call-%d", i), caller))
	}
	old := time.Date(2013, 12, 30, 9, 0, 0, 0, time.UTC)
	body.WriteString(enterLine(old, "call-2013", "4511111111"))
	a := postQueueLog(t, base, body.String())
	if a.Accepted != 40 || len(a.Rejected) != 1 || !strings.Contains(a.Rejected[0].Reason, "older than") ||
		!strings.Contains(a.Rejected[0].Reason, "ACDSTAT_RETENTION_EVENTS") {
		t.Fatalf("answer %+v; want 40 accepted and the line of 2013 rejected as older than the retention", a)
	}

	var refused []cdr.Reject
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		var rs []cdr.Reject
		getJSON(t, base+"/v1/rejects?switch=pbx1", 200, &rs)
		refused = refused[:0]
		for _, r := range rs {
			if r.Source == cdr.SourceWriter {
				refused = append(refused, r)
			}
		}
		if len(refused) > 0 && metricValue(t, base, "acdstat_spool_records_pending") == 0 {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if len(refused) != 1 {
		t.Fatalf("rejects of the writer %+v; want the event of call-23", refused)
	}
	if r := refused[0]; !strings.Contains(r.Raw, "|call-23|servicedesk|NONE|ENTERQUEUE||anonymous|1") ||
		!strings.Contains(r.Reason, "clickhouse refused this queue_log event") || !strings.Contains(r.Reason, "anonymous") || r.Line != 24 {
		t.Errorf("reject %+v; want line 24, the event's line and ClickHouse's reason, which names the value", r)
	}
	if p := metricValue(t, base, "acdstat_spool_records_pending"); p != 0 {
		t.Errorf("%v spool records pending; want 0: the refusal must not hold the spool", p)
	}
	var stored, numbers uint64
	if err := conn.QueryRow(ctx, "SELECT uniqExact(call_id) FROM events WHERE call_id != 'call-23'").Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if err := conn.QueryRow(ctx, "SELECT uniqExact(call_id) FROM caller_numbers").Scan(&numbers); err != nil {
		t.Fatal(err)
	}
	if stored != 39 || numbers != 39 {
		t.Errorf("%d calls in events and %d in the operator's view; want the 39 others in both", stored, numbers)
	}
	if got := metricValue(t, base, `acdstat_writer_refused_rows_total{table="events"}`); got != 1 {
		t.Errorf("acdstat_writer_refused_rows_total{table=events} %v; want 1", got)
	}
}

// TestServeSplitsABackfillOfManyMonths: one request of 60 lines, one in
// each month of five years (a backfill, taken because this serve keeps raw
// events for ever), reaches the writer as one spool record and goes to
// ClickHouse as two INSERTs (50 months, then 10): current ClickHouse
// refuses an INSERT that touches more than 100 partitions.
func TestServeSplitsABackfillOfManyMonths(t *testing.T) {
	environ := testEnv(t, "ACDSTAT_RETENTION_EVENTS=0")
	startServe(t, environ)
	base := "http://" + envValue(environ, "ACDSTAT_HTTP_ADDR")
	var body strings.Builder
	for m := range 60 {
		at := time.Date(2020, time.January+time.Month(m), 15, 10, 0, 0, 0, time.UTC)
		body.WriteString(enterLine(at, fmt.Sprintf("backfill-%d", m), "4512345678"))
	}
	if a := postQueueLog(t, base, body.String()); a.Accepted != 60 {
		t.Fatalf("answer %+v; want 60 accepted", a)
	}
	deadline := time.Now().Add(time.Minute)
	for metricValue(t, base, "acdstat_spool_records_pending") > 0 && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
	}
	if got := metricValue(t, base, `acdstat_writer_inserts_total{result="ok",table="events"}`); got != 2 {
		t.Errorf("INSERTs of events %v; want 2 (50 months and 10)", got)
	}
	var months uint64
	if err := openView(t, environ).QueryRow(context.Background(), "SELECT uniqExact(toYYYYMM(time)) FROM events WHERE call_id LIKE 'backfill-%'").Scan(&months); err != nil {
		t.Fatal(err)
	}
	if months != 60 {
		t.Errorf("events of %d months stored; want 60", months)
	}
}

// TestIngestTakesOldEventsWithAllowOld: at testToday, with the default
// retention of 400 days, acdstat ingest refuses a line of 2013 with the
// reason and stores the rest; with --allow-old it takes it (a backfill).
func TestIngestTakesOldEventsWithAllowOld(t *testing.T) {
	environ := testEnv(t)
	file := filepath.Join(t.TempDir(), "queue_log")
	lines := enterLine(time.Date(2013, 12, 30, 9, 0, 0, 0, time.UTC), "old-1", "4511111111") +
		enterLine(testToday.Add(-24*time.Hour), "new-1", "4522222222")
	if err := os.WriteFile(file, []byte(lines), 0o644); err != nil {
		t.Fatal(err)
	}
	now := clockFrom(testToday)
	out := ingestAt(t, now, environ, "--format", "queue_log", "--switch", "pbx1", file)
	if !strings.Contains(out, "1 event stored, 0 duplicates, 1 line rejected") || !strings.Contains(out, "older than") || !strings.Contains(out, "--allow-old") {
		t.Errorf("ingest without --allow-old:\n%s\nwant 1 stored and the line of 2013 rejected as older than the retention, naming --allow-old", out)
	}
	out = ingestAt(t, now, environ, "--allow-old", "--format", "queue_log", "--switch", "pbx1", file)
	if !strings.Contains(out, "2 events stored, 0 duplicates, 0 lines rejected") {
		t.Errorf("ingest --allow-old:\n%s\nwant both stored", out)
	}
	var n uint64
	if err := openView(t, environ).QueryRow(context.Background(), "SELECT uniqExact(call_id) FROM events WHERE call_id = 'old-1'").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("the event of 2013 is stored %d times after ingest --allow-old; want once", n)
	}
}
