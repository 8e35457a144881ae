package store

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/ext"

	"github.com/acdstat/acdstat/cdr"
)

// eventColumns are the columns InsertEvents writes, in append order;
// ingested_at is left to its DEFAULT now(), the server's clock.
const insertEventsSQL = "INSERT INTO events (switch, source, id, time, time_us, call_id, queue, agent, verb, data1, data2, data3, data4, data5)"

// InsertEvents writes events in one INSERT, appending whole columns (which
// reaches clickhouse-client's speed, where row appends do not:
// CLICKHOUSE.md). The caller chunks: tens of thousands of events per call,
// since every INSERT costs the server 20-25 ms. An event already stored is
// stored again and deduplicated by its id on read and in merges, so a batch
// whose fate is unknown may be sent again. While KeepAgentEvents is on, the
// agent lines of evs go to agent_events too. Probes and months' figures
// (cdr.IsMeasurement) go to tables of their own (systems.go), in an INSERT
// each, and contacts and cases to theirs (cases.go). InsertEvents does not
// retain evs.
func (s *Store) InsertEvents(ctx context.Context, evs []cdr.Event) error {
	evs, measurements := splitMeasurements(evs)
	if err := s.insertMeasurements(ctx, measurements); err != nil {
		return err
	}
	evs, cc := splitContactsCases(evs)
	if len(cc) > 0 {
		if err := s.insertContactsCases(ctx, cc); err != nil {
			return err
		}
	}
	if len(evs) == 0 {
		return nil
	}
	n := len(evs)
	var (
		sw, src, callID, queue, agent, verb = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		data                                [5][]string
		ids                                 = make([]uint64, n)
		times                               = make([]time.Time, n)
		micros                              = make([]uint32, n)
	)
	for i := range data {
		data[i] = make([]string, n)
	}
	for i := range evs {
		e := &evs[i]
		sw[i], src[i], ids[i], times[i], micros[i] = e.Switch, e.Source, e.ID, e.Time, e.Micros
		callID[i], queue[i], agent[i], verb[i] = e.CallID, e.Queue, e.Agent, e.Verb
		for j := range data {
			data[j][i] = e.Data[j]
		}
	}
	cols := []any{sw, src, ids, times, micros, callID, queue, agent, verb, data[0], data[1], data[2], data[3], data[4]}
	if err := s.sendColumns(ctx, "events", insertEventsSQL, cols); err != nil {
		return err
	}
	// The agent lines again, by agent, for the agent job: a second INSERT
	// whose failure fails the call, so the caller sends both again (a
	// resent line is one fact in both tables).
	if s.agentEvents.Load() {
		return s.insertAgentEvents(ctx, evs)
	}
	return nil
}

// sendColumns runs one batch INSERT whose columns are given whole, in the
// order of the statement's column list (again while a quorum insert of
// another writer holds the table: retryQuorumBusy). Its error holds
// ErrRefused where ClickHouse refused the rows for what is in them
// (insertError).
func (s *Store) sendColumns(ctx context.Context, table, query string, cols []any) error {
	return s.retryQuorumBusy(ctx, func() error { return s.sendColumnsOnce(ctx, table, query, cols) })
}

func (s *Store) sendColumnsOnce(ctx context.Context, table, query string, cols []any) error {
	if s.noParallelQuorum.Load() { // cluster mode on a current release: clusterSettings
		ctx = clickhouse.Context(ctx, clickhouse.WithSettings(clickhouse.Settings{"insert_quorum_parallel": 0}))
	}
	b, err := s.conn.PrepareBatch(ctx, query)
	if err != nil {
		return insertError(table, err)
	}
	for i, c := range cols {
		if err := b.Column(i).Append(c); err != nil {
			b.Abort()
			return fmt.Errorf("cannot insert into %s: column %d: %w", table, i, err)
		}
	}
	if err := b.Send(); err != nil {
		return insertError(table, err)
	}
	return nil
}

// ServerNow returns the ClickHouse server's clock, in UTC, whole seconds: the
// clock that stamps ingested_at, so watermarks compare like with like.
func (s *Store) ServerNow(ctx context.Context) (time.Time, error) {
	var t time.Time
	if err := s.conn.QueryRow(ctx, "SELECT now()").Scan(&t); err != nil {
		return time.Time{}, fmt.Errorf("cannot read server time: %w", err)
	}
	return t.UTC(), nil
}

// CallRef names a call that got events, with the span of its events' times.
type CallRef = cdr.CallRef

// TouchedCalls returns each (switch, call id) that got events stored (by
// server insert time, ingested_at) in [from, to), with the earliest and latest
// event time among those events. A call appears once, in no set order. The
// cost follows the events stored in the range, not the table's size.
func (s *Store) TouchedCalls(ctx context.Context, from, to time.Time) ([]CallRef, error) {
	rows, err := s.conn.Query(ctx, `SELECT switch, call_id, min(time), max(time)
FROM event_touches
WHERE ingested_at >= ? AND ingested_at < ?
GROUP BY switch, call_id`, from.UTC(), to.UTC())
	if err != nil {
		return nil, fmt.Errorf("cannot read touched calls: %w", err)
	}
	defer rows.Close()
	var refs []CallRef
	for rows.Next() {
		var r CallRef
		if err := rows.Scan(&r.Switch, &r.CallID, &r.MinTime, &r.MaxTime); err != nil {
			return nil, fmt.Errorf("cannot read touched calls: %w", err)
		}
		r.MinTime, r.MaxTime = r.MinTime.UTC(), r.MaxTime.UTC()
		refs = append(refs, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("cannot read touched calls: %w", err)
	}
	return refs, nil
}

// TouchedCallsAfter is TouchedCalls over [after, to), with two counts of
// touch rows: before, of the rows in [from, after), which a run skips
// because an earlier run read them, and tail, of the rows in [tail, to).
// All come from one query, so from one snapshot of the table's parts: a row
// counted in tail was visible to the read that listed refs. The build job
// uses the counts to tell whether an insert landed below its watermark
// after its last read (aggregate.Builder.Run). The rows before after are
// counted, not grouped by call, so a read that skips them costs little
// more than one that starts at after.
func (s *Store) TouchedCallsAfter(ctx context.Context, from, after, to, tail time.Time) (refs []CallRef, before, tailRows uint64, err error) {
	// The rows before after fold into one group (fresh = 0) whose call and
	// times mean nothing; only its counts are used.
	rows, err := s.conn.Query(ctx, `SELECT ingested_at >= ? AS fresh, if(fresh, switch, '') AS sw, if(fresh, call_id, '') AS id,
    min(time), max(time), count(), countIf(ingested_at >= ?)
FROM event_touches
WHERE ingested_at >= ? AND ingested_at < ?
GROUP BY fresh, sw, id`, after.UTC(), tail.UTC(), from.UTC(), to.UTC())
	if err != nil {
		return nil, 0, 0, fmt.Errorf("cannot read touched calls: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			fresh uint8
			r     CallRef
			n, nt uint64
		)
		if err := rows.Scan(&fresh, &r.Switch, &r.CallID, &r.MinTime, &r.MaxTime, &n, &nt); err != nil {
			return nil, 0, 0, fmt.Errorf("cannot read touched calls: %w", err)
		}
		tailRows += nt
		if fresh == 0 {
			before += n
			continue
		}
		r.MinTime, r.MaxTime = r.MinTime.UTC(), r.MaxTime.UTC()
		refs = append(refs, r)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, 0, fmt.Errorf("cannot read touched calls: %w", err)
	}
	return refs, before, tailRows, nil
}

// OpenTouchedCalls is TouchedCalls over [from, to) limited to the calls a
// build with no new event may change (aggregate.Builder.Run), by their
// live stored stays (the current version of each, tombstones left out):
//   - a stay left open by the build that wrote it (an empty end_verb:
//     METRICS.md's waiting stay, or an answered one with no end yet), which
//     the stale timeout closes;
//   - stays of different versions. A build writes every stay of a call
//     under one version (the call's: aggregate.Plan), so two versions mean
//     a slower run's write landed after a run over more events had read the
//     call and could not tombstone it (docs/RELIABILITY.md, several nodes);
//     a build of the call now does.
//
// A call whose live stays are all closed and of one version is not listed:
// building it again from the same events writes nothing. The filter runs
// in the server: the stays are read by the calls' keys (the primary key of
// queue_calls), so the cost follows the touches of the range. GLOBAL IN,
// which on one server is IN, lets the same query run over the Distributed
// tables of cluster mode, where a plain IN of one over another is refused
// (distributed_product_mode, a string setting, cannot be sent to 18.16:
// CLICKHOUSE.md).
func (s *Store) OpenTouchedCalls(ctx context.Context, from, to time.Time) ([]CallRef, error) {
	rows, err := s.conn.Query(ctx, `SELECT switch, call_id, min(time), max(time)
FROM event_touches
WHERE ingested_at >= ? AND ingested_at < ? AND (switch, call_id) GLOBAL IN (
    SELECT switch, call_id
    FROM (
        SELECT switch, call_id, max(version) AS v, argMax(deleted, version) AS d, argMax(end_verb, version) AS ev
        FROM queue_calls
        WHERE (switch, call_id) GLOBAL IN (SELECT switch, call_id FROM event_touches WHERE ingested_at >= ? AND ingested_at < ?)
        GROUP BY switch, call_id, queue, seq
        HAVING d = 0)
    GROUP BY switch, call_id
    HAVING countIf(ev = '') > 0 OR min(v) != max(v))
GROUP BY switch, call_id`, from.UTC(), to.UTC(), from.UTC(), to.UTC())
	if err != nil {
		return nil, fmt.Errorf("cannot read open touched calls: %w", err)
	}
	defer rows.Close()
	var refs []CallRef
	for rows.Next() {
		var r CallRef
		if err := rows.Scan(&r.Switch, &r.CallID, &r.MinTime, &r.MaxTime); err != nil {
			return nil, fmt.Errorf("cannot read open touched calls: %w", err)
		}
		r.MinTime, r.MaxTime = r.MinTime.UTC(), r.MaxTime.UTC()
		refs = append(refs, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("cannot read open touched calls: %w", err)
	}
	return refs, nil
}

// Limits of one list of calls. The calls of a query are sent as an
// external table (refsContext), so no longer as SQL; maxQuerySize stays for
// the other IN lists of the package (an integer setting, which 18.16
// accepts).
const (
	maxRefsPerQuery     = 5000
	maxRefBytesPerQuery = 1 << 20
	maxQuerySize        = 4 << 20
)

// chunkRefs splits refs into groups for one query each, by count and bytes.
// refs is sorted by MinTime first, so each group's time span stays narrow.
func chunkRefs(refs []CallRef) [][]CallRef {
	refs = append([]CallRef(nil), refs...)
	sort.Slice(refs, func(i, j int) bool { return refs[i].MinTime.Before(refs[j].MinTime) })
	var out [][]CallRef
	start, bytes := 0, 0
	for i, r := range refs {
		size := len(r.Switch) + len(r.CallID) + 8
		if i > start && (i-start >= maxRefsPerQuery || bytes+size > maxRefBytesPerQuery) {
			out = append(out, refs[start:i])
			start, bytes = i, 0
		}
		bytes += size
	}
	if start < len(refs) {
		out = append(out, refs[start:])
	}
	return out
}

// refsTable names the external table of refsContext; a query reads the calls
// as `(switch, call_id) IN (SELECT switch, call_id FROM call_refs)`.
const refsTable = "call_refs"

// refsContext gives ctx the calls of refs as the external table call_refs
// of the next query. The server takes them as data, where a bound list of
// tuples was SQL to parse: measured on 18.16.1 over a week of a large desk,
// the same read of 5,000 calls' events took 0.24 s with the literal list
// and 0.011 s with the calls in a table. The primary key (switch, call_id,
// …) is used for either. In cluster mode the server sends the table on to
// the shards with the query.
func refsContext(ctx context.Context, refs []CallRef) (context.Context, error) {
	t, err := ext.NewTable(refsTable, ext.Column("switch", "String"), ext.Column("call_id", "String"))
	if err != nil {
		return nil, fmt.Errorf("cannot make the table of calls: %w", err)
	}
	for _, r := range refs {
		if err := t.Append(r.Switch, r.CallID); err != nil {
			return nil, fmt.Errorf("cannot make the table of calls: %w", err)
		}
	}
	return clickhouse.Context(ctx, clickhouse.WithExternalTable(t)), nil
}

type callKey struct{ sw, callID string }

// CallEvents returns every event of the given calls whose time lies in
// [ref.MinTime − window, ref.MaxTime + window] of its call, with IngestedAt
// set (the first time the event was stored). Each event comes back once: the
// query groups by (switch, call id, id), so a resent event is not repeated.
// Events are ordered by time, micros and id. Many refs are split into several
// queries; refs is not retained.
func (s *Store) CallEvents(ctx context.Context, refs []CallRef, window time.Duration) ([]cdr.Event, error) {
	return s.callEvents(ctx, refs, window, window, "")
}

// CallDispositions returns the dispositions (verb DISPOSITION) of the given
// calls whose time lies in (ref.MaxTime, ref.MaxTime + after], as
// CallEvents returns events: the dispositions given after a call, beyond
// the build window.
func (s *Store) CallDispositions(ctx context.Context, refs []CallRef, after time.Duration) ([]cdr.Event, error) {
	evs, err := s.callEvents(ctx, refs, 0, after, cdr.VerbDisposition)
	if err != nil {
		return nil, err
	}
	// The span's own end is CallEvents'; only what lies after it is new.
	want := spans(refs)
	out := evs[:0]
	for _, e := range evs {
		if e.Time.After(want[callKey{e.Switch, e.CallID}].MaxTime) {
			out = append(out, e)
		}
	}
	return out, nil
}

// spans gives each call of refs its widest span.
func spans(refs []CallRef) map[callKey]CallRef {
	want := make(map[callKey]CallRef, len(refs))
	for _, r := range refs {
		k := callKey{r.Switch, r.CallID}
		if old, ok := want[k]; ok { // the same call twice: widen
			if old.MinTime.Before(r.MinTime) {
				r.MinTime = old.MinTime
			}
			if old.MaxTime.After(r.MaxTime) {
				r.MaxTime = old.MaxTime
			}
		}
		want[k] = r
	}
	return want
}

// callEvents returns the events of the calls whose time lies in
// [ref.MinTime − before, ref.MaxTime + after], of one verb when verb is not
// empty (CallEvents).
func (s *Store) callEvents(ctx context.Context, refs []CallRef, before, after time.Duration, verb string) ([]cdr.Event, error) {
	want := spans(refs)
	var out []cdr.Event
	for _, chunk := range chunkRefs(refs) {
		qctx, err := refsContext(ctx, chunk)
		if err != nil {
			return nil, err
		}
		lo, hi := chunk[0].MinTime, chunk[0].MaxTime
		for _, r := range chunk {
			if r.MinTime.Before(lo) {
				lo = r.MinTime
			}
			if r.MaxTime.After(hi) {
				hi = r.MaxTime
			}
		}
		// The chunk's time span prunes partitions; each call's own span is
		// applied below.
		rows, err := s.conn.Query(qctx, `SELECT switch, call_id, id,
    any(source), any(time), any(time_us), any(queue), any(agent), any(verb),
    any(data1), any(data2), any(data3), any(data4), any(data5), min(ingested_at)
FROM events
WHERE time >= ? AND time <= ? AND (switch, call_id) IN (SELECT switch, call_id FROM `+refsTable+`) AND (? = '' OR verb = ?)
GROUP BY switch, call_id, id`, lo.Add(-before).UTC(), hi.Add(after).UTC(), verb, verb)
		if err != nil {
			return nil, fmt.Errorf("cannot read call events: %w", err)
		}
		for rows.Next() {
			var e cdr.Event
			if err := rows.Scan(&e.Switch, &e.CallID, &e.ID, &e.Source, &e.Time, &e.Micros, &e.Queue, &e.Agent, &e.Verb,
				&e.Data[0], &e.Data[1], &e.Data[2], &e.Data[3], &e.Data[4], &e.IngestedAt); err != nil {
				rows.Close()
				return nil, fmt.Errorf("cannot read call events: %w", err)
			}
			e.Time, e.IngestedAt = e.Time.UTC(), e.IngestedAt.UTC()
			r := want[callKey{e.Switch, e.CallID}]
			if e.Time.Before(r.MinTime.Add(-before)) || e.Time.After(r.MaxTime.Add(after)) {
				continue
			}
			out = append(out, e)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("cannot read call events: %w", err)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := &out[i], &out[j]
		if !a.Time.Equal(b.Time) {
			return a.Time.Before(b.Time)
		}
		if a.Micros != b.Micros {
			return a.Micros < b.Micros
		}
		return a.ID < b.ID
	})
	return out, nil
}

// CountEvents returns the number of distinct events stored (GROUP BY id in a
// subquery, so duplicates count once). It reads the whole table: for tests
// and benchmarks only.
func (s *Store) CountEvents(ctx context.Context) (int, error) {
	var n uint64
	if err := s.conn.QueryRow(ctx, "SELECT count() FROM (SELECT id FROM events GROUP BY id)").Scan(&n); err != nil {
		return 0, fmt.Errorf("cannot count events: %w", err)
	}
	return int(n), nil
}

// CallsWithEventsBetween returns each (switch, call id) with an event whose
// own time lies in [from, to), with the span of those events' times: the
// calls a rebuild of that range recomputes. It reads the events of the range
// (partitions are by event time).
func (s *Store) CallsWithEventsBetween(ctx context.Context, from, to time.Time) ([]CallRef, error) {
	rows, err := s.conn.Query(ctx, `SELECT switch, call_id, min(time), max(time)
FROM events
WHERE time >= ? AND time < ?
GROUP BY switch, call_id`, from.UTC(), to.UTC())
	if err != nil {
		return nil, fmt.Errorf("cannot list calls with events: %w", err)
	}
	defer rows.Close()
	var refs []CallRef
	for rows.Next() {
		var r CallRef
		if err := rows.Scan(&r.Switch, &r.CallID, &r.MinTime, &r.MaxTime); err != nil {
			return nil, fmt.Errorf("cannot list calls with events: %w", err)
		}
		r.MinTime, r.MaxTime = r.MinTime.UTC(), r.MaxTime.UTC()
		refs = append(refs, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("cannot list calls with events: %w", err)
	}
	return refs, nil
}
