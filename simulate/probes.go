package simulate

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"math/rand/v2"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Synthetic monitoring: probes at each location time the actions of a few
// systems, as a synthetic-monitoring tool exports them (acdstat's format
// probes), with their own ground truth, the figures of docs/METRICS.md
// ("System response-time compliance") computed here from the probes the
// simulation made, never from what acdstat stores.
//
// The rule a probe is judged by, restated here: its own threshold where it
// gives one; else that of its class; else that of the class its system's
// settings give its action; else that of the class standard. It is within
// when it did not fail and its duration is at most that threshold. A
// system's figure for a local period is the share within threshold at each
// location with probes, averaged over those locations, shown (and compared
// with the agreed level) in hundredths of a percent rounded half up; a
// value equal to the level meets it.

// ProbeAction is one action a system's probes time.
type ProbeAction struct {
	Name string
	// Class is the class written on each probe; "" writes none, so the
	// settings' class of the action (or standard) decides.
	Class string
	// OwnThreshold, where positive, is written on each probe as its own
	// threshold (threshold_ms), which wins over any class.
	OwnThreshold time.Duration
}

// ProbeSystem is one simulated system.
type ProbeSystem struct {
	Name, Display string
	// AgreedLevel is the agreed level in hundredths of a percent (9980).
	AgreedLevel int
	Actions     []ProbeAction
	// Late is the share of probes over their threshold, Failed the share
	// that fail (an error: no duration).
	Late, Failed float64
}

// ProbeConfig describes a simulation of probes.
type ProbeConfig struct {
	Systems   []ProbeSystem
	Locations []string
	// Classes are the thresholds of the classes (standard and data_heavy
	// are 3 s and 15 s unless given); ActionClasses the class of actions
	// whose probes name none. Both go into SettingsYAML.
	Classes       map[string]time.Duration
	ActionClasses map[string]string
	// Start is the first local day (its midnight in Location); Days how
	// many; Every the time between two rounds at a location.
	Start    time.Time
	Days     int
	Every    time.Duration
	Location *time.Location
	Seed     int64
	// Absent maps a location to the local months (2006-01) in which it
	// runs no probes at all: a month with measurements at only some
	// locations.
	Absent map[string][]string
}

// DefaultProbeConfig is three systems at three hospitals over October and
// November 2016 in Copenhagen: the end of summer time (a 25-hour day) and a
// month boundary fall in it, one hospital runs no probes in November, one
// system names no classes (its actions' classes decide), one's probes
// carry their own thresholds, and one has a class of its own.
func DefaultProbeConfig() ProbeConfig {
	loc := Copenhagen()
	return ProbeConfig{
		Systems: []ProbeSystem{
			{Name: "Orbit", Display: "Orbit", AgreedLevel: 9980, Late: 0.0005, Failed: 0.0005, Actions: []ProbeAction{
				{Name: "search", Class: "standard"}, {Name: "login", Class: "data_heavy"}, {Name: "open record"}}},
			{Name: "EPM3", Display: "EPM3", AgreedLevel: 9980, Late: 0.08, Failed: 0.01, Actions: []ProbeAction{
				{Name: "login"}, {Name: "search"}, {Name: "monthly report"}}},
			{Name: "Mail/kalender", Display: "Mail/kalender", AgreedLevel: 9940, Late: 0.01, Failed: 0.002, Actions: []ProbeAction{
				{Name: "open inbox", OwnThreshold: 2 * time.Second}, {Name: "send", OwnThreshold: 1500 * time.Millisecond}, {Name: "login", Class: "data_heavy"}}},
		},
		Locations:     []string{"Rigshospitalet", "Herlev", "Hvidovre"},
		Classes:       map[string]time.Duration{"standard": 3 * time.Second, "data_heavy": 15 * time.Second, "report": time.Minute},
		ActionClasses: map[string]string{"login": "data_heavy", "monthly report": "report"},
		Start:         time.Date(2016, 10, 28, 0, 0, 0, 0, loc),
		Days:          7,
		Every:         20 * time.Minute,
		Location:      loc,
		Seed:          19,
		Absent:        map[string][]string{"Hvidovre": {"2016-11"}},
	}
}

// Probe is one timed action as the simulation made it.
type Probe struct {
	System, Location, Action, Class string
	Time                            time.Time // with milliseconds
	Duration                        time.Duration
	OwnThreshold                    time.Duration
	Failed                          bool
	// Within is the truth: within its threshold by the rule above.
	Within bool
}

// ProbeFigure is the truth of one system in one local period: the
// locations with probes, the probes (each once) and those within, and the
// figure in hundredths of a percent with whether it meets the level.
type ProbeFigure struct {
	Locations        int
	Measured, Within int
	BP               int
	Met              bool
}

// ProbeTruth holds the figures per system and period label ("2016-10" for
// a month, "2016-10-28" for a day).
type ProbeTruth struct {
	Months map[string]map[string]ProbeFigure
	Days   map[string]map[string]ProbeFigure
}

// ProbeSim is a simulation of probes and its truth.
type ProbeSim struct {
	Config ProbeConfig
	Probes []Probe
	Truth  ProbeTruth
}

// GenerateProbes makes the probes of cfg and computes their truth.
func GenerateProbes(cfg ProbeConfig) (*ProbeSim, error) {
	if cfg.Location == nil {
		cfg.Location = Copenhagen()
	}
	if cfg.Every <= 0 || cfg.Days <= 0 || len(cfg.Systems) == 0 || len(cfg.Locations) == 0 {
		return nil, fmt.Errorf("simulate: probes need systems, locations, days and a positive Every")
	}
	rng := rand.New(rand.NewPCG(uint64(cfg.Seed), 19))
	s := &ProbeSim{Config: cfg}
	start := time.Date(cfg.Start.Year(), cfg.Start.Month(), cfg.Start.Day(), 0, 0, 0, 0, cfg.Location)
	end := start.AddDate(0, 0, cfg.Days)
	for li, loc := range cfg.Locations {
		// Each location starts its rounds at its own minute.
		for at := start.Add(time.Duration(li*7) * time.Minute); at.Before(end); at = at.Add(cfg.Every) {
			if absent(cfg.Absent[loc], at.In(cfg.Location).Format("2006-01")) {
				continue
			}
			for _, sys := range cfg.Systems {
				for ai, a := range sys.Actions {
					p := Probe{System: sys.Name, Location: loc, Action: a.Name, Class: a.Class, OwnThreshold: a.OwnThreshold,
						Time: at.Add(time.Duration(ai)*time.Second + time.Duration(rng.IntN(1000))*time.Millisecond)}
					limit := s.limit(a)
					switch r := rng.Float64(); {
					case r < sys.Failed:
						p.Failed = true
					case r < sys.Failed+sys.Late:
						// Over the threshold, at times by one millisecond.
						p.Duration = limit + time.Millisecond*time.Duration(1+rng.IntN(2)*rng.IntN(20000))
					case r < sys.Failed+sys.Late+0.01:
						p.Duration = limit // exactly at the threshold: within
					default:
						p.Duration = time.Duration(rng.Int64N(int64(limit/time.Millisecond))) * time.Millisecond
					}
					p.Within = !p.Failed && p.Duration <= limit
					s.Probes = append(s.Probes, p)
				}
			}
		}
	}
	sort.SliceStable(s.Probes, func(i, j int) bool { return s.Probes[i].Time.Before(s.Probes[j].Time) })
	s.Truth = s.truth()
	return s, nil
}

func absent(months []string, m string) bool {
	for _, x := range months {
		if x == m {
			return true
		}
	}
	return false
}

// limit is the threshold a probe of action a is judged against.
func (s *ProbeSim) limit(a ProbeAction) time.Duration {
	if a.OwnThreshold > 0 {
		return a.OwnThreshold
	}
	class := a.Class
	if class == "" {
		class = s.Config.ActionClasses[a.Name]
	}
	if class == "" {
		class = "standard"
	}
	if d, ok := s.Config.Classes[class]; ok {
		return d
	}
	return map[string]time.Duration{"standard": 3 * time.Second, "data_heavy": 15 * time.Second}[class]
}

// truth computes the figures of every system, month and day.
func (s *ProbeSim) truth() ProbeTruth {
	type count struct{ n, w int }
	months := map[string]map[string]map[string]*count{} // system → label → location
	days := map[string]map[string]map[string]*count{}
	add := func(m map[string]map[string]map[string]*count, p Probe, label string) {
		if m[p.System] == nil {
			m[p.System] = map[string]map[string]*count{}
		}
		if m[p.System][label] == nil {
			m[p.System][label] = map[string]*count{}
		}
		c := m[p.System][label][p.Location]
		if c == nil {
			c = &count{}
			m[p.System][label][p.Location] = c
		}
		c.n++
		if p.Within {
			c.w++
		}
	}
	for _, p := range s.Probes {
		local := p.Time.In(s.Config.Location)
		add(months, p, local.Format("2006-01"))
		add(days, p, local.Format("2006-01-02"))
	}
	level := map[string]int{}
	for _, sys := range s.Config.Systems {
		level[sys.Name] = sys.AgreedLevel
	}
	figures := func(m map[string]map[string]map[string]*count) map[string]map[string]ProbeFigure {
		out := map[string]map[string]ProbeFigure{}
		for sys, labels := range m {
			out[sys] = map[string]ProbeFigure{}
			for label, locs := range labels {
				var f ProbeFigure
				mean := new(big.Rat)
				for _, c := range locs {
					f.Locations++
					f.Measured += c.n
					f.Within += c.w
					mean.Add(mean, big.NewRat(int64(c.w), int64(c.n)))
				}
				mean.Quo(mean, big.NewRat(int64(f.Locations), 1))
				// Hundredths of a percent, half up: floor(mean × 10000 + ½).
				x := new(big.Rat).Add(new(big.Rat).Mul(mean, big.NewRat(10000, 1)), big.NewRat(1, 2))
				f.BP = int(new(big.Int).Div(x.Num(), x.Denom()).Int64())
				f.Met = f.BP >= level[sys]
				out[sys][label] = f
			}
		}
		return out
	}
	return ProbeTruth{Months: figures(months), Days: figures(days)}
}

// SettingsYAML is the systems section of a queue file for the simulated
// systems: names, agreed levels, the classes and the actions' classes.
func (s *ProbeSim) SettingsYAML() string {
	var b strings.Builder
	b.WriteString("systems:\n")
	classes := make([]string, 0, len(s.Config.Classes))
	for c := range s.Config.Classes {
		classes = append(classes, c)
	}
	sort.Strings(classes)
	actions := make([]string, 0, len(s.Config.ActionClasses))
	for a := range s.Config.ActionClasses {
		actions = append(actions, a)
	}
	sort.Strings(actions)
	for _, sys := range s.Config.Systems {
		fmt.Fprintf(&b, "  %q:\n    name: %q\n    agreed_level: %s\n    timezone: %s\n    thresholds:\n", sys.Name, sys.Display,
			strconv.FormatFloat(float64(sys.AgreedLevel)/10000, 'f', -1, 64), s.Config.Location)
		for _, c := range classes {
			fmt.Fprintf(&b, "      %s: %s\n", c, strconv.FormatFloat(s.Config.Classes[c].Seconds(), 'f', -1, 64))
		}
		b.WriteString("    actions:\n")
		for _, a := range actions {
			fmt.Fprintf(&b, "      %q: %s\n", a, s.Config.ActionClasses[a])
		}
	}
	return b.String()
}

// CSV writes the probes [from, to) as a probes CSV with its header: times
// in RFC 3339 with milliseconds, durations in milliseconds.
func (s *ProbeSim) CSV(from, to int) []byte {
	var b bytes.Buffer
	b.WriteString("system,location,action,time,duration_ms,class,threshold_ms,ok\n")
	for _, p := range s.Probes[from:to] {
		dur, th := "", ""
		if !p.Failed {
			dur = strconv.FormatInt(p.Duration.Milliseconds(), 10)
		}
		if p.OwnThreshold > 0 {
			th = strconv.FormatInt(p.OwnThreshold.Milliseconds(), 10)
		}
		fmt.Fprintf(&b, "%s,%s,%s,%s,%s,%s,%s,%v\n", csvField(p.System), csvField(p.Location), csvField(p.Action),
			p.Time.UTC().Format("2006-01-02T15:04:05.000Z"), dur, p.Class, th, !p.Failed)
	}
	return b.Bytes()
}

// JSON writes the probes [from, to) as a JSON array of probes: times in
// unix seconds with milliseconds, durations in seconds.
func (s *ProbeSim) JSON(from, to int) []byte {
	out := make([]map[string]any, 0, to-from)
	for _, p := range s.Probes[from:to] {
		m := map[string]any{"system": p.System, "location": p.Location, "action": p.Action,
			"time": json.Number(fmt.Sprintf("%d.%03d", p.Time.Unix(), p.Time.Nanosecond()/1e6)), "ok": !p.Failed}
		if !p.Failed {
			m["duration_s"] = seconds(p.Duration)
		}
		if p.Class != "" {
			m["class"] = p.Class
		}
		if p.OwnThreshold > 0 {
			m["threshold_s"] = seconds(p.OwnThreshold)
		}
		out = append(out, m)
	}
	b, _ := json.Marshal(out) // maps of strings, numbers and booleans
	return b
}

// seconds writes whole milliseconds as seconds with three decimals, exactly
// (a float64 of seconds may not print so).
func seconds(d time.Duration) json.Number {
	ms := d.Milliseconds()
	return json.Number(fmt.Sprintf("%d.%03d", ms/1000, ms%1000))
}

// csvField quotes a CSV field where it needs it.
func csvField(s string) string {
	if strings.ContainsAny(s, ",\"\n") {
		return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
	}
	return s
}

// SendProbes posts one body of probes (CSV or JSON, as CSV and JSON write
// them) to url, an acdstat probes endpoint, until it is acknowledged,
// refused or ctx ends.
func SendProbes(ctx context.Context, url, token string, body []byte, client *http.Client) error {
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	target, err := ingestURL(url, "")
	if err != nil {
		return err
	}
	return postBatch(ctx, client, target, token, "", body)
}
