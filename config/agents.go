package config

import (
	"fmt"
	"reflect"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/acdstat/acdstat/cdr"
)

// agentEntry is one agent of the agent map in the queue file
// (METRICS.md, "Agents"):
//
//	agents:
//	  anna:                       # the agent's id: letters, digits, _ . -
//	    name: Anna Jensen         # for people; default the id
//	    timezone: Europe/Copenhagen # default defaults.timezone
//	    names:                    # the names switches give her, per switch
//	      pbx1: [PJSIP/1001]
//	      pbx2: [SIP/201]
//	      "*": [Anna Jensen]      # this name on every switch
type agentEntry struct {
	Name     string              `yaml:"name"`
	Timezone string              `yaml:"timezone"`
	Names    map[string][]string `yaml:"names"`
}

// maxAgentID bounds an agent's id, which is stored with every agent row.
const maxAgentID = 64

// checkAgentKeys reports unknown keys of each agent.
func (p *queueParser) checkAgentKeys(v *yaml.Node, check func(n *yaml.Node, allowed []string, kind, name, where string)) {
	if v.Kind != yaml.MappingNode {
		return
	}
	for j := 0; j+1 < len(v.Content); j += 2 {
		check(v.Content[j+1], yamlKeys(reflect.TypeFor[agentEntry]()), "agent", v.Content[j].Value, "")
	}
}

// agents validates the agents section: an id is 1 to 64 letters, digits
// and _ . - (never a '/', which the ids of unmapped names hold, so the two
// never clash); every agent has at least one name; a key under names is a
// switch name or "*"; a name belongs to one agent, on its switch or on
// every switch. The zone is an IANA name, default def (defaults.timezone;
// nil where the file sets none: then the agent's zone is decided by
// cdr.Settings.AgentZone).
func (p *queueParser) agents(f *queueFile, def *time.Location) *cdr.AgentMap {
	if len(f.Agents) == 0 {
		return nil
	}
	var defs []cdr.AgentDef
	owner := map[cdr.AgentName]string{}
	for _, id := range sortedKeys(f.Agents) {
		e := f.Agents[id]
		path := []string{"agents", id}
		d := cdr.AgentDef{ID: id, Display: e.Name, Location: def, Mapped: true}
		if d.Display == "" {
			d.Display = id
		}
		if !agentID(id) {
			p.fail("agent", id, "", fmt.Sprintf("an agent's id is 1 to %d letters, digits and _ . - (no '/')", maxAgentID), path...)
		}
		if e.Timezone != "" {
			d.Location = p.zone(e.Timezone, "agent", id, "timezone", append(path, "timezone")...)
		}
		if len(e.Names) == 0 {
			p.fail("agent", id, "names", `missing: list the names the switches give the agent, e.g. {pbx1: ["PJSIP/1001"]}`, append(path, "names")...)
		}
		for _, sw := range sortedKeys(e.Names) {
			field := "names." + sw
			if sw != cdr.AgentAnySwitch {
				if _, err := cdr.SwitchName(sw); err != nil || sw == "" {
					p.fail("agent", id, field, fmt.Sprintf("%q is not a switch name (or \"*\" for every switch): %s", sw, cdr.SwitchRule), append(path, "names", sw)...)
					continue
				}
			}
			for _, n := range e.Names[sw] {
				k := cdr.AgentName{Switch: sw, Name: n}
				other := owner[k]
				if other == "" {
					// A name on every switch clashes with the same name on one.
					for o, a := range owner {
						if o.Name == n && (sw == cdr.AgentAnySwitch || o.Switch == cdr.AgentAnySwitch) {
							other = a
						}
					}
				}
				switch {
				case strings.TrimSpace(n) == "" || n == "NONE":
					p.fail("agent", id, field, fmt.Sprintf("%q is not a name a switch gives an agent", n), append(path, "names", sw)...)
				case other != "":
					p.fail("agent", id, field, fmt.Sprintf("%q is also a name of agent %q: a name belongs to one agent", n, other), append(path, "names", sw)...)
				default:
					owner[k] = id
					d.Names = append(d.Names, k)
				}
			}
		}
		defs = append(defs, d)
	}
	m, err := cdr.NewAgentMap(defs)
	if err != nil {
		p.fail("", "", "agents", err.Error(), "agents")
		return nil
	}
	return m
}

// agentID says whether s is an agent id of the map.
func agentID(s string) bool {
	if s == "" || len(s) > maxAgentID {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}
