package cdr

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
)

// First-contact resolution ("straksafklaring", METRICS.md: dispositions and
// resolved_first_contact). No switch reports it, so it comes from where it is
// known, in two forms that give the same event:
//
//   - POST /v1/dispositions (or `acdstat ingest --format disposition`) from a
//     ticket system or agent tool: JSON, one object or an array of them, decoded
//     by DecodeDispositions into events of Source SourceDisposition;
//   - a queue_log line written by the switch's dialplan with Asterisk's
//     QueueLog() application, verb DISPOSITION, data1 the resolved flag and
//     data2 the code:
//
//     same => n,QueueLog(${QUEUENAME},${UNIQUEID},${MEMBERNAME},DISPOSITION,1|PWRESET)
//
// A disposition event:
//
//	verb         CallID    Queue                  data1            data2  data3
//	DISPOSITION  call id   the stay's queue or ""  1 resolved, 0 not  code   the stay's seq or ""
//
// The builder attaches it to a stay of its call id (BuildCalls, before any
// source builder, so it works for queue_log, FreeSWITCH and every other
// source alike, in whatever order the events arrived): to the last answered
// stay of the call (the one answered last, METRICS.md: "a disposition given
// by call id goes to the last answered stay of that call"), within its queue
// when it names one, and that very stay when it also names a seq. Where
// several dispositions reach one stay, the newest (by time, then id) wins. A
// disposition that finds no answered stay counts nowhere.

// SourceDisposition is the Source of dispositions posted as JSON.
const SourceDisposition = "disposition"

// FormatDisposition is the format of DecodeDispositions.
const FormatDisposition = "disposition"

// VerbDisposition is the verb of every disposition event.
const VerbDisposition = "DISPOSITION"

// dispMaxCode bounds a disposition code.
const dispMaxCode = 64

// dispositionJSON is one posted disposition.
type dispositionJSON struct {
	Switch   *string          `json:"switch"`
	CallID   *string          `json:"call_id"`
	Queue    *string          `json:"queue"`
	Seq      *json.Number     `json:"seq"`
	Resolved *bool            `json:"resolved"`
	Code     *string          `json:"code"`
	Time     *json.RawMessage `json:"time"`
}

// DecodeDispositions decodes posted dispositions: a JSON object or an array
// of objects (several documents one after another are also read) with the
// fields
//
//	switch    string, optional: the switch of the call (default opt.Switch)
//	call_id   string, required: the switch's call id (Asterisk UNIQUEID, the
//	          FreeSWITCH uuid)
//	queue     string, optional: the stay's queue
//	seq       number, optional (with queue): which stay in that queue, from 0
//	resolved  boolean, required: resolved at first contact
//	code      string, optional: a wrap-up or disposition code (≤ 64 bytes)
//	time      optional: when it was given, RFC 3339 or unix seconds; default
//	          opt.Now (the time of receipt)
//
// Unknown fields are refused, so a misspelt field is not silently lost. Line
// in a DecodeError is the 1-based position of the object in its array.
func DecodeDispositions(r io.Reader, opt DecodeOptions, fn func(Batch) error) error {
	opt = opt.withDefaults()
	return jsonRecords(r, &opt, fn, "disposition", func(raw json.RawMessage, rec int, q *batcher) *DecodeError {
		e, derr := dispParse(raw, rec, &opt)
		if derr == nil {
			q.event(e)
		}
		return derr
	})
}

func dispParse(raw []byte, rec int, opt *DecodeOptions) (Event, *DecodeError) {
	bad := func(field, reason string) (Event, *DecodeError) {
		return Event{}, &DecodeError{Line: rec, Field: field, Reason: reason}
	}
	var d dispositionJSON
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	if err := dec.Decode(&d); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return bad(te.Field, fmt.Sprintf("must be a JSON %s, got %s", dispJSONType(te.Type.Kind().String()), te.Value))
		}
		if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			name := strings.Trim(f, `"`)
			if name == "" || len(name) > 64 {
				name = "json"
			}
			return bad(name, fmt.Sprintf("unknown field %s: a disposition has switch, call_id, queue, seq, resolved, code and time", f))
		}
		return bad("json", "not a disposition object: "+err.Error())
	}
	e := Event{Switch: opt.Switch, Source: SourceDisposition, Verb: VerbDisposition, Line: rec}
	if d.Switch != nil && *d.Switch != "" {
		sw, err := SwitchName(*d.Switch)
		if err != nil {
			return bad("switch", err.Error())
		}
		e.Switch = sw
	}
	if d.CallID == nil || strings.TrimSpace(*d.CallID) == "" {
		return bad("call_id", "is required: the switch's call id (Asterisk UNIQUEID, FreeSWITCH uuid)")
	}
	e.CallID = strings.TrimSpace(*d.CallID)
	if len(e.CallID) > 256 {
		return bad("call_id", "is longer than 256 bytes")
	}
	if d.Queue != nil {
		e.Queue = strings.TrimSpace(*d.Queue)
	}
	if d.Seq != nil {
		if e.Queue == "" {
			return bad("seq", "needs queue: seq numbers the stays of one queue")
		}
		n, err := strconv.ParseUint(d.Seq.String(), 10, 16)
		if err != nil {
			return bad("seq", fmt.Sprintf("must be a whole number from 0 to 65535, got %s", d.Seq.String()))
		}
		e.Data[2] = strconv.FormatUint(n, 10)
	}
	if d.Resolved == nil {
		return bad("resolved", "is required: true when resolved at first contact, else false")
	}
	e.Data[0] = "0"
	if *d.Resolved {
		e.Data[0] = "1"
	}
	if d.Code != nil {
		c := strings.TrimSpace(*d.Code)
		if len(c) > dispMaxCode {
			return bad("code", fmt.Sprintf("is longer than %d bytes", dispMaxCode))
		}
		if strings.ContainsAny(c, "|\r\n") {
			return bad("code", "must not contain | or line breaks")
		}
		e.Data[1] = c
	}
	switch {
	case d.Time != nil && string(bytes.TrimSpace(*d.Time)) != "null":
		t, err := dispTime(*d.Time)
		if err != nil {
			return bad("time", err.Error())
		}
		e.Time = t
	case !opt.Now.IsZero():
		e.Time = opt.Now.UTC().Truncate(time.Second)
	default:
		return bad("time", "is required here (no time of receipt): RFC 3339 or unix seconds")
	}
	if reason := opt.CheckTime(e.Time); reason != "" {
		return bad("time", reason)
	}
	e.ID = EventID(&e)
	return e, nil
}

// dispTime reads RFC 3339 text or unix seconds, to whole seconds in UTC.
func dispTime(raw json.RawMessage) (time.Time, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return time.Time{}, fmt.Errorf("%q is not RFC 3339, e.g. 2025-03-04T10:15:00+01:00", s)
		}
		return t.UTC().Truncate(time.Second), nil
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err == nil {
		f, err := n.Float64()
		if err == nil && f > 0 && f < 1e11 {
			return time.Unix(int64(f), 0).UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%s is not RFC 3339 text nor unix seconds", string(raw))
}

func dispJSONType(kind string) string {
	switch kind {
	case "ptr", "struct":
		return "value of the right type"
	case "bool":
		return "boolean (true or false)"
	}
	return kind
}

// IsDisposition reports whether e is a disposition, from any source (a
// posted one or a queue_log DISPOSITION line).
func IsDisposition(e *Event) bool {
	return e.Verb == VerbDisposition && e.CallID != ""
}

// buildSplitDispositions returns the events without dispositions and the
// dispositions, or (events, nil) without copying when there are none.
func buildSplitDispositions(events []Event) (rest, disps []Event) {
	n := 0
	for i := range events {
		if IsDisposition(&events[i]) {
			n++
		}
	}
	if n == 0 {
		return events, nil
	}
	rest = make([]Event, 0, len(events)-n)
	disps = make([]Event, 0, n)
	for i := range events {
		if IsDisposition(&events[i]) {
			disps = append(disps, events[i])
		} else {
			rest = append(rest, events[i])
		}
	}
	return rest, disps
}

// applyDispositions sets the disposition fields of the stays in calls
// (sorted by key) from disps, by the rules at the top of this file.
func applyDispositions(calls []QueueCall, disps []Event) {
	for i := range disps {
		if disps[i].ID == 0 {
			disps[i].ID = EventID(&disps[i])
		}
	}
	// Oldest first, so the newest is applied last and wins.
	slices.SortFunc(disps, func(a, b Event) int {
		return cmp.Or(a.Time.Compare(b.Time), cmp.Compare(a.Micros, b.Micros), cmp.Compare(a.ID, b.ID))
	})
	type ck struct{ sw, call string }
	first := map[ck]int{}
	for i := range calls {
		k := ck{calls[i].Switch, calls[i].CallID}
		if _, ok := first[k]; !ok {
			first[k] = i
		}
	}
	for i := range disps {
		d := &disps[i]
		start, ok := first[ck{d.Switch, d.CallID}]
		if !ok {
			continue
		}
		queue := strings.TrimSpace(d.Queue)
		if queue == "NONE" {
			queue = ""
		}
		seq, hasSeq := -1, false
		if n, err := strconv.ParseUint(strings.TrimSpace(d.Data[2]), 10, 16); err == nil && queue != "" {
			seq, hasSeq = int(n), true
		}
		best := -1
		for j := start; j < len(calls) && calls[j].Switch == d.Switch && calls[j].CallID == d.CallID; j++ {
			c := &calls[j]
			if c.Outcome != Answered || (queue != "" && c.Queue != queue) || (hasSeq && int(c.Seq) != seq) {
				continue
			}
			if best < 0 || dispLater(c, &calls[best]) {
				best = j
			}
		}
		if best < 0 {
			continue
		}
		c := &calls[best]
		c.Disposition = true
		c.Resolved = dispResolved(d.Data[0])
		c.DispositionCode = strings.TrimSpace(d.Data[1])
	}
}

// dispLater says whether stay a was answered after stay b.
func dispLater(a, b *QueueCall) bool {
	if c := a.AnswerTime.Compare(b.AnswerTime); c != 0 {
		return c > 0
	}
	return a.EnterTime.After(b.EnterTime)
}

// dispResolved reads the resolved flag of a disposition: 1, yes, true,
// resolved (any case) are resolved; anything else is not.
func dispResolved(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "1", "yes", "y", "true", "resolved", "ja":
		return true
	}
	return false
}
