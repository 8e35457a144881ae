package cdr

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Contacts and cases (METRICS.md, "Contacts and cases"): the service desk's
// contacts through channels other than the phone (portal, e-mail, chat,
// walk-in), and the cases of its service-management tool. Both come as CSV
// or JSON with a column map, like generic CDRs (CDRMap; ShippedCaseMaps for
// the tools' own exports), and each record becomes one Event, so that they
// take the same path as every other input (the spool, the drain, the
// store's deterministic ids):
//
//	verb     Source   CallID  Queue  Agent    Time     data1        data2   data3     data4          data5
//	CONTACT  contact  id      desk   channel  time
//	CASE     case     id      desk   channel  updated  criticality  opened  resolved  first_contact  reopen_count|reopened
//
// The event's Switch is the system the records come from (the `switch` of
// the intake, e.g. servicenow), so two tools' case ids never meet. Times in
// data are Unix seconds; an empty resolved is a case not resolved now;
// first_contact is 1, 0 or empty (unknown); data5 is the reopen count and,
// after a bar, the last reopening's Unix seconds, each part empty when
// unknown. Only these mapped columns are kept: a tool's free text (subject,
// description, notes) may hold patient data and is never read.

// Sources, formats and verbs of contacts and cases.
const (
	SourceContact  = "contact"
	SourceCase     = "case"
	FormatContacts = "contacts"
	FormatCases    = "cases"
	VerbContact    = "CONTACT"
	VerbCase       = "CASE"
)

// ContactFields and CaseFields are the field names of the contact and case
// schemas; a CDRMap's Columns map them to a tool's columns.
var (
	ContactFields = []string{"id", "desk", "channel", "time"}
	CaseFields    = []string{"id", "desk", "channel", "criticality", "opened", "resolved", "updated", "first_contact", "reopen_count", "reopened"}
)

// The criticalities of a case (METRICS.md: "Kritisk, Høj, Medium or
// Normal"), in the order of urgency.
const (
	CriticalityCritical = "critical"
	CriticalityHigh     = "high"
	CriticalityMedium   = "medium"
	CriticalityNormal   = "normal"
)

// Criticalities lists the criticality names, most urgent first.
var Criticalities = []string{CriticalityCritical, CriticalityHigh, CriticalityMedium, CriticalityNormal}

// ChannelPhone is the channel of phone contacts. A posted contact may not
// name it: the phone's contacts are the desk's answered calls or its cases
// registered as phone contacts (DeskSettings.Phone), never both.
const ChannelPhone = "phone"

// maxRecordID bounds an id, desk or channel of a contact or case.
const (
	maxRecordID   = 256
	maxChannelLen = 32
)

// criticalityWords are the spellings understood without a map: ours and the
// Danish ones of the first customer's report.
var criticalityWords = map[string]string{
	"critical": CriticalityCritical, "kritisk": CriticalityCritical,
	"high": CriticalityHigh, "høj": CriticalityHigh, "hoej": CriticalityHigh,
	"medium": CriticalityMedium,
	"normal": CriticalityNormal,
}

// DecodeContacts decodes contacts as CSV (a header row unless
// opt.Map.NoHeader) or JSON (an array of objects, or NDJSON), told apart by
// the first byte that is not a space: '[' or '{' is JSON. A contact has an
// id, a desk, a channel (lower-case letters, digits, '-' and '_', at most 32
// bytes; not "phone") and a time; opt.Map maps them to a tool's columns and
// may translate channel values (Values["channel"]).
func DecodeContacts(r io.Reader, opt DecodeOptions, fn func(Batch) error) error {
	return decodeMapped(r, opt, fn, "contact", ContactFields, []string{"id", "desk", "channel", "time"}, contactRow)
}

// DecodeCases decodes a service-management tool's cases, CSV or JSON as
// DecodeContacts. A case has an id, a desk and the time it was opened; its
// channel, criticality (critical, high, medium, normal, or the Danish
// kritisk, høj; other words through Values["criticality"]), resolved time,
// updated time (default the latest of opened, resolved and reopened),
// first-contact flag (true/false, 1/0, yes/no, ja/nej; empty is unknown),
// reopen count and last reopening are optional.
func DecodeCases(r io.Reader, opt DecodeOptions, fn func(Batch) error) error {
	return decodeMapped(r, opt, fn, "case", CaseFields, []string{"id", "desk", "opened"}, caseRow)
}

// decodeMapped reads the records of a mapped CSV or JSON input with row.
func decodeMapped(r io.Reader, opt DecodeOptions, fn func(Batch) error, what string, fields, required []string,
	row func(*cdrRow, *DecodeOptions) (Event, *DecodeError)) error {
	opt = opt.withDefaults()
	m := cdrMapOf(opt.Map)
	// A refused record keeps no raw text: its unmapped columns may hold
	// patient data. Its line and field say where to look in the export.
	keep := fn
	fn = func(b Batch) error {
		for _, r := range b.Rejects {
			r.Raw = ""
		}
		return keep(b)
	}
	// The first bytes tell JSON from CSV; they are read again after.
	var head [512]byte
	n, err := io.ReadFull(r, head[:])
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return fmt.Errorf("cannot read %s: %w", what, err)
	}
	br := io.MultiReader(bytes.NewReader(head[:n]), r)
	first := bytes.TrimLeft(bytes.TrimPrefix(head[:n], []byte("\ufeff")), " \t\r\n")
	if len(first) > 0 && (first[0] == '[' || first[0] == '{') {
		return jsonRecords(br, &opt, fn, what, func(raw json.RawMessage, rec int, q *batcher) *DecodeError {
			var obj map[string]any
			d := json.NewDecoder(bytes.NewReader(raw))
			d.UseNumber()
			if err := d.Decode(&obj); err != nil {
				return &DecodeError{Field: "json", Reason: fmt.Sprintf("not a JSON %s object: %v", what, err)}
			}
			cr := &cdrRow{m: m, line: rec, get: func(col string) (string, bool) {
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
			e, derr := row(cr, &opt)
			if derr != nil {
				return derr
			}
			e.Line = rec
			q.event(e)
			return nil
		})
	}
	var index map[string]int
	if m.NoHeader {
		index = map[string]int{}
		for f, c := range m.Columns {
			n, err := strconv.Atoi(c)
			if err != nil || n < 1 {
				return fmt.Errorf("cannot use the %s map: column of %s is %q, not a column number (the map says there is no header)", what, f, c)
			}
			index[c] = n - 1
		}
	}
	headerErr := false
	return csvRecords(br, &opt, fn, csvInput{what: what + " csv", record: func(rec []string, line int, _ []byte) (Event, *DecodeError) {
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
			// Only the required fields must have their column: an export
			// leaves out what nobody picked (an older ServiceNow has no
			// reopened_time), and those fields are then unknown.
			for _, f := range fields {
				_, ok := index[m.column(f)]
				if !ok && containsString(required, f) {
					headerErr = true
					return Event{}, &DecodeError{Line: line, Field: f, Reason: fmt.Sprintf("header has no column %q (the header is: %s)", m.column(f), clip(strings.Join(rec, ",")))}
				}
			}
			return Event{}, nil
		}
		cr := &cdrRow{m: m, line: line, get: func(col string) (string, bool) {
			i, ok := index[col]
			if !ok || i >= len(rec) {
				return "", false
			}
			return rec[i], true
		}}
		return row(cr, &opt)
	}})
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// value reads a field and translates it through the map's Values of that
// field (compared without case).
func (r *cdrRow) value(field string) string {
	v := r.field(field)
	for k, to := range r.m.Values[field] {
		if strings.EqualFold(k, v) {
			return to
		}
	}
	return v
}

// recordText checks an id, desk or channel.
func recordText(row *cdrRow, field string, required bool) (string, *DecodeError) {
	v := row.value(field)
	switch {
	case v == "" && required:
		return "", &DecodeError{Line: row.line, Field: field, Reason: "empty: every record needs its " + field}
	case len(v) > maxRecordID:
		return "", &DecodeError{Line: row.line, Field: field, Reason: fmt.Sprintf("longer than %d bytes", maxRecordID)}
	case strings.ContainsAny(v, "|\r\n\x00"):
		return "", &DecodeError{Line: row.line, Field: field, Reason: "must not contain | or line breaks"}
	}
	return v, nil
}

// channelName checks a channel: a short lower-case token, so that "Portal"
// and "portal " are one channel.
func channelName(row *cdrRow) (string, *DecodeError) {
	v := strings.ToLower(row.value("channel"))
	if len(v) > maxChannelLen {
		return "", &DecodeError{Line: row.line, Field: "channel", Reason: fmt.Sprintf("%q is longer than %d bytes", clip(v), maxChannelLen)}
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return "", &DecodeError{Line: row.line, Field: "channel", Reason: fmt.Sprintf("%q is not a channel name (letters, digits, - and _; the map's values may translate the tool's names)", clip(v))}
		}
	}
	return v, nil
}

// recordTime reads a time field by the map's layout (cdrTime) and checks it
// with CheckTime; ok is false when it is empty.
func recordTime(row *cdrRow, opt *DecodeOptions, field string) (t time.Time, ok bool, derr *DecodeError) {
	s := row.field(field)
	if s == "" {
		return time.Time{}, false, nil
	}
	loc := row.m.Location
	if loc == nil {
		loc = opt.Location
	}
	t, _, reason := cdrTime(s, row.m.TimeFormat, loc)
	if reason == "" {
		reason = opt.CheckTime(t)
	}
	if reason != "" {
		return time.Time{}, false, &DecodeError{Line: row.line, Field: field, Reason: reason}
	}
	return t, true, nil
}

func contactRow(row *cdrRow, opt *DecodeOptions) (Event, *DecodeError) {
	id, derr := recordText(row, "id", true)
	if derr != nil {
		return Event{}, derr
	}
	desk, derr := recordText(row, "desk", true)
	if derr != nil {
		return Event{}, derr
	}
	ch, derr := channelName(row)
	if derr != nil {
		return Event{}, derr
	}
	switch ch {
	case "":
		return Event{}, &DecodeError{Line: row.line, Field: "channel", Reason: "empty: every contact needs its channel (portal, e-mail, chat, …)"}
	case ChannelPhone:
		return Event{}, &DecodeError{Line: row.line, Field: "channel", Reason: "phone contacts are not posted: they are the desk's answered calls or its cases registered as phone (the desk's phone setting)"}
	}
	t, ok, derr := recordTime(row, opt, "time")
	if derr != nil {
		return Event{}, derr
	}
	if !ok {
		return Event{}, &DecodeError{Line: row.line, Field: "time", Reason: "empty: every contact needs its time"}
	}
	e := Event{Switch: opt.Switch, Source: SourceContact, Verb: VerbContact, Time: t, CallID: id, Queue: desk, Agent: ch, Line: row.line}
	e.ID = EventID(&e)
	return e, nil
}

func caseRow(row *cdrRow, opt *DecodeOptions) (Event, *DecodeError) {
	bad := func(field, reason string) (Event, *DecodeError) {
		return Event{}, &DecodeError{Line: row.line, Field: field, Reason: reason}
	}
	id, derr := recordText(row, "id", true)
	if derr != nil {
		return Event{}, derr
	}
	desk, derr := recordText(row, "desk", true)
	if derr != nil {
		return Event{}, derr
	}
	ch, derr := channelName(row)
	if derr != nil {
		return Event{}, derr
	}
	crit := ""
	if v := row.value("criticality"); v != "" {
		c, ok := criticalityWords[strings.ToLower(v)]
		if !ok {
			return bad("criticality", fmt.Sprintf("%q is not a criticality (critical, high, medium, normal; the map's values may translate the tool's names)", clip(v)))
		}
		crit = c
	}
	var times [4]time.Time
	var has [4]bool
	for i, f := range []string{"opened", "resolved", "reopened", "updated"} {
		t, ok, derr := recordTime(row, opt, f)
		if derr != nil {
			return Event{}, derr
		}
		times[i], has[i] = t, ok
	}
	opened, resolved, reopened, updated := times[0], times[1], times[2], times[3]
	if !has[0] {
		return bad("opened", "empty: every case needs the time it was opened")
	}
	if has[1] && resolved.Before(opened) {
		return bad("resolved", "before opened")
	}
	if has[2] && reopened.Before(opened) {
		return bad("reopened", "before opened")
	}
	if !has[3] {
		// A state without its own time stands at its latest change.
		updated = opened
		for i := 1; i < 3; i++ {
			if has[i] && times[i].After(updated) {
				updated = times[i]
			}
		}
	} else if updated.Before(opened) {
		return bad("updated", "before opened")
	}
	fc := ""
	if v := row.value("first_contact"); v != "" {
		b, ok := cdrBool(v)
		if !ok {
			switch strings.ToLower(v) {
			case "ja":
				b, ok = true, true
			case "nej":
				b, ok = false, true
			}
		}
		if !ok {
			return bad("first_contact", fmt.Sprintf("%q is not true/false, 1/0 or yes/no", clip(v)))
		}
		fc = "0"
		if b {
			fc = "1"
		}
	}
	reopens := ""
	if v := row.field("reopen_count"); v != "" {
		n, err := strconv.ParseUint(v, 10, 16)
		if err != nil {
			return bad("reopen_count", fmt.Sprintf("%q is not a whole number from 0 to 65535", clip(v)))
		}
		reopens = strconv.FormatUint(n, 10)
	}
	data5 := reopens
	if has[2] {
		data5 += "|" + strconv.FormatInt(reopened.Unix(), 10)
	}
	resolvedS := ""
	if has[1] {
		resolvedS = strconv.FormatInt(resolved.Unix(), 10)
	}
	e := Event{Switch: opt.Switch, Source: SourceCase, Verb: VerbCase, Time: updated, CallID: id, Queue: desk, Agent: ch, Line: row.line,
		Data: [5]string{crit, strconv.FormatInt(opened.Unix(), 10), resolvedS, fc, data5}}
	e.ID = EventID(&e)
	return e, nil
}

// Contact is one contact as the store keeps it (an Event of SourceContact).
type Contact struct {
	System, ID, Desk, Channel string
	Time                      time.Time
	EventID                   uint64
}

// ContactOf reads a contact event; false for any other event.
func ContactOf(e *Event) (Contact, bool) {
	if e.Source != SourceContact || e.Verb != VerbContact {
		return Contact{}, false
	}
	return Contact{System: e.Switch, ID: e.CallID, Desk: e.Queue, Channel: e.Agent, Time: e.Time.UTC(), EventID: e.ID}, true
}

// CaseState is one state of a case as the store keeps it (an Event of
// SourceCase). Resolved and Reopened are zero when not known; FirstContact
// is 1, 0 or -1 (unknown); ReopenCount is -1 when not known.
type CaseState struct {
	System, ID, Desk, Channel, Criticality string
	Opened, Resolved, Reopened, Updated    time.Time
	FirstContact                           int8
	ReopenCount                            int
	EventID                                uint64
}

// CaseStateOf reads a case event; false for any other event, or one whose
// data are not what DecodeCases writes.
func CaseStateOf(e *Event) (CaseState, bool) {
	if e.Source != SourceCase || e.Verb != VerbCase {
		return CaseState{}, false
	}
	c := CaseState{System: e.Switch, ID: e.CallID, Desk: e.Queue, Channel: e.Agent, Criticality: e.Data[0],
		Updated: e.Time.UTC(), FirstContact: -1, ReopenCount: -1, EventID: e.ID}
	unix := func(s string) (time.Time, bool) {
		if s == "" {
			return time.Time{}, true
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 || n > maxEpoch {
			return time.Time{}, false
		}
		return time.Unix(n, 0).UTC(), true
	}
	var ok1, ok2, ok3 bool
	c.Opened, ok1 = unix(e.Data[1])
	c.Resolved, ok2 = unix(e.Data[2])
	count, reopened, _ := strings.Cut(e.Data[4], "|")
	c.Reopened, ok3 = unix(reopened)
	if !ok1 || !ok2 || !ok3 || c.Opened.IsZero() {
		return CaseState{}, false
	}
	switch e.Data[3] {
	case "1":
		c.FirstContact = 1
	case "0":
		c.FirstContact = 0
	}
	if n, err := strconv.Atoi(count); err == nil {
		c.ReopenCount = n
	}
	return c, true
}

// Event returns the case state as its event (the inverse of CaseStateOf).
func (c *CaseState) Event() Event {
	fc := ""
	switch c.FirstContact {
	case 1:
		fc = "1"
	case 0:
		fc = "0"
	}
	data5 := ""
	if c.ReopenCount >= 0 {
		data5 = strconv.Itoa(c.ReopenCount)
	}
	if !c.Reopened.IsZero() {
		data5 += "|" + strconv.FormatInt(c.Reopened.Unix(), 10)
	}
	resolved := ""
	if !c.Resolved.IsZero() {
		resolved = strconv.FormatInt(c.Resolved.Unix(), 10)
	}
	e := Event{Switch: c.System, Source: SourceCase, Verb: VerbCase, Time: c.Updated, CallID: c.ID, Queue: c.Desk, Agent: c.Channel,
		Data: [5]string{c.Criticality, strconv.FormatInt(c.Opened.Unix(), 10), resolved, fc, data5}}
	e.ID = EventID(&e)
	return e
}

// IsContactOrCase reports whether e is a contact or a case: the store keeps
// them in tables of their own, never among the switches' events.
func IsContactOrCase(e *Event) bool {
	return e.Source == SourceContact || e.Source == SourceCase
}
