package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/acdstat/acdstat/cdr"
)

// The queue settings file (ACDSTAT_QUEUES) is YAML. Every key is optional;
// unknown keys are errors. An example is deploy/queues.example.yaml.
//
//	switches:                     # the zone each switch writes local times in (cdr_csv, DB exports)
//	  pbx1: {timezone: Europe/Copenhagen}
//	defaults:
//	  timezone: Europe/Copenhagen # switches not listed, and listed queues without a timezone
//	queues:
//	  klinisk:                    # the queue name the switch writes
//	    name: Klinisk Servicedesk # for people; default the queue name
//	    timezone: Europe/Copenhagen
//	    hours:                    # local, half-open: 08:00-16:00 is 08:00:00 up to 15:59:59
//	      mon-thu: "08:00-16:00"
//	      fri: "08:00-15:00"
//	    closed: ["2025-12-24", "2025-12-31"]
//	    danish_holidays: true     # closed on Danish public holidays, year by year
//	    sla_s: 300                # 1..86400, default 300
//	    short_abandon_s: 5        # 0..86400, default 5
//	    sla_formula: offered_excl_short
//	    sla_target: 0.80          # 0..1, default 0.80
//	    fcr_target: 0.60          # 0..1, default 0.60
//	    wall_wait_s: 120          # the wallboard turns red over this wait; default sla_s
//	entries:                      # the IVR funnel (config/entries.go)
//	  main:
//	    name: Hospital IT         # for people; default the entry's key
//	    numbers: ["70000"]        # the numbers callers dial (dst, destination_number, entry_number)
//	    timezone: Europe/Copenhagen
//	    queues: [servicedesk, klinisk] # the desks behind the menu; empty: any queue
//	agents:                       # the agent map (config/agents.go)
//	  anna:
//	    name: Anna Jensen
//	    names: {pbx1: [PJSIP/1001], pbx2: [SIP/201], "*": [Anna Jensen]}
//	desks:                        # contacts and cases (config/desks.go)
//	  servicedesk: {queues: [servicedesk], days: working, critical_days: 1}
//
// Hours: the keys are weekdays (mon tue wed thu fri sat sun) or forward
// ranges of them (mon-fri); each day may be given once. A value lists one
// or more ranges HH:MM-HH:MM separated by commas ("08:00-12:00,
// 13:00-16:00"); 24:00 may end a range; a range cannot cross midnight and
// the ranges of a day must not overlap. A day not given is closed; a queue
// without hours is open at all times except its closed dates and, with
// danish_holidays, the holidays (cdr.QueueSettings.InHours). 24 and 31
// December and 5 June are not holidays: list them under closed.
//
// Queues not listed get cdr.DefaultQueueSettings (Europe/Copenhagen, no
// hours, 300 s, 5 s, offered_excl_short, 0.80, 0.60) whatever defaults
// says: defaults holds only timezone, for switches and listed queues. List
// every queue whose zone is not Europe/Copenhagen.
//
// A switch's local times are read in its zone under switches; else in
// defaults.timezone where the file sets it; else in ACDSTAT_SWITCH_TIMEZONE
// (cdr.Settings.SwitchZone). Without defaults.timezone, listed queues still
// default to Europe/Copenhagen, but switches do not.

// queueFile is the YAML document of the queue file.
type queueFile struct {
	Switches map[string]switchEntry `yaml:"switches"`
	Defaults defaultsEntry          `yaml:"defaults"`
	Queues   map[string]queueEntry  `yaml:"queues"`
	Entries  map[string]entryEntry  `yaml:"entries"`
	Agents   map[string]agentEntry  `yaml:"agents"`
	Desks    map[string]deskEntry   `yaml:"desks"`
}

type switchEntry struct {
	Timezone string `yaml:"timezone"`
}

type defaultsEntry struct {
	Timezone string `yaml:"timezone"`
}

type queueEntry struct {
	Name           string            `yaml:"name"`
	Timezone       string            `yaml:"timezone"`
	Hours          map[string]string `yaml:"hours"`
	Closed         []string          `yaml:"closed"`
	DanishHolidays bool              `yaml:"danish_holidays"`
	SLAS           *int              `yaml:"sla_s"`
	ShortAbandonS  *int              `yaml:"short_abandon_s"`
	SLAFormula     string            `yaml:"sla_formula"`
	SLATarget      *float64          `yaml:"sla_target"`
	FCRTarget      *float64          `yaml:"fcr_target"`
	WallWaitS      *int              `yaml:"wall_wait_s"`
	Numbers        []string          `yaml:"numbers"`
}

// defaultZone is the zone of METRICS.md where the file names none.
const defaultZone = "Europe/Copenhagen"

// maxSeconds bounds sla_s and short_abandon_s: a wait over 24 h is rejected
// (METRICS.md, "Validation"), so a longer threshold means nothing.
const maxSeconds = 86400

// QueueFileError is one problem of the queue file. Kind is "queue",
// "switch" or "" (the file's top level or defaults), Name the queue or
// switch, Field the key at fault (e.g. "hours.fri"), Line the 1-based line
// (0 when unknown).
type QueueFileError struct {
	File  string
	Line  int
	Kind  string
	Name  string
	Field string
	Msg   string
}

func (e *QueueFileError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	if e.Kind != "" {
		fmt.Fprintf(&b, "%s %q: ", e.Kind, e.Name)
	}
	if e.Field != "" {
		b.WriteString(e.Field + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// LoadQueues reads the queue settings file at path (ACDSTAT_QUEUES). An
// empty path means no file: every queue gets cdr.DefaultQueueSettings and
// every switch ACDSTAT_SWITCH_TIMEZONE.
func LoadQueues(path string) (*cdr.Settings, error) {
	if path == "" {
		return ParseQueues(nil, "")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read queue file: %w", err)
	}
	return ParseQueues(data, path)
}

// ParseQueues parses and validates a queue settings file; name is used in
// error messages. It returns every problem found at once (errors.Join of
// *QueueFileError values, by queue and switch name), each naming the file,
// the queue or switch and the field, what is wrong and what is allowed.
func ParseQueues(data []byte, name string) (*cdr.Settings, error) {
	p := &queueParser{file: name}
	if p.file == "" {
		p.file = "queue file"
	}
	var f queueFile
	if len(bytes.TrimSpace(data)) > 0 {
		if err := yaml.Unmarshal(data, &p.root); err != nil {
			return nil, fmt.Errorf("%s: %w", p.file, err)
		}
		p.checkKeys()
		if len(p.errs) > 0 {
			return nil, errors.Join(p.errs...)
		}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) {
			return nil, p.decodeError(err)
		}
	}
	s := p.settings(&f)
	if len(p.errs) > 0 {
		return nil, errors.Join(p.errs...)
	}
	return s, nil
}

// queueParser gathers the problems of one file.
type queueParser struct {
	file string
	root yaml.Node
	errs []error
}

// fail records a problem; path is the key path in the document, e.g.
// ("queues", "klinisk", "hours", "fri"), used for its line.
func (p *queueParser) fail(kind, name, field, msg string, path ...string) {
	p.errs = append(p.errs, &QueueFileError{
		File: p.file, Line: p.line(path...), Kind: kind, Name: name, Field: field, Msg: msg,
	})
}

// doc returns the top mapping of the document, or nil.
func (p *queueParser) doc() *yaml.Node {
	n := &p.root
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	if n.Kind != yaml.MappingNode {
		return nil
	}
	return n
}

// line returns the line of the value at path, or of its deepest ancestor
// present (0 if none).
func (p *queueParser) line(path ...string) int {
	n := p.doc()
	line := 0
	for _, k := range path {
		if n == nil || n.Kind != yaml.MappingNode {
			break
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == k {
				line = n.Content[i].Line
				next = n.Content[i+1]
			}
		}
		n = next
	}
	return line
}

// yamlKeys returns the yaml keys of a struct type, in field order.
func yamlKeys(t reflect.Type) []string {
	var out []string
	for f := range t.Fields() {
		k, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		out = append(out, k)
	}
	return out
}

// checkKeys reports unknown keys with the keys allowed where they stand,
// before decoding, so the message names the queue; the strict decoder
// (KnownFields) remains the backstop.
func (p *queueParser) checkKeys() {
	top := p.doc()
	if top == nil {
		return // the decoder reports the type
	}
	check := func(n *yaml.Node, allowed []string, kind, name, where string) {
		if n == nil || n.Kind != yaml.MappingNode {
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if !slices.Contains(allowed, k.Value) {
				p.errs = append(p.errs, &QueueFileError{
					File: p.file, Line: k.Line, Kind: kind, Name: name, Field: k.Value,
					Msg: fmt.Sprintf("unknown key%s (allowed: %s)", where, strings.Join(allowed, ", ")),
				})
			}
		}
	}
	check(top, yamlKeys(reflect.TypeFor[queueFile]()), "", "", " at the top level")
	for i := 0; i+1 < len(top.Content); i += 2 {
		k, v := top.Content[i].Value, top.Content[i+1]
		switch k {
		case "defaults":
			check(v, yamlKeys(reflect.TypeFor[defaultsEntry]()), "", "", " under defaults (queues not listed always get the built-in defaults)")
		case "entries":
			p.checkEntryKeys(v, check)
		case "agents":
			p.checkAgentKeys(v, check)
		case "desks":
			p.checkDeskKeys(v, check)
		case "switches", "queues":
			if v.Kind != yaml.MappingNode {
				continue
			}
			for j := 0; j+1 < len(v.Content); j += 2 {
				if k == "switches" {
					check(v.Content[j+1], yamlKeys(reflect.TypeFor[switchEntry]()), "switch", v.Content[j].Value, "")
				} else {
					check(v.Content[j+1], yamlKeys(reflect.TypeFor[queueEntry]()), "queue", v.Content[j].Value, "")
				}
			}
		}
	}
}

// yamlLine matches the "line N: " prefix of the decoder's messages.
var yamlLine = regexp.MustCompile(`^line (\d+): (.*)$`)

// goTypes names the decoder's Go types the way the file's reader sees them.
var goTypes = strings.NewReplacer(
	"config.queueFile", "a mapping of switches, defaults and queues",
	"config.queueEntry", "a mapping of queue settings",
	"config.switchEntry", "a mapping of switch settings",
	"config.defaultsEntry", "a mapping of defaults",
	"map[string]config.queueEntry", "a mapping of queues",
	"map[string]config.switchEntry", "a mapping of switches",
	"map[string]config.entryEntry", "a mapping of entries",
	"config.entryEntry", "a mapping of entry settings",
	"map[string]config.agentEntry", "a mapping of agents",
	"config.agentEntry", "a mapping of agent settings",
	"map[string]config.deskEntry", "a mapping of desks",
	"config.deskEntry", "a mapping of desk settings",
	"map[string][]string", "a mapping of lists",
	"map[string]string", "a mapping",
	"[]string", "a list",
	"*int", "a whole number",
	"*float64", "a number",
	"into int", "into a whole number",
	"into string", "into a string",
	"into bool", "into true or false",
)

// decodeError rewrites the decoder's type errors so each names the queue
// or switch and key of its line.
func (p *queueParser) decodeError(err error) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return fmt.Errorf("%s: %w", p.file, err)
	}
	var out []error
	for _, msg := range te.Errors {
		e := &QueueFileError{File: p.file, Msg: msg}
		if m := yamlLine.FindStringSubmatch(msg); m != nil {
			e.Line, _ = strconv.Atoi(m[1])
			e.Msg = goTypes.Replace(m[2])
			e.Kind, e.Name, e.Field = p.locate(e.Line)
		}
		out = append(out, e)
	}
	return errors.Join(out...)
}

// locate returns the queue or switch and the key that hold a line.
func (p *queueParser) locate(line int) (kind, name, field string) {
	top := p.doc()
	if top == nil {
		return "", "", ""
	}
	// last returns the pair of mapping n whose key starts at or before line.
	last := func(n *yaml.Node) (k, v *yaml.Node) {
		if n == nil || n.Kind != yaml.MappingNode {
			return nil, nil
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Line <= line {
				k, v = n.Content[i], n.Content[i+1]
			}
		}
		return k, v
	}
	sk, sv := last(top)
	if sk == nil {
		return "", "", ""
	}
	switch sk.Value {
	case "queues", "switches", "desks":
		kind = strings.TrimSuffix(sk.Value, "s")
		nk, nv := last(sv)
		if nk == nil {
			return "", "", sk.Value
		}
		if fk, fv := last(nv); fk != nil {
			field = fk.Value
			if hk, _ := last(fv); hk != nil && fk.Value == "hours" {
				field += "." + hk.Value
			}
		}
		return kind, nk.Value, field
	default:
		if fk, _ := last(sv); fk != nil {
			return "", "", sk.Value + "." + fk.Value
		}
		return "", "", sk.Value
	}
}

// settings converts and validates the decoded file.
func (p *queueParser) settings(f *queueFile) *cdr.Settings {
	s := &cdr.Settings{}
	// def is the zone of listed queues and entries that give none
	// (Europe/Copenhagen when defaults.timezone is not set). Switches get
	// defaults.timezone only where the file sets it: otherwise
	// ACDSTAT_SWITCH_TIMEZONE applies to them (cdr.Settings.SwitchZone).
	def := p.zone(f.Defaults.Timezone, "", "", "defaults.timezone", "defaults", "timezone")
	if f.Defaults.Timezone != "" {
		s.DefaultSwitchZone = def
	}
	for _, name := range sortedKeys(f.Switches) {
		sw := f.Switches[name]
		if sw.Timezone == "" {
			p.fail("switch", name, "timezone", "missing (use an IANA name such as Europe/Copenhagen)", "switches", name)
			continue
		}
		loc := p.zone(sw.Timezone, "switch", name, "timezone", "switches", name, "timezone")
		if s.SwitchZones == nil {
			s.SwitchZones = map[string]*time.Location{}
		}
		s.SwitchZones[name] = loc
	}
	for _, name := range sortedKeys(f.Queues) {
		q := p.queue(name, f.Queues[name], def)
		if s.Queues == nil {
			s.Queues = map[string]cdr.QueueSettings{}
		}
		s.Queues[name] = q
	}
	s.Entries = p.entries(f, def)
	// Agents without a zone of their own take defaults.timezone where the
	// file sets one, else cdr.Settings.AgentZone's default.
	var agentZone *time.Location
	if f.Defaults.Timezone != "" {
		agentZone = def
	}
	s.Agents = p.agents(f, agentZone)
	s.Desks = p.desks(f, def)
	return s
}

// zone loads a time zone; "" gives Europe/Copenhagen.
func (p *queueParser) zone(tz, kind, name, field string, path ...string) *time.Location {
	if tz == "" {
		tz = defaultZone
	}
	if tz == "Local" {
		p.fail(kind, name, field, `"Local": the machine's zone is not allowed (use an IANA name such as Europe/Copenhagen)`, path...)
		return nil
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		p.fail(kind, name, field, fmt.Sprintf("%q: unknown time zone (use an IANA name such as Europe/Copenhagen or UTC)", tz), path...)
		return nil
	}
	return loc
}

// queue converts and validates one queue.
func (p *queueParser) queue(name string, e queueEntry, def *time.Location) cdr.QueueSettings {
	q := cdr.DefaultQueueSettings(name)
	fail := func(field, msg string, path ...string) {
		p.fail("queue", name, field, msg, append([]string{"queues", name}, path...)...)
	}
	if strings.TrimSpace(name) == "" {
		fail("", "a queue name must not be empty")
	}
	if e.Name != "" {
		q.Display = e.Name
	}
	for _, n := range e.Numbers {
		if n == "" || strings.ContainsAny(n, " \t@;:<>") {
			fail("numbers", fmt.Sprintf("%q is not a dialled number (the user part of a SIP URI)", n))
		}
		q.Numbers = append(q.Numbers, n)
	}
	switch {
	case e.Timezone != "":
		q.Location = p.zone(e.Timezone, "queue", name, "timezone", "queues", name, "timezone")
	case def != nil:
		q.Location = def
	}
	for _, key := range sortedKeys(e.Hours) {
		field := "hours." + key
		days, err := parseDays(key)
		if err != nil {
			fail(field, err.Error(), "hours", key)
			continue
		}
		rs, err := parseRanges(e.Hours[key])
		if err != nil {
			fail(field, fmt.Sprintf("%q: %v", e.Hours[key], err), "hours", key)
			continue
		}
		for _, d := range days {
			if q.Hours[d] != nil {
				fail(field, fmt.Sprintf("%s is given twice (each day may appear in one key only)", dayNames[d]), "hours", key)
				continue
			}
			q.Hours[d] = slices.Clone(rs)
		}
	}
	for _, d := range e.Closed {
		t, err := time.Parse(time.DateOnly, d)
		if err != nil || t.Format(time.DateOnly) != d {
			fail("closed", fmt.Sprintf("%q: not a date (use YYYY-MM-DD, e.g. 2025-12-24)", d), "closed")
			continue
		}
		if q.ClosedDates == nil {
			q.ClosedDates = map[string]bool{}
		}
		q.ClosedDates[d] = true
	}
	q.DanishHolidays = e.DanishHolidays
	if e.SLAS != nil {
		if *e.SLAS <= 0 || *e.SLAS > maxSeconds {
			fail("sla_s", fmt.Sprintf("%d: must be 1 to %d seconds", *e.SLAS, maxSeconds), "sla_s")
		}
		q.SLAS = *e.SLAS
	}
	if e.ShortAbandonS != nil {
		if *e.ShortAbandonS < 0 || *e.ShortAbandonS > maxSeconds {
			fail("short_abandon_s", fmt.Sprintf("%d: must be 0 to %d seconds", *e.ShortAbandonS, maxSeconds), "short_abandon_s")
		}
		q.ShortAbandonS = *e.ShortAbandonS
	}
	if e.WallWaitS != nil {
		if *e.WallWaitS <= 0 || *e.WallWaitS > maxSeconds {
			fail("wall_wait_s", fmt.Sprintf("%d: must be 1 to %d seconds", *e.WallWaitS, maxSeconds), "wall_wait_s")
		}
		q.WallWaitS = *e.WallWaitS
	}
	if e.SLAFormula != "" {
		if !slices.Contains(cdr.Formulas, e.SLAFormula) {
			fail("sla_formula", fmt.Sprintf("%q: unknown formula (use one of %s)", e.SLAFormula, strings.Join(cdr.Formulas, ", ")), "sla_formula")
		}
		q.SLAFormula = e.SLAFormula
	}
	for _, t := range []struct {
		field string
		v     *float64
		dst   *float64
	}{{"sla_target", e.SLATarget, &q.SLATarget}, {"fcr_target", e.FCRTarget, &q.FCRTarget}} {
		if t.v == nil {
			continue
		}
		if !(*t.v >= 0 && *t.v <= 1) {
			fail(t.field, fmt.Sprintf("%v: must be a fraction from 0 to 1 (0.80 is 80 %%)", *t.v), t.field)
		}
		*t.dst = *t.v
	}
	return q
}

// dayOrder lists the weekdays from Monday, as hours keys name them.
var dayOrder = []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday}

// dayNames are the hours keys of the weekdays, by time.Weekday.
var dayNames = [7]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// dayIndex returns the position of a day key in dayOrder, or -1.
func dayIndex(s string) int {
	for i, d := range dayOrder {
		if dayNames[d] == s {
			return i
		}
	}
	return -1
}

// parseDays parses an hours key: a weekday or a forward range of them.
func parseDays(key string) ([]time.Weekday, error) {
	k := strings.ToLower(strings.TrimSpace(key))
	from, to, isRange := strings.Cut(k, "-")
	i, j := dayIndex(strings.TrimSpace(from)), dayIndex(strings.TrimSpace(to))
	if !isRange {
		j = i
	}
	if i < 0 || j < 0 {
		return nil, fmt.Errorf("unknown weekday %q (use mon, tue, wed, thu, fri, sat, sun or a range such as mon-fri)", key)
	}
	if j < i {
		return nil, fmt.Errorf("%q: a day range runs forward from mon to sun (e.g. mon-fri)", key)
	}
	return slices.Clone(dayOrder[i : j+1]), nil
}

// parseRanges parses "08:00-12:00, 13:00-16:00" into sorted ranges.
func parseRanges(v string) ([]cdr.MinuteRange, error) {
	v = strings.ReplaceAll(v, "–", "-") // an en dash, as METRICS.md writes ranges
	var rs []cdr.MinuteRange
	for part := range strings.SplitSeq(v, ",") {
		part = strings.TrimSpace(part)
		a, b, ok := strings.Cut(part, "-")
		if !ok || part == "" {
			return nil, fmt.Errorf("%q is not a time range (use HH:MM-HH:MM, e.g. 08:00-16:00; several separated by commas)", part)
		}
		from, err := parseClock(strings.TrimSpace(a))
		if err != nil {
			return nil, err
		}
		to, err := parseClock(strings.TrimSpace(b))
		if err != nil {
			return nil, err
		}
		if from == 24*60 {
			return nil, fmt.Errorf("24:00 can only end a range")
		}
		if to <= from {
			return nil, fmt.Errorf("the end %s is not after the start %s (a range cannot cross midnight: give the hours after midnight on the next day)", clock(to), clock(from))
		}
		rs = append(rs, cdr.MinuteRange{From: from, To: to})
	}
	sort.Slice(rs, func(i, j int) bool { return rs[i].From < rs[j].From })
	for i := 1; i < len(rs); i++ {
		if rs[i].From < rs[i-1].To {
			return nil, fmt.Errorf("%s-%s and %s-%s overlap", clock(rs[i-1].From), clock(rs[i-1].To), clock(rs[i].From), clock(rs[i].To))
		}
	}
	return rs, nil
}

// parseClock parses H:MM or HH:MM, 00:00 to 24:00, into minutes.
func parseClock(s string) (int, error) {
	bad := fmt.Errorf("%s is not a time of day (use HH:MM, 00:00-24:00)", s)
	h, m, ok := strings.Cut(s, ":")
	if !ok || len(h) < 1 || len(h) > 2 || len(m) != 2 {
		return 0, bad
	}
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || hh < 0 || mm < 0 || mm > 59 || hh > 24 || (hh == 24 && mm != 0) ||
		strings.ContainsAny(s, "+- ") {
		return 0, bad
	}
	return hh*60 + mm, nil
}

// clock formats minutes as HH:MM.
func clock(m int) string { return fmt.Sprintf("%02d:%02d", m/60, m%60) }

// sortedKeys returns the keys of m in order.
func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
