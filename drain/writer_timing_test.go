package drain

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/acdstat/acdstat/cdr"
	"github.com/acdstat/acdstat/spool"
)

// nopInserter takes everything at once: the benchmark measures the writer
// (spool reads, decoding, gathering, acknowledgement), not ClickHouse. It
// calls done once it has taken want rows.
type nopInserter struct {
	rows, want int
	done       func()
}

func (n *nopInserter) InsertEvents(_ context.Context, events []cdr.Event) error {
	n.rows += len(events)
	if n.rows >= n.want {
		n.done()
	}
	return nil
}

func (n *nopInserter) InsertRejects(_ context.Context, _ string, rejects []cdr.Reject) error {
	n.rows += len(rejects)
	return nil
}

func (n *nopInserter) Refused(error) string { return "" }

// BenchmarkWriter measures how fast the writer takes 2,000 spool records
// of 25 queue_log events each (one intake request each: 50,000 rows, one
// INSERT) into an inserter that costs nothing: the writer's own ceiling,
// far above what ClickHouse takes (CLICKHOUSE.md).
func BenchmarkWriter(b *testing.B) {
	const records, perRecord = 2000, 25
	var data [][]byte
	for r := range records {
		evs := make([]cdr.Event, perRecord)
		for i := range evs {
			e := cdr.Event{Switch: "pbx1", Source: cdr.SourceQueueLog, Time: time.Unix(1700000000+int64(r*perRecord+i), 0).UTC(),
				CallID: fmt.Sprintf("1700000000.%d", r), Queue: "servicedesk", Agent: "PJSIP/2101", Verb: "CONNECT",
				Data: [5]string{"30", "1700000000.2", "2"}, Line: i + 1}
			e.ID = cdr.EventID(&e)
			evs[i] = e
		}
		data = append(data, cdr.MarshalSpoolRecord(evs, nil))
	}
	cfg := spool.Config{MaxBytes: 1 << 30, SegmentBytes: 64 << 20, BatchBytes: 8 << 20}
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		sp, err := spool.Open(b.TempDir(), cfg, nil)
		if err != nil {
			b.Fatal(err)
		}
		if err := sp.Append(context.Background(), data); err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		ins := &nopInserter{want: records * perRecord, done: cancel}
		w, err := New(Config{}, slog.New(slog.DiscardHandler), nil, sp, ins)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if err := w.Serve(ctx); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if ins.rows != records*perRecord {
			b.Fatalf("%d rows inserted; want %d", ins.rows, records*perRecord)
		}
		sp.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(b.N*records*perRecord)/b.Elapsed().Seconds(), "rows/s")
}
