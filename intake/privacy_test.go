package intake

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/acdstat/acdstat/cdr"
)

const testKey = "0123456789abcdef-hospital"

func decodeWith(t *testing.T, p *Privacy, body string) cdr.Batch {
	t.Helper()
	decode := p.Wrap(cdr.DecodeQueueLog)
	var all cdr.Batch
	err := decode(strings.NewReader(body), cdr.DecodeOptions{Switch: "pbx1"}, func(b cdr.Batch) error {
		all.Events = append(all.Events, b.Events...)
		all.Rejects = append(all.Rejects, b.Rejects...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return all
}

func TestPrivacyHashesOrDropsCallerNumbers(t *testing.T) {
	body := enter + "1700000030|c1.1|servicedesk|PJSIP/2101|CONNECT|30|c1.2|2\n" + "bad|c9.1|q|NONE|ENTERQUEUE||4587654321|1\n"
	keep := decodeWith(t, nil, body)
	hash, err := NewPrivacy("", testKey, "")
	if err != nil || hash.Mode() != CallerHash {
		t.Fatalf("a key without a mode: %v, %v; want hash", hash.Mode(), err)
	}
	drop, _ := NewPrivacy("drop", "", "")
	h1, h2, d := decodeWith(t, hash, body), decodeWith(t, hash, body), decodeWith(t, drop, body)

	if got := h1.Events[0].Data[1]; !strings.HasPrefix(got, "h:") || len(got) != 18 || strings.Contains(got, "4512345678") {
		t.Errorf("hashed caller %q; want h: and 16 hex digits", got)
	}
	if h1.Events[0].ID != h2.Events[0].ID || h1.Events[0].Data[1] != h2.Events[0].Data[1] {
		t.Error("the same line decoded twice in hash mode got two ids or two hashes")
	}
	if h1.Events[0].ID == keep.Events[0].ID || h1.Events[0].ID != cdr.EventID(&h1.Events[0]) {
		t.Error("the id is not computed from the hashed line")
	}
	if d.Events[0].Data[1] != "" {
		t.Errorf("drop kept %q", d.Events[0].Data[1])
	}
	if h1.Events[1] != keep.Events[1] {
		t.Error("an event without a caller number changed")
	}
	for name, b := range map[string]cdr.Batch{"hash": h1, "drop": d} {
		if raw := b.Rejects[0].Raw; strings.Contains(raw, "4587654321") || !strings.Contains(raw, "xxxxxxxxxx") {
			t.Errorf("%s: reject raw %q still shows the number", name, raw)
		}
	}
	if keep.Rejects[0].Raw != strings.TrimSuffix(strings.Split(body, "\n")[2], "\n") {
		t.Errorf("keep changed the raw line: %q", keep.Rejects[0].Raw)
	}
	other, _ := NewPrivacy("hash", testKey+"x", "")
	if decodeWith(t, other, body).Events[0].Data[1] == h1.Events[0].Data[1] {
		t.Error("two keys gave the same hash")
	}
}

func TestPrivacyKeyFileAndErrors(t *testing.T) {
	file := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(file, []byte(testKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	fromFile, err := NewPrivacy("hash", "", file)
	if err != nil {
		t.Fatal(err)
	}
	fromEnv, _ := NewPrivacy("hash", testKey, "")
	if decodeWith(t, fromFile, enter).Events[0] != decodeWith(t, fromEnv, enter).Events[0] {
		t.Error("the key file (with its line break) and the same key in the environment differ")
	}
	for _, tc := range [][3]string{{"hash", "", ""}, {"hash", "short", ""}, {"blur", "", ""}, {"hash", testKey, file}, {"hash", "", file + ".missing"}} {
		if _, err := NewPrivacy(tc[0], tc[1], tc[2]); err == nil {
			t.Errorf("NewPrivacy%q: no error", tc)
		} else if strings.Contains(err.Error(), testKey) {
			t.Errorf("NewPrivacy%q: the error shows the key: %v", tc, err)
		}
	}
}

func TestMaskDigits(t *testing.T) {
	for in, want := range map[string]string{
		"1700000000|1700000000.12|q|NONE|ENTERQUEUE||4512345678|1": "1700000000|1700000000.12|q|NONE|ENTERQUEUE||xxxxxxxxxx|1",
		"2025-07-01 10:00:00,c1,q,NONE,ENTERQUEUE,,+4512345678,1":  "2025-07-01 10:00:00,c1,q,NONE,ENTERQUEUE,,+xxxxxxxxxx,1",
		"no numbers 1234 here": "no numbers 1234 here",
	} {
		if got := MaskDigits(in); got != want {
			t.Errorf("MaskDigits(%q) = %q; want %q", in, got, want)
		}
	}
}

// SIP facts carry the caller's From user in their key=value field; the
// setting reaches it too, and the id follows the changed record.
func TestPrivacyCoversSIPFacts(t *testing.T) {
	for _, mode := range []string{CallerHash, CallerDrop} {
		p, err := NewPrivacy(mode, "a-secret-of-the-hospital", "")
		if err != nil {
			t.Fatal(err)
		}
		e := cdr.Event{Switch: "hep-2001", Source: "sip", CallID: "abc@pbx", Verb: "INVITE",
			Data: [5]string{"abc@pbx", "tag1", "", "1 INVITE", "from=4512345678&ruri=7001"}}
		e.ID = cdr.EventID(&e)
		before := e.ID
		evs := []cdr.Event{e}
		p.event(&evs[0])
		if strings.Contains(evs[0].Data[4], "4512345678") || !strings.Contains(evs[0].Data[4], "ruri=7001") {
			t.Errorf("%s: Data[4] = %q; want the number gone and the rest kept", mode, evs[0].Data[4])
		}
		if evs[0].ID == before || evs[0].ID != cdr.EventID(&evs[0]) {
			t.Errorf("%s: id not recomputed", mode)
		}
	}
}
