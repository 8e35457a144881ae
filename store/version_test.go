package store

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/acdstat/acdstat/chtest"
)

// TestOpenSaysOnceWhichClickHouseAndWhatIsSupported opens a store as every
// command does and reads its log as a person does: one line names the
// server's version and says in our words whether acdstat supports it; the
// driver's own "unsupported clickhouse version … minimum 25.8.0" warning,
// which it prints for every pool it opens, is not there.
func TestOpenSaysOnceWhichClickHouseAndWhatIsSupported(t *testing.T) {
	addr, db := chtest.NewDatabase(t)
	var buf bytes.Buffer
	s, err := Open(context.Background(), testConfig(addr, db), slog.New(slog.NewTextHandler(&buf, nil)))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()
	out := buf.String()
	if strings.Contains(out, "minimum_supported_version") || strings.Contains(out, "unsupported clickhouse version") {
		t.Errorf("the driver's version warning is printed:\n%s", out)
	}
	var lines []string
	for l := range strings.SplitSeq(strings.TrimSpace(out), "\n") {
		if strings.Contains(l, s.ServerVersion()) {
			lines = append(lines, l)
		}
	}
	if len(lines) != 1 {
		t.Fatalf("got %d lines naming version %s; want 1:\n%s", len(lines), s.ServerVersion(), out)
	}
	_, note := Support(s.ServerVersion())
	if !strings.Contains(lines[0], note) {
		t.Errorf("got %q; want it to say %q", lines[0], note)
	}
}

func TestSupportSaysWhatIsTested(t *testing.T) {
	for _, tc := range []struct {
		version string
		ok      bool
		want    string
	}{
		{"18.16.1", true, "tested"},
		{"25.8.3.66", true, "25.x LTS"},
		{"26.1.2", true, "25.x LTS"},
		{"23.8.9", false, "not tested"},
		{"18.14.1", false, "older than 18.16"},
		{"1.1.54343", false, "older than 18.16"},
		{"nonsense", false, "not tested"},
	} {
		ok, note := Support(tc.version)
		if ok != tc.ok || !strings.Contains(note, tc.want) {
			t.Errorf("Support(%q) = %v, %q; want %v and a note with %q", tc.version, ok, note, tc.ok, tc.want)
		}
	}
}

// TestCancelledQueryLogsNoError: a query cut short by its context (serve
// stopping mid-job) is the caller's to report, and it is no error: the
// driver's "query processing failed … context canceled" (or "failed to
// get first block") does not reach the log at level ERROR.
func TestCancelledQueryLogsNoError(t *testing.T) {
	addr, db := chtest.NewDatabase(t)
	var buf bytes.Buffer
	s, err := Open(context.Background(), testConfig(addr, db), slog.New(slog.NewTextHandler(&buf, nil)))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	rows, err := s.conn.Query(ctx, "SELECT sleep(2)")
	if err == nil {
		for rows.Next() {
		}
		err = rows.Err()
		rows.Close()
	}
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v; want context.Canceled", err)
	}
	if strings.Contains(buf.String(), "level=ERROR") {
		t.Errorf("a cancelled query logged an error:\n%s", buf.String())
	}
}
