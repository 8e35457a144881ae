package cdr

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// realXMLCDR is the real mod_xml_cdr record of ../shared/testdata/acd
// (PROVENANCE.md): read at test time, never copied into the repository.
const realXMLCDR = "../../shared/testdata/acd/freeswitch_xml_cdr_a_4b3b36af-3d98-4670-bc14-0ee08890d7d6.cdr.xml"

var fsNow = time.Unix(1717010000, 0)

func fsGolden(t *testing.T, dec DecodeFunc, in, golden string) {
	t.Helper()
	b, err := os.ReadFile(in)
	if err != nil {
		t.Fatal(err)
	}
	events, rejects, _ := qlDecode(t, dec, string(b), DecodeOptions{Switch: "fs1", Now: fsNow})
	g := qlGolden{Events: []qlGoldenEvent{}, Rejects: []qlGoldenReject{}}
	for _, e := range events {
		g.Events = append(g.Events, qlGoldenEvent{e.Line, fmt.Sprintf("%016x", e.ID), e.Switch, e.Source,
			e.Time.Format(time.RFC3339), e.Micros, e.CallID, e.Queue, e.Agent, e.Verb, e.Data})
	}
	for _, r := range rejects {
		raw := r.Raw
		if len(raw) > 80 {
			raw = raw[:80]
		}
		g.Rejects = append(g.Rejects, qlGoldenReject{r.Line, r.Field, r.Reason, raw})
	}
	got, err := json.MarshalIndent(g, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./cdr -run TestFreeSWITCHGolden -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from %s; got:\n%s", in, golden, got)
	}
}

// TestFreeSWITCHGolden decodes every testdata/freeswitch/*.json and *.xml and
// the real mod_xml_cdr record, and compares with the .golden files.
func TestFreeSWITCHGolden(t *testing.T) {
	inputs, err := filepath.Glob("testdata/freeswitch/*.*")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, in := range inputs {
		var dec DecodeFunc
		switch filepath.Ext(in) {
		case ".json":
			dec = DecodeFreeSWITCHJSON
		case ".xml":
			dec = DecodeFreeSWITCHXML
		default:
			continue
		}
		n++
		t.Run(filepath.Base(in), func(t *testing.T) { fsGolden(t, dec, in, in+".golden") })
	}
	if n < 10 {
		t.Errorf("got %d inputs in testdata/freeswitch; want at least 10", n)
	}
	t.Run("real mod_xml_cdr record", func(t *testing.T) {
		if _, err := os.Stat(realXMLCDR); err != nil {
			t.Skipf("the reference file is not here: %v", err)
		}
		fsGolden(t, DecodeFreeSWITCHXML, realXMLCDR, "testdata/freeswitch/real_mod_xml_cdr.golden")
	})
}

// TestFreeSWITCHJSONAndXMLAreOneFact: the same CDR in JSON and in XML gives
// the same events, ids included.
func TestFreeSWITCHJSONAndXMLAreOneFact(t *testing.T) {
	read := func(name string, dec DecodeFunc) []Event {
		b, err := os.ReadFile("testdata/freeswitch/" + name)
		if err != nil {
			t.Fatal(err)
		}
		evs, rejects, _ := qlDecode(t, dec, string(b), DecodeOptions{Switch: "fs1"})
		if len(rejects) > 0 {
			t.Fatalf("%s: rejects %v", name, rejects[0])
		}
		return evs
	}
	j, x := read("answered.json", DecodeFreeSWITCHJSON), read("answered.xml", DecodeFreeSWITCHXML)
	if len(j) != 3 || len(j) != len(x) {
		t.Fatalf("got %d JSON and %d XML events; want 3 each", len(j), len(x))
	}
	for i := range j {
		if j[i].ID != x[i].ID {
			t.Errorf("event %d: JSON id %x, XML id %x; want equal", i, j[i].ID, x[i].ID)
		}
	}
}

// TestFreeSWITCHValuesPlainOrEncoded: encode-values=true and false give the
// same facts, and a "+" in a plain value survives.
func TestFreeSWITCHValuesPlainOrEncoded(t *testing.T) {
	plain := `{"variables":{"uuid":"u-1","cc_queue":"support@default","cc_queue_joined_epoch":"1717000000","caller_id_number":"+4570123456","cc_cause":"cancel","cc_cancel_reason":"BREAK_OUT","cc_queue_canceled_epoch":"1717000030"}}`
	encoded := `{"variables":{"uuid":"u-1","cc_queue":"support%40default","cc_queue_joined_epoch":"1717000000","caller_id_number":"%2B4570123456","cc_cause":"cancel","cc_cancel_reason":"BREAK_OUT","cc_queue_canceled_epoch":"1717000030"}}`
	a, ra, _ := qlDecode(t, DecodeFreeSWITCHJSON, plain, DecodeOptions{})
	b, rb, _ := qlDecode(t, DecodeFreeSWITCHJSON, encoded, DecodeOptions{})
	if len(ra)+len(rb) > 0 || len(a) != 2 || len(b) != 2 {
		t.Fatalf("got %d+%d events, %d+%d rejects; want 2+2 and none", len(a), len(b), len(ra), len(rb))
	}
	if a[0].ID != b[0].ID || a[1].ID != b[1].ID || a[0].Data[1] != "+4570123456" || b[0].Queue != "support@default" {
		t.Errorf("got %+v and %+v; want the same facts, caller +4570123456, queue support@default", a, b)
	}
}

// fsBuild decodes the named fixtures and builds their queue calls.
func fsBuild(t *testing.T, names ...string) []QueueCall {
	t.Helper()
	var events []Event
	for _, name := range names {
		b, err := os.ReadFile("testdata/freeswitch/" + name)
		if err != nil {
			t.Fatal(err)
		}
		evs, rejects, _ := qlDecode(t, DecodeFreeSWITCHJSON, string(b), DecodeOptions{Switch: "fs1", Now: fsNow})
		if len(rejects) > 0 && name != "bad_beside_good.json" {
			t.Fatalf("%s: %v", name, rejects[0])
		}
		events = append(events, evs...)
	}
	return BuildCalls(events, BuildOptions{Now: fsNow})
}

// TestFreeSWITCHBuildEveryCancelReason checks each fixture's queue call
// against METRICS.md's FreeSWITCH column, through BuildCalls as the build
// job calls it.
func TestFreeSWITCHBuildEveryCancelReason(t *testing.T) {
	tests := []struct {
		file        string
		outcome     Outcome
		wait, talk  uint32
		agent, verb string
	}{
		{"answered.json", Answered, 30, 300, "1001@default", "answered"},
		{"break_out.json", Abandoned, 45, 0, "", "BREAK_OUT"},
		{"timeout.json", Timeout, 300, 0, "", "TIMEOUT"},
		{"no_agent_timeout.json", Timeout, 60, 0, "", "NO_AGENT_TIMEOUT"},
		{"exit_with_key.json", ExitKey, 45, 0, "", "EXIT_WITH_KEY"},
		{"none.json", ExitOther, 15, 0, "", "NONE"},
		// The answer of an earlier stay in another queue is not this one's.
		{"leftover_earlier_stay.json", Abandoned, 30, 0, "", "BREAK_OUT"},
		// Talk runs up to the transfer onward (METRICS.md, talk_s).
		{"transferred.json", Answered, 30, 160, "1001@default", "answered"},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			got := fsBuild(t, tc.file)
			if len(got) != 1 {
				t.Fatalf("got %d queue calls %+v; want 1", len(got), got)
			}
			c := got[0]
			if c.Queue != "support@default" || c.Outcome != tc.outcome || c.WaitS != tc.wait || c.TalkS != tc.talk || c.Agent != tc.agent || c.EndVerb != tc.verb {
				t.Errorf("got queue %q %v wait %d talk %d agent %q end %q; want support@default %v wait %d talk %d agent %q end %q",
					c.Queue, c.Outcome, c.WaitS, c.TalkS, c.Agent, c.EndVerb, tc.outcome, tc.wait, tc.talk, tc.agent, tc.verb)
			}
			if c.Switch != "fs1" || c.Caller != "+4570123456" || c.Seq != 0 {
				t.Errorf("got switch %q caller %q seq %d; want fs1 +4570123456 0", c.Switch, c.Caller, c.Seq)
			}
		})
	}
}

func TestFreeSWITCHBuildLegsWithoutAStayMakeNoQueueCall(t *testing.T) {
	if got := fsBuild(t, "agent_leg.json", "ivr_leg_plain_values.json"); len(got) != 0 {
		t.Errorf("got %+v; want no queue call from an agent's leg or an IVR leg", got)
	}
}

func TestFreeSWITCHBuildKeepsGoodRecordsBesideBadOnes(t *testing.T) {
	got := fsBuild(t, "bad_beside_good.json", "break_out.json")
	if len(got) != 1 || got[0].Outcome != Abandoned {
		t.Errorf("got %+v; want the one good abandoned call, once although it came twice", got)
	}
}

func TestFreeSWITCHBuildOrderAndRepeatsDoNotMatter(t *testing.T) {
	b, err := os.ReadFile("testdata/freeswitch/answered.json")
	if err != nil {
		t.Fatal(err)
	}
	evs, _, _ := qlDecode(t, DecodeFreeSWITCHJSON, string(b), DecodeOptions{})
	rev := []Event{evs[2], evs[1], evs[0], evs[2], evs[0]}
	a, c := BuildFreeSWITCHCalls(evs, BuildOptions{}), BuildFreeSWITCHCalls(rev, BuildOptions{})
	if len(a) != 1 || fmt.Sprint(a) != fmt.Sprint(c) {
		t.Errorf("in order %+v; reversed with repeats %+v; want one and the same call", a, c)
	}
	// Only the join seen: waiting, then unknown once stale.
	join := evs[:1]
	if got := BuildFreeSWITCHCalls(join, BuildOptions{Now: join[0].Time.Add(time.Hour)}); len(got) != 1 || got[0].Outcome != Waiting {
		t.Errorf("join only, an hour later: got %+v; want waiting", got)
	}
	if got := BuildFreeSWITCHCalls(join, BuildOptions{Now: join[0].Time.Add(5 * time.Hour)}); len(got) != 1 || got[0].Outcome != Unknown {
		t.Errorf("join only, 5 h later: got %+v; want unknown", got)
	}
}

func TestFreeSWITCHRejects(t *testing.T) {
	tests := []struct{ body, field string }{
		{`{"variables":{"cc_queue":"q"}}`, "uuid"},
		{`{"channel_data":{}}`, "variables"},
		{`"a string"`, "json"},
		{`[1]`, "json"},
		{`{"variables":{"uuid":"u","start_epoch":"-5"}}`, "start_epoch"},
		{`{"variables":{"uuid":"u","start_epoch":"1717000000","cc_queue":"q"}}`, "cc_queue_joined_epoch"},
		{`{"variables":{"uuid":"u","cc_queue":"q","cc_queue_joined_epoch":"1717000000","cc_cause":"answered"}}`, "cc_queue_answered_epoch"},
		{`{"variables":{"uuid":"u","cc_queue":"q","cc_queue_joined_epoch":"1717000000","cc_cause":"cancel","cc_queue_canceled_epoch":"1717200000"}}`, "cc_queue_canceled_epoch"},
		{`{"variables":{"uuid":"u","cc_queue":"q","cc_queue_joined_epoch":"1917000000"}}`, "cc_queue_joined_epoch"},
		{`{"variables":{"uuid":"u"`, "json"},
	}
	for _, tc := range tests {
		evs, rejects, _ := qlDecode(t, DecodeFreeSWITCHJSON, tc.body, DecodeOptions{Now: fsNow})
		if len(evs) != 0 || len(rejects) != 1 || rejects[0].Field != tc.field || rejects[0].Line != 1 {
			t.Errorf("%s: got %d events, rejects %v; want one reject of field %s, record 1", tc.body, len(evs), rejects, tc.field)
		}
	}
	// An array of CDRs is read as its CDRs (a bulk export), record by
	// record; what is not an object in it is refused on its own.
	evs, rejects, _ := qlDecode(t, DecodeFreeSWITCHJSON, `[{"variables":{"uuid":"u1","start_epoch":"1717000000"}}, 7, {"variables":{"uuid":"u2","start_epoch":"1717000001"}}]`, DecodeOptions{Now: fsNow})
	if len(evs) != 2 || len(rejects) != 1 || rejects[0].Line != 2 || !strings.Contains(rejects[0].Reason, "a number is not a FreeSWITCH CDR object") {
		t.Errorf("an array: got %v, rejects %v; want two CDRs and record 2 refused", evs, rejects)
	}
	_, rejects, _ = qlDecode(t, DecodeFreeSWITCHXML, "<cdr><variables><uuid>u</uuid></variables>", DecodeOptions{})
	if len(rejects) != 1 || rejects[0].Field != "xml" {
		t.Errorf("truncated XML: got %v; want one xml reject", rejects)
	}
	_, rejects, _ = qlDecode(t, DecodeFreeSWITCHXML, "<cdr><channel_data/></cdr>", DecodeOptions{})
	if len(rejects) != 1 || rejects[0].Field != "variables" {
		t.Errorf("XML without variables: got %v; want one variables reject", rejects)
	}
}

func TestFreeSWITCHFormatsAreRegistered(t *testing.T) {
	for _, f := range []string{FormatFreeSWITCHJSON, FormatFreeSWITCHXML} {
		if _, err := Decoder(f); err != nil {
			t.Errorf("Decoder(%q): %v", f, err)
		}
	}
	if !strings.Contains(fmt.Sprint(Formats()), "freeswitch_json") {
		t.Errorf("Formats() = %v; want freeswitch_json listed", Formats())
	}
}

// fsSeed adds the fixtures to a fuzz corpus.
func fsSeed(f *testing.F, ext string) {
	f.Helper()
	paths, err := filepath.Glob("testdata/freeswitch/*" + ext)
	if err != nil {
		f.Fatal(err)
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

func fsFuzzCheck(t *testing.T, dec DecodeFunc, data []byte) {
	err := dec(bytes.NewReader(data), DecodeOptions{Switch: "fuzz", Now: fsNow, BatchSize: 3}, func(b Batch) error {
		for i := range b.Events {
			e := &b.Events[i]
			if e.CallID == "" || e.Verb == "" || e.Source != SourceFreeSWITCH || e.ID != EventID(e) {
				t.Errorf("record %d: got %+v; want call id, verb, source freeswitch and its id", e.Line, e)
			}
		}
		for _, r := range b.Rejects {
			if r.Line < 1 || r.Reason == "" {
				t.Errorf("got reject %+v; want a record number and a reason", r)
			}
		}
		stays := map[string]bool{}
		for _, c := range BuildCalls(b.Events, BuildOptions{Now: fsNow}) {
			if c.Transferred && c.Outcome != Answered {
				t.Errorf("got %+v; want transferred only on an answered stay", c)
			}
			// However often a CDR is posted, its stay is one queue call.
			k := fmt.Sprintf("%q %q %q %d", c.Switch, c.CallID, c.Queue, c.EnterTime.Unix())
			if stays[k] {
				t.Errorf("two queue calls for the stay %s", k)
			}
			stays[k] = true
		}
		return nil
	})
	if err != nil {
		t.Errorf("decode of in-memory bytes: got error %v; want nil", err)
	}
}

func FuzzDecodeFreeSWITCHJSON(f *testing.F) {
	fsSeed(f, ".json")
	// One CDR posted twice with a variable changed, one with a transfer.
	if b, err := os.ReadFile("testdata/freeswitch/answered.json"); err == nil {
		f.Add(append(append(b, b...), bytes.Replace(b, []byte(`"billsec": "330"`), []byte(`"billsec": "331", "transfer_source": "1717000100:x:bl_xfer:2000/default/XML"`), 1)...))
	}
	f.Fuzz(func(t *testing.T, data []byte) { fsFuzzCheck(t, DecodeFreeSWITCHJSON, data) })
}

func FuzzDecodeFreeSWITCHXML(f *testing.F) {
	fsSeed(f, ".xml")
	if b, err := os.ReadFile(realXMLCDR); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) { fsFuzzCheck(t, DecodeFreeSWITCHXML, data) })
}

// fsVariant is the CDR of testdata/freeswitch/name with some variables
// changed (a value nil removes the variable), as one JSON document.
func fsVariant(t *testing.T, name string, vars map[string]any) string {
	t.Helper()
	b, err := os.ReadFile("testdata/freeswitch/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	v := doc["variables"].(map[string]any)
	for k, x := range vars {
		if x == nil {
			delete(v, k)
			continue
		}
		v[k] = x
	}
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return string(out) + "\n"
}

// fsEventsOf decodes CDR documents that must be accepted, stamped as stored
// at the given time (zero: not stored).
func fsEventsOf(t *testing.T, stored time.Time, docs ...string) []Event {
	t.Helper()
	evs, rejects, _ := qlDecode(t, DecodeFreeSWITCHJSON, strings.Join(docs, ""), DecodeOptions{Switch: "fs1", Now: fsNow})
	if len(rejects) > 0 {
		t.Fatalf("rejects %v", rejects)
	}
	for i := range evs {
		evs[i].IngestedAt = stored
	}
	return evs
}

// TestFreeSWITCHResentWithChangedFieldIsOneStay: mod_json_cdr posts a CDR
// again (from its error folder, or a CDR regenerated) with variables
// changed: the caller's number, the hang-up cause, the bill and even the
// end of the bridge. The stay is one queue call whatever the order; the
// version stored last gives its figures, and with none stored, the one
// that ends last.
func TestFreeSWITCHResentWithChangedFieldIsOneStay(t *testing.T) {
	orig := fsVariant(t, "answered.json", nil)
	caller := fsVariant(t, "answered.json", map[string]any{"caller_id_number": "4570999999"})
	longer := fsVariant(t, "answered.json", map[string]any{"hangup_cause": "ORIGINATOR_CANCEL", "billsec": "340",
		"cc_queue_terminated_epoch": "1717000350", "end_epoch": "1717000350"})
	t0 := time.Unix(1717100000, 0).UTC()
	check := func(name string, evs []Event, talk uint32) {
		t.Helper()
		rev := slices.Clone(evs)
		slices.Reverse(rev)
		for _, in := range [][]Event{evs, rev} {
			got := BuildCalls(in, BuildOptions{Now: fsNow})
			if len(got) != 1 {
				t.Fatalf("%s: got %d queue calls %+v; want 1", name, len(got), got)
			}
			if c := got[0]; c.Outcome != Answered || c.WaitS != 30 || c.TalkS != talk || c.Agent != "1001@default" || c.Seq != 0 {
				t.Errorf("%s: got %v wait %d talk %d agent %q seq %d; want answered wait 30 talk %d agent 1001@default seq 0",
					name, c.Outcome, c.WaitS, c.TalkS, c.Agent, c.Seq, talk)
			}
		}
	}
	check("not stored", fsEventsOf(t, time.Time{}, orig, caller, longer), 310)
	check("the longer stored first", append(fsEventsOf(t, t0, longer), fsEventsOf(t, t0.Add(time.Hour), orig, caller)...), 300)
	check("the longer stored last", append(fsEventsOf(t, t0, orig, caller), fsEventsOf(t, t0.Add(time.Hour), longer)...), 310)

	// A version that says the caller gave up, stored last, decides; stored
	// first, the answered version stored after it decides.
	cancel := fsVariant(t, "answered.json", map[string]any{"cc_cause": "cancel", "cc_cancel_reason": "BREAK_OUT",
		"cc_queue_canceled_epoch": "1717000055", "cc_queue_answered_epoch": nil, "cc_queue_terminated_epoch": nil, "cc_agent": nil})
	evs := append(fsEventsOf(t, t0, orig), fsEventsOf(t, t0.Add(time.Hour), cancel)...)
	if got := BuildCalls(evs, BuildOptions{Now: fsNow}); len(got) != 1 || got[0].Outcome != Abandoned || got[0].WaitS != 45 {
		t.Errorf("cancel stored last: got %+v; want one abandoned call, wait 45", got)
	}
	evs = append(fsEventsOf(t, t0, cancel), fsEventsOf(t, t0.Add(time.Hour), orig)...)
	if got := BuildCalls(evs, BuildOptions{Now: fsNow}); len(got) != 1 || got[0].Outcome != Answered || got[0].TalkS != 300 {
		t.Errorf("answered stored last: got %+v; want one answered call, talk 300", got)
	}
}

// TestFreeSWITCHTransferred: an answered member leg whose transfer_history
// shows the agent sent the caller onward (a blind transfer, bl_xfer, or a
// bridge to another channel than the agent's, uuid_br) is transferred; the
// queue's own bridge to the agent, and a transfer before the answer (the
// IVR's), are not.
func TestFreeSWITCHTransferred(t *testing.T) {
	agent := "aaaaaaaa-1111-4111-8111-111111111111"
	bridge := "1717000040:0b7f6d0e-0000-4000-8000-000000000001:uuid_br:" + agent
	ivr := "1717000008:0b7f6d0e-0000-4000-8000-000000000000:bl_xfer:7000/default/XML"
	tests := []struct {
		name        string
		history     any
		transferred bool
	}{
		{"fixture transferred.json", nil, true},
		{"no history", "", false},
		{"the queue's bridge to the agent", bridge, false},
		{"an IVR transfer before the queue", "ARRAY::" + ivr + "|:" + bridge, false},
		{"blind transfer by the agent", "ARRAY::" + ivr + "|:" + bridge + "|:1717000200:0b7f6d0e-0000-4000-8000-000000000002:bl_xfer:2000/default/XML", true},
		{"attended transfer to a third party", "ARRAY::" + bridge + "|:1717000300:0b7f6d0e-0000-4000-8000-000000000003:uuid_br:cccccccc-3333-4333-8333-333333333333", true},
		{"a transfer after the stay ended", "ARRAY::" + bridge + "|:1717000400:0b7f6d0e-0000-4000-8000-000000000002:bl_xfer:survey/default/XML", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var doc string
			if tc.history == nil {
				b, err := os.ReadFile("testdata/freeswitch/transferred.json")
				if err != nil {
					t.Fatal(err)
				}
				doc = string(b)
			} else {
				doc = fsVariant(t, "answered.json", map[string]any{"transfer_history": tc.history, "transfer_source": nil})
			}
			got := BuildCalls(fsEventsOf(t, time.Time{}, doc), BuildOptions{Now: fsNow})
			if len(got) != 1 || got[0].Outcome != Answered || got[0].Transferred != tc.transferred {
				t.Fatalf("got %+v; want one answered call, transferred %v", got, tc.transferred)
			}
		})
	}
}
