// Package simulate is a synthetic ACD: an Asterisk app_queue that writes a
// realistic queue_log together with its own ground truth, for demos, load
// runs and end-to-end checks of the figures in METRICS.md.
//
// The ground truth is computed from the simulated calls themselves (the
// model that the lines are printed from), never by parsing the lines, and
// this package imports the standard library only: a bug in acdstat's decoder
// or queue-call builder cannot hide in both sides of a comparison. A test
// enforces the import rule with go list -deps.
//
// Generate builds a Sim from a Config; Sim.WriteQueueLog and Sim.WriteTruth
// write the two sides; Send posts lines to an acdstat ingest endpoint and
// Replay plays a simulated day in real time.
package simulate

import (
	"fmt"
	"time"

	// The default zone (Europe/Copenhagen) must load on machines without a
	// zoneinfo database (scratch containers, Windows); the embedded copy is
	// only used when the system has none.
	_ "time/tzdata"
)

// MinuteRange is a half-open span of local clock time, in minutes after local
// midnight: {480, 960} means 08:00:00 up to but not including 16:00:00.
type MinuteRange struct {
	From, To int
}

// Queue is one simulated desk.
type Queue struct {
	// Name is the queue name written in the queue_log.
	Name string
	// Extension is the dialplan extension that reaches the queue; agents
	// use it as BLINDTRANSFER data1. Empty means "70<index+1>".
	Extension string
	// Hours are the opening hours per weekday (index time.Weekday), local
	// clock, half-open. A weekday with no ranges is closed; a queue with no
	// ranges at all is always open (METRICS.md).
	Hours [7][]MinuteRange
	// Closed lists local dates ("2006-01-02") on which the queue is closed.
	Closed []string
	// Agents is the number of members (named PJSIP/<n>); at least 1 is used.
	Agents int
	// MaxWaitS is the queue timeout: a caller still waiting after it leaves
	// with EXITWITHTIMEOUT. 0 means 600.
	MaxWaitS int
	// Weight is the queue's share of the calls relative to the other
	// queues. 0 means 1.
	Weight float64
	// Resolved is the share of the dispositions given in this queue that
	// say resolved at first contact (Config.Dispositions). 0 means 0.7.
	Resolved float64
}

// Config describes one simulation. The zero value of every field but Queues
// has a usable default; see DefaultConfig.
type Config struct {
	// Switch is the name the switch reports under (truth and Send); default
	// "default".
	Switch string
	// Start is the first instant simulated. Days are local calendar days in
	// Location beginning with Start's local date; calls that would join
	// before Start are left out.
	Start time.Time
	// Days is the number of local calendar days; default 1.
	Days int
	// CallsPerDay is the number of ordinary callers on a weekday; weekend
	// days get a twentieth of it (at least one). The edge-case scenarios
	// (see Generate) come on top. Default 400.
	CallsPerDay int
	// OutOfHoursShare is the share of weekday callers who arrive while their
	// queue is closed; default 0.06.
	OutOfHoursShare float64
	// Queues are the desks. Empty means the three desks of DefaultConfig.
	Queues []Queue
	// Location is the switch's time zone and the queues' zone (opening
	// hours, periods); default Europe/Copenhagen.
	Location *time.Location
	// Seed makes the run deterministic: the same Config gives
	// byte-identical output.
	Seed int64
	// NoEdgeCases leaves out the scripted edge cases (exact SLA waits,
	// short abandons, transfers, month and daylight-saving boundaries).
	NoEdgeCases bool
	// Dispositions is the share of answered calls whose agent gives a
	// disposition (first-contact resolution, METRICS.md) after the call:
	// the dialplan writes it into queue_log, on the last answered stay of
	// the call, with QueueLog(…,DISPOSITION,1|CODE) (0 when not resolved).
	// 0, the default, writes none: the lines of a configuration made
	// before dispositions existed stay the same.
	Dispositions float64
	// Agents simulates the agents too (agents.go): sessions, pauses, rings
	// and who answers, a static member per desk, a night agent logged in
	// across midnight, an agent in two desks and one person on two
	// switches, with the truth of every agent figure (Truth.Agents). The
	// calls are those of the same Config without it; only their agents,
	// the member lines and the second switch's lines differ.
	Agents bool
}

// Copenhagen returns the Europe/Copenhagen zone. The zone database is
// embedded (time/tzdata), so the error path is unreachable in practice; UTC
// is returned rather than panicking should it ever be reached.
func Copenhagen() *time.Location {
	loc, err := time.LoadLocation("Europe/Copenhagen")
	if err != nil {
		return time.UTC
	}
	return loc
}

// HospitalHours returns the first customer's opening hours: Monday to
// Thursday 08:00–16:00, Friday 08:00–15:00, closed at weekends.
func HospitalHours() [7][]MinuteRange {
	var h [7][]MinuteRange
	for d := time.Monday; d <= time.Thursday; d++ {
		h[d] = []MinuteRange{{8 * 60, 16 * 60}}
	}
	h[time.Friday] = []MinuteRange{{8 * 60, 15 * 60}}
	return h
}

// DefaultConfig returns the first customer's shape: one IVR in front of
// three desks, "servicedesk" (Servicedesk), "klinisk" (Klinisk Servicedesk)
// and "sp_helpdesk" (SP Helpdesk), with the hospital's hours and a 600 s
// queue timeout, in Europe/Copenhagen. The range is the seven local days
// from Sunday 26 October 2025 (the autumn daylight-saving change, a 25-hour
// day) to Saturday 1 November 2025 (a month boundary); no Danish public
// holiday falls in it.
func DefaultConfig() Config {
	loc := Copenhagen()
	return Config{
		Switch:          "default",
		Start:           time.Date(2025, time.October, 26, 0, 0, 0, 0, loc),
		Days:            7,
		CallsPerDay:     400,
		OutOfHoursShare: 0.06,
		Location:        loc,
		Seed:            1,
		Queues:          defaultQueues(),
	}
}

func defaultQueues() []Queue {
	return []Queue{
		// The clinical desk resolves fewer calls at once than its 60 %
		// target in some months: its chart shows both sides of it.
		{Name: "servicedesk", Extension: "7001", Hours: HospitalHours(), Agents: 8, MaxWaitS: 600, Weight: 6, Resolved: 0.72},
		{Name: "klinisk", Extension: "7002", Hours: HospitalHours(), Agents: 4, MaxWaitS: 600, Weight: 3, Resolved: 0.6},
		{Name: "sp_helpdesk", Extension: "7003", Hours: HospitalHours(), Agents: 2, MaxWaitS: 600, Weight: 1, Resolved: 0.66},
	}
}

// withDefaults fills the zero fields and checks the rest.
func (c Config) withDefaults() (Config, error) {
	if c.Switch == "" {
		c.Switch = "default"
	}
	if c.Location == nil {
		c.Location = Copenhagen()
	}
	if c.Days <= 0 {
		c.Days = 1
	}
	if c.CallsPerDay < 0 {
		return c, fmt.Errorf("simulate: negative calls per day %d", c.CallsPerDay)
	}
	if c.CallsPerDay == 0 {
		c.CallsPerDay = 400
	}
	if c.OutOfHoursShare <= 0 || c.OutOfHoursShare > 1 {
		c.OutOfHoursShare = 0.06
	}
	if c.Dispositions < 0 || c.Dispositions > 1 {
		return c, fmt.Errorf("simulate: dispositions share %v is not between 0 and 1", c.Dispositions)
	}
	if c.Start.IsZero() {
		return c, fmt.Errorf("simulate: no start time")
	}
	if len(c.Queues) == 0 {
		c.Queues = defaultQueues()
	}
	qs := make([]Queue, len(c.Queues))
	seen := map[string]bool{}
	for i, q := range c.Queues {
		if q.Name == "" || q.Name == "NONE" {
			return c, fmt.Errorf("simulate: queue %d: bad name %q", i, q.Name)
		}
		if seen[q.Name] {
			return c, fmt.Errorf("simulate: queue %q twice", q.Name)
		}
		seen[q.Name] = true
		if q.Extension == "" {
			q.Extension = fmt.Sprintf("70%d", i+1)
		}
		if q.Agents <= 0 {
			q.Agents = 1
		}
		if q.MaxWaitS <= 0 {
			q.MaxWaitS = 600
		}
		if q.MaxWaitS < 302 {
			// The scripted 300 s and 301 s answered waits must fit.
			return c, fmt.Errorf("simulate: queue %q: max wait %d s is under 302 s", q.Name, q.MaxWaitS)
		}
		if q.Weight <= 0 {
			q.Weight = 1
		}
		if q.Resolved <= 0 || q.Resolved > 1 {
			q.Resolved = 0.7
		}
		for d, rs := range q.Hours {
			for _, r := range rs {
				if r.From < 0 || r.To > 24*60 || r.From >= r.To {
					return c, fmt.Errorf("simulate: queue %q: bad hours %v on %s", q.Name, r, time.Weekday(d))
				}
			}
		}
		qs[i] = q
	}
	c.Queues = qs
	return c, nil
}

// open reports whether q is open at t: t's local clock in q's hours for its
// local weekday, and its local date not closed. A queue with no hours is
// always open. Local clock means that on the autumn daylight-saving day both
// 02:30s are the same minute of the day.
func (q *Queue) open(t time.Time, loc *time.Location) bool {
	lt := t.In(loc)
	date := lt.Format(time.DateOnly)
	for _, d := range q.Closed {
		if d == date {
			return false
		}
	}
	any := false
	for _, rs := range q.Hours {
		if len(rs) > 0 {
			any = true
			break
		}
	}
	if !any {
		return true
	}
	m := lt.Hour()*60 + lt.Minute()
	for _, r := range q.Hours[lt.Weekday()] {
		if r.From <= m && m < r.To {
			return true
		}
	}
	return false
}
