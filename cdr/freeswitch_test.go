package cdr

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
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
		{`[1,2]`, "json"},
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
	_, rejects, _ := qlDecode(t, DecodeFreeSWITCHXML, "<cdr><variables><uuid>u</uuid></variables>", DecodeOptions{})
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
		BuildCalls(b.Events, BuildOptions{Now: fsNow})
		return nil
	})
	if err != nil {
		t.Errorf("decode of in-memory bytes: got error %v; want nil", err)
	}
}

func FuzzDecodeFreeSWITCHJSON(f *testing.F) {
	fsSeed(f, ".json")
	f.Fuzz(func(t *testing.T, data []byte) { fsFuzzCheck(t, DecodeFreeSWITCHJSON, data) })
}

func FuzzDecodeFreeSWITCHXML(f *testing.F) {
	fsSeed(f, ".xml")
	if b, err := os.ReadFile(realXMLCDR); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) { fsFuzzCheck(t, DecodeFreeSWITCHXML, data) })
}
