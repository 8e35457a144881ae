package document

import (
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestScheduleWritesNothingWhenTheMailFails: a document whose mail fails
// is not written, so the next run mails it again; a period without
// figures is not written at all.
func TestScheduleWritesNothingWhenTheMailFails(t *testing.T) {
	bin, err := FindChromium("")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	// A mail server that hangs up at once.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	m, err := NewMailer(SMTPConfig{Addr: ln.Addr().String(), From: "a@example.org", To: []string{"b@example.org"}})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	utc := func(context.Context) (*time.Location, error) { return time.UTC, nil }
	s := &Schedule{Dir: dir, Lang: "en", Chromium: bin, Zone: utc, Mailer: m,
		Now:       func() time.Time { return time.Date(2017, 1, 2, 6, 0, 0, 0, time.UTC) },
		Log:       slog.New(slog.NewTextHandler(io.Discard, nil)),
		Producers: []Producer{groups{{ID: "x", Heading: "X", Sections: []Section{{ID: "y", Heading: "Y"}}}}}}
	err = s.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "cannot mail the document") {
		t.Errorf("Run with a failing mail server: %v; want cannot mail the document", err)
	}
	if files, _ := filepath.Glob(filepath.Join(dir, "*")); len(files) > 0 {
		t.Errorf("the mail failed, yet the folder holds %v", files)
	}
	s.Producers = []Producer{groups{{ID: "x", Heading: "X"}}} // no sections: no figures
	if err := s.Run(context.Background()); err != nil {
		t.Errorf("Run without figures: %v", err)
	}
	if files, _ := filepath.Glob(filepath.Join(dir, "*")); len(files) > 0 {
		t.Errorf("a period without figures was written: %v", files)
	}
}
