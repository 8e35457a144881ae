package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const funnelQueues = `entries:
  main: {name: "Hospital IT", numbers: ["70000"], timezone: Europe/Copenhagen, queues: [servicedesk, klinisk, sp_helpdesk]}
`

// funnelCDRs writes mod_json_cdr records of a morning's calls to 70000:
// 6 reach servicedesk (answered), 2 klinisk (timed out there), 2 hang up in
// the menu, plus one call to another number that is not in the funnel. The
// caller's leg runs the IVR and then mod_callcenter, so one uuid is one call.
func funnelCDRs(t *testing.T, base time.Time) string {
	t.Helper()
	var b strings.Builder
	rec := func(i int, dest string, vars map[string]any) {
		start := base.Add(time.Duration(i) * 3 * time.Minute)
		v := map[string]any{
			"uuid": fmt.Sprintf("call-%02d", i), "destination_number": dest, "caller_id_number": fmt.Sprintf("4520%06d", i),
			"start_epoch": fmt.Sprint(start.Unix()), "end_epoch": fmt.Sprint(start.Add(150 * time.Second).Unix()),
			"billsec": "150", "hangup_cause": "NORMAL_CLEARING",
		}
		for k, x := range vars {
			v[k] = x
		}
		doc, err := json.Marshal(map[string]any{"variables": v})
		if err != nil {
			t.Fatal(err)
		}
		b.Write(doc)
		b.WriteByte('\n')
	}
	epoch := func(i, s int) string {
		return fmt.Sprint(base.Add(time.Duration(i)*3*time.Minute + time.Duration(s)*time.Second).Unix())
	}
	for i := range 6 {
		rec(i, "70000", map[string]any{"cc_queue": "servicedesk", "cc_queue_joined_epoch": epoch(i, 20), "cc_cause": "answered",
			"cc_queue_answered_epoch": epoch(i, 50), "cc_queue_terminated_epoch": epoch(i, 150), "cc_agent": "1001", "cc_member_uuid": fmt.Sprint("m", i)})
	}
	for i := 6; i < 8; i++ {
		rec(i, "70000", map[string]any{"cc_queue": "klinisk", "cc_queue_joined_epoch": epoch(i, 20), "cc_cause": "cancel",
			"cc_cancel_reason": "TIMEOUT", "cc_queue_canceled_epoch": epoch(i, 140), "cc_member_uuid": fmt.Sprint("m", i)})
	}
	for i := 8; i < 10; i++ {
		rec(i, "70000", nil) // hung up in the menu
	}
	rec(10, "5555", nil)
	file := filepath.Join(t.TempDir(), "cdrs.json")
	if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return file
}

// TestFunnelFromFreeSWITCHCDRs ingests FreeSWITCH CDRs of calls to an entry
// number, runs the jobs, and reads the funnel as a BI tool (the views) and a
// person (acdstat report --funnel) would; ingesting and rolling up again
// changes nothing.
func TestFunnelFromFreeSWITCHCDRs(t *testing.T) {
	queues := filepath.Join(t.TempDir(), "queues.yaml")
	if err := os.WriteFile(queues, []byte(hospitalQueues+funnelQueues), 0o644); err != nil {
		t.Fatal(err)
	}
	environ := testEnv(t, "ACDSTAT_QUEUES="+queues)
	base := time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC) // 10:00 in Copenhagen
	file := funnelCDRs(t, base)
	for range 2 {
		runCmd(t, environ, "ingest", "--format", "freeswitch_json", "--switch", "fs1", file)
		runCmd(t, environ, "rollup")
	}

	conn := openView(t, environ)
	ctx := context.Background()
	day := time.Date(2025, 3, 2, 23, 0, 0, 0, time.UTC) // local midnight of 3 March
	var entered, reached, menu, other uint64
	var sw string
	if err := conn.QueryRow(ctx, `SELECT switch, entered, reached_queue, hung_up_in_menu, other FROM ivr_funnel_day
WHERE entry = 'main' AND period_start = ?`, day).Scan(&sw, &entered, &reached, &menu, &other); err != nil {
		t.Fatal(err)
	}
	if sw != "fs1" || entered != 10 || reached != 8 || menu != 2 || other != 0 {
		t.Errorf("ivr_funnel_day: switch %s entered %d reached_queue %d hung_up_in_menu %d other %d; want fs1 10 8 2 0", sw, entered, reached, menu, other)
	}
	rows, err := conn.Query(ctx, `SELECT queue, reached FROM ivr_funnel_queue_month WHERE entry = 'main' ORDER BY queue`)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var q string
		var n uint64
		if err := rows.Scan(&q, &n); err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%s=%d", q, n))
	}
	rows.Close()
	if strings.Join(got, " ") != "klinisk=2 servicedesk=6" {
		t.Errorf("ivr_funnel_queue_month: got %v, want klinisk=2 servicedesk=6", got)
	}

	out := runCmd(t, environ, "report", "--funnel", "main", "--period", "day", "--from", "2025-03-01", "--to", "2025-03-08", "--format", "json")
	var rep []funnelRow
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("report --funnel json: %v\n%s", err, out)
	}
	if len(rep) != 1 || rep[0].Entered != 10 || rep[0].ReachedQueue != 8 || rep[0].Reached["servicedesk"] != 6 ||
		rep[0].Reached["klinisk"] != 2 || rep[0].HungUpInMenu != 2 || !rep[0].PeriodStart.Equal(day) {
		t.Errorf("report --funnel: got %+v", rep)
	}
	table := runCmd(t, environ, "report", "--funnel", "main", "--period", "day", "--from", "2025-03-01", "--to", "2025-03-08")
	lines := strings.Split(strings.TrimSpace(table), "\n")
	if len(lines) != 3 || !strings.Contains(lines[1], "servicedesk") || !strings.Contains(lines[1], "hung up in menu") ||
		strings.Join(strings.Fields(lines[2]), " ") != "2025-03-03 10 8 6 2 0 2 0" {
		t.Errorf("report --funnel table:\n%s", table)
	}
	// A range inside the day counts the calls that started in it only
	// (10:15 to 10:30: calls 5 to 9, one to servicedesk, two to klinisk,
	// two hung up in the menu), and the row says it is partial.
	out = runCmd(t, environ, "report", "--funnel", "main", "--period", "day", "--from", "2025-03-03T10:15", "--to", "2025-03-03T10:30", "--format", "json")
	rep = nil
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("report --funnel json: %v\n%s", err, out)
	}
	var clipped []map[string]any
	if err := json.Unmarshal([]byte(out), &clipped); err != nil {
		t.Fatal(err)
	}
	from, to := base.Add(15*time.Minute), base.Add(30*time.Minute)
	if len(rep) != 1 || rep[0].Entered != 5 || rep[0].ReachedQueue != 3 || rep[0].Reached["servicedesk"] != 1 ||
		rep[0].Reached["klinisk"] != 2 || rep[0].HungUpInMenu != 2 || !rep[0].PeriodStart.Equal(day) ||
		clipped[0]["partial"] != true || !rowTime(t, clipped[0], "counted_from").Equal(from) || !rowTime(t, clipped[0], "counted_to").Equal(to) {
		t.Errorf("report --funnel from 10:15 to 10:30: got %s", out)
	}
	table = runCmd(t, environ, "report", "--funnel", "main", "--period", "day", "--from", "2025-03-03T10:15", "--to", "2025-03-03T10:30")
	lines = strings.Split(strings.TrimSpace(table), "\n")
	if len(lines) < 3 || strings.Join(strings.Fields(lines[2]), " ") != "2025-03-03* 5 3 1 2 0 2 0" ||
		!strings.Contains(table, "2025-03-03 counts 2025-03-03 10:15 CET to 2025-03-03 10:30 CET") {
		t.Errorf("report --funnel table from 10:15 to 10:30:\n%s", table)
	}
}
