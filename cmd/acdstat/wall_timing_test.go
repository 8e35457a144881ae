package main

import (
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/acdstat/acdstat/drain"
)

// BenchmarkWallDelay measures the delay from a post to node A to node B's
// wallboard in headless Chromium (TestWallboardOnTwoNodes's setup): 100
// events, a caller joining and hanging up by turns, each posted once the
// screen showed the one before. It reports the median and the longest
// delay, with the writer's former linger (1 s) and its default (250 ms). One run
// is 100 events, minutes in all, so it runs only with ACDSTAT_BENCH_WALL=1
// (make bench would run it ten times), and with -benchtime=1x.
func BenchmarkWallDelay(b *testing.B) {
	if os.Getenv("ACDSTAT_BENCH_WALL") != "1" {
		b.Skip("set ACDSTAT_BENCH_WALL=1 to measure: 100 events through two nodes and Chromium take minutes")
	}
	bin := wallChromium(b)
	for _, linger := range []time.Duration{time.Second, drain.DefaultLinger} {
		b.Run("linger="+linger.String(), func(b *testing.B) {
			dir := b.TempDir()
			a, n := wallNodes(b, dir, testEnv(b), linger)
			a.start(b)
			n.start(b)
			probe := newWallProbe(b, bin, n)
			probe.await(b, 30*time.Second, "the empty desk", func(s wallSeen) bool { return s.Waiting == 0 && s.Via == "stream" })
			const events = 100
			var delays []time.Duration
			for i := 0; i < b.N; i++ {
				delays = delays[:0]
				for k := range events {
					call := fmt.Sprintf("r%d-%d", i, k/2)
					line, want := "|"+call+"|support|NONE|ENTERQUEUE||1|1", 1
					if k%2 == 1 {
						line, want = "|"+call+"|support|NONE|ABANDON|1|1|1", 0
					}
					posted := time.Now()
					a.post(b, line)
					s := probe.await(b, 10*time.Second, fmt.Sprintf("%d waiting", want), func(s wallSeen) bool { return s.Waiting == want })
					delays = append(delays, s.at.Sub(posted))
				}
			}
			slices.Sort(delays)
			median, longest := delays[len(delays)/2], delays[len(delays)-1]
			b.ReportMetric(float64(median.Milliseconds()), "median-ms")
			b.ReportMetric(float64(longest.Milliseconds()), "max-ms")
			b.Logf("linger %s: %d events from a post to node A to node B's wallboard: median %s, max %s",
				linger, len(delays), median.Round(time.Millisecond), longest.Round(time.Millisecond))
		})
	}
}
