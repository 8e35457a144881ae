package main

import (
	"reflect"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/acdstat/acdstat/cdr"
	"github.com/acdstat/acdstat/sip"
)

// TestLiveSIPFollowsTheSecond: the live state of SIP builds, each second,
// the calls that got messages in it, not every call it keeps, and answers
// as a Live given all the messages at once: 10 minutes of 5 calls a second
// (a state and a batch a second, a prune a minute), compared every 30 s.
func TestLiveSIPFollowsTheSecond(t *testing.T) {
	corr, err := sip.NewCorrelator(sip.CorrelationConfig{}, prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	built := 0
	sources := map[string]cdr.BuildFunc{sip.SourceSIP: func(evs []cdr.Event, opt cdr.BuildOptions) []cdr.QueueCall {
		built += len(evs)
		return corr.Build(evs, opt)
	}}
	start := time.Date(2025, 10, 27, 8, 0, 0, 0, time.UTC)
	evs := sipLoad(t, start, 5, 10*time.Minute)
	l := cdr.NewLive(cdr.LiveOptions{Sources: sources})
	i, added := 0, 0
	for now := start.Add(time.Second); i < len(evs); now = now.Add(time.Second) {
		j := i
		for j < len(evs) && evs[j].Time.Before(now) {
			j++
		}
		built = 0
		l.Add(evs[i:j])
		got := l.State(now, nil)
		// A call has six messages: building each call that got one with
		// all of its own is at most six times the second's messages.
		if built > 6*(j-i) {
			t.Fatalf("at %s: built %d messages for the %d of the second; want at most %d", now, built, j-i, 6*(j-i))
		}
		added += j - i
		i = j
		if now.Sub(start)%time.Minute == 0 {
			l.Prune(now)
		}
		if now.Sub(start)%(30*time.Second) == 0 {
			ref := cdr.NewLive(cdr.LiveOptions{Sources: sources})
			ref.Add(evs[:added])
			if want := ref.State(now, nil); !reflect.DeepEqual(got, want) {
				t.Fatalf("at %s: got %+v; want %+v", now, got, want)
			}
		}
	}
	if n := l.Kept(); n > 6*5*80 {
		t.Errorf("kept %d messages at the end; want those of the calls of the last minute or so only", n)
	}
}
