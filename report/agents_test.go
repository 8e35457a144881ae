package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/acdstat/acdstat/cdr"
)

func TestBuildAgents(t *testing.T) {
	cph, _ := time.LoadLocation("Europe/Copenhagen")
	day := func(d int) time.Time { return time.Date(2025, 10, 26+d, 0, 0, 0, 0, cph) }
	sums := []cdr.AgentPeriod{
		{Agent: "anna", Display: "Anna Jensen", TZ: "Europe/Copenhagen", Queue: "*", Start: day(1).UTC(), Versions: []string{"v1"},
			Counts: cdr.AgentCounts{Answered: 3, TalkS: 600, MaxTalkS: 300, Dispositions: 2, ResolvedFirstContact: 1, RingNoAnswerMs: 2500, RingNoAnswer: 2,
				LoggedInS: 28800, InCallS: 7200, PausedS: 3600, PausedByReason: map[string]uint64{"lunch": 1800, "": 1800}, StaleSessions: 1}},
		{Agent: "anna", Display: "Anna Jensen", TZ: "Europe/Copenhagen", Queue: "sd", Start: day(1).UTC(), Counts: cdr.AgentCounts{Answered: 3, TalkS: 600, MaxTalkS: 300}},
		{Agent: "pbx1/PJSIP/1999", Display: "PJSIP/1999", TZ: "Europe/Copenhagen", Queue: "*", Start: day(0).UTC(),
			Counts: cdr.AgentCounts{Answered: 1, TalkS: 60, InCallS: 60, LoginUnknown: true}},
	}
	// From noon of the first day to the end of the third: the first row
	// is partial.
	rows, err := BuildAgents(sums, cdr.PeriodDay, day(0).Add(12*time.Hour), day(3), cph, true)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rows {
		got = append(got, r.Agent+" "+r.Queue+" "+r.PeriodStart.Format("01-02"))
	}
	want := "anna * 10-26|anna * 10-27|anna * 10-28|anna sd 10-26|anna sd 10-27|anna sd 10-28|pbx1/PJSIP/1999 * 10-26|pbx1/PJSIP/1999 * 10-27|pbx1/PJSIP/1999 * 10-28"
	if strings.Join(got, "|") != want {
		t.Fatalf("rows %v; want %s", got, want)
	}
	a := rows[1]
	if a.Answered != 3 || *a.AvgTalk != 200 || *a.FCRRate != 0.5 || a.RingNoAnswerS != 2.5 || *a.LoggedInS != 28800 || *a.AvailableS != 25200 ||
		*a.Occupancy != 7200.0/25200 || a.PausedByReason["lunch"] != 1800 || *a.StaleSessions != 1 || *a.SettingsVersion != "v1" || a.Partial {
		t.Errorf("anna on the 27th: %+v", a)
	}
	if z := rows[0]; !z.Partial || !z.CountedFrom.Equal(day(0).Add(12*time.Hour)) || *z.LoggedInS != 0 || z.Occupancy != nil || z.AvgTalk != nil || z.SettingsVersion != nil {
		t.Errorf("anna on the 26th, part of it, without figures: %+v", z)
	}
	if q := rows[4]; q.Answered != 3 || q.LoggedInS != nil || q.PausedS != nil || q.Occupancy != nil || q.PausedByReason != nil {
		t.Errorf("anna's queue sd: %+v; want the calls and no time figures", q)
	}
	if s := rows[6]; s.LoggedInS != nil || s.AvailableS != nil || s.Occupancy != nil || *s.InCallS != 60 {
		t.Errorf("a static member: %+v; want the logged-in time unknown", s)
	}
	rows, err = BuildAgents(sums, cdr.PeriodDay, day(0), day(3), cph, false)
	if err != nil || len(rows) != 6 {
		t.Errorf("without the queues: %d rows, %v; want 6", len(rows), err)
	}

	var b bytes.Buffer
	if err := WriteAgentsJSON(&b, rows[:1]); err != nil {
		t.Fatal(err)
	}
	var js []map[string]any
	if err := json.Unmarshal(b.Bytes(), &js); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"agent", "display", "queue", "period", "period_start", "answered", "talk_s", "avg_talk_s", "max_talk_s", "transferred",
		"dispositions", "resolved_first_contact", "fcr_rate", "ring_noanswer", "ring_noanswer_s", "ring_canceled", "logged_in_s", "in_call_s",
		"paused_s", "paused_by_reason", "available_s", "occupancy", "stale_sessions", "settings_version", "partial", "counted_from", "counted_to"} {
		if _, ok := js[0][f]; !ok {
			t.Errorf("JSON lacks %s: %s", f, b.String())
		}
	}
	if js[0]["period_start"] != "2025-10-26T00:00:00+02:00" {
		t.Errorf("period_start %v; want local with its offset", js[0]["period_start"])
	}
}

func TestBuildAgentsRefusesSumsOffTheGrid(t *testing.T) {
	sums := []cdr.AgentPeriod{{Agent: "a", TZ: "UTC", Queue: "*", Start: time.Date(2025, 10, 27, 5, 0, 0, 0, time.UTC)}}
	if _, err := BuildAgents(sums, cdr.PeriodDay, time.Date(2025, 10, 27, 0, 0, 0, 0, time.UTC), time.Date(2025, 10, 28, 0, 0, 0, 0, time.UTC), time.UTC, false); err == nil {
		t.Errorf("a sum at 05:00 of a day: no error")
	}
}

func TestWriteAgentsCSVAndTable(t *testing.T) {
	rows, err := BuildAgents([]cdr.AgentPeriod{{Agent: "=cmd", Display: "=cmd", TZ: "UTC", Queue: "*", Start: time.Date(2025, 10, 27, 0, 0, 0, 0, time.UTC),
		Counts: cdr.AgentCounts{Answered: 1, TalkS: 90, MaxTalkS: 90, LoggedInS: 3600, InCallS: 90, PausedS: 60, PausedByReason: map[string]uint64{"=x": 60}}}},
		cdr.PeriodDay, time.Date(2025, 10, 27, 0, 0, 0, 0, time.UTC), time.Date(2025, 10, 28, 0, 0, 0, 0, time.UTC), time.UTC, false)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := WriteAgentsCSV(&b, rows); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "agent,display,queue,period,period_start,answered") || !strings.HasPrefix(lines[1], "'=cmd,'=cmd,*,day,2025-10-27T00:00:00Z,1,90,90,90,") ||
		!strings.Contains(lines[1], ",3600,90,60,'=x=60,3540,") {
		t.Errorf("CSV:\n%s", b.String())
	}
	b.Reset()
	if err := WriteAgentsTable(&b, rows); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Agents, per day, 2025-10-27 to 2025-10-27", "Answered", "1:00", "1:30", "2.5 %"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, b.String())
		}
	}
}
