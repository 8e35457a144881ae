package cdr

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Shipped case maps: the column maps of the exports of four
// service-management tools, built from their documented columns, for
// DecodeCases (`acdstat ingest --format cases --map servicenow`,
// `POST /v1/cases?map=servicenow`). Each says in its comment which of our
// fields the export lacks and what follows. A tool configured with other
// priorities or labels needs its own map (a CDRMap from YAML).

// ShippedCaseMaps are the shipped maps by name.
var ShippedCaseMaps = map[string]*CDRMap{
	// ServiceNow, an incident list exported as CSV (the list's field names
	// as the header; times in the instance's format yyyy-MM-dd HH:mm:ss in
	// the exporting user's zone). number, assignment_group (the desk),
	// contact_type (the channel), priority (1 - Critical … 5 - Planning),
	// opened_at, resolved_at, sys_updated_on, reopen_count and
	// reopened_time. It lacks a first-contact flag: the flag is unknown
	// (the case counts in no first-contact figure and, with a priority, in
	// the share within time) unless a site adds a field and maps it.
	"servicenow": {
		Columns: map[string]string{"id": "number", "desk": "assignment_group", "channel": "contact_type", "criticality": "priority",
			"opened": "opened_at", "resolved": "resolved_at", "updated": "sys_updated_on", "reopen_count": "reopen_count", "reopened": "reopened_time"},
		TimeFormat: "2006-01-02 15:04:05",
		Values: map[string]map[string]string{
			"channel":     {"self-service": "portal", "virtual_agent": "chat", "email": "email", "walk-in": "walk-in", "phone": ChannelPhone, "chat": "chat"},
			"criticality": {"1 - critical": CriticalityCritical, "2 - high": CriticalityHigh, "3 - moderate": CriticalityMedium, "4 - low": CriticalityNormal, "5 - planning": CriticalityNormal},
		},
	},
	// TOPdesk, an incident selection exported as CSV with the English
	// labels of its fields: Number, Operator group (the desk), Entry type
	// (the channel), Priority (P1 … P4 as shipped), Call date, Completion
	// date (the resolution), Modification date, and Line (First line /
	// Second line). It has no reopen count nor reopening time (a reopened
	// call clears its completion: the state says open); the first-contact
	// flag is derived from Line: a call completed in the first line is
	// resolved at first contact, one escalated to the second line is not.
	"topdesk": {
		Columns: map[string]string{"id": "Number", "desk": "Operator group", "channel": "Entry type", "criticality": "Priority",
			"opened": "Call date", "resolved": "Completion date", "updated": "Modification date", "first_contact": "Line"},
		TimeFormat: "02-01-2006 15:04",
		Values: map[string]map[string]string{
			"channel":       {"telephone": ChannelPhone, "e-mail": "email", "self service portal": "portal", "selfservice portal": "portal", "walk-in": "walk-in", "chat": "chat"},
			"criticality":   {"p1": CriticalityCritical, "p2": CriticalityHigh, "p3": CriticalityMedium, "p4": CriticalityNormal},
			"first_contact": {"first line": "true", "second line": "false"},
		},
	},
	// Jira Service Management, issues exported as CSV (current fields):
	// Issue key, Project name (the desk; a site with several desks in one
	// project maps a request-type field instead), Priority (Highest …
	// Lowest), Created, Resolved, Updated, in Jira's default format
	// dd/MMM/yy h:mm a (minutes only: the seconds are 0). It lacks the
	// channel (the request channel is not an export column: cases count with
	// an empty channel, never as phone), a first-contact flag (unknown), and
	// a reopen count and time (a reopened issue loses its Resolved: the
	// state says open).
	"jira": {
		Columns: map[string]string{"id": "Issue key", "desk": "Project name", "criticality": "Priority",
			"opened": "Created", "resolved": "Resolved", "updated": "Updated"},
		TimeFormat: "02/Jan/06 3:04 PM",
		Values: map[string]map[string]string{
			"criticality": {"highest": CriticalityCritical, "high": CriticalityHigh, "medium": CriticalityMedium, "low": CriticalityNormal, "lowest": CriticalityNormal},
		},
	},
	// OTRS (and Znuny), tickets exported as CSV with the attribute names of
	// TicketGet (Extended): TicketNumber, Queue (the desk), Priority (1 very
	// low … 5 very high), Created, Closed (the close time), Changed. It
	// lacks the channel (the communication channel belongs to articles, not
	// tickets: empty), a first-contact flag (unknown), and a reopen count and
	// time (a reopened ticket is open again until its next Closed).
	"otrs": {
		Columns: map[string]string{"id": "TicketNumber", "desk": "Queue", "criticality": "Priority",
			"opened": "Created", "resolved": "Closed", "updated": "Changed"},
		TimeFormat: "2006-01-02 15:04:05",
		Values: map[string]map[string]string{
			"criticality": {"5 very high": CriticalityCritical, "4 high": CriticalityHigh, "3 normal": CriticalityNormal, "2 low": CriticalityNormal, "1 very low": CriticalityNormal},
		},
	},
}

// ShippedCaseMap returns the shipped map of a tool, nil for "" (our own
// column names), or an error naming the maps.
func ShippedCaseMap(name string) (*CDRMap, error) {
	if name == "" {
		return nil, nil
	}
	if m, ok := ShippedCaseMaps[strings.ToLower(name)]; ok {
		return m, nil
	}
	return nil, fmt.Errorf("cdr: no shipped case map %q (shipped: %s)", name, strings.Join(slices.Sorted(maps.Keys(ShippedCaseMaps)), ", "))
}
