package cdr

import (
	"bytes"
	"fmt"
	"testing"
	"time"
)

// qlBenchLines is the number of generated lines per benchmark input.
const qlBenchLines = 100_000

// qlBenchInput generates n lines of a plausible queue_log: calls of
// ENTERQUEUE, RINGNOANSWER, CONNECT and COMPLETECALLER, in the file form or
// as a realtime-table CSV.
func qlBenchInput(n int, csv bool) []byte {
	var b bytes.Buffer
	if csv {
		b.WriteString("id,time,callid,queuename,agent,event,data1,data2,data3,data4,data5\n")
	}
	base := time.Date(2024, 5, 29, 8, 0, 0, 0, time.UTC)
	for i := 0; i < n; i++ {
		call := i / 4
		t := base.Add(time.Duration(call)*7*time.Second + time.Duration(i%4)*5*time.Second)
		id := fmt.Sprintf("%d.%d", base.Unix()+int64(call), call)
		var verb, data string
		switch i % 4 {
		case 0:
			verb, data = "ENTERQUEUE", fmt.Sprintf("|45%08d|1", call)
		case 1:
			verb, data = "RINGNOANSWER", "15000"
		case 2:
			verb, data = "CONNECT", fmt.Sprintf("10|%d.%d|2", base.Unix()+int64(call), call+1)
		case 3:
			verb, data = "COMPLETECALLER", "10|5|1"
		}
		if csv {
			fmt.Fprintf(&b, "%d,%s.%06d,%s,support,PJSIP/2%02d,%s,%s,,\n", i, t.Format(time.DateTime), i%1000000, id, call%50, verb,
				bytes.ReplaceAll([]byte(data), []byte("|"), []byte(",")))
		} else {
			fmt.Fprintf(&b, "%d|%s|support|PJSIP/2%02d|%s|%s\n", t.Unix(), id, call%50, verb, data)
		}
	}
	return b.Bytes()
}

func qlBench(b *testing.B, dec DecodeFunc, in []byte) {
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	b.ResetTimer()
	for b.Loop() {
		n := 0
		err := dec(bytes.NewReader(in), DecodeOptions{}, func(bt Batch) error {
			n += len(bt.Events)
			if len(bt.Rejects) > 0 {
				return bt.Rejects[0]
			}
			return nil
		})
		if err != nil || n != qlBenchLines {
			b.Fatalf("got %d events, error %v; want %d, nil", n, err, qlBenchLines)
		}
	}
	b.ReportMetric(float64(qlBenchLines)*float64(b.N)/b.Elapsed().Seconds(), "lines/s")
}

func BenchmarkDecodeQueueLog(b *testing.B) {
	qlBench(b, DecodeQueueLog, qlBenchInput(qlBenchLines, false))
}

func BenchmarkDecodeQueueLogDB(b *testing.B) {
	qlBench(b, DecodeQueueLogDB, qlBenchInput(qlBenchLines, true))
}
