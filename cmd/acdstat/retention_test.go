package main

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"
)

// TestRebuildRefusesARangeOlderThanTheEventRetention needs no server: the
// range is checked before anything is opened.
func TestRebuildRefusesARangeOlderThanTheEventRetention(t *testing.T) {
	from := time.Now().AddDate(0, 0, -40).Format(time.DateOnly)
	to := time.Now().AddDate(0, 0, -35).Format(time.DateOnly)
	environ := []string{"ACDSTAT_RETENTION_EVENTS=31d", "ACDSTAT_CLICKHOUSE_ADDR=127.0.0.1:1"}
	err := run(context.Background(), []string{"rebuild", "--from", from, "--to", to}, environ, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "ACDSTAT_RETENTION_EVENTS=31d") {
		t.Fatalf("got %v; want a refusal naming ACDSTAT_RETENTION_EVENTS", err)
	}
}
