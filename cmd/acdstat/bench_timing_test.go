package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/acdstat/acdstat/cdr"
	"github.com/acdstat/acdstat/simulate"
)

// benchLog is a simulated week at a large desk's volume as queue_log text.
func benchLog(b *testing.B) ([]byte, []simulate.Line) {
	b.Helper()
	cfg := simulate.DefaultConfig()
	cfg.CallsPerDay = 20000
	sim, err := simulate.Generate(cfg)
	if err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	if err := sim.WriteQueueLog(&buf); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes(), sim.Lines()
}

// BenchmarkQueueLogEndToEnd measures queue_log lines per second from text to
// rows in ClickHouse, by the CLI path (decode, 50k-row column inserts) and
// the HTTP path (serve, 50k-line posts through the spool, until the writer
// has drained it), beside the ceiling: clickhouse-client inserting the same
// decoded events as TabSeparated, in the same run.
func BenchmarkQueueLogEndToEnd(b *testing.B) {
	text, lines := benchLog(b)
	var events []cdr.Event
	if err := cdr.DecodeQueueLog(bytes.NewReader(text), cdr.DecodeOptions{}, func(bt cdr.Batch) error {
		events = append(events, bt.Events...)
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	n := len(lines)
	perSec := func(b *testing.B) {
		b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "lines/s")
	}

	b.Run("decode", func(b *testing.B) {
		b.SetBytes(int64(len(text)))
		for b.Loop() {
			if err := cdr.DecodeQueueLog(bytes.NewReader(text), cdr.DecodeOptions{BatchSize: ingestBatch}, func(cdr.Batch) error { return nil }); err != nil {
				b.Fatal(err)
			}
		}
		perSec(b)
	})

	b.Run("cli", func(b *testing.B) {
		environ := benchEnv(b)
		file := b.TempDir() + "/queue_log"
		if err := os.WriteFile(file, text, 0o644); err != nil {
			b.Fatal(err)
		}
		args := []string{"ingest", "--no-build", "--format", "queue_log", file}
		b.SetBytes(int64(len(text)))
		for b.Loop() {
			var out bytes.Buffer
			if err := run(context.Background(), testProcess(environ, &out, &out), args); err != nil {
				b.Fatalf("%v: %s", err, out.String())
			}
		}
		perSec(b)
	})

	b.Run("http", func(b *testing.B) {
		environ := benchEnv(b)
		stop := startServeB(b, environ)
		defer stop()
		url := "http://" + envValue(environ, "ACDSTAT_HTTP_ADDR") + "/v1/ingest/queue_log"
		b.SetBytes(int64(len(text)))
		metrics := "http://" + envValue(environ, "ACDSTAT_HTTP_ADDR") + "/metrics"
		for b.Loop() {
			if err := simulate.Send(context.Background(), url, "", "default", lines, 0, 50000, nil); err != nil {
				b.Fatal(err)
			}
			// A 2xx means "fsynced in the spool"; the lap ends when the
			// writer has put everything into ClickHouse.
			waitSpoolEmpty(b, metrics)
		}
		perSec(b)
	})

	b.Run("ceiling-clickhouse-client", func(b *testing.B) {
		client, err := exec.LookPath("clickhouse-client")
		if err != nil {
			b.Skip("clickhouse-client is not installed")
		}
		environ := benchEnv(b)
		// Create the schema through a migrate run.
		if err := run(context.Background(), testProcess(environ, &bytes.Buffer{}, &bytes.Buffer{}), []string{"migrate"}); err != nil {
			b.Fatal(err)
		}
		host, port, _ := net.SplitHostPort(envValue(environ, "ACDSTAT_CLICKHOUSE_ADDR"))
		var tsv bytes.Buffer
		for _, e := range events {
			tsv.WriteString(strings.Join([]string{e.Switch, e.Source, strconv.FormatUint(e.ID, 10),
				strconv.FormatInt(e.Time.Unix(), 10), strconv.FormatUint(uint64(e.Micros), 10), e.CallID, e.Queue,
				e.Agent, e.Verb, e.Data[0], e.Data[1], e.Data[2], e.Data[3], e.Data[4]}, "\t"))
			tsv.WriteByte('\n')
		}
		query := "INSERT INTO events (switch, source, id, time, time_us, call_id, queue, agent, verb, data1, data2, data3, data4, data5) FORMAT TabSeparated"
		b.SetBytes(int64(len(text)))
		for b.Loop() {
			cmd := exec.Command(client, "--host", host, "--port", port, "--database", envValue(environ, "ACDSTAT_CLICKHOUSE_DATABASE"), "--query", query)
			cmd.Stdin = bytes.NewReader(tsv.Bytes())
			if out, err := cmd.CombinedOutput(); err != nil {
				b.Fatalf("clickhouse-client: %v: %s", err, out)
			}
		}
		perSec(b)
	})
}

func benchEnv(b *testing.B) []string {
	b.Helper()
	return testEnv(b, "ACDSTAT_BUILD_SCHEDULE=@every 1h")
}

func startServeB(b *testing.B, environ []string) (stop func()) {
	b.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, testProcess(environ, &bytes.Buffer{}, &bytes.Buffer{}), []string{"serve"}) }()
	base := "http://" + envValue(environ, "ACDSTAT_HTTP_ADDR")
	for i := 0; i < 200; i++ {
		if resp, err := http.Get(base + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return func() { cancel(); <-done }
}

// waitSpoolEmpty polls serve's metrics until the spool holds no record.
func waitSpoolEmpty(b *testing.B, metrics string) {
	b.Helper()
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		resp, err := http.Get(metrics)
		if err != nil {
			b.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			b.Fatal(err)
		}
		if bytes.Contains(body, []byte("\nacdstat_spool_records_pending 0\n")) {
			return
		}
	}
	b.Fatal("the spool did not drain within 2 minutes")
}
