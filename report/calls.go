package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/acdstat/acdstat/cdr"
)

// CallSorts are the fields a drill-down's calls can be sorted by
// (CallFilter.Sort; a leading "-" sorts the largest first).
var CallSorts = []string{"enter_time", "wait_s", "talk_s", "end_time"}

// CallFilter is what a drill-down (METRICS.md, "Drill-down") keeps of the
// offered calls of a queue and range, with the rules of the figures: a
// call is in hours as the rollup decides it (cdr.QueueSettings.InHours at
// its enter time), an outcome is the stay's, and a wait is compared in
// whole seconds, so wait_s <= T is "within T" as in the figures.
type CallFilter struct {
	// Hours is "all" or "in" (calls that joined in opening hours).
	Hours string
	// Outcomes keeps these outcomes only; none keeps every one.
	Outcomes []cdr.Outcome
	// Agent keeps the calls answered by this agent only ("" any).
	Agent string
	// WaitAbove keeps the calls that waited more than it, WaitUpTo those
	// that waited at most it (seconds; nil: no bound).
	WaitAbove, WaitUpTo *int
	// HourOfDay (0–23) and Weekday (ISO, 1 Monday … 7 Sunday) keep the
	// calls that joined in that local hour or on that local weekday, the
	// slots of a distribution (cdr.SlotOf); nil: any.
	HourOfDay, Weekday *int
	// Disposition keeps the answered stays with a disposition only, those
	// the dispositions figure counts (Resolved: resolved at first contact).
	Disposition, Resolved bool
	// Sort is one of CallSorts, "-" before it for the largest first;
	// "" is enter_time. Ties keep the calls' order: enter time, switch,
	// call id, stay.
	Sort string
}

// CallRow is one queue call of a drill-down as JSON, CSV and XLSX show it:
// its key, outcome, times on the local clock of the queue's zone (null
// where the stay has none), waits, agent and caller as stored (hashed or
// empty by the privacy setting), the event that ended it, whether it
// joined in opening hours, and its disposition.
type CallRow struct {
	Switch          string     `json:"switch"`
	CallID          string     `json:"call_id"`
	Queue           string     `json:"queue"`
	Seq             uint16     `json:"seq"`
	Outcome         string     `json:"outcome"`
	EnterTime       time.Time  `json:"enter_time"`
	AnswerTime      *time.Time `json:"answer_time"`
	EndTime         *time.Time `json:"end_time"`
	WaitS           uint32     `json:"wait_s"`
	TalkS           uint32     `json:"talk_s"`
	Transferred     bool       `json:"transferred"`
	Agent           string     `json:"agent"`
	Caller          string     `json:"caller"`
	EndVerb         string     `json:"end_verb"`
	InHours         bool       `json:"in_hours"`
	DispositionCode string     `json:"disposition_code"`
	Resolved        *bool      `json:"resolved"`
}

// CallList is the calls a CallFilter keeps, sorted, with their totals:
// Total calls, whose waits sum to WaitSumS and talk to TalkSumS (the
// figures' count and sums, METRICS.md: the average wait of a figure is
// WaitSumS / Total).
type CallList struct {
	Total    uint64    `json:"total"`
	WaitSumS uint64    `json:"wait_s_sum"`
	TalkSumS uint64    `json:"talk_s_sum"`
	Calls    []CallRow `json:"calls"`
}

// ParseCallSort checks a sort of CallFilter.
func ParseCallSort(s string) (string, error) {
	if s == "" || slices.Contains(CallSorts, strings.TrimPrefix(s, "-")) {
		return s, nil
	}
	return "", fmt.Errorf("sort must be one of %s, with a leading - for the largest first; got %q", strings.Join(CallSorts, ", "), s)
}

// SelectCalls returns the calls of calls (the offered calls of q in a
// range, oldest first, as store.QueueCalls returns them) that f keeps,
// sorted by f.Sort, with their totals. A call of another queue, and a
// waiting one (never offered), is left out.
func SelectCalls(calls []cdr.QueueCall, q cdr.QueueSettings, f CallFilter) CallList {
	loc := q.Location
	if loc == nil {
		loc = time.UTC
		q.Location = loc
	}
	var out CallList
	for i := range calls {
		c := &calls[i]
		if c.Queue != q.Name || c.Outcome == cdr.Waiting {
			continue
		}
		in := q.InHours(c.EnterTime)
		switch {
		case f.Hours == "in" && !in,
			len(f.Outcomes) > 0 && !slices.Contains(f.Outcomes, c.Outcome),
			f.Agent != "" && c.Agent != f.Agent,
			f.WaitAbove != nil && int64(c.WaitS) <= int64(*f.WaitAbove),
			f.WaitUpTo != nil && int64(c.WaitS) > int64(*f.WaitUpTo),
			f.HourOfDay != nil && cdr.SlotOf(cdr.ByHourOfDay, c.EnterTime, loc) != *f.HourOfDay,
			f.Weekday != nil && cdr.SlotOf(cdr.ByWeekday, c.EnterTime, loc) != *f.Weekday,
			f.Disposition && (c.Outcome != cdr.Answered || !c.Disposition),
			f.Resolved && (c.Outcome != cdr.Answered || !c.Disposition || !c.Resolved):
			continue
		}
		out.Total++
		out.WaitSumS += uint64(c.WaitS)
		out.TalkSumS += uint64(c.TalkS)
		out.Calls = append(out.Calls, callRow(c, in, loc))
	}
	desc := strings.HasPrefix(f.Sort, "-")
	var key func(r *CallRow) int64
	switch strings.TrimPrefix(f.Sort, "-") {
	case "wait_s":
		key = func(r *CallRow) int64 { return int64(r.WaitS) }
	case "talk_s":
		key = func(r *CallRow) int64 { return int64(r.TalkS) }
	case "end_time":
		key = func(r *CallRow) int64 {
			if r.EndTime == nil {
				return 0
			}
			return r.EndTime.Unix()
		}
	default:
		key = func(r *CallRow) int64 { return r.EnterTime.Unix() }
	}
	sort.SliceStable(out.Calls, func(i, j int) bool {
		a, b := key(&out.Calls[i]), key(&out.Calls[j])
		if desc {
			return a > b
		}
		return a < b
	})
	return out
}

// callRow is c as a drill-down shows it, its times in loc.
func callRow(c *cdr.QueueCall, in bool, loc *time.Location) CallRow {
	at := func(t time.Time) *time.Time {
		if t.IsZero() || t.Unix() == 0 {
			return nil
		}
		l := t.In(loc)
		return &l
	}
	r := CallRow{
		Switch: c.Switch, CallID: c.CallID, Queue: c.Queue, Seq: c.Seq, Outcome: c.Outcome.String(),
		EnterTime: c.EnterTime.In(loc), AnswerTime: at(c.AnswerTime), EndTime: at(c.EndTime),
		WaitS: c.WaitS, TalkS: c.TalkS, Transferred: c.Transferred, Agent: c.Agent, Caller: c.Caller,
		EndVerb: c.EndVerb, InHours: in, DispositionCode: c.DispositionCode,
	}
	if c.Disposition {
		res := c.Resolved
		r.Resolved = &res
	}
	return r
}

// CallRows makes the stays of one call (store.CallDetail) rows, each on
// the clock of its queue's zone in qs, with in_hours as the rollup decides
// it.
func CallRows(stays []cdr.QueueCall, qs *cdr.Settings) []CallRow {
	out := make([]CallRow, 0, len(stays))
	for i := range stays {
		c := &stays[i]
		q := qs.Queue(c.Queue)
		if q.Location == nil {
			q.Location = time.UTC
		}
		out = append(out, callRow(c, q.InHours(c.EnterTime), q.Location))
	}
	return out
}

// callColumn is one column of the CSV and XLSX forms of a drill-down.
type callColumn struct {
	name  string
	kind  int // the kinds of xlsxCell
	value func(r *CallRow) any
}

// callColumns are the columns of WriteCallsCSV and WriteCallsXLSX, the
// JSON names in their order.
var callColumns = []callColumn{
	{"switch", xText, func(r *CallRow) any { return r.Switch }},
	{"call_id", xText, func(r *CallRow) any { return r.CallID }},
	{"queue", xText, func(r *CallRow) any { return r.Queue }},
	{"seq", xNumber, func(r *CallRow) any { return r.Seq }},
	{"outcome", xText, func(r *CallRow) any { return r.Outcome }},
	{"enter_time", xInstant, func(r *CallRow) any { return &r.EnterTime }},
	{"answer_time", xInstant, func(r *CallRow) any { return r.AnswerTime }},
	{"end_time", xInstant, func(r *CallRow) any { return r.EndTime }},
	{"wait_s", xNumber, func(r *CallRow) any { return r.WaitS }},
	{"talk_s", xNumber, func(r *CallRow) any { return r.TalkS }},
	{"transferred", xBool, func(r *CallRow) any { return r.Transferred }},
	{"agent", xText, func(r *CallRow) any { return r.Agent }},
	{"caller", xText, func(r *CallRow) any { return r.Caller }},
	{"end_verb", xText, func(r *CallRow) any { return r.EndVerb }},
	{"in_hours", xBool, func(r *CallRow) any { return r.InHours }},
	{"disposition_code", xText, func(r *CallRow) any { return r.DispositionCode }},
	{"resolved", xBool, func(r *CallRow) any { return r.Resolved }},
}

// WriteCallsCSV writes calls as CSV under a header of the JSON names:
// times local ISO 8601 with the offset, null empty, booleans true or
// false, and every text cell (switch, call id, queue, agent, caller, …:
// what a switch sent) through SafeCSV.
func WriteCallsCSV(w io.Writer, calls []CallRow) error {
	cw := csv.NewWriter(w)
	header := make([]string, len(callColumns))
	for i, c := range callColumns {
		header[i] = c.name
	}
	if err := cw.Write(header); err != nil {
		return err
	}
	rec := make([]string, len(callColumns))
	for i := range calls {
		for j, c := range callColumns {
			rec[j] = csvCell(c.value(&calls[i]))
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// WriteCallsXLSX writes calls as a workbook of one sheet, "calls", with the
// columns of WriteCallsCSV: numbers as numbers, booleans TRUE or FALSE,
// times as date-times on the local clock of the queue's zone (as in
// WriteXLSX), text through SafeCSV, null an empty cell. More than
// MaxXLSXRows calls are refused.
func WriteCallsXLSX(w io.Writer, calls []CallRow) error {
	if len(calls) > MaxXLSXRows {
		return fmt.Errorf("cannot write xlsx: %d calls are more than a sheet's %d; narrow the range", len(calls), MaxXLSXRows)
	}
	f := excelize.NewFile()
	defer f.Close()
	const sheet = "calls"
	if err := f.SetSheetName(f.GetSheetName(0), sheet); err != nil {
		return fmt.Errorf("cannot write xlsx: %w", err)
	}
	st, err := newXLSXStyles(f)
	if err != nil {
		return fmt.Errorf("cannot write xlsx: %w", err)
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return fmt.Errorf("cannot write xlsx: %w", err)
	}
	header := make([]any, len(callColumns))
	for i, c := range callColumns {
		width := float64(len(c.name)) + 2
		if c.kind == xInstant {
			width = 17
		}
		if err := sw.SetColWidth(i+1, i+1, width); err != nil {
			return fmt.Errorf("cannot write xlsx: %w", err)
		}
		header[i] = excelize.Cell{StyleID: st.header, Value: c.name}
	}
	if err := sw.SetRow("A1", header); err != nil {
		return fmt.Errorf("cannot write xlsx: %w", err)
	}
	for i := range calls {
		cells := make([]any, len(callColumns))
		for j, c := range callColumns {
			v := c.value(&calls[i])
			if t, ok := v.(*time.Time); ok {
				if t == nil {
					v = nil
				} else {
					v = *t
				}
			}
			// "15m": a time of a call is always a date-time.
			cells[j] = xlsxCell(c.kind, v, cdr.Period15m, st)
		}
		cell, err := excelize.CoordinatesToCellName(1, i+2)
		if err != nil {
			return fmt.Errorf("cannot write xlsx: %w", err)
		}
		if err := sw.SetRow(cell, cells); err != nil {
			return fmt.Errorf("cannot write xlsx row %d: %w", i+1, err)
		}
	}
	if err := sw.Flush(); err != nil {
		return fmt.Errorf("cannot write xlsx: %w", err)
	}
	if _, err := f.WriteTo(w); err != nil {
		return fmt.Errorf("cannot write xlsx: %w", err)
	}
	return nil
}
