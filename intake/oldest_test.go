package intake

import (
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// keep400d is the default raw-event retention (ACDSTAT_RETENTION_EVENTS=400d)
// as config.Load sets Config.Oldest from it.
func keep400d(now time.Time) time.Time { return now.AddDate(0, 0, -400) }

// TestHTTPRefusesEventsOlderThanTheRetention: at testNow (2026-01-01) with
// 400 days of retention, a line of 2023 is refused with the reason, naming
// the setting and --allow-old; a line of last month is taken. Without a
// bound (retention 0) both are taken.
func TestHTTPRefusesEventsOlderThanTheRetention(t *testing.T) {
	recent := "1764547200|c2.1|servicedesk|NONE|ENTERQUEUE||4512345678|1\n" // 2025-12-01
	sink := &memSink{}
	srv := newServer(t, Config{Oldest: keep400d}, sink)
	status, _, a, raw := post(t, srv.URL+"/v1/ingest/queue_log?switch=pbx1", enter+recent)
	if status != 200 || a.Accepted != 1 || len(a.Rejected) != 1 {
		t.Fatalf("status %d answer %s; want 200, one accepted and one rejected", status, raw)
	}
	if r := a.Rejected[0]; r.Line != 1 || r.Field != "time" || !strings.Contains(r.Reason, "older than 2024-11-27") ||
		!strings.Contains(r.Reason, "ACDSTAT_RETENTION_EVENTS") || !strings.Contains(r.Reason, "--allow-old") {
		t.Errorf("rejected %+v; want line 1, field time, older than 2024-11-27 (400 days before now), naming the setting and --allow-old", r)
	}
	if len(sink.events) != 1 || sink.events[0].CallID != "c2.1" {
		t.Errorf("sink got %+v; want the recent event only", sink.events)
	}
	if len(sink.rejects) != 1 || sink.rejects[0].Raw != strings.TrimSuffix(enter, "\n") {
		t.Errorf("sink got rejects %+v; want the old line, to be stored with its reason", sink.rejects)
	}

	forever := &memSink{}
	srv = newServer(t, Config{}, forever)
	if status, _, a, raw := post(t, srv.URL+"/v1/ingest/queue_log?switch=pbx1", enter+recent); status != 200 || a.Accepted != 2 {
		t.Errorf("without a bound: status %d answer %s; want both taken", status, raw)
	}
}

// TestHEPTimesAreCheckedLikeEveryOther: the capture time a HEP packet
// carries passes the same check as every decoder's times: older than the
// retention or more than 5 minutes ahead of the listener's clock, the
// packet is refused and counted (reason time); a plain SIP copy, which
// carries no time, is stamped with the clock.
func TestHEPTimesAreCheckedLikeEveryOther(t *testing.T) {
	cfg := Config{Oldest: keep400d, SIP: SIPConfig{HEPAddr: "127.0.0.1:0", SIPAddr: "127.0.0.1:0", QueueSize: 1000, BatchSize: 10}}
	col := &collector{}
	reg := prometheus.NewRegistry()
	l, err := NewSIPListener(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), reg, func() time.Time { return testNow }, col)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Listen(); err != nil {
		t.Fatal(err)
	}
	serveListener(t, l)
	u, err := net.Dial("udp", l.HEPAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	for _, pkt := range [][]byte{
		hepOf(t, sipMessage("INVITE", "old", ""), 7, "", time.Date(2023, 6, 1, 9, 0, 0, 0, time.UTC)),
		hepOf(t, sipMessage("INVITE", "ahead", ""), 7, "", testNow.Add(time.Hour)),
		hepOf(t, sipMessage("INVITE", "recent", ""), 7, "", testNow.Add(-time.Hour)),
	} {
		if _, err := u.Write(pkt); err != nil {
			t.Fatal(err)
		}
	}
	s, err := net.Dial("udp", l.SIPAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Write([]byte(sipMessage("INVITE", "plain", ""))); err != nil {
		t.Fatal(err)
	}
	evs := col.wait(t, 2)
	rejected := l.rejected.WithLabelValues("time")
	for deadline := time.Now().Add(10 * time.Second); testutil.ToFloat64(rejected) < 2 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	got := map[string]bool{}
	for _, e := range evs {
		got[e.CallID] = true
	}
	if len(evs) != 2 || !got["recent"] || !got["plain"] {
		t.Errorf("events of %v; want recent and plain", got)
	}
	if n := testutil.ToFloat64(rejected); n != 2 {
		t.Errorf("acdstat_sip_packets_rejected_total{reason=time} %v; want 2", n)
	}
}
