package intake

import (
	"os"
	"strings"
	"testing"

	"github.com/acdstat/acdstat/cdr"
)

// TestPrivacyCoversFreeSWITCHCallers: FreeSWITCH CDRs carry the caller
// number in data2 of CCJOIN and of plain CDR legs; hash and drop must reach
// them as they reach ENTERQUEUE.
func TestPrivacyCoversFreeSWITCHCallers(t *testing.T) {
	var body strings.Builder
	for _, name := range []string{"answered.json", "ivr_leg_plain_values.json"} {
		b, err := os.ReadFile("../cdr/testdata/freeswitch/" + name)
		if err != nil {
			t.Fatal(err)
		}
		body.Write(b)
		body.WriteByte('\n')
	}
	decode := func(p *Privacy) []cdr.Event {
		var evs []cdr.Event
		err := p.Wrap(cdr.DecodeFreeSWITCHJSON)(strings.NewReader(body.String()), cdr.DecodeOptions{Switch: "fs1"}, func(b cdr.Batch) error {
			if len(b.Rejects) > 0 {
				t.Fatal(b.Rejects[0])
			}
			evs = append(evs, b.Events...)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return evs
	}
	keep := decode(nil)
	hash, err := NewPrivacy("hash", testKey, "")
	if err != nil {
		t.Fatal(err)
	}
	drop, _ := NewPrivacy("drop", "", "")
	hashed, dropped := decode(hash), decode(drop)
	seen := map[string]bool{}
	for i, e := range keep {
		if e.Verb != cdr.FSVerbJoin && e.Verb != cdr.FSVerbCDR || e.Data[1] == "" {
			continue
		}
		seen[e.Verb] = true
		if h := hashed[i].Data[1]; !strings.HasPrefix(h, "h:") || len(h) != 18 || hashed[i].ID == e.ID || hashed[i].ID != cdr.EventID(&hashed[i]) {
			t.Errorf("%s: hashed caller %q (id %d, kept id %d); want h: and 16 hex digits and the id of the hashed event", e.Verb, h, hashed[i].ID, e.ID)
		}
		if dropped[i].Data[1] != "" {
			t.Errorf("%s: dropped caller %q; want empty", e.Verb, dropped[i].Data[1])
		}
	}
	if !seen[cdr.FSVerbJoin] || !seen[cdr.FSVerbCDR] {
		t.Fatalf("the fixtures gave callers in %v; want both CCJOIN and CDR", seen)
	}
}
