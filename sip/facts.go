package sip

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	sipmsg "github.com/emiago/sipgo/sip"

	"github.com/acdstat/acdstat/cdr"
)

// SourceSIP is the Source of every event made from a SIP message.
const SourceSIP = "sip"

// The fields of an event's Data made by Facts. Data[dataKV] is a URL query
// string (url.Values.Encode) of what correlation needs, with the keys below.
const (
	dataCallID  = 0 // the leg's own Call-ID
	dataFromTag = 1
	dataToTag   = 2
	dataCSeq    = 3 // number and method, e.g. "1 INVITE"
	dataKV      = 4
)

// Keys of Data[4].
const (
	kvRURIUser = "ruri"  // Request-URI user (requests)
	kvToUser   = "to"    // To user
	kvFromUser = "from"  // From user (the caller number on an INVITE)
	kvQueue    = "q"     // the queue header's value
	kvLink     = "link"  // the linking header's value or the HEP correlation id
	kvEnter    = "enter" // the queue-entry header's value
	kvSrc      = "src"   // source address of the packet as captured
	kvDst      = "dst"
)

// ErrIgnored is returned by Facts for a message that plays no part in a
// call's queue figures (OPTIONS, REGISTER, NOTIFY, 100 Trying, …); the
// listeners count it and drop it, it is not a reject.
var ErrIgnored = errors.New("sip: message not needed")

// ErrSIP is wrapped by every error of Facts for a message that cannot be
// read as SIP.
var ErrSIP = errors.New("sip: invalid SIP message")

// Meta is what the transport knows of a message.
type Meta struct {
	// Switch the event belongs to.
	Switch string
	// Time is the capture time (HEP) or else the arrival time.
	Time     time.Time
	Src, Dst netip.AddrPort
	// Correlation is the HEP correlation id (chunk 0x0011), if any.
	Correlation string
	// Headers names the switch's headers to read; empty names are not read.
	Headers Headers
}

// Headers names the headers a switch may set (DESIGN.md settings
// ACDSTAT_SIP_*_HEADER). Intake's listener settings compose it, so the
// variables are read with them.
type Headers struct {
	// Queue names the queue the call entered, e.g. X-Queue.
	Queue string `env:"SIP_QUEUE_HEADER"`
	// Link carries, on an agent leg, the caller leg's Call-ID, e.g.
	// X-Caller-Call-ID.
	Link string `env:"SIP_LINK_HEADER"`
	// Enter is the queue-entry time (epoch seconds, with a fraction, or
	// RFC 3339).
	Enter string `env:"SIP_ENTER_HEADER"`
}

// methods are the requests that take part in a call's figures.
var methods = map[sipmsg.RequestMethod]bool{
	sipmsg.INVITE: true, sipmsg.ACK: true, sipmsg.CANCEL: true, sipmsg.BYE: true,
}

// The parser of Facts is sipgo's, told which headers to parse, and handed
// the message without the lines of headers Facts does not read. sipgo's
// default parser parses every header it knows (Via, Contact, Route, …)
// into its typed form and copies every other one into a generic header:
// most of its time and allocations went on headers Facts never reads. Facts
// reads the start line, From, To, Call-ID and CSeq, Content-Length (which
// bounds the body), and the switch's headers named by Meta.Headers; sipgo
// parses those exactly as its default parser does (their compact forms
// included). The headers of skippedHeaders are left out of what sipgo
// reads (factsReader.strip), or, in a message whose lines strip leaves
// alone, handed to skipHeader, which keeps neither name nor value. So a
// message is read, or refused, as with the default parser, but for one
// difference: a malformed header Facts does not read (a Via sipgo cannot
// parse, say) no longer refuses the message (TestFactsSameAsFullParse,
// TestFactsSkipsHeadersItDoesNotRead).
var (
	// readHeaders are the headers Facts reads through sipgo's parsers.
	readHeaders = []string{"from", "f", "to", "t", "call-id", "i", "cseq", "content-length", "l"}
	// skippedHeaders are the headers of call signalling that Facts does
	// not read: those sipgo's default parser would parse and those it
	// would copy that nearly every message carries. A header not named
	// here, nor read, is copied by sipgo as before.
	skippedHeaders = []string{
		"via", "v", "contact", "m", "max-forwards", "content-type", "c", "route", "record-route", "refer-to", "referred-by",
		"allow", "supported", "k", "user-agent", "server", "accept", "p-asserted-identity", "p-preferred-identity",
		"remote-party-id", "p-charging-vector", "session-expires", "x", "min-se", "require", "privacy", "reason",
		"expires", "date", "allow-events", "u", "accept-language", "accept-encoding", "content-disposition", "diversion",
	}
	// compactForms pairs the headers sipgo knows by a compact name too.
	compactForms = map[string]string{
		"via": "v", "v": "via", "contact": "m", "m": "contact", "content-type": "c", "c": "content-type",
		"from": "f", "f": "from", "to": "t", "t": "to", "call-id": "i", "i": "call-id", "content-length": "l", "l": "content-length",
		"supported": "k", "k": "supported", "allow-events": "u", "u": "allow-events", "session-expires": "x", "x": "session-expires",
	}
	// skipped is what skipHeader makes of every skipped header: one
	// generic header with no name, which no lookup by name finds.
	skipped = sipmsg.NewHeader("", "")
	// readers holds the reader of each Headers Facts was called with,
	// built once: a listener's headers are its settings'.
	readers sync.Map // Headers → *factsReader
	// stripped holds the buffers strip writes messages into: sipgo copies
	// what it keeps of a message, so a buffer is free again once parsed.
	stripped = sync.Pool{New: func() any { return new([]byte) }}
)

// skipHeader is the header parser of skippedHeaders: it keeps nothing.
func skipHeader([]byte, string) (sipmsg.Header, error) { return skipped, nil }

// factsReader is how Facts reads messages with one Headers: sipgo's parser
// and the headers left out of what it parses.
type factsReader struct {
	parser *sipmsg.Parser
	// skip holds the lower-case names of the skipped headers.
	skip map[string]bool
}

// readerFor returns the reader for messages read with the switch's headers
// h: the headers h names are parsed as sipgo's default parser does (a
// generic copy, or sipgo's typed form with its compact name when h names
// one sipgo knows), never skipped.
func readerFor(h Headers) *factsReader {
	if r, ok := readers.Load(h); ok {
		return r.(*factsReader)
	}
	defaults := sipmsg.DefaultHeadersParser()
	r := &factsReader{skip: map[string]bool{}}
	m := make(map[string]sipmsg.HeaderParser, len(readHeaders)+len(skippedHeaders))
	for _, name := range skippedHeaders {
		m[name], r.skip[name] = skipHeader, true
	}
	named := []string{}
	for _, n := range []string{h.Queue, h.Link, h.Enter} {
		if n = strings.ToLower(strings.TrimSpace(n)); n != "" {
			named = append(named, n)
			if c, ok := compactForms[n]; ok {
				named = append(named, c)
			}
		}
	}
	for _, name := range append(readHeaders, named...) {
		delete(r.skip, name)
		if parse, ok := defaults[name]; ok {
			m[name] = parse
		} else {
			delete(m, name) // a generic copy, as sipgo's default makes
		}
	}
	r.parser = sipmsg.NewParser(sipmsg.WithHeadersParsers(m))
	actual, _ := readers.LoadOrStore(h, r)
	return actual.(*factsReader)
}

// strip returns msg without the lines of its skipped headers, written into
// buf, for sipgo to parse instead of msg: what sipgo would make of the
// message but for those headers, which skipHeader would drop anyway. It
// returns msg itself when it skips nothing, or when msg's lines are not
// what sipgo splits the same way at a glance (a CR not followed by LF, a
// header section that does not end, a message too long for the parser):
// sipgo then parses msg as it is, and refuses it as before.
func (r *factsReader) strip(msg, buf []byte) []byte {
	if len(msg) > r.parser.MaxMessageLength {
		return msg
	}
	// lineEnd is the end of the line at rest's start and the length with
	// its CRLF, as sipgo's nextLine splits; ok is false for a CR without
	// LF or a line without CRLF.
	lineEnd := func(rest []byte) (end, n int, ok bool) {
		i := bytes.IndexByte(rest, '\r')
		if i < 0 || i+1 >= len(rest) || rest[i+1] != '\n' {
			return 0, 0, false
		}
		return i, i + 2, true
	}
	_, n, ok := lineEnd(msg) // the start line
	if !ok {
		return msg
	}
	out := append(buf[:0], msg[:n]...)
	rest := msg[n:]
	dropped := false
	for {
		end, n, ok := lineEnd(rest)
		if !ok {
			return msg
		}
		if end == 0 { // the empty line: the headers' end
			if !dropped {
				return msg
			}
			return append(out, rest...)
		}
		// A header's continuation lines, which start with a space or tab,
		// go with it (sipgo folds them into one line).
		for n < len(rest) && (rest[n] == ' ' || rest[n] == '\t') {
			_, more, ok := lineEnd(rest[n:])
			if !ok {
				return msg
			}
			n += more
		}
		if r.skips(rest[:end]) {
			dropped = true
		} else {
			out = append(out, rest[:n]...)
		}
		rest = rest[n:]
	}
}

// skips says whether the header of line, its first line, is skipped: its
// name, taken as sipgo takes it (up to the first colon, trimmed, ASCII
// letters lowered), is in r.skip. A line with no colon is not skipped:
// sipgo refuses it, or finds the colon on a continuation line.
func (r *factsReader) skips(line []byte) bool {
	colon := bytes.IndexByte(line, ':')
	if colon < 0 {
		return false
	}
	name := bytes.TrimSpace(line[:colon])
	var lower [32]byte
	if len(name) > len(lower) {
		return false // longer than any skipped name
	}
	for i, c := range name {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		lower[i] = c
	}
	return r.skip[string(lower[:len(name)])]
}

// Facts reads one SIP message into an event of Source "sip" (DESIGN.md):
// Verb is the method or the status code, Data holds the leg's Call-ID,
// From-tag, To-tag, CSeq and the k=v facts correlation needs, and CallID is
// the correlation key: the linked caller's Call-ID when the message carries
// the linking header or a HEP correlation id other than its own Call-ID,
// else its own Call-ID. It returns ErrIgnored for messages of no interest
// and an error wrapping ErrSIP for bytes that are not a usable SIP message.
func Facts(payload []byte, meta Meta) (cdr.Event, error) {
	var ev cdr.Event
	r := readerFor(meta.Headers)
	buf := stripped.Get().(*[]byte)
	data := r.strip(payload, *buf)
	msg, err := r.parser.ParseSIP(data)
	if len(data) > 0 && len(payload) > 0 && &data[0] != &payload[0] {
		*buf = data[:0]
	}
	stripped.Put(buf)
	if err != nil {
		return ev, fmt.Errorf("%w: %v", ErrSIP, err)
	}
	cid := msg.CallID()
	cseq := msg.CSeq()
	if cid == nil || cid.Value() == "" || cseq == nil {
		return ev, fmt.Errorf("%w: no Call-ID or CSeq", ErrSIP)
	}
	var kv factKV
	switch m := msg.(type) {
	case *sipmsg.Request:
		if !methods[m.Method] {
			return ev, ErrIgnored
		}
		ev.Verb = strings.Clone(string(m.Method))
		if u := m.Recipient.User; u != "" {
			kv.ruri = u
		}
	case *sipmsg.Response:
		if m.StatusCode < 101 || m.StatusCode > 699 || !methods[cseq.MethodName] || cseq.MethodName == sipmsg.ACK {
			return ev, ErrIgnored
		}
		ev.Verb = strconv.Itoa(m.StatusCode)
	default:
		return ev, fmt.Errorf("%w: neither request nor response", ErrSIP)
	}
	ev.Source = SourceSIP
	ev.Switch = meta.Switch
	if ev.Switch == "" {
		ev.Switch = cdr.DefaultSwitch
	}
	t := meta.Time.UTC()
	ev.Time = t.Truncate(time.Second)
	ev.Micros = uint32(t.Nanosecond() / 1000)
	// The strings the event keeps are copies: the parser's are slices of
	// its header lines, and one kept slice keeps its line, for as long as
	// the event lives (the live state keeps a carrier's events for about
	// 30 s: 0.27 GB of header lines at 50,000 messages a second).
	own := strings.Clone(cid.Value())
	ev.Data[dataCallID] = own
	if f := msg.From(); f != nil {
		tag, _ := f.Params.Get("tag")
		ev.Data[dataFromTag] = strings.Clone(tag)
		if u := f.Address.User; u != "" {
			kv.from = u
		}
	}
	if to := msg.To(); to != nil {
		tag, _ := to.Params.Get("tag")
		ev.Data[dataToTag] = strings.Clone(tag)
		if u := to.Address.User; u != "" {
			kv.to = u
		}
	}
	ev.Data[dataCSeq] = strconv.FormatUint(uint64(cseq.SeqNo), 10) + " " + string(cseq.MethodName)
	header := func(name string) string {
		if name == "" {
			return ""
		}
		if hs := msg.GetHeaders(name); len(hs) > 0 {
			return strings.TrimSpace(hs[0].Value())
		}
		return ""
	}
	if q := header(meta.Headers.Queue); q != "" {
		kv.q = q
	}
	if e := header(meta.Headers.Enter); e != "" {
		kv.enter = e
	}
	link := strings.Clone(header(meta.Headers.Link))
	if link == "" && meta.Correlation != own {
		link = meta.Correlation
	}
	ev.CallID = own
	if link != "" && link != own {
		kv.link = link
		ev.CallID = link
	}
	if meta.Src.IsValid() {
		kv.src = meta.Src.String()
	}
	if meta.Dst.IsValid() {
		kv.dst = meta.Dst.String()
	}
	ev.Data[dataKV] = kv.encode()
	ev.ID = cdr.EventID(&ev)
	return ev, nil
}

// factKV is Data[dataKV] being made: the value of each key, "" for none.
// Its encoding is the one url.Values.Encode gives for the same keys and
// values (keys sorted, values query-escaped), written directly into one
// buffer, without a map, a sort or a string per value (FuzzFactKV).
type factKV struct{ dst, enter, from, link, q, ruri, src, to string }

func (f *factKV) encode() string {
	// Facts' data fits the buffer on the stack: the string is then its
	// one allocation.
	var buf [256]byte
	b := buf[:0]
	// The keys in url.Values.Encode's order, which is sorted.
	for _, kv := range [...]struct{ k, v string }{
		{kvDst, f.dst}, {kvEnter, f.enter}, {kvFromUser, f.from}, {kvLink, f.link},
		{kvQueue, f.q}, {kvRURIUser, f.ruri}, {kvSrc, f.src}, {kvToUser, f.to},
	} {
		if kv.v == "" {
			continue
		}
		if len(b) > 0 {
			b = append(b, '&')
		}
		b = append(b, kv.k...)
		b = append(b, '=')
		b = appendQueryEscape(b, kv.v)
	}
	return string(b)
}

// appendQueryEscape appends s escaped as url.QueryEscape escapes it: the
// unreserved characters of RFC 3986 as they are, a space as "+", every
// other byte as %XX.
func appendQueryEscape(b []byte, s string) []byte {
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '_', c == '.', c == '~':
			b = append(b, c)
		case c == ' ':
			b = append(b, '+')
		default:
			b = append(b, '%', hex[c>>4], hex[c&15])
		}
	}
	return b
}

// LegCallID returns the Call-ID of the leg a fact of Source "sip" was seen
// on, which differs from its CallID (the correlation key) on a linked
// agent leg.
func LegCallID(e *cdr.Event) string { return e.Data[dataCallID] }

// Caller returns the caller number a fact of Source "sip" holds, the From
// user of its message ("" when it has none): intake's caller-number
// setting hashes or drops it with SetCaller.
func Caller(e *cdr.Event) string {
	kv, err := url.ParseQuery(e.Data[dataKV])
	if err != nil {
		return ""
	}
	return kv.Get(kvFromUser)
}

// SetCaller replaces the caller number of a fact of Source "sip" by
// number, or removes it when number is empty, keeping every other fact.
// It does not recompute the event's ID: the caller does, once its changes
// are done.
func SetCaller(e *cdr.Event, number string) {
	kv, err := url.ParseQuery(e.Data[dataKV])
	if err != nil {
		return
	}
	if number == "" {
		kv.Del(kvFromUser)
	} else {
		kv.Set(kvFromUser, number)
	}
	e.Data[dataKV] = kv.Encode()
}

// parseEnter reads a queue-entry header: epoch seconds (with an optional
// fraction) or RFC 3339.
func parseEnter(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, false
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		if f <= 0 || f > 1e11 {
			return time.Time{}, false
		}
		sec := int64(f)
		return time.Unix(sec, int64((f-float64(sec))*1e9)).UTC(), true
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), true
	}
	return time.Time{}, false
}
