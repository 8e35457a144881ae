package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/acdstat/acdstat/cdr"
)

// TestInsertRefusedForWhatIsInIt provokes a refusal that 18.16 makes for
// the content of one row: an operator's view on events reads the caller
// number (data2 of ENTERQUEUE) as a number, and a call from "anonymous"
// makes ClickHouse refuse the INSERT (code 6). Refused gives ClickHouse's
// reason; without that row the same view takes the rest.
func TestInsertRefusedForWhatIsInIt(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	for _, q := range []string{
		"CREATE TABLE caller_numbers (call_id String, number UInt64) ENGINE = MergeTree ORDER BY call_id",
		"CREATE MATERIALIZED VIEW caller_numbers_mv TO caller_numbers AS SELECT call_id, toUInt64(data2) AS number FROM events WHERE verb = 'ENTERQUEUE'",
	} {
		if err := s.conn.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	at := time.Date(2025, 11, 3, 9, 0, 0, 0, time.UTC)
	enter := func(callID, caller string) cdr.Event {
		e := event("pbx1", callID, "ENTERQUEUE", at)
		e.Data = [5]string{"", caller, "1"}
		e.ID = cdr.EventID(&e)
		return e
	}
	good := []cdr.Event{enter("c1", "4512345678"), enter("c2", "4587654321")}
	err := s.InsertEvents(ctx, append(good, enter("c3", "anonymous")))
	if err == nil {
		t.Fatal("InsertEvents with a caller the view cannot read: no error; want ClickHouse's refusal")
	}
	reason := s.Refused(err)
	if !strings.Contains(reason, "anonymous") || !errors.Is(err, ErrRefused) {
		t.Fatalf("Refused(%v) = %q; want ClickHouse's reason, which names the value, and ErrRefused", err, reason)
	}
	t.Logf("refused: %s", reason)
	if err := s.InsertEvents(ctx, good); err != nil {
		t.Fatalf("InsertEvents without the refused row: %v", err)
	}
	var n uint64
	if err := s.conn.QueryRow(ctx, "SELECT count() FROM caller_numbers WHERE call_id IN ('c1', 'c2')").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Errorf("the view holds no row of the good calls")
	}
}

// TestInsertErrorsOfAnUnavailableServerAreNoRefusals: a server that does
// not answer, a closed pool and an insert cut by its deadline are "not
// now": the rows are to be sent again.
func TestInsertErrorsOfAnUnavailableServerAreNoRefusals(t *testing.T) {
	ctx := context.Background()
	evs := []cdr.Event{event("pbx1", "c1", "ENTERQUEUE", time.Date(2025, 11, 3, 9, 0, 0, 0, time.UTC))}
	away, err := New(testConfig("127.0.0.1:1", "acdstat"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer away.Close()
	closed := newStore(t)
	closed.Close()
	cut, cancel := context.WithTimeout(ctx, time.Nanosecond)
	defer cancel()
	<-cut.Done()
	for name, f := range map[string]func() error{
		"server away":      func() error { return away.InsertEvents(ctx, evs) },
		"closed pool":      func() error { return closed.InsertEvents(ctx, evs) },
		"deadline passed":  func() error { return newStore(t).InsertEvents(cut, evs) },
		"rejects, away":    func() error { return away.InsertRejects(ctx, "", []cdr.Reject{{Switch: "pbx1", Raw: "x"}}) },
		"server away, ctx": func() error { return away.InsertEvents(cut, evs) },
	} {
		err := f()
		if err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		if r := away.Refused(err); r != "" || errors.Is(err, ErrRefused) {
			t.Errorf("%s: Refused(%v) = %q; want \"\" (send again)", name, err, r)
		}
	}
}

// TestInsertErrorClassification covers the server codes 18.16 cannot be
// made to send here: the cluster's (242 read-only while ZooKeeper is away,
// 319 quorum status unknown), the pressure signals, and current
// releases' partition limit, which shares code 252 with "too many parts".
func TestInsertErrorClassification(t *testing.T) {
	var s Store
	f := func(code int32, msg string, refused bool) {
		t.Helper()
		ex := &clickhouse.Exception{Code: code, Name: "DB::Exception", Message: msg}
		err := insertError("events", ex)
		reason := s.Refused(err)
		if refused != (reason != "") || refused != errors.Is(err, ErrRefused) {
			t.Errorf("code %d %q: Refused = %q, errors.Is(ErrRefused) = %v; want refused %v", code, msg, reason, errors.Is(err, ErrRefused), refused)
		}
		if refused && !strings.Contains(reason, msg) {
			t.Errorf("code %d: reason %q does not hold ClickHouse's message %q", code, reason, msg)
		}
		if !errors.Is(err, ex) && !errors.As(err, new(*clickhouse.Exception)) {
			t.Errorf("code %d: the exception is lost: %v", code, err)
		}
	}
	// Not now: send the same rows again.
	f(242, "Table is in readonly mode", false)
	f(319, "Unknown status, client must retry. Reason: Timeout while waiting for quorum", false)
	f(252, "Too many parts (300). Merges are processing significantly slower than inserts.", false)
	f(252, "Too many parts (100000) in all partitions in total in table 'db.events'", false)
	f(159, "Timeout exceeded: elapsed 5.0 seconds, maximum: 5", false)
	f(202, "Too many simultaneous queries. Maximum: 100", false)
	f(241, "Memory limit (total) exceeded: would use 9.32 GiB", false)
	f(243, "Cannot reserve 1.00 MiB, not enough space", false)
	f(225, "Cannot use ZooKeeper table because ZooKeeper is not configured", false)
	f(999, "Coordination error: Connection loss", false)
	f(285, "Number of alive replicas (1) is less than requested quorum (2).", false)
	f(394, "Query was cancelled", false)
	// The schema or the login, not a row: every batch would be refused
	// alike, and a person mends it (migrate, grant); until then, retry.
	f(60, "Table db.events doesn't exist.", false)
	f(16, "No such column time_us in table db.events", false)
	f(53, "Type mismatch for column time: expected DateTime, got UInt32", false)
	f(497, "default: Not enough privileges.", false)
	// A code no list names: never turn events into rejects on a guess.
	f(1002, "Unknown exception", false)
	// Refused for what is in the rows.
	f(252, "Too many partitions for single INSERT block (more than 100). The limit is controlled by 'max_partitions_per_insert_block' setting.", true)
	f(6, "Cannot parse string 'anonymous' as UInt64: syntax error at begin of string.", true)
	f(72, "Cannot parse number", true)
	f(41, "Cannot parse datetime 2025-13-01", true)
	f(69, "Argument out of bound", true)
	f(321, "Value 300 is out of range of UInt8", true)
	f(395, "Value passed to 'throwIf' function is non zero", true)
	f(469, "Constraint `caller` for table db.events is violated at row 2", true)
	f(131, "Too large string size.", true)

	if r := s.Refused(fmt.Errorf("cannot insert into events: %w", errors.New("read: connection reset by peer"))); r != "" {
		t.Errorf("a cut connection: Refused = %q; want \"\"", r)
	}
	if r := s.Refused(nil); r != "" {
		t.Errorf("Refused(nil) = %q; want \"\"", r)
	}
}
