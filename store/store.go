package store

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync/atomic"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// Store is a connection pool to one ClickHouse database. It is safe for
// concurrent use; Close it when done.
type Store struct {
	conn    driver.Conn
	db      string
	version string
	log     *slog.Logger
	// agentEvents makes InsertEvents keep agent lines by agent as well
	// (KeepAgentEvents).
	agentEvents atomic.Bool
}

// Open validates cfg, reads the password file if one is set, creates the
// database when it is missing, connects to it over the native protocol
// (without compression: slower on loopback, CLICKHOUSE.md), pings it and logs
// the server's version. It does not migrate: call Migrate.
func Open(ctx context.Context, cfg Config, log *slog.Logger) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	password, err := readPassword(cfg)
	if err != nil {
		return nil, err
	}
	opts := func(db string) *clickhouse.Options {
		return &clickhouse.Options{
			Protocol:    clickhouse.Native,
			Addr:        cfg.Addr,
			Auth:        clickhouse.Auth{Database: db, Username: cfg.User, Password: password},
			DialTimeout: cfg.DialTimeout,
			ReadTimeout: cfg.ReadTimeout,
			Logger:      log.With("component", "clickhouse-go"),
		}
	}

	// First without a database (the user's default one): ours may not exist.
	boot, err := clickhouse.Open(opts(""))
	if err != nil {
		return nil, fmt.Errorf("cannot connect to clickhouse %v: %w", cfg.Addr, err)
	}
	err = ensureDatabase(ctx, boot, cfg.Database)
	boot.Close()
	if err != nil {
		return nil, err
	}

	conn, err := clickhouse.Open(opts(cfg.Database))
	if err != nil {
		return nil, fmt.Errorf("cannot connect to clickhouse %v: %w", cfg.Addr, err)
	}
	s := &Store{conn: conn, db: cfg.Database, log: log}
	if err := s.Ping(ctx); err != nil {
		conn.Close()
		return nil, err
	}
	if err := conn.QueryRow(ctx, "SELECT version()").Scan(&s.version); err != nil {
		conn.Close()
		return nil, fmt.Errorf("cannot read clickhouse version: %w", err)
	}
	log.Info("clickhouse connected", "version", s.version, "database", cfg.Database, "addr", cfg.Addr)
	return s, nil
}

// readPassword returns the password, from the file where one is named.
func readPassword(cfg Config) (string, error) {
	if cfg.PasswordFile == "" {
		return cfg.Password, nil
	}
	b, err := os.ReadFile(cfg.PasswordFile)
	if err != nil {
		// The path is named, never the content.
		return "", fmt.Errorf("%sPASSWORD_FILE: cannot read password file: %w", envPrefix, err)
	}
	return strings.TrimRight(string(b), "\r\n"), nil
}

// Probe connects to ClickHouse without a database, pings it and says which
// version answers and whether cfg.Database exists, creating nothing: for
// check-config --probe, before serve (which creates the database).
func Probe(ctx context.Context, cfg Config) (version string, dbExists bool, err error) {
	if err := cfg.Validate(); err != nil {
		return "", false, err
	}
	password, err := readPassword(cfg)
	if err != nil {
		return "", false, err
	}
	conn, err := clickhouse.Open(&clickhouse.Options{
		Protocol: clickhouse.Native, Addr: cfg.Addr,
		Auth:        clickhouse.Auth{Username: cfg.User, Password: password},
		DialTimeout: cfg.DialTimeout, ReadTimeout: cfg.ReadTimeout,
	})
	if err != nil {
		return "", false, fmt.Errorf("cannot connect to clickhouse %v: %w", cfg.Addr, err)
	}
	defer conn.Close()
	if err := conn.Ping(ctx); err != nil {
		return "", false, fmt.Errorf("cannot ping clickhouse %v: %w", cfg.Addr, err)
	}
	var n uint64
	if err := conn.QueryRow(ctx, "SELECT version(), (SELECT count() FROM system.databases WHERE name = ?)", cfg.Database).Scan(&version, &n); err != nil {
		return "", false, fmt.Errorf("cannot read clickhouse version: %w", err)
	}
	return version, n > 0, nil
}

// ensureDatabase creates db when it is missing. It looks first, so a user
// without the right to create databases can use an existing one.
func ensureDatabase(ctx context.Context, conn driver.Conn, db string) error {
	if err := conn.Ping(ctx); err != nil {
		return fmt.Errorf("cannot ping clickhouse: %w", err)
	}
	var n uint64
	if err := conn.QueryRow(ctx, "SELECT count() FROM system.databases WHERE name = ?", db).Scan(&n); err != nil {
		return fmt.Errorf("cannot list databases: %w", err)
	}
	if n > 0 {
		return nil
	}
	if !identRE.MatchString(db) { // Validate checked it; the identifier goes into SQL.
		return fmt.Errorf("%sDATABASE: %q is not an identifier", envPrefix, db)
	}
	if err := conn.Exec(ctx, "CREATE DATABASE IF NOT EXISTS "+db); err != nil {
		return fmt.Errorf("cannot create database %s: %w", db, err)
	}
	return nil
}

// ServerVersion returns the server's version() as read at Open, e.g. "18.16.1".
func (s *Store) ServerVersion() string { return s.version }

// Database returns the database name the store works in.
func (s *Store) Database() string { return s.db }

// Ping checks that the server answers; it is the readiness probe.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.conn.Ping(ctx); err != nil {
		return fmt.Errorf("cannot ping clickhouse: %w", err)
	}
	return nil
}

// Close closes the connections. No method may be called after it.
func (s *Store) Close() error { return s.conn.Close() }
