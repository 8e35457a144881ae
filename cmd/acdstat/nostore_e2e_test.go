package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/acdstat/acdstat/simulate"
)

// metricValue scrapes base's /metrics and returns the value of the sample
// named exactly name (no labels), or fails when there is none.
func metricValue(t *testing.T, base, name string) float64 {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			return f
		}
	}
	t.Fatalf("/metrics has no sample %s", name)
	return 0
}

// getStatus returns the status and body of a GET.
func getStatus(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// noStoreEnv are the settings of a serve on a private ClickHouse at addr,
// in a database that does not exist yet, with its own data directory.
func noStoreEnv(t *testing.T, addr, dataDir string, extra ...string) []string {
	t.Helper()
	return append([]string{
		"ACDSTAT_CLICKHOUSE_ADDR=" + addr,
		"ACDSTAT_CLICKHOUSE_DATABASE=acdstat_nodes",
		"ACDSTAT_CLICKHOUSE_DIAL_TIMEOUT=1s",
		"ACDSTAT_HTTP_ADDR=" + freeAddr(t),
		"ACDSTAT_BUILD_SCHEDULE=@every 1s",
		"ACDSTAT_DATA_DIR=" + dataDir,
		"ACDSTAT_LOG_LEVEL=warn",
		"ACDSTAT_HEP_ADDR=off", "ACDSTAT_SIP_ADDR=off",
	}, extra...)
}

// TestServeTakesIntakeWhileClickHouseIsDown starts serve while its
// ClickHouse (a private server, never started yet for this database) does
// not answer: serve is ready at once and acknowledges a simulated week into
// its spool, /metrics says ClickHouse is down and the read API that it
// cannot read; once ClickHouse starts, serve creates the database,
// migrates, drains the spool and builds the queue calls of the truth.
func TestServeTakesIntakeWhileClickHouseIsDown(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a ClickHouse of its own")
	}
	addr, stopCH, startCH := privateClickHouse(t)
	stopCH()
	environ := noStoreEnv(t, addr, t.TempDir())
	startServe(t, environ)
	base := "http://" + envValue(environ, "ACDSTAT_HTTP_ADDR")

	sim := smallSim(t, 31)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := simulate.Send(ctx, base+"/v1/ingest/queue_log", "", "default", sim.Lines(), 0, 2000, nil); err != nil {
		t.Fatalf("posting while ClickHouse is down: %v", err)
	}
	if got := metricValue(t, base, "acdstat_spool_records_pending"); got == 0 {
		t.Errorf("acdstat_spool_records_pending = 0; want the posted batches waiting in the spool")
	}
	if got := metricValue(t, base, "acdstat_clickhouse_up"); got != 0 {
		t.Errorf("acdstat_clickhouse_up = %v while ClickHouse is down; want 0", got)
	}
	if status, body := getStatus(t, base+"/readyz"); status != http.StatusOK {
		t.Errorf("/readyz while ClickHouse is down: %d %s; want 200: intake works", status, body)
	}
	if status, body := getStatus(t, base+"/v1/queues"); status != http.StatusServiceUnavailable || !strings.Contains(body, "ClickHouse") {
		t.Errorf("/v1/queues while ClickHouse is down: %d %s; want 503 naming ClickHouse", status, body)
	}

	startCH()
	waitForCounts(t, environ, sim.Truth().ByQueueOutcome(), 2*time.Minute)
	if got := metricValue(t, base, "acdstat_clickhouse_up"); got != 1 {
		t.Errorf("acdstat_clickhouse_up = %v once ClickHouse answers; want 1", got)
	}
	if got := metricValue(t, base, "acdstat_spool_records_pending"); got != 0 {
		t.Errorf("acdstat_spool_records_pending = %v after the drain; want 0", got)
	}
}

// TestServeStartedDuringAnOutageKeepsTheSwitchZones: a serve that read
// the queue settings once, restarted while ClickHouse is down, reads local
// times of a switch in the zone the settings give that switch (they were
// kept in its data directory), not in ACDSTAT_SWITCH_TIMEZONE: the queue
// call enters at the instant the switch meant.
func TestServeStartedDuringAnOutageKeepsTheSwitchZones(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a ClickHouse of its own")
	}
	addr, stopCH, startCH := privateClickHouse(t)
	dataDir := t.TempDir()
	environ := noStoreEnv(t, addr, dataDir)
	queues := filepath.Join(t.TempDir(), "queues.yaml")
	if err := os.WriteFile(queues, []byte("switches:\n  ny: {timezone: America/New_York}\nqueues:\n  help: {timezone: America/New_York}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	runCmd(t, environ, "settings", "apply", queues)
	// A first start reads the settings; then serve stops, and so does
	// ClickHouse.
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, testProcess(environ, io.Discard, os.Stderr), []string{"serve"}) }()
	waitReady(t, "http://"+envValue(environ, "ACDSTAT_HTTP_ADDR"), done)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	stopCH()

	startServe(t, environ)
	base := "http://" + envValue(environ, "ACDSTAT_HTTP_ADDR")
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	enter := time.Date(2025, 10, 28, 9, 0, 0, 0, ny)
	at := func(s int) string { return enter.Add(time.Duration(s) * time.Second).Format(time.DateTime) }
	body := "time,callid,queuename,agent,event,data1,data2,data3,data4,data5\n" +
		fmt.Sprintf("%s,n1.1,help,NONE,ENTERQUEUE,,4512345678,1,,\n", at(0)) +
		fmt.Sprintf("%s,n1.1,help,PJSIP/1,CONNECT,20,n1.2,1,,\n", at(20)) +
		fmt.Sprintf("%s,n1.1,help,PJSIP/1,COMPLETECALLER,20,60,1,,\n", at(80))
	resp, err := http.Post(base+"/v1/ingest/queue_log?format=queue_log_db&switch=ny", "text/csv", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("posting while ClickHouse is down: %d %s; want 200", resp.StatusCode, b)
	}

	startCH()
	waitForCounts(t, environ, map[string]map[string]int{"help": {"answered": 1}}, 2*time.Minute)
	var got time.Time
	if err := openView(t, environ).QueryRow(context.Background(), "SELECT enter_time FROM queue_calls_current WHERE call_id = 'n1.1'").Scan(&got); err != nil {
		t.Fatal(err)
	}
	if !got.Equal(enter) {
		t.Errorf("enter_time = %v; want %v (09:00 in New York, the switch's zone)", got.UTC(), enter.UTC())
	}
}
