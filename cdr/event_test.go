package cdr

import (
	"testing"
	"time"
)

// TestEventIDEmptyIsNone: the pipe file writes NONE where the table export
// of the same queue_log line has an empty agent or queue; both are one fact.
// Other sources keep an empty agent as it is.
func TestEventIDEmptyIsNone(t *testing.T) {
	at := time.Date(2023, 4, 12, 7, 0, 0, 0, time.UTC)
	file := Event{Switch: "pbx", Source: SourceQueueLog, Time: at, CallID: "1.1", Queue: "NONE", Agent: "NONE", Verb: "QUEUESTART"}
	db := file
	db.Source, db.Queue, db.Agent, db.Micros = SourceQueueLogDB, "", "", 123
	if EventID(&file) != EventID(&db) {
		t.Errorf("the file form (NONE) and the DB form (empty) of one line have different ids")
	}
	enter := Event{Switch: "pbx", Source: SourceQueueLogDB, Time: at, CallID: "1.1", Queue: "q1", Verb: "ENTERQUEUE"}
	named := enter
	named.Agent = "NONE"
	if EventID(&enter) != EventID(&named) {
		t.Errorf("ENTERQUEUE with an empty agent and with NONE have different ids")
	}
	cdr := Event{Switch: "pbx", Source: SourceCDR, Time: at, CallID: "1.1", Queue: "q1", Verb: CDRVerbCall}
	other := cdr
	other.Agent = "NONE"
	if EventID(&cdr) == EventID(&other) {
		t.Errorf("a generic CDR with no agent and one with agent NONE have the same id")
	}
}
