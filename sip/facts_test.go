package sip

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/acdstat/acdstat/cdr"
)

var update = flag.Bool("update", false, "rewrite golden files")

// capturedEvents decodes the captured kamailio run into events.
func capturedEvents(t testing.TB) []cdr.Event {
	t.Helper()
	var evs []cdr.Event
	for i, f := range splitHEP(t, readShared(t, "kamailio-hep/captured/hep3-udp-run.bin")) {
		p, err := DecodeHEP(f)
		if err != nil {
			t.Fatalf("packet %d: %v", i+1, err)
		}
		ev, err := Facts(p.Payload, Meta{Switch: "hep-2001", Time: p.Time, Src: p.Src, Dst: p.Dst, Correlation: p.Correlation})
		if errors.Is(err, ErrIgnored) {
			continue
		}
		if err != nil {
			t.Fatalf("packet %d: %v", i+1, err)
		}
		evs = append(evs, ev)
	}
	return evs
}

func formatCalls(calls []cdr.QueueCall) string {
	var b strings.Builder
	for _, c := range calls {
		fmt.Fprintf(&b, "%s %s queue=%s seq=%d %s enter=%s answer=%s end=%s wait=%d talk=%d agent=%q caller=%q end_verb=%q last=%s\n",
			c.Switch, c.CallID, c.Queue, c.Seq, c.Outcome, ts(c.EnterTime), ts(c.AnswerTime), ts(c.EndTime),
			c.WaitS, c.TalkS, c.Agent, c.Caller, c.EndVerb, ts(c.LastEventTime))
	}
	return b.String()
}

func ts(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("%s differs from %s:\n%s", name, path, got)
	}
}

func TestFactsCaptured(t *testing.T) {
	evs := capturedEvents(t)
	// 48 packets less kamailio's three "100 trying" (1 per INVITE of the 4
	// calls, sent once) — the rest take part in calls.
	var verbs []string
	for _, e := range evs {
		verbs = append(verbs, e.Verb)
		if e.Source != SourceSIP || e.Switch != "hep-2001" || e.CallID != e.Data[dataCallID] || e.ID != cdr.EventID(&e) {
			t.Errorf("event %+v", e)
		}
	}
	golden(t, "captured_verbs", strings.Join(verbs, "\n")+"\n")
	first := evs[0]
	if first.Verb != "INVITE" || first.Data[dataFromTag] != "15506SIPpTag001" || first.Data[dataToTag] != "" ||
		first.Data[dataCSeq] != "1 INVITE" || first.Micros != 770502 ||
		first.Data[dataKV] != "dst=127.0.0.1%3A5060&from=sipp&ruri=2001&src=127.0.0.1%3A5070&to=2001" {
		t.Errorf("first event %+v", first)
	}
}

// TestGoldenKamailioRun: the captured kamailio run of research/sip-anchors.md
// §5 is 2 answered calls to 2001, 1 abandoned (CANCEL while ringing) to
// 2002 and 1 rejected (486) to 2003: exactly those queue calls.
func TestGoldenKamailioRun(t *testing.T) {
	evs := capturedEvents(t)
	cfg := CorrelationConfig{Numbers: map[string]string{"2001": "sales", "2002": "support", "2003": "busy"}}
	calls := BuildCalls(evs, cdr.BuildOptions{}, cfg)
	got := formatCalls(calls)
	golden(t, "kamailio_run", got)
	outcomes := map[string]int{}
	for _, c := range calls {
		outcomes[c.Queue+" "+c.Outcome.String()]++
	}
	want := map[string]int{"sales answered": 2, "support abandoned": 1, "busy exit_other": 1}
	if fmt.Sprint(outcomes) != fmt.Sprint(want) {
		t.Errorf("outcomes %v, want %v", outcomes, want)
	}
	// Doubling every packet (a second capture point) changes nothing.
	if again := BuildCalls(append(evs, evs...), cdr.BuildOptions{}, cfg); formatCalls(again) != got {
		t.Errorf("repeated events change the calls:\n%s", formatCalls(again))
	}
}

func TestFactsHeaders(t *testing.T) {
	msg := "INVITE sip:agent7@10.0.0.9 SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1\r\n" +
		"From: <sip:switch@10.0.0.1>;tag=a1\r\n" +
		"To: <sip:agent7@10.0.0.9>\r\n" +
		"Call-ID: agent-leg-1\r\n" +
		"CSeq: 7 INVITE\r\n" +
		"X-Caller-Call-ID: caller-leg-1\r\n" +
		"X-Queue: support\r\n" +
		"X-Enter: 1700000000.5\r\n" +
		"Content-Length: 0\r\n\r\n"
	meta := Meta{Switch: "pbx", Time: time.Unix(1700000001, 250000000), Src: netip.MustParseAddrPort("10.0.0.1:5060"),
		Headers: Headers{Queue: "X-Queue", Link: "x-caller-call-id", Enter: "X-Enter"}}
	ev, err := Facts([]byte(msg), meta)
	if err != nil {
		t.Fatal(err)
	}
	if ev.CallID != "caller-leg-1" || ev.Data[dataCallID] != "agent-leg-1" || ev.Data[dataCSeq] != "7 INVITE" ||
		ev.Micros != 250000 || ev.Time.Unix() != 1700000001 ||
		ev.Data[dataKV] != "enter=1700000000.5&from=switch&link=caller-leg-1&q=support&ruri=agent7&src=10.0.0.1%3A5060&to=agent7" {
		t.Errorf("event %+v", ev)
	}
	// The HEP correlation id links when no header does; equal to the
	// message's own Call-ID it links nothing.
	meta.Headers = Headers{}
	meta.Correlation = "caller-leg-2"
	if ev, _ := Facts([]byte(msg), meta); ev.CallID != "caller-leg-2" {
		t.Errorf("correlation id: CallID %q", ev.CallID)
	}
	meta.Correlation = "agent-leg-1"
	if ev, _ := Facts([]byte(msg), meta); ev.CallID != "agent-leg-1" {
		t.Errorf("own correlation id: CallID %q", ev.CallID)
	}
	for name, m := range map[string]string{
		"options": strings.Replace(strings.Replace(msg, "INVITE sip", "OPTIONS sip", 1), "7 INVITE", "7 OPTIONS", 1),
		"100":     "SIP/2.0 100 Trying\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n",
	} {
		if _, err := Facts([]byte(m), meta); !errors.Is(err, ErrIgnored) {
			t.Errorf("%s: err %v, want ErrIgnored", name, err)
		}
	}
	for name, m := range map[string]string{
		"garbage":    "hello",
		"no call-id": "BYE sip:x@y SIP/2.0\r\nCSeq: 1 BYE\r\nContent-Length: 0\r\n\r\n",
	} {
		if _, err := Facts([]byte(m), meta); !errors.Is(err, ErrSIP) {
			t.Errorf("%s: err %v, want ErrSIP", name, err)
		}
	}
}

func TestFactsTorture(t *testing.T) {
	for _, name := range []string{"wsinv.dat", "longreq.dat"} {
		ev, err := Facts(readShared(t, "rfc4475-torture/"+name), Meta{Time: time.Unix(1, 0)})
		if err != nil || ev.Verb != "INVITE" {
			t.Errorf("%s: %v %+v", name, err, ev)
		}
	}
	// A MESSAGE parses but plays no part in calls.
	if _, err := Facts(readShared(t, "rfc4475-torture/mpart01.dat"), Meta{Time: time.Unix(1, 0)}); !errors.Is(err, ErrIgnored) {
		t.Errorf("mpart01.dat: err %v, want ErrIgnored", err)
	}
	if _, err := Facts(readShared(t, "rfc4475-torture/invalid-ncl.dat"), Meta{Time: time.Unix(1, 0)}); !errors.Is(err, ErrSIP) {
		t.Errorf("invalid-ncl.dat: err %v, want ErrSIP", err)
	}
}

// sipTxtMessages reads the payloads of hep3-udp-run.sip.txt.
func sipTxtMessages(b []byte) [][]byte {
	var out [][]byte
	for _, part := range bytes.Split(b, []byte("#### "))[1:] {
		_, msg, ok := bytes.Cut(part, []byte("\n"))
		if ok {
			out = append(out, bytes.ReplaceAll(msg, []byte("\n"), []byte("\r\n")))
		}
	}
	return out
}

func FuzzFacts(f *testing.F) {
	for _, name := range []string{"wsinv.dat", "longreq.dat", "mpart01.dat", "invalid-ncl.dat"} {
		if b, err := os.ReadFile(filepath.Join(shared, "rfc4475-torture", name)); err == nil {
			f.Add(b)
		}
	}
	if b, err := os.ReadFile(filepath.Join(shared, "kamailio-hep/captured/hep3-udp-run.sip.txt")); err == nil {
		for _, m := range sipTxtMessages(b) {
			f.Add(m)
		}
	}
	meta := Meta{Switch: "s", Time: time.Unix(1700000000, 5000), Headers: Headers{Queue: "X-Queue", Link: "X-CID", Enter: "X-Enter"}}
	f.Fuzz(func(t *testing.T, b []byte) {
		ev, err := Facts(b, meta)
		if err != nil {
			return
		}
		if ev.CallID == "" || ev.Verb == "" || ev.ID != cdr.EventID(&ev) {
			t.Fatalf("event %+v", ev)
		}
		// Whatever Facts accepts, correlation reads without failing.
		BuildCalls([]cdr.Event{ev, ev}, cdr.BuildOptions{Now: time.Unix(1800000000, 0)}, CorrelationConfig{Numbers: map[string]string{"2001": "q"}})
	})
}

// TestCallerIsTheFromUserAndSetCallerKeepsTheRest: the caller number of a
// fact is its INVITE's From user; replacing or removing it leaves the
// other facts as they were.
func TestCallerIsTheFromUserAndSetCallerKeepsTheRest(t *testing.T) {
	msg := "INVITE sip:7001@10.0.0.2 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1\r\n" +
		"From: <sip:4512345678@10.0.0.1>;tag=f1\r\nTo: <sip:7001@10.0.0.2>\r\nCall-ID: c1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"
	ev, err := Facts([]byte(msg), Meta{Switch: "pbx", Time: time.Unix(1700000000, 0), Src: netip.MustParseAddrPort("10.0.0.1:5060")})
	if err != nil {
		t.Fatal(err)
	}
	if got := Caller(&ev); got != "4512345678" {
		t.Errorf("Caller = %q; want the From user 4512345678", got)
	}
	before := ev.Data[dataKV]
	SetCaller(&ev, "h:0011")
	if got := Caller(&ev); got != "h:0011" {
		t.Errorf("after SetCaller: Caller = %q; want h:0011", got)
	}
	SetCaller(&ev, "")
	if got := Caller(&ev); got != "" || strings.Contains(ev.Data[dataKV], "from") {
		t.Errorf("after SetCaller with no number: Caller = %q, facts %q; want none", got, ev.Data[dataKV])
	}
	if want := strings.Replace(before, "from=4512345678&", "", 1); ev.Data[dataKV] != want {
		t.Errorf("other facts: got %q; want %q", ev.Data[dataKV], want)
	}
}

// FuzzFactKV holds Facts' writing of Data[4] to url.Values.Encode, which
// wrote it before: the same facts give the same string, and so the same
// event ID.
func FuzzFactKV(f *testing.F) {
	f.Add("10.0.0.2:5060", "2025-06-02T09:00:02.5Z", "caller", "", "sales", "7001", "[2001:db8::1]:5060", "+45 12&3=4")
	f.Add("", "", "", "cl", "", "", "", "")
	f.Fuzz(func(t *testing.T, dst, enter, from, link, q, ruri, src, to string) {
		kv := factKV{dst: dst, enter: enter, from: from, link: link, q: q, ruri: ruri, src: src, to: to}
		want := url.Values{}
		for k, v := range map[string]string{kvDst: dst, kvEnter: enter, kvFromUser: from, kvLink: link, kvQueue: q, kvRURIUser: ruri, kvSrc: src, kvToUser: to} {
			if v != "" {
				want.Set(k, v)
			}
		}
		if got := kv.encode(); got != want.Encode() {
			t.Errorf("got %q; want %q", got, want.Encode())
		}
	})
}
