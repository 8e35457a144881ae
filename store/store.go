package store

import (
	"context"
	"errors"
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
	conn driver.Conn
	cfg  Config
	// boot connects without a database: the user's default one, for
	// Connect, as ours may not exist yet.
	boot    *clickhouse.Options
	db      string
	version atomic.Pointer[string]
	log     *slog.Logger
	// cluster is Config.Cluster: empty on one server.
	cluster string
	// consistent is the store ConsistentReads returns in cluster mode (nil
	// on one server, and in that store itself); Close closes it too.
	consistent *Store
	// dialNode connects to one node of the cluster with the store's
	// settings, for the statements sent to single nodes (nodeConns).
	dialNode func(addr string) (driver.Conn, error)
	// noParallelQuorum is set by Connect in cluster mode where the server
	// has insert_quorum_parallel, which every insert then turns off
	// (sendColumns, clusterSettings).
	noParallelQuorum atomic.Bool
	// daysFilled is set once job_state says rollup_day holds every day of
	// rollup_15m (daysReady).
	daysFilled atomic.Bool
	// agentEvents makes InsertEvents keep agent lines by agent as well
	// (KeepAgentEvents).
	agentEvents atomic.Bool
}

// New validates cfg, reads the password file if one is set, and returns
// the store of cfg.Database without touching the network: the pool dials
// when a call needs a connection, and again after ClickHouse went away, so
// every call fails while ClickHouse does not answer (or before Connect made
// the database) and works once it does. serve starts with New, so that
// intake takes calls into the spool whether ClickHouse answers or not, and
// connects in the background (Connect). It does not migrate. In cluster
// mode (cfg.Cluster) it makes the pool of ConsistentReads too.
func New(cfg Config, log *slog.Logger) (*Store, error) {
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
	opts := func(db string, settings clickhouse.Settings) *clickhouse.Options {
		return &clickhouse.Options{
			Protocol:    clickhouse.Native,
			Addr:        cfg.Addr,
			Auth:        clickhouse.Auth{Database: db, Username: cfg.User, Password: password},
			DialTimeout: cfg.DialTimeout,
			ReadTimeout: cfg.ReadTimeout,
			Settings:    settings,
			Logger:      slog.New(quietDriver{log.Handler()}).With("component", "clickhouse-go"),
		}
	}
	settings := clusterSettings(cfg)
	conn, err := clickhouse.Open(opts(cfg.Database, settings))
	if err != nil {
		return nil, fmt.Errorf("cannot connect to clickhouse %v: %w", cfg.Addr, err)
	}
	s := &Store{conn: conn, cfg: cfg, boot: opts("", nil), db: cfg.Database, log: log, cluster: cfg.Cluster}
	if cfg.Cluster == "" {
		return s, nil
	}
	s.dialNode = func(addr string) (driver.Conn, error) {
		o := opts(cfg.Database, settings)
		o.Addr = []string{addr}
		return clickhouse.Open(o)
	}
	consistent, err := clickhouse.Open(opts(cfg.Database, consistentSettings(settings)))
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("cannot connect to clickhouse %v: %w", cfg.Addr, err)
	}
	s.consistent = &Store{conn: consistent, cfg: cfg, boot: s.boot, db: s.db, log: log, cluster: s.cluster, dialNode: s.dialNode}
	return s, nil
}

// ErrAccessDenied is in the error of Connect where ClickHouse answered and
// refused the user or the password: unlike a server that does not answer,
// waiting does not mend it.
var ErrAccessDenied = errors.New("store: clickhouse refused the user or password")

// accessDenied are the codes of ClickHouse's refusals of a login: unknown
// user, wrong password, required password (18.16), authentication failed
// (later releases).
var accessDenied = map[int32]bool{192: true, 193: true, 194: true, 516: true}

// Connect creates the database when it is missing (connecting first
// without one: the user's default; on every node in cluster mode, after
// checking that the server knows the cluster), pings it and logs the
// server's version, once, saying whether acdstat supports it (Support). It
// may be called again after it failed; its error holds ErrAccessDenied
// where the server refused the login.
func (s *Store) Connect(ctx context.Context) error {
	boot, err := clickhouse.Open(s.boot)
	if err != nil {
		return fmt.Errorf("cannot connect to clickhouse %v: %w", s.cfg.Addr, err)
	}
	err = ensureDatabase(ctx, boot, s.db, s.cluster)
	if err == nil && s.cluster != "" {
		var parallel bool
		if parallel, err = hasParallelQuorum(ctx, boot); err == nil {
			s.noParallelQuorum.Store(parallel)
			s.consistent.noParallelQuorum.Store(parallel)
		}
	}
	boot.Close()
	if ex := (*clickhouse.Exception)(nil); errors.As(err, &ex) && accessDenied[ex.Code] {
		return fmt.Errorf("%w: %w", ErrAccessDenied, err)
	}
	if err != nil {
		return err
	}
	if err := s.Ping(ctx); err != nil {
		return err
	}
	var version string
	if err := s.conn.QueryRow(ctx, "SELECT version()").Scan(&version); err != nil {
		return fmt.Errorf("cannot read clickhouse version: %w", err)
	}
	s.version.Store(&version)
	if s.consistent != nil {
		s.consistent.version.Store(&version)
	}
	logVersion(s.log, version, s.cfg)
	return nil
}

// Open is New and Connect: it returns a store whose database exists and
// answers, for the commands that have nothing to do without ClickHouse. It
// does not migrate: call Migrate.
func Open(ctx context.Context, cfg Config, log *slog.Logger) (*Store, error) {
	s, err := New(cfg, log)
	if err != nil {
		return nil, err
	}
	if err := s.Connect(ctx); err != nil {
		s.Close()
		return nil, err
	}
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
// check-config --probe, before serve (which creates the database). In
// cluster mode it checks the cluster as Connect does.
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
	if cfg.Cluster != "" {
		if err := checkCluster(ctx, conn, cfg.Cluster); err != nil {
			return "", false, err
		}
	}
	var n uint64
	if err := conn.QueryRow(ctx, "SELECT version(), (SELECT count() FROM system.databases WHERE name = ?)", cfg.Database).Scan(&version, &n); err != nil {
		return "", false, fmt.Errorf("cannot read clickhouse version: %w", err)
	}
	return version, n > 0, nil
}

// ensureDatabase creates db when it is missing, on every node of cluster
// when one is named (after checking that the server knows the cluster). It
// looks first, so a user without the right to create databases can use an
// existing one.
func ensureDatabase(ctx context.Context, conn driver.Conn, db, cluster string) error {
	if err := conn.Ping(ctx); err != nil {
		return fmt.Errorf("cannot ping clickhouse: %w", err)
	}
	if cluster != "" {
		if err := checkCluster(ctx, conn, cluster); err != nil {
			return err
		}
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
	stmt := "CREATE DATABASE IF NOT EXISTS " + db
	if cluster != "" { // an identifier too (Validate)
		stmt += " ON CLUSTER " + cluster
	}
	if err := conn.Exec(ctx, stmt); err != nil {
		return fmt.Errorf("cannot create database %s: %w", db, err)
	}
	return nil
}

// ServerVersion returns the server's version() as Connect read it, e.g.
// "18.16.1"; "" before Connect succeeded.
func (s *Store) ServerVersion() string {
	if v := s.version.Load(); v != nil {
		return *v
	}
	return ""
}

// Database returns the database name the store works in.
func (s *Store) Database() string { return s.db }

// Ping checks that the server answers; it is the readiness probe.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.conn.Ping(ctx); err != nil {
		return fmt.Errorf("cannot ping clickhouse: %w", err)
	}
	return nil
}

// Close closes the connections, those of ConsistentReads' store too. No
// method of either may be called after it.
func (s *Store) Close() error {
	if s.consistent != nil {
		s.consistent.Close()
	}
	return s.conn.Close()
}
