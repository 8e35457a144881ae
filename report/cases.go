package report

import (
	"context"
	"encoding/csv"
	"encoding/json"
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

// Contacts and cases per desk and month (METRICS.md, "Contacts and cases").

// ContactRow is the contacts of one channel of a desk in one month, with
// the channel's share of the month's contacts; the phone's row is the
// phone's share.
type ContactRow struct {
	Desk        string    `json:"desk"`
	Display     string    `json:"desk_name"`
	Period      string    `json:"period"`
	PeriodStart time.Time `json:"period_start"`
	Channel     string    `json:"channel"`
	Contacts    uint64    `json:"contacts"`
	// Share is Contacts over every channel's contacts of the month, null
	// when the month has none.
	Share *float64 `json:"share"`
	// PhoneRule says what the phone's contacts are: calls or cases.
	PhoneRule string `json:"phone_rule"`
}

// CaseRow is the case figures of a desk in one month.
type CaseRow struct {
	Desk              string    `json:"desk"`
	Display           string    `json:"desk_name"`
	Period            string    `json:"period"`
	PeriodStart       time.Time `json:"period_start"`
	Registered        uint64    `json:"cases_registered"`
	Closed            uint64    `json:"cases_closed"`
	ClosedProvisional bool      `json:"closed_provisional"`
	FirstContactKnown uint64    `json:"first_contact_known"`
	FirstContact      uint64    `json:"first_contact"`
	FCRRate           *float64  `json:"case_fcr_rate"`
	DeadlineCases     uint64    `json:"deadline_cases"`
	WithinDeadline    uint64    `json:"within_deadline"`
	WithinRate        *float64  `json:"within_rate"`
	Target            float64   `json:"target"`
	WithinMet         *bool     `json:"within_met"`
	Days              string    `json:"days"`
}

// DeskMonths lists the starts of the local months of desk d in [from, to):
// from's month, then every month that starts before to.
func DeskMonths(d *cdr.DeskSettings, from, to time.Time) []time.Time {
	loc := d.Location()
	var out []time.Time
	for m := cdr.MonthStart(from, loc); m.Before(to); {
		out = append(out, m)
		l := m.In(loc)
		m = cdr.MonthStart(time.Date(l.Year(), l.Month()+1, 15, 12, 0, 0, 0, loc), loc)
	}
	return out
}

// ratio is n/d, or nil when d is 0 (METRICS.md: never 0, never NaN).
func ratio(n, d uint64) *float64 {
	if d == 0 {
		return nil
	}
	v := float64(n) / float64(d)
	return &v
}

// BuildContacts returns the contact rows of desk d for the months: per
// month the phone first, then the other channels of the range by name;
// stored holds the desk's months (cdr.DeskMonth by month start) and phone
// the phone's contacts by month start under the desk's rule (answered
// calls, or its cases registered as phone: PhoneCases of stored).
func BuildContacts(d *cdr.DeskSettings, months []time.Time, stored map[time.Time]cdr.DeskMonth, phone map[time.Time]uint64) []ContactRow {
	channels := map[string]bool{}
	for _, m := range stored {
		for ch := range m.Contacts {
			channels[ch] = true
		}
	}
	names := slices.Sorted(maps.Keys(channels))
	var rows []ContactRow
	for _, start := range months {
		m := stored[start]
		counts := []uint64{phone[start]}
		total := phone[start]
		for _, ch := range names {
			counts = append(counts, m.Contacts[ch])
			total += m.Contacts[ch]
		}
		for i, n := range counts {
			ch := cdr.ChannelPhone
			if i > 0 {
				ch = names[i-1]
			}
			rows = append(rows, ContactRow{Desk: d.Name, Display: d.Display, Period: "month", PeriodStart: start.In(d.Location()),
				Channel: ch, Contacts: n, Share: ratio(n, total), PhoneRule: d.Phone})
		}
	}
	return rows
}

// BuildCases returns the case rows of desk d for the months; a month's
// closed cases are provisional at now until 7 days after its end.
func BuildCases(d *cdr.DeskSettings, months []time.Time, stored map[time.Time]cdr.DeskMonth, now time.Time) []CaseRow {
	days := "calendar"
	if d.WorkingDays {
		days = "working"
	}
	var rows []CaseRow
	for _, start := range months {
		m := stored[start]
		r := CaseRow{Desk: d.Name, Display: d.Display, Period: "month", PeriodStart: start.In(d.Location()),
			Registered: m.Registered, Closed: m.Closed, ClosedProvisional: cdr.CasesProvisional(start, d.Location(), now),
			FirstContactKnown: m.FirstContactKnown, FirstContact: m.FirstContact, FCRRate: ratio(m.FirstContact, m.FirstContactKnown),
			DeadlineCases: m.DeadlineCases, WithinDeadline: m.WithinDeadline, WithinRate: ratio(m.WithinDeadline, m.DeadlineCases),
			Target: d.Target, Days: days}
		if r.WithinRate != nil {
			met := *r.WithinRate >= d.Target
			r.WithinMet = &met
		}
		rows = append(rows, r)
	}
	return rows
}

// WriteRecordsJSON writes rows (ContactRow or CaseRow) as one JSON array.
func WriteRecordsJSON[R ContactRow | CaseRow](w io.Writer, rows []R) error {
	if rows == nil {
		rows = []R{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rows)
}

// contactCells and caseCells are the header and cells of the CSV (the
// JSON names; null is empty, text made safe from formulas).
func contactCells(rows []ContactRow) ([]string, [][]string) {
	head := []string{"desk", "desk_name", "period", "period_start", "channel", "contacts", "share", "phone_rule"}
	var recs [][]string
	for _, r := range rows {
		recs = append(recs, []string{SafeCSV(r.Desk), SafeCSV(r.Display), r.Period, r.PeriodStart.Format(time.RFC3339), SafeCSV(r.Channel),
			strconv.FormatUint(r.Contacts, 10), fcell(r.Share), r.PhoneRule})
	}
	return head, recs
}

func caseCells(rows []CaseRow) ([]string, [][]string) {
	head := []string{"desk", "desk_name", "period", "period_start", "cases_registered", "cases_closed", "closed_provisional",
		"first_contact_known", "first_contact", "case_fcr_rate", "deadline_cases", "within_deadline", "within_rate", "target", "within_met", "days"}
	u := func(v uint64) string { return strconv.FormatUint(v, 10) }
	var recs [][]string
	for _, r := range rows {
		met := ""
		if r.WithinMet != nil {
			met = strconv.FormatBool(*r.WithinMet)
		}
		recs = append(recs, []string{SafeCSV(r.Desk), SafeCSV(r.Display), r.Period, r.PeriodStart.Format(time.RFC3339),
			u(r.Registered), u(r.Closed), strconv.FormatBool(r.ClosedProvisional), u(r.FirstContactKnown), u(r.FirstContact), fcell(r.FCRRate),
			u(r.DeadlineCases), u(r.WithinDeadline), fcell(r.WithinRate), strconv.FormatFloat(r.Target, 'f', -1, 64), met, r.Days})
	}
	return head, recs
}

func fcell(v *float64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatFloat(*v, 'f', -1, 64)
}

// WriteContactsCSV and WriteCasesCSV write rows as CSV with a header of
// the JSON names.
func WriteContactsCSV(w io.Writer, rows []ContactRow) error {
	head, recs := contactCells(rows)
	return writeCells(w, head, recs)
}

// WriteCasesCSV writes case rows as CSV (see WriteContactsCSV).
func WriteCasesCSV(w io.Writer, rows []CaseRow) error {
	head, recs := caseCells(rows)
	return writeCells(w, head, recs)
}

func writeCells(w io.Writer, head []string, recs [][]string) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(head); err != nil {
		return err
	}
	if err := cw.WriteAll(recs); err != nil {
		return err
	}
	return cw.Error()
}

// contactLines and caseLines are the people's columns of the table and
// Markdown forms.
func contactLines(rows []ContactRow) ([]string, [][]string) {
	head := []string{"Desk", "Month", "Channel", "Contacts", "Share"}
	var recs [][]string
	for _, r := range rows {
		share := none
		if r.Share != nil {
			share = pct(*r.Share)
		}
		ch := r.Channel
		if ch == cdr.ChannelPhone {
			ch += " (" + r.PhoneRule + ")"
		}
		recs = append(recs, []string{r.Display, periodLabel("month", r.PeriodStart), ch, strconv.FormatUint(r.Contacts, 10), share})
	}
	return head, recs
}

func caseLines(rows []CaseRow) ([]string, [][]string) {
	head := []string{"Desk", "Month", "Registered", "Closed", "First contact", "Within time", "Target"}
	var recs [][]string
	for _, r := range rows {
		closed := strconv.FormatUint(r.Closed, 10)
		if r.ClosedProvisional {
			closed += markPartial
		}
		fcr := none
		if r.FCRRate != nil {
			fcr = pct(*r.FCRRate)
		}
		recs = append(recs, []string{r.Display, periodLabel("month", r.PeriodStart), strconv.FormatUint(r.Registered, 10), closed,
			fcr, againstTarget(r.WithinRate, r.WithinMet), targetPct(r.Target) + " (" + r.Days + " days)"})
	}
	return head, recs
}

// WriteContactsTable and WriteCasesTable write rows as a terminal table.
func WriteContactsTable(w io.Writer, rows []ContactRow) error {
	head, recs := contactLines(rows)
	return writeLines(w, "Contacts by channel, per month", "", head, recs)
}

// WriteCasesTable writes case rows as a terminal table; a provisional
// month's closed cases are marked.
func WriteCasesTable(w io.Writer, rows []CaseRow) error {
	head, recs := caseLines(rows)
	return writeLines(w, "Cases, per month", markPartial+" provisional: a reopening within 7 days may still move a case out of the month", head, recs)
}

func writeLines(w io.Writer, title, legend string, head []string, recs [][]string) error {
	if len(recs) == 0 {
		_, err := fmt.Fprintln(w, "no desk has figures in the range")
		return err
	}
	fmt.Fprintf(w, "%s\n\n", title)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "%s\t\n", strings.Join(head, "\t"))
	for _, r := range recs {
		fmt.Fprintf(tw, "%s\t\n", strings.Join(r, "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if legend != "" {
		_, err := fmt.Fprintf(w, "\n%s\n", legend)
		return err
	}
	return nil
}

// WriteContactsMarkdown and WriteCasesMarkdown write rows as a Markdown
// table.
func WriteContactsMarkdown(w io.Writer, rows []ContactRow) error {
	head, recs := contactLines(rows)
	return writeMarkdownLines(w, head, recs)
}

// WriteCasesMarkdown writes case rows as a Markdown table.
func WriteCasesMarkdown(w io.Writer, rows []CaseRow) error {
	head, recs := caseLines(rows)
	return writeMarkdownLines(w, head, recs)
}

func writeMarkdownLines(w io.Writer, head []string, recs [][]string) error {
	var b strings.Builder
	b.WriteString("| " + strings.Join(head, " | ") + " |\n|" + strings.Repeat("---|", len(head)) + "\n")
	for _, r := range recs {
		cells := make([]string, len(r))
		for i, c := range r {
			cells[i] = mdEscape(c)
		}
		b.WriteString("| " + strings.Join(cells, " | ") + " |\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// DeskSource reads the stored months of the desks and the answered calls
// of a desk's queues by month (store.Store).
type DeskSource interface {
	DeskMonths(ctx context.Context, desk string, from, to time.Time) ([]cdr.DeskMonth, error)
	AnsweredByMonth(ctx context.Context, queues []string, tz string, from, to time.Time) (map[time.Time]uint64, error)
}

// DeskArgError is a from, to or desk a person must change.
type DeskArgError struct{ Msg string }

func (e *DeskArgError) Error() string { return e.Msg }

// DeskRows returns the contact and case rows of desk (every desk of the
// settings and every desk with stored months in the range, when empty) for
// the local months from fromArg to toArg (dates YYYY-MM-DD in each desk's
// zone, from included, to excluded; by default the twelve months up to and
// including the current one), sorted by desk and month. now decides the
// default range and which months' closed cases are provisional.
func DeskRows(ctx context.Context, src DeskSource, qs *cdr.Settings, desk, fromArg, toArg string, now time.Time) ([]ContactRow, []CaseRow, error) {
	span := func(loc *time.Location) (time.Time, time.Time, error) {
		l := now.In(loc)
		from := cdr.MonthStart(time.Date(l.Year(), l.Month()-11, 15, 12, 0, 0, 0, loc), loc)
		to := cdr.MonthStart(time.Date(l.Year(), l.Month()+1, 15, 12, 0, 0, 0, loc), loc)
		for _, a := range []struct {
			field, arg string
			dst        *time.Time
		}{{"from", fromArg, &from}, {"to", toArg, &to}} {
			if a.arg == "" {
				continue
			}
			t, err := ParseLocal(a.arg, loc)
			if err != nil {
				return from, to, &DeskArgError{fmt.Sprintf("%s must be a local date YYYY-MM-DD (in each desk's zone); got %q", a.field, a.arg)}
			}
			*a.dst = t
		}
		if !from.Before(to) {
			return from, to, &DeskArgError{fmt.Sprintf("from (%s) must be before to (%s)", fromArg, toArg)}
		}
		if to.Sub(from) > 10*366*24*time.Hour {
			return from, to, &DeskArgError{"the range is longer than 10 years"}
		}
		return from, to, nil
	}
	// The widest instants any zone could mean, to find the stored months;
	// each desk then takes its own local range.
	wideFrom, wideTo, err := span(time.UTC)
	if err != nil {
		return nil, nil, err
	}
	all, err := src.DeskMonths(ctx, desk, wideFrom.Add(-14*time.Hour), wideTo.Add(14*time.Hour))
	if err != nil {
		return nil, nil, err
	}
	names := map[string]bool{}
	if desk != "" {
		names[desk] = true
	} else {
		for n := range qs.Desks {
			names[n] = true
		}
		for _, m := range all {
			names[m.Desk] = true
		}
	}
	var contacts []ContactRow
	var cases []CaseRow
	for _, n := range slices.Sorted(maps.Keys(names)) {
		d := qs.Desk(n)
		loc := d.Location()
		from, to, err := span(loc)
		if err != nil {
			return nil, nil, err
		}
		months := DeskMonths(&d, from, to)
		stored := map[time.Time]cdr.DeskMonth{}
		for _, m := range all {
			if m.Desk == n {
				stored[m.Month] = m
			}
		}
		phone := map[time.Time]uint64{}
		if d.Phone == cdr.PhoneCases {
			for k, m := range stored {
				phone[k] = m.PhoneCases
			}
		} else if len(months) > 0 {
			l := months[len(months)-1].In(loc)
			end := cdr.MonthStart(time.Date(l.Year(), l.Month()+1, 15, 12, 0, 0, 0, loc), loc)
			if phone, err = src.AnsweredByMonth(ctx, d.Queues, loc.String(), months[0], end); err != nil {
				return nil, nil, err
			}
		}
		contacts = append(contacts, BuildContacts(&d, months, stored, phone)...)
		cases = append(cases, BuildCases(&d, months, stored, now)...)
	}
	return contacts, cases, nil
}
