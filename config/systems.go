package config

import (
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/acdstat/acdstat/cdr"
)

// The systems section of the queue file: the systems whose response times
// monitoring probes measure (cdr/systems.go, docs/METRICS.md "System
// response-time compliance"), in the order the report lists them.
//
//	systems:
//	  Orbit:                      # the system name the probes give
//	    name: Orbit               # for people; default the key
//	    agreed_level: 0.998       # the service agreement's level, a fraction (99.80 %)
//	    timezone: Europe/Copenhagen # of its days and months; default defaults.timezone
//	    thresholds:               # class: seconds; standard 3 and data_heavy 15 are built in
//	      standard: 3
//	      data_heavy: 15
//	    actions:                  # the class of an action whose probes name none
//	      login: data_heavy
//
// A probe that names its own threshold is judged against it; else against
// its class's; else against the class of its action; else standard's. An
// agreed level is compared at the two decimals of a percent people read,
// so it has at most four decimals as a fraction (0.9980).

// systemEntry is one system of the queue file.
type systemEntry struct {
	Name        string             `yaml:"name"`
	AgreedLevel *float64           `yaml:"agreed_level"`
	Timezone    string             `yaml:"timezone"`
	Thresholds  map[string]float64 `yaml:"thresholds"`
	Actions     map[string]string  `yaml:"actions"`
}

// checkSystemKeys reports unknown keys of each system.
func (p *queueParser) checkSystemKeys(v *yaml.Node, check func(n *yaml.Node, allowed []string, kind, name, where string)) {
	if v.Kind != yaml.MappingNode {
		return
	}
	for j := 0; j+1 < len(v.Content); j += 2 {
		check(v.Content[j+1], yamlKeys(reflect.TypeFor[systemEntry]()), "system", v.Content[j].Value, "")
	}
}

// systemOrder returns the keys of the systems section in the order the file
// writes them (the decoder's map has none).
func (p *queueParser) systemOrder() []string {
	top := p.doc()
	if top == nil {
		return nil
	}
	var out []string
	for i := 0; i+1 < len(top.Content); i += 2 {
		if v := top.Content[i+1]; top.Content[i].Value == "systems" && v.Kind == yaml.MappingNode {
			for j := 0; j+1 < len(v.Content); j += 2 {
				out = append(out, v.Content[j].Value)
			}
		}
	}
	return out
}

// systems converts and validates the systems section; def is the zone of
// systems that give none (defaults.timezone, else Europe/Copenhagen).
func (p *queueParser) systems(f *queueFile, def *time.Location) []cdr.SystemSettings {
	if len(f.Systems) == 0 {
		return nil
	}
	order := p.systemOrder()
	if len(order) != len(f.Systems) {
		order = sortedKeys(f.Systems) // never the case for a mapping; a safe order anyway
	}
	var out []cdr.SystemSettings
	for _, name := range order {
		e, ok := f.Systems[name]
		if !ok {
			continue
		}
		path := []string{"systems", name}
		fail := func(field, msg string, sub ...string) {
			p.fail("system", name, field, msg, append(slices.Clone(path), sub...)...)
		}
		sys := cdr.DefaultSystemSettings(name)
		if strings.TrimSpace(name) == "" {
			fail("", "a system name must not be empty")
		}
		if e.Name != "" {
			sys.Display = e.Name
		}
		if def != nil {
			sys.Location = def
		}
		if e.Timezone != "" {
			sys.Location = p.zone(e.Timezone, "system", name, "timezone", append(slices.Clone(path), "timezone")...)
		}
		if l := e.AgreedLevel; l != nil {
			bp := math.Round(*l * 10000)
			switch {
			case !(*l > 0 && *l <= 1):
				fail("agreed_level", fmt.Sprintf("%v: must be a fraction above 0 and at most 1 (0.998 is 99.80 %%)", *l), "agreed_level")
			case math.Abs(*l*10000-bp) > 1e-6:
				fail("agreed_level", fmt.Sprintf("%v: is compared at the two decimals of a percent that people read: give at most four decimals (0.9980 is 99.80 %%)", *l), "agreed_level")
			default:
				sys.AgreedLevel = int(bp)
			}
		}
		for _, k := range sortedKeys(e.Thresholds) {
			c := cdr.NormalClass(k)
			if !cdr.ValidClass(c) {
				fail("thresholds", fmt.Sprintf("%q is not a class name (letters, digits and _, e.g. data_heavy)", k), "thresholds")
				continue
			}
			s := e.Thresholds[k]
			if !(s > 0 && s <= maxSeconds) {
				fail("thresholds."+c, fmt.Sprintf("%v: must be more than 0 s and at most %d s", s, maxSeconds), "thresholds", k)
				continue
			}
			sys.Thresholds[c] = int64(math.Round(s * 1e6))
		}
		for _, a := range sortedKeys(e.Actions) {
			c := cdr.NormalClass(e.Actions[a])
			if _, ok := sys.Thresholds[c]; !ok {
				classes := make([]string, 0, len(sys.Thresholds))
				for k := range sys.Thresholds {
					classes = append(classes, k)
				}
				slices.Sort(classes)
				fail("actions."+a, fmt.Sprintf("%q is not a class of this system (%s): add it under thresholds", e.Actions[a], strings.Join(classes, ", ")), "actions", a)
				continue
			}
			if sys.Actions == nil {
				sys.Actions = map[string]string{}
			}
			sys.Actions[a] = c
		}
		out = append(out, sys)
	}
	return out
}
