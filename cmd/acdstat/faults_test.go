package main

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/acdstat/acdstat/cdr"
	"github.com/acdstat/acdstat/simulate"
	"github.com/acdstat/acdstat/store"
)

// faultPlan is one fault run's size. The short plan runs in make test (CI);
// ACDSTAT_FAULTS=full (make faults) runs the full plan.
type faultPlan struct {
	events      int           // about this many queue_log lines are sent
	rate        float64       // lines per second, so the faults land mid-send
	outageAfter time.Duration // ClickHouse is stopped this long after sending starts
	outage      time.Duration
	kills       int // SIGKILLs of acdstat serve at random moments
}

func planFromEnv() faultPlan {
	if os.Getenv("ACDSTAT_FAULTS") == "full" {
		return faultPlan{events: 1_030_000, rate: 8000, outageAfter: 25 * time.Second, outage: 60 * time.Second, kills: 3}
	}
	return faultPlan{events: 100_000, rate: 4000, outageAfter: 5 * time.Second, outage: 10 * time.Second, kills: 1}
}

// privateClickHouse starts a ClickHouse of the test's own (the outage
// cannot be played on the shared test server) and returns its address and
// stop/start functions.
func privateClickHouse(t *testing.T) (addr string, stop, start func()) {
	t.Helper()
	if _, err := exec.LookPath("clickhouse-server"); err != nil {
		if _, err := os.Stat("/usr/sbin/clickhouse-server"); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatal("fault tests need clickhouse-server (apt-get install -y clickhouse-server clickhouse-client)")
			}
			t.Skip("fault tests need clickhouse-server, which is not installed")
		}
	}
	dir, err := os.MkdirTemp("", "acdstat-faults-ch-")
	if err != nil {
		t.Fatal(err)
	}
	script, err := filepath.Abs("../../scripts/clickhouse.sh")
	if err != nil {
		t.Fatal(err)
	}
	tcp, httpPort := freePortPair(t)
	start = func() {
		t.Helper()
		if out, err := exec.Command("bash", script, "start", dir, strconv.Itoa(tcp), strconv.Itoa(httpPort)).CombinedOutput(); err != nil {
			t.Fatalf("cannot start clickhouse: %v\n%s", err, out)
		}
	}
	stop = func() {
		t.Helper()
		if out, err := exec.Command("bash", script, "stop", dir).CombinedOutput(); err != nil {
			t.Errorf("cannot stop clickhouse: %v\n%s", err, out)
		}
	}
	start()
	t.Cleanup(func() { stop(); os.RemoveAll(dir) })
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(tcp)), stop, start
}

func freePortPair(t *testing.T) (tcp, http int) {
	t.Helper()
	for range 50 {
		a, b := freePort(t), freePort(t)
		if a != b && a != b+1 {
			if l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(b+1))); err == nil {
				l.Close()
				return a, b
			}
		}
	}
	t.Fatal("no free ports")
	return 0, 0
}

func freePort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// serveProc is a built acdstat serve that the test kills and restarts.
type serveProc struct {
	t       *testing.T
	bin     string
	environ []string
	mu      sync.Mutex
	cmd     *exec.Cmd
	logs    *bytes.Buffer
	allLogs bytes.Buffer
}

func (p *serveProc) start() {
	p.t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	cmd := exec.Command(p.bin, "serve")
	cmd.Env = append(os.Environ(), p.environ...)
	p.logs = &bytes.Buffer{}
	cmd.Stderr = &lockedWriter{mu: &p.mu, w: io.MultiWriter(p.logs, &p.allLogs)}
	if err := cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	p.cmd = cmd
}

// signal sends sig and waits for the process to end, returning its error.
func (p *serveProc) signal(sig syscall.Signal) error {
	p.mu.Lock()
	cmd := p.cmd
	p.mu.Unlock()
	if err := cmd.Process.Signal(sig); err != nil {
		return err
	}
	return cmd.Wait()
}

func (p *serveProc) log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.allLogs.String()
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (w *lockedWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.w.Write(b)
}

func buildAcdstat(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "acdstat")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// faultEnv is the settings of a serve against the private server.
func faultEnv(t *testing.T, addr string, extra ...string) []string {
	t.Helper()
	var b [4]byte
	for i := range b {
		b[i] = byte('a' + rand.IntN(26))
	}
	return append([]string{
		"ACDSTAT_CLICKHOUSE_ADDR=" + addr,
		"ACDSTAT_CLICKHOUSE_DATABASE=faults_" + string(b[:]),
		"ACDSTAT_CLICKHOUSE_DIAL_TIMEOUT=2s",
		"ACDSTAT_HTTP_ADDR=" + freeAddr(t),
		"ACDSTAT_BUILD_SCHEDULE=@every 1s",
		"ACDSTAT_DATA_DIR=" + t.TempDir(),
		"ACDSTAT_LOG_LEVEL=info",
		"ACDSTAT_DRAIN_TIMEOUT=20s",
		// The child runs on the real clock: keeping raw events for ever
		// makes the simulated 2025 independent of the day the test runs.
		"ACDSTAT_RETENTION_EVENTS=0",
	}, extra...)
}

// sentTruth is what the sender sent, read with acdstat's own decoder: the
// distinct events per verb and queue (a line sent twice is one event).
func sentTruth(t *testing.T, lines []simulate.Line) (map[string]int, int) {
	t.Helper()
	var body bytes.Buffer
	for _, l := range lines {
		body.WriteString(l.Text)
		body.WriteByte('\n')
	}
	decode, _ := cdr.Decoder(cdr.SourceQueueLog)
	seen := map[uint64]bool{}
	byVerb := map[string]int{}
	err := decode(&body, cdr.DecodeOptions{Switch: "default", Location: time.UTC, Now: testToday}, func(b cdr.Batch) error {
		for _, e := range b.Events {
			if !seen[e.ID] {
				seen[e.ID] = true
				byVerb[e.Verb+"/"+e.Queue]++
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return byVerb, len(seen)
}

// storedEvents reads the events per verb and queue the way a user's query
// does: over rows deduplicated by GROUP BY on the id.
func storedEvents(t *testing.T, environ []string) (map[string]int, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st, err := store.Open(ctx, store.Config{
		Addr: []string{envValue(environ, "ACDSTAT_CLICKHOUSE_ADDR")}, Database: envValue(environ, "ACDSTAT_CLICKHOUSE_DATABASE"),
		User: "default", DialTimeout: 10 * time.Second, ReadTimeout: time.Minute,
	}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	got, err := st.DedupEventCounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range got {
		n += c
	}
	return got, n
}

// countingClient counts the answers the sender gets, by status.
type countingClient struct {
	base     http.RoundTripper
	statuses sync.Map // int -> *atomic.Int64
}

func (c *countingClient) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := c.base.RoundTrip(r)
	key := 0
	if err == nil {
		key = resp.StatusCode
	}
	v, _ := c.statuses.LoadOrStore(key, new(atomic.Int64))
	v.(*atomic.Int64).Add(1)
	return resp, err
}

func (c *countingClient) count(status int) int64 {
	if v, ok := c.statuses.Load(status); ok {
		return v.(*atomic.Int64).Load()
	}
	return 0
}

func (c *countingClient) String() string {
	var parts []string
	c.statuses.Range(func(k, v any) bool {
		name := strconv.Itoa(k.(int))
		if k.(int) == 0 {
			name = "network error"
		}
		parts = append(parts, fmt.Sprintf("%s: %d", name, v.(*atomic.Int64).Load()))
		return true
	})
	return strings.Join(parts, ", ")
}

// TestFaults is the fault run of issue 4 (docs/RELIABILITY.md): events sent
// while ClickHouse is stopped and started again and acdstat serve is killed
// with SIGKILL and stopped with SIGTERM under load; the spool filled to its
// cap; a damaged spool segment. Afterwards every count equals what was sent.
func TestFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("builds acdstat, starts its own ClickHouse and kills both")
	}
	addr, stopCH, startCH := privateClickHouse(t)
	bin := buildAcdstat(t)
	t.Run("OutageKillsAndSIGTERM", func(t *testing.T) { faultOutageAndKills(t, bin, addr, stopCH, startCH) })
	t.Run("SpoolFull", func(t *testing.T) { faultSpoolFull(t, bin, addr, stopCH, startCH) })
	t.Run("DamagedSegment", func(t *testing.T) { faultDamagedSegment(t, bin, addr, stopCH, startCH) })
}

func faultOutageAndKills(t *testing.T, bin, addr string, stopCH, startCH func()) {
	plan := planFromEnv()
	cfg := simulate.DefaultConfig()
	cfg.Days = 7
	cfg.CallsPerDay = int(float64(plan.events)/17.5) + 1
	cfg.Seed = 4
	sim, err := simulate.Generate(cfg)
	if err != nil {
		t.Fatal(err)
	}
	lines := sim.Lines()
	wantCalls := sim.Truth().ByQueueOutcome()
	wantEvents, wantTotal := sentTruth(t, lines)
	sendFor := time.Duration(float64(len(lines)) / plan.rate * float64(time.Second))
	t.Logf("plan: %d lines (%d distinct events) at %.0f lines/s (about %s), ClickHouse down after %s for %s, %d SIGKILLs and one SIGTERM",
		len(lines), wantTotal, plan.rate, sendFor.Round(time.Second), plan.outageAfter, plan.outage, plan.kills)

	environ := faultEnv(t, addr)
	p := &serveProc{t: t, bin: bin, environ: environ}
	p.start()
	base := "http://" + envValue(environ, "ACDSTAT_HTTP_ADDR")
	waitReady(t, base, nil)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("serve logs (last 4000 bytes):\n%s", tail(p.log(), 4000))
		}
	})

	client := &countingClient{base: http.DefaultTransport}
	ctx, cancel := context.WithTimeout(context.Background(), sendFor+plan.outage+10*time.Minute)
	defer cancel()
	began := time.Now()
	sendDone := make(chan error, 1)
	go func() {
		sendDone <- simulate.Send(ctx, base+"/v1/ingest/queue_log", "", "default", lines, plan.rate, 2000, &http.Client{Timeout: 10 * time.Second, Transport: client})
	}()

	// The faults, in time order: kills at random moments over the send,
	// the outage, and a SIGTERM under load near the end.
	type fault struct {
		at   time.Duration
		what string
	}
	var faults []fault
	span := max(sendFor, plan.outageAfter+plan.outage+5*time.Second)
	for range plan.kills {
		faults = append(faults, fault{time.Duration(rand.Int64N(int64(span*8/10))) + span/20, "kill"})
	}
	faults = append(faults, fault{plan.outageAfter, "stop clickhouse"}, fault{plan.outageAfter + plan.outage, "start clickhouse"}, fault{span * 9 / 10, "sigterm"})
	slices.SortFunc(faults, func(a, b fault) int { return cmp.Compare(a.at, b.at) })
	var outageStart time.Time
	var restartLog []string
	for _, f := range faults {
		time.Sleep(time.Until(began.Add(f.at)))
		now := time.Since(began).Round(100 * time.Millisecond)
		switch f.what {
		case "kill":
			p.signal(syscall.SIGKILL)
			p.start()
			restartLog = append(restartLog, fmt.Sprintf("SIGKILL at %s", now))
		case "sigterm":
			if err := p.signal(syscall.SIGTERM); err != nil {
				t.Errorf("serve after SIGTERM: %v; want a clean exit", err)
			}
			if !strings.Contains(p.logs.String(), "draining the spool") {
				t.Errorf("no drain step in the log of the SIGTERM stop")
			}
			p.start()
			restartLog = append(restartLog, fmt.Sprintf("SIGTERM at %s", now))
		case "stop clickhouse":
			outageStart = time.Now()
			stopCH()
			restartLog = append(restartLog, fmt.Sprintf("ClickHouse stopped at %s", now))
		case "start clickhouse":
			startCH()
			restartLog = append(restartLog, fmt.Sprintf("ClickHouse started at %s (down %s)", now, time.Since(outageStart).Round(100*time.Millisecond)))
		}
	}
	if err := <-sendDone; err != nil {
		t.Fatalf("sender: %v", err)
	}
	sentAt := time.Since(began)
	t.Logf("faults: %s", strings.Join(restartLog, "; "))
	t.Logf("sender done after %s; answers: %s", sentAt.Round(100*time.Millisecond), client)
	defer func() {
		if err := p.signal(syscall.SIGTERM); err != nil {
			t.Errorf("final SIGTERM: %v", err)
		}
	}()

	// What a user reads: queue calls per queue and outcome, and events per
	// verb and queue over deduplicated rows, equal what was sent.
	waitForCounts(t, environ, wantCalls, 5*time.Minute)
	settled := time.Since(began)
	gotEvents, gotTotal := storedEvents(t, environ)
	if gotTotal != wantTotal || !reflect.DeepEqual(gotEvents, wantEvents) {
		t.Fatalf("events per verb/queue:\n got %d %v\nwant %d %v", gotTotal, gotEvents, wantTotal, wantEvents)
	}
	t.Logf("RESULT outage+kills: %d lines, %d distinct events, %d queue calls; sender done %s, counts equal the truth %s after start; 503s %d, network errors %d",
		len(lines), gotTotal, totalCalls(wantCalls), sentAt.Round(time.Second), settled.Round(time.Second), client.count(503), client.count(0))
}

func faultSpoolFull(t *testing.T, bin, addr string, stopCH, startCH func()) {
	cfg := simulate.DefaultConfig()
	cfg.CallsPerDay = 300
	cfg.Seed = 9
	sim, err := simulate.Generate(cfg)
	if err != nil {
		t.Fatal(err)
	}
	lines := sim.Lines()
	want := sim.Truth().ByQueueOutcome()
	environ := faultEnv(t, addr, "ACDSTAT_SPOOL_MAX_BYTES=262144", "ACDSTAT_SPOOL_SEGMENT_BYTES=65536")
	p := &serveProc{t: t, bin: bin, environ: environ}
	p.start()
	base := "http://" + envValue(environ, "ACDSTAT_HTTP_ADDR")
	waitReady(t, base, nil)
	defer p.signal(syscall.SIGTERM)

	stopCH()
	client := &countingClient{base: http.DefaultTransport}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	sendDone := make(chan error, 1)
	go func() {
		sendDone <- simulate.Send(ctx, base+"/v1/ingest/queue_log", "", "default", lines, 0, 500, &http.Client{Timeout: 10 * time.Second, Transport: client})
	}()
	deadline := time.Now().Add(time.Minute)
	for client.count(503) == 0 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	full503 := client.count(503)
	resp, err := http.Get(base + "/readyz")
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode != http.StatusServiceUnavailable {
			t.Errorf("/readyz with a full spool: %d; want 503", resp.StatusCode)
		}
	}
	startCH()
	if err := <-sendDone; err != nil {
		t.Fatalf("sender: %v", err)
	}
	if full503 == 0 {
		t.Fatalf("no 503 while the spool was full (answers: %s)", client)
	}
	if !strings.Contains(p.log(), "spool full") {
		t.Errorf("the log does not say the spool is full")
	}
	waitForCounts(t, environ, want, 3*time.Minute)
	t.Logf("RESULT spool full: %d lines through a 256 KiB spool with ClickHouse down; answers %s; counts equal the truth", len(lines), client)
}

func faultDamagedSegment(t *testing.T, bin, addr string, stopCH, startCH func()) {
	environ := faultEnv(t, addr, "ACDSTAT_SPOOL_SEGMENT_BYTES=16384")
	p := &serveProc{t: t, bin: bin, environ: environ}
	p.start()
	base := "http://" + envValue(environ, "ACDSTAT_HTTP_ADDR")
	waitReady(t, base, nil)
	stopCH()
	sim := smallSim(t, 5)
	if err := simulate.Send(context.Background(), base+"/v1/ingest/queue_log", "", "default", sim.Lines()[:3000], 0, 100, nil); err != nil {
		t.Fatal(err)
	}
	p.signal(syscall.SIGKILL)
	dir := filepath.Join(envValue(environ, "ACDSTAT_DATA_DIR"), "spool")
	segs, _ := filepath.Glob(filepath.Join(dir, "*.seg"))
	if len(segs) < 3 {
		t.Fatalf("%d segments; want several", len(segs))
	}
	// Flip a bit in the middle of the first segment, cut the second short.
	b, err := os.ReadFile(segs[0])
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0x04
	if err := os.WriteFile(segs[0], b, 0o640); err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(segs[1])
	if err := os.Truncate(segs[1], fi.Size()/2); err != nil {
		t.Fatal(err)
	}
	startCH()
	p.start()
	waitReady(t, base, nil)
	defer p.signal(syscall.SIGTERM)
	logs := p.log()
	if n := strings.Count(logs, "damaged segment moved aside"); n != 2 {
		t.Fatalf("the log reports %d damaged segments; want 2:\n%s", n, tail(logs, 3000))
	}
	moved, _ := filepath.Glob(filepath.Join(dir, "corrupt", "*"))
	if len(moved) != 2 {
		t.Fatalf("corrupt/ holds %v; want the 2 damaged segments", moved)
	}
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Contains(metrics, []byte("acdstat_spool_damaged_segments 2")) {
		t.Errorf("metrics lack acdstat_spool_damaged_segments 2")
	}
	// The rest of the spool is still drained into ClickHouse.
	deadline := time.Now().Add(time.Minute)
	for {
		_, n := storedEvents(t, environ)
		if n > 0 {
			t.Logf("RESULT damaged segment: both reported at start (log, corrupt/, metric); %d events of the undamaged records stored", n)
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("nothing of the undamaged spool reached ClickHouse")
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func totalCalls(m map[string]map[string]int) int {
	n := 0
	for _, q := range m {
		for _, c := range q {
			n += c
		}
	}
	return n
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[len(s)-n:]
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	return s
}
