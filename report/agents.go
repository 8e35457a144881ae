package report

import (
	"cmp"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/acdstat/acdstat/cdr"
)

// AgentRow is one row of the agent report (METRICS.md, "The agent row"):
// one agent, one queue (cdr.AgentAllQueues for all its queues, the only
// row with the time figures) and one period. A nil pointer is null.
type AgentRow struct {
	Agent       string    `json:"agent"`
	Display     string    `json:"display"`
	Queue       string    `json:"queue"`
	Period      string    `json:"period"`
	PeriodStart time.Time `json:"period_start"` // local, in the agent's zone

	Answered             uint64   `json:"answered"`
	TalkS                uint64   `json:"talk_s"`
	AvgTalk              *float64 `json:"avg_talk_s"`
	MaxTalkS             uint64   `json:"max_talk_s"`
	Transferred          uint64   `json:"transferred"`
	Dispositions         uint64   `json:"dispositions"`
	ResolvedFirstContact uint64   `json:"resolved_first_contact"`
	FCRRate              *float64 `json:"fcr_rate"`
	RingNoAnswer         uint64   `json:"ring_noanswer"`
	RingNoAnswerS        float64  `json:"ring_noanswer_s"`
	RingCanceled         uint64   `json:"ring_canceled"`

	LoggedInS      *uint64           `json:"logged_in_s"`
	InCallS        *uint64           `json:"in_call_s"`
	PausedS        *uint64           `json:"paused_s"`
	PausedByReason map[string]uint64 `json:"paused_by_reason"`
	AvailableS     *int64            `json:"available_s"`
	Occupancy      *float64          `json:"occupancy"`
	StaleSessions  *uint64           `json:"stale_sessions"`

	// SettingsVersion lists the versions of the queue settings (the agent
	// map) the period was counted with, sorted and joined with ","; nil
	// where nothing was counted.
	SettingsVersion *string `json:"settings_version"`

	// Partial, CountedFrom and CountedTo are those of Row: the part of
	// the period the row counts.
	Partial     bool      `json:"partial"`
	CountedFrom time.Time `json:"counted_from"`
	CountedTo   time.Time `json:"counted_to"`
}

// BuildAgents returns the agent rows of sums (store.AgentPeriods over the
// buckets of [from, to)): for every agent with figures, one row of all its
// queues per period of [from, to) in the agent's zone (its rows' zone; loc
// where it cannot be loaded), and with queues one row per queue of the
// agent and period; periods without figures get zero counts and null
// ratios (and logged_in_s 0 on the all-queues row). Where from or to lies
// inside a period the row is partial, as in Build. Rows are sorted by
// agent, queue (all queues first) and period. A sum not at the start of a
// period of its agent's zone is an error, as in Build.
func BuildAgents(sums []cdr.AgentPeriod, period string, from, to time.Time, loc *time.Location, queues bool) ([]AgentRow, error) {
	type key struct{ agent, queue string }
	byKey := map[key]map[int64]cdr.AgentPeriod{}
	display, zone := map[string]string{}, map[string]string{}
	for _, p := range sums {
		k := key{p.Agent, p.Queue}
		if byKey[k] == nil {
			byKey[k] = map[int64]cdr.AgentPeriod{}
		}
		byKey[k][p.Start.Unix()] = p
		display[p.Agent], zone[p.Agent] = p.Display, p.TZ
		// The all-queues row exists for every agent with figures.
		if all := (key{p.Agent, cdr.AgentAllQueues}); byKey[all] == nil {
			byKey[all] = map[int64]cdr.AgentPeriod{}
		}
	}
	// By agent, then its row of all queues, then its queues.
	rank := func(k key) string {
		if k.queue == cdr.AgentAllQueues {
			return ""
		}
		return "q" + k.queue
	}
	keys := slices.SortedFunc(maps.Keys(byKey), func(a, b key) int {
		return cmp.Or(strings.Compare(a.agent, b.agent), strings.Compare(rank(a), rank(b)))
	})
	var rows []AgentRow
	for _, k := range keys {
		all := k.queue == cdr.AgentAllQueues
		if !all && !queues {
			continue
		}
		aloc := loc
		if l, err := time.LoadLocation(zone[k.agent]); err == nil && zone[k.agent] != "" {
			aloc = l
		}
		start, err := cdr.PeriodStart(period, from, aloc)
		if err != nil {
			return nil, err
		}
		left := maps.Clone(byKey[k])
		for p := start; p.Before(to); {
			if len(rows) == MaxRows {
				return nil, fmt.Errorf("report: more than %d agent rows from %s to %s", MaxRows, from.Format(time.RFC3339), to.Format(time.RFC3339))
			}
			next := cdr.NextPeriod(period, p, aloc)
			if !next.After(p) {
				return nil, errors.New("report: period does not advance")
			}
			sum := left[p.Unix()]
			delete(left, p.Unix())
			r := newAgentRow(k.agent, display[k.agent], k.queue, period, p, &sum)
			r.CountedFrom, r.CountedTo = p, next
			if from.After(p) {
				r.CountedFrom = from.In(aloc)
			}
			if to.Before(next) {
				r.CountedTo = to.In(aloc)
			}
			r.Partial = !r.CountedFrom.Equal(p) || !r.CountedTo.Equal(next)
			rows = append(rows, r)
			p = next
		}
		if len(left) > 0 {
			u := slices.Min(slices.Collect(maps.Keys(left)))
			return nil, fmt.Errorf("report: agent %s: figures at %s are not at the start of a %s in %s; were they counted with another zone? (acdstat rebuild)",
				k.agent, time.Unix(u, 0).In(aloc).Format(time.RFC3339), period, aloc)
		}
	}
	return rows, nil
}

// newAgentRow is the row of one agent, queue and period from its sums.
func newAgentRow(agent, display, queue, period string, start time.Time, p *cdr.AgentPeriod) AgentRow {
	c := &p.Counts
	r := AgentRow{Agent: agent, Display: display, Queue: queue, Period: period, PeriodStart: start,
		Answered: c.Answered, TalkS: c.TalkS, MaxTalkS: c.MaxTalkS, Transferred: c.Transferred,
		Dispositions: c.Dispositions, ResolvedFirstContact: c.ResolvedFirstContact,
		RingNoAnswer: c.RingNoAnswer, RingNoAnswerS: float64(c.RingNoAnswerMs) / 1000, RingCanceled: c.RingCanceled,
	}
	if len(p.Versions) > 0 {
		v := strings.Join(p.Versions, ",")
		r.SettingsVersion = &v
	}
	if c.Answered > 0 {
		v := float64(c.TalkS) / float64(c.Answered)
		r.AvgTalk = &v
	}
	if c.Dispositions > 0 {
		v := float64(c.ResolvedFirstContact) / float64(c.Dispositions)
		r.FCRRate = &v
	}
	if queue != cdr.AgentAllQueues {
		return r // time figures are per agent
	}
	u := func(v uint64) *uint64 { return &v }
	r.InCallS, r.PausedS, r.StaleSessions = u(c.InCallS), u(c.PausedS), u(c.StaleSessions)
	r.PausedByReason = map[string]uint64{}
	for k, v := range c.PausedByReason {
		if v > 0 {
			r.PausedByReason[k] = v
		}
	}
	if !c.LoginUnknown {
		r.LoggedInS = u(c.LoggedInS)
		avail := int64(c.LoggedInS) - int64(c.PausedS)
		r.AvailableS = &avail
		if avail > 0 {
			v := float64(c.InCallS) / float64(avail)
			r.Occupancy = &v
		}
	}
	return r
}

// WriteAgentsJSON writes rows as one JSON array (an empty one for none).
func WriteAgentsJSON(w io.Writer, rows []AgentRow) error {
	if rows == nil {
		rows = []AgentRow{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rows)
}

// agentCSVColumns are the CSV header: the JSON names in their order;
// paused_by_reason is written as reason=seconds pairs joined with ";",
// reasons sorted ("" for none).
var agentCSVColumns = []string{
	"agent", "display", "queue", "period", "period_start",
	"answered", "talk_s", "avg_talk_s", "max_talk_s", "transferred", "dispositions", "resolved_first_contact", "fcr_rate",
	"ring_noanswer", "ring_noanswer_s", "ring_canceled",
	"logged_in_s", "in_call_s", "paused_s", "paused_by_reason", "available_s", "occupancy", "stale_sessions",
	"settings_version", "partial", "counted_from", "counted_to",
}

// WriteAgentsCSV writes rows as CSV with a header of the JSON names; null
// is an empty cell; the text cells (agent, display, queue, reasons) are
// made safe from formulas (SafeCSV).
func WriteAgentsCSV(w io.Writer, rows []AgentRow) error {
	cw := csv.NewWriter(w)
	num := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	fptr := func(v *float64) string {
		if v == nil {
			return ""
		}
		return num(*v)
	}
	uptr := func(v *uint64) string {
		if v == nil {
			return ""
		}
		return strconv.FormatUint(*v, 10)
	}
	u := func(v uint64) string { return strconv.FormatUint(v, 10) }
	if err := cw.Write(agentCSVColumns); err != nil {
		return err
	}
	for i := range rows {
		r := &rows[i]
		var reasons []string
		for _, k := range slices.Sorted(maps.Keys(r.PausedByReason)) {
			reasons = append(reasons, k+"="+u(r.PausedByReason[k]))
		}
		avail, version := "", ""
		if r.AvailableS != nil {
			avail = strconv.FormatInt(*r.AvailableS, 10)
		}
		if r.SettingsVersion != nil {
			version = *r.SettingsVersion
		}
		rec := []string{
			SafeCSV(r.Agent), SafeCSV(r.Display), SafeCSV(r.Queue), r.Period, r.PeriodStart.Format(time.RFC3339),
			u(r.Answered), u(r.TalkS), fptr(r.AvgTalk), u(r.MaxTalkS), u(r.Transferred), u(r.Dispositions), u(r.ResolvedFirstContact), fptr(r.FCRRate),
			u(r.RingNoAnswer), num(r.RingNoAnswerS), u(r.RingCanceled),
			uptr(r.LoggedInS), uptr(r.InCallS), uptr(r.PausedS), SafeCSV(strings.Join(reasons, ";")), avail, fptr(r.Occupancy), uptr(r.StaleSessions),
			version, strconv.FormatBool(r.Partial), r.CountedFrom.Format(time.RFC3339), r.CountedTo.Format(time.RFC3339),
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// WriteAgentsTable writes rows as a terminal table: per agent, queue and
// period the calls answered, the average and longest talk, rings not
// answered, the time logged in, paused and on calls (h:mm), occupancy and
// first-contact resolution, with a legend.
func WriteAgentsTable(w io.Writer, rows []AgentRow) error {
	if len(rows) == 0 {
		_, err := fmt.Fprintln(w, "no agent has figures in the range")
		return err
	}
	r0, last := &rows[0], &rows[len(rows)-1]
	if _, err := fmt.Fprintf(w, "Agents, per %s, %s to %s\n\n", r0.Period, periodLabel(r0.Period, r0.PeriodStart), periodLabel(last.Period, last.PeriodStart)); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "%s\t\n", strings.Join([]string{"Agent", "Queue", periodHeader(r0.Period), "Answered", "Avg talk", "Max talk",
		"Not answered", "Logged in", "Paused", "On calls", "Occupancy", "First-contact res."}, "\t"))
	hm := func(v *uint64) string {
		if v == nil {
			return "?"
		}
		return fmt.Sprintf("%d:%02d", *v/3600, *v/60%60)
	}
	ratio := func(v *float64) string {
		if v == nil {
			return none
		}
		return pct(*v)
	}
	var partial bool
	for i := range rows {
		r := &rows[i]
		label := periodLabel(r.Period, r.PeriodStart)
		if r.Partial {
			label += markPartial
			partial = true
		}
		name := r.Display
		if name != r.Agent {
			name += " (" + r.Agent + ")"
		}
		talk := func(v uint64) *float64 { f := float64(v); return &f }
		max := none
		if r.Answered > 0 {
			max = minSec(talk(r.MaxTalkS))
		}
		logged, paused, onCalls := none, none, none
		if r.Queue == cdr.AgentAllQueues {
			logged, paused, onCalls = hm(r.LoggedInS), hm(r.PausedS), hm(r.InCallS)
		}
		fmt.Fprintf(tw, "%s\t\n", strings.Join([]string{name, r.Queue, label, strconv.FormatUint(r.Answered, 10), minSec(r.AvgTalk), max,
			strconv.FormatUint(r.RingNoAnswer, 10), logged, paused, onCalls, ratio(r.Occupancy), ratio(r.FCRRate)}, "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	legend := []string{
		"Queue * is all the agent's queues, the only row with the time figures (h:mm). Not answered: rings the agent let ring out (RINGNOANSWER).",
		"Occupancy: time on calls out of the time logged in and not paused. ? logged-in time unknown (a static member, or a login not seen); – none.",
	}
	if partial {
		legend = append(legend, markPartial+" Part of the period only, where the range starts or ends inside it.")
	}
	_, err := fmt.Fprintf(w, "\n%s\n", strings.Join(legend, "\n"))
	return err
}
