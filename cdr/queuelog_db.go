package cdr

import (
	"encoding/csv"
	"fmt"
	"io"
	"strings"
	"time"
)

// The layouts of a queue_log table export that DecodeQueueLogDB knows, told
// apart by the header.
const (
	// qlRealtime is Asterisk's realtime table: time, callid, queuename,
	// agent, event, then data1..data5 (adaptive mode) and/or data.
	qlRealtime = iota
	// qlPBXware is Bicom PBXware's export: uid, date_time (epoch), callid,
	// queue_name, type (the agent), event, param1..param3, entpos, expos,
	// htime, ttime, time (local wall clock).
	qlPBXware
)

// qlLayout maps the columns of one export to the fields of an Event. Indexes
// are -1 for absent columns.
type qlLayout struct {
	kind  int
	names []string // the header, lower-cased and trimmed

	time, timeAlt               int // timeAlt: PBXware's local `time`, used when date_time is empty
	callid, queue, agent, event int
	data                        [5]int    // realtime data1..data5
	dataAll                     int       // realtime `data`
	param                       [3]int    // PBXware param1..param3
	entpos, expos, htime, ttime int       // PBXware
	need                        int       // a record needs this many fields to hold the required columns
	fixed                       [5]string // header names of time, callid, queue, agent, event
}

// qlLayoutOf reads the header. It returns a reject naming the first required
// column that is missing.
func qlLayoutOf(header []string) (*qlLayout, *DecodeError) {
	l := &qlLayout{names: make([]string, len(header))}
	col := map[string]int{}
	for i, h := range header {
		if i == 0 {
			h = strings.TrimPrefix(h, "\ufeff")
		}
		h = strings.ToLower(strings.TrimSpace(h))
		l.names[i] = h
		if _, dup := col[h]; !dup {
			col[h] = i
		}
	}
	find := func(names ...string) int {
		for _, n := range names {
			if i, ok := col[n]; ok {
				return i
			}
		}
		return -1
	}
	l.kind = qlRealtime
	if find("param1", "htime", "entpos", "expos") >= 0 {
		l.kind = qlPBXware
	}
	missing := func(what, want string) *DecodeError {
		return &DecodeError{Line: 1, Field: what,
			Reason: fmt.Sprintf("header has no %s column (want %s); no row decoded", what, want)}
	}
	l.timeAlt = -1
	if l.kind == qlPBXware {
		l.time = find("date_time")
		if t := find("time"); l.time < 0 {
			l.time = t
		} else {
			l.timeAlt = t
		}
		l.agent = find("type", "agent")
	} else {
		l.time = find("time", "date_time")
		l.agent = find("agent")
	}
	l.callid = find("callid", "call_id")
	l.queue = find("queuename", "queue_name", "queue")
	l.event = find("event", "verb")
	switch {
	case l.time < 0:
		return nil, missing("time", `"time" or "date_time"`)
	case l.callid < 0:
		return nil, missing("callid", `"callid"`)
	case l.queue < 0:
		return nil, missing("queuename", `"queuename" or "queue_name"`)
	case l.agent < 0 && l.kind == qlPBXware:
		return nil, missing("agent", `"type" or "agent"`)
	case l.agent < 0:
		return nil, missing("agent", `"agent"`)
	case l.event < 0:
		return nil, missing("event", `"event"`)
	}
	for i := range l.data {
		l.data[i] = find(qlDataNames[i])
	}
	l.dataAll = find("data")
	for i := range l.param {
		l.param[i] = find(fmt.Sprintf("param%d", i+1))
	}
	l.entpos, l.expos = find("entpos"), find("expos")
	l.htime, l.ttime = find("htime"), find("ttime")
	l.fixed = [5]string{l.name(l.time, "time"), l.name(l.callid, "callid"), l.name(l.queue, "queuename"),
		l.name(l.agent, "agent"), l.name(l.event, "event")}
	l.need = max(l.time, l.callid, l.queue, l.agent, l.event) + 1
	return l, nil
}

// name returns the header name of column i, or fallback when it is absent.
func (l *qlLayout) name(i int, fallback string) string {
	if i < 0 || i >= len(l.names) {
		return fallback
	}
	return l.names[i]
}

func qlCol(rec []string, i int) string {
	if i < 0 || i >= len(rec) {
		return ""
	}
	return rec[i]
}

// DecodeQueueLogDB decodes a CSV export of the queue_log table, with a header
// row whose names (case-insensitive; a UTF-8 BOM is dropped) say which column
// is which. Two layouts are known:
//
//   - Asterisk's realtime table: time, callid, queuename, agent, event and
//     data1..data5 (data5 may hold an unsplit "a|b" remainder, kept as is)
//     or a single data column, split on "|" into five with the remainder in
//     the fifth. Other columns (id, serverid, …) are ignored. time is
//     "2006-01-02 15:04:05[.ffffff]" in opt.Location, or unix seconds.
//   - Bicom PBXware's export (recognised by param1/entpos/expos/htime):
//     date_time (unix seconds; the local `time` column is used only when
//     date_time is empty), callid, queue_name, type (the agent), event,
//     param1..param3, entpos, expos, htime, ttime. Its columns are moved into
//     the canonical data1..data5 of each verb (see qlPBXData).
//
// A header that lacks a required column yields one reject for line 1 and no
// events. Line numbers are the CSV's lines (the header is line 1). Batching
// and the callback contract are those of DecodeQueueLog. A record longer than
// opt.MaxLineBytes is rejected after it is read: the cap bounds what is
// stored, not what is buffered (the intake caps request bodies). An
// unterminated quote swallows the input up to the next quote, as in any CSV.
func DecodeQueueLogDB(r io.Reader, opt DecodeOptions, fn func(Batch) error) error {
	opt = opt.withDefaults()
	var l *qlLayout
	// Local times in a repeated hour are held back and resolved per call
	// at the end (localtime.go).
	fold := newFolder(opt.Location)
	return csvRecords(r, &opt, fn, csvInput{
		what: "queue_log csv",
		header: func(rec []string, perr *csv.ParseError) *DecodeError {
			if perr != nil {
				return &DecodeError{Reason: fmt.Sprintf("cannot read csv header: %v", perr.Err)}
			}
			var derr *DecodeError
			l, derr = qlLayoutOf(rec)
			return derr
		},
		record: func(rec []string, line int, raw []byte) (Event, *DecodeError) {
			e, local, derr := qlDecodeRecord(rec, line, l, &opt, raw)
			if derr != nil || !local || fold.add(e) {
				return e, derr
			}
			return Event{}, nil // held back
		},
		finish: func(emit func(Event)) { fold.resolve(emit) },
	})
}

// qlDecodeRecord decodes one data record of the DB form; local says its time
// was a local wall-clock time (not unix seconds).
func qlDecodeRecord(rec []string, line int, l *qlLayout, opt *DecodeOptions, rawb []byte) (e Event, local bool, derr *DecodeError) {
	raw := func() string { return rawLine(rawb) }
	if len(rec) < l.need {
		return Event{}, false, &DecodeError{Line: line, Field: l.name(len(rec), ""),
			Reason: fmt.Sprintf("too few fields: %d of %d", len(rec), len(l.names)), Raw: raw()}
	}
	names := l.fixed
	e = Event{Line: line, Source: SourceQueueLogDB}
	ts, tcol := strings.TrimSpace(qlCol(rec, l.time)), l.time
	if ts == "" && l.timeAlt >= 0 {
		ts, tcol = strings.TrimSpace(qlCol(rec, l.timeAlt)), l.timeAlt
	}
	t, micros, local, reason := qlParseDBTime(ts, opt.Location)
	if reason != "" {
		return Event{}, false, &DecodeError{Line: line, Field: l.name(tcol, "time"), Reason: reason, Raw: raw()}
	}
	names[0] = l.name(tcol, "time")
	e.Time, e.Micros = t, micros
	e.CallID = qlCol(rec, l.callid)
	e.Queue = qlCol(rec, l.queue)
	e.Agent = qlCol(rec, l.agent)
	e.Verb = qlCol(rec, l.event)
	dataNames := qlDataNames
	if l.kind == qlPBXware {
		e.Data, dataNames = qlPBXData(strings.ToUpper(strings.TrimSpace(e.Verb)), rec, l)
	} else {
		split := true // adaptive mode fills data1..data5 and leaves data empty
		for i, c := range l.data {
			e.Data[i] = qlCol(rec, c)
			split = split && strings.TrimSpace(e.Data[i]) == ""
		}
		if split && l.dataAll >= 0 {
			if d := qlCol(rec, l.dataAll); d != "" {
				for i, p := range strings.SplitN(d, "|", 5) {
					e.Data[i] = p
				}
			}
		}
	}
	if field, reason := qlFinish(&e, opt, names[:], dataNames); reason != "" {
		return Event{}, false, &DecodeError{Line: line, Field: field, Reason: reason, Raw: raw()}
	}
	return e, local, nil
}

// qlPBXData moves a PBXware row into the canonical data1..data5 of its verb
// (§2a), and returns the PBXware column behind each field for rejects. The
// mapping was checked against a real export (see queuelog_test.go):
// param1 holds the caller number on every call verb; htime is the wait of
// CONNECT, COMPLETE*, ABANDON and EXITWITHTIMEOUT (it equals the seconds
// since ENTERQUEUE) and the ring time in ms of RINGNOANSWER; ttime is the talk
// time; entpos and expos are the original and exit positions.
//
//	verb                           data1   data2   data3  data4  data5
//	ENTERQUEUE                     ""      param1  entpos
//	CONNECT                        htime   param2  param3
//	COMPLETECALLER/COMPLETEAGENT   htime   ttime   entpos
//	ABANDON/EXITWITHTIMEOUT/
//	EXITEMPTY/WITHDRAW             expos   entpos  htime
//	EXITWITHKEY                    param1  expos   entpos htime
//	TRANSFER/BLINDTRANSFER/
//	ATTENDEDTRANSFER               param2  param3  htime  ttime  entpos
//	RINGNOANSWER/RINGCANCELED      htime
//	other verbs of §2a             param1  param2  param3
//	vendor verbs (OUTDIAL, …)      param1  param2  param3 htime  ttime
//
// For the transfers param1 is the caller number and param2/param3 the
// extension and context (a real BLINDTRANSFER row reads
// 14154246089,1142,transfer), so data1/data2 come from param2/param3.
// Vendor verbs keep htime and ttime, which carry the wait and talk of
// PBXware's outbound calls (OUTANSWER).
func qlPBXData(verb string, rec []string, l *qlLayout) ([5]string, [5]string) {
	type src struct {
		col  int
		name string
	}
	p1 := src{l.param[0], "param1"}
	p2 := src{l.param[1], "param2"}
	p3 := src{l.param[2], "param3"}
	ent := src{l.entpos, "entpos"}
	ex := src{l.expos, "expos"}
	ht := src{l.htime, "htime"}
	tt := src{l.ttime, "ttime"}
	none := src{-1, ""}
	var m []src
	switch verb {
	case "ENTERQUEUE":
		m = []src{none, p1, ent}
	case "CONNECT":
		m = []src{ht, p2, p3}
	case "COMPLETECALLER", "COMPLETEAGENT":
		m = []src{ht, tt, ent}
	case "ABANDON", "EXITWITHTIMEOUT", "EXITEMPTY", "WITHDRAW":
		m = []src{ex, ent, ht}
	case "EXITWITHKEY":
		m = []src{p1, ex, ent, ht}
	case "TRANSFER", "BLINDTRANSFER", "ATTENDEDTRANSFER":
		m = []src{p2, p3, ht, tt, ent}
	case "RINGNOANSWER", "RINGCANCELED":
		m = []src{ht}
	default:
		if _, known := qlVerbs[verb]; known {
			m = []src{p1, p2, p3}
		} else {
			m = []src{p1, p2, p3, ht, tt}
		}
	}
	var data, names [5]string
	names = qlDataNames
	for i, s := range m {
		data[i] = qlCol(rec, s.col)
		if s.col >= 0 {
			names[i] = l.name(s.col, s.name)
		}
	}
	return data, names
}

// qlParseDBTime reads the DB form's time: unix seconds (optionally with a
// fraction) or a wall-clock "2006-01-02 15:04:05[.ffffff]" in loc. It returns
// the whole second in UTC and the microseconds.
func qlParseDBTime(s string, loc *time.Location) (t time.Time, micros uint32, local bool, reason string) {
	if s == "" {
		return time.Time{}, 0, false, "empty time"
	}
	if c := s[0]; c >= '0' && c <= '9' && !strings.ContainsAny(s, "-:") {
		sec, micros, reason := qlParseEpoch(s)
		if reason != "" {
			return time.Time{}, 0, false, reason
		}
		return time.Unix(sec, 0).UTC(), micros, false, ""
	}
	for _, layout := range [...]string{"2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999"} {
		t, err := time.ParseInLocation(layout, s, loc)
		if err != nil {
			continue
		}
		if t.Unix() < 0 || t.Unix() > maxEpoch {
			return time.Time{}, 0, false, fmt.Sprintf("time %q is out of range", clip(s))
		}
		return t.Truncate(time.Second).UTC(), uint32(t.Nanosecond() / 1000), true, ""
	}
	return time.Time{}, 0, false, fmt.Sprintf(`time %q is neither unix seconds nor "YYYY-MM-DD hh:mm:ss[.ffffff]"`, clip(s))
}
