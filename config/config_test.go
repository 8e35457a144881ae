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
		{[]string{"ACDSTAT_SWITCH_TIMEZONE=Mars/Olympus"}, "ACDSTAT_SWITCH_TIMEZONE"},
		{[]string{"ACDSTAT_QUEUES=/nonexistent/queues.yaml"}, "ACDSTAT_QUEUES"},
		{[]string{"ACDSTAT_TLS_CERT=/nonexistent/cert.pem", "ACDSTAT_TLS_KEY=/nonexistent/key.pem"}, "ACDSTAT_TLS_KEY"},
		{[]string{"ACDSTAT_CLICKHOUSE_PASSWORD_FILE=/nonexistent/password"}, "ACDSTAT_CLICKHOUSE_PASSWORD_FILE"},
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
