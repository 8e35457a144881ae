package drain

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/acdstat/acdstat/cdr"
)

// The writer and a ClickHouse that refuses rows for what is in them (issue
// 12: 9): the refused rows are found by halving, the rest lands, the
// refused events become rejects with ClickHouse's reason, and the spool
// moves on.

// TestRefusedEventsBecomeRejectsAndTheSpoolMovesOn: ClickHouse refuses
// three of 1,000 events. The writer finds exactly those three in a bounded
// number of INSERTs, stores the other 997 once each, stores the three as
// rejects (source writer, the event as its line, ClickHouse's reason, the
// time the spool took them), acknowledges the spool and inserts what comes
// after.
func TestRefusedEventsBecomeRejectsAndTheSpoolMovesOn(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sp := openSpool(t, t.TempDir(), testSpool)
		defer sp.Close()
		st := newFakeStore()
		st.sp = sp
		var want sent
		appended := map[string]time.Time{} // by call id
		for range 4 {
			want.add(t, sp, 250, 1)
			for _, e := range want.events[len(want.events)-250:] {
				appended[e.CallID] = time.Now()
			}
			time.Sleep(time.Hour)
		}
		refused := []cdr.Event{want.events[17], want.events[500], want.events[501]}
		st.refuse = map[string]string{}
		for _, e := range refused {
			st.refuse[e.CallID] = fmt.Sprintf("code 6: Cannot parse string '%s' as UInt64", e.CallID)
		}
		reg := prometheus.NewRegistry()
		w := newWriter(t, Config{}, reg, sp, st)
		stop := serve(t, w)
		time.Sleep(time.Minute)
		synctest.Wait()
		// The spool moves on: what comes next is inserted as usual.
		want.add(t, sp, 5, 0)
		time.Sleep(time.Minute)
		synctest.Wait()
		stop()

		if p := sp.Stats().Pending; p != 0 {
			t.Errorf("%d records pending; want 0: a refused event must not hold the spool", p)
		}
		for _, e := range want.events {
			n := st.events[e.ID]
			if _, bad := st.refuse[e.CallID]; bad {
				if n != 0 {
					t.Errorf("refused event %s stored %d times", e.CallID, n)
				}
				continue
			}
			if n != 1 {
				t.Errorf("event %s stored %d times; want once", e.CallID, n)
			}
		}
		for _, r := range want.rejects {
			if got := st.rejects[r.Raw]; len(got) != 1 {
				t.Errorf("spool reject %q stored %d times; want once", r.Raw, len(got))
			}
		}
		for _, e := range refused {
			raw := fmt.Sprintf("%d|%s|support|NONE|ENTERQUEUE", e.Time.Unix(), e.CallID)
			got := st.rejects[raw]
			if len(got) != 1 {
				t.Errorf("refused event %s: %d rejects with line %q; want 1 (rejects: %v)", e.CallID, len(got), raw, keys(st.rejects))
				continue
			}
			r := got[0]
			if r.Source != cdr.SourceWriter || r.Switch != e.Switch || r.Line != e.Line ||
				!strings.Contains(r.Reason, st.refuse[e.CallID]) || !strings.Contains(r.Reason, e.Source) {
				t.Errorf("reject of %s: %+v; want source %q, switch %q, line %d, a reason naming %s and holding %q",
					e.CallID, r, cdr.SourceWriter, e.Switch, e.Line, e.Source, st.refuse[e.CallID])
			}
			if !r.ReceivedAt.Equal(appended[e.CallID]) {
				t.Errorf("reject of %s received at %v; want %v, when the spool took the event", e.CallID, r.ReceivedAt, appended[e.CallID])
			}
		}
		if n := len(st.rejects); n != len(want.rejects)+len(refused) {
			t.Errorf("%d distinct rejects; want %d", n, len(want.rejects)+len(refused))
		}
		// Halving: each refused event costs at most two INSERTs per level.
		inserts := 0
		for _, c := range st.snapshot() {
			if c.method == "events" {
				inserts++
			}
		}
		bound := 2 + 2*len(refused)*int(math.Ceil(math.Log2(1000)))
		t.Logf("%d INSERTs of events found %d refused of 1,000 (bound %d)", inserts, len(refused), bound)
		if inserts > bound {
			t.Errorf("%d INSERTs of events; want at most %d (O(k log N))", inserts, bound)
		}
		if got := testutil.ToFloat64(w.refused.WithLabelValues("events")); got != 3 {
			t.Errorf("acdstat_writer_refused_rows_total{table=events} %v; want 3", got)
		}
		if got := testutil.ToFloat64(w.inserts.WithLabelValues("events", "refused")); got == 0 {
			t.Errorf("acdstat_writer_inserts_total{table=events,result=refused} %v; want some", got)
		}
	})
}

// TestRefusedRejectIsDroppedAndCounted: a reject ClickHouse refuses (there
// is nowhere else to put it) is logged and counted; the other rejects and
// the events land, and the spool moves on.
func TestRefusedRejectIsDroppedAndCounted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sp := openSpool(t, t.TempDir(), testSpool)
		defer sp.Close()
		st := newFakeStore()
		st.sp = sp
		var want sent
		want.add(t, sp, 10, 5)
		bad := want.rejects[2]
		st.refuse = map[string]string{bad.Raw: "code 131: Too large string size"}
		w := newWriter(t, Config{}, prometheus.NewRegistry(), sp, st)
		stop := serve(t, w)
		time.Sleep(time.Minute)
		synctest.Wait()
		stop()

		want.rejects = slices.Delete(want.rejects, 2, 3)
		st.stored(t, &want)
		if got := st.rejects[bad.Raw]; len(got) != 0 {
			t.Errorf("refused reject stored: %+v", got)
		}
		if got := testutil.ToFloat64(w.refused.WithLabelValues("rejects")); got != 1 {
			t.Errorf("acdstat_writer_refused_rows_total{table=rejects} %v; want 1", got)
		}
		if p := sp.Stats().Pending; p != 0 {
			t.Errorf("%d records pending; want 0", p)
		}
	})
}

// TestBatchOfManyMonthsIsSplitBeforeSending: one spool record of 120
// events, one in each month of ten years (a backfill), reaches a
// ClickHouse that refuses an INSERT touching more than 100 partitions (as
// current releases do by default). The writer sends it as INSERTs of at
// most 50 months each, none refused.
func TestBatchOfManyMonthsIsSplitBeforeSending(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sp := openSpool(t, t.TempDir(), testSpool)
		defer sp.Close()
		st := newFakeStore()
		st.sp, st.maxMonths = sp, 100
		var evs []cdr.Event
		for m := range 120 {
			// Newest first, as nothing orders what a sender sends.
			at := time.Date(2024, time.December-time.Month(m), 10, 12, 0, 0, 0, time.UTC)
			e := cdr.Event{Switch: "pbx1", Source: cdr.SourceQueueLog, Time: at, CallID: fmt.Sprintf("m%d", m),
				Queue: "support", Agent: "NONE", Verb: "ENTERQUEUE", Line: m + 1}
			e.ID = cdr.EventID(&e)
			evs = append(evs, e)
		}
		if err := sp.Append(context.Background(), [][]byte{cdr.MarshalSpoolRecord(evs, nil)}); err != nil {
			t.Fatal(err)
		}
		w := newWriter(t, Config{}, prometheus.NewRegistry(), sp, st)
		stop := serve(t, w)
		time.Sleep(time.Minute)
		synctest.Wait()
		stop()

		if !slices.Equal(st.months, []int{50, 50, 20}) {
			t.Errorf("months per INSERT %v; want [50 50 20]", st.months)
		}
		for _, c := range st.snapshot() {
			if c.err != nil {
				t.Errorf("an INSERT of %d rows failed: %v", c.rows, c.err)
			}
		}
		for _, e := range evs {
			if n := st.events[e.ID]; n != 1 {
				t.Errorf("event of %s stored %d times; want once", e.Time.Format("2006-01"), n)
			}
		}
		if got := testutil.ToFloat64(w.inserts.WithLabelValues("events", "ok")); got != 3 {
			t.Errorf("acdstat_writer_inserts_total{table=events,result=ok} %v; want 3", got)
		}
		if p := sp.Stats().Pending; p != 0 {
			t.Errorf("%d records pending; want 0", p)
		}
	})
}

// TestClickHouseAwayDuringASplitIsWaitedFor: ClickHouse refuses a batch
// for one event and then goes away while the writer splits it; the writer
// retries the half it was sending (it is not refused: nothing else becomes
// a reject) and finishes the split once ClickHouse is back.
func TestClickHouseAwayDuringASplitIsWaitedFor(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sp := openSpool(t, t.TempDir(), testSpool)
		defer sp.Close()
		st := newFakeStore()
		st.sp = sp
		var want sent
		want.add(t, sp, 8, 0)
		bad := want.events[6]
		st.refuse = map[string]string{bad.CallID: "code 395: Value passed to 'throwIf' function is non zero"}
		st.downAt = map[int]bool{2: true, 3: true}
		w := newWriter(t, Config{}, prometheus.NewRegistry(), sp, st)
		stop := serve(t, w)
		time.Sleep(time.Minute)
		synctest.Wait()
		stop()

		var rows []int
		for _, c := range st.snapshot() {
			if c.method == "events" {
				rows = append(rows, c.rows)
			}
		}
		// 8 refused; 4 away, 4 away, 4 in; 4 refused; 2 in; 2 refused; 1 in; 1 refused.
		if want := []int{8, 4, 4, 4, 4, 2, 2, 1, 1}; !slices.Equal(rows, want) {
			t.Errorf("rows per INSERT of events %v; want %v", rows, want)
		}
		if n := len(st.rejects); n != 1 || len(st.rejects[fmt.Sprintf("%d|%s|support|NONE|ENTERQUEUE", bad.Time.Unix(), bad.CallID)]) != 1 {
			t.Errorf("rejects %v; want the refused event's only", keys(st.rejects))
		}
		if n := len(st.events); n != 7 {
			t.Errorf("%d events stored; want 7", n)
		}
		if got := testutil.ToFloat64(w.batches.WithLabelValues("error")); got != 2 {
			t.Errorf("acdstat_writer_batches_total{result=error} %v; want 2", got)
		}
	})
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
