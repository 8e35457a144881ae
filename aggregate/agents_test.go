package aggregate

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/acdstat/acdstat/cdr"
)

func TestAgentConfigValidate(t *testing.T) {
	ok := AgentConfig{Figures: AgentsOn, StaleAfter: 24 * time.Hour, Every: "@every 10s"}
	f := func(mod func(*AgentConfig), want string) {
		t.Helper()
		c := ok
		mod(&c)
		err := c.Validate()
		if want == "" && err != nil || want != "" && (err == nil || !strings.Contains(err.Error(), want)) {
			t.Errorf("%+v: got %v; want %q", c, err, want)
		}
	}
	f(func(c *AgentConfig) {}, "")
	f(func(c *AgentConfig) { c.Figures = "maybe" }, `ACDSTAT_AGENT_FIGURES: "maybe" is not on, pseudonymous or off`)
	f(func(c *AgentConfig) { c.Figures = AgentsPseudonymous }, "needs ACDSTAT_AGENT_HASH_KEY")
	f(func(c *AgentConfig) { c.Figures, c.HashKey = AgentsPseudonymous, "short" }, "at least 16 bytes")
	f(func(c *AgentConfig) { c.Figures, c.HashKey = AgentsPseudonymous, "0123456789abcdef" }, "")
	f(func(c *AgentConfig) { c.HashKey, c.HashKeyFile = "a", "b" }, "exclusive")
	f(func(c *AgentConfig) { c.StaleAfter = 0 }, "ACDSTAT_AGENT_STALE_AFTER")
	f(func(c *AgentConfig) { c.Every = "soon" }, "ACDSTAT_AGENT_SCHEDULE")
	f(func(c *AgentConfig) { c.Figures, c.Every = AgentsOff, "soon" }, "")
	key := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(key, []byte("0123456789abcdef\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := ok
	c.Figures, c.HashKeyFile = AgentsPseudonymous, key
	if k, err := c.Key(); err != nil || string(k) != "0123456789abcdef" {
		t.Errorf("key from a file: %q %v", k, err)
	}
}

// TestAgentsShownByPseudonym: with a key, an agent is named by its
// pseudonym, and shown by the name the map gives it, else the pseudonym
// (never a switch's name, nor the map's key).
func TestAgentsShownByPseudonym(t *testing.T) {
	key := []byte("0123456789abcdef")
	r := &AgentRoller{key: key}
	named := r.shown(cdr.AgentDef{ID: "anna", Display: "Anna Jensen", Mapped: true})
	keyOnly := r.shown(cdr.AgentDef{ID: "bo", Display: "bo", Mapped: true})
	unmapped := r.shown(cdr.AgentDef{ID: "pbx1/PJSIP/1001", Display: "PJSIP/1001"})
	if named.ID != cdr.AgentPseudonym(key, "anna") || named.Display != "Anna Jensen" {
		t.Errorf("a named agent: %+v", named)
	}
	if keyOnly.Display != keyOnly.ID || keyOnly.ID != cdr.AgentPseudonym(key, "bo") {
		t.Errorf("an agent the map names no display name: %+v; want its pseudonym", keyOnly)
	}
	if unmapped.Display != unmapped.ID || strings.Contains(unmapped.ID, "PJSIP") {
		t.Errorf("an unmapped agent: %+v; want its pseudonym", unmapped)
	}
	if plain := (&AgentRoller{}).shown(cdr.AgentDef{ID: "anna", Display: "Anna Jensen"}); plain.ID != "anna" {
		t.Errorf("without a key: %+v", plain)
	}
}
