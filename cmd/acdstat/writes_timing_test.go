package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/acdstat/acdstat/simulate"
)

var (
	writesDays  = flag.Int("writes.days", 7, "BenchmarkFileToRollups: days of the simulated desk (30 for issue 13's month)")
	writesCalls = flag.Int("writes.calls", 26000, "BenchmarkFileToRollups: callers a weekday")
	writesRuns  = flag.Int("writes.runs", 3, "BenchmarkFileToRollups: runs of each binary, alternated")
	writesOld   = flag.String("writes.old", "", "BenchmarkFileToRollups and BenchmarkBuildLag: an older acdstat binary to measure alternately with this tree's (the baseline)")
	lagDays     = flag.Int("writes.lagdays", 14, "BenchmarkBuildLag: days of the simulated desk posted at full speed")
)

// BenchmarkFileToRollups measures issue 13's WRITES path from a queue_log
// file to rollups, as a user runs it: `acdstat ingest` of the file (decode,
// store, build the queue calls) and then `acdstat rollup` (the build job
// again, the rollups, the IVR funnel and the agent figures), each as its
// own process of a binary built from this tree, into a fresh database per
// run (`acdstat migrate` first, not timed). With -writes.old the runs of
// that binary alternate with this tree's, so both meet the same load; each
// binary's median is reported. The simulated desk starts on the
// simulator's default day, long past, so raw-event retention is off
// (ACDSTAT_RETENTION_EVENTS=0).
//
//	go test -run '^$' -bench FileToRollups -benchtime 1x -timeout 60m ./cmd/acdstat \
//	    -writes.days 30 -writes.runs 3 -writes.old /tmp/acdstat-old
func BenchmarkFileToRollups(b *testing.B) {
	dir := b.TempDir()
	bin := buildBinary(b, dir)
	// The file of `acdstat simulate`, as a user makes it (with its
	// dispositions and agent lines), not the package's bare queue_log.
	file := filepath.Join(dir, "queue_log")
	if out, err := exec.Command(bin, "simulate", "--days", strconv.Itoa(*writesDays), "--calls-per-day", strconv.Itoa(*writesCalls),
		"--out", file).CombinedOutput(); err != nil {
		b.Fatalf("acdstat simulate: %v: %s", err, out)
	}
	lines, err := countLines(file)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("%d days, %d callers a weekday: %d queue_log lines", *writesDays, *writesCalls, lines)

	type binary struct{ name, path string }
	bins := []binary{{"new", bin}}
	if *writesOld != "" {
		bins = []binary{{"old", *writesOld}, {"new", bin}}
	}
	totals := map[string][]float64{}
	for b.Loop() {
		for run := range *writesRuns {
			for _, x := range bins {
				ingest, rollup := fileToRollups(b, x.path, file)
				total := ingest + rollup
				totals[x.name] = append(totals[x.name], total.Seconds())
				// Not b.Logf, which a benchmark cuts after ten lines.
				fmt.Fprintf(os.Stderr, "run %d %s: ingest %.1f s, rollup %.1f s, file to rollups %.1f s (%.0f lines/s)\n",
					run+1, x.name, ingest.Seconds(), rollup.Seconds(), total.Seconds(), float64(lines)/total.Seconds())
			}
		}
	}
	for _, x := range bins {
		med := writesMedian(totals[x.name])
		b.ReportMetric(med, x.name+"_s")
		b.ReportMetric(float64(lines)/med, x.name+"_lines/s")
	}
	if len(bins) == 2 {
		b.ReportMetric(writesMedian(totals["old"])/writesMedian(totals["new"]), "speedup")
	}
}

// fileToRollups runs `acdstat ingest` of file and then `acdstat rollup` with
// the binary bin into a fresh, migrated database, and returns the time of
// each.
func fileToRollups(b *testing.B, bin, file string) (ingest, rollup time.Duration) {
	b.Helper()
	environ := append(os.Environ(), testEnv(b, "ACDSTAT_RETENTION_EVENTS=0", "ACDSTAT_LOG_LEVEL=error")...)
	step := func(args ...string) time.Duration {
		cmd := exec.CommandContext(context.Background(), bin, args...)
		cmd.Env = environ
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		start := time.Now()
		if err := cmd.Run(); err != nil {
			b.Fatalf("acdstat %s: %v: %s", strings.Join(args, " "), err, out.String())
		}
		d := time.Since(start)
		if args[0] != "migrate" {
			fmt.Fprintf(os.Stderr, "acdstat %s: %s\n", args[0], strings.TrimSpace(lastLines(out.String(), 3)))
		}
		return d
	}
	step("migrate")
	return step("ingest", "--format", "queue_log", file), step("rollup")
}

func lastLines(s string, n int) string {
	l := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(l[max(len(l)-n, 0):], " | ")
}

func writesMedian(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func countLines(name string) (int, error) {
	data, err := os.ReadFile(name)
	return bytes.Count(data, []byte{'\n'}), err
}

// buildBinary builds this tree's acdstat into dir.
func buildBinary(b *testing.B, dir string) string {
	b.Helper()
	bin := filepath.Join(dir, "acdstat")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v: %s", err, out)
	}
	return bin
}

// BenchmarkBuildLag measures how far the build job falls behind while
// `acdstat serve` takes queue_log lines over HTTP as fast as its HTTP path
// does: simulate.Send posts -writes.lagdays days of a large desk (26,000
// callers a weekday) in 50,000-line requests, with the build on its default
// schedule (every 5 s), while the build lag (acdstat_build_lag_seconds: now
// − the build watermark) is sampled every 2 s, until the spool has drained
// and a build run that started after that has finished. It reports the
// median and the max of the samples and the intake rate, for this tree's
// binary and, with -writes.old, alternately for an older one.
//
//	go test -run '^$' -bench BuildLag -benchtime 1x -timeout 30m ./cmd/acdstat -writes.old /tmp/acdstat-old
func BenchmarkBuildLag(b *testing.B) {
	dir := b.TempDir()
	bins := []binaryUnder{{"new", buildBinary(b, dir)}}
	if *writesOld != "" {
		bins = []binaryUnder{{"old", *writesOld}, bins[0]}
	}
	cfg := simulate.DefaultConfig()
	cfg.Days, cfg.CallsPerDay = *lagDays, *writesCalls
	sim, err := simulate.Generate(cfg)
	if err != nil {
		b.Fatal(err)
	}
	lines := sim.Lines()
	b.Logf("%d days, %d callers a weekday: %d lines", cfg.Days, cfg.CallsPerDay, len(lines))
	med, worst := map[string][]float64{}, map[string][]float64{}
	for b.Loop() {
		for run := range *writesRuns {
			for _, x := range bins {
				samples, rate := buildLag(b, x.path, lines)
				med[x.name] = append(med[x.name], writesMedian(samples))
				worst[x.name] = append(worst[x.name], slices.Max(samples))
				fmt.Fprintf(os.Stderr, "run %d %s: %.0f lines/s posted; build lag median %.0f s, max %.0f s (%d samples: %v)\n",
					run+1, x.name, rate, writesMedian(samples), slices.Max(samples), len(samples), samples)
			}
		}
	}
	for _, x := range bins {
		b.ReportMetric(writesMedian(med[x.name]), x.name+"_median_lag_s")
		b.ReportMetric(writesMedian(worst[x.name]), x.name+"_max_lag_s")
	}
}

type binaryUnder struct{ name, path string }

// buildLag runs bin serve on a fresh database, posts lines to it, and
// returns the build lag sampled every 2 s and the rate the lines were
// taken at.
func buildLag(b *testing.B, bin string, lines []simulate.Line) (samples []float64, rate float64) {
	b.Helper()
	environ := testEnv(b, "ACDSTAT_RETENTION_EVENTS=0", "ACDSTAT_LOG_LEVEL=error")
	environ = append(environ, "ACDSTAT_BUILD_SCHEDULE=@every 5s") // the default, over testEnv's
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(os.Environ(), environ...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
	}()
	base := "http://" + envValue(environ, "ACDSTAT_HTTP_ADDR")
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(100 * time.Millisecond) {
		if resp, err := http.Get(base + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			b.Fatalf("serve is not ready after a minute: %s", out.String())
		}
	}
	sent := make(chan error, 1)
	start := time.Now()
	var took time.Duration
	go func() {
		err := simulate.Send(context.Background(), base+"/v1/ingest/queue_log", "", "default", lines, 0, 50000, nil)
		took = time.Since(start)
		sent <- err
	}()
	var drained time.Time
	posting := true
	for deadline := time.Now().Add(20 * time.Minute); time.Now().Before(deadline); time.Sleep(2 * time.Second) {
		if posting {
			select {
			case err := <-sent:
				if err != nil {
					b.Fatal(err)
				}
				posting = false
			default:
			}
		}
		m := scrape(b, base+"/metrics")
		lag, ok := m["acdstat_build_lag_seconds"]
		if ok {
			samples = append(samples, lag)
		}
		if !posting && drained.IsZero() && m["acdstat_spool_records_pending"] == 0 {
			drained = time.Now()
		}
		// Done once the watermark has passed the moment the spool drained.
		if !drained.IsZero() && ok && time.Duration(lag*float64(time.Second)) < time.Since(drained) {
			return samples, float64(len(lines)) / took.Seconds()
		}
	}
	b.Fatalf("the build did not catch up within 20 minutes: %s", out.String())
	return nil, 0
}

// scrape reads the plain gauges of a Prometheus text page.
func scrape(b *testing.B, url string) map[string]float64 {
	b.Helper()
	resp, err := http.Get(url)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		b.Fatal(err)
	}
	out := map[string]float64{}
	for _, l := range strings.Split(string(body), "\n") {
		name, v, ok := strings.Cut(l, " ")
		if !ok || strings.HasPrefix(name, "#") || strings.Contains(name, "{") {
			continue
		}
		if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
			out[name] = f
		}
	}
	return out
}
