package cdr

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// SourceCDR is the Source of events decoded from generic CDR files (formats
// FormatCSV and FormatJSON, the schema of docs/CDR_FORMAT.md).
const SourceCDR = "cdr"

// The generic CDR formats (the --format of `acdstat ingest`).
const (
	FormatCSV  = "csv"
	FormatJSON = "json"
)

// CDRVerbCall is the verb of a generic CDR row that names a queue: one row
// is one complete stay, so it is one event:
//
//	verb       time        queue  agent  data1    data2   data3         data4   data5
//	QUEUECALL  enter_time  queue  agent  outcome  caller  entry_number  wait_s  talk_s
//
// data1 is the outcome's name, or CDRTransferred for an answered stay that
// the row says was transferred onward (the five data fields are all taken,
// and a transferred stay is an answered one, METRICS.md).
//
// A row without a queue is a plain CDR event (FSVerbCDR), kept for the IVR
// funnel: data1 entry_number, data2 caller, data3 talk_s, data4 outcome or
// hangup_reason as written, data5 empty.
const CDRVerbCall = "QUEUECALL"

// CDRTransferred is data1 of a CDRVerbCall event whose stay was answered and
// then transferred onward by the agent: the stay counts as answered and in
// transferred.
const CDRTransferred = "transferred"

// CDRFields are the field names of the generic CDR schema.
var CDRFields = []string{"call_id", "queue", "enter_time", "answer_time", "end_time", "outcome", "hangup_reason",
	"wait_s", "talk_s", "agent", "caller", "entry_number", "transferred"}

// CDRMap maps a switch's own CDR export onto the generic schema
// (config.LoadCDRMap reads it from YAML). The zero value, or nil, reads our
// own field names.
type CDRMap struct {
	// Columns maps a schema field to the column (CSV header name or JSON
	// key) that holds it; with NoHeader, to a 1-based column number.
	// Fields not named here are read from the column of their own name.
	Columns map[string]string
	// NoHeader says the CSV has no header row.
	NoHeader bool
	// TimeFormat is a Go time layout; empty accepts RFC 3339,
	// "2006-01-02 15:04:05" (local) and unix seconds.
	TimeFormat string
	// Location is the zone of local times; nil uses DecodeOptions.Location.
	Location *time.Location
	// Outcomes maps values of outcome (or hangup_reason), compared without
	// case, to outcomes. Our names (answered, abandoned, timeout, exit_key,
	// exit_other, unknown) are always understood.
	Outcomes map[string]Outcome
	// Null lists values that mean empty (e.g. NULL), compared without case.
	Null []string
	// Values translates values of a field of the contact and case schemas
	// (channel, criticality, first_contact), compared without case, to
	// ours: {"criticality": {"1 - Critical": "critical"}}.
	Values map[string]map[string]string
}

// ParseOutcome returns the outcome of a METRICS.md outcome name.
func ParseOutcome(s string) (Outcome, bool) {
	for _, o := range Outcomes {
		if strings.EqualFold(s, o.String()) {
			return o, true
		}
	}
	return 0, false
}

// cdrRow reads the fields of one record.
type cdrRow struct {
	m    *CDRMap
	get  func(col string) (string, bool)
	line int
}

func (m *CDRMap) column(field string) string {
	if c, ok := m.Columns[field]; ok {
		return c
	}
	return field
}

func (r *cdrRow) field(name string) string {
	v, _ := r.get(r.m.column(name))
	v = strings.TrimSpace(v)
	for _, n := range r.m.Null {
		if strings.EqualFold(v, n) {
			return ""
		}
	}
	return v
}

// DecodeCDRCSV decodes a generic CDR CSV file: a header row (unless
// opt.Map.NoHeader) naming the columns, then one CDR per record. Each row
// is one event (CDRVerbCall or FSVerbCDR); see docs/CDR_FORMAT.md for the
// schema and the checks. A header that lacks a column the map names, or
// call_id and enter_time, is one reject for line 1 and no events.
func DecodeCDRCSV(r io.Reader, opt DecodeOptions, fn func(Batch) error) error {
	opt = opt.withDefaults()
	m := cdrMapOf(opt.Map)
	var index map[string]int
	var headerErr bool
	if m.NoHeader {
		index = map[string]int{}
		for f, c := range m.Columns {
			n, err := strconv.Atoi(c)
			if err != nil || n < 1 {
				return fmt.Errorf("cannot use the CDR map: column of %s is %q, not a column number (the map says there is no header)", f, c)
			}
			index[c] = n - 1
		}
	}
	return csvRecords(r, &opt, fn, csvInput{what: "cdr csv", record: func(rec []string, line int, _ []byte) (Event, *DecodeError) {
		if headerErr {
			return Event{}, &DecodeError{Line: line, Reason: "not read: the header is refused"}
		}
		if index == nil {
			index = map[string]int{}
			for i, h := range rec {
				h = strings.TrimSpace(h)
				if _, dup := index[h]; !dup {
					index[h] = i
				}
			}
			for _, f := range CDRFields {
				_, ok := index[m.column(f)]
				_, named := m.Columns[f]
				if !ok && (named || f == "call_id" || f == "enter_time") {
					headerErr = true
					return Event{}, &DecodeError{Line: line, Field: f, Reason: fmt.Sprintf("header has no column %q (the header is: %s)", m.column(f), clip(strings.Join(rec, ",")))}
				}
			}
			return Event{}, nil
		}
		row := &cdrRow{m: m, line: line, get: func(col string) (string, bool) {
			i, ok := index[col]
			if !ok || i >= len(rec) {
				return "", false
			}
			return rec[i], true
		}}
		return cdrDecodeRow(row, &opt)
	}})
}

// DecodeCDRJSON decodes generic CDRs as JSON: an array of objects, or
// objects one after another (NDJSON). Keys are the schema's field names or
// those of opt.Map.Columns; values are strings, numbers or null. Record
// numbers count the objects from 1; a value that is not an object is
// rejected and decoding goes on; invalid JSON ends the input with a reject.
func DecodeCDRJSON(r io.Reader, opt DecodeOptions, fn func(Batch) error) error {
	opt = opt.withDefaults()
	m := cdrMapOf(opt.Map)
	return jsonRecords(r, &opt, fn, "CDR", func(raw json.RawMessage, rec int, q *batcher) *DecodeError {
		var obj map[string]any
		d := json.NewDecoder(bytes.NewReader(raw))
		d.UseNumber()
		if err := d.Decode(&obj); err != nil {
			return &DecodeError{Field: "json", Reason: "not a JSON CDR object: " + err.Error()}
		}
		row := &cdrRow{m: m, line: rec, get: func(col string) (string, bool) {
			v, ok := obj[col]
			switch v := v.(type) {
			case string:
				return v, ok
			case json.Number:
				return v.String(), ok
			case bool:
				return strconv.FormatBool(v), ok
			}
			return "", ok
		}}
		e, derr := cdrDecodeRow(row, &opt)
		if derr != nil {
			if derr.Raw == "" {
				b, _ := json.Marshal(obj)
				derr.Raw = string(b[:min(len(b), maxRawBytes)])
			}
			return derr
		}
		e.Line = rec
		q.event(e)
		return nil
	})
}

func cdrMapOf(m *CDRMap) *CDRMap {
	if m == nil {
		return &CDRMap{}
	}
	return m
}

// cdrDecodeRow turns one row into its event or refuses it.
func cdrDecodeRow(row *cdrRow, opt *DecodeOptions) (Event, *DecodeError) {
	bad := func(field, reason string) (Event, *DecodeError) {
		return Event{}, &DecodeError{Line: row.line, Field: field, Reason: reason}
	}
	loc := row.m.Location
	if loc == nil {
		loc = opt.Location
	}
	id := row.field("call_id")
	if id == "" {
		return bad("call_id", "empty: every CDR row needs a call id")
	}
	if len(id) > 256 {
		return bad("call_id", "longer than 256 bytes")
	}
	timeFields := []string{"enter_time", "answer_time", "end_time"}
	times := make([]time.Time, len(timeFields))
	local := make([]bool, len(timeFields))
	for i, f := range timeFields {
		s := row.field(f)
		if s == "" {
			if f == "enter_time" {
				return bad(f, "empty: every CDR row needs the time the call came in")
			}
			continue
		}
		t, isLocal, reason := cdrTime(s, row.m.TimeFormat, loc)
		if reason != "" {
			return bad(f, reason)
		}
		times[i], local[i] = t, isLocal
	}
	secs := func(f string) (int64, bool, *DecodeError) {
		s := row.field(f)
		if s == "" {
			return 0, false, nil
		}
		n, err := strconv.ParseFloat(s, 64)
		if err != nil || n < 0 || math.IsNaN(n) || n > maxSeconds {
			return 0, false, &DecodeError{Line: row.line, Field: f, Reason: fmt.Sprintf("%q is not a number of seconds from 0 to %d", clip(s), maxSeconds)}
		}
		return int64(n), true, nil
	}
	wait, hasWait, derr := secs("wait_s")
	if derr != nil {
		return Event{}, derr
	}
	talk, hasTalk, derr := secs("talk_s")
	if derr != nil {
		return Event{}, derr
	}
	// Local times in a repeated hour: the reading that keeps the times in
	// order and agrees with the row's wait and talk (localtime.go).
	times = resolveRecord(times, local, loc, func(ts []time.Time) int {
		w, t := int64(-1), int64(-1)
		if hasWait {
			w = wait
		}
		if hasTalk {
			t = talk
		}
		if !ts[1].IsZero() {
			return recordCost(ts, [][3]int64{{0, 1, w}, {1, 2, t}})
		}
		return recordCost(ts, [][3]int64{{0, 2, w}})
	})
	enter := times[0]
	if reason := opt.CheckTime(enter); reason != "" {
		return bad("enter_time", reason)
	}
	answer, hasAnswer := times[1], !times[1].IsZero()
	end, hasEnd := times[2], !times[2].IsZero()
	if hasAnswer && answer.Before(enter) {
		return bad("answer_time", "before enter_time")
	}
	if hasEnd && end.Before(enter) {
		return bad("end_time", "before enter_time")
	}
	if hasEnd && hasAnswer && end.Before(answer) {
		return bad("end_time", "before answer_time")
	}
	written := row.field("outcome")
	outField := "outcome"
	if written == "" {
		written, outField = row.field("hangup_reason"), "hangup_reason"
	}
	queue, agent := row.field("queue"), row.field("agent")
	if len(queue) > 256 || len(agent) > 256 {
		return bad("queue", "queue or agent longer than 256 bytes")
	}
	if queue == "" {
		if !hasTalk && hasAnswer && hasEnd {
			talk, hasTalk = int64(end.Sub(answer)/time.Second), true
		}
		talkS := ""
		if hasTalk {
			talkS = strconv.FormatInt(talk, 10)
		}
		e := Event{Switch: opt.Switch, Source: SourceCDR, Time: enter, CallID: id, Agent: agent, Verb: FSVerbCDR,
			Data: [5]string{row.field("entry_number"), row.field("caller"), talkS, written}}
		e.ID = EventID(&e)
		return e, nil
	}
	var out Outcome
	switch {
	case written != "":
		o, ok := row.m.lookupOutcome(written)
		if !ok {
			return bad(outField, fmt.Sprintf("%q is not an outcome (answered, abandoned, timeout, exit_key, exit_other, unknown) and the map's outcomes do not name it", clip(written)))
		}
		out = o
	case hasAnswer:
		out = Answered
	default:
		return bad("outcome", "empty: a row with a queue needs outcome (or hangup_reason, or answer_time for an answered call)")
	}
	if !hasWait {
		switch {
		case out == Answered && hasAnswer:
			wait = int64(answer.Sub(enter) / time.Second)
		case out != Answered && hasEnd:
			wait = int64(end.Sub(enter) / time.Second)
		case out == Answered:
			return bad("wait_s", "empty: an answered row needs wait_s or answer_time")
		default:
			return bad("wait_s", "empty: a row that was not answered needs wait_s or end_time")
		}
		if wait > maxSeconds {
			return bad("wait_s", "the wait is longer than 24 h")
		}
	}
	if out != Answered {
		talk = 0
	} else if !hasTalk {
		from := enter.Add(time.Duration(wait) * time.Second)
		if hasAnswer {
			from = answer
		}
		if !hasEnd {
			return bad("talk_s", "empty: an answered row needs talk_s or end_time")
		}
		talk = max(int64(end.Sub(from)/time.Second), 0)
	}
	if out != Answered {
		agent = ""
	}
	outName := out.String()
	if xfer := row.field("transferred"); xfer != "" {
		t, ok := cdrBool(xfer)
		if !ok {
			return bad("transferred", fmt.Sprintf("%q is not true/false, 1/0 or yes/no", clip(xfer)))
		}
		// Only an answered stay can be transferred onward by an agent; on
		// any other row the field says nothing about the queue call.
		if t && out == Answered {
			outName = CDRTransferred
		}
	}
	e := Event{Switch: opt.Switch, Source: SourceCDR, Time: enter, CallID: id, Queue: queue, Agent: agent, Verb: CDRVerbCall,
		Data: [5]string{outName, row.field("caller"), row.field("entry_number"), strconv.FormatInt(wait, 10), strconv.FormatInt(talk, 10)}}
	e.ID = EventID(&e)
	return e, nil
}

// cdrBool reads a yes/no field: true/false, 1/0 or yes/no, in any case.
func cdrBool(s string) (value, ok bool) {
	switch strings.ToLower(s) {
	case "true", "1", "yes":
		return true, true
	case "false", "0", "no":
		return false, true
	}
	return false, false
}

func (m *CDRMap) lookupOutcome(s string) (Outcome, bool) {
	for k, o := range m.Outcomes {
		if strings.EqualFold(k, s) {
			return o, true
		}
	}
	return ParseOutcome(s)
}

// cdrTime reads a time by layout (in loc unless it carries a zone), or with
// no layout as RFC 3339, "2006-01-02 15:04:05" in loc, or unix seconds.
// local says it was a wall-clock time read in loc.
func cdrTime(s, layout string, loc *time.Location) (t time.Time, local bool, reason string) {
	var err error
	switch {
	case layout != "":
		t, err = time.ParseInLocation(layout, s, loc)
		if err != nil {
			if short := strings.Replace(layout, ":05", "", 1); short != layout {
				if _, e2 := time.ParseInLocation(short, s, loc); e2 == nil {
					return t, false, fmt.Sprintf("%q has no seconds: expected the format %q", clip(s), layout)
				}
			}
			return t, false, fmt.Sprintf("%q does not match the format %q", clip(s), layout)
		}
		local = !strings.Contains(layout, "07") && !strings.Contains(layout, "MST")
	case allDigits(strings.Replace(s, ".", "", 1)) && !strings.HasPrefix(s, "."):
		f, perr := strconv.ParseFloat(s, 64)
		if perr != nil || f > maxEpoch {
			return t, false, fmt.Sprintf("%q is out of range (unix seconds up to %d; milliseconds?)", clip(s), int64(maxEpoch))
		}
		t = time.Unix(int64(f), 0)
	default:
		for i, l := range []string{time.RFC3339Nano, time.DateTime, "2006-01-02T15:04:05"} {
			if t, err = time.ParseInLocation(l, s, loc); err == nil {
				local = i > 0
				break
			}
		}
		if err != nil {
			if strings.Count(s, ":") == 1 && !strings.ContainsAny(s, "TZ+") {
				return t, false, fmt.Sprintf(`%q has no seconds: expected RFC 3339, "2006-01-02 15:04:05" or unix seconds`, clip(s))
			}
			return t, false, fmt.Sprintf(`%q is not a time: expected RFC 3339, "2006-01-02 15:04:05" or unix seconds (or set time_format in the map)`, clip(s))
		}
	}
	if t.Unix() < 0 || t.Unix() > maxEpoch {
		return time.Time{}, false, fmt.Sprintf("%q is out of range", clip(s))
	}
	return t.Truncate(time.Second).UTC(), local, ""
}

// BuildCDRCalls turns the events of generic CDR rows (SourceCDR) into queue
// calls. It is the builder BuildCalls uses for that source. Plain CDR events
// are ignored.
//
// A CDRVerbCall event is one export of a complete stay, and a switch may
// export a stay again with the fields it did not know yet filled in or
// corrected (outcome, wait, talk, answer and end time, agent, transferred):
// each export is an event of its own, since its id hashes the whole row.
// What an export of the same stay does not change is the switch, the call
// id, the queue and the enter time, so those four are the stay's identity:
// rows equal in them are versions of one stay, and rows of one call id and
// queue with different enter times are different stays (the caller joined
// the queue again), numbered by Seq in time order.
//
// Of the versions of a stay one wins, by these rules in turn, none of which
// depends on the order in which the rows came:
//  1. a decided outcome (anything but unknown) wins over unknown: a late
//     end replaces unknown, and a resent unknown never undoes an end;
//  2. the row stored last (the newest IngestedAt; an event's IngestedAt is
//     when it was first stored, so a resent older row does not win back);
//  3. the row that ends last (enter + wait + talk): rows stored together,
//     or decoded and not stored, are told apart by what a later export
//     knows more of;
//  4. the higher event id.
//
// The winner gives the stay: EnterTime its time, the outcome, wait and talk
// its data (CDRTransferred is Answered with Transferred), AnswerTime enter +
// wait when answered, EndTime and LastEventTime enter + wait + talk,
// EndVerb data1. The result is sorted by (Switch, CallID, Queue, Seq) and
// does not depend on the order or repeats of events.
func BuildCDRCalls(events []Event, opt BuildOptions) []QueueCall {
	type cev struct {
		e       *Event
		id      uint64
		out     Outcome
		xfer    bool
		wait    int64
		talk    int64
		decided bool
	}
	evs := make([]cev, 0, len(events))
	for i := range events {
		e := &events[i]
		if e.Verb != CDRVerbCall || e.CallID == "" || e.Queue == "" {
			continue
		}
		id := e.ID
		if id == 0 {
			id = EventID(e)
		}
		o, xfer := cdrOutcome(e.Data[0])
		wait, _ := e.DataInt(3)
		talk, _ := e.DataInt(4)
		wait = min(max(wait, 0), buildMaxWaitS)
		talk = min(max(talk, 0), math.MaxUint32)
		if o != Answered {
			talk = 0
		}
		evs = append(evs, cev{e: e, id: id, out: o, xfer: xfer, wait: wait, talk: talk, decided: o != Unknown && o != Waiting})
	}
	// Within one stay (same Switch, CallID, Queue, Time) the winner sorts
	// first: decided, stored last, ending last, highest id.
	slices.SortFunc(evs, func(a, b cev) int {
		return cmp.Or(cmp.Compare(a.e.Switch, b.e.Switch), cmp.Compare(a.e.CallID, b.e.CallID),
			cmp.Compare(a.e.Queue, b.e.Queue), a.e.Time.Compare(b.e.Time),
			-cmpBool(a.decided, b.decided), -a.e.IngestedAt.Compare(b.e.IngestedAt),
			-cmp.Compare(a.wait+a.talk, b.wait+b.talk), -cmp.Compare(a.id, b.id))
	})
	out := make([]QueueCall, 0, len(evs))
	var seq uint16
	for i, ce := range evs {
		e := ce.e
		if i > 0 {
			p := evs[i-1].e
			if p.Switch == e.Switch && p.CallID == e.CallID && p.Queue == e.Queue {
				if p.Time.Equal(e.Time) {
					continue // another version of the stay just built
				}
			} else {
				seq = 0
			}
		}
		c := QueueCall{Switch: e.Switch, CallID: e.CallID, Queue: e.Queue, Seq: seq, Outcome: ce.out,
			EnterTime: e.Time, WaitS: uint32(ce.wait), Caller: e.Data[1], EndVerb: e.Data[0]}
		c.EndTime = e.Time.Add(time.Duration(ce.wait) * time.Second)
		if ce.out == Answered {
			c.AnswerTime = c.EndTime
			c.TalkS = uint32(ce.talk)
			c.Agent = e.Agent
			c.Transferred = ce.xfer
			c.EndTime = c.EndTime.Add(time.Duration(ce.talk) * time.Second)
		}
		c.LastEventTime = c.EndTime
		out = append(out, c)
		seq++
	}
	return out
}

// cdrOutcome reads data1 of a CDRVerbCall event: an outcome's name, or
// CDRTransferred (answered and transferred onward).
func cdrOutcome(s string) (o Outcome, transferred bool) {
	if s == CDRTransferred {
		return Answered, true
	}
	o, _ = ParseOutcome(s)
	return o, false
}

// cmpBool orders false before true.
func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}
