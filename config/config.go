// Package config composes the settings of every acdstat package into one
// tree, read once from the environment (ACDSTAT_*) by cmd/acdstat, and
// validates it with messages that name the setting at fault.
package config

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"reflect"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"

	"github.com/acdstat/acdstat/aggregate"
	"github.com/acdstat/acdstat/document"
	"github.com/acdstat/acdstat/intake"
	"github.com/acdstat/acdstat/sip"
	"github.com/acdstat/acdstat/spool"
	"github.com/acdstat/acdstat/store"
)

// Config is every setting of acdstat. Defaults run on one machine.
type Config struct {
	ClickHouse store.Config     `envPrefix:"CLICKHOUSE_"`
	Intake     intake.Config    ``
	Jobs       aggregate.Config ``
	SIP        sip.Config       ``
	HTTPAddr   string           `env:"HTTP_ADDR" envDefault:"127.0.0.1:8080"`
	DataDir    string           `env:"DATA_DIR" envDefault:"./data"`
	ReadToken  string           `env:"READ_TOKEN"`
	Queues     string           `env:"QUEUES"`
	LogFormat  string           `env:"LOG_FORMAT" envDefault:"text"`
	LogLevel   string           `env:"LOG_LEVEL" envDefault:"info"`
	// PprofAddr, when set, is a loopback address where serve answers Go's
	// profiles (/debug/pprof/: heap, CPU, goroutines) for a look at its
	// memory or CPU under load. Off by default; never on a public address,
	// as the profiles show the process's insides.
	PprofAddr string `env:"PPROF_ADDR"`

	// ReadTokens and ReadTokensFile give read tokens limited to some
	// switches ("token=sw1,sw2;token2=sw3", or one token=sw1,sw2 per line
	// of the file): intake.LoadReadTokens.
	ReadTokens     string `env:"READ_TOKENS"`
	ReadTokensFile string `env:"READ_TOKENS_FILE"`

	// MetricsToken guards /metrics; empty: the read token does. TLSCert
	// and TLSKey (PEM files) make the HTTP listener speak HTTPS.
	MetricsToken string `env:"METRICS_TOKEN"`
	TLSCert      string `env:"TLS_CERT"`
	TLSKey       string `env:"TLS_KEY"`

	// Retention: ACDSTAT_RETENTION_EVENTS, _ROLLUPS, _SCHEDULE.
	Retention aggregate.RetentionConfig

	// Spool: ACDSTAT_SPOOL_MAX_BYTES, _SEGMENT_BYTES, _BATCH_BYTES (in
	// DATA_DIR/spool). DrainTimeout bounds the drain into ClickHouse on stop.
	Spool        spool.Config
	DrainTimeout time.Duration `env:"DRAIN_TIMEOUT" envDefault:"10s"`
	// WriterLinger is how long the writer waits for more rows once it has
	// some (drain.Config.Linger): the most an event waits before other
	// nodes' wallboards can read it, against fewer, larger INSERTs.
	WriterLinger time.Duration `env:"WRITER_LINGER" envDefault:"250ms"`

	// Agents: ACDSTAT_AGENT_FIGURES, _HASH_KEY(_FILE), _STALE_AFTER and
	// _SCHEDULE (METRICS.md, "Agents"). AgentToken guards the agent
	// figures; the read token does not open them.
	Agents     aggregate.AgentConfig
	AgentToken string `env:"AGENT_TOKEN"`

	// WallTokens are the wallboard's own tokens, comma-separated: they open
	// /wall and /v1/live only (intake.RequireWall). LiveEvery is how often
	// the live state reads what every node stored (aggregate.LiveFollower);
	// LiveMaxEvents the most events it keeps (cdr.LiveOptions.MaxEvents,
	// 0: no cap), a last resort beyond which its figures are partial.
	WallTokens    string        `env:"WALL_TOKENS"`
	LiveEvery     time.Duration `env:"LIVE_EVERY" envDefault:"250ms"`
	LiveMaxEvents int           `env:"LIVE_MAX_EVENTS" envDefault:"2000000"`

	// Document: the quarterly and monthly documents (ACDSTAT_DOCUMENT_*)
	// and the SMTP server that mails them (ACDSTAT_SMTP_*).
	Document document.Config
}

// Load reads the settings from environ (os.Environ() in main; a map in
// tests), without validating them. Byte sizes (ACDSTAT_*_BYTES) take units:
// 2GiB, 512MiB, 64KiB, 2GB (ParseByteSize).
func Load(environ []string) (Config, error) {
	environ, errs := withByteSizes(environ)
	if len(errs) > 0 {
		return Config{}, fmt.Errorf("cannot read settings: %w", errors.Join(errs...))
	}
	cfg, err := env.ParseAsWithOptions[Config](env.Options{
		Environment: env.ToMap(environ),
		Prefix:      "ACDSTAT_",
	})
	if err != nil {
		return cfg, fmt.Errorf("cannot read settings: %w", nameVariables(err))
	}
	// Intake takes no event older than the raw-event retention keeps: the
	// retention's next run would drop it (ingest --allow-old clears this).
	cfg.Intake.Oldest = cfg.Retention.Events.Cutoff
	return cfg, nil
}

// nameVariables rewrites env's parse errors, which name the Go field, so
// they name the variable a person sets instead.
func nameVariables(err error) error {
	var agg env.AggregateError
	if !errors.As(err, &agg) {
		return err
	}
	names := variableNames(reflect.TypeFor[Config](), "ACDSTAT_")
	var out []error
	for _, e := range agg.Errors {
		var pe env.ParseError
		if errors.As(e, &pe) && names[pe.Name] != "" {
			out = append(out, fmt.Errorf("%s: %w", names[pe.Name], pe.Err))
			continue
		}
		out = append(out, e)
	}
	return errors.Join(out...)
}

// variableNames maps the Go field names of a settings struct to their
// variables (the first one wins should two fields share a name).
func variableNames(t reflect.Type, prefix string) map[string]string {
	out := map[string]string{}
	for f := range t.Fields() {
		if f.Type.Kind() == reflect.Struct && f.Type.PkgPath() != "time" {
			for k, v := range variableNames(f.Type, prefix+f.Tag.Get("envPrefix")) {
				if _, ok := out[k]; !ok {
					out[k] = v
				}
			}
			continue
		}
		if name, _, _ := strings.Cut(f.Tag.Get("env"), ","); name != "" {
			if _, ok := out[f.Name]; !ok {
				out[f.Name] = prefix + name
			}
		}
	}
	return out
}

// Validate checks every setting and returns all problems at once, each
// naming its variable. It is every check that serve makes of its settings
// at start before it connects or binds anything, and it is what
// check-config runs, so that check-config refuses what serve would: the
// schedules (with the parser of the scheduler), the SIP settings, the
// switch zone, the files named (the queue file, parsed as
// `acdstat settings apply` parses it; the TLS key pair, loaded; the caller
// hash key and ClickHouse password files, read). What it cannot know
// without the network (a port taken, ClickHouse down) is check-config
// --probe's.
func (c Config) Validate() error {
	var errs []error
	errs = append(errs, c.ClickHouse.Validate(), c.Jobs.Validate(), c.Retention.Validate())
	for _, s := range []struct{ name, spec string }{
		{"ACDSTAT_BUILD_SCHEDULE", c.Jobs.BuildEvery},
		{"ACDSTAT_ROLLUP_SCHEDULE", c.Jobs.RollupEvery},
		{"ACDSTAT_RECONCILE_SCHEDULE", c.Jobs.ReconcileEvery},
		{"ACDSTAT_RETENTION_SCHEDULE", c.Retention.Schedule},
		{"ACDSTAT_DOCUMENT_SCHEDULE", c.Document.Schedule},
	} {
		if s.spec == "" {
			continue // off (reconcile, document); Retention.Validate names an empty one of its own
		}
		if err := aggregate.ParseSchedule(s.spec); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", s.name, err))
		}
	}
	// The privacy step reads its key file; only settings that pass the
	// static checks are tried, so that a problem is named once.
	if err := c.Intake.Validate(); err != nil {
		errs = append(errs, err)
	} else if _, err := intake.NewPrivacy(c.Intake.CallerNumbers, c.Intake.CallerHashKey, c.Intake.CallerHashKeyFile); err != nil {
		errs = append(errs, err)
	}
	if _, err := c.Intake.SwitchZone(); err != nil {
		errs = append(errs, err)
	}
	errs = append(errs, c.Intake.ValidateSIP(), c.SIP.Validate())
	if c.ClickHouse.PasswordFile != "" && c.ClickHouse.Password == "" {
		if _, err := os.ReadFile(c.ClickHouse.PasswordFile); err != nil {
			errs = append(errs, fmt.Errorf("ACDSTAT_CLICKHOUSE_PASSWORD_FILE: cannot read password file: %w", err))
		}
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		errs = append(errs, errors.New("ACDSTAT_TLS_CERT and ACDSTAT_TLS_KEY: set both or neither"))
	} else if c.TLSCert != "" {
		if _, err := tls.LoadX509KeyPair(c.TLSCert, c.TLSKey); err != nil {
			errs = append(errs, fmt.Errorf("ACDSTAT_TLS_CERT and ACDSTAT_TLS_KEY: cannot load the key pair: %w", err))
		}
	}
	if c.Queues != "" {
		if _, err := LoadQueues(c.Queues); err != nil {
			errs = append(errs, fmt.Errorf("ACDSTAT_QUEUES: %w", err))
		}
	}
	if _, _, err := net.SplitHostPort(c.HTTPAddr); err != nil {
		errs = append(errs, fmt.Errorf("ACDSTAT_HTTP_ADDR: %q is not host:port: %v", c.HTTPAddr, err))
	} else if !IsLoopback(c.HTTPAddr) && c.Intake.IngestToken == "" {
		errs = append(errs, fmt.Errorf("ACDSTAT_HTTP_ADDR: %s is reachable from other machines, so ACDSTAT_INGEST_TOKEN must be set (and ACDSTAT_READ_TOKEN for reading)", c.HTTPAddr))
	} else if !IsLoopback(c.HTTPAddr) && c.ReadToken == "" && c.ReadTokens == "" && c.ReadTokensFile == "" {
		errs = append(errs, fmt.Errorf("ACDSTAT_HTTP_ADDR: %s is reachable from other machines, so ACDSTAT_READ_TOKEN must be set (or ACDSTAT_READ_TOKENS)", c.HTTPAddr))
	}
	if c.PprofAddr != "" {
		if _, _, err := net.SplitHostPort(c.PprofAddr); err != nil {
			errs = append(errs, fmt.Errorf("ACDSTAT_PPROF_ADDR: %q is not host:port: %v", c.PprofAddr, err))
		} else if !IsLoopback(c.PprofAddr) {
			errs = append(errs, fmt.Errorf("ACDSTAT_PPROF_ADDR: %s is reachable from other machines; profiles are served on loopback only (127.0.0.1:PORT), reach them with an SSH tunnel", c.PprofAddr))
		}
	}
	if _, err := intake.LoadReadTokens(c.ReadToken, c.ReadTokens, c.ReadTokensFile); err != nil {
		errs = append(errs, err)
	}
	errs = append(errs, c.Spool.Validate(), c.Agents.Validate(), c.Document.Validate())
	if c.AgentToken != "" && (c.AgentToken == c.ReadToken || c.AgentToken == c.Intake.IngestToken) {
		errs = append(errs, errors.New("ACDSTAT_AGENT_TOKEN: must differ from ACDSTAT_READ_TOKEN and ACDSTAT_INGEST_TOKEN: agent figures have their own readers"))
	}
	if wt, err := intake.ParseWallTokens(c.WallTokens); err != nil {
		errs = append(errs, err)
	} else {
		for _, other := range []string{c.ReadToken, c.Intake.IngestToken, c.AgentToken, c.MetricsToken} {
			if other != "" && wt.Has(other) {
				errs = append(errs, errors.New("ACDSTAT_WALL_TOKENS: a wall token must differ from the read, ingest, agent and metrics tokens: it opens the wallboard only"))
				break
			}
		}
	}
	if c.WriterLinger <= 0 || c.WriterLinger > time.Minute {
		errs = append(errs, fmt.Errorf("ACDSTAT_WRITER_LINGER: must be more than 0 and at most 1m, got %s", c.WriterLinger))
	}
	if c.LiveEvery <= 0 {
		errs = append(errs, fmt.Errorf("ACDSTAT_LIVE_EVERY: must be positive, got %s", c.LiveEvery))
	}
	if c.LiveMaxEvents < 0 {
		errs = append(errs, fmt.Errorf("ACDSTAT_LIVE_MAX_EVENTS: must not be negative, got %d", c.LiveMaxEvents))
	}
	if c.DrainTimeout < 0 {
		errs = append(errs, fmt.Errorf("ACDSTAT_DRAIN_TIMEOUT: must not be negative, got %s", c.DrainTimeout))
	}
	if c.DataDir == "" {
		errs = append(errs, errors.New("ACDSTAT_DATA_DIR: must not be empty"))
	}
	if c.Intake.MaxBodyBytes <= 0 {
		errs = append(errs, fmt.Errorf("ACDSTAT_MAX_BODY_BYTES: must be positive, got %d", c.Intake.MaxBodyBytes))
	}
	if c.Intake.MaxLineBytes <= 0 {
		errs = append(errs, fmt.Errorf("ACDSTAT_MAX_LINE_BYTES: must be positive, got %d", c.Intake.MaxLineBytes))
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		errs = append(errs, fmt.Errorf("ACDSTAT_LOG_FORMAT: %q is not text or json", c.LogFormat))
	}
	switch strings.ToLower(c.LogLevel) {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("ACDSTAT_LOG_LEVEL: %q is not debug, info, warn or error", c.LogLevel))
	}
	return errors.Join(errs...)
}

// IsLoopback reports whether a listen address only accepts connections from
// this machine. An empty host (":8080") listens everywhere.
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
