package cdr

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"time"
)

// AgentAnySwitch is the switch of an agent name that the map gives for
// every switch (`*` under an agent's names in the queue file). No switch is
// named `*` (SwitchName), so it never clashes with one.
const AgentAnySwitch = "*"

// AgentName is one name a switch gives an agent: an interface or a member
// name as queue_log writes it (PJSIP/1001, Anna Jensen), a FreeSWITCH
// cc_agent, the To user of a SIP agent leg. Switch is AgentAnySwitch for a
// name of the map that holds on every switch.
type AgentName struct {
	Switch, Name string
}

// AgentDef is one agent: the person behind one or more names (METRICS.md,
// "Agents"). A def of the map has the map's key as ID; an unmapped name is
// an agent of its own with the ID "<switch>/<name>" (map keys hold no '/',
// so the two never clash) and the name as Display.
type AgentDef struct {
	ID      string
	Display string
	// Location is the zone of the agent's periods; never nil in a def
	// returned by Settings.Agent.
	Location *time.Location
	Names    []AgentName
	// Mapped says the def comes from the map, so Display was given by it.
	Mapped bool
}

// Matches says whether the name of switch sw is one of d's names.
func (d *AgentDef) Matches(sw, name string) bool {
	for _, n := range d.Names {
		if n.Name == name && (n.Switch == sw || n.Switch == AgentAnySwitch) {
			return true
		}
	}
	return false
}

// AgentMap joins names into agents (the queue file's `agents:`). It is
// immutable after NewAgentMap and safe for concurrent use; a nil map lists
// no agent, so every name is an agent of its own.
type AgentMap struct {
	defs  []AgentDef // by ID
	exact map[AgentName]int
	any   map[string]int
}

// NewAgentMap builds the map of defs. A name may belong to one agent only,
// on its switch or under AgentAnySwitch (the map's parser refuses both
// with the line at fault; this is the backstop).
func NewAgentMap(defs []AgentDef) (*AgentMap, error) {
	m := &AgentMap{defs: slices.Clone(defs), exact: map[AgentName]int{}, any: map[string]int{}}
	slices.SortFunc(m.defs, func(a, b AgentDef) int {
		switch {
		case a.ID < b.ID:
			return -1
		case a.ID > b.ID:
			return 1
		}
		return 0
	})
	for i, d := range m.defs {
		if i > 0 && m.defs[i-1].ID == d.ID {
			return nil, fmt.Errorf("agent %q is given twice", d.ID)
		}
		for _, n := range d.Names {
			if j, ok := m.exact[n]; ok && n.Switch != AgentAnySwitch {
				return nil, fmt.Errorf("agents %q and %q both have the name %q of switch %s", m.defs[j].ID, d.ID, n.Name, n.Switch)
			}
			if n.Switch == AgentAnySwitch {
				if j, ok := m.any[n.Name]; ok {
					return nil, fmt.Errorf("agents %q and %q both have the name %q on every switch", m.defs[j].ID, d.ID, n.Name)
				}
				m.any[n.Name] = i
				continue
			}
			m.exact[n] = i
		}
	}
	for n, i := range m.exact {
		if j, ok := m.any[n.Name]; ok && j != i {
			return nil, fmt.Errorf("agents %q and %q both have the name %q of switch %s (one on every switch)", m.defs[j].ID, m.defs[i].ID, n.Name, n.Switch)
		}
	}
	return m, nil
}

// Defs returns the agents of the map, by ID; the caller must not modify
// them.
func (m *AgentMap) Defs() []AgentDef {
	if m == nil {
		return nil
	}
	return m.defs
}

// Agent returns the agent that name of switch sw belongs to: the map's, or
// an agent of its own (AgentDef). Its Location is the map's zone of the
// agent, else the queue file's defaults.timezone, else Europe/Copenhagen
// (METRICS.md, "Period and zone"). s may be nil.
func (s *Settings) Agent(sw, name string) AgentDef {
	var m *AgentMap
	if s != nil {
		m = s.Agents
	}
	if m != nil {
		i, ok := m.exact[AgentName{sw, name}]
		if !ok {
			i, ok = m.any[name]
		}
		if ok {
			d := m.defs[i]
			if d.Location == nil {
				d.Location = s.AgentZone()
			}
			return d
		}
	}
	return AgentDef{ID: sw + "/" + name, Display: name, Location: s.AgentZone(), Names: []AgentName{{sw, name}}}
}

// AgentZone is the zone of agents the map gives none: the queue file's
// defaults.timezone, else Europe/Copenhagen. s may be nil.
func (s *Settings) AgentZone() *time.Location {
	if s != nil && s.DefaultSwitchZone != nil {
		return s.DefaultSwitchZone
	}
	return defaultLocation()
}

// AgentPseudonym is the pseudonym of an agent id under key
// (ACDSTAT_AGENT_FIGURES=pseudonymous): "a-" and the first 12 hex digits
// of its HMAC-SHA256. The same id always gives the same pseudonym, and
// without the key it cannot be turned back into the id.
func AgentPseudonym(key []byte, id string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id))
	return "a-" + hex.EncodeToString(m.Sum(nil)[:6])
}

// The queue_log verbs of agents (research/acd-anchors.md §2a).
const (
	VerbAgentLogin          = "AGENTLOGIN"
	VerbAgentLogoff         = "AGENTLOGOFF"
	VerbAgentCallbackLogin  = "AGENTCALLBACKLOGIN"
	VerbAgentCallbackLogoff = "AGENTCALLBACKLOGOFF"
	VerbAddMember           = "ADDMEMBER"
	VerbRemoveMember        = "REMOVEMEMBER"
	VerbPause               = "PAUSE"
	VerbUnpause             = "UNPAUSE"
	VerbPauseAll            = "PAUSEALL"
	VerbUnpauseAll          = "UNPAUSEALL"
	VerbRingNoAnswer        = "RINGNOANSWER"
	VerbRingCanceled        = "RINGCANCELED"
	VerbQueueStart          = "QUEUESTART"
)

// agentVerbs are the verbs of an agent's own lines that the agent builder
// reads, with their tie rank within one second (METRICS.md: QUEUESTART,
// then ends, then beginnings, then rings).
var agentVerbs = map[string]uint8{
	VerbQueueStart:          0,
	VerbAgentLogoff:         1,
	VerbAgentCallbackLogoff: 1,
	VerbRemoveMember:        1,
	VerbUnpause:             1,
	VerbUnpauseAll:          1,
	VerbAgentLogin:          2,
	VerbAgentCallbackLogin:  2,
	VerbAddMember:           2,
	VerbPause:               2,
	VerbPauseAll:            2,
	VerbRingNoAnswer:        3,
	VerbRingCanceled:        3,
}

// IsAgentEvent says whether e is a line the agent figures read: a
// queue_log session, pause or ring line of an agent, or a QUEUESTART (a
// restart of the switch, which ends every session). These are the events
// the store keeps by agent as well (store.InsertEvents), so the agent job
// finds an agent's lines without reading every call.
func IsAgentEvent(e *Event) bool {
	if e.Source != SourceQueueLog && e.Source != SourceQueueLogDB {
		return false
	}
	if _, ok := agentVerbs[e.Verb]; !ok {
		return false
	}
	return e.Verb == VerbQueueStart || (e.Agent != "" && e.Agent != "NONE")
}

// AgentPeriod is the sum of an agent's rows over one period: of one queue,
// or of all its queues (Queue AgentAllQueues, with the time figures), as
// store.AgentPeriods reads it for the agent report.
type AgentPeriod struct {
	Agent, Display, TZ, Queue string
	// Start is the UTC instant the local period begins in the agent's
	// zone (TZ), as the rows were keyed.
	Start  time.Time
	Counts AgentCounts
	// Versions are the settings versions the period was counted with,
	// sorted.
	Versions []string
}

// AgentAllQueues is the queue of an agent row over all its queues
// (METRICS.md, "The agent row").
const AgentAllQueues = "*"

// AgentTouch names one name of an agent that got lines or queue-call rows
// stored in a range of insert times, with the span of their times (the
// earliest and latest line, or the enter to the end of the stays): what
// the agent job recomputes. A QUEUESTART touches the name "NONE" of its
// switch, which stands for every agent of it.
type AgentTouch struct {
	Name             AgentName
	MinTime, MaxTime time.Time
}
