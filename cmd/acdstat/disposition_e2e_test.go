package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/acdstat/acdstat/simulate"
)

// TestDispositionsGiveFCRRate runs serve, posts dispositions for a third of
// the answered calls of a simulated week BEFORE their calls exist, ingests
// the week's queue_log with DISPOSITION lines (written by the dialplan) for
// another third, posts the last third AFTER, and reads fcr_rate from
// queue_month as a BI tool does: it must be resolved / dispositions per
// queue and month, counted here from the simulator's truth, and offered
// must still be the truth's.
func TestDispositionsGiveFCRRate(t *testing.T) {
	queues := filepath.Join(t.TempDir(), "queues.yaml")
	if err := os.WriteFile(queues, []byte(hospitalQueues), 0o644); err != nil {
		t.Fatal(err)
	}
	environ := testEnv(t, "ACDSTAT_QUEUES="+queues)
	startServe(t, environ)
	sim := smallSim(t, 11)
	truth := sim.Truth()
	loc := simulate.DefaultConfig().Location

	// The answered stays of each call id, to know which is the last.
	answered := map[string]int{}
	for _, c := range truth.Calls {
		if c.Outcome == simulate.OutcomeAnswered {
			answered[c.CallID]++
		}
	}
	type key struct {
		queue string
		month time.Time
	}
	want := map[key][2]int{} // dispositions, resolved
	offered := map[key]int{}
	var before, after []map[string]any
	var logLines []simulate.Line
	n := 0
	for _, c := range truth.Calls {
		l := c.Enter.In(loc)
		k := key{c.Queue, time.Date(l.Year(), l.Month(), 1, 0, 0, 0, 0, loc).UTC()}
		offered[k]++
		if c.Outcome != simulate.OutcomeAnswered {
			continue
		}
		n++
		if n%7 == 6 {
			continue // no disposition
		}
		resolved := n%4 != 0
		at := c.Enter.Add(time.Duration(c.WaitS+c.TalkS+30) * time.Second)
		code := fmt.Sprintf("C%d", n%3)
		d := map[string]any{"call_id": c.CallID, "resolved": resolved, "code": code, "time": at.Format(time.RFC3339)}
		if answered[c.CallID] > 1 {
			d["queue"], d["seq"] = c.Queue, c.Seq-1 // the truth counts stays from 1
		}
		switch n % 3 {
		case 0:
			before = append(before, d)
		case 1:
			if answered[c.CallID] > 1 {
				after = append(after, d) // queue_log cannot name the seq
				break
			}
			flag := "0"
			if resolved {
				flag = "1"
			}
			logLines = append(logLines, simulate.Line{Text: fmt.Sprintf("%d|%s|NONE|Agent/x|DISPOSITION|%s|%s", at.Unix(), c.CallID, flag, code)})
		case 2:
			after = append(after, d)
		}
		w := want[k]
		w[0]++
		if resolved {
			w[1]++
		}
		want[k] = w
	}
	if len(before) == 0 || len(after) == 0 || len(logLines) == 0 {
		t.Fatalf("the simulation gave %d/%d/%d dispositions; want some of each", len(before), len(logLines), len(after))
	}

	base := "http://" + envValue(environ, "ACDSTAT_HTTP_ADDR")
	post := func(v any) {
		t.Helper()
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.Post(base+"/v1/dispositions", "application/json", strings.NewReader(string(b)))
		if err != nil {
			t.Fatal(err)
		}
		var a struct {
			Accepted int   `json:"accepted"`
			Rejected []any `json:"rejected"`
		}
		err = json.NewDecoder(resp.Body).Decode(&a)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK || len(a.Rejected) != 0 {
			t.Fatalf("POST /v1/dispositions: status %d, %+v, %v", resp.StatusCode, a, err)
		}
	}
	post(before)
	time.Sleep(2 * time.Second) // let a build run see the dispositions alone
	runCmd(t, environ, "ingest", "--format", "queue_log", writeLines(t, "week", append(sim.Lines(), logLines...)))
	post(after)

	conn := openView(t, environ)
	db := envValue(environ, "ACDSTAT_CLICKHOUSE_DATABASE")
	read := func() (map[key][2]int, map[key]int, map[key]*float64) {
		rows, err := conn.Query(context.Background(), "SELECT queue, period_start, offered, dispositions, resolved_first_contact, fcr_rate FROM "+db+".queue_month WHERE switch = 'default' AND hours = 'all'")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		got, off, rate := map[key][2]int{}, map[key]int{}, map[key]*float64{}
		for rows.Next() {
			var q string
			var start time.Time
			var o, d, r uint64
			var f *float64
			if err := rows.Scan(&q, &start, &o, &d, &r, &f); err != nil {
				t.Fatal(err)
			}
			k := key{q, start.UTC()}
			off[k], rate[k] = int(o), f
			if d > 0 {
				got[k] = [2]int{int(d), int(r)}
			}
		}
		return got, off, rate
	}
	same := func(got map[key][2]int, off map[key]int) bool {
		if len(got) != len(want) {
			return false
		}
		for k, w := range want {
			if got[k] != w || off[k] != offered[k] {
				return false
			}
		}
		return true
	}
	var got map[key][2]int
	var off map[key]int
	var rate map[key]*float64
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(time.Second) {
		if got, off, rate = read(); same(got, off) {
			break
		}
	}
	if !same(got, off) {
		t.Fatalf("queue_month (dispositions, resolved):\n got %v offered %v\nwant %v offered %v", got, off, want, offered)
	}
	for k, w := range want {
		f := rate[k]
		r := float64(w[1]) / float64(w[0])
		if f == nil || math.Abs(*f-r) > 1e-9 {
			t.Errorf("%s %s: fcr_rate %v; want %d/%d = %.4f", k.queue, k.month.In(loc).Format("2006-01"), f, w[1], w[0], r)
		}
	}
	t.Logf("%d dispositions posted before, %d in queue_log, %d after; %d month rows", len(before), len(logLines), len(after), len(want))
}
