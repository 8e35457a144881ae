package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/acdstat/acdstat/aggregate"
	"github.com/acdstat/acdstat/cdr"
	"github.com/acdstat/acdstat/config"
	"github.com/acdstat/acdstat/document"
	"github.com/acdstat/acdstat/intake"
	"github.com/acdstat/acdstat/store"
	"golang.org/x/term"
)

// documentJob is the name of the scheduled documents' job.
const documentJob = "document"

// documentProducers are the figure groups of the document, in order: the
// queue figures, the contacts and cases (issue 18) and the system response
// times (issue 19), each a producer of its own (document.Producer). now
// decides which months' closed cases are still provisional.
func documentProducers(st *store.Store, settings document.SettingsSource, now func() time.Time) []document.Producer {
	return []document.Producer{
		document.Queues{Counts: st, Names: st, Settings: settings},
		document.Cases{Source: st, Settings: settings, Now: now},
		document.Systems{Rows: st, Settings: settings},
	}
}

// queuesZone is the zone whose calendar makes the months and quarters of
// the scheduled documents and the dashboard's default quarter: that of the
// first queue of the settings by name, else the default queues' zone.
func queuesZone(settings document.SettingsSource) func(ctx context.Context) (*time.Location, error) {
	return func(ctx context.Context) (*time.Location, error) {
		qs, err := settings.Settings(ctx)
		if err != nil {
			return nil, fmt.Errorf("cannot read the queue settings: %w", err)
		}
		names := make([]string, 0, len(qs.Queues))
		for n := range qs.Queues {
			names = append(names, n)
		}
		slices.Sort(names)
		q := cdr.DefaultQueueSettings("")
		if len(names) > 0 {
			q = qs.Queue(names[0])
		}
		if q.Location == nil {
			return time.UTC, nil
		}
		return q.Location, nil
	}
}

// documentTexts is the folder of the authors' text; nil without one.
func documentTexts(dir string) fs.FS {
	if dir == "" {
		return nil
	}
	return os.DirFS(dir)
}

// reportDocument writes the document of period (2016-Q4 or 2016-10) in
// format html or pdf to output (stdout where empty: a PDF only where
// stdout is not a terminal).
func reportDocument(ctx context.Context, a *app, period, format, lang, texts, output string, stdout io.Writer) error {
	p, err := document.ParsePeriod(period)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	bin := ""
	if format == "pdf" {
		// Before reading anything: a missing Chromium is said at once.
		if bin, err = document.FindChromium(a.cfg.Document.Chromium); err != nil {
			return fmt.Errorf("report: %w", err)
		}
	}
	d, err := document.Build(ctx, p, lang, documentTexts(texts), a.now(), documentProducers(a.st, a.queues, a.now)...)
	if err != nil {
		return err
	}
	page, err := d.HTML()
	if err != nil {
		return err
	}
	out := page
	if format == "pdf" {
		if out, err = document.PrintPDF(ctx, bin, page); err != nil {
			return err
		}
	}
	if f, ok := stdout.(*os.File); ok && output == "" && format == "pdf" && term.IsTerminal(int(f.Fd())) {
		return fmt.Errorf("report: --format pdf writes a PDF, not text: give --out %s.pdf, or redirect stdout to a file", p)
	}
	return writeOutput(stdout, output, false, func(w io.Writer) error {
		if _, err := w.Write(out); err != nil {
			return fmt.Errorf("cannot write the document: %w", err)
		}
		return nil
	})
}

// newDocumentSchedule is the scheduled documents' job (document.Schedule)
// of the settings cfg.Document; a job that does nothing where
// ACDSTAT_DOCUMENT_SCHEDULE is empty.
func newDocumentSchedule(cfg config.Config, log *slog.Logger, now func() time.Time, settings document.SettingsSource, st *store.Store) (aggregate.Job, error) {
	c := cfg.Document
	if c.Schedule == "" {
		return aggregate.Job{Name: documentJob, Schedule: "@every 1h", Run: func(context.Context) error { return nil }}, nil
	}
	bin, err := document.FindChromium(c.Chromium)
	if err != nil {
		return aggregate.Job{}, fmt.Errorf("ACDSTAT_DOCUMENT_SCHEDULE: %w", err)
	}
	mailer, err := document.NewMailer(c.SMTP)
	if err != nil {
		return aggregate.Job{}, err
	}
	dir := c.Dir
	if dir == "" {
		dir = filepath.Join(cfg.DataDir, "documents")
	}
	s := &document.Schedule{Dir: dir, Lang: c.Lang, Texts: documentTexts(c.Texts), Chromium: bin,
		Producers: documentProducers(st, settings, now), Zone: queuesZone(settings), Mailer: mailer, Now: now,
		Log: log.With("component", "document")}
	return aggregate.Job{Name: documentJob, Schedule: c.Schedule, Run: s.Run}, nil
}

// newDocumentHandler serves the document at GET /document behind the read
// tokens, as the dashboard that links to it.
func newDocumentHandler(cfg config.Config, log *slog.Logger, now func() time.Time, settings document.SettingsSource, st *store.Store) (*document.Handler, error) {
	tokens, err := intake.LoadReadTokens(cfg.ReadToken, cfg.ReadTokens, cfg.ReadTokensFile)
	if err != nil {
		return nil, err
	}
	wrap := func(h http.Handler) http.Handler { return intake.RequireReader(tokens, h) }
	return &document.Handler{Producers: documentProducers(st, settings, now), Texts: documentTexts(cfg.Document.Texts),
		Chromium: cfg.Document.Chromium, Lang: cfg.Document.Lang, Zone: queuesZone(settings), Now: now,
		Log: log.With("component", "document"), Wrap: wrap}, nil
}

// cmdReportDocument is acdstat report --quarter or --month: the document
// as HTML (the default) or PDF.
func cmdReportDocument(ctx context.Context, p process, s *settings, quarter, month, format, lang, texts, output string) error {
	formatSet, other := false, ""
	s.fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "format":
			formatSet = true
		case "queue", "funnel", "switch", "from", "to", "period", "hours", "danish", "agents", "agent", "queues", "contacts", "cases", "desk", "systems":
			other = f.Name
		}
	})
	switch {
	case other != "":
		return fmt.Errorf("report: --%s does not apply to a document, which holds every desk's months of the period", other)
	case quarter != "" && month != "":
		return fmt.Errorf("report: give --quarter or --month, not both")
	case s.fs.NArg() > 0:
		return fmt.Errorf("report: unexpected argument %q", s.fs.Arg(0))
	case !formatSet:
		format = "html"
	case format != "html" && format != "pdf":
		return fmt.Errorf("report: --format %q: a document is html or pdf", format)
	}
	period, kind, name, example := quarter, cdr.PeriodQuarter, "quarter", "2016-Q4"
	if month != "" {
		period, kind, name, example = month, cdr.PeriodMonth, "month", "2016-10"
	}
	if pp, err := document.ParsePeriod(period); err != nil || pp.Kind != kind {
		return fmt.Errorf("report: --%s %q: use a %s such as %s", name, period, kind, example)
	}
	if lang == "" {
		lang = s.cfg.Document.Lang
	}
	if !slices.Contains(document.Languages, lang) {
		return fmt.Errorf("report: --lang %q: use da or en", lang)
	}
	if texts == "" {
		texts = s.cfg.Document.Texts
	}
	a, err := s.open(ctx, p, false)
	if err != nil {
		return err
	}
	defer a.Close()
	return reportDocument(ctx, a, period, format, lang, texts, output, p.stdout)
}
