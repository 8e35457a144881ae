package aggregate

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"
)

// RetentionJob is the name of the daily job that drops old partitions.
const RetentionJob = "retention"

// Age is a retention period: whole years or days, or zero for "keep
// forever". It reads "400d", "2y" or "0" (ACDSTAT_RETENTION_*).
type Age struct {
	Years, Days int
}

// UnmarshalText reads "<n>d", "<n>y" or "0".
func (a *Age) UnmarshalText(b []byte) error {
	s := strings.TrimSpace(string(b))
	if s == "0" || s == "" {
		*a = Age{}
		return nil
	}
	unit := s[len(s)-1]
	n, err := strconv.Atoi(s[:len(s)-1])
	if err != nil || n <= 0 || (unit != 'd' && unit != 'y') {
		return fmt.Errorf("%q is not a number of days or years, like 400d or 2y, or 0 to keep forever", s)
	}
	if unit == 'd' {
		*a = Age{Days: n}
	} else {
		*a = Age{Years: n}
	}
	return nil
}

// String is the inverse of UnmarshalText.
func (a Age) String() string {
	switch {
	case a.Years > 0:
		return strconv.Itoa(a.Years) + "y"
	case a.Days > 0:
		return strconv.Itoa(a.Days) + "d"
	}
	return "0"
}

// shorterThan says whether a can be shorter than b in some year: a year
// has 365 or 366 days, so 365d is shorter than 1y in a leap year. The answer
// does not depend on the date it is asked at.
func (a Age) shorterThan(b Age) bool {
	if a.Years > 0 && b.Years > 0 {
		return a.Years < b.Years
	}
	return a.Years*365+a.Days < b.Years*366+b.Days
}

// Forever reports whether nothing is ever dropped.
func (a Age) Forever() bool { return a.Years <= 0 && a.Days <= 0 }

// Cutoff returns the instant before which data is older than a, or the zero
// time when a is Forever.
func (a Age) Cutoff(now time.Time) time.Time {
	if a.Forever() {
		return time.Time{}
	}
	return now.AddDate(-a.Years, 0, -a.Days)
}

// RetentionConfig says how long raw data and rollups are kept.
type RetentionConfig struct {
	// Events is how long raw events, rejects, queue calls and the touch
	// logs are kept; rebuild refuses ranges older than that.
	Events Age `env:"RETENTION_EVENTS" envDefault:"400d"`
	// Rollups is how long 15-minute rollup rows are kept (0: forever).
	Rollups Age `env:"RETENTION_ROLLUPS" envDefault:"0"`
	// Schedule is when the retention job runs, a robfig/cron spec.
	Schedule string `env:"RETENTION_SCHEDULE" envDefault:"0 3 * * *"`
}

// minEventRetention keeps enough raw events for the build job, whose window
// reaches back 28 h by default, and a month of rebuilds.
const minEventRetention = 31

// Validate checks the settings and names the one that is wrong.
func (c RetentionConfig) Validate() error {
	var errs []error
	if !c.Events.Forever() && c.Events.Years == 0 && c.Events.Days < minEventRetention {
		errs = append(errs, fmt.Errorf("ACDSTAT_RETENTION_EVENTS: %s is too short: keep raw events at least %dd (rebuilds and late events need them), or 0 for ever", c.Events, minEventRetention))
	}
	if !c.Events.Forever() && !c.Rollups.Forever() && c.Rollups.shorterThan(c.Events) {
		errs = append(errs, fmt.Errorf("ACDSTAT_RETENTION_ROLLUPS: %s is shorter than ACDSTAT_RETENTION_EVENTS (%s): the figures would go before the events they are made of", c.Rollups, c.Events))
	}
	if c.Schedule == "" {
		errs = append(errs, errors.New("ACDSTAT_RETENTION_SCHEDULE: must not be empty"))
	}
	return errors.Join(errs...)
}

// TableCutoff is one table and the instant before which its partitions go.
type TableCutoff struct {
	Table  string
	Cutoff time.Time
}

// RetentionPlan returns the tables to prune at now and their cutoffs: the
// raw tables (events and what is derived per call, the agent lines and
// touch logs) by the event retention, rollup_15m, its day sums rollup_day
// and agent_rollup_15m by the rollup retention. A retention of 0 leaves its tables
// out.
func RetentionPlan(c RetentionConfig, now time.Time) []TableCutoff {
	var out []TableCutoff
	if !c.Events.Forever() {
		cut := c.Events.Cutoff(now)
		for _, t := range []string{"events", "event_touches", "rejects", "queue_calls", "call_touches", "agent_events", "agent_touches", "agent_call_touches"} {
			out = append(out, TableCutoff{Table: t, Cutoff: cut})
		}
	}
	if !c.Rollups.Forever() {
		out = append(out, TableCutoff{Table: "rollup_15m", Cutoff: c.Rollups.Cutoff(now)}, TableCutoff{Table: "agent_rollup_15m", Cutoff: c.Rollups.Cutoff(now)})
		// The day sums of rollup_15m (store migration 0016) go with it.
		out = append(out, TableCutoff{Table: "rollup_day", Cutoff: c.Rollups.Cutoff(now)})
	}
	return out
}

// PartitionDropper drops the partitions of a table that lie wholly before
// a cutoff and returns their ids.
type PartitionDropper interface {
	DropPartitionsBefore(ctx context.Context, table string, cutoff time.Time) ([]string, error)
}

// Pruner is the retention job.
type Pruner struct {
	cfg RetentionConfig
	log *slog.Logger
	now func() time.Time
	st  PartitionDropper
}

// NewPruner returns the retention job; now is its clock (time.Now outside
// tests), the same clock that `acdstat rebuild` checks its range against.
func NewPruner(cfg RetentionConfig, log *slog.Logger, now func() time.Time, st PartitionDropper) *Pruner {
	return &Pruner{cfg: cfg, log: log, now: now, st: st}
}

// Run drops what RetentionPlan names at the clock's now. It goes on after a
// table fails and returns every error at once. Running it twice, or from
// two instances, drops nothing twice.
func (p *Pruner) Run(ctx context.Context) (dropped int, err error) {
	var errs []error
	for _, tc := range RetentionPlan(p.cfg, p.now()) {
		ids, err := p.st.DropPartitionsBefore(ctx, tc.Table, tc.Cutoff)
		dropped += len(ids)
		if err != nil {
			errs = append(errs, err)
		}
		if len(ids) > 0 {
			p.log.Info("old partitions dropped", "table", tc.Table, "before", tc.Cutoff.Format(time.DateOnly), "partitions", ids)
		}
	}
	return dropped, errors.Join(errs...)
}

// CheckRebuildRange refuses a rebuild from before the raw-event retention:
// the events it would rebuild from are gone, so it would write empty
// figures over the stored ones.
func (c RetentionConfig) CheckRebuildRange(from, now time.Time) error {
	if c.Events.Forever() {
		return nil
	}
	if cut := c.Events.Cutoff(now); from.Before(cut) {
		return fmt.Errorf("rebuild: --from %s is older than the raw-event retention (ACDSTAT_RETENTION_EVENTS=%s, events before %s are dropped); rebuild from %s or later", from.Format(time.DateOnly), c.Events, cut.Format(time.DateOnly), cut.AddDate(0, 0, 1).Format(time.DateOnly))
	}
	return nil
}
