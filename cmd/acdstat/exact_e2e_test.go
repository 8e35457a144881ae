package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/acdstat/acdstat/cdr"
	"github.com/acdstat/acdstat/store"
)

// The defects of the exactness issue, each through what a user reads after
// `acdstat ingest`: the stored queue calls per queue and outcome, and the
// rejects.

// openTestStore opens the store of a test's settings.
func openTestStore(t *testing.T, environ []string) *store.Store {
	t.Helper()
	cfg := store.Config{
		Addr: []string{envValue(environ, "ACDSTAT_CLICKHOUSE_ADDR")}, Database: envValue(environ, "ACDSTAT_CLICKHOUSE_DATABASE"),
		User: "default", DialTimeout: 10 * time.Second, ReadTimeout: time.Minute,
	}
	st, err := store.Open(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// ingestAt ingests a file and ignores the exit status 3 of rejected lines.
func ingestAt(t *testing.T, now func() time.Time, environ []string, args ...string) string {
	t.Helper()
	var out strings.Builder
	p := process{environ: environ, stdout: &out, stderr: io.Discard, now: now}
	if err := run(context.Background(), p, append([]string{"ingest"}, args...)); err != nil && err != exitCode(3) {
		t.Fatalf("ingest %v: %v\n%s", args, err, out.String())
	}
	return out.String()
}

// TestSecondStayWithoutEnterQueueIsCounted: a caller abandons, calls again
// into the same queue and is answered, and the second ENTERQUEUE was lost:
// both stays are queue calls (issue 10, item 2).
func TestSecondStayWithoutEnterQueueIsCounted(t *testing.T) {
	environ := testEnv(t)
	t0 := time.Date(2025, 10, 28, 9, 0, 0, 0, time.UTC).Unix()
	log := fmt.Sprintf(`%d|c1.1|servicedesk|NONE|ENTERQUEUE||4512345678|1
%d|c1.1|servicedesk|NONE|ABANDON|1|1|20
%d|c1.1|servicedesk|PJSIP/2101|CONNECT|30|c1.2|1
%d|c1.1|servicedesk|PJSIP/2101|COMPLETECALLER|30|60|1
`, t0, t0+20, t0+200, t0+260)
	ingestAt(t, clockFrom(testToday), environ, "--format", "queue_log", writeFile(t, "queue_log", log))
	want := map[string]map[string]int{"servicedesk": {"abandoned": 1, "answered": 1}}
	if got := counts(t, environ); !reflect.DeepEqual(got, want) {
		t.Fatalf("queue calls: got %v; want %v", got, want)
	}
}

// TestWaitOver24HoursIsRejectedNotCounted: a stay whose wait is over 24 h,
// by the switch's figure or by the timestamps, is listed with the rejects
// and not counted; the line itself is kept (issue 10, item 5).
func TestWaitOver24HoursIsRejectedNotCounted(t *testing.T) {
	environ := testEnv(t)
	t0 := time.Date(2025, 10, 27, 9, 0, 0, 0, time.UTC).Unix()
	day := int64(24 * 60 * 60)
	log := fmt.Sprintf(`%d|c1.1|servicedesk|NONE|ENTERQUEUE||4512345678|1
%d|c1.1|servicedesk|NONE|ABANDON|1|1|90000
%d|c2.1|servicedesk|NONE|ENTERQUEUE||4512345679|1
%d|c2.1|servicedesk|NONE|ABANDON|1|1
%d|c3.1|servicedesk|NONE|ENTERQUEUE||4512345670|1
%d|c3.1|servicedesk|NONE|ABANDON|1|1|12
`, t0, t0+100, t0, t0+day+1, t0, t0+12)
	out := ingestAt(t, clockFrom(testToday), environ, "--format", "queue_log", writeFile(t, "queue_log", log))
	if !strings.Contains(out, "0 lines rejected") {
		t.Errorf("the lines are facts and kept; ingest said:\n%s", out)
	}
	want := map[string]map[string]int{"servicedesk": {"abandoned": 1}}
	if got := counts(t, environ); !reflect.DeepEqual(got, want) {
		t.Fatalf("queue calls: got %v; want %v (only the 12 s abandon)", got, want)
	}
	rejects, err := openTestStore(t, environ).RecentRejects(context.Background(), "default", 10)
	if err != nil {
		t.Fatal(err)
	}
	var reasons []string
	for _, r := range rejects {
		reasons = append(reasons, r.Source+": "+r.Raw+": "+r.Reason)
	}
	joined := strings.Join(reasons, "\n")
	for _, want := range []string{"call c1.1 in queue servicedesk", "wait of 90000 s is over 24 h", "call c2.1 in queue servicedesk", "86401 s from the timestamps is over 24 h", "not counted"} {
		if !strings.Contains(joined, want) {
			t.Errorf("rejects lack %q:\n%s", want, joined)
		}
	}
	if len(rejects) != 2 {
		t.Errorf("got %d rejects; want 2:\n%s", len(rejects), joined)
	}
}

// TestFileAndDBFormsMixedInOneSecond: the ENTERQUEUE of a call came only
// in the DB export (with microseconds) and its ABANDON only in the pipe
// file, in the same second: one abandoned call (issue 10, item 6).
func TestFileAndDBFormsMixedInOneSecond(t *testing.T) {
	environ := testEnv(t)
	file := "1761642000|c1.1|servicedesk|NONE|ABANDON|1|1|0\n"
	// 2025-10-28 09:00:00 UTC is 10:00:00 in Copenhagen.
	db := "time,callid,queuename,agent,event,data1,data2,data3,data4,data5\n" +
		"2025-10-28 10:00:00.700000,c1.1,servicedesk,NONE,ENTERQUEUE,,4512345678,1,,\n"
	ingestAt(t, clockFrom(testToday), environ, "--format", "queue_log", writeFile(t, "queue_log", file))
	ingestAt(t, clockFrom(testToday), environ, "--format", "queue_log_db", "--tz", "Europe/Copenhagen", writeFile(t, "queue_log.csv", db))
	want := map[string]map[string]int{"servicedesk": {"abandoned": 1}}
	if got := counts(t, environ); !reflect.DeepEqual(got, want) {
		t.Fatalf("queue calls: got %v; want %v", got, want)
	}
}

// TestUpgradeRebuildMendsStaysOfTheOldGrouping: calls built before the fix
// of the mixed forms (two stays, abandoned and unknown) are mended by
// `acdstat rebuild` over their range, as the upgrade notes say.
func TestUpgradeRebuildMendsStaysOfTheOldGrouping(t *testing.T) {
	environ := testEnv(t)
	file := "1761642000|c1.1|servicedesk|NONE|ABANDON|1|1|0\n"
	db := "time,callid,queuename,agent,event,data1,data2,data3,data4,data5\n" +
		"2025-10-28 10:00:00.700000,c1.1,servicedesk,NONE,ENTERQUEUE,,4512345678,1,,\n"
	ingestAt(t, clockFrom(testToday), environ, "--no-build", "--format", "queue_log", writeFile(t, "queue_log", file))
	ingestAt(t, clockFrom(testToday), environ, "--no-build", "--format", "queue_log_db", "--tz", "Europe/Copenhagen", writeFile(t, "queue_log.csv", db))
	// What the old builder stored for these events.
	at := time.Unix(1761642000, 0).UTC()
	old := []cdr.StoredCall{
		{QueueCall: cdr.QueueCall{Switch: "default", CallID: "c1.1", Queue: "servicedesk", Seq: 0, Outcome: cdr.Abandoned,
			EnterTime: at, EndTime: at, LastEventTime: at, EndVerb: "ABANDON"}, Version: 1},
		{QueueCall: cdr.QueueCall{Switch: "default", CallID: "c1.1", Queue: "servicedesk", Seq: 1, Outcome: cdr.Unknown,
			EnterTime: at, EndTime: at, LastEventTime: at, EndVerb: cdr.StaleVerb, Caller: "4512345678"}, Version: 1},
	}
	if err := openTestStore(t, environ).WriteCalls(context.Background(), old); err != nil {
		t.Fatal(err)
	}
	if got := counts(t, environ); !reflect.DeepEqual(got, map[string]map[string]int{"servicedesk": {"abandoned": 1, "unknown": 1}}) {
		t.Fatalf("before the rebuild: got %v; want the old two stays", got)
	}
	runCmd(t, environ, "rebuild", "--from", "2025-10-28", "--to", "2025-10-29")
	want := map[string]map[string]int{"servicedesk": {"abandoned": 1}}
	if got := counts(t, environ); !reflect.DeepEqual(got, want) {
		t.Fatalf("after the rebuild: got %v; want %v", got, want)
	}
}

// TestLateDispositionDaemonAndRebuildAgree: a ticket closed two days after
// its call (beyond the 28 h build window) still gives the call its
// disposition, in the daemon's build and in a rebuild of either day alone
// (issue 10, item 8).
func TestLateDispositionDaemonAndRebuildAgree(t *testing.T) {
	// No margin: the daemon's next run reads only what arrived after the
	// call, as it does two days later in service.
	environ := testEnv(t, "ACDSTAT_BUILD_MARGIN=0s")
	at := time.Date(2025, 10, 27, 9, 0, 0, 0, time.UTC)
	call := fmt.Sprintf(`%d|c1.1|servicedesk|NONE|ENTERQUEUE||4512345678|1
%d|c1.1|servicedesk|PJSIP/2101|CONNECT|30|c1.2|1
%d|c1.1|servicedesk|PJSIP/2101|COMPLETECALLER|30|60|1
`, at.Unix(), at.Unix()+30, at.Unix()+90)
	disp := fmt.Sprintf(`[{"call_id": "c1.1", "resolved": true, "code": "PWRESET", "time": %q}]`, at.Add(50*time.Hour).Format(time.RFC3339))
	// The call is stored, then built in a later second, then the ticket
	// comes: the build after it reads only the disposition, as in service.
	ingestAt(t, clockFrom(testToday), environ, "--no-build", "--format", "queue_log", writeFile(t, "queue_log", call))
	waitNextIngestSecond(t, environ)
	runCmd(t, environ, "rollup")
	ingestAt(t, clockFrom(testToday), environ, "--format", "disposition", writeFile(t, "disp.json", disp))
	conn := openView(t, environ)
	check := func(when string) {
		t.Helper()
		rows, err := conn.Query(context.Background(), "SELECT toString(outcome), disposition, resolved, disposition_code FROM queue_calls_current WHERE call_id = 'c1.1'")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var got []string
		for rows.Next() {
			var outcome, code string
			var disp, resolved uint8
			if err := rows.Scan(&outcome, &disp, &resolved, &code); err != nil {
				t.Fatal(err)
			}
			got = append(got, fmt.Sprintf("%s disposition=%d resolved=%d code=%s", outcome, disp, resolved, code))
		}
		if want := "answered disposition=1 resolved=1 code=PWRESET"; len(got) != 1 || got[0] != want {
			t.Fatalf("%s: got %q; want [%q]", when, got, want)
		}
	}
	check("the daemon's build")
	runCmd(t, environ, "rebuild", "--from", "2025-10-27", "--to", "2025-10-28")
	check("a rebuild of the call's day")
	runCmd(t, environ, "rebuild", "--from", "2025-10-29", "--to", "2025-10-30")
	check("a rebuild of the disposition's day")
}
