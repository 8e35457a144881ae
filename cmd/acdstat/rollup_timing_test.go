package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/acdstat/acdstat/aggregate"
	"github.com/acdstat/acdstat/cdr"
	"github.com/acdstat/acdstat/config"
	"github.com/acdstat/acdstat/simulate"
	"github.com/acdstat/acdstat/store"
)

// rollupCalls sizes the stored history of BenchmarkRollup; CI runs the small
// default, `make bench` may pass -rollup.calls=10000000.
var (
	rollupCalls   = flag.Int("rollup.calls", 20000, "queue calls stored before BenchmarkRollup")
	rebuildPerDay = flag.Int("rebuild.perday", 1000, "simulated callers per weekday for BenchmarkRebuild (a week)")
)

const benchQueues = 10

func benchStore(b *testing.B, environ []string) (*store.Store, config.Config) {
	b.Helper()
	cfg, err := config.Load(environ)
	if err != nil {
		b.Fatal(err)
	}
	st, err := openStore(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	return st, cfg
}

// writeHistory stores n answered and abandoned queue calls of 10 queues
// spread over the 12 months of 2024, in 100k-row column inserts.
func writeHistory(b *testing.B, st *store.Store, n int) {
	b.Helper()
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	step := float64(366*24*time.Hour) / float64(n)
	batch := make([]cdr.StoredCall, 0, 100_000)
	outcomes := []cdr.Outcome{cdr.Answered, cdr.Answered, cdr.Answered, cdr.Abandoned, cdr.Timeout, cdr.Unknown}
	for i := 0; i < n; i++ {
		enter := t0.Add(time.Duration(float64(i) * step)).Truncate(time.Second)
		batch = append(batch, cdr.StoredCall{QueueCall: cdr.QueueCall{
			Switch: "pbx", CallID: fmt.Sprintf("%d.%d", enter.Unix(), i), Queue: fmt.Sprintf("q%d", i%benchQueues),
			Outcome: outcomes[i%len(outcomes)], EnterTime: enter, EndTime: enter.Add(time.Minute),
			WaitS: uint32(i % 700), TalkS: uint32(i % 400), Transferred: i%17 == 0,
		}, Version: 1})
		if len(batch) == cap(batch) || i == n-1 {
			if err := st.WriteCalls(context.Background(), batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
}

// BenchmarkRollup measures, on -rollup.calls stored queue calls of 10
// queues over 12 months: the rollup from scratch (every bucket), the
// incremental jobs (build and rollup) after 1,000 new calls arrive as
// queue_log events, the report query of 12 months × 10 queues, a BI
// tool's query of one queue-month through queue_month, and the calls of
// one queue-day (store.CurrentCalls, against queue_calls_current).
func BenchmarkRollup(b *testing.B) {
	environ := testEnv(b)
	st, cfg := benchStore(b, environ)
	// The margin re-reads what was built in the last minutes; the history
	// here was written seconds ago, which never happens in service, so the
	// incremental runs are measured without it.
	cfg.Jobs.RollupMargin, cfg.Jobs.Margin = 0, 0
	ctx := context.Background()
	start := time.Now()
	writeHistory(b, st, *rollupCalls)
	b.Logf("stored %d queue calls in %v", *rollupCalls, time.Since(start))
	// built_at has whole seconds and a run re-reads the second of its
	// watermark: start the rollup a second later, so the incremental runs
	// below re-read the new calls only, not the history's last batch.
	time.Sleep(1100 * time.Millisecond)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	roller := newRoller(cfg, log, aggregate.FixedSettings(nil), st)

	b.Run("from_scratch", func(b *testing.B) {
		for b.Loop() {
			if err := st.SetWatermark(ctx, aggregate.RollupJob, time.Unix(0, 0)); err != nil {
				b.Fatal(err)
			}
			stats, err := roller.Run(ctx)
			if err != nil {
				b.Fatal(err)
			}
			if stats.Calls != *rollupCalls {
				b.Fatalf("rolled up %d calls; want %d", stats.Calls, *rollupCalls)
			}
		}
		b.ReportMetric(float64(*rollupCalls*b.N)/b.Elapsed().Seconds(), "calls/s")
	})

	b.Run("incremental_1000", func(b *testing.B) {
		builder := aggregate.NewBuilder(cfg.Jobs, log, clockFrom(testToday), nil, st)
		round := 0
		for b.Loop() {
			b.StopTimer()
			round++
			var evs []cdr.Event
			t0 := time.Date(2024, 6, 3, 9, 0, 0, 0, time.UTC).Add(time.Duration(round) * 24 * time.Hour)
			for i := 0; i < 1000; i++ {
				at := t0.Add(time.Duration(i) * 20 * time.Second)
				id := fmt.Sprintf("new%d.%d", round, i)
				for j, verb := range []string{"ENTERQUEUE", "CONNECT", "COMPLETECALLER"} {
					data := [5]string{"", "4512345678", "1"}
					if verb == "CONNECT" {
						data = [5]string{"30", "x", "1"}
					} else if verb == "COMPLETECALLER" {
						data = [5]string{"30", "90", "1"}
					}
					e := cdr.Event{Switch: "pbx", Source: cdr.SourceQueueLog, Time: at.Add(time.Duration(j*30) * time.Second), CallID: id, Queue: fmt.Sprintf("q%d", i%benchQueues), Agent: "PJSIP/1", Verb: verb, Data: data}
					e.ID = cdr.EventID(&e)
					evs = append(evs, e)
				}
			}
			if err := st.InsertEvents(ctx, evs); err != nil {
				b.Fatal(err)
			}
			time.Sleep(1100 * time.Millisecond) // the events' ingest second is in the past
			b.StartTimer()
			bs, err := builder.Run(ctx)
			if err != nil {
				b.Fatal(err)
			}
			rs, err := roller.Run(ctx)
			if err != nil {
				b.Fatal(err)
			}
			if bs.Written < 1000 || rs.Calls < 1000 {
				b.Fatalf("built %d rows, rolled up %d calls; want at least 1000 each", bs.Written, rs.Calls)
			}
		}
	})

	// The reads count the rows the server read (medianOf), from the
	// progress it sends with every query.
	var read uint64
	readCtx := clickhouse.Context(ctx, clickhouse.WithProgress(func(p *clickhouse.Progress) { read += p.Rows }))
	loc := simulate.Copenhagen()
	b.Run("report_12m_10q", func(b *testing.B) {
		from, to := time.Date(2024, 1, 1, 0, 0, 0, 0, loc), time.Date(2025, 1, 1, 0, 0, 0, 0, loc)
		for b.Loop() {
			medianOf(b, &read, func() {
				for q := 0; q < benchQueues; q++ {
					got, err := st.PeriodCounts(readCtx, "", fmt.Sprintf("q%d", q), "month", from, to, false)
					if err != nil {
						b.Fatal(err)
					}
					if len(got) != 12 {
						b.Fatalf("got %d months; want 12", len(got))
					}
				}
			})
		}
	})

	// A BI tool's query of one queue-month through the views.
	conn, err := clickhouse.Open(&clickhouse.Options{
		Addr: []string{envValue(environ, "ACDSTAT_CLICKHOUSE_ADDR")},
		Auth: clickhouse.Auth{Database: envValue(environ, "ACDSTAT_CLICKHOUSE_DATABASE"), Username: "default"},
	})
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	b.Run("view_1q_1m", func(b *testing.B) {
		march := time.Date(2024, 3, 1, 0, 0, 0, 0, loc).UTC()
		for b.Loop() {
			medianOf(b, &read, func() {
				var offered uint64
				if err := conn.QueryRow(readCtx, `SELECT offered FROM queue_month
WHERE queue = 'q3' AND switch = '*' AND hours = 'all' AND period_start = ?`, march).Scan(&offered); err != nil {
					b.Fatal(err)
				}
				if offered == 0 {
					b.Fatal("no call in March")
				}
			})
		}
	})

	// The calls of one queue-day, through store.CurrentCalls (the
	// period's partitions) and, the baseline, through queue_calls_current.
	day := [2]time.Time{time.Date(2024, 3, 12, 0, 0, 0, 0, loc), time.Date(2024, 3, 13, 0, 0, 0, 0, loc)}
	var want uint64
	b.Run("calls_1q_1d", func(b *testing.B) {
		for b.Loop() {
			medianOf(b, &read, func() {
				calls, err := st.CurrentCalls(readCtx, "", "q3", day[0], day[1], 1_000_000)
				if err != nil {
					b.Fatal(err)
				}
				want = uint64(len(calls))
			})
		}
	})
	b.Run("calls_1q_1d_view", func(b *testing.B) {
		for b.Loop() {
			medianOf(b, &read, func() {
				rows, err := conn.Query(readCtx, `SELECT switch, call_id, queue, seq, outcome, enter_time, answer_time, end_time, wait_s, talk_s, transferred, agent, caller, end_verb
FROM queue_calls_current WHERE queue = 'q3' AND enter_time >= ? AND enter_time < ? ORDER BY enter_time, switch, call_id, seq`, day[0].UTC(), day[1].UTC())
				if err != nil {
					b.Fatal(err)
				}
				var n uint64
				for rows.Next() {
					n++
				}
				if err := rows.Err(); err != nil {
					b.Fatal(err)
				}
				rows.Close()
				if n != want || n == 0 {
					b.Fatalf("queue_calls_current has %d calls of the day; CurrentCalls %d", n, want)
				}
			})
		}
	})
}

// readRounds is how many times medianOf runs a read.
const readRounds = 5

// medianOf runs read readRounds times and reports the median time of one
// read (median-ms), which a shared machine disturbs less than a mean, and
// the rows the server read per read (rows/read), counted by rows.
func medianOf(b *testing.B, rows *uint64, read func()) {
	b.Helper()
	*rows = 0
	defer func() { b.ReportMetric(float64(*rows)/readRounds, "rows/read") }()
	times := make([]time.Duration, readRounds)
	for i := range times {
		start := time.Now()
		read()
		times[i] = time.Since(start)
	}
	slices.Sort(times)
	b.ReportMetric(float64(times[readRounds/2].Microseconds())/1000, "median-ms")
}

// BenchmarkRebuild measures acdstat rebuild: queue calls rebuilt from their
// raw events and the range rolled up, for a simulated week.
func BenchmarkRebuild(b *testing.B) {
	environ := testEnv(b)
	cfg := simulate.DefaultConfig()
	cfg.CallsPerDay = *rebuildPerDay
	sim, err := simulate.Generate(cfg)
	if err != nil {
		b.Fatal(err)
	}
	file := filepath.Join(b.TempDir(), "queue_log")
	f, err := os.Create(file)
	if err != nil {
		b.Fatal(err)
	}
	if err := sim.WriteQueueLog(f); err != nil {
		b.Fatal(err)
	}
	f.Close()
	if err := run(context.Background(), testProcess(environ, io.Discard, io.Discard), []string{"ingest", "--no-build", "--format", "queue_log", file}); err != nil {
		b.Fatal(err)
	}
	calls := len(sim.Truth().Calls)
	for b.Loop() {
		if err := run(context.Background(), testProcess(environ, io.Discard, io.Discard), []string{"rebuild", "--from", "2025-10-25", "--to", "2025-11-03"}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(calls*b.N)/b.Elapsed().Seconds(), "calls/s")
}
