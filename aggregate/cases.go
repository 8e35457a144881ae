package aggregate

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/acdstat/acdstat/cdr"
)

// CaseJobName is the name of the case job's watermark.
const CaseJobName = "cases"

// caseOverlap is how far before its watermark the case job looks again for
// stored contacts and case states: a row stored in the second of the
// watermark, after the job read the server's clock, is still found.
// Counting a desk again is harmless.
const caseOverlap = time.Minute

// CaseSource reads what the case job counts (store.Store).
type CaseSource interface {
	ServerNow(ctx context.Context) (time.Time, error)
	// CaseTouches lists the desks whose figures contacts or case states
	// stored in [from, to) of insert time may change.
	CaseTouches(ctx context.Context, from, to time.Time) ([]string, error)
	// DeskRecords returns every state of the cases, and every row of the
	// contacts, of which any names one of desks.
	DeskRecords(ctx context.Context, desks []string) ([]cdr.CaseState, []cdr.Contact, error)
}

// CaseWriter stores the figures of desks, replacing all their months.
type CaseWriter interface {
	WriteDeskMonths(ctx context.Context, desks []string, zones map[string]string, rows []cdr.DeskMonth, version uint64) error
}

// CaseJob counts contacts and cases per desk and month (METRICS.md,
// "Contacts and cases"). Each run finds the desks that contacts or case
// states stored since its watermark touch, reads every case and contact of
// those desks, keeps the latest state of each case and counts all their
// months anew (cdr.BuildDeskMonths), so a resent state counts once and a
// case updated after its month was reported moves where its new state puts
// it. A desk's cases are few (thousands a month), so a desk is the unit of
// recomputation.
//
// A desk's figures depend on its settings (zone, working days, critical's
// days): the first run of a process, and every run that finds another
// settings version than the run before, counts every desk anew. Runs must
// not overlap (the scheduler runs a job once at a time).
type CaseJob struct {
	log      *slog.Logger
	settings SettingsSource
	marks    Watermarks
	src      CaseSource
	out      CaseWriter
	// version is the settings version the last run counted with; counted
	// is false before the first run.
	version string
	counted bool
}

// NewCaseJob returns the case job.
func NewCaseJob(log *slog.Logger, settings SettingsSource, marks Watermarks, src CaseSource, out CaseWriter) *CaseJob {
	return &CaseJob{log: log, settings: settings, marks: marks, src: src, out: out}
}

// CaseStats says what one run did.
type CaseStats struct {
	Desks int // desks recomputed
	Rows  int // desk months written (before zeros)
	Upto  time.Time
}

// Run recomputes the desks touched since the watermark, then advances it.
func (j *CaseJob) Run(ctx context.Context) (CaseStats, error) {
	var st CaseStats
	upto, err := j.src.ServerNow(ctx)
	if err != nil {
		return st, fmt.Errorf("cannot read server time: %w", err)
	}
	mark, _, err := j.marks.Watermark(ctx, CaseJobName)
	if err != nil {
		return st, fmt.Errorf("cannot read watermark: %w", err)
	}
	from := mark.Add(-caseOverlap)
	settings, err := j.settings.Settings(ctx)
	if err != nil {
		return st, fmt.Errorf("cannot read the queue settings: %w", err)
	}
	if mark.IsZero() || !j.counted || settings.Version != j.version {
		from = time.Unix(0, 0).UTC() // every desk with contacts or cases
	}
	desks, err := j.src.CaseTouches(ctx, from, upto.Add(time.Second))
	if err != nil {
		return st, err
	}
	st, err = j.Recompute(ctx, desks, RollupVersion(upto, time.Now()))
	if err != nil {
		return st, err
	}
	if err := j.marks.SetWatermark(ctx, CaseJobName, upto); err != nil {
		return st, fmt.Errorf("cannot advance watermark: %w", err)
	}
	j.version, j.counted = settings.Version, true
	st.Upto = upto
	if st.Desks > 0 {
		j.log.Debug("case job", "desks", st.Desks, "rows", st.Rows, "upto", upto)
	}
	return st, nil
}

// Recompute counts the desks anew with the current settings and writes
// their months under version (which must exceed every earlier one). It
// does not move the watermark: `acdstat rebuild` and a change of a desk's
// settings call it for the desks to count again.
func (j *CaseJob) Recompute(ctx context.Context, desks []string, version uint64) (CaseStats, error) {
	var st CaseStats
	if len(desks) == 0 {
		return st, nil
	}
	settings, err := j.settings.Settings(ctx)
	if err != nil {
		return st, fmt.Errorf("cannot read the queue settings: %w", err)
	}
	states, contacts, err := j.src.DeskRecords(ctx, desks)
	if err != nil {
		return st, err
	}
	cases := cdr.LatestCases(states)
	contacts = cdr.LatestContacts(contacts)
	var rows []cdr.DeskMonth
	zones := map[string]string{}
	for _, name := range desks {
		d := settings.Desk(name)
		zones[name] = d.Location().String()
		rows = append(rows, cdr.BuildDeskMonths(d, cases, contacts)...)
	}
	if err := j.out.WriteDeskMonths(ctx, desks, zones, rows, version); err != nil {
		return st, err
	}
	st.Desks, st.Rows = len(desks), len(rows)
	return st, nil
}
