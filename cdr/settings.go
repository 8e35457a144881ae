package cdr

import "time"

// SLA formulas (METRICS.md, "Ratios"). A = answered, A≤T = answered within
// sla_s, B = abandoned, B≤T = abandoned within sla_s, O = offered,
// S = short abandoned.
const (
	FormulaOfferedExclShort  = "offered_excl_short" // A≤T / (O − S), the default
	FormulaOffered           = "offered"            // A≤T / O
	FormulaAnswered          = "answered"           // A≤T / A
	FormulaAnsweredAbandoned = "answered_abandoned" // A≤T / (A + B)
	FormulaAbandonedAfter    = "abandoned_after"    // A≤T / (A + B − B≤T)
	FormulaPositive          = "positive"           // (A≤T + B≤T) / (A + B)
)

// Formulas lists the six SLA formulas.
var Formulas = []string{FormulaOfferedExclShort, FormulaOffered, FormulaAnswered, FormulaAnsweredAbandoned, FormulaAbandonedAfter, FormulaPositive}

// MinuteRange is a half-open span of local clock time in minutes after
// local midnight: {480, 960} is 08:00:00 up to but not including 16:00:00.
type MinuteRange struct{ From, To int }

// QueueSettings are one queue's settings from the queue file; queues not
// listed get DefaultQueueSettings. Values are validated by package config.
type QueueSettings struct {
	Name     string // the queue name the switch writes
	Display  string // a name for people, e.g. "Klinisk Servicedesk"
	Location *time.Location
	// Hours per weekday (index time.Weekday). A queue with no ranges on any
	// day is always open (METRICS.md, "Opening hours").
	Hours [7][]MinuteRange
	// ClosedDates are local dates ("2006-01-02") the queue is closed.
	ClosedDates map[string]bool
	// DanishHolidays closes the queue on Danish public holidays, computed
	// per year (see DanishHolidays).
	DanishHolidays bool
	SLAS           int     // sla_s, default 300
	ShortAbandonS  int     // short_abandon_s, default 5
	SLAFormula     string  // one of Formulas, default offered_excl_short
	SLATarget      float64 // default 0.80
	FCRTarget      float64 // default 0.60
	// WallWaitS is wall_wait_s: a caller waiting longer turns the queue's
	// wait red on the wallboard; 0 means sla_s (WallWait).
	WallWaitS int
	// Numbers are the dialled numbers (SIP Request-URI or To user) that
	// reach this queue, for switches reporting by SIP.
	Numbers []string
}

// WallWait is the wait in seconds over which the wallboard shows a
// queue's wait in red: wall_wait_s, else sla_s.
func (q *QueueSettings) WallWait() int {
	if q.WallWaitS > 0 {
		return q.WallWaitS
	}
	return q.SLAS
}

// DefaultQueueSettings are the settings of a queue the file does not list.
func DefaultQueueSettings(name string) QueueSettings {
	loc, err := time.LoadLocation("Europe/Copenhagen")
	if err != nil {
		loc = time.UTC
	}
	return QueueSettings{
		Name: name, Display: name, Location: loc,
		SLAS: 300, ShortAbandonS: 5, SLAFormula: FormulaOfferedExclShort,
		SLATarget: 0.80, FCRTarget: 0.60,
	}
}

// Settings are the switch and queue settings of the queue file.
type Settings struct {
	// Queues by queue name.
	Queues map[string]QueueSettings
	// SwitchZones by switch name: the zones that the switches listed under
	// switches in the queue file write their local times in.
	SwitchZones map[string]*time.Location
	// DefaultSwitchZone is the queue file's defaults.timezone: the zone of
	// the switches it does not list. It is nil where the file does not set
	// it, so that ACDSTAT_SWITCH_TIMEZONE applies (see SwitchZone); the
	// Europe/Copenhagen default of queues is another matter.
	DefaultSwitchZone *time.Location
	// Entries are the IVR funnel's entry numbers, by name order (funnel.go).
	Entries []FunnelEntry
	// Desks are the service desks of contacts and cases, by name
	// (casefigures.go); a desk not listed gets DefaultDeskSettings.
	Desks map[string]DeskSettings
	// Agents joins the names switches give agents into agents (agent.go);
	// nil: every name is an agent of its own.
	Agents *AgentMap
	// Version names the applied text these settings were read from
	// (SettingsVersionOf); rollup rows record it. It is empty for settings
	// that were not read from the store's applied versions.
	Version string
}

// Queue returns a queue's settings, or the defaults for an unlisted queue.
func (s *Settings) Queue(name string) QueueSettings {
	if s != nil {
		if q, ok := s.Queues[name]; ok {
			return q
		}
	}
	return DefaultQueueSettings(name)
}

// SwitchZone returns the zone in which switch name writes local wall-clock
// times (queue_log table exports, cdr_csv, generic CDRs with local times):
// the switch's own entry under switches in the queue file; else the file's
// defaults.timezone, where the file sets it; else fallback, the zone of
// ACDSTAT_SWITCH_TIMEZONE; else Europe/Copenhagen, the default of
// METRICS.md. Every intake path that decodes local times (HTTP ingest and
// `acdstat ingest`) takes its zone from here, so that the same line gets
// the same instant, and so the same event id, by whatever path it comes
// (EventID hashes the instant). Only an explicit `acdstat ingest --tz`, for
// a one-off file, is put before it by its caller. s may be nil (no queue
// file).
func (s *Settings) SwitchZone(name string, fallback *time.Location) *time.Location {
	if s != nil {
		if loc := s.SwitchZones[name]; loc != nil {
			return loc
		}
		if s.DefaultSwitchZone != nil {
			return s.DefaultSwitchZone
		}
	}
	if fallback != nil {
		return fallback
	}
	return defaultLocation()
}

// PeriodKeys are the starts of the periods holding an instant, in a queue's
// zone: each is the UTC instant at which that local period begins. They are
// computed in Go because ClickHouse 18.16 takes only a constant zone
// (CLICKHOUSE.md), and stored with every rollup row.
type PeriodKeys struct {
	Bucket  time.Time // 15 minutes
	Hour    time.Time // local hour (a DST day has 23 or 25 of them)
	Day     time.Time // local midnight
	Month   time.Time
	Quarter time.Time
	Year    time.Time
	// The zone's offsets from UTC, in seconds east, at each start above:
	// with them a start can be printed as local time with its offset
	// (METRICS.md, "The report row") where the zone is not at hand, as in
	// the views of package store (ClickHouse 18.16 has no per-row zone).
	// They are the offsets in force at the starts, so the day of the
	// autumn change has +02:00 in Copenhagen even for an instant after it.
	BucketOffset, HourOffset, DayOffset, MonthOffset, QuarterOffset, YearOffset int32
}
