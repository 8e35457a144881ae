package store

import (
	"context"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/acdstat/acdstat/cdr"
)

// SettingsVersion is one application of the queue settings (migration
// 0008): the text of the queue file and its version, when and by whom it
// was applied.
type SettingsVersion struct {
	// Version is cdr.SettingsVersionOf(YAML).
	Version string
	// YAML is the applied text, as the queue file held it.
	YAML string
	// AppliedAt is when it was applied (whole seconds); zero for the
	// built-in defaults, which nobody applied.
	AppliedAt time.Time
	// AppliedBy says which command on which host applied it.
	AppliedBy string
	// order is applied_ns: the newest application is the current one.
	order uint64
}

// defaultSettings stands for the built-in defaults before any application.
var defaultSettings = SettingsVersion{Version: cdr.DefaultSettingsVersion}

// CurrentSettings returns the current queue settings: the newest
// application, or the built-in defaults (an empty text, version
// cdr.DefaultSettingsVersion) when none was ever applied.
func (s *Store) CurrentSettings(ctx context.Context) (SettingsVersion, error) {
	rows, err := s.conn.Query(ctx, `SELECT version, yaml, applied_at, applied_by, applied_ns FROM queue_settings
ORDER BY applied_ns DESC, version DESC LIMIT 1`)
	if err != nil {
		return SettingsVersion{}, fmt.Errorf("cannot read the current settings: %w", err)
	}
	vs, err := scanSettings(rows)
	if err != nil {
		return SettingsVersion{}, fmt.Errorf("cannot read the current settings: %w", err)
	}
	if len(vs) == 0 {
		return defaultSettings, nil
	}
	return vs[0], nil
}

// CurrentSettingsVersion returns the version of the current settings
// without their text: what a job asks at the start of every run, so it is
// one small read.
func (s *Store) CurrentSettingsVersion(ctx context.Context) (string, error) {
	rows, err := s.conn.Query(ctx, `SELECT version FROM queue_settings ORDER BY applied_ns DESC, version DESC LIMIT 1`)
	if err != nil {
		return "", fmt.Errorf("cannot read the current settings version: %w", err)
	}
	defer rows.Close()
	v := cdr.DefaultSettingsVersion
	if rows.Next() {
		if err := rows.Scan(&v); err != nil {
			return "", fmt.Errorf("cannot read the current settings version: %w", err)
		}
	}
	if err := rows.Err(); err != nil {
		return "", fmt.Errorf("cannot read the current settings version: %w", err)
	}
	return v, nil
}

// SettingsVersionByID returns the first application of a version, false
// when there is none. The built-in defaults are found without one.
func (s *Store) SettingsVersionByID(ctx context.Context, version string) (SettingsVersion, bool, error) {
	rows, err := s.conn.Query(ctx, `SELECT version, yaml, applied_at, applied_by, applied_ns FROM queue_settings
WHERE version = ? ORDER BY applied_ns LIMIT 1`, version)
	if err != nil {
		return SettingsVersion{}, false, fmt.Errorf("cannot read settings version %s: %w", version, err)
	}
	vs, err := scanSettings(rows)
	if err != nil {
		return SettingsVersion{}, false, fmt.Errorf("cannot read settings version %s: %w", version, err)
	}
	if len(vs) == 0 {
		if version == cdr.DefaultSettingsVersion {
			return defaultSettings, true, nil
		}
		return SettingsVersion{}, false, nil
	}
	return vs[0], true, nil
}

// SettingsHistory returns every application, oldest first. Two nodes that
// applied the same version at once are one application.
func (s *Store) SettingsHistory(ctx context.Context) ([]SettingsVersion, error) {
	rows, err := s.conn.Query(ctx, `SELECT version, any(yaml), min(applied_at), any(applied_by), applied_ns FROM queue_settings
GROUP BY applied_ns, version ORDER BY applied_ns, version`)
	if err != nil {
		return nil, fmt.Errorf("cannot read the settings history: %w", err)
	}
	vs, err := scanSettings(rows)
	if err != nil {
		return nil, fmt.Errorf("cannot read the settings history: %w", err)
	}
	return vs, nil
}

// ApplySettings makes text the current queue settings and returns the
// version applied and the one it replaced. text must be valid (the caller
// parses it with config.ParseQueues first); by says who applies it, at is
// the applying clock. When text is the current version already nothing is
// written and both returned versions are the current one, so applying a
// file twice, or from several nodes, makes one version.
//
// The application is ordered after the current one even where at lags it
// (another node's clock ahead of this one's), so the text just applied is
// current when ApplySettings returns, unless another application raced it,
// in which case the one with the higher order wins for every reader alike.
func (s *Store) ApplySettings(ctx context.Context, text []byte, by string, at time.Time) (applied, previous SettingsVersion, err error) {
	previous, err = s.CurrentSettings(ctx)
	if err != nil {
		return SettingsVersion{}, SettingsVersion{}, err
	}
	v := cdr.SettingsVersionOf(text)
	if v == previous.Version {
		return previous, previous, nil
	}
	order := max(uint64(max(at.UnixNano(), 0)), previous.order+1)
	applied = SettingsVersion{Version: v, YAML: string(text), AppliedAt: at.UTC().Truncate(time.Second), AppliedBy: by, order: order}
	cols := []any{[]string{applied.Version}, []string{applied.YAML}, []time.Time{applied.AppliedAt}, []uint64{applied.order}, []string{applied.AppliedBy}}
	if err := s.sendColumns(ctx, "queue_settings", "INSERT INTO queue_settings (version, yaml, applied_at, applied_ns, applied_by)", cols); err != nil {
		return SettingsVersion{}, previous, fmt.Errorf("cannot apply settings version %s: %w", v, err)
	}
	return applied, previous, nil
}

// scanSettings reads rows of (version, yaml, applied_at, applied_by,
// applied_ns) and closes them.
func scanSettings(rows driver.Rows) ([]SettingsVersion, error) {
	defer rows.Close()
	var out []SettingsVersion
	for rows.Next() {
		var v SettingsVersion
		if err := rows.Scan(&v.Version, &v.YAML, &v.AppliedAt, &v.AppliedBy, &v.order); err != nil {
			return nil, err
		}
		v.AppliedAt = v.AppliedAt.UTC()
		out = append(out, v)
	}
	return out, rows.Err()
}
