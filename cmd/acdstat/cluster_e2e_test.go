package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/acdstat/acdstat/chtest"
	"github.com/acdstat/acdstat/simulate"
)

// TestCluster is the cluster run of issue 13 (make test-cluster,
// docs/SCALE.md): ZooKeeper and four ClickHouse nodes as 2 shards x 2
// replicas (scripts/cluster.sh), two acdstat serve nodes with a spool and an
// HTTP port each, both given all four ClickHouse addresses (each its own
// first), and a simulated week sent to both, its batches split between
// them, so one call's lines reach both nodes. During the send the
// ClickHouse node that node A reads from and writes through is killed
// (SIGKILL) and started again, node B is killed (SIGKILL) and started again,
// and ZooKeeper is stopped for 10 s. Afterwards every figure of the views
// per queue and day and per month equals the simulator's truth, the events
// stored equal those sent, not one more, and every row of queue_day and
// queue_month equals the same week ingested on a single server.
//
// The acdstat nodes run on the real clock, as a deployment does: the
// simulated week of 2025 lies far in their past, so no stay waits and
// ACDSTAT_RETENTION_EVENTS=0 keeps its events whatever the date.
func TestCluster(t *testing.T) {
	tc := chtest.Cluster(t)
	// why says in the last lines of the output what failed: CI shows only
	// the end, which the nodes' logs would otherwise fill.
	var why []string
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("TestCluster failed: %s (the nodes' logs are above and in %s)", strings.Join(why, "; "), tc.Dir)
		}
	})
	bin := buildAcdstat(t)
	db := tc.NewDatabase(t)
	began := time.Now()

	cfg := simulate.DefaultConfig()
	cfg.Seed, cfg.CallsPerDay = 13, 1200
	sim, err := simulate.Generate(cfg)
	if err != nil {
		t.Fatal(err)
	}
	lines := sim.Lines()
	_, wantEvents := sentTruth(t, lines)
	queues := filepath.Join(t.TempDir(), "queues.yaml")
	if err := os.WriteFile(queues, []byte(hospitalQueues), 0o644); err != nil {
		t.Fatal(err)
	}

	// Node A reads from and writes through ClickHouse node 1 while it
	// lives, node B through node 3 (a replica of the other shard).
	a := a4(tc.Addrs, 0, 1, 2, 3)
	b := a4(tc.Addrs, 2, 3, 0, 1)
	env := func(addrs string) []string {
		return []string{
			"ACDSTAT_CLICKHOUSE_ADDR=" + addrs,
			"ACDSTAT_CLICKHOUSE_DATABASE=" + db,
			"ACDSTAT_CLICKHOUSE_CLUSTER=" + chtest.ClusterName,
			"ACDSTAT_CLICKHOUSE_DIAL_TIMEOUT=2s",
			"ACDSTAT_HTTP_ADDR=" + freeAddr(t),
			"ACDSTAT_DATA_DIR=" + t.TempDir(),
			"ACDSTAT_QUEUES=" + queues,
			"ACDSTAT_BUILD_SCHEDULE=@every 1s",
			"ACDSTAT_ROLLUP_SCHEDULE=@every 2s",
			"ACDSTAT_RETENTION_EVENTS=0",
			"ACDSTAT_HEP_ADDR=off", "ACDSTAT_SIP_ADDR=off",
			"ACDSTAT_LOG_LEVEL=info",
			"ACDSTAT_DRAIN_TIMEOUT=20s",
		}
	}
	nodeA := &serveProc{t: t, bin: bin, environ: env(a)}
	nodeB := &serveProc{t: t, bin: bin, environ: env(b)}
	baseA := "http://" + envValue(nodeA.environ, "ACDSTAT_HTTP_ADDR")
	baseB := "http://" + envValue(nodeB.environ, "ACDSTAT_HTTP_ADDR")
	// A migrates the fresh database; B, started once A listens, finds it
	// up to date (one migrator at a time: docs/SCALE.md).
	nodeA.start()
	waitReady(t, baseA, nil)
	nodeB.start()
	waitReady(t, baseB, nil)
	t.Cleanup(func() {
		for name, p := range map[string]*serveProc{"A": nodeA, "B": nodeB} {
			if err := p.signal(syscall.SIGTERM); err != nil {
				why = append(why, fmt.Sprintf("node %s did not exit cleanly after SIGTERM: %v", name, err))
				t.Errorf("node %s after SIGTERM: %v; want a clean exit", name, err)
			}
			// The whole log beside the cluster's, for a look after a run.
			path := filepath.Join(tc.Dir, "acdstat-"+db+"-"+name+".log")
			if err := os.WriteFile(path, []byte(p.log()), 0o644); err != nil {
				t.Error(err)
			}
			if t.Failed() {
				t.Logf("node %s logs (last 3000 bytes; all of it in %s):\n%s", name, path, tail(p.log(), 3000))
			}
		}
	})
	t.Logf("cluster, database and both nodes up in %s", time.Since(began).Round(100*time.Millisecond))

	// The week's batches alternate between the nodes, each sent in order
	// at half the rate.
	const batch, rate = 250, 400.0
	var toA, toB []simulate.Line
	for i := 0; i < len(lines); i += batch {
		chunk := lines[i:min(i+batch, len(lines))]
		if i/batch%2 == 0 {
			toA = append(toA, chunk...)
		} else {
			toB = append(toB, chunk...)
		}
	}
	sendFor := time.Duration(float64(len(lines)) / rate * float64(time.Second))
	t.Logf("plan: %d lines (%d distinct events, %d queue calls) to two nodes at %.0f lines/s (about %s)", len(lines), wantEvents, len(sim.Truth().Calls), rate, sendFor.Round(time.Second))
	ctx, cancel := context.WithTimeout(context.Background(), sendFor+4*time.Minute)
	defer cancel()
	client := &countingClient{base: http.DefaultTransport}
	sent := time.Now()
	done := make(chan error, 2)
	for _, s := range []struct {
		base  string
		lines []simulate.Line
	}{{baseA, toA}, {baseB, toB}} {
		go func() {
			done <- simulate.Send(ctx, s.base+"/v1/ingest/queue_log", "", "default", s.lines, rate/2, batch, &http.Client{Timeout: 30 * time.Second, Transport: client})
		}()
	}

	// The faults, one after another while the week is being sent; each
	// outage lasts 10 s from the moment the process is gone.
	var faults []string
	step := func(what string, f func()) {
		f()
		faults = append(faults, fmt.Sprintf("%s at %s", what, time.Since(sent).Round(100*time.Millisecond)))
	}
	time.Sleep(time.Until(sent.Add(sendFor / 10)))
	step("ClickHouse node 1 (node A's) SIGKILLed", func() { tc.Run(t, "node-kill", "1") })
	time.Sleep(10 * time.Second)
	step("ClickHouse node 1 started", func() { tc.Run(t, "node-start", "1") })
	time.Sleep(time.Until(sent.Add(sendFor * 4 / 10)))
	step("acdstat node B SIGKILLed and started", func() {
		nodeB.signal(syscall.SIGKILL)
		nodeB.start()
	})
	time.Sleep(time.Until(sent.Add(sendFor * 6 / 10)))
	step("ZooKeeper stopped", func() { tc.Run(t, "zk-stop") })
	time.Sleep(10 * time.Second)
	step("ZooKeeper started", func() { tc.Run(t, "zk-start") })
	if time.Since(sent) > sendFor {
		t.Errorf("the faults ended %s after the send began, after its planned %s: send more", time.Since(sent).Round(time.Second), sendFor.Round(time.Second))
	}
	for range 2 {
		if err := <-done; err != nil {
			why = append(why, fmt.Sprintf("a sender failed: %v", err))
			t.Fatalf("sender: %v", err)
		}
	}
	sentIn := time.Since(sent)
	t.Logf("faults: %s", strings.Join(faults, "; "))
	t.Logf("both senders done after %s; answers: %s", sentIn.Round(100*time.Millisecond), client)

	// What a user reads: every figure per queue and day, and per month,
	// for all calls and in-hours calls, equals the truth.
	conn, err := clickhouse.Open(&clickhouse.Options{Addr: tc.Addrs, Auth: clickhouse.Auth{Database: db, Username: "default"}, DialTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	loc := cfg.Location
	day := func(t time.Time) time.Time {
		l := t.In(loc)
		return time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, loc)
	}
	month := func(t time.Time) time.Time {
		l := t.In(loc)
		return time.Date(l.Year(), l.Month(), 1, 0, 0, 0, 0, loc)
	}
	wantDays, wantMonths := expected(sim.Truth(), day), expected(sim.Truth(), month)
	deadline := time.Now().Add(3 * time.Minute)
	for {
		d, m := differing(readFigures(t, conn, "queue_day", "default"), wantDays), differing(readFigures(t, conn, "queue_month", "default"), wantMonths)
		if d == 0 && m == 0 {
			break
		}
		if time.Now().After(deadline) {
			why = append(why, fmt.Sprintf("%d day rows and %d month rows still differ from the truth 3 minutes after the send", d, m))
			t.Logf("%d day rows and %d month rows still differ 3 minutes after the send", d, m)
			break
		}
		time.Sleep(time.Second)
	}
	settled := time.Since(sent)
	compareFigures(t, "queue_day", readFigures(t, conn, "queue_day", "default"), wantDays)
	compareFigures(t, "queue_month", readFigures(t, conn, "queue_month", "default"), wantMonths)
	compareFigures(t, "queue_month *", readFigures(t, conn, "queue_month", "*"), wantMonths)
	var stored uint64
	if err := conn.QueryRow(ctx, "SELECT count() FROM (SELECT id FROM events GROUP BY switch, call_id, id)").Scan(&stored); err != nil || int(stored) != wantEvents {
		why = append(why, fmt.Sprintf("distinct events stored: %d, %v; want the %d sent", stored, err, wantEvents))
		t.Fatalf("distinct events stored: %d, %v; want the %d sent", stored, err, wantEvents)
	}

	// The same week on a single server: every row of both views is the
	// same, to the last column.
	single := testEnv(t, "ACDSTAT_QUEUES="+queues)
	runCmd(t, single, "ingest", "--format", "queue_log", writeLines(t, "week", lines))
	runCmd(t, single, "rollup")
	singleConn := openView(t, single)
	for _, view := range []string{"queue_day", "queue_month"} {
		got, want := viewText(t, conn, db, view), viewText(t, singleConn, envValue(single, "ACDSTAT_CLICKHOUSE_DATABASE"), view)
		if !reflect.DeepEqual(got, want) {
			why = append(why, view+": the cluster's rows differ from the single server's")
			t.Errorf("%s: the cluster's %d rows differ from the single server's %d:\n%s", view, len(got), len(want), firstDiff(got, want))
		}
	}

	// The faults were felt: inserts failed and were sent again, with the
	// codes of ClickHouse unavailable (242 readonly while ZooKeeper was
	// down, 285/319 while a replica was, network errors while a node was).
	logs := nodeA.log() + nodeB.log()
	codes := retryCodes(logs)
	if len(codes) == 0 {
		t.Errorf("no insert was retried: the faults did not reach the writers")
	}
	if bad := queryFailures(logs); len(bad) > 0 {
		why = append(why, "jobs failed with queries the cluster refuses: "+strings.Join(bad, ", "))
		t.Errorf("jobs failed again and again with codes that are not ClickHouse unavailable: %s", strings.Join(bad, ", "))
	}
	t.Logf("RESULT cluster: %d lines, %d events, %d queue calls through 2 acdstat nodes into 2x2 ClickHouse with 3 faults; sent in %s, views equal the truth %s after the send began (%s after it ended); insert retries by cause %v, inserts sent again at once behind another quorum insert (286) %d; sender answers %s; whole test %s",
		len(lines), wantEvents, len(sim.Truth().Calls), sentIn.Round(time.Second), settled.Round(time.Second), (settled - sentIn).Round(time.Second), codes, strings.Count(logs, "code=286"), client, time.Since(began).Round(time.Second))
}

// a4 orders the four addresses as given, comma-separated.
func a4(addrs []string, order ...int) string {
	var out []string
	for _, i := range order {
		out = append(out, addrs[i])
	}
	return strings.Join(out, ",")
}

// differing counts the rows of got and want that are not the same.
func differing(got, want map[viewKey]figures) int {
	n := 0
	for k, w := range want {
		if g, ok := got[k]; !ok || !sameFigures(g, w) {
			n++
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			n++
		}
	}
	return n
}

// viewText reads every row of a view, every column as text, sorted.
func viewText(t *testing.T, conn clickhouse.Conn, db, view string) []string {
	t.Helper()
	ctx := context.Background()
	rows, err := conn.Query(ctx, "SELECT name FROM system.columns WHERE database = ? AND table = ?", db, view)
	if err != nil {
		t.Fatal(err)
	}
	var cols []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			t.Fatal(err)
		}
		v := fmt.Sprintf("ifNull(toString(%s), 'NULL')", c)
		if c == "settings_version" {
			// A row of zeros (a period without calls in its hours) names
			// the settings of the zero rows the rollup wrote, if it ever
			// wrote one: a row that counted calls that later moved
			// elsewhere, which depends on the order events came in, not
			// on the cluster (store/views.sql.tmpl).
			v = "if(offered = 0, 'none counted', " + v + ")"
		}
		cols = append(cols, fmt.Sprintf("'%s=', %s", c, v))
	}
	rows.Close()
	if len(cols) == 0 {
		t.Fatalf("view %s.%s has no columns", db, view)
	}
	rows, err = conn.Query(ctx, "SELECT concat("+strings.Join(cols, ", ' ', ")+") FROM "+db+"."+view)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

// firstDiff shows the first few rows that are in one list and not the other.
func firstDiff(got, want []string) string {
	in := func(l []string) map[string]bool {
		m := map[string]bool{}
		for _, s := range l {
			m[s] = true
		}
		return m
	}
	g, w := in(got), in(want)
	var b strings.Builder
	n := 0
	for _, s := range got {
		if !w[s] && n < 5 {
			fmt.Fprintf(&b, "  cluster only: %s\n", s)
			n++
		}
	}
	for _, s := range want {
		if !g[s] && n < 10 {
			fmt.Fprintf(&b, "  single only:  %s\n", s)
			n++
		}
	}
	return b.String()
}

var retryCode = regexp.MustCompile(`cannot insert spool batch; retrying.*?(code: \d+|connection refused|EOF|i/o timeout|broken pipe|connection reset)`)

// retryCodes counts the writers' retried inserts by their cause.
func retryCodes(logs string) map[string]int {
	out := map[string]int{}
	for _, m := range retryCode.FindAllStringSubmatch(logs, -1) {
		out[m[1]]++
	}
	return out
}

// jobFailure finds a job's failure and the ClickHouse code in its error.
var jobFailure = regexp.MustCompile(`msg="job failed" component=jobs job=(\w+) err=".*?code: (\d+)`)

// unavailableCodes are the codes of ClickHouse being unavailable, which the
// faults cause and a job's next run gets past: 159 and 209 timeouts, 210
// network, 225 no ZooKeeper, 242 readonly (ZooKeeper away), 285 fewer
// replicas than the quorum, 286 another quorum insert, 289 a replica that
// lacks a quorum part (sequential consistency), 319 unknown status, 999
// ZooKeeper's session.
var unavailableCodes = map[string]bool{"159": true, "209": true, "210": true, "225": true, "242": true, "285": true, "286": true, "289": true, "319": true, "999": true}

// queryFailures lists the jobs that failed again and again (5 times or
// more) with a code that is not ClickHouse being unavailable: a query the
// cluster refuses, such as the case job's plain IN of one Distributed table
// inside another (code 288) before it was GLOBAL IN. The count keeps a
// rare code of a fault from failing the run; a wrong query fails every run.
func queryFailures(logs string) []string {
	n := map[string]int{}
	for _, m := range jobFailure.FindAllStringSubmatch(logs, -1) {
		if !unavailableCodes[m[2]] {
			n["job "+m[1]+" code "+m[2]]++
		}
	}
	var out []string
	for k, c := range n {
		if c >= 5 {
			out = append(out, fmt.Sprintf("%s × %d", k, c))
		}
	}
	sort.Strings(out)
	return out
}

// TestQueryFailuresCountsRepeatedQueryErrors: queryFailures names a job
// that fails again and again with a code of a wrong query, and passes over
// the codes of ClickHouse unavailable and a rare other code.
func TestQueryFailuresCountsRepeatedQueryErrors(t *testing.T) {
	line := func(job, code string) string {
		return `time=2026-12-06T13:16:35.019Z level=ERROR msg="job failed" component=jobs job=` + job + ` err="cannot list touched desks: code: ` + code + `, message: Double-distributed IN/JOIN subqueries is denied"` + "\n"
	}
	var logs strings.Builder
	for range 6 {
		logs.WriteString(line("cases", "288"))
		logs.WriteString(line("build_calls", "999"))
		logs.WriteString(line("rollup", "289"))
	}
	logs.WriteString(line("systems", "425"))
	got := queryFailures(logs.String())
	if want := []string{"job cases code 288 × 6"}; !reflect.DeepEqual(got, want) {
		t.Errorf("queryFailures: %q; want %q", got, want)
	}
}
