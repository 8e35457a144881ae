package acdstat_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// readmeBlock is a fenced shell block of README.md and the line it starts
// on.
type readmeBlock struct {
	line int
	text string
}

// notRun is how README.md marks a shell block that must not run (it needs
// a real switch or a host name, or it is make run itself): an HTML comment
// on the line before the fence, which a reader of the rendered page does
// not see.
const notRun = "<!-- not run:"

// readmeBlocks returns the runnable shell blocks of README.md in order:
// every ```sh (or ```bash) block not marked notRun. A marker that is not
// followed by a shell block is an error, so a marker cannot silently stop
// marking.
func readmeBlocks(t *testing.T, path string) []readmeBlock {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var blocks []readmeBlock
	var cur *readmeBlock
	marked, markedAt := false, 0
	for i, line := range strings.Split(string(b), "\n") {
		trimmed := strings.TrimSpace(line)
		switch {
		case cur != nil && trimmed == "```":
			blocks = append(blocks, *cur)
			cur = nil
		case cur != nil:
			// Blocks in list items are indented; their commands are not.
			cur.text += strings.TrimPrefix(line, "  ") + "\n"
		case strings.HasPrefix(trimmed, notRun):
			marked, markedAt = true, i+1
		case trimmed == "```sh" || trimmed == "```bash":
			cur = &readmeBlock{line: i + 1}
			if marked {
				cur.line = -1
			}
			marked = false
		case strings.HasPrefix(trimmed, "```"):
			// Another language, or output: never run. Skip to its end.
			cur = &readmeBlock{line: -1}
			marked = false
		case marked && trimmed != "":
			t.Fatalf("README.md:%d: the %s marker is not followed by a shell block", markedAt, notRun)
		}
	}
	out := blocks[:0]
	for _, b := range blocks {
		if b.line > 0 {
			out = append(out, b)
		}
	}
	return out
}

// TestREADME is README.md as executable documentation: it starts make run
// in a copy of the working tree (its own ClickHouse and serve on free
// ports, the simulator's history, as a new user starts them), and then
// runs README's runnable shell blocks in order, in one shell, as a user
// types them in another terminal: with the export lines that make run
// printed, and acdstat on PATH by README's own first block. A command of
// README that stops working fails here, with the README line of its block.
// Last it stops make run as Ctrl-C does and reads that serve drained and
// stopped, and that ClickHouse stopped once.
func TestREADME(t *testing.T) {
	if testing.Short() {
		t.Skip("starts make run")
	}
	for _, tool := range []string{"make", "bash", "curl", "date"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed", tool)
		}
	}
	if _, err := exec.LookPath("clickhouse-server"); err != nil {
		if _, err := os.Stat("/usr/bin/clickhouse-server"); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatal("clickhouse-server is not installed (CI=true)")
			}
			t.Skip("clickhouse-server is not installed")
		}
	}
	root, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	blocks := readmeBlocks(t, filepath.Join(root, "README.md"))
	if len(blocks) == 0 {
		t.Fatal("README.md has no runnable shell block")
	}

	// A copy of the working tree, as a fresh clone has it: every entry
	// linked, but not what make run or a build leaves behind.
	work := t.TempDir()
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		switch e.Name() {
		case "bin", ".run", "data", ".git", "acdstat", "acdstat.test":
			continue
		}
		if err := os.Symlink(filepath.Join(root, e.Name()), filepath.Join(work, e.Name())); err != nil {
			t.Fatal(err)
		}
	}

	// The environment of a new user: none of acdstat's settings, only
	// make run's ports, free ones here.
	var clean []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ACDSTAT_") && !strings.HasPrefix(kv, "CH_PORT=") && !strings.HasPrefix(kv, "SIM_DAYS=") {
			clean = append(clean, kv)
		}
	}
	httpAddr := freePort(t)
	run := exec.Command("make", "run")
	run.Dir = work
	run.Env = append(clean, "ACDSTAT_HTTP_ADDR="+httpAddr, "ACDSTAT_HEP_ADDR="+freePort(t), "ACDSTAT_SIP_ADDR="+freePort(t),
		fmt.Sprintf("CH_PORT=%d", freeClickHousePort(t)), "SIM_DAYS=14")
	run.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var out syncBuffer
	run.Stdout, run.Stderr = &out, &out
	if err := run.Start(); err != nil {
		t.Fatal(err)
	}
	ended := make(chan error, 1)
	go func() { ended <- run.Wait() }()
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			_ = syscall.Kill(-run.Process.Pid, syscall.SIGINT)
			select {
			case <-ended:
			case <-time.After(time.Minute):
				_ = syscall.Kill(-run.Process.Pid, syscall.SIGKILL)
				<-ended
			}
		}
		// Whatever happened, no ClickHouse of this test outlives it.
		_ = exec.Command("bash", filepath.Join(root, "scripts/clickhouse.sh"), "stop", filepath.Join(work, ".run/clickhouse")).Run()
		if t.Failed() {
			t.Logf("make run said:\n%s", out.String())
		}
	})

	waitFor := func(what string, within time.Duration, ok func() bool) {
		t.Helper()
		deadline := time.Now().Add(within)
		for !ok() {
			select {
			case err := <-ended:
				t.Fatalf("make run ended (%v) before %s", err, what)
			default:
			}
			if time.Now().After(deadline) {
				t.Fatalf("no %s within %s", what, within)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	// The first make run builds acdstat and creates the schema.
	waitFor("banner", 5*time.Minute, func() bool { return strings.Contains(out.String(), "acdstat is running.") })
	waitFor("history", 3*time.Minute, func() bool { return strings.Contains(out.String(), "playing today live") })
	waitFor("figures of the three desks", 2*time.Minute, func() bool { return desksHaveData(httpAddr) })
	// The history posted is counted by the build and rollup jobs over some
	// runs: README's reports show calls once every desk's month has some
	// (a report read before that is a year of zeros).
	waitFor("calls counted for the three desks", 2*time.Minute, func() bool { return desksHaveCalls(httpAddr) })

	// The export lines make run printed for other terminals.
	var exports []string
	sc := bufio.NewScanner(strings.NewReader(out.String()))
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); strings.HasPrefix(l, "export ") {
			exports = append(exports, l)
		}
	}
	if !slicesContainPrefix(exports, "export ACDSTAT_CLICKHOUSE_ADDR=127.0.0.1:") {
		t.Fatalf("make run's ClickHouse is not on 9000, and it printed no export ACDSTAT_CLICKHOUSE_ADDR line:\n%v", exports)
	}

	var script strings.Builder
	script.WriteString("set -euo pipefail\n")
	for _, e := range exports {
		if !strings.HasPrefix(e, "export PATH=") { // README's first block says it
			script.WriteString(e + "\n")
		}
	}
	for _, b := range blocks {
		fmt.Fprintf(&script, "printf '\\n>>> README.md:%d\\n'\n%s", b.line, b.text)
	}
	shell := exec.Command("bash", "-c", script.String())
	shell.Dir = work
	shell.Env = clean
	var typed syncBuffer
	shell.Stdout, shell.Stderr = &typed, &typed
	done := make(chan error, 1)
	if err := shell.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- shell.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("a README command failed (%v); the last >>> names its block:\n%s", err, typed.String())
		}
	case <-time.After(5 * time.Minute):
		_ = shell.Process.Kill()
		t.Fatalf("README's commands did not finish within 5 minutes:\n%s", typed.String())
	}
	if testing.Verbose() {
		t.Logf("README's commands printed:\n%s", typed.String())
	}
	// What a reader of those commands sees: the desk's name and figures.
	for _, want := range []string{"Klinisk Servicedesk (klinisk)", `"display": "SP Helpdesk"`, "queue calls rebuilt for "} {
		if !strings.Contains(typed.String(), want) {
			t.Errorf("README's commands did not print %q:\n%s", want, typed.String())
		}
	}

	// A report README shows must show calls: an example whose range misses
	// make run's simulated weeks prints a table of zeros, which runs fine
	// and tells the reader nothing.
	for _, b := range blocks {
		if b.line < 0 || !strings.Contains(b.text, "acdstat report") || strings.Contains(b.text, "--format") {
			continue
		}
		shown := blockOutput(typed.String(), b.line)
		if !reportRowWithCalls.MatchString(shown) {
			t.Errorf("README.md:%d: its report shows no period with calls:\n%s", b.line, shown)
		}
	}

	// Ctrl-C: the terminal sends SIGINT to make run's process group.
	// What make run says from here on (serve, which gets the signal too,
	// may log its stop before the script says it is stopping).
	before := len(out.String())
	stopped = true
	if err := syscall.Kill(-run.Process.Pid, syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ended:
	case <-time.After(2 * time.Minute):
		stopped = false
		// What still runs in make run's process group, for the next
		// reader of this failure (seen once under the gate's load).
		ps, _ := exec.Command("ps", "-eo", "pgid,pid,ppid,stat,etime,args").CombinedOutput()
		var left []string
		for _, line := range strings.Split(string(ps), "\n") {
			if f := strings.Fields(line); len(f) > 0 && f[0] == strconv.Itoa(run.Process.Pid) {
				left = append(left, line)
			}
		}
		t.Fatalf("make run did not stop within 2 minutes of Ctrl-C; still running in its group:\n%s", strings.Join(left, "\n"))
	}
	said := out.String()
	after := said[before:]
	if !strings.Contains(after, "stopping the simulator") {
		t.Errorf("after Ctrl-C, make run did not say it was stopping:\n%s", after)
	}
	if !strings.Contains(after, `msg=stopped err=<nil>`) {
		t.Errorf("after Ctrl-C, serve's stop line is lost:\n%s", after)
	}
	if n := strings.Count(said, "clickhouse stopped"); n != 1 || strings.Contains(said, "clickhouse not running") {
		t.Errorf("after Ctrl-C, 'clickhouse stopped' %d times (want once), and 'not running' %v:\n%s", n, strings.Contains(said, "clickhouse not running"), after)
	}
}

// desksHaveData reports whether the API lists the three simulated desks
// with rolled-up calls.
func desksHaveData(addr string) bool {
	resp, err := http.Get("http://" + addr + "/v1/queues")
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	var queues []struct {
		Name    string `json:"name"`
		HasData bool   `json:"has_data"`
	}
	if json.NewDecoder(resp.Body).Decode(&queues) != nil {
		return false
	}
	n := 0
	for _, q := range queues {
		if q.HasData {
			n++
		}
	}
	return n >= 3
}

// desksHaveCalls reports whether every desk GET /v1/queues lists has calls
// counted since make run's history began (SIM_DAYS=14), by GET /v1/report.
func desksHaveCalls(addr string) bool {
	resp, err := http.Get("http://" + addr + "/v1/queues")
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	var queues []struct {
		Name string `json:"name"`
	}
	if json.NewDecoder(resp.Body).Decode(&queues) != nil || len(queues) < 3 {
		return false
	}
	from := time.Now().AddDate(0, 0, -14).Format("2006-01-02")
	for _, q := range queues {
		r, err := http.Get("http://" + addr + "/v1/report?period=month&format=json&from=" + from + "&queue=" + q.Name)
		if err != nil {
			return false
		}
		var rows any
		err = json.NewDecoder(r.Body).Decode(&rows)
		r.Body.Close()
		if err != nil || sumField(rows, "offered") == 0 {
			return false
		}
	}
	return true
}

// sumField adds up every number named key anywhere in a decoded JSON value.
func sumField(v any, key string) float64 {
	sum := 0.0
	switch v := v.(type) {
	case []any:
		for _, e := range v {
			sum += sumField(e, key)
		}
	case map[string]any:
		for k, e := range v {
			if n, ok := e.(float64); ok && k == key {
				sum += n
			} else {
				sum += sumField(e, key)
			}
		}
	}
	return sum
}

func slicesContainPrefix(list []string, prefix string) bool {
	for _, s := range list {
		if strings.HasPrefix(s, prefix) {
			return true
		}
	}
	return false
}

// freePort returns a loopback address with a free TCP port.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// freeClickHousePort returns a port N with N, N+123 and N+124 free (make
// run's ClickHouse: native, HTTP and interserver), never 9000: the test
// reads the export line make run prints for another port.
func freeClickHousePort(t *testing.T) int {
	t.Helper()
	for range 100 {
		_, p, _ := net.SplitHostPort(freePort(t))
		var n int
		fmt.Sscan(p, &n)
		if n > 65000 || n == 9000 {
			continue
		}
		free := true
		for _, q := range []int{n, n + 123, n + 124} {
			ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", q))
			if err != nil {
				free = false
				break
			}
			ln.Close()
		}
		if free {
			return n
		}
	}
	t.Fatal("no free port for ClickHouse")
	return 0
}

// syncBuffer is a bytes.Buffer that a process's two streams may share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// reportRowWithCalls matches a row of acdstat report's table whose period
// (a month or a day) has at least one call.
var reportRowWithCalls = regexp.MustCompile(`(?m)^\s*\d{4}-\d{2}(-\d{2})?\s+[1-9]`)

// blockOutput returns what the README block starting at line printed: the
// text between its ">>> README.md:line" marker and the next marker.
func blockOutput(typed string, line int) string {
	marker := fmt.Sprintf(">>> README.md:%d\n", line)
	i := strings.Index(typed, marker)
	if i < 0 {
		return ""
	}
	rest := typed[i+len(marker):]
	if j := strings.Index(rest, ">>> README.md:"); j >= 0 {
		rest = rest[:j]
	}
	return rest
}
