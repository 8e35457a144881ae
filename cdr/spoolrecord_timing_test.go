package cdr

import (
	"strconv"
	"testing"
	"time"
)

// BenchmarkSpoolRecord marshals and unmarshals one spool record of 2,000
// SIP-like events, the intake batch of serve's SIP listener: what the
// intake and the writer to ClickHouse spend per event on the spool's form.
func BenchmarkSpoolRecord(b *testing.B) {
	events := make([]Event, 2000)
	at := time.Unix(1700000000, 0).UTC()
	for i := range events {
		cid := "1-" + strconv.Itoa(i) + "@10.10.0.10"
		events[i] = Event{Switch: "hep-2001", Source: "sip", Time: at, Micros: uint32(i), CallID: cid, Verb: "200",
			Data: [5]string{cid, "15506SIPpTag001", "4242SIPpTag01", "1 INVITE",
				"dst=10.10.0.10%3A5060&from=%2B4940987654321&ruri=7001&src=10.20.0.20%3A5060&to=7001"}}
		events[i].ID = EventID(&events[i])
	}
	b.Run("marshal", func(b *testing.B) {
		for b.Loop() {
			MarshalSpoolRecord(events, nil)
		}
		b.ReportMetric(float64(b.N*len(events))/b.Elapsed().Seconds(), "events/s")
	})
	rec := MarshalSpoolRecord(events, nil)
	b.Run("unmarshal", func(b *testing.B) {
		b.SetBytes(int64(len(rec)))
		for b.Loop() {
			if _, _, err := UnmarshalSpoolRecord(rec); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N*len(events))/b.Elapsed().Seconds(), "events/s")
	})
}
