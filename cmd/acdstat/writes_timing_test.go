package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/acdstat/acdstat/simulate"
)

var (
	writesDays  = flag.Int("writes.days", 7, "BenchmarkFileToRollups: days of the simulated desk (30 for issue 13's month)")
	writesCalls = flag.Int("writes.calls", 26000, "BenchmarkFileToRollups: callers a weekday")
	writesRuns  = flag.Int("writes.runs", 3, "BenchmarkFileToRollups: runs of each binary, alternated")
	writesOld   = flag.String("writes.old", "", "BenchmarkFileToRollups: an older acdstat binary to measure alternately with this tree's (the baseline)")
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
	bin := filepath.Join(dir, "acdstat")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v: %s", err, out)
	}
	cfg := simulate.DefaultConfig()
	cfg.Days, cfg.CallsPerDay = *writesDays, *writesCalls
	sim, err := simulate.Generate(cfg)
	if err != nil {
		b.Fatal(err)
	}
	file := filepath.Join(dir, "queue_log")
	f, err := os.Create(file)
	if err != nil {
		b.Fatal(err)
	}
	if err := sim.WriteQueueLog(f); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	lines := len(sim.Lines())
	b.Logf("%d days, %d callers a weekday: %d queue_log lines", cfg.Days, cfg.CallsPerDay, lines)

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
				b.Logf("run %d %s: ingest %.1f s, rollup %.1f s, file to rollups %.1f s (%.0f lines/s)",
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
			b.Logf("acdstat %s: %s", args[0], strings.TrimSpace(lastLines(out.String(), 3)))
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
