package main

import (
	"context"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/acdstat/acdstat/simulate"
)

// startServeArgs runs serve with args in this process until the test ends,
// at testToday.
func startServeArgs(t *testing.T, environ []string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	// ended is closed once serve has returned err; waitReady reads early
	// ends from done, which is fed from it.
	var err error
	ended := make(chan struct{})
	p := process{environ: environ, stdout: io.Discard, stderr: os.Stderr, now: clockFrom(testToday)}
	go func() { err = run(ctx, p, append([]string{"serve"}, args...)); close(ended) }()
	t.Cleanup(func() {
		cancel()
		<-ended
		if err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	done := make(chan error, 1)
	go func() { <-ended; done <- err }()
	waitReady(t, "http://"+envValue(environ, "ACDSTAT_HTTP_ADDR"), done)
}

// TestServeQueuesFlagAppliesTheFile: serve --queues FILE applies the file
// at start, as ACDSTAT_QUEUES does and as the other commands' --queues do:
// the API then names the desks as the file does.
func TestServeQueuesFlagAppliesTheFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "queues.yaml")
	if err := os.WriteFile(file, []byte(hospitalQueues), 0o644); err != nil {
		t.Fatal(err)
	}
	environ := testEnv(t)
	startServeArgs(t, environ, "--queues", file)
	// serve is ready for intake before it has applied the file where
	// ClickHouse answers slowly (its first attempt may outlast
	// firstAttemptWait on a loaded machine): the file is applied once
	// ClickHouse answers, so the names come within a deadline.
	var names map[string]string
	for deadline := time.Now().Add(30 * time.Second); ; {
		names = apiQueueNames(t, "http://"+envValue(environ, "ACDSTAT_HTTP_ADDR")+"/v1/queues")
		if names["klinisk"] == "Klinisk Servicedesk" && names["sp_helpdesk"] == "SP Helpdesk" {
			return
		}
		if time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Errorf("GET /v1/queues after serve --queues: got %v; want the names of the file", names)
}

// apiQueueNames returns the display name of each queue GET /v1/queues lists.
func apiQueueNames(t *testing.T, url string) map[string]string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var queues []struct {
		Name    string `json:"name"`
		Display string `json:"display"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&queues); err != nil {
		t.Fatal(err)
	}
	names := map[string]string{}
	for _, q := range queues {
		names[q.Name] = q.Display
	}
	return names
}

// TestReportUnknownQueueNamesTheKnownOnes: a mistyped queue is refused with
// the queues acdstat knows (those of the queue settings and those with
// calls) and the one meant, as the API's 404 does, instead of a year of
// zeros; a queue of the settings without calls yet, and one with calls but
// not in the settings, are reported.
func TestReportUnknownQueueNamesTheKnownOnes(t *testing.T) {
	file := filepath.Join(t.TempDir(), "queues.yaml")
	if err := os.WriteFile(file, []byte(hospitalQueues), 0o644); err != nil {
		t.Fatal(err)
	}
	environ := testEnv(t)
	runCmd(t, environ, "settings", "apply", file)
	runCmd(t, environ, "ingest", writeLines(t, "queue_log", []simulate.Line{
		{Text: "1761901200|1761901200.1|it_support|NONE|ENTERQUEUE||4512345678|1"},
		{Text: "1761901230|1761901200.1|it_support|PJSIP/2101|CONNECT|30|1761901230.2|2"},
		{Text: "1761901330|1761901200.1|it_support|PJSIP/2101|COMPLETECALLER|30|100|1"},
	}))
	runCmd(t, environ, "rollup")

	_, _, err := runText(t, environ, "report", "--queue", "Klinisk")
	want := `report: queue "Klinisk" has no data and is not in the queue settings (did you mean "klinisk"?); known queues: it_support, klinisk, servicedesk, sp_helpdesk`
	if err == nil || err.Error() != want {
		t.Errorf("report --queue Klinisk: got %v; want %s", err, want)
	}
	_, _, err = runText(t, environ, "report", "--queue", "nothing_like_it")
	if err == nil || strings.Contains(err.Error(), "did you mean") || !strings.Contains(err.Error(), "known queues: it_support, klinisk") {
		t.Errorf("report --queue nothing_like_it: got %v; want the known queues and no guess", err)
	}
	for _, q := range []string{"klinisk", "it_support"} {
		if _, _, err := runText(t, environ, "report", "--queue", q, "--from", "2025-10-01", "--to", "2025-11-01"); err != nil {
			t.Errorf("report --queue %s: %v", q, err)
		}
	}
}

// TestOutputsSayOneAndMany: what the commands print of one thing says it
// in the singular ("1 line rejected", "1 switch"), as a person writes it.
func TestOutputsSayOneAndMany(t *testing.T) {
	environ := testEnv(t)
	file := writeLines(t, "queue_log", []simulate.Line{
		{Text: "1761901200|1761901200.1|it_support|NONE|ENTERQUEUE||4512345678|1"},
		{Text: "not-a-time|1761901200.1|it_support|NONE|ABANDON|1|1|30"},
	})
	out, _, err := runText(t, environ, "ingest", file)
	if err != exitCode(3) {
		t.Fatalf("ingest with a bad line: got %v; want exit status 3", err)
	}
	for _, want := range []string{": 1 event stored, 0 duplicates, 1 line rejected\n", "queue calls built for 1 call id (1 row written)\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("ingest printed\n%s\nwant %q", out, want)
		}
	}
	out = runCmd(t, environ, "rollup")
	// One call, in one 15-minute bucket.
	for _, want := range []string{"rolled up 1 bucket (1 queue call, "} {
		if !strings.Contains(out, want) {
			t.Errorf("rollup printed\n%s\nwant %q", out, want)
		}
	}
	queues := filepath.Join(t.TempDir(), "queues.yaml")
	if err := os.WriteFile(queues, []byte("switches:\n  pbx1: {timezone: Europe/London}\nqueues:\n  it_support: {name: IT}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out := runCmd(t, environ, "check-config", "--queues", queues); !strings.Contains(out, "lists 1 queue and 1 switch:") {
		t.Errorf("check-config printed\n%s\nwant %q", out, "lists 1 queue and 1 switch:")
	}
}

// TestSimulatorGivesDispositions: acdstat simulate writes, as make run
// sends, the dispositions agents give after their calls, so the demo's
// first-contact chart has figures: the report's dispositions and FCR rate
// of each desk are those of the simulator's truth.
func TestSimulatorGivesDispositions(t *testing.T) {
	environ := testEnv(t)
	dir := t.TempDir()
	log, truthFile := filepath.Join(dir, "queue_log"), filepath.Join(dir, "truth.json")
	runCmd(t, environ, "simulate", "--calls-per-day", "150", "--out", log, "--truth", truthFile)
	runCmd(t, environ, "ingest", log)
	runCmd(t, environ, "rollup")
	var truth simulate.Truth
	b, err := os.ReadFile(truthFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &truth); err != nil {
		t.Fatal(err)
	}
	want := map[string][2]int{} // dispositions, resolved
	for _, c := range truth.Calls {
		if c.Disposed {
			w := want[c.Queue]
			w[0]++
			if c.Resolved {
				w[1]++
			}
			want[c.Queue] = w
		}
	}
	for _, q := range []string{"servicedesk", "klinisk", "sp_helpdesk"} {
		if want[q][0] == 0 {
			t.Fatalf("%s: the simulator gave no dispositions", q)
		}
		var rows []struct {
			Dispositions uint64   `json:"dispositions"`
			FCRRate      *float64 `json:"fcr_rate"`
		}
		out := runCmd(t, environ, "report", "--queue", q, "--period", "year", "--from", "2025-01-01", "--to", "2026-01-01", "--format", "json")
		if err := json.Unmarshal([]byte(out), &rows); err != nil || len(rows) != 1 {
			t.Fatalf("report of %s: %v\n%s", q, err, out)
		}
		rate := float64(want[q][1]) / float64(want[q][0])
		if rows[0].Dispositions != uint64(want[q][0]) || rows[0].FCRRate == nil || math.Abs(*rows[0].FCRRate-rate) > 1e-9 {
			t.Errorf("%s: got %d dispositions, fcr_rate %v; want %d and %.4f", q, rows[0].Dispositions, rows[0].FCRRate, want[q][0], rate)
		}
	}
}

// TestOneShotCommandsPrintNoInfoLines: a command a person types (report,
// settings, ingest) prints its result without log lines before it; its
// warnings still show, and ACDSTAT_LOG_LEVEL=info (or --log-level) brings
// the rest back. serve logs at info.
func TestOneShotCommandsPrintNoInfoLines(t *testing.T) {
	var environ []string
	for _, kv := range testEnv(t) {
		if !strings.HasPrefix(kv, "ACDSTAT_LOG_LEVEL=") {
			environ = append(environ, kv)
		}
	}
	file := filepath.Join(t.TempDir(), "queues.yaml")
	if err := os.WriteFile(file, []byte(hospitalQueues), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"settings", "apply", file}, {"settings", "show"}, {"report", "--queue", "klinisk"}} {
		_, stderr, err := runText(t, environ, args...)
		if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		if stderr != "" {
			t.Errorf("%v printed log lines:\n%s", args, stderr)
		}
	}
	for _, env := range [][]string{append(environ, "ACDSTAT_LOG_LEVEL=info"), environ} {
		args := []string{"report", "--queue", "klinisk"}
		if len(env) == len(environ) {
			args = append(args, "--log-level", "info")
		}
		_, stderr, err := runText(t, env, args...)
		if err != nil || !strings.Contains(stderr, `msg="clickhouse connected"`) {
			t.Errorf("%v at level info: got %v and\n%s\nwant the connection logged", args, err, stderr)
		}
	}
}
