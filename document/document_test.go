package document

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"maps"
	"mime"
	"mime/multipart"
	"net/mail"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/acdstat/acdstat/cdr"
)

// TestLabelsAreComplete: every language has every label, with the same fmt
// verbs, so no heading is missing or garbled in one of them.
func TestLabelsAreComplete(t *testing.T) {
	verbs := regexp.MustCompile(`%(\[\d\])?[sdv]`)
	keys := slices.Sorted(maps.Keys(labels["en"]))
	for _, lang := range Languages {
		l := labels[lang]
		if got := slices.Sorted(maps.Keys(l)); !slices.Equal(got, keys) {
			t.Errorf("%s: labels %v; want %v", lang, got, keys)
		}
		for _, k := range keys {
			if got, want := verbs.FindAllString(l[k], -1), verbs.FindAllString(labels["en"][k], -1); !slices.Equal(got, want) {
				t.Errorf("%s: %s has verbs %v; English %v", lang, k, got, want)
			}
		}
	}
}

func TestPeriods(t *testing.T) {
	loc, err := time.LoadLocation("Europe/Copenhagen")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		in, title, da, from, to string
	}{
		{"2016-Q4", "4th quarter 2016", "4. kvartal 2016", "2016-10-01T00:00:00+02:00", "2017-01-01T00:00:00+01:00"},
		{"2016-q1", "1st quarter 2016", "1. kvartal 2016", "2016-01-01T00:00:00+01:00", "2016-04-01T00:00:00+02:00"},
		{"2016-10", "October 2016", "oktober 2016", "2016-10-01T00:00:00+02:00", "2016-11-01T00:00:00+01:00"},
		{"2016-12", "December 2016", "december 2016", "2016-12-01T00:00:00+01:00", "2017-01-01T00:00:00+01:00"},
	} {
		p, err := ParsePeriod(tc.in)
		if err != nil {
			t.Fatalf("ParsePeriod(%q): %v", tc.in, err)
		}
		from, to := p.Range(loc)
		if got := PeriodTitle(p, "en"); got != tc.title {
			t.Errorf("%s: title %q; want %q", tc.in, got, tc.title)
		}
		if got := PeriodTitle(p, "da"); got != tc.da {
			t.Errorf("%s: Danish title %q; want %q", tc.in, got, tc.da)
		}
		if from.Format(time.RFC3339) != tc.from || to.Format(time.RFC3339) != tc.to {
			t.Errorf("%s: range %s to %s; want %s to %s", tc.in, from.Format(time.RFC3339), to.Format(time.RFC3339), tc.from, tc.to)
		}
		if back, _ := ParsePeriod(p.String()); back != p || !strings.EqualFold(p.String(), tc.in) {
			t.Errorf("%s: String %q does not read back", tc.in, p.String())
		}
	}
	for _, bad := range []string{"", "2016", "2016-Q5", "2016-Q0", "2016-13", "2016-00", "16-10", "2016-10-01"} {
		if _, err := ParsePeriod(bad); err == nil {
			t.Errorf("ParsePeriod(%q): no error", bad)
		}
	}
	for _, tc := range []struct {
		now            time.Time
		month, quarter string
	}{
		// Midnight of New Year, local: December and the fourth quarter
		// have just ended (in UTC it is still 31 December).
		{time.Date(2017, 1, 1, 0, 0, 0, 0, loc), "2016-12", "2016-Q4"},
		{time.Date(2016, 12, 31, 23, 59, 59, 0, loc), "2016-11", "2016-Q3"},
		{time.Date(2017, 5, 20, 12, 0, 0, 0, loc), "2017-04", "2017-Q1"},
		{time.Date(2017, 3, 31, 22, 30, 0, 0, time.UTC), "2017-03", "2017-Q1"}, // 1 April 00:30 in Copenhagen
	} {
		if got := LastEnded(cdr.PeriodMonth, tc.now, loc).String(); got != tc.month {
			t.Errorf("LastEnded(month, %s): %s; want %s", tc.now, got, tc.month)
		}
		if got := LastEnded(cdr.PeriodQuarter, tc.now, loc).String(); got != tc.quarter {
			t.Errorf("LastEnded(quarter, %s): %s; want %s", tc.now, got, tc.quarter)
		}
	}
}

// groups is a Producer of fixed groups, as the cases and systems producers
// will be.
type groups []Group

func (g groups) Groups(context.Context, Period, string) ([]Group, error) { return g, nil }

// TestBuildLeavesOutGroupsWithoutSectionsAndReadsTexts: a group without
// sections has no heading and no number; the authors' Markdown is
// rendered where its file is and nothing stands where it is not; raw HTML
// in a text is left out.
func TestBuildLeavesOutGroupsWithoutSectionsAndReadsTexts(t *testing.T) {
	texts := fstest.MapFS{
		"2016-Q4/intro.md":        {Data: []byte("### On the quarter\n\nA **good** quarter.\n\n<script>alert(1)</script>\n\n| a | b |\n|---|---|\n| 1 | 2 |\n")},
		"2016-Q4/systems-epm3.md": {Data: []byte("EPM3 is slow.\n")},
		"2016-Q4/cases.md":        {Data: []byte("Never shown: the quarter has no cases.\n")},
		"2016-Q3/intro.md":        {Data: []byte("Another quarter.\n")},
		"2016-Q4/systems-a/b.md":  {Data: []byte("Never shown: not a section's file.\n")},
	}
	p, _ := ParsePeriod("2016-Q4")
	d, err := Build(context.Background(), p, "en", texts, time.Date(2017, 1, 2, 9, 0, 0, 0, time.UTC),
		groups{{ID: "cases", Heading: "Cases"}},
		groups{{ID: "systems", Heading: "System response times", Sections: []Section{
			{ID: "systems-epm3", Heading: "EPM3", Figures: []Figure{{ID: "f", Header: []string{"Month", "Share"},
				Rows: []Row{{Label: "October 2016", Cells: []Cell{{Field: "share", Value: "0.8525", Text: "85.25 %"}}}}}}},
			{ID: "systems-orbit", Heading: "Orbit"},
			{ID: "systems-../../2016-Q3/intro", Heading: "A name from a switch"},
			{ID: "systems-a/b", Heading: "Another"},
		}}})
	if err != nil {
		t.Fatal(err)
	}
	page, err := d.HTML()
	if err != nil {
		t.Fatal(err)
	}
	s := string(page)
	for _, want := range []string{"<h2>1 System response times</h2>", "<h3>1.1 EPM3</h3>", "<h3>1.2 Orbit</h3>",
		"<p>EPM3 is slow.</p>", "A <strong>good</strong> quarter.", "<td>1</td>", `data-field="share" data-value="0.8525">85.25 %</td>`,
		"<h1>Quarterly report</h1>", "4th quarter 2016", "2017-01-02 09:00"} {
		if !strings.Contains(s, want) {
			t.Errorf("the page has no %q", want)
		}
	}
	for _, never := range []string{"Cases", "Never shown", "alert(1)", "Another quarter"} {
		if strings.Contains(s, never) {
			t.Errorf("the page has %q", never)
		}
	}
	if n := strings.Count(s, `<div class="text">`); n != 2 {
		t.Errorf("%d texts; want the introduction's and EPM3's", n)
	}
	// No texts at all is no error, and no text.
	d, err = Build(context.Background(), p, "da", nil, time.Now(), groups{{ID: "x", Heading: "X", Sections: []Section{{ID: "y", Heading: "Y"}}}})
	if err != nil || d.Intro != "" || d.Groups[0].Sections[0].Text != "" || d.Title != "Kvartalsrapport" {
		t.Errorf("Build without texts: %v, %+v", err, d)
	}
	if _, err := Build(context.Background(), p, "de", nil, time.Now()); err == nil {
		t.Errorf("Build in German: no error")
	}
}

// TestMessage: the mail parses as MIME, with the body in UTF-8 (Danish
// letters intact) and the PDF attached byte for byte.
func TestMessage(t *testing.T) {
	pdf := bytes.Repeat([]byte("%PDF-1.4 binary \x00\xff\n"), 50)
	body := "Kvartalsrapport, 4. kvartal 2016\n\nKlinisk Servicedesk: 163 modtagne opkald, gns. ventetid 1:30; mål 80 %.\n"
	raw, err := message("acdstat@example.org", []string{"a@example.org", "b@example.org"}, "Kvartalsrapport, 4. kvartal 2016", body, "acdstat-2016-Q4.pdf", pdf,
		time.Date(2017, 1, 2, 6, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(raw), "\r\n") {
		if len(line) > 998 {
			t.Fatalf("a line of %d characters; SMTP allows 998", len(line))
		}
	}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if got := msg.Header.Get("Date"); got != "Mon, 02 Jan 2017 06:00:00 +0000" {
		t.Errorf("Date %q", got)
	}
	_, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	part, err := mr.NextPart()
	if err != nil {
		t.Fatal(err)
	}
	text, _ := io.ReadAll(part)
	if got := strings.ReplaceAll(string(text), "\r\n", "\n"); got != body {
		t.Errorf("body %q; want %q", got, body)
	}
	part, err = mr.NextPart()
	if err != nil {
		t.Fatal(err)
	}
	if part.FileName() != "acdstat-2016-Q4.pdf" {
		t.Errorf("attachment %q", part.FileName())
	}
	enc, _ := io.ReadAll(part)
	got, err := decodeBase64(enc)
	if err != nil || !bytes.Equal(got, pdf) {
		t.Errorf("the attachment is not the PDF: %v", err)
	}
}

func decodeBase64(b []byte) ([]byte, error) {
	return base64.StdEncoding.DecodeString(strings.Join(strings.Fields(string(b)), ""))
}

// TestConfigValidate names the setting at fault.
func TestConfigValidate(t *testing.T) {
	ok := Config{Lang: "da"}
	if err := ok.Validate(); err != nil {
		t.Fatalf("no documents: %v", err)
	}
	for _, tc := range []struct {
		c    Config
		want string
	}{
		{Config{Lang: "de"}, "ACDSTAT_DOCUMENT_LANG"},
		{Config{Lang: "en", Texts: "/nonexistent/texts"}, "ACDSTAT_DOCUMENT_TEXTS"},
		{Config{Lang: "en", Schedule: "0 6 * * *", Chromium: "/nonexistent/chromium"}, "ACDSTAT_DOCUMENT_SCHEDULE: the scheduled documents are PDFs"},
		{Config{Lang: "en", SMTP: SMTPConfig{Addr: "mail:25", From: "a@example.org", To: []string{"b@example.org"}}}, "ACDSTAT_DOCUMENT_SCHEDULE must be set"},
		{Config{Lang: "en", SMTP: SMTPConfig{Addr: "mail", From: "a@example.org", To: []string{"b@example.org"}}}, "ACDSTAT_SMTP_ADDR: \"mail\" is not host:port"},
		{Config{Lang: "en", SMTP: SMTPConfig{Addr: "mail:25", From: "nobody", To: []string{"b@example.org"}}}, "ACDSTAT_SMTP_FROM"},
		{Config{Lang: "en", SMTP: SMTPConfig{Addr: "mail:25", From: "a@example.org"}}, "ACDSTAT_SMTP_TO: set"},
		{Config{Lang: "en", SMTP: SMTPConfig{Addr: "mail:25", From: "a@example.org", To: []string{"b@example.org"}, PasswordFile: "/nonexistent/pw"}}, "ACDSTAT_SMTP_PASSWORD_FILE"},
		{Config{Lang: "en", SMTP: SMTPConfig{Addr: "mail:25", From: "a@example.org", To: []string{"b@example.org"}, CAFile: "/nonexistent/ca"}}, "ACDSTAT_SMTP_CA_FILE"},
	} {
		if err := tc.c.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v; want an error saying %q", tc.c, err, tc.want)
		}
	}
}
