package sip

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	sipmsg "github.com/emiago/sipgo/sip"

	"github.com/acdstat/acdstat/cdr"
)

// fullParser is sipgo's parser with all its default header parsers, as
// Facts used it before it read through factsParser.
var fullParser = sipmsg.NewParser()

// copyingParser is fullParser but that it copies the headers Facts skips
// when it reads with the switch's headers h as generic headers, which
// never fail to parse.
func copyingParser(h Headers) *sipmsg.Parser {
	named := map[string]bool{}
	for _, n := range []string{h.Queue, h.Link, h.Enter} {
		n = strings.ToLower(n)
		named[n], named[compactForms[n]] = true, true
	}
	m := map[string]sipmsg.HeaderParser{}
	for name, parse := range sipmsg.DefaultHeadersParser() {
		if named[name] || !slices.Contains(skippedHeaders, name) {
			m[name] = parse
		}
	}
	return sipmsg.NewParser(sipmsg.WithHeadersParsers(m))
}

// factsBefore is Facts as it was before it read through factsParser
// (commit d5ec2fe, sip/facts.go), kept verbatim but for its name and
// parser, as the reference TestFactsSameAsFullParse compares Facts with.
func factsBefore(parser *sipmsg.Parser, payload []byte, meta Meta) (cdr.Event, error) {
	var ev cdr.Event
	msg, err := parser.ParseSIP(payload)
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
		ev.Verb = string(m.Method)
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
	own := cid.Value()
	ev.Data[dataCallID] = own
	if f := msg.From(); f != nil {
		ev.Data[dataFromTag], _ = f.Params.Get("tag")
		if u := f.Address.User; u != "" {
			kv.from = u
		}
	}
	if to := msg.To(); to != nil {
		ev.Data[dataToTag], _ = to.Params.Get("tag")
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
	link := header(meta.Headers.Link)
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
	ev.Data[dataKV] = kv.encodeBefore()
	ev.ID = cdr.EventID(&ev)
	return ev, nil
}

// encodeBefore is factKV.encode as it was with factsBefore, verbatim but
// for its name.
func (f *factKV) encodeBefore() string {
	var b strings.Builder
	// The keys in url.Values.Encode's order, which is sorted.
	for _, kv := range [...]struct{ k, v string }{
		{kvDst, f.dst}, {kvEnter, f.enter}, {kvFromUser, f.from}, {kvLink, f.link},
		{kvQueue, f.q}, {kvRURIUser, f.ruri}, {kvSrc, f.src}, {kvToUser, f.to},
	} {
		if kv.v == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		b.WriteString(kv.k)
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(kv.v))
	}
	return b.String()
}

// factsCorpus returns every SIP message of the shared captures and of
// FuzzFacts' corpus, with the meta each was captured with (HEP) or a
// fixed one, then each again with every header line left out in turn and
// cut after every line, so that messages without a Call-ID, a CSeq, a From
// or a Content-Length, or cut short, are compared too.
func factsCorpus(t *testing.T) (msgs [][]byte, metas []Meta) {
	t.Helper()
	fixed := Meta{Switch: "s", Time: time.Unix(1700000000, 5000)}
	for i, f := range splitHEP(t, readShared(t, "kamailio-hep/captured/hep3-udp-run.bin")) {
		p, err := DecodeHEP(f)
		if err != nil {
			t.Fatalf("packet %d: %v", i+1, err)
		}
		msgs = append(msgs, p.Payload)
		metas = append(metas, Meta{Switch: "hep-2001", Time: p.Time, Src: p.Src, Dst: p.Dst, Correlation: p.Correlation})
	}
	var plain [][]byte
	plain = append(plain, sipTxtMessages(readShared(t, "kamailio-hep/captured/hep3-udp-run.sip.txt"))...)
	for _, name := range []string{"wsinv.dat", "longreq.dat", "mpart01.dat", "invalid-ncl.dat"} {
		plain = append(plain, readShared(t, "rfc4475-torture/"+name))
	}
	corpus, err := filepath.Glob("testdata/fuzz/FuzzFacts/*")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range corpus {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		_, lit, _ := strings.Cut(string(b), "[]byte(")
		m, err := strconv.Unquote(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(lit), ")")))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		plain = append(plain, []byte(m))
	}
	plain = append(plain, benchInvite, benchProxied)
	for _, m := range plain {
		msgs = append(msgs, m)
		metas = append(metas, fixed)
	}
	for i, n := 0, len(msgs); i < n; i++ {
		lines := strings.SplitAfter(string(msgs[i]), "\r\n")
		for j := 1; j < len(lines); j++ {
			if lines[j] == "\r\n" {
				break // the headers' end
			}
			msgs = append(msgs, []byte(strings.Join(lines[:j], "")+strings.Join(lines[j+1:], "")))
			metas = append(metas, metas[i])
		}
		for j := 1; j < len(lines); j++ {
			msgs = append(msgs, []byte(strings.Join(lines[:j], "")))
			metas = append(metas, metas[i])
		}
	}
	return msgs, metas
}

// outcome is what Facts gives for a message, errors by their class.
func outcome(ev cdr.Event, err error) string {
	switch {
	case errors.Is(err, ErrIgnored):
		return "ignored"
	case errors.Is(err, ErrSIP):
		return "invalid"
	case err != nil:
		return "error " + err.Error()
	}
	return fmt.Sprintf("event %+v", ev)
}

// TestFactsSameAsFullParse: Facts, which reads through a parser of only the
// headers it needs, gives exactly the event (or the refusal) it gave with
// sipgo's full parser, on every message of the shared captures and of the
// fuzz corpus, whole, without each of its header lines and cut after each
// line, read with and without the switch's headers. The one difference
// allowed: a message the full parser refused for a header Facts skips is
// read, as the full parser reads it when it copies that header instead.
func TestFactsSameAsFullParse(t *testing.T) {
	msgs, metas := factsCorpus(t)
	headers := []Headers{{}, {Queue: "X-Queue", Link: "X-Caller-Call-ID", Enter: "X-Enter"}, {Queue: "Contact", Link: "via", Enter: "User-Agent"}}
	kinds := map[string]int{}
	for i, m := range msgs {
		for _, h := range headers {
			meta := metas[i]
			meta.Headers = h
			want := outcome(factsBefore(fullParser, m, meta))
			got := outcome(Facts(m, meta))
			if got != want && want == "invalid" && got == outcome(factsBefore(copyingParser(h), m, meta)) {
				kinds["read, was refused for a skipped header"]++
				continue
			}
			if got != want {
				t.Errorf("message %d with headers %+v:\n%s\ngot  %s\nwant %s", i, h, m, got, want)
			}
			kind, _, _ := strings.Cut(want, " ")
			kinds[kind]++
		}
	}
	// The corpus must hold each outcome, or the comparison proves little.
	if kinds["ignored"] == 0 || kinds["read, was refused for a skipped header"] == 0 || kinds["invalid"] == 0 || kinds["event"] < 100 {
		t.Errorf("outcomes of the corpus: %v", kinds)
	}
	t.Logf("%d messages: %v", len(msgs), kinds)
}

// TestFactsSkipsHeadersItDoesNotRead: a header Facts does not read is not
// parsed, so a mirrored message is read even when one of those is
// malformed (a proxy forwards what it was sent), while the headers it does
// read must still parse.
func TestFactsSkipsHeadersItDoesNotRead(t *testing.T) {
	msg := "INVITE sip:7001@10.0.0.2 SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1\r\n" +
		"From: <sip:4512345678@10.0.0.1>;tag=f1\r\nTo: <sip:7001@10.0.0.2>\r\nCall-ID: c1\r\nCSeq: 1 INVITE\r\n" +
		"Contact: <sip:4512345678@10.0.0.1>\r\nX-Queue: sales\r\nContent-Length: 0\r\n\r\n"
	meta := Meta{Switch: "pbx", Time: time.Unix(1700000000, 0), Headers: Headers{Queue: "X-Queue"}}
	want, err := Facts([]byte(msg), meta)
	if err != nil {
		t.Fatal(err)
	}
	for name, bad := range map[string]string{
		"via":     strings.Replace(msg, "Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1", "Via: SIP/2.0/UDP [::1;branch=z9hG4bK1", 1),
		"contact": strings.Replace(msg, "Contact: <sip:4512345678@10.0.0.1>", "Contact: <sip:4512345678@10.0.0.1", 1),
	} {
		ev, err := Facts([]byte(bad), meta)
		if err != nil || ev != want {
			t.Errorf("malformed %s: %v %+v, want %+v", name, err, ev, want)
		}
	}
	// The headers Facts reads are parsed by sipgo as before.
	if _, err := Facts([]byte(strings.Replace(msg, "CSeq: 1 INVITE", "CSeq: one INVITE", 1)), meta); !errors.Is(err, ErrSIP) {
		t.Errorf("malformed CSeq: err %v, want ErrSIP", err)
	}
	// A header the switch's settings name is parsed as sipgo's default
	// parser does, even one Facts would skip: malformed, it still refuses
	// the message.
	meta.Headers.Queue = "Contact"
	if _, err := Facts([]byte(strings.Replace(msg, "Contact: <sip:4512345678@10.0.0.1>", "Contact: <sip:4512345678@10.0.0.1", 1)), meta); !errors.Is(err, ErrSIP) {
		t.Errorf("malformed Contact as the queue header: err %v, want ErrSIP", err)
	}
}

// TestStripLeavesOutSkippedHeaders: what sipgo parses of a message is the
// message without the lines (with their continuations) of the headers
// Facts skips, and the message itself when nothing is skipped or its lines
// are not split as sipgo splits them.
func TestStripLeavesOutSkippedHeaders(t *testing.T) {
	r := readerFor(Headers{Queue: "User-Agent"})
	msg := "BYE sip:7001@h SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n  ;received=10.0.0.1\r\nFrom: <sip:a@h>;tag=1\r\n" +
		"MAX-FORWARDS : 70\r\nTo: <sip:7001@h>;tag=2\r\nCall-ID: c\r\nCSeq: 2 BYE\r\nUser-Agent: pbx\r\nX-Other: 1\r\n" +
		"Content-Length: 4\r\n\r\nbody"
	want := "BYE sip:7001@h SIP/2.0\r\nFrom: <sip:a@h>;tag=1\r\n" +
		"To: <sip:7001@h>;tag=2\r\nCall-ID: c\r\nCSeq: 2 BYE\r\nUser-Agent: pbx\r\nX-Other: 1\r\n" +
		"Content-Length: 4\r\n\r\nbody"
	if got := string(r.strip([]byte(msg), nil)); got != want {
		t.Errorf("stripped:\n%q\nwant\n%q", got, want)
	}
	for name, m := range map[string]string{
		"nothing skipped": "BYE sip:7001@h SIP/2.0\r\nCall-ID: c\r\nCSeq: 2 BYE\r\n\r\n",
		"CR without LF":   "BYE sip:7001@h SIP/2.0\r\nVia: x\rCall-ID: c\r\nCSeq: 2 BYE\r\n\r\n",
		"no end":          "BYE sip:7001@h SIP/2.0\r\nVia: x\r\nCall-ID: c\r\n",
	} {
		if got := r.strip([]byte(m), nil); string(got) != m {
			t.Errorf("%s: stripped to %q", name, got)
		}
	}
}

// FuzzFactsSameAsFullParse is TestFactsSameAsFullParse on any bytes, from
// the messages of the shared captures.
func FuzzFactsSameAsFullParse(f *testing.F) {
	for _, m := range [][]byte{benchInvite, benchProxied} {
		f.Add(m)
	}
	if b, err := os.ReadFile(filepath.Join(shared, "kamailio-hep/captured/hep3-udp-run.sip.txt")); err == nil {
		for _, m := range sipTxtMessages(b) {
			f.Add(m)
		}
	}
	meta := Meta{Switch: "s", Time: time.Unix(1700000000, 5000), Headers: Headers{Queue: "X-Queue", Link: "Via", Enter: "x"}}
	copying := copyingParser(meta.Headers)
	f.Fuzz(func(t *testing.T, b []byte) {
		want := outcome(factsBefore(fullParser, b, meta))
		got := outcome(Facts(b, meta))
		if got != want && (want != "invalid" || got != outcome(factsBefore(copying, b, meta))) {
			t.Fatalf("%q:\ngot  %s\nwant %s", b, got, want)
		}
	})
}
