package cdr

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Measurements of system response times (systems.go) come in two formats,
// each as CSV with a header or as JSON (one object, an array of objects, or
// objects one after another), told apart by the first character:
//
//	probes        one timed action per record (synthetic monitoring)
//	probe_months  a month's compliance per system and location
//
// The columns (CSV) or keys (JSON) of probes:
//
//	system        required: the system, as the key under systems: names it
//	location      required: where the probe ran (a hospital)
//	action        required: the action timed (login, search)
//	time          required: when; RFC 3339, unix seconds, or a local
//	              "2006-01-02 15:04:05" in the switch's zone (opt.Location);
//	              fractions of a second are kept
//	duration_ms   how long the action took, in milliseconds (up to 3
//	duration_s    decimals), or in seconds (up to 6): one of them, required
//	              unless ok is false
//	class         optional: the threshold class (standard, data_heavy, or a
//	              class of the system's settings)
//	threshold_ms  optional: the probe's own threshold, which wins over any
//	threshold_s   class
//	ok            optional: false where the action failed (an error, a
//	              timeout): measured, and not within its threshold
//	id            optional: the tool's own id of the measurement
//
// and of probe_months:
//
//	system        required
//	location      optional: empty for the system as a whole
//	month         required: YYYY-MM, a month of the system's zone
//	compliance    the share within threshold in percent (99.72; a decimal
//	              comma and a trailing % are read too; N/A or a dash for a
//	              month without measurements, which is skipped), or
//	measured and  the timed actions and those within their threshold
//	within
//
// Unknown columns and keys are refused, so that a misspelt one is not
// silently lost; a refused CSV header ends the input. Every refusal names
// its line (the CSV line, or the position of the JSON object) and field.
//
// A probe is an event of Source SourceProbe and a month's figure one of
// SourceProbeMonth, so they take the path of every intake (the spool, the
// writer) and a resent one is the same fact (EventID); the store keeps them
// in tables of their own (store.InsertEvents), not among the switches'
// events:
//
//	verb         CallID  Queue     Agent   data1         data2     data3         data4     data5
//	PROBE        system  location  action  duration µs   class     threshold µs  probe id  "0" failed, "" ok
//	PROBE_MONTH  system  location  ""      compliance %  measured  within
//
// A month's figure has as Time its month's label (MonthLabel): the first
// day at 00:00 UTC.

// The formats, sources and verbs of measurements.
const (
	FormatProbes      = "probes"
	FormatProbeMonths = "probe_months"
	SourceProbe       = "probe"
	SourceProbeMonth  = "probe_month"
	VerbProbe         = "PROBE"
	VerbProbeMonth    = "PROBE_MONTH"
)

// Limits of the fields of measurements.
const (
	probeMaxText = 256 // system, location, action
	probeMaxID   = 128
	probeMaxUS   = maxSeconds * 1_000_000 // a duration or threshold over 24 h is no response time
)

// probeTable describes one measurement format for decodeTable.
type probeTable struct {
	what     string   // "probe", for refusals
	columns  []string // the columns and keys, in the order documentation lists them
	required []string // those every header must have
	// needs says, for a header without a required column, what the
	// format needs.
	needs string
	// event makes the event of one record, whose fields are given by
	// column (absent or empty: not in v).
	event func(v map[string]string, opt *DecodeOptions) (Event, *DecodeError)
}

var probesTable = probeTable{
	what:     "probe",
	columns:  []string{"system", "location", "action", "time", "duration_ms", "duration_s", "class", "threshold_ms", "threshold_s", "ok", "id"},
	required: []string{"system", "location", "action", "time"},
	needs:    "probes need system, location, action, time and duration_ms or duration_s",
	event:    probeEvent,
}

var probeMonthsTable = probeTable{
	what:     "month's figure",
	columns:  []string{"system", "location", "month", "compliance", "measured", "within"},
	required: []string{"system", "month"},
	needs:    "a month's figures need system, month, and compliance or measured and within",
	event:    probeMonthEvent,
}

// DecodeProbes decodes probe results (format probes, above) into events of
// Source SourceProbe.
func DecodeProbes(r io.Reader, opt DecodeOptions, fn func(Batch) error) error {
	return decodeTable(r, opt, fn, &probesTable)
}

// DecodeProbeMonths decodes a month's figures per system and location
// (format probe_months, above) into events of Source SourceProbeMonth.
func DecodeProbeMonths(r io.Reader, opt DecodeOptions, fn func(Batch) error) error {
	return decodeTable(r, opt, fn, &probeMonthsTable)
}

// decodeTable reads a measurement format as JSON where its first character
// (after a byte order mark and blanks) is '{' or '[', else as CSV with a
// header.
func decodeTable(r io.Reader, opt DecodeOptions, fn func(Batch) error, tb *probeTable) error {
	opt = opt.withDefaults()
	br := bufio.NewReader(r)
	first, err := firstByte(br)
	if err != nil {
		return fmt.Errorf("cannot read %ss: %w", tb.what, err)
	}
	if first == '{' || first == '[' {
		return jsonRecords(br, &opt, fn, tb.what, func(raw json.RawMessage, rec int, q *batcher) *DecodeError {
			v, derr := tb.jsonFields(raw)
			if derr != nil {
				return derr
			}
			e, derr := tb.event(v, &opt)
			if derr == nil && e.Verb != "" {
				e.Line = rec
				q.event(e)
			}
			return derr
		})
	}
	var cols []string
	return csvRecords(br, &opt, fn, csvInput{
		what: tb.what + "s",
		header: func(rec []string, perr *csv.ParseError) *DecodeError {
			if perr != nil {
				return &DecodeError{Field: "header", Reason: "bad csv: " + perr.Err.Error()}
			}
			var derr *DecodeError
			cols, derr = tb.header(rec)
			return derr
		},
		record: func(rec []string, _ int, _ []byte) (Event, *DecodeError) {
			if len(rec) != len(cols) {
				return Event{}, &DecodeError{Reason: fmt.Sprintf("%d fields; the header has %d (%s)", len(rec), len(cols), strings.Join(cols, ","))}
			}
			v := make(map[string]string, len(cols))
			for i, c := range cols {
				if s := strings.TrimSpace(rec[i]); s != "" {
					v[c] = s
				}
			}
			return tb.event(v, &opt)
		},
	})
}

// firstByte returns the first byte of br that is not a blank or a byte
// order mark (0 for an empty input), leaving it unread; a byte order mark
// before it is consumed.
func firstByte(br *bufio.Reader) (byte, error) {
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, []byte("\ufeff")) {
		_, _ = br.Discard(3)
	}
	for n := 1; ; n++ {
		b, err := br.Peek(n)
		if len(b) < n {
			if err == io.EOF {
				return 0, nil
			}
			if err == bufio.ErrBufferFull {
				return b[len(b)-1], nil
			}
			return 0, err
		}
		if c := b[n-1]; c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			return c, nil
		}
	}
}

// header checks a CSV header and returns its column names.
func (tb *probeTable) header(rec []string) ([]string, *DecodeError) {
	cols := make([]string, len(rec))
	for i, f := range rec {
		c := strings.ToLower(strings.TrimSpace(f))
		switch {
		case !slices.Contains(tb.columns, c):
			name := c
			if name == "" || len(name) > 64 || !utf8.ValidString(name) {
				name = "header"
			}
			return nil, &DecodeError{Field: name, Reason: fmt.Sprintf("unknown column %q: %ss have the columns %s", clip(f), tb.what, strings.Join(tb.columns, ", "))}
		case slices.Contains(cols[:i], c):
			return nil, &DecodeError{Field: c, Reason: "the column is named twice in the header"}
		}
		cols[i] = c
	}
	for _, c := range tb.required {
		if !slices.Contains(cols, c) {
			return nil, &DecodeError{Field: c, Reason: fmt.Sprintf("the header has no %s column (%s)", c, tb.needs)}
		}
	}
	return cols, nil
}

// jsonFields reads one JSON object into its fields as text: a string as it
// is, a number as written, a boolean as true or false; null is left out.
func (tb *probeTable) jsonFields(raw json.RawMessage) (map[string]string, *DecodeError) {
	var obj map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&obj); err != nil {
		return nil, &DecodeError{Field: "json", Reason: fmt.Sprintf("not a %s object: %v", tb.what, err)}
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	slices.Sort(keys) // the first unknown key by name, whatever the map's order
	v := make(map[string]string, len(obj))
	for _, k := range keys {
		if !slices.Contains(tb.columns, k) {
			name := k
			if name == "" || len(name) > 64 {
				name = "json"
			}
			return nil, &DecodeError{Field: name, Reason: fmt.Sprintf("unknown field %q: a %s has %s", clip(k), tb.what, strings.Join(tb.columns, ", "))}
		}
		val := bytes.TrimSpace(obj[k])
		var s string
		switch {
		case len(val) == 0 || string(val) == "null":
			continue
		case val[0] == '"':
			if err := json.Unmarshal(val, &s); err != nil {
				return nil, &DecodeError{Field: k, Reason: "not a JSON string: " + err.Error()}
			}
		case string(val) == "true" || string(val) == "false":
			s = string(val)
		case val[0] == '-' || val[0] >= '0' && val[0] <= '9':
			s = string(val)
		default:
			return nil, &DecodeError{Field: k, Reason: "must be a string, a number or true/false, not " + jsonKind(val)}
		}
		if s = strings.TrimSpace(s); s != "" {
			v[k] = s
		}
	}
	return v, nil
}

// probeEvent makes the event of one probe.
func probeEvent(v map[string]string, opt *DecodeOptions) (Event, *DecodeError) {
	e := Event{Switch: opt.Switch, Source: SourceProbe, Verb: VerbProbe}
	var derr *DecodeError
	if e.CallID, derr = probeText(v, "system", probeMaxText, true); derr != nil {
		return e, derr
	}
	if e.Queue, derr = probeText(v, "location", probeMaxText, true); derr != nil {
		return e, derr
	}
	if e.Agent, derr = probeText(v, "action", probeMaxText, true); derr != nil {
		return e, derr
	}
	ok := true
	if s, has := v["ok"]; has {
		b, good := parseFlag(s)
		if !good {
			return e, &DecodeError{Field: "ok", Reason: fmt.Sprintf("%q is not true or false (also 1/0, yes/no)", clip(s))}
		}
		ok = b
	}
	dur, has, derr := probeMicros(v, "duration", "how long the action took")
	switch {
	case derr != nil:
		return e, derr
	case has:
		e.Data[0] = strconv.FormatInt(dur, 10)
	case ok:
		return e, &DecodeError{Field: "duration_ms", Reason: "is required (or duration_s): how long the action took; a failed action has ok false"}
	}
	if c, has := v["class"]; has {
		c = NormalClass(c)
		if !validClass(c) {
			return e, &DecodeError{Field: "class", Reason: fmt.Sprintf("%q is not a class name (letters, digits and _, up to 64; e.g. standard, data_heavy)", clip(v["class"]))}
		}
		e.Data[1] = c
	}
	th, has, derr := probeMicros(v, "threshold", "the probe's own threshold")
	switch {
	case derr != nil:
		return e, derr
	case has && th == 0:
		return e, &DecodeError{Field: thresholdField(v), Reason: "must be more than 0"}
	case has:
		e.Data[2] = strconv.FormatInt(th, 10)
	}
	if e.Data[3], derr = probeText(v, "id", probeMaxID, false); derr != nil {
		return e, derr
	}
	if !ok {
		e.Data[4] = "0"
	}
	s, has := v["time"]
	if !has {
		return e, &DecodeError{Field: "time", Reason: `is required: RFC 3339, unix seconds or a local "2006-01-02 15:04:05"`}
	}
	t, micros, reason := probeTime(s, opt.Location)
	if reason == "" {
		reason = opt.CheckTime(t)
	}
	if reason != "" {
		return e, &DecodeError{Field: "time", Reason: reason}
	}
	e.Time, e.Micros = t, micros
	e.ID = EventID(&e)
	return e, nil
}

// probeMonthEvent makes the event of one month's figure.
func probeMonthEvent(v map[string]string, opt *DecodeOptions) (Event, *DecodeError) {
	e := Event{Switch: opt.Switch, Source: SourceProbeMonth, Verb: VerbProbeMonth}
	var derr *DecodeError
	if e.CallID, derr = probeText(v, "system", probeMaxText, true); derr != nil {
		return e, derr
	}
	if e.Queue, derr = probeText(v, "location", probeMaxText, false); derr != nil {
		return e, derr
	}
	s, has := v["month"]
	if !has {
		return e, &DecodeError{Field: "month", Reason: "is required: YYYY-MM, e.g. 2016-10"}
	}
	m, err := time.Parse("2006-01", s)
	if err != nil || m.Format("2006-01") != s {
		return e, &DecodeError{Field: "month", Reason: fmt.Sprintf("%q is not a month (use YYYY-MM, e.g. 2016-10)", clip(s))}
	}
	comp, hasComp := v["compliance"]
	measured, hasM := v["measured"]
	within, hasW := v["within"]
	switch {
	case hasComp && (hasM || hasW):
		return e, &DecodeError{Field: "compliance", Reason: "give compliance or measured and within, not both"}
	case hasComp && noFigure(comp):
		// The tool measured nothing that month: no figure, and nothing
		// wrong with the line (the month stays N/A).
		return Event{}, nil
	case hasComp:
		c, reason := percentText(comp)
		if reason != "" {
			return e, &DecodeError{Field: "compliance", Reason: reason}
		}
		e.Data[0] = c
	case hasM != hasW:
		missing, given := "within", "measured"
		if hasW {
			missing, given = "measured", "within"
		}
		return e, &DecodeError{Field: missing, Reason: "is required with " + given + ": give both counts, or compliance"}
	case hasM:
		n, err1 := strconv.ParseUint(measured, 10, 64)
		w, err2 := strconv.ParseUint(within, 10, 64)
		switch {
		case err1 != nil || n == 0:
			return e, &DecodeError{Field: "measured", Reason: fmt.Sprintf("%q is not a whole number of timed actions above 0", clip(measured))}
		case err2 != nil:
			return e, &DecodeError{Field: "within", Reason: fmt.Sprintf("%q is not a whole number of timed actions", clip(within))}
		case w > n:
			return e, &DecodeError{Field: "within", Reason: fmt.Sprintf("%d is more than measured (%d)", w, n)}
		}
		e.Data[1], e.Data[2] = strconv.FormatUint(n, 10), strconv.FormatUint(w, 10)
	default:
		return e, &DecodeError{Field: "compliance", Reason: "is required: the month's share within threshold in percent (99.72), or measured and within"}
	}
	e.Time = m
	// A month's figure is a summary that is kept like the rollups, not a
	// raw event that the raw-event retention drops: a figure for a month
	// long past is what a tool's export holds, so Oldest does not apply;
	// the rest of CheckTime does (storable, a month that has begun).
	o := *opt
	o.Oldest = time.Time{}
	if reason := o.CheckTime(m); reason != "" {
		return e, &DecodeError{Field: "month", Reason: reason}
	}
	e.ID = EventID(&e)
	return e, nil
}

// probeText reads a text field: blanks around it are dropped; it must be
// valid UTF-8 without control characters and at most max bytes; empty is
// refused where required.
func probeText(v map[string]string, field string, max int, required bool) (string, *DecodeError) {
	s := v[field]
	switch {
	case s == "" && required:
		return "", &DecodeError{Field: field, Reason: "is required"}
	case len(s) > max:
		return "", &DecodeError{Field: field, Reason: fmt.Sprintf("is longer than %d bytes", max)}
	case !utf8.ValidString(s) || strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return "", &DecodeError{Field: field, Reason: "holds control characters or is not UTF-8"}
	}
	return s, nil
}

// probeMicros reads the pair of fields NAME_ms and NAME_s as microseconds;
// has is false where neither is given. Both given is refused.
func probeMicros(v map[string]string, name, what string) (us int64, has bool, derr *DecodeError) {
	ms, hasMS := v[name+"_ms"]
	s, hasS := v[name+"_s"]
	switch {
	case hasMS && hasS:
		return 0, false, &DecodeError{Field: name + "_s", Reason: fmt.Sprintf("give %s_ms or %s_s, not both", name, name)}
	case hasMS:
		us, ok := decimalMicros(ms, 3)
		if !ok {
			return 0, false, &DecodeError{Field: name + "_ms", Reason: fmt.Sprintf("%q is not %s in milliseconds (a number of 0 or more, up to 3 decimals)", clip(ms), what)}
		}
		return limitMicros(name+"_ms", us)
	case hasS:
		us, ok := decimalMicros(s, 6)
		if !ok {
			return 0, false, &DecodeError{Field: name + "_s", Reason: fmt.Sprintf("%q is not %s in seconds (a number of 0 or more, up to 6 decimals)", clip(s), what)}
		}
		return limitMicros(name+"_s", us)
	}
	return 0, false, nil
}

func limitMicros(field string, us int64) (int64, bool, *DecodeError) {
	if us > probeMaxUS {
		return 0, false, &DecodeError{Field: field, Reason: "is over 24 hours"}
	}
	return us, true, nil
}

// thresholdField is the threshold field v gives, for a refusal.
func thresholdField(v map[string]string) string {
	if _, ok := v["threshold_ms"]; ok {
		return "threshold_ms"
	}
	return "threshold_s"
}

// decimalMicros reads a number of 0 or more with at most places decimals
// (a point, or a comma) as a whole number of 10^-places units.
func decimalMicros(s string, places int) (int64, bool) {
	if !strings.Contains(s, ".") {
		s = strings.Replace(s, ",", ".", 1)
	}
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" || len(whole) > 12 || len(frac) > places || !allDigits(whole) || !allDigits(frac) {
		return 0, false
	}
	n, err := strconv.ParseInt(whole+frac+strings.Repeat("0", places-len(frac)), 10, 64)
	return n, err == nil
}

// percentText reads a percentage from 0 to 100 (a point or a comma; a
// trailing % allowed) and returns it as canonical decimal text: no leading
// zeros, no trailing zeros after the point ("099,40 %" is "99.4"), so that
// the same figure written twice is one fact.
func percentText(s string) (string, string) {
	t := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "%"))
	if !strings.Contains(t, ".") {
		t = strings.Replace(t, ",", ".", 1)
	}
	whole, frac, _ := strings.Cut(t, ".")
	if whole == "" || len(whole) > 3 || len(frac) > 10 || !allDigits(whole) || !allDigits(frac) {
		return "", fmt.Sprintf("%q is not a percentage (e.g. 99.72)", clip(s))
	}
	whole = strings.TrimLeft(whole, "0")
	if whole == "" {
		whole = "0"
	}
	frac = strings.TrimRight(frac, "0")
	out := whole
	if frac != "" {
		out += "." + frac
	}
	if r, _ := new(big.Rat).SetString(out); r.Cmp(big.NewRat(100, 1)) > 0 {
		return "", fmt.Sprintf("%s is over 100 %%", out)
	}
	return out, ""
}

// noFigure says whether a compliance is written as no figure: N/A (or n/a,
// NA, a dash), as a report writes a month without measurements.
func noFigure(s string) bool {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "N/A", "NA", "-", "–":
		return true
	}
	return false
}

// parseFlag reads true/false, 1/0, yes/no (any case).
func parseFlag(s string) (bool, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "1", "yes", "y":
		return true, true
	case "false", "0", "no", "n":
		return false, true
	}
	return false, false
}

// validClass says whether c (NormalClass) is a class name.
func validClass(c string) bool {
	if c == "" || len(c) > 64 {
		return false
	}
	for i := 0; i < len(c); i++ {
		if b := c[i]; !(b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '_') {
			return false
		}
	}
	return true
}

// ValidClass says whether c, in its NormalClass form, is a class name: the
// rule of a probe's class and of the classes of the queue file.
func ValidClass(c string) bool { return validClass(NormalClass(c)) }

// probeTime reads a probe's time: unix seconds (with a fraction), RFC 3339,
// or a local "2006-01-02 15:04:05" (or with a T, and a fraction) in loc. A
// local time the clocks skipped is refused; one they repeated is the first
// (summer time), as a CDR's time is where nothing else tells. It returns the
// instant in whole seconds (UTC) and the microseconds, or a reason.
func probeTime(s string, loc *time.Location) (time.Time, uint32, string) {
	if digits := strings.Replace(s, ".", "", 1); allDigits(digits) && !strings.HasPrefix(s, ".") && !strings.HasSuffix(s, ".") {
		whole, frac, _ := strings.Cut(s, ".")
		sec, err := strconv.ParseInt(whole, 10, 64)
		if err != nil || len(whole) > 11 || sec > maxEpoch {
			return time.Time{}, 0, fmt.Sprintf("%q is out of range (unix seconds up to %d; milliseconds?)", clip(s), int64(maxEpoch))
		}
		frac = (frac + "000000")[:6]
		us, _ := strconv.ParseUint(frac, 10, 32)
		return time.Unix(sec, 0).UTC(), uint32(us), ""
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		var wall time.Time // the clock time written, read as if in UTC
		for _, layout := range []string{"2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999"} {
			if wall, err = time.Parse(layout, s); err == nil {
				t, err = time.ParseInLocation(layout, s, loc)
				break
			}
		}
		if err != nil {
			return time.Time{}, 0, fmt.Sprintf(`%q is not a time: expected RFC 3339, unix seconds or "2006-01-02 15:04:05"`, clip(s))
		}
		if first, _, ambiguous := localCandidates(t, loc); ambiguous {
			t = first
		}
		const clock = "2006-01-02 15:04:05.999999999"
		if t.In(loc).Format(clock) != wall.Format(clock) {
			return time.Time{}, 0, fmt.Sprintf("%q does not exist in %s (the clocks skipped it)", clip(s), loc)
		}
	}
	if t.Unix() < 0 || t.Unix() > maxEpoch {
		return time.Time{}, 0, fmt.Sprintf("%q is out of range", clip(s))
	}
	return t.Truncate(time.Second).UTC(), uint32(t.Nanosecond() / 1000), ""
}

// Probe is a probe event's fields, read back from its event (ProbeOf).
type Probe struct {
	ID                      uint64
	Switch                  string
	Time                    time.Time
	Micros                  uint32
	System, Location        string
	Action, Class           string
	DurationUS, ThresholdUS int64
	OK                      bool
	ProbeID                 string
}

// ProbeOf reads a probe from its event (DecodeProbes); fields the decoder
// would not have written read as zero.
func ProbeOf(e *Event) Probe {
	dur, _ := strconv.ParseInt(e.Data[0], 10, 64)
	th, _ := strconv.ParseInt(e.Data[2], 10, 64)
	return Probe{ID: e.ID, Switch: e.Switch, Time: e.Time, Micros: e.Micros, System: e.CallID, Location: e.Queue,
		Action: e.Agent, Class: e.Data[1], DurationUS: max(dur, 0), ThresholdUS: max(th, 0), OK: e.Data[4] != "0", ProbeID: e.Data[3]}
}

// ProbeMonthOf reads a month's figure from its event (DecodeProbeMonths);
// fields the decoder would not have written read as zero.
func ProbeMonthOf(e *Event) ProbeMonth {
	n, _ := strconv.ParseUint(e.Data[1], 10, 64)
	w, _ := strconv.ParseUint(e.Data[2], 10, 64)
	return ProbeMonth{System: e.CallID, Location: e.Queue, Month: MonthLabel(e.Time, time.UTC), Compliance: e.Data[0],
		Measured: n, Within: w, ID: e.ID}
}

// IsMeasurement says whether e is a probe or a month's figure, which the
// store keeps apart from the switches' events.
func IsMeasurement(e *Event) bool {
	return e.Source == SourceProbe || e.Source == SourceProbeMonth
}
