package main

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestSpoolOfThePreviousReleaseDrains: records that the release before
// issue 11 acknowledged into its spool, and had not yet written to
// ClickHouse when it was stopped for the upgrade, are written by this
// release when it starts over the same data directory. What users read
// afterwards (queue calls per queue and outcome, the rejects) equals what
// `acdstat ingest` makes of the same lines today.
func TestSpoolOfThePreviousReleaseDrains(t *testing.T) {
	const source = "testdata/spool-v1/queue_log"
	fresh := testEnv(t)
	ingestAt(t, clockFrom(testToday), fresh, "--format", "queue_log", source)
	want := counts(t, fresh)
	if len(want) == 0 {
		t.Fatal("the lines make no queue calls")
	}
	wantRejects, err := openTestStore(t, fresh).RecentRejects(context.Background(), "", 10)
	if err != nil {
		t.Fatal(err)
	}

	upgraded := testEnv(t)
	dir := filepath.Join(envValue(upgraded, "ACDSTAT_DATA_DIR"), "spool")
	copyDir(t, "testdata/spool-v1/spool", dir)
	startServe(t, upgraded)
	waitForCounts(t, upgraded, want, time.Minute)
	got, err := openTestStore(t, upgraded).RecentRejects(context.Background(), "", 10)
	if err != nil {
		t.Fatal(err)
	}
	for i := range got {
		got[i].ReceivedAt = time.Time{}
	}
	for i := range wantRejects {
		wantRejects[i].ReceivedAt = time.Time{}
	}
	if len(got) != 1 || !reflect.DeepEqual(got, wantRejects) {
		t.Errorf("rejects:\n got %+v\nwant %+v", got, wantRejects)
	}
	resp, err := http.Get("http://" + envValue(upgraded, "ACDSTAT_HTTP_ADDR") + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, m := range []string{"\nacdstat_spool_records_pending 0\n", "\nacdstat_writer_batches_total{result=\"bad_record\"} 0\n"} {
		if !strings.Contains(string(metrics), m) {
			t.Errorf("metrics lack %q", strings.TrimSpace(m))
		}
	}
}

// copyDir copies the files of from into a new directory to.
func copyDir(t *testing.T, from, to string) {
	t.Helper()
	entries, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(to, 0o750); err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, e.Name()), b, 0o640); err != nil {
			t.Fatal(err)
		}
	}
}
