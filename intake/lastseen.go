package intake

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// maxSwitchesSeen bounds lastSeen: past it, the switch heard from longest
// ago is forgotten. Switch names come from senders, so the map must not
// grow without end.
const maxSwitchesSeen = 1000

// lastSeen remembers when each switch last sent anything and exposes
// acdstat_switch_last_seen_seconds{switch}: the seconds since then. A
// silent switch is the usual failure; alert on this. Safe for concurrent use.
type lastSeen struct {
	mu   sync.Mutex
	at   map[string]time.Time
	now  func() time.Time
	desc *prometheus.Desc
}

func newLastSeen(now func() time.Time) *lastSeen {
	return &lastSeen{at: map[string]time.Time{}, now: now,
		desc: prometheus.NewDesc("acdstat_switch_last_seen_seconds",
			"Seconds since the switch last sent anything that was stored (events or rejected lines).",
			[]string{"switch"}, nil)}
}

func (l *lastSeen) seen(sw string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.at[sw]; !ok && len(l.at) >= maxSwitchesSeen {
		oldest := ""
		for s, t := range l.at {
			if oldest == "" || t.Before(l.at[oldest]) {
				oldest = s
			}
		}
		delete(l.at, oldest)
	}
	l.at[sw] = l.now()
}

func (l *lastSeen) Describe(ch chan<- *prometheus.Desc) { ch <- l.desc }

func (l *lastSeen) Collect(ch chan<- prometheus.Metric) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	for sw, t := range l.at {
		ch <- prometheus.MustNewConstMetric(l.desc, prometheus.GaugeValue, now.Sub(t).Seconds(), sw)
	}
}
