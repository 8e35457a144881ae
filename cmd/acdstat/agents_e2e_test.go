package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/acdstat/acdstat/simulate"
)

// agentSim is a simulated week with agents (simulate.Config.Agents).
func agentSim(t *testing.T) *simulate.Sim {
	t.Helper()
	cfg := simulate.DefaultConfig()
	cfg.CallsPerDay, cfg.Seed, cfg.Agents = 150, 3, true
	sim, err := simulate.Generate(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return sim
}

// tableExport writes lines as an export of Asterisk's queue_log table
// (time in UTC, data1..data5), the other queue_log form.
func tableExport(t *testing.T, name string, lines []simulate.Line) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := csv.NewWriter(f)
	w.Write([]string{"time", "callid", "queuename", "agent", "event", "data1", "data2", "data3", "data4", "data5"})
	for _, l := range lines {
		p := strings.Split(l.Text, "|")
		sec, err := strconv.ParseInt(p[0], 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		rec := []string{time.Unix(sec, 0).UTC().Format("2006-01-02 15:04:05.000000"), p[1], p[2], p[3], p[4], "", "", "", "", ""}
		copy(rec[5:], p[5:])
		w.Write(rec)
	}
	w.Flush()
	if err := w.Error(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// agentIDOf is acdstat's id of the agent a switch names so, by the
// simulation's agent map ("anna" and her two names).
func agentIDOf(sw, name string) string {
	if sw == "default" && name == "PJSIP/2101" || sw == "default-2" && name == "SIP/201" {
		return "anna"
	}
	return sw + "/" + name
}

// dispositionLines gives every third answered call of a single stay a
// disposition, resolved or not in turn, as the dialplan writes it into
// queue_log; it returns the lines and the dispositions and resolved calls
// per agent, queue and day (the truth's keys).
func dispositionLines(sim *simulate.Sim) ([]simulate.Line, map[string][2]int) {
	stays := map[string]int{}
	for _, c := range sim.Truth().Calls {
		stays[c.Switch+" "+c.CallID]++
	}
	loc := simulate.Copenhagen()
	var lines []simulate.Line
	want := map[string][2]int{}
	n := 0
	for _, c := range sim.Truth().Calls {
		if c.Switch != "" || c.Outcome != simulate.OutcomeAnswered || stays[" "+c.CallID] != 1 {
			continue
		}
		if n++; n%3 != 0 {
			continue
		}
		resolved := (n/3)%2 == 0
		flag := "0"
		if resolved {
			flag = "1"
		}
		at := c.Enter.Add(time.Duration(c.WaitS+c.TalkS+60) * time.Second)
		lines = append(lines, simulate.Line{Time: at, Text: fmt.Sprintf("%d|%s|%s|%s|DISPOSITION|%s|PWRESET", at.Unix(), c.CallID, c.Queue, c.Agent, flag)})
		k := agentIDOf("default", c.Agent) + " " + c.Queue + " " + c.Enter.In(loc).Format(time.DateOnly)
		d := want[k]
		d[0]++
		if resolved {
			d[1]++
		}
		want[k] = d
	}
	return lines, want
}

// agentFig is an agent row as a user reads it from the views or the API,
// in the truth's terms.
type agentFig struct {
	Answered, TalkS, MaxTalkS, Transferred  int
	RingNoAnswer, RingCanceled              int
	RingNoAnswerS                           float64
	Dispositions, Resolved                  int
	LoggedInS, InCallS, PausedS, AvailableS *int
	StaleSessions                           *int
	Occupancy                               *float64
	PausedByReason                          map[string]int
}

func intp(v float64) *int { i := int(v); return &i }

func (f agentFig) String() string {
	b, _ := json.Marshal(f)
	return string(b)
}

// truthFigs are the simulator's truth per agent, queue and day, with the
// dispositions the test gave.
func truthFigs(sim *simulate.Sim, disp map[string][2]int) map[string]agentFig {
	out := map[string]agentFig{}
	for _, r := range sim.Truth().Agents {
		f := agentFig{Answered: r.Answered, TalkS: r.TalkS, MaxTalkS: r.MaxTalkS, Transferred: r.Transferred,
			RingNoAnswer: r.RingNoAnswer, RingCanceled: r.RingCanceled, RingNoAnswerS: float64(r.RingNoAnswerMs) / 1000,
			LoggedInS: r.LoggedInS, InCallS: r.InCallS, PausedS: r.PausedS, AvailableS: r.AvailableS, StaleSessions: r.StaleSessions,
			Occupancy: r.Occupancy, PausedByReason: r.PausedByReason}
		out[r.Agent+" "+r.Queue+" "+r.Day] = f
	}
	for k, d := range disp {
		f := out[k]
		f.Dispositions, f.Resolved = d[0], d[1]
		out[k] = f
		agent, rest, _ := strings.Cut(k, " ")
		_, day, _ := strings.Cut(rest, " ")
		all := out[agent+" * "+day]
		all.Dispositions += d[0]
		all.Resolved += d[1]
		out[agent+" * "+day] = all
	}
	return out
}

// agentViewFigs reads agent_day as a BI tool does.
func agentViewFigs(t *testing.T, environ []string) map[string]agentFig {
	t.Helper()
	conn := openView(t, environ)
	rows, err := conn.Query(context.Background(), `SELECT agent, queue, period_start_local, answered, talk_s, max_talk_s, transferred,
    ring_noanswer, ring_noanswer_s, ring_canceled, dispositions, resolved_first_contact,
    logged_in_s, in_call_s, paused_s, available_s, stale_sessions, occupancy, pause_reasons, pause_reason_s
FROM agent_day`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]agentFig{}
	for rows.Next() {
		var (
			agent, queue, start                  string
			answered, talk, maxTalk, tr, rna, rc uint64
			disp, res                            uint64
			ringS                                float64
			logged, inCall, paused, stale        *uint64
			avail                                *int64
			occ                                  *float64
			reasons                              []string
			secs                                 []uint64
		)
		if err := rows.Scan(&agent, &queue, &start, &answered, &talk, &maxTalk, &tr, &rna, &ringS, &rc, &disp, &res,
			&logged, &inCall, &paused, &avail, &stale, &occ, &reasons, &secs); err != nil {
			t.Fatal(err)
		}
		f := agentFig{Answered: int(answered), TalkS: int(talk), MaxTalkS: int(maxTalk), Transferred: int(tr), RingNoAnswer: int(rna),
			RingNoAnswerS: ringS, RingCanceled: int(rc), Dispositions: int(disp), Resolved: int(res), Occupancy: occ}
		u := func(v *uint64) *int {
			if v == nil {
				return nil
			}
			return intp(float64(*v))
		}
		f.LoggedInS, f.InCallS, f.PausedS, f.StaleSessions = u(logged), u(inCall), u(paused), u(stale)
		if avail != nil {
			f.AvailableS = intp(float64(*avail))
		}
		for i, r := range reasons {
			if f.PausedByReason == nil {
				f.PausedByReason = map[string]int{}
			}
			f.PausedByReason[r] = int(secs[i])
		}
		out[agent+" "+queue+" "+start[:10]] = f
	}
	return out
}

// apiFigs reads GET /v1/agents per day, a row per queue too.
func apiFigs(t *testing.T, base, token string) map[string]agentFig {
	t.Helper()
	req, _ := http.NewRequest("GET", base+"/v1/agents?period=day&from=2025-10-26&to=2025-11-02&queues=1", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var rows []struct {
		Agent, Queue                           string
		PeriodStart                            string         `json:"period_start"`
		Answered, TalkS, MaxTalkS, Transferred int            `json:"-"`
		A                                      int            `json:"answered"`
		T                                      int            `json:"talk_s"`
		M                                      int            `json:"max_talk_s"`
		Tr                                     int            `json:"transferred"`
		RNA                                    int            `json:"ring_noanswer"`
		RNAS                                   float64        `json:"ring_noanswer_s"`
		RC                                     int            `json:"ring_canceled"`
		Disp                                   int            `json:"dispositions"`
		Res                                    int            `json:"resolved_first_contact"`
		Logged                                 *int           `json:"logged_in_s"`
		InCall                                 *int           `json:"in_call_s"`
		Paused                                 *int           `json:"paused_s"`
		Avail                                  *int           `json:"available_s"`
		Stale                                  *int           `json:"stale_sessions"`
		Occ                                    *float64       `json:"occupancy"`
		Reasons                                map[string]int `json:"paused_by_reason"`
	}
	if resp.StatusCode != 200 {
		t.Fatalf("GET /v1/agents: %s", resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(&rows); err != nil {
		t.Fatal(err)
	}
	out := map[string]agentFig{}
	for _, r := range rows {
		f := agentFig{Answered: r.A, TalkS: r.T, MaxTalkS: r.M, Transferred: r.Tr, RingNoAnswer: r.RNA, RingNoAnswerS: r.RNAS, RingCanceled: r.RC,
			Dispositions: r.Disp, Resolved: r.Res, LoggedInS: r.Logged, InCallS: r.InCall, PausedS: r.Paused, AvailableS: r.Avail,
			StaleSessions: r.Stale, Occupancy: r.Occ}
		if len(r.Reasons) > 0 {
			f.PausedByReason = r.Reasons
		}
		out[r.Agent+" "+r.Queue+" "+r.PeriodStart[:10]] = f
	}
	return out
}

// empty says a figure is nothing: what a period without figures shows.
func (f agentFig) empty() bool {
	z := func(v *int) bool { return v == nil || *v == 0 }
	return f.Answered == 0 && f.TalkS == 0 && f.RingNoAnswer == 0 && f.RingCanceled == 0 && f.Dispositions == 0 &&
		z(f.LoggedInS) && z(f.InCallS) && z(f.PausedS) && z(f.StaleSessions) && len(f.PausedByReason) == 0
}

// compareFigs compares what acdstat gives with the truth, both ways;
// extra rows of acdstat must be empty (the API's periods without figures).
func compareFigs(t *testing.T, what string, got, want map[string]agentFig) {
	t.Helper()
	compared := 0
	for _, k := range slices.Sorted(maps.Keys(want)) {
		w := want[k]
		g, ok := got[k]
		if !ok {
			t.Errorf("%s: no row %s; want %s", what, k, w)
			continue
		}
		if g.String() != w.String() {
			t.Errorf("%s %s:\n got %s\nwant %s", what, k, g, w)
		}
		compared++
	}
	for k, g := range got {
		// The night agent's first and last sessions reach into the days
		// before and after the simulated week, which its truth leaves out.
		if day := k[len(k)-10:]; day < "2025-10-26" || day > "2025-11-01" {
			continue
		}
		if _, ok := want[k]; !ok && !g.empty() {
			t.Errorf("%s: row %s %s is not in the truth", what, k, g)
		}
	}
	t.Logf("%s: %d rows of agents, queues and days equal the simulator's truth", what, compared)
}

// TestAgentFiguresEqualTheSimulatorsTruth ingests a simulated week with
// agents, as a switch would send it, and checks every agent figure per
// agent, queue and day against the simulator's own truth, through the
// view agent_day and GET /v1/agents: the main switch's log first as files
// with a tenth of its lines held back, then all of it again (repeats, and
// the late lines) as an export of the queue_log table; the second switch
// (where one agent also works, joined by the agent map) as a file; and
// dispositions in the log.
func TestAgentFiguresEqualTheSimulatorsTruth(t *testing.T) {
	sim := agentSim(t)
	queues := writeFile(t, "queues.yaml", sim.AgentMap())
	environ := testEnv(t, "ACDSTAT_QUEUES="+queues, "ACDSTAT_AGENT_TOKEN=agent-s3cret", "ACDSTAT_READ_TOKEN=read-s3cret")
	disp, wantDisp := dispositionLines(sim)
	lines := sim.Lines()
	rng := rand.New(rand.NewPCG(5, 8))
	var first []simulate.Line
	for _, l := range lines {
		if rng.IntN(10) != 0 {
			first = append(first, l)
		}
	}
	runCmd(t, environ, "ingest", "--format", "queue_log", writeLines(t, "first", first))
	runCmd(t, environ, "ingest", "--format", "queue_log", "--switch", "default-2", writeLines(t, "second-switch", sim.LinesOf("default-2")))
	runCmd(t, environ, "rollup")
	runCmd(t, environ, "ingest", "--format", "queue_log_db", "--tz", "UTC", tableExport(t, "all.csv", append(lines, disp...)))
	out := runCmd(t, environ, "rollup")
	if !strings.Contains(out, "agent figures:") {
		t.Errorf("rollup does not count agents:\n%s", out)
	}
	want := truthFigs(sim, wantDisp)
	compareFigs(t, "agent_day", agentViewFigs(t, environ), want)

	startServe(t, environ)
	compareFigs(t, "GET /v1/agents", apiFigs(t, "http://"+envValue(environ, "ACDSTAT_HTTP_ADDR"), "agent-s3cret"), want)

	// acdstat report --agents gives the API's rows.
	var rep []map[string]any
	if err := json.Unmarshal([]byte(runCmd(t, environ, "report", "--agents", "--period", "month", "--from", "2025-10-01", "--to", "2025-11-01", "--format", "json")), &rep); err != nil {
		t.Fatal(err)
	}
	var anna map[string]any
	for _, r := range rep {
		if r["agent"] == "anna" {
			anna = r
		}
	}
	annaOct := 0
	for k, f := range want {
		if strings.HasPrefix(k, "anna * 2025-10") {
			annaOct += f.Answered
		}
	}
	if anna == nil || anna["display"] != "Anna Jensen" || int(anna["answered"].(float64)) != annaOct {
		t.Errorf("report --agents, anna in October: %v; want %d answered", anna, annaOct)
	}
	if reflect.DeepEqual(want, map[string]agentFig{}) {
		t.Fatal("the truth is empty")
	}
}

// agentPrivacyLog is a small day: anna (mapped, PJSIP/1001 of pbx1) and
// PJSIP/1002 (not in the map) log in, answer a call each and log off.
func agentPrivacyLog(t *testing.T) string {
	t.Helper()
	t0 := time.Date(2025, 10, 28, 8, 0, 0, 0, time.UTC).Unix()
	return writeFile(t, "queue_log", fmt.Sprintf(`%[1]d|MANAGER|servicedesk|PJSIP/1001|ADDMEMBER|
%[1]d|MANAGER|servicedesk|PJSIP/1002|ADDMEMBER|
%[2]d|c1.1|servicedesk|NONE|ENTERQUEUE||4511|1
%[3]d|c1.1|servicedesk|PJSIP/1001|CONNECT|10|c1.2|2
%[4]d|c1.1|servicedesk|PJSIP/1001|COMPLETECALLER|10|300|1
%[2]d|c2.1|servicedesk|NONE|ENTERQUEUE||4512|1
%[3]d|c2.1|servicedesk|PJSIP/1002|CONNECT|10|c2.2|2
%[4]d|c2.1|servicedesk|PJSIP/1002|COMPLETECALLER|10|300|1
%[5]d|MANAGER|servicedesk|PJSIP/1001|REMOVEMEMBER|
%[5]d|MANAGER|servicedesk|PJSIP/1002|REMOVEMEMBER|
`, t0, t0+3600, t0+3610, t0+3910, t0+4*3600))
}

const annaQueues = "agents:\n  anna:\n    name: Anna Jensen\n    names: {pbx1: [PJSIP/1001]}\n"

// getWith answers a GET with a bearer token ("" for none).
func getWith(t *testing.T, url, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	if _, err := io.Copy(&b, resp.Body); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b.String()
}

// TestAgentFiguresHaveTheirOwnToken: over HTTP, the agent figures open to
// the agent token alone; the read token of the queue figures is refused
// on them, and the agent token on the queue figures; with a read token and
// no agent token, nothing opens them.
func TestAgentFiguresHaveTheirOwnToken(t *testing.T) {
	environ := testEnv(t, "ACDSTAT_QUEUES="+writeFile(t, "queues.yaml", annaQueues), "ACDSTAT_READ_TOKEN=read-s3cret", "ACDSTAT_AGENT_TOKEN=agent-s3cret")
	runCmd(t, environ, "ingest", "--format", "queue_log", "--switch", "pbx1", agentPrivacyLog(t))
	runCmd(t, environ, "rollup")
	startServe(t, environ)
	base := "http://" + envValue(environ, "ACDSTAT_HTTP_ADDR")
	agents := base + "/v1/agents?period=day&from=2025-10-28&to=2025-10-29"
	for _, tc := range []struct {
		url, token string
		want       int
	}{
		{agents, "", 401},
		{agents, "read-s3cret", 403},
		{agents, "agent-s3cret", 200},
		{base + "/agents?month=2025-10", "read-s3cret", 403},
		{base + "/agents?month=2025-10", "agent-s3cret", 200},
		{base + "/v1/report?queue=servicedesk&from=2025-10-01&to=2025-11-01", "agent-s3cret", 403},
		{base + "/v1/report?queue=servicedesk&from=2025-10-01&to=2025-11-01", "read-s3cret", 200},
	} {
		if got, body := getWith(t, tc.url, tc.token); got != tc.want {
			t.Errorf("GET %s with %q: %d; want %d: %.300s", tc.url, tc.token, got, tc.want, body)
		}
	}
	_, body := getWith(t, agents, "agent-s3cret")
	if !strings.Contains(body, `"agent": "anna"`) || !strings.Contains(body, `"agent": "pbx1/PJSIP/1002"`) {
		t.Errorf("the agent token reads no agents: %s", body)
	}

	// A read token and no agent token: agent figures are closed to all.
	environ = testEnv(t, "ACDSTAT_READ_TOKEN=read-s3cret")
	startServe(t, environ)
	code, body := getWith(t, "http://"+envValue(environ, "ACDSTAT_HTTP_ADDR")+"/v1/agents", "read-s3cret")
	if code != 403 || !strings.Contains(body, "ACDSTAT_AGENT_TOKEN") {
		t.Errorf("without an agent token: %d %s; want 403 naming ACDSTAT_AGENT_TOKEN", code, body)
	}
}

// TestAgentPseudonyms: with ACDSTAT_AGENT_FIGURES=pseudonymous, what the
// API and the views give names agents by the keyed hash of their ids, and
// shows only the display names of the map: no interface, no map id.
func TestAgentPseudonyms(t *testing.T) {
	const key = "a key of the staff council 0042"
	environ := testEnv(t, "ACDSTAT_QUEUES="+writeFile(t, "queues.yaml", annaQueues), "ACDSTAT_AGENT_FIGURES=pseudonymous", "ACDSTAT_AGENT_HASH_KEY="+key)
	runCmd(t, environ, "ingest", "--format", "queue_log", "--switch", "pbx1", agentPrivacyLog(t))
	runCmd(t, environ, "rollup")
	startServe(t, environ)
	// The test's own HMAC-SHA256, as METRICS.md defines the pseudonym.
	pseudonym := func(id string) string {
		m := hmac.New(sha256.New, []byte(key))
		m.Write([]byte(id))
		return "a-" + hex.EncodeToString(m.Sum(nil))[:12]
	}
	code, body := getWith(t, "http://"+envValue(environ, "ACDSTAT_HTTP_ADDR")+"/v1/agents?period=day&from=2025-10-28&to=2025-10-29", "")
	var rows []map[string]any
	if err := json.Unmarshal([]byte(body), &rows); err != nil || code != 200 {
		t.Fatalf("GET /v1/agents: %d %v %s", code, err, body)
	}
	got := map[string]string{}
	for _, r := range rows {
		got[r["agent"].(string)] = r["display"].(string)
	}
	want := map[string]string{pseudonym("anna"): "Anna Jensen", pseudonym("pbx1/PJSIP/1002"): pseudonym("pbx1/PJSIP/1002")}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("agents %v; want %v", got, want)
	}
	for _, leak := range []string{"PJSIP", `"anna"`, "1001", "1002"} {
		if strings.Contains(body, leak) {
			t.Errorf("the API shows %q: %s", leak, body)
		}
	}
	_, page := getWith(t, "http://"+envValue(environ, "ACDSTAT_HTTP_ADDR")+"/agents?month=2025-10", "")
	if strings.Contains(page, "PJSIP") || !strings.Contains(page, "Anna Jensen") || !strings.Contains(page, pseudonym("pbx1/PJSIP/1002")) {
		t.Errorf("the agent page shows an interface, or not the names it should:\n%.3000s", page)
	}
	conn := openView(t, environ)
	var n, named uint64
	if err := conn.QueryRow(context.Background(), "SELECT count(), countIf(agent LIKE 'a-%' AND display NOT LIKE '%PJSIP%') FROM agent_rollup_15m").Scan(&n, &named); err != nil {
		t.Fatal(err)
	}
	if n == 0 || n != named {
		t.Errorf("agent rows: %d, %d of them by pseudonym; want all", n, named)
	}
}

// TestAgentFiguresOff: with ACDSTAT_AGENT_FIGURES=off nothing of agents is
// computed or stored, and the agent endpoints say so.
func TestAgentFiguresOff(t *testing.T) {
	environ := testEnv(t, "ACDSTAT_AGENT_FIGURES=off")
	runCmd(t, environ, "ingest", "--format", "queue_log", "--switch", "pbx1", agentPrivacyLog(t))
	if out := runCmd(t, environ, "rollup"); strings.Contains(out, "agent figures") {
		t.Errorf("rollup counted agents:\n%s", out)
	}
	conn := openView(t, environ)
	for _, table := range []string{"agent_events", "agent_touches", "agent_rollup_15m"} {
		var n uint64
		if err := conn.QueryRow(context.Background(), "SELECT count() FROM "+table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("%s holds %d rows; want none while agent figures are off", table, n)
		}
	}
	startServe(t, environ)
	for _, path := range []string{"/v1/agents", "/agents"} {
		if code, body := getWith(t, "http://"+envValue(environ, "ACDSTAT_HTTP_ADDR")+path, ""); code != 404 || !strings.Contains(body, "ACDSTAT_AGENT_FIGURES=off") {
			t.Errorf("GET %s: %d %.200s; want 404 saying agent figures are off", path, code, body)
		}
	}
	if err := run(context.Background(), testProcess(environ, io.Discard, io.Discard), []string{"report", "--agents"}); err == nil || !strings.Contains(err.Error(), "turned off") {
		t.Errorf("report --agents: %v; want an error saying they are off", err)
	}
}

// TestFreeSWITCHAgentsHaveTheirCalls: the agent of a FreeSWITCH call
// (cc_agent) is an agent with its calls and time on calls; mod_callcenter
// writes no sessions, so its logged-in time is unknown. The agents' calls
// of each queue and day add up to the simulator's answered calls.
func TestFreeSWITCHAgentsHaveTheirCalls(t *testing.T) {
	cfg := simulate.DefaultConfig()
	cfg.Days, cfg.CallsPerDay, cfg.Seed = 2, 150, 31
	sim, err := simulate.Generate(cfg)
	if err != nil {
		t.Fatal(err)
	}
	environ := testEnv(t)
	var buf strings.Builder
	if err := sim.WriteFreeSWITCH(&buf); err != nil {
		t.Fatal(err)
	}
	runCmd(t, environ, "ingest", "--format", "freeswitch_json", writeFile(t, "cdrs.json", buf.String()))
	runCmd(t, environ, "rollup")
	loc := simulate.Copenhagen()
	want := map[string][2]int{}
	for _, c := range sim.FreeSWITCHTruth().Calls {
		if c.Outcome == simulate.OutcomeAnswered {
			k := c.Queue + " " + c.Enter.In(loc).Format(time.DateOnly)
			want[k] = [2]int{want[k][0] + 1, want[k][1] + c.TalkS}
		}
	}
	got := map[string][2]int{}
	agents := 0
	for k, f := range agentViewFigs(t, environ) {
		agent, rest, _ := strings.Cut(k, " ")
		queue, day, _ := strings.Cut(rest, " ")
		if !strings.HasPrefix(agent, "default/") || !strings.HasSuffix(agent, "@default") {
			t.Errorf("agent %s: want a cc_agent of switch default", agent)
		}
		if queue == "*" {
			agents++
			if f.LoggedInS != nil || f.InCallS == nil || *f.InCallS == 0 || *f.InCallS > f.TalkS {
				t.Errorf("%s: %s; want logged-in time unknown and time on calls up to the talk", k, f)
			}
			continue
		}
		g := got[queue+" "+day]
		got[queue+" "+day] = [2]int{g[0] + f.Answered, g[1] + f.TalkS}
	}
	if agents == 0 || !reflect.DeepEqual(got, want) {
		t.Errorf("answered and talk per queue and day by the agents (%d agent-days):\n got %v\nwant %v", agents, got, want)
	}
}
