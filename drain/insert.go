package drain

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/acdstat/acdstat/cdr"
)

// insert writes the events of b, as one INSERT per group of at most
// Config.MaxMonths months of event time (ByMonths), then b's rejects and
// those of the events ClickHouse refused. Every INSERT is sent again with
// a backoff while ClickHouse cannot take it (send), and split in halves
// where ClickHouse refuses it for what is in its rows (bisect): the
// refused events become rejects (source writer, the event as its line,
// ClickHouse's reason), a refused reject is logged and dropped, and the
// rest lands. It returns an error only when ctx ended; b then stays in
// the spool, whatever part of it landed (it is sent again whole: ids are
// deterministic).
//
// A refusal is final for the rows refused: a single event that ClickHouse
// refuses is not sent again, so no row can hold the spool however often
// it would be refused. What ClickHouse refuses for a reason that is not
// in the rows (a schema it lacks, a login) is not a refusal (the store
// classifies it as "not now": Inserter.Refused), so it holds the spool
// until a person mends it, and never turns events into rejects.
func (w *Writer) insert(ctx context.Context, b *batch) error {
	type refusedEvent struct {
		e      cdr.Event
		reason string
	}
	var refused []refusedEvent
	for _, evs := range ByMonths(b.events, w.cfg.MaxMonths) {
		err := bisect(ctx, w, "events", evs, w.st.InsertEvents, func(e cdr.Event, reason string) {
			refused = append(refused, refusedEvent{e, reason})
		})
		if err != nil {
			return err
		}
	}
	rejects := b.rejects
	if len(refused) > 0 {
		at := b.receivedAt()
		for _, r := range refused {
			rejects = append(rejects, eventReject(&r.e, r.reason, at[r.e.ID]))
		}
		w.log.Warn("clickhouse refused events for what is in them; they are stored as rejects (GET /v1/rejects)",
			"events", len(refused), "switch", refused[0].e.Switch, "call_id", refused[0].e.CallID, "reason", refused[0].reason)
	}
	var dropped []cdr.Reject
	err := bisect(ctx, w, "rejects", rejects, func(ctx context.Context, rs []cdr.Reject) error {
		return w.st.InsertRejects(ctx, "", rs)
	}, func(r cdr.Reject, reason string) {
		dropped = append(dropped, r)
		if len(dropped) == 1 {
			w.log.Error("clickhouse refused a reject for what is in it; it is dropped", "switch", r.Switch,
				"source", r.Source, "line", r.Line, "reject_reason", r.Reason, "raw", clip(r.Raw), "reason", reason)
		}
	})
	if err != nil {
		return err
	}
	if len(dropped) > 1 {
		w.log.Error("clickhouse refused more rejects; they are dropped", "rejects", len(dropped)-1)
	}
	w.batches.WithLabelValues("ok").Inc()
	return nil
}

// bisect inserts rows with insert, through send. Where ClickHouse refuses
// them for what is in them, it inserts each half the same way, down to
// single rows, and hands each single row ClickHouse refuses to refused
// with the reason: k refused rows of n take at most 1 + 2k·⌈log₂ n⌉
// INSERTs, and rows that land are not sent again. It returns an error
// only when ctx ended.
func bisect[T any](ctx context.Context, w *Writer, table string, rows []T, insert func(context.Context, []T) error, refused func(row T, reason string)) error {
	if len(rows) == 0 {
		return nil
	}
	reason, err := w.send(ctx, table, len(rows), func(ctx context.Context) error { return insert(ctx, rows) })
	if err != nil || reason == "" {
		return err
	}
	if len(rows) == 1 {
		w.refused.WithLabelValues(table).Inc()
		refused(rows[0], reason)
		return nil
	}
	half := len(rows) / 2
	if err := bisect(ctx, w, table, rows[:half], insert, refused); err != nil {
		return err
	}
	return bisect(ctx, w, table, rows[half:], insert, refused)
}

// send runs one INSERT of n rows into table until ClickHouse accepts it
// (""), refuses it for what is in its rows (ClickHouse's reason), or ctx
// ends (ctx's error). While ClickHouse cannot take it, it sends it again
// after a pause that doubles from 100 ms up to Config.MaxBackoff.
func (w *Writer) send(ctx context.Context, table string, n int, insert func(context.Context) error) (string, error) {
	backoff := firstBackoff
	for attempt := 1; ; attempt++ {
		start := time.Now()
		err := insert(ctx)
		if err == nil {
			w.seconds.Observe(time.Since(start).Seconds())
			w.inserts.WithLabelValues(table, "ok").Inc()
			if attempt > 1 {
				w.log.Info("clickhouse accepts inserts again", "attempts", attempt, "table", table, "rows", n)
			}
			return "", nil
		}
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		if reason := w.st.Refused(err); reason != "" {
			w.inserts.WithLabelValues(table, "refused").Inc()
			w.log.Debug("clickhouse refused an insert for what is in it; splitting it", "table", table, "rows", n, "reason", reason)
			return reason, nil
		}
		w.inserts.WithLabelValues(table, "unavailable").Inc()
		w.batches.WithLabelValues("error").Inc()
		lvl := slog.LevelWarn
		if attempt == 1 {
			lvl = slog.LevelError
		}
		w.log.Log(ctx, lvl, "cannot insert spool batch; retrying", "attempt", attempt, "table", table, "rows", n,
			"pending_records", w.sp.Stats().Pending, "err", err)
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return "", ctx.Err()
		case <-t.C:
		}
		backoff = min(2*backoff, w.cfg.MaxBackoff)
	}
}

// ByMonths returns events in groups that each span at most limit months of
// event time (UTC), oldest months first; events itself, as the one group,
// when it spans no more (the usual case, which costs one pass and no
// copy). Each group is one INSERT: the writer's, and that of `acdstat
// ingest`, which inserts without the spool (limit DefaultMaxMonths).
func ByMonths(events []cdr.Event, limit int) [][]cdr.Event {
	count := map[int]int{}
	for i := range events {
		count[month(events[i].Time)]++
	}
	if len(count) <= limit {
		return [][]cdr.Event{events}
	}
	months := slices.Sorted(maps.Keys(count))
	groupOf := make(map[int]int, len(months))
	groups := make([][]cdr.Event, (len(months)+limit-1)/limit)
	sizes := make([]int, len(groups))
	for i, m := range months {
		groupOf[m] = i / limit
		sizes[i/limit] += count[m]
	}
	for g := range groups {
		groups[g] = make([]cdr.Event, 0, sizes[g])
	}
	for _, e := range events {
		g := groupOf[month(e.Time)]
		groups[g] = append(groups[g], e)
	}
	return groups
}

// month numbers the month of t in UTC.
func month(t time.Time) int {
	y, m, _ := t.UTC().Date()
	return y*12 + int(m) - 1
}

// eventReject is the reject of an event that ClickHouse refused with
// reason, received at at: its line is the event in the form of a queue_log
// line (eventLine), which every source's events have.
func eventReject(e *cdr.Event, reason string, at time.Time) cdr.Reject {
	return cdr.Reject{
		Switch: e.Switch, Source: cdr.SourceWriter, Line: e.Line,
		Reason:     fmt.Sprintf("clickhouse refused this %s event: %s", e.Source, reason),
		Raw:        eventLine(e),
		ReceivedAt: at,
	}
}

// eventLine is e as a queue_log line: Unix time (with .micros where e has
// them)|call id|queue|agent|verb|data1|…|data5, without trailing empty
// data fields.
func eventLine(e *cdr.Event) string {
	t := strconv.FormatInt(e.Time.Unix(), 10)
	if e.Micros > 0 {
		t += fmt.Sprintf(".%06d", e.Micros)
	}
	fields := append([]string{t, e.CallID, e.Queue, e.Agent, e.Verb}, e.Data[:]...)
	n := len(fields)
	for n > 5 && fields[n-1] == "" {
		n--
	}
	return strings.Join(fields[:n], "|")
}

// clip shortens a line quoted in a log.
func clip(s string) string {
	if len(s) > 200 {
		return strings.ToValidUTF8(s[:200], "") + "…"
	}
	return s
}
