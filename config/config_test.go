package config

import (
	"strings"
	"testing"
	"time"
)

func load(t *testing.T, env ...string) Config {
	t.Helper()
	cfg, err := Load(env)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return cfg
}

func TestDefaultsAreValid(t *testing.T) {
	cfg := load(t)
	if err := cfg.Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	if cfg.HTTPAddr != "127.0.0.1:8080" || cfg.ClickHouse.Database != "acdstat" || cfg.ClickHouse.Addr[0] != "127.0.0.1:9000" {
		t.Errorf("got %+v; want the defaults of DESIGN.md", cfg)
	}
}

func TestEnvironmentIsRead(t *testing.T) {
	cfg := load(t, "ACDSTAT_CLICKHOUSE_ADDR=ch1:9000,ch2:9000", "ACDSTAT_INGEST_TOKEN=t", "ACDSTAT_STALE_AFTER=2h")
	if len(cfg.ClickHouse.Addr) != 2 || cfg.ClickHouse.Addr[1] != "ch2:9000" {
		t.Errorf("addresses: got %v; want two", cfg.ClickHouse.Addr)
	}
	if cfg.Intake.IngestToken != "t" || cfg.Jobs.StaleAfter.Hours() != 2 {
		t.Errorf("got %+v; want token t and stale 2h", cfg)
	}
}

func TestValidateNamesTheSetting(t *testing.T) {
	for _, tc := range []struct {
		env  []string
		want string
	}{
		{[]string{"ACDSTAT_HTTP_ADDR=0.0.0.0:8080"}, "ACDSTAT_INGEST_TOKEN must be set"},
		{[]string{"ACDSTAT_HTTP_ADDR=:8080", "ACDSTAT_INGEST_TOKEN=x"}, "ACDSTAT_READ_TOKEN must be set"},
		{[]string{"ACDSTAT_HTTP_ADDR=nonsense"}, "ACDSTAT_HTTP_ADDR"},
		{[]string{"ACDSTAT_CLICKHOUSE_DATABASE=a-b; DROP"}, "ACDSTAT_CLICKHOUSE_DATABASE"},
		{[]string{"ACDSTAT_CLICKHOUSE_PASSWORD=a", "ACDSTAT_CLICKHOUSE_PASSWORD_FILE=/f"}, "exclusive"},
		{[]string{"ACDSTAT_STALE_AFTER=-1h"}, "ACDSTAT_STALE_AFTER"},
		{[]string{"ACDSTAT_LOG_FORMAT=xml"}, "ACDSTAT_LOG_FORMAT"},
		{[]string{"ACDSTAT_MAX_BODY_BYTES=0"}, "ACDSTAT_MAX_BODY_BYTES"},
		{[]string{"ACDSTAT_BUILD_SCHEDULE=every 5s"}, "ACDSTAT_BUILD_SCHEDULE"},
		{[]string{"ACDSTAT_RETENTION_SCHEDULE=0 3 * *"}, "ACDSTAT_RETENTION_SCHEDULE"},
		{[]string{"ACDSTAT_SIP_QUEUE_SIZE=0"}, "ACDSTAT_SIP_QUEUE_SIZE"},
		{[]string{"ACDSTAT_MAX_CONNS=-1"}, "ACDSTAT_MAX_CONNS"},
		{[]string{"ACDSTAT_MAX_CONNS=10", "ACDSTAT_MAX_CONNS_PER_SOURCE=20"}, "ACDSTAT_MAX_CONNS_PER_SOURCE"},
		{[]string{"ACDSTAT_CONN_IDLE_TIMEOUT=-1s"}, "ACDSTAT_CONN_IDLE_TIMEOUT"},
		{[]string{"ACDSTAT_MAX_REJECTS_PER_MINUTE=-5"}, "ACDSTAT_MAX_REJECTS_PER_MINUTE"},
		{[]string{"ACDSTAT_SWITCH_TIMEZONE=Mars/Olympus"}, "ACDSTAT_SWITCH_TIMEZONE"},
		{[]string{"ACDSTAT_QUEUES=/nonexistent/queues.yaml"}, "ACDSTAT_QUEUES"},
		{[]string{"ACDSTAT_TLS_CERT=/nonexistent/cert.pem", "ACDSTAT_TLS_KEY=/nonexistent/key.pem"}, "ACDSTAT_TLS_KEY"},
		{[]string{"ACDSTAT_CLICKHOUSE_PASSWORD_FILE=/nonexistent/password"}, "ACDSTAT_CLICKHOUSE_PASSWORD_FILE"},
		{[]string{"ACDSTAT_WALL_TOKENS=short"}, "ACDSTAT_WALL_TOKENS"},
		{[]string{"ACDSTAT_READ_TOKEN=the-same-token-twice", "ACDSTAT_WALL_TOKENS=the-same-token-twice"}, "ACDSTAT_WALL_TOKENS: a wall token must differ"},
		{[]string{"ACDSTAT_LIVE_EVERY=0s"}, "ACDSTAT_LIVE_EVERY"},
		{[]string{"ACDSTAT_LIVE_MAX_EVENTS=-1"}, "ACDSTAT_LIVE_MAX_EVENTS"},
		{[]string{"ACDSTAT_WRITER_LINGER=0s"}, "ACDSTAT_WRITER_LINGER"},
		{[]string{"ACDSTAT_PPROF_ADDR=0.0.0.0:6060"}, "ACDSTAT_PPROF_ADDR: 0.0.0.0:6060 is reachable from other machines"},
		{[]string{"ACDSTAT_PPROF_ADDR=6060"}, "ACDSTAT_PPROF_ADDR"},
		{[]string{"ACDSTAT_RECONCILE_SCHEDULE=nightly"}, "ACDSTAT_RECONCILE_SCHEDULE"},
		{[]string{"ACDSTAT_RECONCILE_WINDOW=0s"}, "ACDSTAT_RECONCILE_WINDOW"},
	} {
		err := load(t, tc.env...).Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: got %v; want an error containing %q", tc.env, err, tc.want)
		}
	}
}

func TestUnparsableValueIsAnError(t *testing.T) {
	_, err := Load([]string{"ACDSTAT_STALE_AFTER=four hours"})
	if err == nil || !strings.Contains(err.Error(), "STALE_AFTER") {
		t.Errorf("got %v; want an error naming STALE_AFTER", err)
	}
}

func TestIsLoopback(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:80": true, "[::1]:80": true, "localhost:80": true,
		":80": false, "0.0.0.0:80": false, "10.0.0.1:80": false,
	} {
		if got := IsLoopback(addr); got != want {
			t.Errorf("IsLoopback(%q) = %v; want %v", addr, got, want)
		}
	}
}

// TestByteSizesTakeUnits sets every byte-size variable as a person writes
// it: with a unit, decimal (KB, MB, GB, TB) or binary (KiB, MiB, GiB, TiB),
// or as a plain number of bytes.
func TestByteSizesTakeUnits(t *testing.T) {
	cfg := load(t, "ACDSTAT_SPOOL_MAX_BYTES=2GB", "ACDSTAT_SPOOL_SEGMENT_BYTES=64MiB", "ACDSTAT_SPOOL_BATCH_BYTES=8 MiB",
		"ACDSTAT_MAX_BODY_BYTES=512KiB", "ACDSTAT_MAX_LINE_BYTES=64kib")
	for _, tc := range []struct {
		name      string
		got, want int64
	}{
		{"ACDSTAT_SPOOL_MAX_BYTES", cfg.Spool.MaxBytes, 2_000_000_000},
		{"ACDSTAT_SPOOL_SEGMENT_BYTES", cfg.Spool.SegmentBytes, 64 << 20},
		{"ACDSTAT_SPOOL_BATCH_BYTES", int64(cfg.Spool.BatchBytes), 8 << 20},
		{"ACDSTAT_MAX_BODY_BYTES", cfg.Intake.MaxBodyBytes, 512 << 10},
		{"ACDSTAT_MAX_LINE_BYTES", int64(cfg.Intake.MaxLineBytes), 64 << 10},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: got %d; want %d", tc.name, tc.got, tc.want)
		}
	}
	if cfg := load(t, "ACDSTAT_SPOOL_MAX_BYTES=1073741824", "ACDSTAT_MAX_BODY_BYTES=1.5GiB"); cfg.Spool.MaxBytes != 1<<30 || cfg.Intake.MaxBodyBytes != 3<<29 {
		t.Errorf("plain bytes and a fraction: got %d and %d; want %d and %d", cfg.Spool.MaxBytes, cfg.Intake.MaxBodyBytes, 1<<30, 3<<29)
	}
}

// TestBadByteSizeSaysWhichUnits: a size that cannot be read names the
// variable and the units it takes.
func TestBadByteSizeSaysWhichUnits(t *testing.T) {
	for _, v := range []string{"2 gigs", "2G", "-5MB", "GB", "99999999999TB"} {
		_, err := Load([]string{"ACDSTAT_SPOOL_MAX_BYTES=" + v})
		if err == nil {
			t.Errorf("%q: got no error", v)
			continue
		}
		for _, want := range []string{"ACDSTAT_SPOOL_MAX_BYTES", "KiB, MiB, GiB", "KB, MB, GB", "2GiB"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%q: got %q; want it to contain %q", v, err, want)
			}
		}
	}
}

// TestOldestAcceptedFollowsTheEventRetention: intake's oldest accepted
// event time is the raw-event retention's cutoff at intake's now, and no
// bound where the retention keeps events for ever.
func TestOldestAcceptedFollowsTheEventRetention(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for env, want := range map[string]time.Time{
		"ACDSTAT_RETENTION_EVENTS=400d": now.AddDate(0, 0, -400),
		"ACDSTAT_RETENTION_EVENTS=2y":   now.AddDate(-2, 0, 0),
		"ACDSTAT_RETENTION_EVENTS=0":    {},
	} {
		cfg := load(t, env)
		if cfg.Intake.Oldest == nil {
			t.Errorf("%s: Intake.Oldest is not set", env)
			continue
		}
		if got := cfg.Intake.Oldest(now); !got.Equal(want) {
			t.Errorf("%s: oldest accepted at %v is %v; want %v", env, now, got, want)
		}
	}
}
