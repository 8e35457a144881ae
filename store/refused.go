package store

import (
	"errors"
	"fmt"
	"strings"

	"github.com/ClickHouse/clickhouse-go/v2"
)

// ErrRefused is in the error of an insert that ClickHouse refused for what
// is in its rows (a value it cannot take, a partition limit), not because
// it cannot take anything now: the same rows sent again are refused again.
// The writer (package drain) splits such a batch to find the rows, stores
// the rest and turns the refused events into rejects.
var ErrRefused = errors.New("store: clickhouse refused the rows for what is in them")

// Server codes of a refusal for what is in the rows, each a value of some
// row that the table, a view on it or a constraint cannot take: sent
// again, the same rows are refused again, and without them the rest goes
// in. On 18.16 the events and rejects tables themselves refuse no value
// (Strings, and numbers the driver writes in range); a view or, on current
// releases, a CONSTRAINT added by an operator can.
var refusedCodes = map[int32]string{
	6:   "CANNOT_PARSE_TEXT: a view or default reads a value as a type it is not",
	27:  "CANNOT_PARSE_INPUT_ASSERTION_FAILED: likewise",
	38:  "CANNOT_PARSE_DATE: likewise",
	41:  "CANNOT_PARSE_DATETIME: likewise",
	69:  "ARGUMENT_OUT_OF_BOUND: a function of a view given a value out of its range",
	72:  "CANNOT_PARSE_NUMBER: a view or default reads a value as a number",
	117: "INCORRECT_DATA: a value a type cannot hold",
	131: "TOO_LARGE_STRING_SIZE: one value too long",
	153: "ILLEGAL_DIVISION: a view divides by a value that is 0",
	321: "VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE: a value out of its column's range",
	349: "CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN: a NULL where none is taken",
	376: "CANNOT_PARSE_UUID: a view reads a value as a UUID",
	395: "FUNCTION_THROW_IF_VALUE_IS_NON_ZERO: a view's throwIf check of a row",
	407: "DECIMAL_OVERFLOW: a value out of a Decimal's range",
	469: "VIOLATED_CONSTRAINT: a row breaks a table's CONSTRAINT (current releases)",
	691: "UNKNOWN_ELEMENT_OF_ENUM: a value an Enum does not list (current releases)",
}

// tooManyParts is code 252, TOO_MANY_PARTS, which current releases send
// for two different things: too many parts in a partition or in the table
// (merges are behind: pressure, send again later) and "Too many partitions
// for single INSERT block" (max_partitions_per_insert_block, 100 by
// default: the rows span too many partitions of the table, which no
// waiting mends but a smaller batch does). Only the message tells them
// apart; 18.16 has no such limit.
const (
	tooManyParts         = 252
	tooManyPartitionsMsg = "Too many partitions for single INSERT block"
)

// Everything else is "not now", and the writer sends the same rows again
// with a backoff, because turning events into rejects cannot be undone
// and a retry costs nothing but time (the spool holds the rows meanwhile,
// and acdstat_spool_oldest_age_seconds shows the wait). That is, with
// their reasons:
//   - no server answer: network errors, timeouts, a closed connection or
//     pool, a cut send; the driver's errors carry no server code;
//   - the server or cluster cannot now: 159 TIMEOUT_EXCEEDED, 202
//     TOO_MANY_SIMULTANEOUS_QUERIES, 203 NO_FREE_CONNECTION, 209
//     SOCKET_TIMEOUT, 210 NETWORK_ERROR, 236 ABORTED, 241
//     MEMORY_LIMIT_EXCEEDED, 243 NOT_ENOUGH_SPACE, 252 TOO_MANY_PARTS (too
//     many parts: merges are behind), 394 QUERY_WAS_CANCELLED, 425
//     SYSTEM_ERROR, 439 CANNOT_SCHEDULE_TASK;
//   - a cluster (CLICKHOUSE.md, cluster mode): 242 TABLE_IS_READ_ONLY
//     (ZooKeeper away), 319 UNKNOWN_STATUS_OF_INSERT (quorum timeout: the
//     rows may or may not have landed, resend), 225 NO_ZOOKEEPER, 244
//     UNEXPECTED_ZOOKEEPER_ERROR, 279 ALL_CONNECTION_TRIES_FAILED, 285
//     TOO_FEW_LIVE_REPLICAS, 286 UNSATISFIED_QUORUM_FOR_PREVIOUS_WRITE,
//     999 KEEPER_EXCEPTION;
//   - the schema or the login, which every batch would meet alike and a
//     person mends (migrate, grant): 16 NO_SUCH_COLUMN_IN_TABLE, 53
//     TYPE_MISMATCH, 60 UNKNOWN_TABLE, 81 UNKNOWN_DATABASE, 164 READONLY,
//     192-194 and 516 (login), 291 DATABASE_ACCESS_DENIED, 497
//     ACCESS_DENIED; splitting would refuse every single event;
//   - any code not listed above, for the same reason.

// insertError is the error of one INSERT into table that failed with err:
// it holds ErrRefused where ClickHouse refused the rows for what is in
// them (refusedCodes, and code 252 for too many partitions).
func insertError(table string, err error) error {
	if reason(err) != "" {
		return fmt.Errorf("cannot insert into %s: %w: %w", table, ErrRefused, err)
	}
	return fmt.Errorf("cannot insert into %s: %w", table, err)
}

// Refused returns ClickHouse's reason when err, from InsertEvents or
// InsertRejects, says ClickHouse refused the rows for what is in them
// (ErrRefused), or "" when it says ClickHouse was not able to take them
// now, so that the same rows are to be sent again. It is the writer's one
// question to the store about an error (drain.Inserter).
func (s *Store) Refused(err error) string {
	if !errors.Is(err, ErrRefused) {
		return ""
	}
	return reason(err)
}

// reason is "code N: message" of a server exception in err that refuses
// the rows, or "".
func reason(err error) string {
	var ex *clickhouse.Exception
	if !errors.As(err, &ex) {
		return ""
	}
	if _, ok := refusedCodes[ex.Code]; ok || ex.Code == tooManyParts && strings.Contains(ex.Message, tooManyPartitionsMsg) {
		return fmt.Sprintf("code %d: %s", ex.Code, ex.Message)
	}
	return ""
}
