package store

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/acdstat/acdstat/aggregate"
	"github.com/acdstat/acdstat/cdr"
)

// agentJobLines decodes queue_log lines "HH:MM:SS|callid|queue|agent|VERB|…"
// of switch sw on 27 October 2025, UTC.
func agentJobLines(t *testing.T, sw, text string) []cdr.Event {
	t.Helper()
	d0 := time.Date(2025, 10, 27, 0, 0, 0, 0, time.UTC)
	var b strings.Builder
	for _, l := range strings.Split(strings.TrimSpace(text), "\n") {
		clock, rest, _ := strings.Cut(strings.TrimSpace(l), "|")
		c, err := time.Parse("15:04:05", clock)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%d|%s\n", d0.Add(c.Sub(time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC))).Unix(), rest)
	}
	var out []cdr.Event
	if err := cdr.DecodeQueueLog(strings.NewReader(b.String()), cdr.DecodeOptions{Switch: sw}, func(bt cdr.Batch) error {
		if len(bt.Rejects) > 0 {
			t.Fatalf("rejected %v", bt.Rejects[0])
		}
		out = append(out, bt.Events...)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// agentDayRow is what a BI user reads of an agent's day.
type agentDayRow struct {
	answered, talk uint64
	logged, inCall *float64
	paused, stale  *float64
}

func (s *Store) agentDays(t *testing.T) map[string]agentDayRow {
	t.Helper()
	rows, err := s.conn.Query(context.Background(), `SELECT agent, answered, talk_s, toNullable(toFloat64(logged_in_s)), toNullable(toFloat64(in_call_s)),
    toNullable(toFloat64(paused_s)), toNullable(toFloat64(stale_sessions))
FROM agent_day WHERE queue = '*' AND period_start = toDateTime('2025-10-27 00:00:00', 'UTC')`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]agentDayRow{}
	for rows.Next() {
		var a string
		var r agentDayRow
		if err := rows.Scan(&a, &r.answered, &r.talk, &r.logged, &r.inCall, &r.paused, &r.stale); err != nil {
			t.Fatal(err)
		}
		out[a] = r
	}
	return out
}

func f64p(v float64) *float64 { return &v }

func checkAgentDay(t *testing.T, when string, got map[string]agentDayRow, want map[string]agentDayRow) {
	t.Helper()
	str := func(r agentDayRow) string {
		p := func(v *float64) string {
			if v == nil {
				return "NULL"
			}
			return fmt.Sprint(*v)
		}
		return fmt.Sprintf("answered %d talk %d logged %s in call %s paused %s stale %s", r.answered, r.talk, p(r.logged), p(r.inCall), p(r.paused), p(r.stale))
	}
	for a, w := range want {
		if g, ok := got[a]; !ok || str(g) != str(w) {
			t.Errorf("%s, agent_day of %s:\n got %s\nwant %s", when, a, str(got[a]), str(w))
		}
	}
	for a := range got {
		if _, ok := want[a]; !ok {
			t.Errorf("%s: agent_day has %s: %s; want no row", when, a, str(got[a]))
		}
	}
}

// TestAgentJobIsExactUnderLateAndRepeatedLines runs the build and agent
// jobs as serve does, over lines that arrive in two batches: the second
// repeats the first and brings a late REMOVEMEMBER (which replaces the
// session the stale timeout had closed) and a CONNECT that gives a call to
// another agent (whose rows go away). Then a rebuild with pseudonyms
// replaces the agents' rows by their pseudonyms'.
func TestAgentJobIsExactUnderLateAndRepeatedLines(t *testing.T) {
	s := newStore(t)
	s.KeepAgentEvents(true)
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	m, err := cdr.NewAgentMap([]cdr.AgentDef{{ID: "anna", Display: "Anna Jensen",
		Names: []cdr.AgentName{{Switch: "pbx1", Name: "PJSIP/1001"}, {Switch: "pbx2", Name: "SIP/201"}}}})
	if err != nil {
		t.Fatal(err)
	}
	settings := &cdr.Settings{Agents: m, DefaultSwitchZone: time.UTC, Version: "v1"}
	now := func() time.Time { return time.Date(2025, 10, 30, 12, 0, 0, 0, time.UTC) }
	cfg := aggregate.Config{StaleAfter: 4 * time.Hour, Margin: 2 * time.Minute, Window: 28 * time.Hour, DispositionWindow: 28 * time.Hour,
		ChunkCalls: 100, RollupMargin: 2 * time.Minute, RollupChunk: 100}
	acfg := aggregate.AgentConfig{Figures: aggregate.AgentsOn, StaleAfter: 24 * time.Hour, Every: "@every 10s"}
	// run runs the two jobs as serve does, one after the other, twice: the
	// agent job counts the calls the build job wrote up to the build's
	// watermark, its start; calls it wrote in a later second (a loaded
	// machine) are counted at the next turn, as in serve.
	run := func() {
		t.Helper()
		for range 2 {
			if _, err := aggregate.NewBuilder(cfg, log, now, nil, s).Run(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := aggregate.NewAgentRoller(cfg, acfg, nil, log, now, aggregate.FixedSettings(settings), s, s, s).Run(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	first := append(agentJobLines(t, "pbx1", `
08:00:00|MANAGER|sd|PJSIP/1001|ADDMEMBER|
09:00:00|c1.1|sd|NONE|ENTERQUEUE||4511|1
09:00:30|c1.1|sd|PJSIP/1001|CONNECT|30|c1.2|5
09:05:30|c1.1|sd|PJSIP/1001|COMPLETECALLER|30|300|1
09:10:00|c2.1|sd|NONE|ENTERQUEUE||4512|1
09:10:20|c2.1|sd|PJSIP/1002|CONNECT|20|c2.2|5
09:12:20|c2.1|sd|PJSIP/1002|COMPLETECALLER|20|120|1
10:00:00|NONE|sd|PJSIP/1001|PAUSE|lunch
10:30:00|NONE|sd|PJSIP/1001|UNPAUSE|
`), agentJobLines(t, "pbx2", `
11:00:00|MANAGER|sd|SIP/201|ADDMEMBER|
13:00:00|MANAGER|sd|SIP/201|REMOVEMEMBER|
`)...)
	if err := s.InsertEvents(ctx, first); err != nil {
		t.Fatal(err)
	}
	run()
	checkAgentDay(t, "first batch", s.agentDays(t), map[string]agentDayRow{
		// 08:00 to the last sign at 10:30 (stale: no REMOVEMEMBER within a
		// day), and 11:00 to 13:00 on pbx2.
		"anna":            {answered: 1, talk: 300, logged: f64p(9000 + 7200), inCall: f64p(300), paused: f64p(1800), stale: f64p(1)},
		"pbx1/PJSIP/1002": {answered: 1, talk: 120, inCall: f64p(120), paused: f64p(0), stale: f64p(0)},
	})

	second := append(first, agentJobLines(t, "pbx1", `
09:10:10|c2.1|sd|PJSIP/1001|CONNECT|10|c2.3|5
12:00:00|MANAGER|sd|PJSIP/1001|REMOVEMEMBER|
`)...)
	if err := s.InsertEvents(ctx, second); err != nil {
		t.Fatal(err)
	}
	run()
	want := map[string]agentDayRow{
		"anna": {answered: 2, talk: 420, logged: f64p(4*3600 + 3600), inCall: f64p(420), paused: f64p(1800), stale: f64p(0)},
	}
	checkAgentDay(t, "second batch", s.agentDays(t), want)
	run() // nothing new: nothing changes
	checkAgentDay(t, "a run more", s.agentDays(t), want)

	// A rebuild with pseudonyms: the rows are the pseudonyms', the plain
	// ids' are zeros (and so not in the view).
	key := []byte("0123456789abcdef")
	acfg.Figures = aggregate.AgentsPseudonymous
	from, to := time.Date(2025, 10, 26, 0, 0, 0, 0, time.UTC), time.Date(2025, 10, 29, 0, 0, 0, 0, time.UTC)
	if _, err := aggregate.NewAgentRoller(cfg, acfg, key, log, now, aggregate.FixedSettings(settings), s, s, s).RebuildBetween(ctx, s, from, to); err != nil {
		t.Fatal(err)
	}
	checkAgentDay(t, "after a rebuild with pseudonyms", s.agentDays(t), map[string]agentDayRow{cdr.AgentPseudonym(key, "anna"): want["anna"]})
}
