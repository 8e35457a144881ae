package main

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"text/template"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
)

// The kamailio + sipp run of issue 5: a real kamailio mirrors real sipp
// calls to serve's HEP and plain SIP listeners, once per way of mirroring.

// e2eDir holds the kamailio template and the sipp scenarios.
const e2eDir = "../../sip/testdata/e2e"

// traceMode is one way kamailio mirrors what it sees to acdstat.
type traceMode struct {
	name  string // also the queue of its calls
	digit int    // its numbers are 7<digit>0x
	hep   bool
	tcp   bool
}

var traceModes = []traceMode{
	{name: "hep-udp", digit: 1, hep: true},
	{name: "hep-tcp", digit: 2, hep: true, tcp: true},
	{name: "sip-copy", digit: 3},
}

// sipTool finds a program the test needs: missing, the test fails under
// CI=true (.ci/run installs it) and is skipped otherwise.
func sipTool(t *testing.T, name string, also ...string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, p := range also {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	msg := fmt.Sprintf("%s not found (Debian: apt-get install kamailio sip-tester)", name)
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// kamailioModules finds the folder of Debian's kamailio modules.
func kamailioModules(t *testing.T) string {
	t.Helper()
	m, _ := filepath.Glob("/usr/lib/*/kamailio/modules/siptrace.so")
	if len(m) == 0 {
		m, _ = filepath.Glob("/usr/lib*/kamailio/modules/siptrace.so")
	}
	if len(m) == 0 {
		t.Fatal("kamailio is installed but its siptrace module is not found under /usr/lib")
	}
	return filepath.Dir(m[0]) + "/"
}

// freeUDPPort returns a loopback port free for UDP and TCP right now.
func freeUDPPort(t *testing.T) int {
	t.Helper()
	for range 50 {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := pc.LocalAddr().(*net.UDPAddr).Port
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		pc.Close()
		if err == nil {
			ln.Close()
			return port
		}
	}
	t.Fatal("no free loopback port")
	return 0
}

// proc is a program the test started; it is killed, with its process
// group, when the test ends or its context times out.
type proc struct {
	name string
	cmd  *exec.Cmd
	out  bytes.Buffer
	done chan error
}

func startProc(t *testing.T, ctx context.Context, dir, name string, bin string, args ...string) *proc {
	t.Helper()
	p := &proc{name: name, done: make(chan error, 1)}
	p.cmd = exec.CommandContext(ctx, bin, args...)
	p.cmd.Dir = dir
	p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.out
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	p.cmd.Cancel = func() error { return syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL) }
	p.cmd.WaitDelay = 5 * time.Second
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("cannot start %s: %v", name, err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() { p.stop(t) })
	return p
}

// wait waits for the program to end by itself and fails on an error exit.
func (p *proc) wait(t *testing.T, within time.Duration) {
	t.Helper()
	select {
	case err := <-p.done:
		p.done <- err
		if err != nil {
			t.Errorf("%s: %v\n%s", p.name, err, p.out.String())
		}
	case <-time.After(within):
		t.Errorf("%s did not end within %v\n%s", p.name, within, p.out.String())
	}
}

// stop ends the program (SIGTERM, then SIGKILL of its group) if it runs.
func (p *proc) stop(t *testing.T) {
	select {
	case err := <-p.done:
		p.done <- err
		return
	default:
	}
	pid := p.cmd.Process.Pid
	_ = syscall.Kill(pid, syscall.SIGTERM)
	select {
	case err := <-p.done:
		p.done <- err
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		err := <-p.done
		p.done <- err
	}
	// kamailio's children share its process group; none may outlive it
	_ = syscall.Kill(-pid, syscall.SIGKILL)
}

// udpBound says whether some process holds the loopback UDP port.
func udpBound(port int) bool {
	pc, err := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		return true
	}
	pc.Close()
	return false
}

func waitUDPBound(t *testing.T, p *proc, port int) {
	t.Helper()
	for range 100 {
		if udpBound(port) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s never bound 127.0.0.1:%d\n%s", p.name, port, p.out.String())
}

// waitKamailio sends OPTIONS until kamailio answers 200.
func waitKamailio(t *testing.T, p *proc, port int) {
	t.Helper()
	c, err := net.Dial("udp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	local := c.LocalAddr().String()
	buf := make([]byte, 4096)
	// Up to a minute: kamailio's start (forking its workers, probing the
	// host) has been seen to take over 10 s on a loaded machine.
	deadline := time.Now().Add(time.Minute)
	for i := 0; time.Now().Before(deadline); i++ {
		if i > 0 {
			// A refused datagram makes the next read fail at once; pace the
			// probes so the minute is a minute.
			time.Sleep(100 * time.Millisecond)
		}
		msg := fmt.Sprintf("OPTIONS sip:127.0.0.1:%d SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bK-probe-%d\r\nFrom: <sip:probe@%s>;tag=probe\r\nTo: <sip:127.0.0.1:%d>\r\nCall-ID: probe-%d@127.0.0.1\r\nCSeq: %d OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n",
			port, local, i, local, port, i, i+1)
		if _, err := c.Write([]byte(msg)); err != nil {
			t.Fatal(err)
		}
		_ = c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		if n, err := c.Read(buf); err == nil && bytes.HasPrefix(buf[:n], []byte("SIP/2.0 200")) {
			return
		}
		select {
		case err := <-p.done:
			p.done <- err
			t.Fatalf("kamailio ended: %v\n%s", err, p.out.String())
		default:
		}
	}
	st, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.cmd.Process.Pid))
	t.Fatalf("kamailio on 127.0.0.1:%d never answered OPTIONS (%v; /proc stat %s)\n%s", port, p.cmd.Args, st, p.out.String())
}

// kamCall is one call sipp drives through kamailio.
type kamCall struct {
	callID, queue, outcome string
	// endVerb is the event that ends the wait: the answer's 2xx, CANCEL, 486.
	endVerb string
	// scripted is the wait sipp's pauses make.
	scripted time.Duration
	// agentLeg is the Call-ID of the linked agent leg whose 2xx answers.
	agentLeg string
}

// runKamailio runs kamailio in one trace mode with sipp's four calls
// through it, and returns them.
func runKamailio(t *testing.T, m traceMode, hepPort, sipPort int, kamailio, sipp string) []kamCall {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "run"), 0o755); err != nil {
		t.Fatal(err)
	}
	scen := func(name string) string {
		p, err := filepath.Abs(filepath.Join(e2eDir, name))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	kamPort := freeUDPPort(t)
	uas := map[string]int{"answer": freeUDPPort(t), "cancel": freeUDPPort(t), "busy": freeUDPPort(t), "ivr": freeUDPPort(t)}

	traceURI := fmt.Sprintf("sip:127.0.0.1:%d", hepPort)
	if m.tcp {
		traceURI += ";transport=tcp"
	}
	if !m.hep {
		traceURI = fmt.Sprintf("sip:127.0.0.1:%d", sipPort)
	}
	tmpl, err := template.ParseFiles(filepath.Join(e2eDir, "kamailio.cfg.tmpl"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg bytes.Buffer
	if err := tmpl.Execute(&cfg, map[string]any{
		"Port": kamPort, "TCP": m.tcp, "HEP": m.hep, "TraceURI": traceURI, "CaptureID": 2000 + m.digit,
		"ModulePath": kamailioModules(t),
		"UASAnswer":  uas["answer"], "UASCancel": uas["cancel"], "UASBusy": uas["busy"], "UASIVR": uas["ivr"],
	}); err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(dir, "kamailio.cfg")
	if err := os.WriteFile(cfgPath, cfg.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	kam := startProc(t, ctx, dir, "kamailio "+m.name, "/bin/sh", "-c", `exec "$0" "$@" >kamailio.log 2>&1 </dev/null`,
		kamailio, "-f", cfgPath, "-DD", "-E",
		"-Y", filepath.Join(dir, "run"), "-P", filepath.Join(dir, "run", "kamailio.pid"), "-m", "64", "-M", "8")
	waitKamailio(t, kam, kamPort)

	// The callees first, each bound before any call is made: an INVITE
	// lost to an unbound port would be resent 500 ms later and move a wait.
	uasCalls := map[string]int{"answer": 2, "cancel": 1, "busy": 1, "ivr": 1}
	var callees []*proc
	for _, kind := range []string{"answer", "cancel", "busy", "ivr"} {
		p := startProc(t, ctx, dir, "sipp uas_"+kind, sipp, "-sf", scen("uas_"+kind+".xml"),
			"-i", "127.0.0.1", "-p", fmt.Sprint(uas[kind]), "-m", fmt.Sprint(uasCalls[kind]), "-nostdin",
			"-timeout", "30s", "-timeout_error")
		waitUDPBound(t, p, uas[kind])
		callees = append(callees, p)
	}

	tag := fmt.Sprintf("%s-%08x", m.name, rand.Uint32())
	id := func(what string) string { return fmt.Sprintf("e2e-%s-%s@127.0.0.1", what, tag) }
	number := func(kind int) string { return fmt.Sprintf("7%d0%d", m.digit, kind) }
	calls := []kamCall{
		{callID: id("answered"), queue: m.name, outcome: "answered", endVerb: "200", scripted: 2 * time.Second},
		{callID: id("abandoned"), queue: m.name, outcome: "abandoned", endVerb: "CANCEL", scripted: 3 * time.Second},
		{callID: id("busy"), queue: m.name, outcome: "exit_other", endVerb: "486", scripted: time.Second},
		// the agent leg starts 1 s after the caller and rings 2 s
		{callID: id("ivr"), queue: m.name + "-ivr", outcome: "answered", endVerb: "200", scripted: 3 * time.Second, agentLeg: id("agent")},
	}
	kamAddr := fmt.Sprintf("127.0.0.1:%d", kamPort)
	caller := func(scenario, service, cid string, extra ...string) *proc {
		args := append([]string{"-sf", scen(scenario), kamAddr, "-i", "127.0.0.1", "-p", fmt.Sprint(freeUDPPort(t)),
			"-s", service, "-cid_str", cid, "-m", "1", "-nostdin", "-timeout", "30s", "-timeout_error"}, extra...)
		return startProc(t, ctx, dir, "sipp "+scenario+" "+service, sipp, args...)
	}
	callers := []*proc{
		caller("uac_answered.xml", number(1), calls[0].callID),
		caller("uac_cancel.xml", number(2), calls[1].callID),
		caller("uac_busy.xml", number(3), calls[2].callID),
		caller("uac_ivr.xml", number(4), calls[3].callID),
		caller("uac_agent.xml", fmt.Sprintf("8%d09", m.digit), calls[3].agentLeg, "-key", "link", calls[3].callID),
	}
	for _, p := range append(callers, callees...) {
		p.wait(t, 40*time.Second)
	}
	kam.stop(t)
	if t.Failed() {
		t.Logf("kamailio %s:\n%s", m.name, kam.out.String())
		t.FailNow()
	}
	return calls
}

// captureTime is the first capture time of a call's event: verb on the leg
// with Call-ID leg, read back from the events table (µs since the epoch).
func captureTime(t *testing.T, conn clickhouse.Conn, callID, leg, verb, cseq string) time.Time {
	t.Helper()
	var us uint64
	var n uint64
	err := conn.QueryRow(context.Background(), `SELECT min(toUInt64(toUInt32(time)) * 1000000 + time_us), count()
FROM events WHERE source = 'sip' AND call_id = ? AND data1 = ? AND verb = ? AND data4 = ?`, callID, leg, verb, cseq).Scan(&us, &n)
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatalf("no %s %s on leg %s of call %s in events", cseq, verb, leg, callID)
	}
	return time.UnixMicro(int64(us))
}

// TestKamailioMirrorsSippCallsIntoQueueCalls: kamailio mirrors sipp's calls
// (answered after 2 s of ringing, abandoned after 3 s, busy after 1 s, and
// an IVR call whose agent leg, linked by X-Caller-Call-ID, is answered 3 s
// after the caller's INVITE) as HEPv3 over UDP, HEPv3 over TCP and plain SIP
// copies; serve stores exactly those queue calls, each wait the difference
// of the stored capture times and within 250 ms of sipp's pauses.
func TestKamailioMirrorsSippCallsIntoQueueCalls(t *testing.T) {
	kamailio := sipTool(t, "kamailio", "/usr/sbin/kamailio")
	sipp := sipTool(t, "sipp")

	var q strings.Builder
	q.WriteString("queues:\n")
	want := map[string]map[string]int{}
	for _, m := range traceModes {
		fmt.Fprintf(&q, "  %s: {numbers: [\"7%[2]d01\", \"7%[2]d02\", \"7%[2]d03\"]}\n  %[1]s-ivr: {numbers: [\"7%[2]d04\"]}\n", m.name, m.digit)
		want[m.name] = map[string]int{"answered": 1, "abandoned": 1, "exit_other": 1}
		want[m.name+"-ivr"] = map[string]int{"answered": 1}
	}
	queues := filepath.Join(t.TempDir(), "queues.yaml")
	if err := os.WriteFile(queues, []byte(q.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	hepPort, sipPort := freeUDPPort(t), freeUDPPort(t)
	environ := testEnv(t, "ACDSTAT_QUEUES="+queues,
		fmt.Sprintf("ACDSTAT_HEP_ADDR=127.0.0.1:%d", hepPort), fmt.Sprintf("ACDSTAT_SIP_ADDR=127.0.0.1:%d", sipPort),
		"ACDSTAT_SIP_LINK_HEADER=X-Caller-Call-ID")
	// kamailio stamps its HEP copies with the real time.
	startServeAt(t, environ, time.Now)

	var calls []kamCall
	for _, m := range traceModes {
		calls = append(calls, runKamailio(t, m, hepPort, sipPort, kamailio, sipp)...)
	}
	waitForCounts(t, environ, want, time.Minute)

	conn, err := clickhouse.Open(&clickhouse.Options{
		Addr: []string{envValue(environ, "ACDSTAT_CLICKHOUSE_ADDR")},
		Auth: clickhouse.Auth{Database: envValue(environ, "ACDSTAT_CLICKHOUSE_DATABASE"), Username: "default"},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	stored := map[string]string{}
	waits := map[string]uint32{}
	rows, err := conn.Query(context.Background(), `SELECT call_id, queue, toString(outcome), wait_s FROM queue_calls_current`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id, queue, outcome string
		var wait uint32
		if err := rows.Scan(&id, &queue, &outcome, &wait); err != nil {
			t.Fatal(err)
		}
		stored[id] = queue + " " + outcome
		waits[id] = wait
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()
	if len(stored) != len(calls) {
		t.Errorf("queue_calls_current holds %d calls, sipp made %d: %v", len(stored), len(calls), stored)
	}
	const tolerance = 250 * time.Millisecond
	for _, c := range calls {
		if got, want := stored[c.callID], c.queue+" "+c.outcome; got != want {
			t.Errorf("%s: stored as %q, want %q", c.callID, got, want)
			continue
		}
		enter := captureTime(t, conn, c.callID, c.callID, "INVITE", "1 INVITE")
		leg := c.callID
		if c.agentLeg != "" {
			leg = c.agentLeg
			ring := captureTime(t, conn, c.callID, leg, "200", "1 INVITE").Sub(captureTime(t, conn, c.callID, leg, "INVITE", "1 INVITE"))
			if d := ring - 2*time.Second; d < 0 || d > tolerance {
				t.Errorf("%s: the agent leg rang %v between INVITE and 200, sipp paused 2s", c.callID, ring)
			}
		}
		cseq := "1 INVITE"
		if c.endVerb == "CANCEL" {
			cseq = "1 CANCEL"
		}
		diff := captureTime(t, conn, c.callID, leg, c.endVerb, cseq).Sub(enter)
		if got, want := waits[c.callID], uint32(diff/time.Second); got != want {
			t.Errorf("%s: wait_s %d, the capture times differ by %v", c.callID, got, diff)
		}
		if d := diff - c.scripted; d < -tolerance || d > tolerance {
			t.Errorf("%s: capture times differ by %v, sipp's pauses make %v", c.callID, diff, c.scripted)
		}
		if c.agentLeg == "" && waits[c.callID] != uint32(c.scripted/time.Second) {
			t.Errorf("%s: wait_s %d, sipp paused %v", c.callID, waits[c.callID], c.scripted)
		}
	}
	if t.Failed() {
		t.Logf("stored: %v", stored)
	}
}
