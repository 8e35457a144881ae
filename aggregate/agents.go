package aggregate

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/acdstat/acdstat/cdr"
)

// AgentJob is the name of the agent job's watermark.
const AgentJob = "agents"

// The modes of ACDSTAT_AGENT_FIGURES (METRICS.md, "Staff privacy").
const (
	AgentsOn           = "on"
	AgentsPseudonymous = "pseudonymous"
	AgentsOff          = "off"
)

// AgentConfig holds the agent figures' settings; config composes it under
// ACDSTAT_.
type AgentConfig struct {
	// Figures is on, pseudonymous (agents are shown by a keyed hash and
	// the display names of the map) or off (nothing of agents is computed
	// or stored).
	Figures string `env:"AGENT_FIGURES" envDefault:"on"`
	// HashKey (or the file HashKeyFile) is the key of the pseudonyms.
	HashKey     string `env:"AGENT_HASH_KEY"`
	HashKeyFile string `env:"AGENT_HASH_KEY_FILE"`
	// StaleAfter closes a session or pause whose end was not seen
	// (METRICS.md, "Sessions").
	StaleAfter time.Duration `env:"AGENT_STALE_AFTER" envDefault:"24h"`
	// Every is the agent job's schedule, a robfig/cron spec.
	Every string `env:"AGENT_SCHEDULE" envDefault:"@every 10s"`
}

// minAgentKey is the shortest pseudonym key: a short key is guessed.
const minAgentKey = 16

// Validate checks the settings and names the one that is wrong; with
// pseudonyms it reads the key file.
func (c AgentConfig) Validate() error {
	var errs []error
	switch c.Figures {
	case AgentsOn, AgentsOff:
	case AgentsPseudonymous:
		if _, err := c.Key(); err != nil {
			errs = append(errs, err)
		}
	default:
		errs = append(errs, fmt.Errorf("ACDSTAT_AGENT_FIGURES: %q is not on, pseudonymous or off", c.Figures))
	}
	if c.HashKey != "" && c.HashKeyFile != "" {
		errs = append(errs, errors.New("ACDSTAT_AGENT_HASH_KEY and ACDSTAT_AGENT_HASH_KEY_FILE are exclusive: set one"))
	}
	if c.StaleAfter <= 0 {
		errs = append(errs, fmt.Errorf("ACDSTAT_AGENT_STALE_AFTER: must be positive, got %s", c.StaleAfter))
	}
	if c.Figures != AgentsOff {
		if err := ParseSchedule(c.Every); err != nil {
			errs = append(errs, fmt.Errorf("ACDSTAT_AGENT_SCHEDULE: %w", err))
		}
	}
	return errors.Join(errs...)
}

// On says agent figures are computed (on or pseudonymous).
func (c AgentConfig) On() bool { return c.Figures != AgentsOff }

// Key returns the pseudonym key (nil unless pseudonymous), read from the
// file where one is named, its trailing line break dropped.
func (c AgentConfig) Key() ([]byte, error) {
	if c.Figures != AgentsPseudonymous {
		return nil, nil
	}
	key := c.HashKey
	if c.HashKeyFile != "" {
		b, err := os.ReadFile(c.HashKeyFile)
		if err != nil {
			return nil, fmt.Errorf("ACDSTAT_AGENT_HASH_KEY_FILE: cannot read key file: %w", err)
		}
		key = strings.TrimRight(string(b), "\r\n")
	}
	if len(key) < minAgentKey {
		return nil, fmt.Errorf("ACDSTAT_AGENT_FIGURES=pseudonymous needs ACDSTAT_AGENT_HASH_KEY (or _FILE) of at least %d bytes", minAgentKey)
	}
	return []byte(key), nil
}

// AgentSource reads what the agent job counts (store.Store).
type AgentSource interface {
	ServerNow(ctx context.Context) (time.Time, error)
	// AgentTouches lists the names with agent lines stored, or queue-call
	// rows built, in [from, to) of insert time.
	AgentTouches(ctx context.Context, from, to time.Time) ([]cdr.AgentTouch, error)
	// AgentNamesBetween lists the names with agent lines or answered calls
	// in [from, to) of switch sw ("" for all).
	AgentNamesBetween(ctx context.Context, sw string, from, to time.Time) ([]cdr.AgentName, error)
	// AgentEvents returns the agent lines of the names and every
	// QUEUESTART in [from, to].
	AgentEvents(ctx context.Context, names []cdr.AgentName, from, to time.Time) ([]cdr.Event, error)
	// AgentCalls returns the answered queue calls of the names that
	// joined in [from, to).
	AgentCalls(ctx context.Context, names []cdr.AgentName, from, to time.Time) ([]cdr.QueueCall, error)
	// StoredAgentRows returns the stored rows of the agents in [from, to).
	StoredAgentRows(ctx context.Context, agents []string, from, to time.Time) ([]cdr.AgentRow, error)
}

// AgentWriter stores agent rows; a row replaces the stored one of the same
// key with a lower version.
type AgentWriter interface {
	WriteAgentRows(ctx context.Context, rows []cdr.AgentRow, version uint64) error
}

// AgentRebuildSource is what a rebuild of the agent figures reads besides.
type AgentRebuildSource interface {
	// CopyAgentEvents copies the agent lines of events in [from, to) to
	// the agent lines (those stored while agent figures were off).
	CopyAgentEvents(ctx context.Context, from, to time.Time) error
	// AgentIDsBetween lists the agents with stored rows in [from, to).
	AgentIDsBetween(ctx context.Context, from, to time.Time) ([]string, error)
}

// AgentRoller is the agent job: it recomputes the agent rows of the agents
// whose lines arrived, or whose queue calls were built, since its
// watermark (less RollupMargin), over the buckets those can change (the
// touched span, widened by the stale timeout either way: a line can open
// or close a session that long), and writes the rows whose figures,
// display name or settings version changed, zeros where a stored row's
// figures went away, under the run's version (RollupVersion): a row is
// replaced, never added to. Like the funnel job it goes no further than
// the build job has (an agent's calls come from it). It also revisits the
// agents touched one stale timeout ago, whose open sessions the clock has
// since made stale (METRICS.md: stale_sessions).
//
// It is safe to run from several instances at once, as the rollup job is:
// a row is always a full recount of its bucket from the stored lines and
// calls, versions order the writes, and a run that read before a line or
// call landed is corrected by the runs that read its touch within the
// margin. Each run counts with the queue settings current when it starts
// (the agent map, the zones) and records their version in its rows; after
// a change of the map, `acdstat rebuild` counts past periods again.
type AgentRoller struct {
	cfg      Config
	acfg     AgentConfig
	key      []byte
	log      *slog.Logger
	now      func() time.Time
	settings SettingsSource
	marks    Watermarks
	src      AgentSource
	out      AgentWriter
}

// NewAgentRoller returns the agent job. key is the pseudonym key (nil: ids
// as they are); now is the clock of the stale timeout.
func NewAgentRoller(cfg Config, acfg AgentConfig, key []byte, log *slog.Logger, now func() time.Time, settings SettingsSource, marks Watermarks, src AgentSource, out AgentWriter) *AgentRoller {
	return &AgentRoller{cfg: cfg, acfg: acfg, key: key, log: log, now: now, settings: settings, marks: marks, src: src, out: out}
}

// AgentStats says what one run did.
type AgentStats struct {
	Agents int // agents recomputed
	Rows   int // agent rows written
	Upto   time.Time
}

// agentUnit is one agent to recompute over [from, to).
type agentUnit struct {
	def      cdr.AgentDef
	from, to time.Time
}

// Run recomputes the agents touched since the watermark, then advances it.
func (r *AgentRoller) Run(ctx context.Context) (AgentStats, error) {
	var st AgentStats
	upto, err := r.src.ServerNow(ctx)
	if err != nil {
		return st, fmt.Errorf("cannot read server time: %w", err)
	}
	mark, _, err := r.marks.Watermark(ctx, AgentJob)
	if err != nil {
		return st, fmt.Errorf("cannot read watermark: %w", err)
	}
	if built, ok, err := r.marks.Watermark(ctx, BuildJob); err != nil {
		return st, fmt.Errorf("cannot read the build watermark: %w", err)
	} else if !ok {
		return st, nil // no call built yet: nothing to count them with
	} else if built.Before(upto) {
		upto = built
	}
	version := RollupVersion(upto, time.Now())
	settings, err := r.settings.Settings(ctx)
	if err != nil {
		return st, fmt.Errorf("cannot read the queue settings: %w", err)
	}
	fresh, revisit := Windows(mark, upto, r.cfg.RollupMargin, r.acfg.StaleAfter+futureSlack)
	var touches []cdr.AgentTouch
	for _, w := range []Window{fresh, revisit} {
		if w.Empty() {
			continue
		}
		t, err := r.src.AgentTouches(ctx, w.From, w.To.Add(time.Second))
		if err != nil {
			return st, fmt.Errorf("cannot list touched agents: %w", err)
		}
		touches = append(touches, t...)
	}
	units, err := r.touchedUnits(ctx, settings, touches)
	if err != nil {
		return st, err
	}
	st, err = r.roll(ctx, settings, units, nil, version)
	if err != nil {
		return st, err
	}
	if err := r.marks.SetWatermark(ctx, AgentJob, upto); err != nil {
		return st, fmt.Errorf("cannot advance watermark: %w", err)
	}
	st.Upto = upto
	return st, nil
}

// RebuildBetween recomputes every agent with lines or calls in [from, to)
// over that range (for acdstat rebuild), after copying the agent lines of
// the range from events, and writes zeros over the stored rows of agents
// that no longer have figures there (a name left the map, pseudonyms were
// turned on). It does not move the watermark.
func (r *AgentRoller) RebuildBetween(ctx context.Context, src AgentRebuildSource, from, to time.Time) (AgentStats, error) {
	upto, err := r.src.ServerNow(ctx)
	if err != nil {
		return AgentStats{}, fmt.Errorf("cannot read server time: %w", err)
	}
	version := RollupVersion(upto, time.Now())
	settings, err := r.settings.Settings(ctx)
	if err != nil {
		return AgentStats{}, fmt.Errorf("cannot read the queue settings: %w", err)
	}
	stale := r.acfg.StaleAfter
	if err := src.CopyAgentEvents(ctx, from.Add(-3*stale), to.Add(2*stale)); err != nil {
		return AgentStats{}, err
	}
	names, err := r.src.AgentNamesBetween(ctx, "", from.Add(-stale), to.Add(stale))
	if err != nil {
		return AgentStats{}, err
	}
	from, to = cdr.BucketOf(from), cdr.BucketOf(to.Add(cdr.BucketMinutes*time.Minute-time.Second))
	byID := map[string]*agentUnit{}
	for _, n := range names {
		d := settings.Agent(n.Switch, n.Name)
		if byID[d.ID] == nil {
			byID[d.ID] = &agentUnit{def: d, from: from, to: to}
		}
	}
	stored, err := src.AgentIDsBetween(ctx, from, to)
	if err != nil {
		return AgentStats{}, err
	}
	st, err := r.roll(ctx, settings, sortedUnits(byID), &agentZeroing{ids: stored, from: from, to: to}, version)
	st.Upto = upto
	return st, err
}

// touchedUnits turns touches into agents and the ranges to recompute: a
// QUEUESTART touches every agent of its switch around it; a touch spanning
// [a, b] changes buckets in [a − stale, b + stale] (METRICS.md: a session
// or pause lasts at most the stale timeout).
func (r *AgentRoller) touchedUnits(ctx context.Context, settings *cdr.Settings, touches []cdr.AgentTouch) ([]agentUnit, error) {
	stale := r.acfg.StaleAfter
	var all []cdr.AgentTouch
	for _, t := range touches {
		if t.Name.Name != "NONE" {
			all = append(all, t)
			continue
		}
		names, err := r.src.AgentNamesBetween(ctx, t.Name.Switch, t.MinTime.Add(-stale), t.MaxTime.Add(stale))
		if err != nil {
			return nil, fmt.Errorf("cannot list the agents of switch %s: %w", t.Name.Switch, err)
		}
		for _, n := range names {
			all = append(all, cdr.AgentTouch{Name: n, MinTime: t.MinTime, MaxTime: t.MaxTime})
		}
	}
	byID := map[string]*agentUnit{}
	for _, t := range all {
		d := settings.Agent(t.Name.Switch, t.Name.Name)
		from := cdr.BucketOf(t.MinTime.Add(-stale))
		to := cdr.BucketOf(t.MaxTime.Add(stale)).Add(cdr.BucketMinutes * time.Minute)
		u := byID[d.ID]
		if u == nil {
			byID[d.ID] = &agentUnit{def: d, from: from, to: to}
			continue
		}
		u.from, u.to = minTime(u.from, from), maxTime(u.to, to)
	}
	return sortedUnits(byID), nil
}

func sortedUnits(byID map[string]*agentUnit) []agentUnit {
	out := make([]agentUnit, 0, len(byID))
	for _, u := range byID {
		out = append(out, *u)
	}
	slices.SortFunc(out, func(a, b agentUnit) int { return strings.Compare(a.def.ID, b.def.ID) })
	return out
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// agentZeroing is a rebuild's range, where every stored agent row that the
// rebuild does not write again is written as zeros.
type agentZeroing struct {
	ids      []string
	from, to time.Time
}

// maxAgentsPerChunk bounds the agents recomputed per store round trip.
const maxAgentsPerChunk = 200

// roll recomputes units in chunks and writes what changed under version;
// with zero, also the zeros of a rebuild.
func (r *AgentRoller) roll(ctx context.Context, settings *cdr.Settings, units []agentUnit, zero *agentZeroing, version uint64) (AgentStats, error) {
	st := AgentStats{Agents: len(units)}
	computed := map[string]bool{}
	for start := 0; start < len(units); start += maxAgentsPerChunk {
		chunk := units[start:min(start+maxAgentsPerChunk, len(units))]
		n, ids, err := r.rollChunk(ctx, settings, chunk, version)
		if err != nil {
			return st, err
		}
		st.Rows += n
		for _, id := range ids {
			computed[id] = true
		}
	}
	if zero == nil {
		return st, nil
	}
	var gone []string
	for _, id := range zero.ids {
		if !computed[id] {
			gone = append(gone, id)
		}
	}
	if len(gone) == 0 {
		return st, nil
	}
	stored, err := r.src.StoredAgentRows(ctx, gone, zero.from, zero.to)
	if err != nil {
		return st, err
	}
	rows := zeroRows(stored, settings.Version)
	if err := r.out.WriteAgentRows(ctx, rows, version); err != nil {
		return st, fmt.Errorf("cannot write %d agent rows: %w", len(rows), err)
	}
	st.Rows += len(rows)
	return st, nil
}

// zeroRows are stored rows with figures, written again as zeros.
func zeroRows(stored []cdr.AgentRow, settingsVersion string) []cdr.AgentRow {
	var out []cdr.AgentRow
	for _, s := range stored {
		if !s.Counts.Empty() {
			s.Counts = cdr.AgentCounts{}
			s.SettingsVersion = settingsVersion
			out = append(out, s)
		}
	}
	return out
}

// rollChunk recomputes a chunk of agents from one read of their lines and
// calls, and returns the rows written and the ids (pseudonyms) written for.
func (r *AgentRoller) rollChunk(ctx context.Context, settings *cdr.Settings, units []agentUnit, version uint64) (int, []string, error) {
	stale := r.acfg.StaleAfter
	var names []cdr.AgentName
	lo, hi := units[0].from, units[0].to
	for _, u := range units {
		names = append(names, u.def.Names...)
		lo, hi = minTime(lo, u.from), maxTime(hi, u.to)
	}
	// What the rows of [lo, hi) depend on (cdr/agent_build.go): sessions
	// begun up to three stale timeouts before (one to reach in, and the
	// lines before a lost login's logoff), signs up to two after; calls
	// whose talk reaches in (a wait and a talk are at most a day each).
	events, err := r.src.AgentEvents(ctx, names, lo.Add(-3*stale), hi.Add(2*stale))
	if err != nil {
		return 0, nil, err
	}
	calls, err := r.src.AgentCalls(ctx, names, lo.Add(-3*stale-2*24*time.Hour), hi.Add(2*stale))
	if err != nil {
		return 0, nil, err
	}
	ids := make([]string, len(units))
	for i, u := range units {
		ids[i] = r.shown(u.def).ID
	}
	stored, err := r.src.StoredAgentRows(ctx, ids, lo, hi)
	if err != nil {
		return 0, nil, err
	}
	byKey := map[agentRowKey]cdr.AgentRow{}
	for _, s := range stored {
		byKey[keyOf(&s)] = s
	}
	now := r.now()
	var out []cdr.AgentRow
	for i, u := range units {
		shown := r.shown(u.def)
		rows := cdr.BuildAgentRows(u.def, events, calls, cdr.AgentBuildOptions{
			From: u.from, To: u.to, Now: now, StaleAfter: stale, SettingsVersion: settings.Version,
		})
		seen := map[agentRowKey]bool{}
		for _, row := range rows {
			row.Agent, row.Display = shown.ID, shown.Display
			k := keyOf(&row)
			seen[k] = true
			if old, ok := byKey[k]; ok && sameAgentRow(&old, &row) {
				continue
			}
			out = append(out, row)
		}
		// Stored rows of the range that the recount no longer gives.
		var gone []cdr.AgentRow
		for k, s := range byKey {
			if k.agent == ids[i] && !seen[k] && !s.Keys.Bucket.Before(u.from) && s.Keys.Bucket.Before(u.to) {
				gone = append(gone, s)
			}
		}
		out = append(out, zeroRows(gone, settings.Version)...)
	}
	if err := r.out.WriteAgentRows(ctx, out, version); err != nil {
		return 0, nil, fmt.Errorf("cannot write %d agent rows: %w", len(out), err)
	}
	return len(out), ids, nil
}

type agentRowKey struct {
	agent, queue string
	bucket       int64
}

func keyOf(r *cdr.AgentRow) agentRowKey {
	return agentRowKey{r.Agent, r.Queue, r.Keys.Bucket.Unix()}
}

// sameAgentRow says a stored row already holds what a recount gives.
func sameAgentRow(a, b *cdr.AgentRow) bool {
	return a.Display == b.Display && a.TZ == b.TZ && a.SettingsVersion == b.SettingsVersion && a.Keys == b.Keys && a.Counts.Equal(&b.Counts)
}

// shown is the agent as the rows name it: its pseudonym where there is a
// key, with the display name the map gives it (else the pseudonym).
func (r *AgentRoller) shown(d cdr.AgentDef) cdr.AgentDef {
	if r.key == nil {
		return d
	}
	p := cdr.AgentPseudonym(r.key, d.ID)
	display := p
	if d.Mapped && d.Display != d.ID {
		display = d.Display
	}
	return cdr.AgentDef{ID: p, Display: display, Location: d.Location, Names: d.Names, Mapped: d.Mapped}
}
