package httpapi

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/acdstat/acdstat/cdr"
)

// TestAgentLabelsAreCompleteInEveryLanguage: the agent page's labels, as
// TestLabelsAreCompleteInEveryLanguage checks the dashboard's.
func TestAgentLabelsAreCompleteInEveryLanguage(t *testing.T) {
	en := agentLabels["en"]
	same := map[string]bool{"none": true}
	for lang, l := range agentLabels {
		if got, want := slices.Sorted(maps.Keys(l)), slices.Sorted(maps.Keys(en)); !slices.Equal(got, want) {
			t.Errorf("%s has labels %v; want those of en, %v", lang, got, want)
		}
		for k, v := range l {
			if strings.TrimSpace(v) == "" {
				t.Errorf("%s %s is empty", lang, k)
			}
			if lang != "en" && v == en[k] && !same[k] {
				t.Errorf("%s %s is the English %q", lang, k, v)
			}
		}
		if n := len(strings.Fields(l["months"])); n != 12 {
			t.Errorf("%s has %d months", lang, n)
		}
	}
}

// fakeAgents answers every read with sums and records what was asked.
type fakeAgents struct {
	sums     []cdr.AgentPeriod
	period   string
	from, to time.Time
}

func (f *fakeAgents) AgentPeriods(_ context.Context, period string, from, to time.Time, _ string) ([]cdr.AgentPeriod, error) {
	f.period, f.from, f.to = period, from, to
	return f.sums, nil
}

type fixed struct{ s *cdr.Settings }

func (f fixed) Settings(context.Context) (*cdr.Settings, error) { return f.s, nil }

func agentMux(t *testing.T, src AgentReader, off bool) *http.ServeMux {
	t.Helper()
	now := func() time.Time { return time.Date(2025, 11, 3, 12, 0, 0, 0, time.UTC) }
	api := NewAgentAPI(src, fixed{&cdr.Settings{}}, slog.New(slog.NewTextHandler(io.Discard, nil)), now, nil, off)
	mux := http.NewServeMux()
	api.Register(mux)
	return mux
}

func TestAgentsAPIAndPage(t *testing.T) {
	cph, _ := time.LoadLocation("Europe/Copenhagen")
	oct := time.Date(2025, 10, 1, 0, 0, 0, 0, cph)
	src := &fakeAgents{sums: []cdr.AgentPeriod{
		{Agent: "anna", Display: "Anna Jensen", TZ: "Europe/Copenhagen", Queue: "*", Start: oct.UTC(), Versions: []string{"v1"},
			Counts: cdr.AgentCounts{Answered: 40, TalkS: 12000, MaxTalkS: 900, LoggedInS: 100000, InCallS: 12000, PausedS: 20000,
				PausedByReason: map[string]uint64{"lunch": 18000, "": 2000}}},
		{Agent: "anna", Display: "Anna Jensen", TZ: "Europe/Copenhagen", Queue: "sd", Start: oct.UTC(), Counts: cdr.AgentCounts{Answered: 40, TalkS: 12000, MaxTalkS: 900}},
		{Agent: "pbx1/PJSIP/1999", Display: "PJSIP/1999", TZ: "Europe/Copenhagen", Queue: "*", Start: oct.UTC(),
			Counts: cdr.AgentCounts{Answered: 3, TalkS: 300, MaxTalkS: 200, InCallS: 300, LoginUnknown: true}},
	}}
	mux := agentMux(t, src, false)
	get := func(u string) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, httptest.NewRequest(http.MethodGet, u, nil))
		return w
	}
	w := get("/v1/agents?period=month&from=2025-10-01&to=2025-11-01&queues=1")
	var rows []map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &rows); err != nil || w.Code != 200 {
		t.Fatalf("GET /v1/agents: %d %v %s", w.Code, err, w.Body)
	}
	if len(rows) != 3 || rows[0]["agent"] != "anna" || rows[0]["queue"] != "*" || rows[0]["occupancy"].(float64) != 0.15 ||
		rows[1]["queue"] != "sd" || rows[1]["logged_in_s"] != nil || rows[2]["logged_in_s"] != nil || rows[2]["in_call_s"].(float64) != 300 {
		t.Errorf("rows: %v", rows)
	}
	if src.period != "month" || !src.from.Equal(oct) {
		t.Errorf("read %s from %v; want month from %v (the agents' zone)", src.period, src.from, oct)
	}
	if w := get("/v1/agents?period=week"); w.Code != 400 || !strings.Contains(w.Body.String(), "period must be one of") {
		t.Errorf("a bad period: %d %s", w.Code, w.Body)
	}
	if w := get("/v1/agents?period=month&from=2025-10-01&to=2025-11-01&format=csv"); w.Code != 200 || !strings.HasPrefix(w.Body.String(), "agent,display,queue,period") {
		t.Errorf("CSV: %d %s", w.Code, w.Body)
	}

	w = get("/agents?month=2025-10&lang=da")
	body := w.Body.String()
	if w.Code != 200 || !strings.Contains(body, `lang="da"`) || !strings.Contains(body, "Belægning") || !strings.Contains(body, "oktober 2025") {
		t.Fatalf("the Danish agent page: %d\n%.2000s", w.Code, body)
	}
	for _, want := range []string{`<tr data-agent="anna"><td translate="no">Anna Jensen</td>`, `data-field="occupancy" data-value="0.15"`,
		`data-field="logged_in_s" data-value="">ukendt</td>`, "uden årsag 33:20", `data-chart="answered"`, `data-chart="occupancy"`} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %q", want)
		}
	}

	off := agentMux(t, src, true)
	for _, u := range []string{"/v1/agents", "/agents"} {
		w := httptest.NewRecorder()
		off.ServeHTTP(w, httptest.NewRequest(http.MethodGet, u, nil))
		if w.Code != 404 || !strings.Contains(w.Body.String(), "ACDSTAT_AGENT_FIGURES=off") {
			t.Errorf("%s with agent figures off: %d %s", u, w.Code, w.Body)
		}
	}
}
