package config

import (
	"fmt"
	"reflect"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/acdstat/acdstat/cdr"
)

// entryEntry is one entry of the IVR funnel in the queue file.
type entryEntry struct {
	Name     string   `yaml:"name"`
	Numbers  []string `yaml:"numbers"`
	Timezone string   `yaml:"timezone"`
	Queues   []string `yaml:"queues"`
}

// checkEntryKeys reports unknown keys of each entry.
func (p *queueParser) checkEntryKeys(v *yaml.Node, check func(n *yaml.Node, allowed []string, kind, name, where string)) {
	if v.Kind != yaml.MappingNode {
		return
	}
	for j := 0; j+1 < len(v.Content); j += 2 {
		check(v.Content[j+1], yamlKeys(reflect.TypeFor[entryEntry]()), "entry", v.Content[j].Value, "")
	}
}

// entries validates the entries section: every entry needs at least one
// number, a number belongs to one entry, a zone is an IANA name (default
// defaults.timezone), queue names are not empty and not repeated.
func (p *queueParser) entries(f *queueFile, def *time.Location) []cdr.FunnelEntry {
	var out []cdr.FunnelEntry
	owner := map[string]string{}
	for _, name := range sortedKeys(f.Entries) {
		e := f.Entries[name]
		path := []string{"entries", name}
		ent := cdr.FunnelEntry{Name: name, Title: e.Name, Location: def}
		if ent.Title == "" {
			ent.Title = name
		}
		if strings.TrimSpace(name) == "" {
			p.fail("entry", name, "", "an entry needs a name", path...)
		}
		if len(e.Numbers) == 0 {
			p.fail("entry", name, "numbers", `missing: list the numbers callers dial, e.g. ["70000"]`, append(path, "numbers")...)
		}
		for _, n := range e.Numbers {
			n = strings.TrimSpace(n)
			switch {
			case n == "":
				p.fail("entry", name, "numbers", "an empty number", append(path, "numbers")...)
			case owner[n] != "":
				p.fail("entry", name, "numbers", fmt.Sprintf("%q is also a number of entry %q: a number belongs to one entry", n, owner[n]), append(path, "numbers")...)
			default:
				owner[n] = name
				ent.Numbers = append(ent.Numbers, n)
			}
		}
		if e.Timezone != "" {
			ent.Location = p.zone(e.Timezone, "entry", name, "timezone", append(path, "timezone")...)
		}
		seen := map[string]bool{}
		for _, q := range e.Queues {
			switch {
			case strings.TrimSpace(q) == "":
				p.fail("entry", name, "queues", "an empty queue name", append(path, "queues")...)
			case seen[q]:
				p.fail("entry", name, "queues", fmt.Sprintf("%q is listed twice", q), append(path, "queues")...)
			default:
				seen[q] = true
				ent.Queues = append(ent.Queues, q)
			}
		}
		out = append(out, ent)
	}
	return out
}
