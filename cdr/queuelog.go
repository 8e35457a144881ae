package cdr

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// The queue_log verbs of research/acd-anchors.md §2a, and where each carries a
// waiting or talking time that the builder reads. Every verb below is
// accepted, and so is any other verb that is a plain word (custom verbs such as
// DID, FULL, JOINEMPTY, JOINUNAVAIL, CLOSED, INFO and PBXware's OUT*): they are
// stored as facts, and the builder ignores what it does not know.
//
//	verb                     data1          data2        data3         data4        data5
//	ENTERQUEUE               url            callerid     origposition  [cid name]
//	CONNECT                  holdtime WAIT  member uid   ringtime
//	COMPLETECALLER/-AGENT    holdtime WAIT  calltime TALK origposition
//	ABANDON                  position       origposition waittime WAIT
//	EXITWITHTIMEOUT          position       origposition waittime WAIT
//	EXITEMPTY                position       origposition waittime WAIT
//	EXITWITHKEY              key            position     origposition  waittime WAIT
//	WITHDRAW                 position       origposition waittime WAIT info
//	TRANSFER/BLINDTRANSFER   extension      context      holdtime      calltime     origposition
//	ATTENDEDTRANSFER         BRIDGE|APP|LINK …           holdtime      calltime     origposition
//	RINGNOANSWER/RINGCANCELED ring ms
//	AGENTDUMP SYSCOMPAT ADDMEMBER REMOVEMEMBER PAUSE UNPAUSE PAUSEALL UNPAUSEALL
//	PENALTY RINGINUSE AGENTLOGIN AGENTLOGOFF AGENTCALLBACKLOGIN AGENTCALLBACKLOGOFF
//	OUTCALL QUEUESTART CONFIGRELOAD: free parameters, nothing checked.
//
// Only the WAIT and TALK fields are checked: a WAIT must be a whole number,
// a TALK a whole number from 0 to 24 h. A WAIT that is negative or over 24 h
// is a fact of the log, kept: METRICS.md refuses the stay it belongs to, not
// the line, so the builder marks that stay invalid (QueueCall.Invalid) and it
// is not counted, where refusing the line here would leave its ENTERQUEUE
// alone to be counted as unknown. The transfer holdtimes are not checked,
// because the ATTENDEDTRANSFER LINK form shifts them one field to the right.
var qlVerbs = map[string][]qlTimeField{
	"ENTERQUEUE":          nil,
	"CONNECT":             {{0, "wait"}},
	"COMPLETECALLER":      {{0, "wait"}, {1, "talk"}},
	"COMPLETEAGENT":       {{0, "wait"}, {1, "talk"}},
	"ABANDON":             {{2, "wait"}},
	"EXITWITHTIMEOUT":     {{2, "wait"}},
	"EXITEMPTY":           {{2, "wait"}},
	"EXITWITHKEY":         {{3, "wait"}},
	"WITHDRAW":            {{2, "wait"}},
	"TRANSFER":            nil,
	"BLINDTRANSFER":       nil,
	"ATTENDEDTRANSFER":    nil,
	"RINGNOANSWER":        nil,
	"RINGCANCELED":        nil,
	"AGENTDUMP":           nil,
	"SYSCOMPAT":           nil,
	"ADDMEMBER":           nil,
	"REMOVEMEMBER":        nil,
	"PAUSE":               nil,
	"UNPAUSE":             nil,
	"PAUSEALL":            nil,
	"UNPAUSEALL":          nil,
	"PENALTY":             nil,
	"RINGINUSE":           nil,
	"AGENTLOGIN":          nil,
	"AGENTLOGOFF":         nil,
	"AGENTCALLBACKLOGIN":  nil,
	"AGENTCALLBACKLOGOFF": nil,
	"OUTCALL":             nil,
	"QUEUESTART":          nil,
	"CONFIGRELOAD":        nil,
}

// qlTimeField names a data field (0-based) that holds seconds of waiting or
// talking.
type qlTimeField struct {
	idx  int
	what string // "wait" or "talk"
}

// qlMaxVerbLen bounds a queue_log verb.
const qlMaxVerbLen = 64

// qlFileFields are the names of the fixed fields of the file form, used to name
// the first missing one.
var qlFileFields = [...]string{"time", "callid", "queuename", "agent", "event"}

var qlDataNames = [5]string{"data1", "data2", "data3", "data4", "data5"}

// DecodeQueueLog decodes the pipe-separated queue_log file that Asterisk
// writes, one event per line:
//
//	epoch|callid|queuename|agent|EVENT|data1|data2|…
//
// The epoch is unix seconds, optionally with a fraction (kept in Micros).
// Parameters beyond the fifth are joined with "|" into Data[4], as Asterisk's
// adaptive DB mode stores them. Blank lines are skipped; CRLF endings are
// accepted; a line longer than opt.MaxLineBytes is rejected (its Raw holds
// only its first bytes) and decoding goes on with the next line. Line numbers
// are 1-based and count every line, blank ones included.
//
// fn is called every opt.BatchSize input lines and once at the end when
// anything is pending; it must not retain the batch's slices. When reading r
// fails, the pending batch is dropped and the error returned.
func DecodeQueueLog(r io.Reader, opt DecodeOptions, fn func(Batch) error) error {
	opt = opt.withDefaults()
	size := opt.MaxLineBytes + 2 // room for "\r\n"
	br := bufio.NewReaderSize(r, size)
	q := &batcher{fn: fn, size: opt.BatchSize}
	line := 0
	for {
		buf, err := br.ReadSlice('\n')
		if len(buf) > 0 {
			line++
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			raw := string(buf[:min(len(buf), maxRawBytes)])
			for errors.Is(err, bufio.ErrBufferFull) {
				_, err = br.ReadSlice('\n')
			}
			if err != nil && err != io.EOF {
				return fmt.Errorf("cannot read queue_log: %w", err)
			}
			q.reject(qlTooLong(line, raw, opt.MaxLineBytes))
			if ferr := q.line(); ferr != nil {
				return ferr
			}
			if err == io.EOF {
				break
			}
			continue
		}
		if err != nil && err != io.EOF {
			return fmt.Errorf("cannot read queue_log: %w", err)
		}
		if len(buf) > 0 {
			b := qlTrimEOL(buf)
			if line == 1 {
				b = qlTrimBOM(b)
			}
			switch {
			case len(b) > opt.MaxLineBytes:
				q.reject(qlTooLong(line, string(b[:min(len(b), maxRawBytes)]), opt.MaxLineBytes))
			case qlBlank(b):
			default:
				e, derr := qlDecodeLine(string(b), line, &opt)
				if derr != nil {
					q.reject(derr)
				} else {
					q.event(e)
				}
			}
			if ferr := q.line(); ferr != nil {
				return ferr
			}
		}
		if err == io.EOF {
			break
		}
	}
	return q.flush()
}

func qlTooLong(line int, raw string, limit int) *DecodeError {
	return &DecodeError{Line: line, Reason: fmt.Sprintf("line is longer than %d bytes", limit), Raw: raw}
}

func qlTrimEOL(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
	}
	if n := len(b); n > 0 && b[n-1] == '\r' {
		b = b[:n-1]
	}
	return b
}

func qlTrimBOM(b []byte) []byte {
	if len(b) >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF {
		return b[3:]
	}
	return b
}

func qlBlank(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\r' {
			return false
		}
	}
	return true
}

// qlDecodeLine decodes one non-blank line of the file form.
func qlDecodeLine(s string, line int, opt *DecodeOptions) (Event, *DecodeError) {
	// The five fixed fields, then whatever follows the fifth '|' as data.
	var f [5]string
	rest := s
	n, hasData := 0, false
	for n < 5 {
		i := strings.IndexByte(rest, '|')
		if i < 0 {
			f[n], rest = rest, ""
			n++
			break
		}
		f[n], rest = rest[:i], rest[i+1:]
		n++
		hasData = n == 5
	}
	if n < 5 {
		return Event{}, &DecodeError{Line: line, Field: qlFileFields[n],
			Reason: fmt.Sprintf("too few fields: %d of at least 5", n), Raw: s}
	}
	e := Event{Line: line, Source: SourceQueueLog}
	sec, micros, reason := qlParseEpoch(strings.TrimSpace(f[0]))
	if reason != "" {
		return Event{}, &DecodeError{Line: line, Field: "time", Reason: reason, Raw: s}
	}
	e.Time = time.Unix(sec, 0).UTC()
	e.Micros = micros
	e.CallID, e.Queue, e.Agent, e.Verb = f[1], f[2], f[3], f[4]
	if hasData {
		for i, d := range strings.SplitN(rest, "|", 5) {
			e.Data[i] = d
		}
	}
	if field, reason := qlFinish(&e, opt, qlFileFields[:], qlDataNames); reason != "" {
		return Event{}, &DecodeError{Line: line, Field: field, Reason: reason, Raw: s}
	}
	return e, nil
}

// qlFinish trims and checks what both forms share, stamps the switch and
// computes the id. names are the source's names of time, callid, queue, agent
// and event; dataNames those of the source fields behind Data. A refusal is
// returned as the field to blame and a non-empty reason.
func qlFinish(e *Event, opt *DecodeOptions, names []string, dataNames [5]string) (field, reason string) {
	if reason := opt.CheckTime(e.Time.Add(time.Duration(e.Micros) * time.Microsecond)); reason != "" {
		return names[0], reason
	}
	e.CallID = strings.TrimSpace(e.CallID)
	if e.CallID == "" {
		return names[1], "empty call id"
	}
	e.Queue = strings.TrimSpace(e.Queue)
	e.Agent = strings.TrimSpace(e.Agent)
	e.Verb = strings.ToUpper(strings.TrimSpace(e.Verb))
	if e.Verb == "" {
		return names[4], "empty event"
	}
	if reason := qlCheckVerb(e.Verb); reason != "" {
		return names[4], reason
	}
	for i := range e.Data {
		e.Data[i] = strings.TrimSpace(e.Data[i])
	}
	for _, tf := range qlVerbs[e.Verb] {
		if reason := qlCheckSeconds(e.Data[tf.idx], tf.what); reason != "" {
			return dataNames[tf.idx], reason
		}
	}
	e.Switch = opt.Switch
	e.ID = EventID(e)
	return "", ""
}

// qlCheckVerb accepts a plain word: letters, digits, '_' and '-'.
func qlCheckVerb(v string) string {
	if len(v) > qlMaxVerbLen {
		return fmt.Sprintf("event is longer than %d characters", qlMaxVerbLen)
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if (c < 'A' || c > 'Z') && (c < '0' || c > '9') && c != '_' && c != '-' {
			return fmt.Sprintf("event %q is not a word of letters, digits, _ and -", v)
		}
	}
	return ""
}

// qlCheckSeconds checks a wait or talk field: empty, or whole seconds; a
// talk from 0 to 24 h (a wait out of that range is the builder's to judge).
func qlCheckSeconds(s, what string) string {
	if s == "" {
		return ""
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Sprintf("%s %q is not a whole number of seconds", what, s)
	}
	if what == "wait" {
		return ""
	}
	if n < 0 {
		return fmt.Sprintf("%s %d s is negative", what, n)
	}
	if n > maxSeconds {
		return fmt.Sprintf("%s %d s is over 24 h", what, n)
	}
	return ""
}

// qlParseEpoch reads unix seconds with an optional fraction ("1366720340" or
// "1366720340.123"). It returns a reason when s is not such a number.
func qlParseEpoch(s string) (sec int64, micros uint32, reason string) {
	if s == "" {
		return 0, 0, "empty time"
	}
	whole, frac, hasFrac := strings.Cut(s, ".")
	if whole == "" || !allDigits(whole) || (hasFrac && (frac == "" || !allDigits(frac))) {
		return 0, 0, fmt.Sprintf("time %q is not unix seconds", clip(s))
	}
	sec, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || sec > maxEpoch {
		return 0, 0, fmt.Sprintf("time %q is out of range (unix seconds up to %d; milliseconds?)", clip(s), int64(maxEpoch))
	}
	for i := 0; i < 6; i++ {
		micros *= 10
		if i < len(frac) {
			micros += uint32(frac[i] - '0')
		}
	}
	return sec, micros, ""
}
