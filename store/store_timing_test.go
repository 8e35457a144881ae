package store

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/acdstat/acdstat/cdr"
)

// benchRows and benchBatch shape the insert benchmarks: 200k call-shaped
// events in 50k-row INSERTs (CLICKHOUSE.md: batch big, append by column).
const (
	benchRows  = 200_000
	benchBatch = 50_000
)

func benchEvents() []cdr.Event {
	verbs := []string{"ENTERQUEUE", "RINGNOANSWER", "CONNECT", "COMPLETECALLER", "ABANDON"}
	t0 := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	evs := make([]cdr.Event, benchRows)
	for i := range evs {
		e := &evs[i]
		e.Switch, e.Source = "pbx1", cdr.SourceQueueLog
		e.Time = t0.Add(time.Duration(i/5) * 3 * time.Second)
		e.Micros = uint32(i % 1_000_000)
		e.CallID = fmt.Sprintf("1709251200.%d", i/5)
		e.Queue = fmt.Sprintf("queue%d", i%17)
		e.Agent = fmt.Sprintf("PJSIP/agent%03d", i%211)
		e.Verb = verbs[i%len(verbs)]
		e.Data = [5]string{strconv.Itoa(i % 60), "1", strconv.Itoa(i % 300), "", ""}
		e.ID = cdr.EventID(e)
	}
	return evs
}

// insertEventsByRow is the row-by-row form of InsertEvents, kept here only
// to measure what whole-column appends gain.
func (s *Store) insertEventsByRow(ctx context.Context, evs []cdr.Event) error {
	b, err := s.conn.PrepareBatch(ctx, insertEventsSQL)
	if err != nil {
		return err
	}
	for i := range evs {
		e := &evs[i]
		if err := b.Append(e.Switch, e.Source, e.ID, e.Time, e.Micros, e.CallID, e.Queue, e.Agent, e.Verb,
			e.Data[0], e.Data[1], e.Data[2], e.Data[3], e.Data[4]); err != nil {
			b.Abort()
			return err
		}
	}
	return b.Send()
}

// BenchmarkInsertEvents measures InsertEvents (whole-column appends) and, for
// comparison, row appends, in rows per second; compare with
// BenchmarkClickhouseClientCeiling from the same run.
func BenchmarkInsertEvents(b *testing.B) {
	evs := benchEvents()
	for _, bc := range []struct {
		name   string
		batch  int
		insert func(*Store, context.Context, []cdr.Event) error
	}{
		{"column/batch=50k", benchBatch, (*Store).InsertEvents},
		{"column/batch=200k", benchRows, (*Store).InsertEvents},
		{"row/batch=50k", benchBatch, (*Store).insertEventsByRow},
	} {
		b.Run(bc.name, func(b *testing.B) {
			s := newStore(b)
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				for i := 0; i < len(evs); i += bc.batch {
					if err := bc.insert(s, ctx, evs[i:min(i+bc.batch, len(evs))]); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(b.N*len(evs))/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// BenchmarkClickhouseClientCeiling pipes the same rows as TabSeparated into
// clickhouse-client, one process and one INSERT per run: the ceiling the Go
// writer is compared with (CLICKHOUSE.md). It includes the client's start.
func BenchmarkClickhouseClientCeiling(b *testing.B) {
	client, err := exec.LookPath("clickhouse-client")
	if err != nil {
		b.Skip("clickhouse-client is not installed")
	}
	s, addr := newStoreAddr(b)
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		b.Fatal(err)
	}
	var tsv bytes.Buffer
	for _, e := range benchEvents() {
		fields := []string{e.Switch, e.Source, strconv.FormatUint(e.ID, 10), e.Time.Format(time.DateTime),
			strconv.FormatUint(uint64(e.Micros), 10), e.CallID, e.Queue, e.Agent, e.Verb,
			e.Data[0], e.Data[1], e.Data[2], e.Data[3], e.Data[4]}
		tsv.WriteString(strings.Join(fields, "\t"))
		tsv.WriteByte('\n')
	}
	query := insertEventsSQL + " FORMAT TabSeparated"
	b.SetBytes(int64(tsv.Len()))
	b.ResetTimer()
	for b.Loop() {
		cmd := exec.Command(client, "--host", host, "--port", port, "--database", s.db, "--query", query)
		cmd.Stdin = bytes.NewReader(tsv.Bytes())
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("clickhouse-client: %v: %s", err, out)
		}
	}
	b.ReportMetric(float64(b.N*benchRows)/b.Elapsed().Seconds(), "rows/s")
}
