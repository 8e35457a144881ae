package cdr

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// SourceAsteriskCDR is the Source, and FormatAsteriskCDR the format name, of
// Asterisk CDR files: cdr_csv's Master.csv and cdr_custom's default mapping.
const (
	SourceAsteriskCDR = "asterisk_cdr"
	FormatAsteriskCDR = SourceAsteriskCDR
)

// The columns of the Asterisk CDR layouts (asterisk/asterisk cdr/cdr_csv.c
// build_csv_record; configs/samples/cdr_custom.conf.sample), by column count.
// cdr_csv writes 16 columns, then uniqueid with loguniqueid, userfield with
// loguserfield, and peeraccount, linkedid, sequence with newcdrcolumns.
var (
	astCSV16 = []string{"accountcode", "src", "dst", "dcontext", "clid", "channel", "dstchannel", "lastapp", "lastdata",
		"start", "answer", "end", "duration", "billsec", "disposition", "amaflags"}
	astLayouts = map[int][]string{
		16: astCSV16,
		17: append(append([]string{}, astCSV16...), "uniqueid"),
		18: append(append([]string{}, astCSV16...), "uniqueid", "userfield"),
		19: append(append([]string{}, astCSV16...), "peeraccount", "linkedid", "sequence"),
		21: append(append([]string{}, astCSV16...), "uniqueid", "userfield", "peeraccount", "linkedid", "sequence"),
	}
	// astCustom is cdr_custom's default mapping: 19 columns in another order.
	astCustom = []string{"clid", "src", "dst", "dcontext", "channel", "dstchannel", "lastapp", "lastdata",
		"start", "answer", "end", "duration", "billsec", "disposition", "amaflags", "accountcode", "uniqueid", "userfield", "sequence"}
)

// DecodeAsteriskCDR decodes Asterisk CDR files: one CDR per CSV record, no
// header. The layout is told by the number of columns of each record:
//
//	16  cdr_csv default
//	17  cdr_csv + uniqueid (loguniqueid)
//	18  cdr_csv + uniqueid, userfield (loguniqueid, loguserfield)
//	19  cdr_csv + peeraccount, linkedid, sequence (newcdrcolumns), or
//	    cdr_custom's default mapping; told apart by column 12, which is
//	    cdr_csv's end (a date) and cdr_custom's duration (a number)
//	21  cdr_csv with all three options
//
// Any other count is refused; 20 (newcdrcolumns with only one of uniqueid
// and userfield) is refused as ambiguous. start, answer and end are
// "2006-01-02 15:04:05" in the switch's zone (opt.Location; cdr_csv's
// usegmtime writes UTC: then use UTC as the switch's zone), or RFC 3339
// when they carry a zone; an empty answer is an unanswered leg.
//
// Each record is one event, Verb CDR (FSVerbCDR), Time start:
//
//	CallID  linkedid, else uniqueid, else channel (16 columns)
//	Queue   the first ","/"|" field of lastdata when lastapp is Queue
//	Agent   dstchannel (the peer the leg was bridged or dialled to)
//	Data    dst, src, billsec, disposition, dcontext
//
// CallID is the linkedid because Asterisk 12+ writes one CDR per pair of
// channels: the legs of one call (an IVR, then a queue ringing agents
// through Local channels) share the caller's linkedid, which is what the IVR
// funnel counts as one call. No queue calls are built from these events:
// a CDR's start is the call's start, not the queue entry, and its answer is
// when the caller's channel was answered (often by the IVR), so the queue
// wait is not in it. Queue figures need queue_log (docs/CDR_FORMAT.md).
func DecodeAsteriskCDR(r io.Reader, opt DecodeOptions, fn func(Batch) error) error {
	opt = opt.withDefaults()
	return csvRecords(r, &opt, fn, csvInput{what: "asterisk cdr", record: func(rec []string, line int, _ []byte) (Event, *DecodeError) {
		return astDecodeRecord(rec, line, &opt)
	}})
}

func astDecodeRecord(rec []string, line int, opt *DecodeOptions) (Event, *DecodeError) {
	bad := func(field, reason string) (Event, *DecodeError) {
		return Event{}, &DecodeError{Line: line, Field: field, Reason: reason}
	}
	names, ok := astLayouts[len(rec)]
	if len(rec) == 19 {
		// cdr_csv + newcdrcolumns has end in column 12; cdr_custom has
		// duration there.
		if allDigits(strings.TrimSpace(rec[11])) {
			names = astCustom
		}
	}
	if !ok {
		if len(rec) == 20 {
			return bad("", "20 columns: cannot tell whether loguniqueid or loguserfield is on (with newcdrcolumns); turn on both (21 columns) or neither (19)")
		}
		return bad("", fmt.Sprintf("%d columns: an Asterisk CDR has 16, 17, 18, 19 or 21 (cdr_csv) or 19 (cdr_custom's default mapping)", len(rec)))
	}
	col := make(map[string]string, len(names))
	for i, n := range names {
		col[n] = strings.TrimSpace(rec[i])
	}
	loc := opt.Location
	fields := []string{"start", "answer", "end"}
	times := make([]time.Time, len(fields))
	local := make([]bool, len(fields))
	for i, f := range fields {
		if col[f] == "" && f != "start" {
			continue
		}
		t, isLocal, reason := astTime(col[f], loc)
		if reason != "" {
			return bad(f, reason)
		}
		times[i], local[i] = t, isLocal
	}
	spans := [][3]int64{{0, 2, -1}, {1, 2, -1}} // duration, billsec
	for k, f := range []string{"duration", "billsec"} {
		if s := col[f]; s != "" {
			n, err := strconv.ParseUint(s, 10, 32)
			if err != nil || n > 7*maxSeconds {
				return bad(f, fmt.Sprintf("%q is not a number of seconds", clip(s)))
			}
			spans[k][2] = int64(n)
		}
	}
	// Local times in a repeated hour: the reading that keeps start, answer
	// and end in order and agrees with duration and billsec (localtime.go).
	times = resolveRecord(times, local, loc, func(ts []time.Time) int { return recordCost(ts, spans) })
	start := times[0]
	for i, f := range fields[1:] {
		if t := times[i+1]; !t.IsZero() && t.Before(start) {
			return bad(f, fmt.Sprintf("%s is before start %s", col[f], col["start"]))
		}
	}
	if reason := opt.CheckTime(start); reason != "" {
		return bad("start", reason)
	}
	id := col["linkedid"]
	if id == "" {
		id = col["uniqueid"]
	}
	if id == "" {
		id = col["channel"]
	}
	if id == "" {
		return bad("uniqueid", "missing: the record has no linkedid, uniqueid or channel")
	}
	if len(id) > 256 {
		return bad("uniqueid", "longer than 256 bytes")
	}
	var queue string
	if strings.EqualFold(col["lastapp"], "Queue") {
		queue = col["lastdata"]
		if i := strings.IndexAny(queue, ",|"); i >= 0 {
			queue = queue[:i]
		}
		if len(queue) > 256 {
			return bad("lastdata", "queue name longer than 256 bytes")
		}
	}
	e := Event{Switch: opt.Switch, Source: SourceAsteriskCDR, Time: start, CallID: id, Queue: queue,
		Agent: col["dstchannel"], Verb: FSVerbCDR,
		Data: [5]string{col["dst"], col["src"], col["billsec"], col["disposition"], col["dcontext"]}}
	e.ID = EventID(&e)
	return e, nil
}

// astTime reads a cdr_csv date: local wall-clock time (local is then true),
// or RFC 3339.
func astTime(s string, loc *time.Location) (t time.Time, local bool, reason string) {
	if s == "" {
		return time.Time{}, false, "empty: every CDR has a start"
	}
	t, err := time.ParseInLocation(time.DateTime, s, loc)
	local = err == nil
	if err != nil {
		t, err = time.Parse(time.RFC3339, s)
	}
	if err != nil {
		return time.Time{}, false, fmt.Sprintf(`%q is not a time: expected "2006-01-02 15:04:05" (local) or RFC 3339`, clip(s))
	}
	if t.Unix() < 0 || t.Unix() > maxEpoch {
		return time.Time{}, false, fmt.Sprintf("%q is out of range", clip(s))
	}
	return t.Truncate(time.Second).UTC(), local, ""
}
