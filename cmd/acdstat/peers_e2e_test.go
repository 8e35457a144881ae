package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
)

// The peer gate (issue 10). Wazo's own statistics tests, transcribed into
// queue_log files, queue_log table exports and truth.json
// (../shared/testdata/peers/README.md), are ingested the way a user ingests
// them, and every core stay and every asserted report row of truth.json is
// compared with what a user reads: the stays of queue_calls_current and the
// rows of the queue_hour and queue_day views. The cases live beside the
// repository (/work/shared here and in CI) and are read in place, never
// copied in: they are transcriptions of another project's GPL-licensed tests.

// peersDir is the peer cases' directory, relative to this package.
const peersDir = "../../../shared/testdata/peers"

// peerSources are the peers under peersDir, each with cases/<case>.queue_log
// (the pipe file), cases/<case>.csv (the queue_log table export) and
// truth.json.
var peerSources = []string{"wazo-xivo-dao", "wazo-acceptance"}

// peersToday is "now" for every command of the gate: later than the latest
// case (February 2024) by far more than the stale timeout, so a stay with no
// end is closed as unknown, and fixed, so the gate never depends on the day
// it runs.
var peersToday = time.Date(2024, 6, 3, 12, 0, 0, 0, time.UTC)

// peerTruth is one truth.json. It is read with unknown fields refused: a new
// kind of assertion must get its check here, not be passed over in silence.
type peerTruth struct {
	About      string     `json:"about"`
	Vocabulary string     `json:"vocabulary"`
	Times      string     `json:"times"`
	Match      string     `json:"match"`
	Calls      []peerStay `json:"calls"`
	Aggregates []peerRow  `json:"aggregates"`
}

// peerStay is one queue stay that the peer's test (or the plain reading of
// its events, see Basis) expects, keyed by (Switch, CallID, Queue, Seq). Nil
// figures and an empty Agent are not asserted. Grade "quirk" marks a case
// whose own data contradict themselves: it is reported, never gated on.
type peerStay struct {
	Case          string  `json:"case"`
	Switch        string  `json:"switch"`
	CallID        string  `json:"callid"`
	Queue         string  `json:"queue"`
	Seq           int     `json:"seq"`
	Enter         string  `json:"enter"`
	EnterEpoch    int64   `json:"enter_epoch"`
	HourUTC       string  `json:"hour_utc"`
	Outcome       string  `json:"outcome"`
	WaitS         *int    `json:"wait_s"`
	WaitTolerance int     `json:"wait_tolerance_s"`
	WaitFromTimes *int    `json:"wait_from_timestamps_s"`
	TalkS         *int    `json:"talk_s"`
	Transferred   *bool   `json:"transferred"`
	Agent         string  `json:"agent"`
	PeerStatus    *string `json:"peer_status"`
	Basis         string  `json:"basis"`
	Grade         string  `json:"grade"`
	Source        string  `json:"source"`
	Note          string  `json:"note"`
}

// peerRow is one report row that the peer's test asserts: per queue or per
// agent, and per UTC hour, day or ISO week (ByDay then gives the received
// calls of each day of the week). Nil figures are not asserted.
// AnsweredRate is kept raw: an asserted null (nothing to answer) is not an
// absent rate.
type peerRow struct {
	Case         string          `json:"case"`
	Queue        string          `json:"queue"`
	Agent        string          `json:"agent"`
	HourUTC      string          `json:"hour_utc"`
	DayUTC       string          `json:"day_utc"`
	Week         string          `json:"week"`
	ByDay        map[string]int  `json:"by_day"`
	Received     *uint64         `json:"received"`
	Answered     *uint64         `json:"answered"`
	Abandoned    *uint64         `json:"abandoned"`
	Timeout      *uint64         `json:"timeout"`
	Closed       *uint64         `json:"closed"`
	Blocking     *uint64         `json:"blocking"`
	Saturated    *uint64         `json:"saturated"`
	AWT          *string         `json:"awt"`
	AnsweredRate json.RawMessage `json:"answered_rate"`
	TalkTotalS   *uint64         `json:"talk_total_s"`
	Basis        string          `json:"basis"`
	Grade        string          `json:"grade"`
	Source       string          `json:"source"`
	Note         string          `json:"note"`
}

// peerCase is one case: its two files, ingested under the switch Name.
type peerCase struct {
	Name, File, Table string
}

// peerOutcomes are the outcomes of METRICS.md, the truth's vocabulary.
var peerOutcomes = []string{"answered", "abandoned", "timeout", "exit_key", "exit_other", "unknown"}

// loadPeers reads every source's cases and truth, and fails on a truth that
// names a case without files, a case without truth, or a record the gate
// could not check as written.
func loadPeers(t *testing.T) ([]peerCase, []peerStay, []peerRow) {
	t.Helper()
	if _, err := os.Stat(peersDir); err != nil {
		t.Fatalf("the peer cases are not beside the repository: %v (they live in ../shared/testdata/peers of the repository's parent)", err)
	}
	var cases []peerCase
	var stays []peerStay
	var rows []peerRow
	for _, src := range peerSources {
		dir := filepath.Join(peersDir, src)
		files, err := filepath.Glob(filepath.Join(dir, "cases", "*.queue_log"))
		if err != nil || len(files) == 0 {
			t.Fatalf("%s: no cases/*.queue_log (%v)", dir, err)
		}
		names := map[string]bool{}
		for _, f := range files {
			name := strings.TrimSuffix(filepath.Base(f), ".queue_log")
			table := strings.TrimSuffix(f, ".queue_log") + ".csv"
			if _, err := os.Stat(table); err != nil {
				t.Fatalf("%s: the case has no table export: %v", name, err)
			}
			names[name] = true
			cases = append(cases, peerCase{Name: name, File: f, Table: table})
		}
		b, err := os.ReadFile(filepath.Join(dir, "truth.json"))
		if err != nil {
			t.Fatal(err)
		}
		dec := json.NewDecoder(strings.NewReader(string(b)))
		dec.DisallowUnknownFields()
		var truth peerTruth
		if err := dec.Decode(&truth); err != nil {
			t.Fatalf("%s/truth.json: %v (a new field needs its check in peers_e2e_test.go)", dir, err)
		}
		covered := map[string]bool{}
		for _, s := range truth.Calls {
			switch {
			case !names[s.Case]:
				t.Fatalf("%s/truth.json: call %s of case %s, which has no files", dir, s.CallID, s.Case)
			case s.Switch != s.Case:
				t.Fatalf("%s/truth.json: call %s of case %s names switch %s; every case is ingested under its own name", dir, s.CallID, s.Case, s.Switch)
			case s.Grade != "core" && s.Grade != "quirk":
				t.Fatalf("%s/truth.json: call %s of case %s: grade %q", dir, s.CallID, s.Case, s.Grade)
			case !slices.Contains(peerOutcomes, s.Outcome):
				t.Fatalf("%s/truth.json: call %s of case %s: outcome %q", dir, s.CallID, s.Case, s.Outcome)
			case !time.Unix(s.EnterEpoch, 0).Before(peersToday.Add(-24 * time.Hour)):
				t.Fatalf("%s/truth.json: call %s of case %s joins at %s, too close to the gate's today %s: move peersToday on", dir, s.CallID, s.Case, s.Enter, peersToday)
			}
			covered[s.Case] = true
			stays = append(stays, s)
		}
		for name := range names {
			if !covered[name] {
				t.Fatalf("%s: case %s has no stay in truth.json", dir, name)
			}
		}
		for _, r := range truth.Aggregates {
			periods := 0
			for _, p := range []string{r.HourUTC, r.DayUTC, r.Week} {
				if p != "" {
					periods++
				}
			}
			switch {
			case !names[r.Case]:
				t.Fatalf("%s/truth.json: a report row of case %s, which has no files", dir, r.Case)
			case (r.Queue == "") == (r.Agent == "") || periods != 1:
				t.Fatalf("%s/truth.json: a report row of case %s names neither or both of queue and agent, or not exactly one period", dir, r.Case)
			case r.Grade != "core" && r.Grade != "quirk":
				t.Fatalf("%s/truth.json: a report row of case %s: grade %q", dir, r.Case, r.Grade)
			}
			rows = append(rows, r)
		}
	}
	return cases, stays, rows
}

// TestPeersAgree is the peer gate. Every case is ingested under its own
// switch (call ids repeat across cases) with acdstat ingest, then built and
// rolled up with acdstat rollup, in three databases: from the pipe files, from the
// table exports, and from both (the same facts by two paths must still be
// one set of stays). In each, every core stay of truth.json must be stored
// with its outcome, wait (within its tolerance), talk, transferred, agent and
// hour; no stay may be stored that the truth does not hold; and every core
// report row must be what the views show. Quirk stays and rows are logged
// beside the truth, never gated on.
func TestPeersAgree(t *testing.T) {
	cases, stays, rows := loadPeers(t)
	queues, err := filepath.Abs(filepath.Join(peersDir, "queues_utc.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, form := range []struct {
		name        string
		file, table bool
	}{
		{"file", true, false},
		{"table", false, true},
		{"both", true, true},
	} {
		t.Run(form.name, func(t *testing.T) {
			// Each form has its own database, and the commands mostly wait
			// for ClickHouse: side by side they take half the time.
			t.Parallel()
			now := clockFrom(peersToday)
			environ := testEnv(t, "ACDSTAT_QUEUES="+queues)
			// One form alone is only stored by ingest and built by rollup,
			// every case at once (which halves the time of the gate). Both
			// forms are built by each ingest, as a user's ingest does: the
			// second form then arrives at stays built from the first. The
			// cases date from 2013 on, older than the raw-event retention at
			// peersToday: they are a backfill (--allow-old), as a user's
			// import of old history is.
			build := "--no-build"
			if form.file && form.table {
				build = "--no-build=false"
			}
			for _, c := range cases {
				if form.file {
					runCmdAt(t, now, environ, "ingest", build, "--allow-old", "--format", "queue_log", "--switch", c.Name, c.File)
				}
				if form.table {
					runCmdAt(t, now, environ, "ingest", build, "--allow-old", "--format", "queue_log_db", "--tz", "UTC", "--switch", c.Name, c.Table)
				}
			}
			runCmdAt(t, now, environ, "rollup")
			conn := openView(t, environ)
			got := readPeerStays(t, conn)
			comparePeerStays(t, stays, got)
			comparePeerRows(t, rows, got, readPeerViews(t, conn))
			if t.Failed() && form.file && form.table {
				logTwoFormFacts(t, conn)
			}
		})
	}
}

// storedStay is a stay as queue_calls_current shows it.
type storedStay struct {
	Outcome      string
	Enter        time.Time
	Wait, Talk   uint32
	Transferred  uint8
	Agent        string
	Switch, Call string
	Queue        string
	Seq          uint16
}

// peerStayKey names a stay as truth.json and queue_calls_current both do.
type peerStayKey struct {
	Switch, Call, Queue string
	Seq                 int
}

// readPeerStays reads every stored stay of every switch.
func readPeerStays(t *testing.T, conn clickhouse.Conn) map[peerStayKey]storedStay {
	t.Helper()
	rows, err := conn.Query(context.Background(), `SELECT switch, call_id, queue, seq, toString(outcome), enter_time, wait_s, talk_s, transferred, agent
FROM queue_calls_current`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[peerStayKey]storedStay{}
	for rows.Next() {
		var s storedStay
		if err := rows.Scan(&s.Switch, &s.Call, &s.Queue, &s.Seq, &s.Outcome, &s.Enter, &s.Wait, &s.Talk, &s.Transferred, &s.Agent); err != nil {
			t.Fatal(err)
		}
		s.Enter = s.Enter.UTC()
		out[peerStayKey{s.Switch, s.Call, s.Queue, int(s.Seq)}] = s
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func (s storedStay) String() string {
	return fmt.Sprintf("%s enter %s wait %d talk %d transferred %d agent %q", s.Outcome, s.Enter.Format(time.RFC3339), s.Wait, s.Talk, s.Transferred, s.Agent)
}

// stayDiffs lists the fields in which the stored stay g differs from the
// truth s, each as "field got X; want Y".
func stayDiffs(s peerStay, g storedStay) []string {
	var d []string
	if g.Outcome != s.Outcome {
		d = append(d, fmt.Sprintf("outcome got %s; want %s", g.Outcome, s.Outcome))
	}
	if s.WaitS != nil && math.Abs(float64(int(g.Wait)-*s.WaitS)) > float64(s.WaitTolerance) {
		d = append(d, fmt.Sprintf("wait_s got %d; want %d ±%d", g.Wait, *s.WaitS, s.WaitTolerance))
	}
	if s.TalkS != nil && int(g.Talk) != *s.TalkS {
		d = append(d, fmt.Sprintf("talk_s got %d; want %d", g.Talk, *s.TalkS))
	}
	if s.Transferred != nil && (g.Transferred == 1) != *s.Transferred {
		d = append(d, fmt.Sprintf("transferred got %v; want %v", g.Transferred == 1, *s.Transferred))
	}
	if s.Agent != "" && g.Agent != s.Agent {
		d = append(d, fmt.Sprintf("agent got %q; want %q", g.Agent, s.Agent))
	}
	// The period a stay is counted in (METRICS.md: the hour that holds its
	// enter_time; the queues are in UTC).
	if hour := g.Enter.Truncate(time.Hour).Format("2006-01-02T15:04Z"); hour != s.HourUTC {
		d = append(d, fmt.Sprintf("hour got %s (enter %s); want %s (enter %s)", hour, g.Enter.Format(time.RFC3339), s.HourUTC, s.Enter))
	}
	return d
}

// comparePeerStays checks every core stay of the truth against the stored
// stays, and that every stored stay is in the truth; quirk stays, and
// stored stays of a call and queue that holds a quirk, are logged.
func comparePeerStays(t *testing.T, truth []peerStay, got map[peerStayKey]storedStay) {
	t.Helper()
	quirks := map[[3]string]bool{}
	for _, s := range truth {
		if s.Grade == "quirk" {
			quirks[[3]string{s.Switch, s.CallID, s.Queue}] = true
		}
	}
	seen := map[peerStayKey]bool{}
	agree := 0
	for _, s := range truth {
		k := peerStayKey{s.Switch, s.CallID, s.Queue, s.Seq}
		seen[k] = true
		g, ok := got[k]
		var diffs []string
		if ok {
			diffs = stayDiffs(s, g)
		} else {
			diffs = []string{"no stay stored"}
		}
		if s.Grade == "quirk" {
			t.Logf("quirk %s call %s queue %s seq %d: acdstat %v; truth %s wait %v talk %v (%s)", s.Case, s.CallID, s.Queue, s.Seq, g, s.Outcome, deref(s.WaitS), deref(s.TalkS), strings.Join(diffs, ", "))
			continue
		}
		if len(diffs) == 0 {
			agree++
		}
		for _, d := range diffs {
			t.Errorf("%s call %s queue %s seq %d: %s (%s)", s.Case, s.CallID, s.Queue, s.Seq, d, s.Source)
		}
	}
	var extra []peerStayKey
	for k := range got {
		if !seen[k] {
			extra = append(extra, k)
		}
	}
	sort.Slice(extra, func(i, j int) bool {
		a, b := extra[i], extra[j]
		return fmt.Sprint(a.Switch, a.Call, a.Queue, a.Seq) < fmt.Sprint(b.Switch, b.Call, b.Queue, b.Seq)
	})
	for _, k := range extra {
		if quirks[[3]string{k.Switch, k.Call, k.Queue}] {
			t.Logf("quirk %s call %s queue %s: acdstat also stores seq %d: %v; the truth has no such stay", k.Switch, k.Call, k.Queue, k.Seq, got[k])
			continue
		}
		t.Errorf("%s call %s queue %s seq %d: acdstat stores a stay that truth.json does not hold: %v", k.Switch, k.Call, k.Queue, k.Seq, got[k])
	}
	t.Logf("%d stays in the truth, %d stored; %d core stays agree", len(truth), len(got), agree)
}

// logTwoFormFacts logs the lines that the two forms of one case stored as
// different facts: the same switch, call id, queue, verb and second under
// more than one event id, with the agents and data they were stored with.
// The builder counts each id once, so such a pair is read as two events.
func logTwoFormFacts(t *testing.T, conn clickhouse.Conn) {
	t.Helper()
	rows, err := conn.Query(context.Background(), `SELECT switch, call_id, queue, verb, time,
    groupUniqArray(agent), groupUniqArray(concat(data1, '|', data2, '|', data3, '|', data4, '|', data5)), uniqExact(id)
FROM events GROUP BY switch, call_id, queue, verb, time HAVING uniqExact(id) > 1
ORDER BY switch, call_id, time, queue, verb`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var sw, call, queue, verb string
		var at time.Time
		var agents, data []string
		var ids uint64
		if err := rows.Scan(&sw, &call, &queue, &verb, &at, &agents, &data, &ids); err != nil {
			t.Fatal(err)
		}
		if n++; n <= 40 {
			t.Logf("one line, %d facts: %s call %s queue %s %s at %s: agents %q, data %q", ids, sw, call, queue, verb, at.UTC().Format(time.RFC3339), agents, data)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d lines of the pipe file and the table export were stored as more than one fact (by event id)", n)
}

func deref(p *int) any {
	if p == nil {
		return "-"
	}
	return *p
}

// viewFigs are the figures of one row of queue_hour or queue_day (hours
// 'all') that the peers assert.
type viewFigs struct {
	Offered, Answered, Abandoned, Timeout, ExitOther, WaitAll uint64
	AvgWait                                                   *float64
}

type viewFigsKey struct {
	View, Switch, Queue string
	Start               time.Time
}

// readPeerViews reads every row of queue_hour and queue_day for all calls,
// per switch.
func readPeerViews(t *testing.T, conn clickhouse.Conn) map[viewFigsKey]viewFigs {
	t.Helper()
	out := map[viewFigsKey]viewFigs{}
	for _, view := range []string{"queue_hour", "queue_day"} {
		rows, err := conn.Query(context.Background(), `SELECT switch, queue, period_start, offered, answered, abandoned, timeout, exit_other, wait_all_s, avg_wait_s
FROM `+view+` WHERE hours = 'all' AND switch != '*'`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			k := viewFigsKey{View: view}
			var f viewFigs
			if err := rows.Scan(&k.Switch, &k.Queue, &k.Start, &f.Offered, &f.Answered, &f.Abandoned, &f.Timeout, &f.ExitOther, &f.WaitAll, &f.AvgWait); err != nil {
				t.Fatal(err)
			}
			k.Start = k.Start.UTC()
			out[k] = f
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
	}
	return out
}

// comparePeerRows checks every core report row of the truth against the
// views (queue rows) or the stored stays (agent rows, which acdstat keeps
// in queue_calls_current: answered stays of the agent that joined in the
// hour); quirk rows are logged.
//
// How the peer's figures read in acdstat's terms (METRICS.md):
//   - received is offered; answered, abandoned and timeout are the outcomes.
//   - closed (CLOSED), blocking (JOINEMPTY) and saturated (FULL,
//     DIVERT_CA_RATIO, DIVERT_HOLDTIME) are all exit_other: where a row
//     asserts any of them, exit_other is their sum.
//   - awt, hh:mm:ss rounded down, is avg_wait_s (wait_all_s / offered): the
//     rows that assert it hold only calls that waited (abandoned or
//     answered), so it is also Wazo's average of those calls.
//   - answered_rate is answered / (received − closed) in whole percent,
//     null with nothing to answer. acdstat's row has no "closed" of its own;
//     in every row that asserts a rate its exit_other calls are the closed
//     ones, so it reads answered / (offered − exit_other).
//   - A period with no row in a view has no calls: every figure is 0.
func comparePeerRows(t *testing.T, truth []peerRow, stays map[peerStayKey]storedStay, views map[viewFigsKey]viewFigs) {
	t.Helper()
	agree := 0
	for _, r := range truth {
		var what string
		var diffs []string
		if r.Agent != "" {
			what = fmt.Sprintf("%s agent %s hour %s", r.Case, r.Agent, r.HourUTC)
			diffs = agentRowDiffs(t, r, stays)
		} else {
			var f viewFigs
			var day map[string]uint64
			what, f, day = queueRowFigs(t, r, views)
			diffs = queueRowDiffs(r, f, day)
		}
		if r.Grade == "quirk" {
			if len(diffs) == 0 {
				diffs = []string{"agrees"}
			}
			t.Logf("quirk row %s: %s (%s)", what, strings.Join(diffs, ", "), r.Note)
			continue
		}
		if len(diffs) == 0 {
			agree++
		}
		for _, d := range diffs {
			t.Errorf("row %s: %s (%s)", what, d, r.Source)
		}
	}
	t.Logf("%d report rows checked; %d core rows agree", len(truth), agree)
}

// queueRowFigs reads the figures of a queue row of the truth: its hour or
// day row, or the sum of the seven day rows of its week (with each day's
// offered calls).
func queueRowFigs(t *testing.T, r peerRow, views map[viewFigsKey]viewFigs) (string, viewFigs, map[string]uint64) {
	t.Helper()
	parse := func(layout, v string) time.Time {
		tm, err := time.Parse(layout, v)
		if err != nil {
			t.Fatalf("case %s: period %q: %v", r.Case, v, err)
		}
		return tm.UTC()
	}
	switch {
	case r.HourUTC != "":
		k := viewFigsKey{"queue_hour", r.Case, r.Queue, parse("2006-01-02T15:04Z", r.HourUTC)}
		return fmt.Sprintf("%s queue %s hour %s", r.Case, r.Queue, r.HourUTC), views[k], nil
	case r.DayUTC != "":
		k := viewFigsKey{"queue_day", r.Case, r.Queue, parse(time.DateOnly, r.DayUTC)}
		return fmt.Sprintf("%s queue %s day %s", r.Case, r.Queue, r.DayUTC), views[k], nil
	}
	// "2013-12-30 (Mon) .. 2014-01-05": the week's first and last day.
	first, last, ok := strings.Cut(r.Week, " .. ")
	if !ok || len(first) < len(time.DateOnly) {
		t.Fatalf("case %s: week %q is not \"YYYY-MM-DD (Mon) .. YYYY-MM-DD\"", r.Case, r.Week)
	}
	from, to := parse(time.DateOnly, first[:len(time.DateOnly)]), parse(time.DateOnly, last)
	var sum viewFigs
	days := map[string]uint64{}
	for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
		f := views[viewFigsKey{"queue_day", r.Case, r.Queue, d}]
		days[d.Format(time.DateOnly)] = f.Offered
		sum.Offered += f.Offered
		sum.Answered += f.Answered
		sum.Abandoned += f.Abandoned
		sum.Timeout += f.Timeout
		sum.ExitOther += f.ExitOther
		sum.WaitAll += f.WaitAll
	}
	if sum.Offered > 0 {
		avg := float64(sum.WaitAll) / float64(sum.Offered)
		sum.AvgWait = &avg
	}
	return fmt.Sprintf("%s queue %s week %s", r.Case, r.Queue, r.Week), sum, days
}

// queueRowDiffs lists the asserted figures of a queue row that f (and the
// week's days) do not show, each as "field got X; want Y".
func queueRowDiffs(r peerRow, f viewFigs, days map[string]uint64) []string {
	var d []string
	count := func(name string, got uint64, want *uint64) {
		if want != nil && got != *want {
			d = append(d, fmt.Sprintf("%s got %d; want %d", name, got, *want))
		}
	}
	count("received (offered)", f.Offered, r.Received)
	count("answered", f.Answered, r.Answered)
	count("abandoned", f.Abandoned, r.Abandoned)
	count("timeout", f.Timeout, r.Timeout)
	if r.Closed != nil || r.Blocking != nil || r.Saturated != nil {
		var refused uint64
		for _, v := range []*uint64{r.Closed, r.Blocking, r.Saturated} {
			if v != nil {
				refused += *v
			}
		}
		count("closed+blocking+saturated (exit_other)", f.ExitOther, &refused)
	}
	if r.AWT != nil {
		want, err := time.Parse(time.TimeOnly, *r.AWT)
		switch {
		case err != nil:
			d = append(d, fmt.Sprintf("awt %q: %v", *r.AWT, err))
		case f.AvgWait == nil:
			d = append(d, fmt.Sprintf("awt (avg_wait_s) got null; want %s", *r.AWT))
		default:
			wantS := want.Hour()*3600 + want.Minute()*60 + want.Second()
			if got := int(math.Floor(*f.AvgWait)); got != wantS {
				d = append(d, fmt.Sprintf("awt (avg_wait_s rounded down) got %d s (%.3f); want %d s (%s)", got, *f.AvgWait, wantS, *r.AWT))
			}
		}
	}
	if len(r.AnsweredRate) > 0 {
		var want *string
		if err := json.Unmarshal(r.AnsweredRate, &want); err != nil {
			d = append(d, fmt.Sprintf("answered_rate %s: %v", r.AnsweredRate, err))
		} else {
			got := "null"
			if den := f.Offered - min(f.ExitOther, f.Offered); den > 0 {
				got = strconv.Itoa(int(math.Round(100*float64(f.Answered)/float64(den)))) + " %"
			}
			w := "null"
			if want != nil {
				w = *want
			}
			if got != w {
				d = append(d, fmt.Sprintf("answered_rate (answered / (offered - exit_other)) got %s; want %s", got, w))
			}
		}
	}
	var names []string
	for day := range r.ByDay {
		names = append(names, day)
	}
	for day := range days {
		if _, ok := r.ByDay[day]; !ok {
			names = append(names, day)
		}
	}
	sort.Strings(names)
	for _, day := range names {
		got, ok := days[day]
		switch want := uint64(r.ByDay[day]); {
		case !ok:
			d = append(d, fmt.Sprintf("received on %s: the day is not in the week", day))
		case got != want:
			d = append(d, fmt.Sprintf("received on %s got %d; want %d", day, got, want))
		}
	}
	return d
}

// agentRowDiffs compares an agent row (answered stays and their talk, per
// agent and hour of joining) with the stored stays of its case.
func agentRowDiffs(t *testing.T, r peerRow, stays map[peerStayKey]storedStay) []string {
	t.Helper()
	hour, err := time.Parse("2006-01-02T15:04Z", r.HourUTC)
	if err != nil {
		t.Fatalf("case %s: hour %q: %v", r.Case, r.HourUTC, err)
	}
	var answered, talk uint64
	for k, s := range stays {
		if k.Switch == r.Case && s.Agent == r.Agent && s.Outcome == "answered" && s.Enter.Truncate(time.Hour).Equal(hour) {
			answered++
			talk += uint64(s.Talk)
		}
	}
	var d []string
	if r.Answered != nil && answered != *r.Answered {
		d = append(d, fmt.Sprintf("answered got %d; want %d", answered, *r.Answered))
	}
	if r.TalkTotalS != nil && talk != *r.TalkTotalS {
		d = append(d, fmt.Sprintf("talk_total_s got %d; want %d", talk, *r.TalkTotalS))
	}
	for name, v := range map[string]any{"received": r.Received, "abandoned": r.Abandoned, "timeout": r.Timeout, "closed": r.Closed, "blocking": r.Blocking, "saturated": r.Saturated, "awt": r.AWT} {
		if !isNilPtr(v) {
			d = append(d, fmt.Sprintf("%s is asserted on an agent row: the gate has no check for it", name))
		}
	}
	if len(r.AnsweredRate) > 0 || r.ByDay != nil {
		d = append(d, "answered_rate or by_day is asserted on an agent row: the gate has no check for it")
	}
	return d
}

func isNilPtr(v any) bool {
	switch p := v.(type) {
	case *uint64:
		return p == nil
	case *string:
		return p == nil
	}
	return v == nil
}
