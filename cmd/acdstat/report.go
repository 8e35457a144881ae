package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/acdstat/acdstat/cdr"
	"github.com/acdstat/acdstat/report"
	"github.com/acdstat/acdstat/store"
	"golang.org/x/term"
)

// reportFormats are the --format values of acdstat report.
var reportFormats = []string{"table", "csv", "json", "markdown", "xlsx"}

// cmdReport prints the report rows of METRICS.md for one queue, one row per
// period in the range, read from the rollups, or for several (--queue
// a,b): each queue's rows as its report alone gives them, in the order
// named, read in one store.PeriodRollupsOf (two queries whatever the
// number of queues, where a report per queue makes two each); JSON and
// CSV give one list of all rows, a table and Markdown one table per
// queue, and a workbook or a distribution (--by) takes one queue. The range is --from to --to
// as asked (reportRange): where it starts or ends inside a period, that row
// counts only its part and is marked partial. The queue's zone and names
// are those of the current queue settings; each row says with which
// settings it was counted. --sla adds the figures at other waits
// (report.AddThresholds).
//
// A queue that has no calls and is not in the queue settings is refused
// with the queues that are (knownQueue), as the API's 404 is; one of the
// settings without calls yet prints its periods with zero calls.
//
// It opens the store with openStore, which migrates: on a fresh database a
// report then says which queues it knows instead of failing on a missing
// rollup table, and a database from before the rollups gets them.
// Migrating is idempotent and cheap when nothing is pending; the price is
// that the ClickHouse user needs the right to create tables, as serve,
// ingest and migrate already do.
func cmdReport(ctx context.Context, p process, args []string) error {
	s, err := newSettings("report", p)
	if err != nil {
		return err
	}
	queue := s.fs.String("queue", "", "the queue to report on, or several separated by commas (required, unless --funnel)")
	funnel := s.fs.String("funnel", "", "report the IVR funnel of this entry of the queue file instead (--period day or month, --format table or json)")
	sw := s.fs.String("switch", cdr.AllSwitches, "the switch the calls came from; "+cdr.AllSwitches+" for all switches")
	fromArg := s.fs.String("from", "", "first local date YYYY-MM-DD or date-time YYYY-MM-DDTHH:MM (on a quarter hour) in the queue's time zone, included; inside a period, the first row counts from here only and says so (default: 1 January of this year)")
	toArg := s.fs.String("to", "", "local date or date-time (on a quarter hour) where the report ends, excluded; inside a period, the last row counts up to here only and says so (default: the end of the current period)")
	period := s.fs.String("period", cdr.PeriodMonth, fmt.Sprintf("one row per %v", cdr.Periods))
	hours := s.fs.String("hours", "all", "all calls, or only those that joined in opening hours: all or in")
	format := s.fs.String("format", "table", fmt.Sprintf("output format: %v", reportFormats))
	danish := s.fs.Bool("danish", false, "with --format csv: write CSV the way a Danish spreadsheet opens it (';', decimal comma, UTF-8 BOM)")
	output := s.fs.String("output", "", "write the report to this file instead of stdout (for --format xlsx on a terminal: report.xlsx)")
	by := s.fs.String("by", "", fmt.Sprintf("instead of a row per period, a row per local %s over the range (--period is then ignored; without --to the range ends with today)", strings.Join(cdr.Bys, " or ")))
	slaArg := s.fs.String("sla", "", "also give the figures at these waits, e.g. 20s,60s: answered and abandoned within each, and the service level at each (from the waits the rollups keep; no rebuild)")
	agents := s.fs.Bool("agents", false, "report the agent figures instead: a row per agent and period (--period, --from, --to, --format table, csv or json; see --agent, --queues)")
	agent := s.fs.String("agent", "", "with --agents: this agent only (its id, or its pseudonym)")
	queues := s.fs.Bool("queues", false, "with --agents: a row per queue of each agent too")
	systems := s.fs.Bool("systems", false, "report system response-time compliance instead: systems × months (--period month or day, --from and --to as YYYY-MM or YYYY-MM-DD, --format table, csv, json, markdown or xlsx)")
	contacts := s.fs.Bool("contacts", false, "report the contacts by channel instead: a row per desk, month and channel (--desk, --from, --to as local dates, --format table, csv, json, markdown or xlsx)")
	cases := s.fs.Bool("cases", false, "report the cases instead: a row per desk and month (as --contacts)")
	desk := s.fs.String("desk", "", "with --contacts or --cases: this desk only")
	quarter := s.fs.String("quarter", "", "write the quarterly document of this quarter (2016-Q4) instead: --format html or pdf (default html), --lang, --texts, --out")
	month := s.fs.String("month", "", "write the monthly document of this month (2016-10) instead, as --quarter")
	lang := s.fs.String("lang", "", "with --quarter or --month: the document's language, da or en (ACDSTAT_DOCUMENT_LANG)")
	texts := s.fs.String("texts", "", "with --quarter or --month: the folder of the authors' text, a folder per period of Markdown files (ACDSTAT_DOCUMENT_TEXTS)")
	s.fs.StringVar(output, "out", "", "the same as --output")
	if err := s.parse(args); err != nil {
		return err
	}
	if *quarter != "" || *month != "" {
		return cmdReportDocument(ctx, p, s, *quarter, *month, *format, *lang, *texts, *output)
	}
	if *systems {
		if s.fs.NArg() > 0 {
			return fmt.Errorf("report: unexpected argument %q", s.fs.Arg(0))
		}
		a, err := s.open(ctx, p, false)
		if err != nil {
			return err
		}
		defer a.Close()
		return reportSystems(ctx, a, *period, *fromArg, *toArg, *format, *output, p.stdout, s.now())
	}
	if *contacts || *cases {
		if s.fs.NArg() > 0 {
			return fmt.Errorf("report: unexpected argument %q", s.fs.Arg(0))
		}
		a, err := s.open(ctx, p, false)
		if err != nil {
			return err
		}
		defer a.Close()
		return reportDesks(ctx, a, *cases, *desk, *fromArg, *toArg, *format, *output, p.stdout, s.now())
	}
	if *agents {
		if s.fs.NArg() > 0 {
			return fmt.Errorf("report: unexpected argument %q", s.fs.Arg(0))
		}
		a, err := s.open(ctx, p, false)
		if err != nil {
			return err
		}
		defer a.Close()
		return reportAgents(ctx, a, *period, *fromArg, *toArg, *agent, *queues, *format, *output, p.stdout, s.now())
	}
	if *funnel != "" && s.fs.NArg() == 0 {
		a, err := s.open(ctx, p, false)
		if err != nil {
			return err
		}
		defer a.Close()
		return writeOutput(p.stdout, *output, false, func(w io.Writer) error {
			return reportFunnel(ctx, a, *funnel, *sw, *period, *fromArg, *toArg, *format, w)
		})
	}
	switch {
	case s.fs.NArg() > 0:
		return fmt.Errorf("report: unexpected argument %q", s.fs.Arg(0))
	case *queue == "":
		return fmt.Errorf("report: --queue is required")
	case !slices.Contains(cdr.Periods, *period):
		return fmt.Errorf("report: --period %q: use one of %v", *period, cdr.Periods)
	case *hours != "all" && *hours != "in":
		return fmt.Errorf("report: --hours %q: use all or in", *hours)
	case !slices.Contains(reportFormats, *format):
		return fmt.Errorf("report: --format %q: use one of %v", *format, reportFormats)
	case *danish && *format != "csv":
		return fmt.Errorf("report: --danish applies to --format csv only")
	case *by != "" && !slices.Contains(cdr.Bys, *by):
		return fmt.Errorf("report: --by %q: use one of %v", *by, cdr.Bys)
	}
	if *sw == "" {
		*sw = cdr.AllSwitches
	}
	var thresholds []int
	if *slaArg != "" {
		ts, err := report.ParseThresholds(*slaArg)
		if err != nil {
			return fmt.Errorf("report: --sla: %w", err)
		}
		thresholds = ts
	}

	a, err := s.open(ctx, p, false)
	if err != nil {
		return err
	}
	defer a.Close()
	qs, err := a.queues.Settings(ctx)
	if err != nil {
		return err
	}
	names, err := reportQueues(*queue)
	if err != nil {
		return err
	}
	if len(names) > 1 && (*by != "" || *format == "xlsx") {
		return fmt.Errorf("report: --by and --format xlsx take one queue; got %d (%s)", len(names), *queue)
	}
	if err := knownQueue(ctx, a.st, qs, names...); err != nil {
		return err
	}
	if *by != "" {
		q := qs.Queue(names[0])
		// A distribution's range defaults as a day's would: it ends with
		// today.
		from, to, err := reportRange(cdr.PeriodDay, *fromArg, *toArg, q.Location, s.now())
		if err != nil {
			return err
		}
		sums, err := a.st.DistributionRollups(ctx, *sw, q.Name, *by, from, to, *hours == "in", q.Location)
		if err != nil {
			return err
		}
		rows, err := report.BuildDistribution(q, qs.Version, *sw, *by, *hours, from, to, sums)
		if err != nil {
			return err
		}
		if thresholds != nil {
			report.AddThresholds(rows, thresholds)
		}
		return writeReport(p.stdout, *output, *format, [][]report.Row{rows}, *danish)
	}
	// Each queue's range is in its own zone.
	ranges := make([]store.QueueRange, len(names))
	for i, n := range names {
		from, to, err := reportRange(*period, *fromArg, *toArg, qs.Queue(n).Location, s.now())
		if err != nil {
			return err
		}
		ranges[i] = store.QueueRange{Queue: n, From: from, To: to}
	}
	sums, err := a.st.PeriodRollupsOf(ctx, *sw, *period, ranges, *hours == "in")
	if err != nil {
		return err
	}
	reports := make([][]report.Row, len(ranges))
	for i, r := range ranges {
		if reports[i], err = report.Build(qs.Queue(r.Queue), qs.Version, *sw, *period, *hours, r.From, r.To, sums[r.Queue]); err != nil {
			return err
		}
		if thresholds != nil {
			report.AddThresholds(reports[i], thresholds)
		}
	}
	return writeReport(p.stdout, *output, *format, reports, *danish)
}

// reportQueues splits --queue at its commas, refusing an empty name and a
// queue named twice.
func reportQueues(arg string) ([]string, error) {
	var names []string
	for n := range strings.SplitSeq(arg, ",") {
		n = strings.TrimSpace(n)
		switch {
		case n == "":
			return nil, fmt.Errorf("report: --queue %q: an empty queue name", arg)
		case slices.Contains(names, n):
			return nil, fmt.Errorf("report: --queue %q: queue %q named twice", arg, n)
		}
		names = append(names, n)
	}
	return names, nil
}

// writeReport writes the rows of each report in format to output, a file,
// or to stdout where output is empty (writeOutput): JSON and CSV as one
// list of the rows of all, a table and Markdown as one table per report,
// a blank line between them, a workbook of the first (cmdReport gives it
// one).
func writeReport(stdout io.Writer, output, format string, reports [][]report.Row, danish bool) error {
	return writeOutput(stdout, output, format == "xlsx", func(w io.Writer) error {
		switch format {
		case "json":
			return report.WriteJSON(w, slices.Concat(reports...))
		case "csv":
			return report.WriteCSV(w, slices.Concat(reports...), danish)
		case "xlsx":
			return report.WriteXLSX(w, reports[0])
		}
		for i, rows := range reports {
			if i > 0 {
				if _, err := io.WriteString(w, "\n"); err != nil {
					return err
				}
			}
			write := report.WriteTable
			if format == "markdown" {
				write = report.WriteMarkdown
			}
			if err := write(w, rows); err != nil {
				return err
			}
		}
		return nil
	})
}

// writeOutput runs write on the file output, or on stdout where output is
// empty. A file is written beside its final name and renamed when
// complete, so a report that fails leaves no half file (nor an empty one).
// A binary report (a workbook) is not printed on a terminal, where it
// would be noise: the error says to give --output or to redirect stdout.
func writeOutput(stdout io.Writer, output string, binary bool, write func(io.Writer) error) error {
	if output == "" {
		if f, ok := stdout.(*os.File); ok && binary && term.IsTerminal(int(f.Fd())) {
			return fmt.Errorf("report: --format xlsx writes a workbook, not text: give --output report.xlsx, or redirect stdout to a file (> report.xlsx)")
		}
		return write(stdout)
	}
	tmp, err := os.CreateTemp(filepath.Dir(output), "."+filepath.Base(output)+".*")
	if err != nil {
		return fmt.Errorf("cannot write the report: %w", err)
	}
	defer os.Remove(tmp.Name()) // gone after the rename; else the half file
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("cannot write the report to %s: %w", output, err)
	}
	// CreateTemp makes the file 0600; a report is for passing on.
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("cannot write the report to %s: %w", output, err)
	}
	if err := os.Rename(tmp.Name(), output); err != nil {
		return fmt.Errorf("cannot write the report to %s: %w", output, err)
	}
	return nil
}

// knownQueue refuses a queue of want that has no rolled-up calls and is
// not in the queue settings qs, as GET /v1/report answers 404: a mistyped
// name would otherwise print periods of zeros. The error names the first
// such queue, the known queues, and the one meant where one is close.
func knownQueue(ctx context.Context, st *store.Store, qs *cdr.Settings, want ...string) error {
	names, err := st.RollupQueues(ctx)
	if err != nil {
		return err
	}
	for n := range qs.Queues {
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	for _, name := range want {
		if slices.Contains(names, name) {
			continue
		}
		slices.Sort(names)
		list := strings.Join(names, ", ")
		if list == "" {
			list = "none yet (no queue settings applied, and no calls rolled up)"
		}
		meant := ""
		if c := closest(name, names); c != "" {
			meant = fmt.Sprintf(" (did you mean %q?)", c)
		}
		return fmt.Errorf("report: queue %q has no data and is not in the queue settings%s; known queues: %s", name, meant, list)
	}
	return nil
}

// reportRange is report.Range with its errors naming the flags. The range
// is the one asked for: a --from or --to inside a period makes the first or
// last row partial (report.Build), never a wider range.
func reportRange(period, fromArg, toArg string, loc *time.Location, now time.Time) (from, to time.Time, err error) {
	from, to, err = report.Range(period, fromArg, toArg, loc, now)
	var re *report.RangeError
	if errors.As(err, &re) {
		return from, to, fmt.Errorf("report: --%s: %s", re.Field, re.Msg)
	}
	return from, to, err
}

// parseLocal is report.ParseLocal (acdstat rebuild reads its range so too).
func parseLocal(s string, loc *time.Location) (time.Time, error) { return report.ParseLocal(s, loc) }
