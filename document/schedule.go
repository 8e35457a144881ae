package document

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/acdstat/acdstat/cdr"
)

// Schedule is the scheduled job of the documents: each run writes the
// document of the month and of the quarter that ended last, by its clock,
// to Dir as acdstat-<period>.html and .pdf (acdstat-2016-Q4.pdf), and
// mails the PDF where a Mailer is set, once: a period whose PDF is in Dir
// is done. Where the mail fails, nothing is written and the next run tries
// again; the PDF is written last, so a run that stops half way leaves the
// period to be done again. A period that ended while acdstat was stopped
// for longer than one period is not written afterwards (acdstat report
// --quarter makes it by hand).
//
// A period without any figures (a fresh installation) is skipped, not
// written empty; it is looked at again on every run.
type Schedule struct {
	Dir       string
	Lang      string
	Texts     fs.FS // nil: no authors' text
	Chromium  string
	Producers []Producer
	// Zone gives the zone whose calendar says when a period has ended:
	// the queues'.
	Zone   func(ctx context.Context) (*time.Location, error)
	Mailer *Mailer // nil: nothing is mailed
	Now    func() time.Time
	Log    *slog.Logger
}

// Run is one run of the job.
func (s *Schedule) Run(ctx context.Context) error {
	loc, err := s.Zone(ctx)
	if err != nil {
		return err
	}
	now := s.Now()
	var errs []error
	for _, kind := range []string{cdr.PeriodMonth, cdr.PeriodQuarter} {
		if err := s.write(ctx, LastEnded(kind, now, loc), now); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Path is where s writes the document of p, without its extension.
func (s *Schedule) Path(p Period) string { return filepath.Join(s.Dir, "acdstat-"+p.String()) }

func (s *Schedule) write(ctx context.Context, p Period, now time.Time) error {
	base := s.Path(p)
	if _, err := os.Stat(base + ".pdf"); err == nil {
		return nil
	}
	d, err := Build(ctx, p, s.Lang, s.Texts, now, s.Producers...)
	if err != nil {
		return err
	}
	if len(d.Groups) == 0 {
		s.Log.Debug("no figures for the document yet", "period", p.String())
		return nil
	}
	page, err := d.HTML()
	if err != nil {
		return err
	}
	pdf, err := PrintPDF(ctx, s.Chromium, page)
	if err != nil {
		return err
	}
	if s.Mailer != nil {
		if err := s.Mailer.Send(ctx, d.Title+", "+d.PeriodTitle, d.Summary(), filepath.Base(base)+".pdf", pdf, now); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(s.Dir, 0o755); err != nil {
		return fmt.Errorf("cannot write the document: %w", err)
	}
	if err := writeFile(base+".html", page); err != nil {
		return err
	}
	if err := writeFile(base+".pdf", pdf); err != nil {
		return err
	}
	s.Log.Info("wrote the document", "period", p.String(), "file", base+".pdf", "mailed", s.Mailer != nil)
	return nil
}

// writeFile writes b to path through a file beside it and a rename, so a
// reader never sees half a document.
func writeFile(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("cannot write the document: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("cannot write the document %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("cannot write the document %s: %w", path, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("cannot write the document %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("cannot write the document %s: %w", path, err)
	}
	return nil
}
