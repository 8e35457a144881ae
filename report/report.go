// Package report turns summed counts into the report rows of METRICS.md
// ("The report row") and writes them as JSON, CSV (also the Danish
// spreadsheet way), Markdown or a terminal table that reads like the source
// report's monthly table. It also draws the charts of those rows as
// inline SVG (Chart), which the dashboard and the quarterly document
// (package document) share.
//
// It is pure: the counts, and the settings they were counted with, come
// from the caller (store.PeriodRollups in acdstat report and the read
// API), and every ratio is computed here from them with cdr.Counts.Ratios,
// with the thresholds of the settings the period was counted with, as the
// views do, so a report and the views agree by construction.
package report

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/acdstat/acdstat/cdr"
)

// Row is one report row: one queue, one period, all calls or in-hours calls.
// The JSON names are the contract of METRICS.md; a nil pointer is null (a
// ratio whose denominator is zero, or sla_met/fcr_met of a null ratio).
type Row struct {
	Switch string `json:"switch"` // cdr.AllSwitches for all switches
	Queue  string `json:"queue"`
	// Display is the queue's name for people; only the table and Markdown
	// titles show it.
	Display string `json:"-"`
	Period  string `json:"period"`
	// HourOfDay (0–23) or Weekday ("mon" … "sun") is the slot of a row of a
	// distribution (BuildDistribution: Period is cdr.ByHourOfDay or
	// cdr.ByWeekday); absent on the rows of a period.
	HourOfDay *int   `json:"hour_of_day,omitempty"`
	Weekday   string `json:"weekday,omitempty"`
	// PeriodStart is the local start of the period, in the queue's zone, so
	// it marshals as ISO 8601 with the local offset
	// (2016-10-01T00:00:00+02:00).
	PeriodStart time.Time `json:"period_start"`
	Hours       string    `json:"hours"` // "all" or "in"

	Offered            uint64   `json:"offered"`
	Answered           uint64   `json:"answered"`
	Abandoned          uint64   `json:"abandoned"`
	ShortAbandoned     uint64   `json:"short_abandoned"`
	Timeout            uint64   `json:"timeout"`
	ExitKey            uint64   `json:"exit_key"`
	ExitOther          uint64   `json:"exit_other"`
	Unknown            uint64   `json:"unknown"`
	AnsweredWithinSLA  uint64   `json:"answered_within_sla"`
	AbandonedWithinSLA uint64   `json:"abandoned_within_sla"`
	Transferred        uint64   `json:"transferred"`
	ServiceLevel       *float64 `json:"service_level"`
	SLAFormula         string   `json:"sla_formula"`
	SLAS               int      `json:"sla_s"`
	ShortAbandonS      int      `json:"short_abandon_s"`
	SLATarget          float64  `json:"sla_target"`
	SLAMet             *bool    `json:"sla_met"`
	ASA                *float64 `json:"asa_s"`
	AvgWait            *float64 `json:"avg_wait_s"`
	MaxWaitS           uint64   `json:"max_wait_s"`
	P50Wait            *float64 `json:"p50_wait_s"`
	P90Wait            *float64 `json:"p90_wait_s"`
	P95Wait            *float64 `json:"p95_wait_s"`
	AbandonRate        *float64 `json:"abandon_rate"`
	AvgTalk            *float64 `json:"avg_talk_s"`
	Dispositions       uint64   `json:"dispositions"`
	FCRRate            *float64 `json:"fcr_rate"`
	FCRTarget          float64  `json:"fcr_target"`
	FCRMet             *bool    `json:"fcr_met"`

	// SettingsVersion is the version of the queue settings the row's
	// counts were made with; where its buckets were counted with several,
	// the versions sorted and joined with ","; nil where nothing in the
	// period was counted (no rollup row). SLAFormula, SLAS, ShortAbandonS,
	// SLATarget and FCRTarget are those of the settings used (of the row
	// counted last), not today's. SettingsCurrent is false where the
	// period was counted with settings other than the current ones
	// (CurrentVersion), which `acdstat rebuild` counts it with again.
	SettingsVersion *string `json:"settings_version"`
	SettingsCurrent bool    `json:"settings_current"`
	CurrentVersion  string  `json:"-"`

	// Partial is true when the row counts only part of its period, because
	// the range starts or ends inside it; CountedFrom and CountedTo are the
	// part it counts, [CountedFrom, CountedTo), local like PeriodStart: the
	// whole period (PeriodStart to the next period's start) unless Partial.
	Partial     bool      `json:"partial"`
	CountedFrom time.Time `json:"counted_from"`
	CountedTo   time.Time `json:"counted_to"`

	// Thresholds are the row's figures at the waits asked for
	// (AddThresholds: acdstat report --sla, GET /v1/report?sla=), in the
	// order asked; absent unless asked.
	Thresholds []Threshold `json:"thresholds,omitempty"`

	// counts and with are what the row was made of: its summed counts
	// and the settings its ratios were computed with (AddThresholds).
	counts cdr.Counts
	with   cdr.QueueSettings
}

// MaxRows bounds the rows of one report (15-minute periods over 30 years),
// so a mistyped range fails instead of filling memory.
const MaxRows = 1 << 20

// Build returns one row per period of q's zone that overlaps [from, to),
// in order: from the period holding from up to the last period starting
// before to. Where from or to lies inside a period (report.Range keeps them
// as asked), the first or last row counts only the part of its period in
// the range and says so: Partial, with CountedFrom and CountedTo. Periods
// missing from sums get zero counts and null ratios, and the settings of q.
//
// sums holds the summed counts by period start (any zone: they are compared
// as instants) of the buckets in [from, to) only, with the settings they
// were counted with, as store.PeriodRollups returns them, so a partial
// row's counts are its part. A key that is not the start of one of the
// periods is an error: it means the rollups were made with another zone or
// period grid than q's (rebuild them), and silently dropping it would lose
// calls. q is the queue's current settings (its zone and names) and current
// the current settings version, which each row's is compared with.
// switchName is cdr.AllSwitches (or "") for all switches; hours is "all" or "in".
// Build does not modify sums.
func Build(q cdr.QueueSettings, current, switchName, period, hours string, from, to time.Time, sums map[time.Time]cdr.PeriodRollup) ([]Row, error) {
	if hours != "all" && hours != "in" {
		return nil, fmt.Errorf("report: hours must be all or in, got %q", hours)
	}
	if switchName == "" {
		switchName = cdr.AllSwitches
	}
	loc := q.Location
	if loc == nil {
		loc = time.UTC
	}
	start, err := cdr.PeriodStart(period, from, loc)
	if err != nil {
		return nil, err
	}
	byUnix := make(map[int64]cdr.PeriodRollup, len(sums))
	for k, c := range sums {
		byUnix[k.Unix()] = c
	}
	rows := []Row{}
	for p := start; p.Before(to); {
		if len(rows) == MaxRows {
			return nil, fmt.Errorf("report: more than %d %s periods from %s to %s", MaxRows, period, from.Format(time.RFC3339), to.Format(time.RFC3339))
		}
		c := byUnix[p.Unix()]
		delete(byUnix, p.Unix())
		next := cdr.NextPeriod(period, p, loc)
		if !next.After(p) {
			return nil, errors.New("report: period does not advance") // a bug in the calendar, never an endless loop
		}
		r := newRow(q, current, switchName, period, hours, p, &c)
		r.CountedFrom, r.CountedTo = p, next
		if from.After(p) {
			r.CountedFrom = from.In(loc)
		}
		if to.Before(next) {
			r.CountedTo = to.In(loc)
		}
		r.Partial = !r.CountedFrom.Equal(p) || !r.CountedTo.Equal(next)
		rows = append(rows, r)
		p = next
	}
	if len(byUnix) > 0 {
		u := slices.Min(slices.Collect(maps.Keys(byUnix))) // the earliest, so the message is stable
		return nil, fmt.Errorf("report: counts at %s are not at the start of a %s in %s between %s and %s; were the rollups made with another time zone? (acdstat rebuild)",
			time.Unix(u, 0).In(loc).Format(time.RFC3339), period, loc, from.In(loc).Format(time.RFC3339), to.In(loc).Format(time.RFC3339))
	}
	return rows, nil
}

// BuildDistribution returns the rows of the distribution by (cdr.Bys) of
// q's calls in [from, to): one per local hour of day, 0 to 23, or per
// weekday, Monday to Sunday, each slot there even without calls (zero
// counts, null ratios, q's settings). sums are the summed counts per slot
// (hour, or ISO weekday) as store.DistributionRollups returns them; a key
// that is no slot is an error. Every row's period_start, counted_from and
// counted_to say the range (local in q's zone), never partial: a slot is
// not a period. switchName, hours and current are as in Build.
func BuildDistribution(q cdr.QueueSettings, current, switchName, by, hours string, from, to time.Time, sums map[int]cdr.PeriodRollup) ([]Row, error) {
	if hours != "all" && hours != "in" {
		return nil, fmt.Errorf("report: hours must be all or in, got %q", hours)
	}
	slots := cdr.Slots(by)
	if slots == nil {
		return nil, fmt.Errorf("report: unknown distribution %q (use %s)", by, strings.Join(cdr.Bys, " or "))
	}
	if switchName == "" {
		switchName = cdr.AllSwitches
	}
	loc := q.Location
	if loc == nil {
		loc = time.UTC
	}
	for k := range sums {
		if !slices.Contains(slots, k) {
			return nil, fmt.Errorf("report: counts of slot %d are no %s", k, by)
		}
	}
	rows := make([]Row, 0, len(slots))
	for _, slot := range slots {
		c := sums[slot]
		r := newRow(q, current, switchName, by, hours, from.In(loc), &c)
		r.CountedFrom, r.CountedTo = from.In(loc), to.In(loc)
		if by == cdr.ByHourOfDay {
			h := slot
			r.HourOfDay = &h
		} else {
			r.Weekday = cdr.WeekdayNames[slot%7]
		}
		rows = append(rows, r)
	}
	return rows, nil
}

// newRow is the row of one period, with the thresholds of the settings
// its counts were made with where it has any (p.Versions), else q's.
func newRow(q cdr.QueueSettings, current, switchName, period, hours string, start time.Time, p *cdr.PeriodRollup) Row {
	var version *string
	if len(p.Versions) > 0 {
		v := strings.Join(p.Versions, ",")
		version = &v
		w := p.With
		q.SLAS, q.ShortAbandonS, q.SLAFormula, q.SLATarget, q.FCRTarget = w.SLAS, w.ShortAbandonS, w.SLAFormula, w.SLATarget, w.FCRTarget
	}
	c := &p.Counts
	r := c.Ratios(q)
	return Row{
		counts: *c, with: q,
		SettingsVersion: version, SettingsCurrent: version == nil || *version == current, CurrentVersion: current,
		Switch: switchName, Queue: q.Name, Display: q.Display, Period: period, PeriodStart: start, Hours: hours,
		Offered: c.Offered, Answered: c.Answered, Abandoned: c.Abandoned, ShortAbandoned: c.ShortAbandoned,
		Timeout: c.Timeout, ExitKey: c.ExitKey, ExitOther: c.ExitOther, Unknown: c.Unknown,
		AnsweredWithinSLA: c.AnsweredWithinSLA, AbandonedWithinSLA: c.AbandonedWithinSLA, Transferred: c.Transferred,
		ServiceLevel: r.ServiceLevel, SLAFormula: q.SLAFormula, SLAS: q.SLAS, ShortAbandonS: q.ShortAbandonS,
		SLATarget: q.SLATarget, SLAMet: r.SLAMet,
		ASA: r.ASA, AvgWait: r.AvgWait, MaxWaitS: c.MaxWaitS,
		P50Wait: r.P50Wait, P90Wait: r.P90Wait, P95Wait: r.P95Wait,
		AbandonRate: r.AbandonRate, AvgTalk: r.AvgTalk,
		Dispositions: c.Dispositions, FCRRate: r.FCRRate, FCRTarget: q.FCRTarget, FCRMet: r.FCRMet,
	}
}
