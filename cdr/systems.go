package cdr

import (
	"cmp"
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"time"
)

// System response-time compliance (docs/METRICS.md, "System response-time
// compliance"). No switch reports it: monitoring probes at each location
// (a hospital) time actions of a system (a search, a login) and each
// timed action is within its threshold or not. A system's figure for a
// period is the share of its timed actions within their threshold at each
// location, averaged over the locations that have measurements (the first
// customer's report does so); it is compared with the system's agreed
// level at the two decimals of a percent that people read, and a value
// equal to the level meets it.
//
// The measurements come in two forms (probes.go): raw probe results, which
// the systems job counts per location and local day (SystemDays) and which
// make both day and month figures; and, where that is all a tool exports, a
// month's compliance per system and location (ProbeMonth), which makes
// month figures only. SystemRows combines both into the stored rows that
// every reader (the API, the report, the dashboard, the BI views) reads.

// DefaultClass is the threshold class of a probe that names neither a
// class nor a threshold, and whose action its system's settings do not
// class.
const DefaultClass = "standard"

// The threshold classes every system has (SystemSettings.Thresholds may
// change them and add others): a standard action such as a search may take
// 3 s, a data-heavy one such as a login 15 s.
const (
	ClassStandard  = "standard"
	ClassDataHeavy = "data_heavy"
)

// DefaultThresholds returns the threshold of each built-in class, in
// microseconds (a new map).
func DefaultThresholds() map[string]int64 {
	return map[string]int64{ClassStandard: 3_000_000, ClassDataHeavy: 15_000_000}
}

// SystemSettings are one system's settings from the queue file (systems:);
// systems not listed get DefaultSystemSettings. Values are validated by
// package config.
type SystemSettings struct {
	// Name is the key under systems: the system name the probes give.
	Name string
	// Display is the name for people, e.g. "Mail/kalender".
	Display string
	// AgreedLevel is the level of the service agreement in hundredths of a
	// percent (9980 is 99.80 %); 0 where the settings give none.
	AgreedLevel int
	// Location is the zone of the system's days and months.
	Location *time.Location
	// Thresholds are the threshold of each class, in microseconds.
	Thresholds map[string]int64
	// Actions give the class of the probes of an action that name neither
	// a class nor a threshold; an action not listed is DefaultClass.
	Actions map[string]string
}

// DefaultSystemSettings are the settings of a system the queue file does not
// list: no agreed level, Europe/Copenhagen, the built-in classes.
func DefaultSystemSettings(name string) SystemSettings {
	return SystemSettings{Name: name, Display: name, Location: defaultLocation(), Thresholds: DefaultThresholds()}
}

// System returns a system's settings, or the defaults for a system not
// listed. s may be nil.
func (s *Settings) System(name string) SystemSettings {
	if s != nil {
		for _, sys := range s.Systems {
			if sys.Name == name {
				return sys
			}
		}
	}
	return DefaultSystemSettings(name)
}

// NormalClass is the form in which class names are compared: lower case,
// with '-' and ' ' read as '_' ("Data-heavy" is data_heavy).
func NormalClass(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '-' || r == ' ' {
			return '_'
		}
		return r
	}, strings.ToLower(strings.TrimSpace(s)))
}

// Limit returns the threshold, in microseconds, that a probe of action is
// judged against: its own threshold where it gives one (thresholdUS > 0);
// else that of its class; else that of the class the settings give its
// action; else that of DefaultClass. It returns false where that class is
// not a class of the system: such a probe cannot be judged and is counted
// as unjudged, in no share. The store's query that counts probes applies
// the same rule (store.ProbeSlots; a test holds the two together).
func (s SystemSettings) Limit(action, class string, thresholdUS int64) (int64, bool) {
	if thresholdUS > 0 {
		return thresholdUS, true
	}
	if class == "" {
		class = s.ActionClass(action)
	}
	t, ok := s.Thresholds[class]
	return t, ok && t > 0
}

// ActionClass is the class of a probe of action that names none.
func (s SystemSettings) ActionClass(action string) string {
	if c, ok := s.Actions[action]; ok {
		return c
	}
	return DefaultClass
}

// A share of timed actions is shown, and compared with an agreed level, in
// hundredths of a percent (basis points): 99.72 % is 9972.
const bpPerOne = 10000

// RoundBP rounds a share (a fraction from 0 to 1) to hundredths of a
// percent, half up: 0.99395 is 9940 (99.40 %). It is the value people read
// and the one compared with the agreed level.
func RoundBP(r *big.Rat) int {
	x := new(big.Rat).Mul(r, big.NewRat(bpPerOne, 1))
	x.Add(x, big.NewRat(1, 2))
	q := new(big.Int).Quo(x.Num(), x.Denom()) // floor: x is not negative
	return int(q.Int64())
}

// FormatBP writes hundredths of a percent as a percentage with two decimals
// and a point, without the sign: 9972 is "99.72", 10000 "100.00".
func FormatBP(bp int) string {
	return fmt.Sprintf("%d.%02d", bp/100, bp%100)
}

// ParseBP reads a percentage with at most two decimals ("99.8", "99.80")
// into hundredths of a percent, and false where s is not one from 0 to 100.
func ParseBP(s string) (int, bool) {
	whole, frac, _ := strings.Cut(strings.TrimSpace(s), ".")
	if whole == "" || len(frac) > 2 || !allDigits(whole) || !allDigits(frac) || len(whole) > 3 {
		return 0, false
	}
	w, _ := strconv.Atoi(whole)
	f, _ := strconv.Atoi((frac + "00")[:2])
	bp := w*100 + f
	return bp, bp <= bpPerOne
}

// LocationFigure is one location's measurements in a period: counts of
// timed actions, or, from a month's figure that gives only a share, that
// share.
type LocationFigure struct {
	Location string
	// Measured are the timed actions judged against a threshold, Within
	// those within it; Unjudged the actions whose class the system does
	// not have (they count nowhere else).
	Measured, Within, Unjudged uint64
	// Share, where set, is the location's figure itself (a month's figure
	// that gives a compliance and no counts); Measured and Within are then
	// zero.
	Share *big.Rat
	// Imported marks a figure from a month's figure (ProbeMonth).
	Imported bool
}

// share is the figure's share, or nil where it has none (no timed action
// judged).
func (f LocationFigure) share() *big.Rat {
	if f.Share != nil {
		return f.Share
	}
	if f.Measured == 0 {
		return nil
	}
	return new(big.Rat).SetFrac(new(big.Int).SetUint64(f.Within), new(big.Int).SetUint64(f.Measured))
}

// Compliance is a system's figure for one period (METRICS.md).
type Compliance struct {
	// Locations are those with a share; Imported of them from a month's
	// figure.
	Locations, Imported int
	// Measured, Within and Unjudged are the sums of the locations' counts
	// (a location that gives only a share adds none).
	Measured, Within, Unjudged uint64
	// Value is the mean of the locations' shares, exactly; nil where no
	// location has one (N/A).
	Value *big.Rat
	// BP is Value rounded to hundredths of a percent (RoundBP): what is
	// shown and compared with the agreed level.
	BP int
	// Pooled is the alternative figure, Within / Measured over all
	// locations together; nil where a location gives only a share or
	// nothing was measured.
	Pooled *big.Rat
}

// ComplianceOf computes the figure of one period from its locations'
// figures: the share within threshold of each location that has one
// (Within / Measured, or the share of a month's figure), averaged over
// those locations with equal weight, however many actions each timed.
func ComplianceOf(figs []LocationFigure) Compliance {
	var c Compliance
	sum := new(big.Rat)
	pooled := true
	for _, f := range figs {
		c.Unjudged += f.Unjudged
		s := f.share()
		if s == nil {
			continue
		}
		c.Locations++
		if f.Imported {
			c.Imported++
		}
		if f.Share != nil && f.Measured == 0 {
			pooled = false
		}
		c.Measured += f.Measured
		c.Within += f.Within
		sum.Add(sum, s)
	}
	if c.Locations == 0 {
		return c
	}
	c.Value = sum.Quo(sum, big.NewRat(int64(c.Locations), 1))
	c.BP = RoundBP(c.Value)
	if pooled && c.Measured > 0 {
		c.Pooled = new(big.Rat).SetFrac(new(big.Int).SetUint64(c.Within), new(big.Int).SetUint64(c.Measured))
	}
	return c
}

// Meets says whether a figure shown as bp meets an agreed level: true at or
// above it (a value equal to the level meets it), compared at the two
// decimals shown; nil where there is no level (0).
func Meets(bp, level int) *bool {
	if level <= 0 {
		return nil
	}
	met := bp >= level
	return &met
}

// SystemRef names a system and an instant: the 15-minute slot of probes
// stored (store.TouchedProbeSlots), or the label of a month's figure
// (MonthLabel).
type SystemRef struct {
	System string
	At     time.Time
}

// ProbeSlot is what the store counts of one system's probes at one
// location in one 15-minute slot (store.ProbeSlots): the timed actions
// judged, those within their threshold and those that could not be judged,
// with the system's settings at the time of counting (SystemSettings.Limit).
// A 15-minute slot lies wholly in one local day in every zone.
type ProbeSlot struct {
	System, Location string
	Slot             time.Time // the slot's start (UTC, a multiple of 15 minutes)
	Measured         uint64
	Within           uint64
	Unjudged         uint64
}

// SystemLocationDay is one location's counts of one system in one local
// day, as the systems job stores them (summed slots), with the settings
// version they were counted with.
type SystemLocationDay struct {
	System, Location string
	// Day is the UTC instant the local day begins in the system's zone
	// (PeriodKeys.Day).
	Day                        time.Time
	Measured, Within, Unjudged uint64
	SettingsVersion            string
}

// SystemDays sums a system's slots into local days in its zone, one row per
// location and day, sorted by day and location.
func SystemDays(sys SystemSettings, slots []ProbeSlot, settingsVersion string) []SystemLocationDay {
	type key struct {
		loc string
		day int64
	}
	sums := map[key]*SystemLocationDay{}
	for _, s := range slots {
		if s.System != sys.Name {
			continue
		}
		day := Keys(s.Slot, sys.Location).Day
		k := key{s.Location, day.Unix()}
		d := sums[k]
		if d == nil {
			d = &SystemLocationDay{System: sys.Name, Location: s.Location, Day: day, SettingsVersion: settingsVersion}
			sums[k] = d
		}
		d.Measured += s.Measured
		d.Within += s.Within
		d.Unjudged += s.Unjudged
	}
	out := make([]SystemLocationDay, 0, len(sums))
	for _, d := range sums {
		out = append(out, *d)
	}
	slices.SortFunc(out, func(a, b SystemLocationDay) int {
		return cmp.Or(a.Day.Compare(b.Day), cmp.Compare(a.Location, b.Location))
	})
	return out
}

// SystemRow is one system's figure in one day or month: a row of the
// systems job (store table system_compliance), which the API, the report,
// the dashboard and the BI views read. A period without measurements has
// no row; one whose measurements could none be judged (Unjudged alone)
// has a row without a figure (Locations 0, Value nil), so that a recount
// after such a change of settings replaces the figure it had. Both are
// N/A.
type SystemRow struct {
	System string
	// Display is the system's name for people when the row was counted.
	Display string
	Period  string // PeriodDay or PeriodMonth
	// Start is the UTC instant the local period begins in Zone; Offset the
	// zone's offset then, in seconds east.
	Start  time.Time
	Offset int32
	Zone   string
	Compliance
	// AgreedLevel is the level the row was judged against, in hundredths
	// of a percent (0: none); Met says whether BP meets it (nil: no
	// level).
	AgreedLevel int
	Met         *bool
	// SettingsVersion lists the versions of the queue settings the row's
	// counts were made with, sorted and joined with ','.
	SettingsVersion string
}

// LocalStart is the row's start as local time in its zone's offset then.
func (r *SystemRow) LocalStart() time.Time {
	return r.Start.In(time.FixedZone("", int(r.Offset)))
}

// Label names the row's period the way the report does: "2016-10" for a
// month, "2016-10-03" for a day.
func (r *SystemRow) Label() string {
	if r.Period == PeriodMonth {
		return r.LocalStart().Format("2006-01")
	}
	return r.LocalStart().Format(time.DateOnly)
}

// ValueFloat is the row's unrounded figure as a float (0 where N/A).
func (r *SystemRow) ValueFloat() float64 {
	if r.Value == nil {
		return 0
	}
	f, _ := r.Value.Float64()
	return f
}

// PooledFloat is the row's pooled figure as a float, or nil.
func (r *SystemRow) PooledFloat() *float64 {
	if r.Pooled == nil {
		return nil
	}
	f, _ := r.Pooled.Float64()
	return &f
}

// ProbeMonth is a month's compliance of one system at one location, as a
// tool that exports no single measurements gives it (FormatProbeMonths):
// a compliance in percent, or the counts it was made from.
type ProbeMonth struct {
	System, Location string
	// Month is the month's label: its first day at 00:00 UTC. The month is
	// the local calendar month of the system's zone.
	Month time.Time
	// Compliance is the percentage as a canonical decimal text ("99.72");
	// empty where the counts are given.
	Compliance       string
	Measured, Within uint64
	ID               uint64
	// IngestedAt is when the figure was first stored; of several figures
	// for one system, location and month the one stored last wins.
	IngestedAt time.Time
}

// Figure is the month's figure as a LocationFigure.
func (m ProbeMonth) Figure() LocationFigure {
	f := LocationFigure{Location: m.Location, Imported: true}
	if m.Compliance == "" {
		f.Measured, f.Within = m.Measured, m.Within
		return f
	}
	r, ok := new(big.Rat).SetString(m.Compliance)
	if !ok {
		return f
	}
	f.Share = r.Quo(r, big.NewRat(100, 1))
	return f
}

// LatestProbeMonths keeps, of the month's figures of each system, location
// and month, the one stored last (then the higher id): a figure sent again
// corrected replaces the first. The result is sorted by system, month and
// location.
func LatestProbeMonths(ms []ProbeMonth) []ProbeMonth {
	type key struct {
		sys, loc string
		month    int64
	}
	best := map[key]ProbeMonth{}
	for _, m := range ms {
		k := key{m.System, m.Location, m.Month.Unix()}
		b, ok := best[k]
		if !ok || m.IngestedAt.After(b.IngestedAt) || m.IngestedAt.Equal(b.IngestedAt) && m.ID > b.ID {
			best[k] = m
		}
	}
	out := make([]ProbeMonth, 0, len(best))
	for _, m := range best {
		out = append(out, m)
	}
	slices.SortFunc(out, func(a, b ProbeMonth) int {
		return cmp.Or(cmp.Compare(a.System, b.System), a.Month.Compare(b.Month), cmp.Compare(a.Location, b.Location))
	})
	return out
}

// MonthLabel is the label of the local month that holds t in loc (its first
// day at 00:00 UTC), the key of ProbeMonth.Month.
func MonthLabel(t time.Time, loc *time.Location) time.Time {
	y, m, _ := t.In(loc).Date()
	return time.Date(y, m, 1, 0, 0, 0, 0, time.UTC)
}

// SystemRows computes a system's rows of one local month: the month's row
// and a row for each day with measurements (SystemRow: with or without a
// figure). month is the month's label
// (MonthLabel); days are the system's location days in that month (others
// are ignored); figures are the month's figures of the system (the latest
// per location, LatestProbeMonths). A location's month share is that of
// its month's figure where it has one, else that of its days' counts
// summed: a month's figure is what the tool measured over the whole month,
// so it replaces the probes of that location and month (its days keep
// theirs); a month's figure for the system as a whole (location "") is the
// month's figure, and replaces every location's. settings gives the display name, the agreed level and the
// zone; the rows' SettingsVersion lists the versions of the days counted
// (with current, the version now, where a month's figure is used: it is
// judged against the level of these settings).
func SystemRows(sys SystemSettings, month time.Time, days []SystemLocationDay, figures []ProbeMonth, current string) []SystemRow {
	loc := sys.Location
	if loc == nil {
		loc = defaultLocation()
	}
	start := localMidnight(month.Year(), month.Month(), 1, loc).UTC()
	end := NextPeriod(PeriodMonth, start, loc)
	monthly := map[string]LocationFigure{}
	versions := map[string]bool{}
	byDay := map[int64][]LocationFigure{}
	dayVersions := map[int64]map[string]bool{}
	var dayStarts []int64
	for _, d := range days {
		if d.System != sys.Name || d.Day.Before(start) || !d.Day.Before(end) {
			continue
		}
		f := monthly[d.Location]
		f.Location = d.Location
		f.Measured += d.Measured
		f.Within += d.Within
		f.Unjudged += d.Unjudged
		monthly[d.Location] = f
		versions[d.SettingsVersion] = true
		k := d.Day.Unix()
		if _, ok := byDay[k]; !ok {
			dayStarts = append(dayStarts, k)
			dayVersions[k] = map[string]bool{}
		}
		byDay[k] = append(byDay[k], LocationFigure{Location: d.Location, Measured: d.Measured, Within: d.Within, Unjudged: d.Unjudged})
		dayVersions[k][d.SettingsVersion] = true
	}
	whole := false // a month's figure of the system as a whole (location "")
	for _, m := range figures {
		if m.System != sys.Name || !m.Month.Equal(month) {
			continue
		}
		whole = whole || m.Location == ""
		f := m.Figure()
		f.Unjudged = monthly[m.Location].Unjudged
		monthly[m.Location] = f
		versions[current] = true
	}
	row := func(period string, at time.Time, figs []LocationFigure, vs map[string]bool) SystemRow {
		r := SystemRow{System: sys.Name, Display: sys.Display, Period: period, Start: at, Offset: offsetAt(at, loc), Zone: loc.String(),
			Compliance: ComplianceOf(figs), AgreedLevel: sys.AgreedLevel, SettingsVersion: joinVersions(vs)}
		if r.Value != nil {
			r.Met = Meets(r.BP, r.AgreedLevel)
		}
		return r
	}
	var out []SystemRow
	figs := make([]LocationFigure, 0, len(monthly))
	for _, f := range monthly {
		figs = append(figs, f)
	}
	if whole {
		// The tool's figure for the whole system is the month's: the
		// locations' probes and figures are in it already, and are not
		// averaged with it as if it were a location more.
		figs = []LocationFigure{monthly[""]}
	}
	slices.SortFunc(figs, func(a, b LocationFigure) int { return cmp.Compare(a.Location, b.Location) })
	if len(figs) > 0 {
		out = append(out, row(PeriodMonth, start, figs, versions))
	}
	slices.Sort(dayStarts)
	for _, k := range dayStarts {
		out = append(out, row(PeriodDay, time.Unix(k, 0).UTC(), byDay[k], dayVersions[k]))
	}
	return out
}

// joinVersions lists the versions of vs, sorted and joined with ','.
func joinVersions(vs map[string]bool) string {
	list := make([]string, 0, len(vs))
	for v := range vs {
		list = append(list, v)
	}
	slices.Sort(list)
	return strings.Join(list, ",")
}
