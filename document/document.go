// Package document makes the quarterly (or monthly) report as a document,
// the way the first customer writes it by hand: a front page, the authors'
// own text, and per figure group and desk a chart with its table of
// numbers, in Danish or English, as HTML (WriteHTML) and as PDF printed by
// headless Chromium (PrintPDF). Schedule writes each month's and quarter's
// document to a folder when the period has ended, and mails it (Mailer).
//
// The figures come from Producers, one per figure group family: Queues
// gives the queue figures (calls, service level, first-contact
// resolution) from the same rollups and report rows as GET /v1/report,
// Cases the contacts and cases per desk as GET /v1/contacts and
// /v1/cases, Systems the system response-time table as GET /v1/systems,
// so the document and the API agree by construction. A producer returns
// no group where its data does not exist (a desk without calls, a quarter
// without dispositions, cases or system figures), and the document then
// has no such section.
//
// It reaches neither the store nor the HTTP server: the producers read
// through small interfaces the store implements.
package document

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"strconv"
	"strings"
	"time"

	"github.com/acdstat/acdstat/cdr"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
)

// Cell is one value of a table. Field is its report-row name and Value its
// exact value (empty for null), written as data attributes so that a test
// compares the document with GET /v1/report; Text is what people read.
type Cell struct {
	Field, Value, Text string
	Class              string // "met" or "missed" for a ratio against its target
}

// Row is one row of a figure's table: a month, or the period's total.
type Row struct {
	Label string
	Start string // the local start of the month (RFC 3339), data-period-start; empty for a total
	Total bool
	Cells []Cell
}

// Figure is a chart with its table of numbers, printed together on one
// page.
type Figure struct {
	ID      string
	Chart   template.HTML // inline SVG (report.Chart.SVG); empty: a table only
	Caption string
	Header  []string
	Rows    []Row
}

// Section is one section of a group: the figures of one desk (or of every
// system), with its heading and the authors' text. ID names the authors'
// file (ID.md); Summary is its figures in one sentence, for the mail
// body; empty where the section has none to give.
type Section struct {
	ID, Heading string
	Figures     []Figure
	Summary     string
	Number      string        // "1.2", set by Build
	Text        template.HTML // the authors' text, set by Build
}

// Group is a figure group with its fixed heading (Labels): calls, service
// level, first-contact resolution, cases and channels, system response
// times. A group without sections is left out of the document.
type Group struct {
	ID, Heading string
	Sections    []Section
	// Overview is the group's key figures for the front page (a table,
	// a row per desk); nil: none.
	Overview *Figure
	Number   string        // "1", set by Build
	Text     template.HTML // the authors' text of the group (ID.md), set by Build
}

// Producer makes the groups of one family of figures for period p, in
// language lang (Labels gives the fixed headings). It returns no group,
// and a group no section, where the data does not exist: the document
// leaves it out. Sections and groups keep the order they are returned in.
type Producer interface {
	Groups(ctx context.Context, p Period, lang string) ([]Group, error)
}

// Document is one month's or quarter's report, ready to write.
type Document struct {
	Period             Period
	Lang               string
	Title, PeriodTitle string
	Made               string
	Intro, Closing     template.HTML
	Groups             []Group
}

// Build makes the document of period p in lang from the producers, in
// their order, with the authors' text of texts (nil: none): the folder
// named p (2016-Q4, 2016-10) holds intro.md, closing.md and one Markdown
// file per group and section, named by its ID (calls.md,
// calls-servicedesk.md, …). A missing file is an empty place. now is
// when the document is made, written on its front page.
func Build(ctx context.Context, p Period, lang string, texts fs.FS, now time.Time, producers ...Producer) (*Document, error) {
	if _, ok := labels[lang]; !ok {
		return nil, fmt.Errorf("document: language %q: use da or en", lang)
	}
	l := labels[lang]
	d := &Document{Period: p, Lang: lang, Title: l["monthly"], PeriodTitle: PeriodTitle(p, lang),
		Made: fmt.Sprintf(l["made"], now.Format("2006-01-02 15:04"))}
	if p.Kind == cdr.PeriodQuarter {
		d.Title = l["quarterly"]
	}
	t := textReader{fsys: texts, dir: p.String()}
	var err error
	if d.Intro, err = t.read("intro"); err != nil {
		return nil, err
	}
	if d.Closing, err = t.read("closing"); err != nil {
		return nil, err
	}
	for _, pr := range producers {
		gs, err := pr.Groups(ctx, p, lang)
		if err != nil {
			return nil, err
		}
		for _, g := range gs {
			if len(g.Sections) == 0 {
				continue
			}
			g.Number = strconv.Itoa(len(d.Groups) + 1)
			if g.Text, err = t.read(g.ID); err != nil {
				return nil, err
			}
			for i := range g.Sections {
				s := &g.Sections[i]
				s.Number = g.Number + "." + strconv.Itoa(i+1)
				if s.Text, err = t.read(s.ID); err != nil {
					return nil, err
				}
			}
			d.Groups = append(d.Groups, g)
		}
	}
	return d, nil
}

// Summary is the document's figures in a few lines of plain text: its
// title, and each section's summary; the scheduled mail's body.
func (d *Document) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s, %s\n\n", d.Title, d.PeriodTitle)
	for _, g := range d.Groups {
		for _, s := range g.Sections {
			if s.Summary != "" {
				b.WriteString(s.Summary + "\n")
			}
		}
	}
	return b.String()
}

// WriteHTML writes the document as one HTML page with its styles and
// charts inline, so it opens and prints without a server.
func (d *Document) WriteHTML(w io.Writer) error {
	if err := page.Execute(w, d); err != nil {
		return fmt.Errorf("cannot write the document: %w", err)
	}
	return nil
}

// HTML is WriteHTML into bytes.
func (d *Document) HTML() ([]byte, error) {
	var b bytes.Buffer
	err := d.WriteHTML(&b)
	return b.Bytes(), err
}

// Overviews are the groups' key figures, for the front page.
func (d *Document) Overviews() []*Figure {
	var out []*Figure
	for _, g := range d.Groups {
		if g.Overview != nil {
			out = append(out, g.Overview)
		}
	}
	return out
}

// L is the document's labels, for the template.
func (d *Document) L() map[string]string { return labels[d.Lang] }

// textReader reads the authors' Markdown of one period.
type textReader struct {
	fsys fs.FS
	dir  string
}

// markdown renders the authors' text: CommonMark with tables. Raw HTML in
// the text is left out (goldmark's default), so a text cannot break the
// page or run a script in it.
var markdown = goldmark.New(goldmark.WithExtensions(extension.Table))

// read renders the file id.md of the period's folder; a missing file (or
// folder, or no texts at all) is no text. So is an id that is no path
// inside the folder: ids hold queue names, which come from the switches,
// and a name such as "../x" must neither reach outside the folder nor
// stop the document.
func (t textReader) read(id string) (template.HTML, error) {
	name := t.dir + "/" + id + ".md"
	if t.fsys == nil || !fs.ValidPath(name) || strings.Contains(id, "/") {
		return "", nil
	}
	src, err := fs.ReadFile(t.fsys, name)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("cannot read the text %s/%s.md: %w", t.dir, id, err)
	}
	var b bytes.Buffer
	if err := markdown.Convert(src, &b); err != nil {
		return "", fmt.Errorf("cannot render the text %s/%s.md: %w", t.dir, id, err)
	}
	return template.HTML(b.String()), nil // goldmark escapes; raw HTML is omitted
}
