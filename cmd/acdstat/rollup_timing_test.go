package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
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
	rollupViews   = flag.Bool("rollup.views", true, "also run the baselines of BenchmarkRollup's call reads through queue_calls_current, which group all history on every read (false at 100 M calls, where each takes minutes and more memory than the server allows a query)")
	rollupFill    = flag.String("rollup.fill", "go", "how BenchmarkRollup stores its history: go (100k-row column inserts from Go, writeHistory) or sql (one INSERT … SELECT FROM numbers() in the server, fillHistory: the same calls, far faster for 100 M)")
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

// fillHistory stores the calls of writeHistory with one INSERT … SELECT
// from numbers() in the server: switch, queue, outcome, waits, talk and
// transfers of call i as writeHistory makes them, its enter time i × 366
// days / n after 2024-01-01 to the second (integer arithmetic, where
// writeHistory rounds through a float64: an enter time may differ by a
// second), built_at the server's clock. It feeds call_touches as any insert
// does. It takes minutes for 100 M calls where writeHistory takes most of
// an hour.
func fillHistory(b *testing.B, conn clickhouse.Conn, n int) {
	b.Helper()
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	ctx := clickhouse.Context(context.Background(), clickhouse.WithSettings(clickhouse.Settings{"max_execution_time": 0}))
	if err := conn.Exec(ctx, fmt.Sprintf(`INSERT INTO queue_calls (switch, call_id, queue, seq, version, deleted, outcome, enter_time, end_time, wait_s, talk_s, transferred)
SELECT 'pbx', concat(toString(toUInt32(enter)), '.', toString(number)), concat('q', toString(number %% %d)), 0, 1, 0,
    CAST(arrayElement(['answered', 'answered', 'answered', 'abandoned', 'timeout', 'unknown'], number %% 6 + 1) AS Enum8('waiting' = 0, 'answered' = 1, 'abandoned' = 2, 'timeout' = 3, 'exit_key' = 4, 'exit_other' = 5, 'unknown' = 6)),
    toDateTime(enter), toDateTime(enter + 60), number %% 700, number %% 400, number %% 17 = 0
FROM (SELECT number, %d + intDiv(number * %d, %d) AS enter FROM system.numbers LIMIT %d)`,
		benchQueues, t0, 366*24*3600, n, n)); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkRollup measures, on -rollup.calls stored queue calls of 10
// queues over 12 months (stored as -rollup.fill says): the rollup from
// scratch (every bucket), the incremental jobs (build and rollup) after
// 1,000 new calls arrive as queue_log events, the report of 12 months × 10
// queues (in one PeriodRollupsOf, against one PeriodRollups per queue), a
// BI tool's query of one queue-month through queue_month, and the calls of
// one queue-day (store.CurrentCalls), the callbacks of one queue-day
// (store.AbandonedCallers) and the callers waiting (store.WaitingNow),
// each against its query through queue_calls_current. Each read and its
// baseline run alternated, -rollup.rounds times each (alternate).
func BenchmarkRollup(b *testing.B) {
	environ := testEnv(b)
	st, cfg := benchStore(b, environ)
	// The margin re-reads what was built in the last minutes; the history
	// here was written seconds ago, which never happens in service, so the
	// incremental runs are measured without it.
	cfg.Jobs.RollupMargin, cfg.Jobs.Margin = 0, 0
	ctx := context.Background()
	conn, err := clickhouse.Open(&clickhouse.Options{
		Addr: []string{envValue(environ, "ACDSTAT_CLICKHOUSE_ADDR")},
		Auth: clickhouse.Auth{Database: envValue(environ, "ACDSTAT_CLICKHOUSE_DATABASE"), Username: "default"},
	})
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	switch *rollupFill {
	case "go":
		writeHistory(b, st, *rollupCalls)
	case "sql":
		fillHistory(b, conn, *rollupCalls)
	default:
		b.Fatalf("-rollup.fill %q: use go or sql", *rollupFill)
	}
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
	// The report of 12 months × 10 queues: the ten queues in one
	// PeriodRollupsOf (together) and, its baseline, one PeriodRollups per
	// queue as before (per_queue, two queries each), alternated.
	b.Run("report_12m_10q", func(b *testing.B) {
		from, to := time.Date(2024, 1, 1, 0, 0, 0, 0, loc), time.Date(2025, 1, 1, 0, 0, 0, 0, loc)
		var ranges []store.QueueRange
		for q := 0; q < benchQueues; q++ {
			ranges = append(ranges, store.QueueRange{Queue: fmt.Sprintf("q%d", q), From: from, To: to})
		}
		var each, together map[string]map[time.Time]cdr.PeriodRollup
		for b.Loop() {
			alternate(b, &read, namedRead{"per_queue", func() {
				each = map[string]map[time.Time]cdr.PeriodRollup{}
				for _, r := range ranges {
					got, err := st.PeriodRollups(readCtx, "", r.Queue, "month", from, to, false)
					if err != nil {
						b.Fatal(err)
					}
					each[r.Queue] = got
				}
			}}, namedRead{"together", func() {
				var err error
				if together, err = st.PeriodRollupsOf(readCtx, "", "month", ranges, false); err != nil {
					b.Fatal(err)
				}
			}})
		}
		for _, r := range ranges {
			if len(together[r.Queue]) != 12 || !reflect.DeepEqual(together[r.Queue], each[r.Queue]) {
				b.Fatalf("%s: %d months together, %d alone, or they differ", r.Queue, len(together[r.Queue]), len(each[r.Queue]))
			}
		}
	})

	// A BI tool's query of one queue-month through the views.
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
	// period's partitions) and, the baseline, through queue_calls_current,
	// alternated.
	day := [2]time.Time{time.Date(2024, 3, 12, 0, 0, 0, 0, loc), time.Date(2024, 3, 13, 0, 0, 0, 0, loc)}
	b.Run("calls_1q_1d", func(b *testing.B) {
		var period, view uint64
		for b.Loop() {
			alternate(b, &read, viewRead(func() {
				rows, err := conn.Query(readCtx, `SELECT switch, call_id, queue, seq, outcome, enter_time, answer_time, end_time, wait_s, talk_s, transferred, agent, caller, end_verb
FROM queue_calls_current WHERE queue = 'q3' AND enter_time >= ? AND enter_time < ? ORDER BY enter_time, switch, call_id, seq`, day[0].UTC(), day[1].UTC())
				if err != nil {
					b.Fatal(err)
				}
				view = 0
				for rows.Next() {
					view++
				}
				if err := rows.Err(); err != nil {
					b.Fatal(err)
				}
				rows.Close()
			}), namedRead{"period", func() {
				calls, err := st.CurrentCalls(readCtx, "", "q3", day[0], day[1], 1_000_000)
				if err != nil {
					b.Fatal(err)
				}
				period = uint64(len(calls))
			}})
		}
		if *rollupViews && (view != period || view == 0) {
			b.Fatalf("queue_calls_current has %d calls of the day; CurrentCalls %d", view, period)
		}
	})

	// The callbacks and the callers waiting of the last day of the
	// history, as the dashboard asks them for today: store.AbandonedCallers
	// and store.WaitingNow (the partitions from the period on) and, their
	// baseline, their queries before (through queue_calls_current, all
	// history), alternated.
	last := [2]time.Time{time.Date(2024, 12, 30, 0, 0, 0, 0, loc), time.Date(2024, 12, 31, 0, 0, 0, 0, loc)}
	b.Run("callbacks_1q_1d", func(b *testing.B) {
		var period, view []string
		for b.Loop() {
			alternate(b, &read, viewRead(func() {
				rows, err := conn.Query(readCtx, `SELECT call_id
FROM (
    SELECT switch, call_id, queue, seq, enter_time, wait_s, caller
    FROM queue_calls_current
    WHERE queue = 'q3' AND outcome = 'abandoned' AND enter_time >= ? AND enter_time < ?
)
ANY LEFT JOIN (
    SELECT switch, caller, max(enter_time) AS last_answered
    FROM queue_calls_current
    WHERE outcome = 'answered' AND enter_time >= ? AND caller != ''
    GROUP BY switch, caller
) USING (switch, caller)
WHERE caller = '' OR last_answered < enter_time
ORDER BY enter_time, switch, call_id, seq
LIMIT ?`, last[0].UTC(), last[1].UTC(), last[0].UTC(), store.MaxCallbacks)
				if err != nil {
					b.Fatal(err)
				}
				view = view[:0]
				for rows.Next() {
					var id string
					if err := rows.Scan(&id); err != nil {
						b.Fatal(err)
					}
					view = append(view, id)
				}
				if err := rows.Err(); err != nil {
					b.Fatal(err)
				}
				rows.Close()
			}), namedRead{"period", func() {
				calls, err := st.AbandonedCallers(readCtx, "", "q3", last[0], last[1])
				if err != nil {
					b.Fatal(err)
				}
				period = period[:0]
				for _, c := range calls {
					period = append(period, c.CallID)
				}
			}})
		}
		if *rollupViews && (len(view) == 0 || !slices.Equal(view, period)) {
			b.Fatalf("abandoned callers: %d through queue_calls_current, %d through AbandonedCallers, or they differ", len(view), len(period))
		}
	})
	b.Run("waiting_1q", func(b *testing.B) {
		var period, view uint64
		for b.Loop() {
			alternate(b, &read, viewRead(func() {
				var first time.Time
				if err := conn.QueryRow(readCtx, `SELECT count(), min(enter_time)
FROM queue_calls_current
WHERE queue = 'q3' AND outcome = 'waiting' AND enter_time >= ?`, last[0].UTC()).Scan(&view, &first); err != nil {
					b.Fatal(err)
				}
			}), namedRead{"period", func() {
				n, _, err := st.WaitingNow(readCtx, "", "q3", last[0])
				if err != nil {
					b.Fatal(err)
				}
				period = uint64(n)
			}})
		}
		if *rollupViews && view != period {
			b.Fatalf("waiting: %d through queue_calls_current, %d through WaitingNow", view, period)
		}
	})
}

// readRounds is how many times medianOf and alternate run a read.
var readRounds = flag.Int("rollup.rounds", 5, "how many times BenchmarkRollup runs each read")

// medianOf runs read readRounds times and reports the median time of one
// read (median-ms), which a shared machine disturbs less than a mean, and
// the rows the server read per read (rows/read), counted by rows.
func medianOf(b *testing.B, rows *uint64, read func()) {
	b.Helper()
	alternate(b, rows, namedRead{"", read})
}

// viewRead is the baseline read through queue_calls_current named view, or
// a read that does nothing where -rollup.views=false leaves it out.
func viewRead(read func()) namedRead {
	if !*rollupViews {
		return namedRead{}
	}
	return namedRead{"view", read}
}

// namedRead is one of the reads alternate compares.
type namedRead struct {
	name string
	read func()
}

// alternate runs the reads in turn (a, b, a, b, …) readRounds times each,
// so that the load of a shared machine falls on all of them alike, and
// reports for each its median time of one read (name-median-ms) and the
// rows the server read per read (name-rows/read), counted by rows; a read
// without a name reports median-ms and rows/read, one without a function
// is left out.
func alternate(b *testing.B, rows *uint64, reads ...namedRead) {
	b.Helper()
	reads = slices.DeleteFunc(reads, func(r namedRead) bool { return r.read == nil })
	times := make([][]time.Duration, len(reads))
	read := make([]uint64, len(reads))
	for range *readRounds {
		for i, r := range reads {
			*rows = 0
			start := time.Now()
			r.read()
			times[i] = append(times[i], time.Since(start))
			read[i] += *rows
		}
	}
	for i, r := range reads {
		prefix := ""
		if r.name != "" {
			prefix = r.name + "-"
		}
		slices.Sort(times[i])
		b.ReportMetric(float64(times[i][*readRounds/2].Microseconds())/1000, prefix+"median-ms")
		b.ReportMetric(float64(read[i])/float64(*readRounds), prefix+"rows/read")
	}
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
