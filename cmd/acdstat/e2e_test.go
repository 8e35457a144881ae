package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/acdstat/acdstat/chtest"
	"github.com/acdstat/acdstat/simulate"
	"github.com/acdstat/acdstat/store"
)

func TestMain(m *testing.M) { chtest.Main(m) }

// testToday is "now" for the tests that set no clock of their own: noon on
// the Monday after simulate.DefaultConfig's week (26 October to 1 November
// 2025), so every stay of that week without an end is stale, and the week
// is well within the raw-event retention. No test depends on the day it
// runs.
var testToday = time.Date(2025, 11, 3, 12, 0, 0, 0, simulate.Copenhagen())

// clockFrom is a clock that reads start when it is made and runs on in real
// time from there: jobs that wait for the clock still see it move.
func clockFrom(start time.Time) func() time.Time {
	began := time.Now()
	return func() time.Time { return start.Add(time.Since(began)) }
}

// testProcess is the process of a command run in a test, at testToday.
func testProcess(environ []string, stdout, stderr io.Writer) process {
	return process{environ: environ, stdout: stdout, stderr: stderr, now: clockFrom(testToday)}
}

// testEnv returns the settings of a test's own database.
func testEnv(t testing.TB, extra ...string) []string {
	t.Helper()
	addr, db := chtest.NewDatabase(t)
	return append([]string{
		"ACDSTAT_CLICKHOUSE_ADDR=" + addr,
		"ACDSTAT_CLICKHOUSE_DATABASE=" + db,
		"ACDSTAT_HTTP_ADDR=" + freeAddr(t),
		"ACDSTAT_BUILD_SCHEDULE=@every 1s",
		"ACDSTAT_DATA_DIR=" + t.TempDir(),
		"ACDSTAT_LOG_LEVEL=warn",
		"ACDSTAT_HEP_ADDR=off", "ACDSTAT_SIP_ADDR=off", // sip_e2e_test.go sets its own
	}, extra...)
}

func envValue(environ []string, key string) string {
	for _, kv := range environ {
		if v, ok := strings.CutPrefix(kv, key+"="); ok {
			return v
		}
	}
	return ""
}

func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// smallSim is a week of the first customer's traffic at a lower volume,
// with every edge case of the simulator.
func smallSim(t *testing.T, seed int64) *simulate.Sim {
	t.Helper()
	cfg := simulate.DefaultConfig()
	cfg.CallsPerDay = 150
	cfg.Seed = seed
	sim, err := simulate.Generate(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return sim
}

// counts reads what a user reads: offered queue calls per queue and outcome.
func counts(t *testing.T, environ []string) map[string]map[string]int {
	t.Helper()
	got, err := readCounts(environ)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// readCounts is counts that returns its error.
func readCounts(environ []string) (map[string]map[string]int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cfg := store.Config{
		Addr: []string{envValue(environ, "ACDSTAT_CLICKHOUSE_ADDR")}, Database: envValue(environ, "ACDSTAT_CLICKHOUSE_DATABASE"),
		User: "default", DialTimeout: 10 * time.Second, ReadTimeout: time.Minute,
	}
	st, err := store.Open(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return nil, err
	}
	defer st.Close()
	return st.QueueOutcomeCounts(ctx)
}

// waitForCounts polls until the stored counts equal want, or fails. A read
// that fails is tried again: a serve that started while ClickHouse was
// down creates its tables once ClickHouse answers.
func waitForCounts(t *testing.T, environ []string, want map[string]map[string]int, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	var got map[string]map[string]int
	var err error
	for time.Now().Before(deadline) {
		got, err = readCounts(environ)
		if err == nil && reflect.DeepEqual(got, want) {
			return
		}
		time.Sleep(500 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("queue calls per queue and outcome: %v", err)
	}
	t.Fatalf("queue calls per queue and outcome:\n got %v\nwant %v", got, want)
}

// startServe runs serve in this process until the test ends, at testToday.
func startServe(t *testing.T, environ []string) {
	t.Helper()
	startServeAt(t, environ, clockFrom(testToday))
}

// startServeAt runs serve in this process until the test ends, on a clock
// of the test's: time.Now where a real peer (kamailio, a SIP sender) stamps
// what it sends with the real time.
func startServeAt(t *testing.T, environ []string, now func() time.Time) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	p := process{environ: environ, stdout: io.Discard, stderr: os.Stderr, now: now}
	go func() { done <- run(ctx, p, []string{"serve"}) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	waitReady(t, "http://"+envValue(environ, "ACDSTAT_HTTP_ADDR"), done)
}

func waitReady(t *testing.T, base string, done <-chan error) {
	t.Helper()
	// A minute: under a loaded test run a fresh binary takes a while to
	// connect, migrate and listen.
	for i := 0; i < 600; i++ {
		select {
		case err := <-done:
			t.Fatalf("serve ended early: %v", err)
		default:
		}
		if resp, err := http.Get(base + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s/readyz never answered 200", base)
}

func TestHTTPIngestGivesTheSimulatorsTruthAndRepeatsChangeNothing(t *testing.T) {
	environ := testEnv(t)
	startServe(t, environ)
	sim := smallSim(t, 7)
	want := sim.Truth().ByQueueOutcome()
	url := "http://" + envValue(environ, "ACDSTAT_HTTP_ADDR") + "/v1/ingest/queue_log"
	ctx := context.Background()
	if err := simulate.Send(ctx, url, "", "default", sim.Lines(), 0, 2000, nil); err != nil {
		t.Fatal(err)
	}
	waitForCounts(t, environ, want, time.Minute)

	// The same lines again, in other batches: nothing changes.
	if err := simulate.Send(ctx, url, "", "default", sim.Lines(), 0, 777, nil); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * time.Second) // three build runs
	if got := counts(t, environ); !reflect.DeepEqual(got, want) {
		t.Fatalf("after sending everything twice:\n got %v\nwant %v", got, want)
	}
}

func TestCLIIngestGivesTheSimulatorsTruthAndMixesWithHTTP(t *testing.T) {
	environ := testEnv(t)
	sim := smallSim(t, 11)
	want := sim.Truth().ByQueueOutcome()
	file := filepath.Join(t.TempDir(), "queue_log")
	var buf bytes.Buffer
	if err := sim.WriteQueueLog(&buf); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := run(context.Background(), testProcess(environ, &out, io.Discard), []string{"ingest", "--format", "queue_log", file}); err != nil {
		t.Fatalf("ingest: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "0 lines rejected") {
		t.Errorf("ingest output does not report 0 rejected lines:\n%s", out.String())
	}
	if got := counts(t, environ); !reflect.DeepEqual(got, want) {
		t.Fatalf("after CLI ingest:\n got %v\nwant %v", got, want)
	}

	// Half of it again over HTTP, then all of it again from the file: the
	// mix of paths and repeats gives the same queue calls.
	startServe(t, environ)
	lines := sim.Lines()
	if err := simulate.Send(context.Background(), "http://"+envValue(environ, "ACDSTAT_HTTP_ADDR")+"/v1/ingest/queue_log", "", "default", lines[:len(lines)/2], 0, 1000, nil); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := run(context.Background(), testProcess(environ, &out, io.Discard), []string{"ingest", "--format", "queue_log", file}); err != nil {
		t.Fatalf("second ingest: %v\n%s", err, out.String())
	}
	time.Sleep(3 * time.Second)
	if got := counts(t, environ); !reflect.DeepEqual(got, want) {
		t.Fatalf("after HTTP and CLI repeats:\n got %v\nwant %v", got, want)
	}
}

func TestIngestReportsBadLinesAndKeepsGoodOnes(t *testing.T) {
	environ := testEnv(t)
	startServe(t, environ)
	// 31 October 2025: within the raw-event retention at testToday.
	body := "1761900000|c1.1|servicedesk|NONE|ENTERQUEUE||4512345678|1\n" +
		"not-a-time|c1.1|servicedesk|NONE|ENTERQUEUE||4512345678|1\n" +
		"1761900030|c1.1|servicedesk|PJSIP/2101|CONNECT|30|c1.2|2\n"
	resp, err := http.Post("http://"+envValue(environ, "ACDSTAT_HTTP_ADDR")+"/v1/ingest/queue_log?switch=pbx1", "text/plain", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d; want 200 (good lines were kept): %s", resp.StatusCode, b)
	}
	for _, want := range []string{`"accepted":2`, `"line":2`, `"field":"time"`} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("answer %s lacks %s", b, want)
		}
	}
	// Nothing good: 400 with the same shape.
	resp, err = http.Post("http://"+envValue(environ, "ACDSTAT_HTTP_ADDR")+"/v1/ingest/queue_log", "text/plain", strings.NewReader("garbage\n"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || !bytes.Contains(b, []byte(`"accepted":0`)) || !bytes.Contains(b, []byte(`"line":1`)) {
		t.Errorf("all-bad body: status %d body %s; want 400 naming line 1", resp.StatusCode, b)
	}
}

func TestIngestTokenIsRequiredWhenSet(t *testing.T) {
	environ := testEnv(t, "ACDSTAT_INGEST_TOKEN=s3cret")
	startServe(t, environ)
	url := "http://" + envValue(environ, "ACDSTAT_HTTP_ADDR") + "/v1/ingest/queue_log"
	line := "1761900000|c1.1|servicedesk|NONE|ENTERQUEUE||4512345678|1\n"
	for _, tc := range []struct {
		auth string
		want int
	}{{"", 401}, {"Bearer nope", 403}, {"Bearer s3cret", 200}} {
		req, _ := http.NewRequest("POST", url, strings.NewReader(line))
		if tc.auth != "" {
			req.Header.Set("Authorization", tc.auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("Authorization %q: status %d; want %d", tc.auth, resp.StatusCode, tc.want)
		}
	}
	req, _ := http.NewRequest("POST", url, strings.NewReader(line))
	req.SetBasicAuth("freeswitch", "s3cret")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("HTTP Basic with the token as password: status %d; want 200", resp.StatusCode)
	}
}

// TestServeKilledMidIngest kills a real acdstat process with SIGKILL while a
// sender posts, twice, each time after a set number of batches was
// acknowledged (so each kill lands mid-ingest whatever the machine's speed),
// restarts it, and lets the sender resend what was not acknowledged: the
// stored queue calls equal the truth, not one more. The servers' logs are
// printed when it fails.
func TestServeKilledMidIngest(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills a real server")
	}
	// The real clock runs in the child: keeping raw events for ever makes
	// the 2025 week independent of the day the test runs.
	environ := testEnv(t, "ACDSTAT_RETENTION_EVENTS=0")
	bin := filepath.Join(t.TempDir(), "acdstat")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	var logs lockedBuffer
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("serve's logs:\n%s", logs.String())
		}
	})
	type server struct {
		cmd  *exec.Cmd
		done chan error
	}
	start := func(n int) server {
		cmd := exec.Command(bin, "serve")
		cmd.Env = append(os.Environ(), environ...)
		fmt.Fprintf(&logs, "--- serve #%d\n", n)
		cmd.Stdout, cmd.Stderr = &logs, &logs
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		return server{cmd, done}
	}
	url := "http://" + envValue(environ, "ACDSTAT_HTTP_ADDR")
	sim := smallSim(t, 23)
	want := sim.Truth().ByQueueOutcome()

	srv := start(1)
	waitReady(t, url, srv.done)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	acks := &ackCounter{rt: http.DefaultTransport}
	var wg sync.WaitGroup
	var sendErr error
	sent := make(chan struct{})
	wg.Go(func() {
		defer close(sent)
		// Small batches at a bounded rate, so the kills land mid-ingest.
		sendErr = simulate.Send(ctx, url+"/v1/ingest/queue_log", "", "default", sim.Lines(), 8000, 200, &http.Client{Transport: acks, Timeout: 5 * time.Second})
	})
	for i, after := range []int64{5, 12} {
		if !acks.waitFor(after, sent) {
			t.Fatalf("the sender finished after %d acknowledged batches, before kill %d at %d", acks.n.Load(), i+1, after)
		}
		if err := srv.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		<-srv.done
		srv = start(i + 2)
		waitReady(t, url, srv.done)
	}
	wg.Wait()
	if sendErr != nil {
		t.Fatalf("sender: %v", sendErr)
	}
	defer func() {
		_ = srv.cmd.Process.Signal(syscall.SIGTERM)
		<-srv.done
	}()
	waitForCounts(t, environ, want, time.Minute)
}

// ackCounter counts the requests a server acknowledged (200).
type ackCounter struct {
	rt http.RoundTripper
	n  atomic.Int64
}

func (a *ackCounter) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := a.rt.RoundTrip(r)
	if err == nil && resp.StatusCode == http.StatusOK {
		a.n.Add(1)
	}
	return resp, err
}

// waitFor waits until n requests were acknowledged; false if done closes
// first.
func (a *ackCounter) waitFor(n int64, done <-chan struct{}) bool {
	for a.n.Load() < n {
		select {
		case <-done:
			return false
		case <-time.After(5 * time.Millisecond):
		}
	}
	return true
}

// lockedBuffer is a bytes.Buffer that several writers may share.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
