package cdr

import (
	"math/rand/v2"
	"strconv"
	"testing"
)

// buildBenchEvents generates n queue calls of mixed outcomes (about 4.5
// events each, some repeated), shuffled with a fixed seed.
func buildBenchEvents(n int) []Event {
	rng := rand.New(rand.NewPCG(7, 8))
	queues := []string{"sd", "ksd", "sp"}
	var evs []Event
	for i := range n {
		id := "1475481600." + strconv.Itoa(i)
		q := queues[i%len(queues)]
		s := i / 10 // ten calls join per second
		wait := rng.IntN(600)
		evs = append(evs, bev(s, id, q, "NONE", "ENTERQUEUE", "", "4512345678", "1"))
		evs = append(evs, bev(s+wait/2, id, q, "SIP/101", "RINGNOANSWER", "15000"))
		switch i % 5 {
		case 0, 1, 2:
			talk := rng.IntN(900)
			w := strconv.Itoa(wait)
			evs = append(evs,
				bev(s+wait, id, q, "SIP/102", "CONNECT", w, "x", "2"),
				bev(s+wait+talk, id, q, "SIP/102", "COMPLETECALLER", w, strconv.Itoa(talk), "1"))
		case 3:
			evs = append(evs, bev(s+wait, id, q, "NONE", "ABANDON", "1", "1", strconv.Itoa(wait)))
		case 4:
			evs = append(evs, bev(s+wait, id, q, "NONE", "EXITWITHTIMEOUT", "1", "1", strconv.Itoa(wait)))
		}
		if i%10 == 0 {
			evs = append(evs, evs[len(evs)-1]) // a repeat
		}
	}
	rng.Shuffle(len(evs), func(i, j int) { evs[i], evs[j] = evs[j], evs[i] })
	return evs
}

func BenchmarkBuildCalls(b *testing.B) {
	const n = 100_000
	evs := buildBenchEvents(n)
	opt := BuildOptions{Now: bt(n/10 + 3600)}
	if got := len(BuildCalls(evs, opt)); got != n {
		b.Fatalf("got %d calls; want %d", got, n)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		BuildCalls(evs, opt)
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "calls/s")
	b.ReportMetric(float64(len(evs))*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
