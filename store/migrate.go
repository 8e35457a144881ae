package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// The schema lives in migrations/NNNN_name.sql, applied in version order.
// A file holds one statement, or several separated by a line that is exactly
// "-- +statement" (ClickHouse runs one statement per query). Every statement
// must be idempotent (CREATE … IF NOT EXISTS and the like): two processes may
// migrate at once, and a file cut half-way is run again from its start.
// Applied files are never edited; a change is a new file.
//
// Why not goose or golang-migrate: both hang on 18.16 at their version-row
// insert (CLICKHOUSE.md); this migrator writes its rows through a batch that
// names its columns.
//
// The BI views are generated from views.sql.tmpl (see views_test.go): go
// generate ./store writes a changed template as a new migration.
//
//go:generate go test -run TestViewsMigrationIsCurrent -update
//go:embed migrations/*.sql
var migrationFS embed.FS

// statementSeparator splits a migration file into statements.
const statementSeparator = "-- +statement"

type migration struct {
	version    uint32
	name       string // file name, e.g. 0001_init.sql
	statements []string
}

var migrationName = regexp.MustCompile(`^([0-9]{4})_[a-z0-9_]+\.sql$`)

// loadMigrations reads and checks the migration files of fsys (under dir).
func loadMigrations(fsys fs.FS, dir string) ([]migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("cannot read migrations: %w", err)
	}
	var ms []migration
	seen := map[uint32]string{}
	for _, e := range entries {
		m := migrationName.FindStringSubmatch(e.Name())
		if m == nil {
			return nil, fmt.Errorf("migration %s: name must be NNNN_lower_snake.sql", e.Name())
		}
		v, _ := strconv.ParseUint(m[1], 10, 32)
		if v == 0 {
			return nil, fmt.Errorf("migration %s: version 0 is reserved", e.Name())
		}
		if other, ok := seen[uint32(v)]; ok {
			return nil, fmt.Errorf("migrations %s and %s share version %d", other, e.Name(), v)
		}
		seen[uint32(v)] = e.Name()
		b, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("cannot read migration %s: %w", e.Name(), err)
		}
		stmts := splitStatements(string(b))
		if len(stmts) == 0 {
			return nil, fmt.Errorf("migration %s: no statement", e.Name())
		}
		ms = append(ms, migration{version: uint32(v), name: e.Name(), statements: stmts})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	return ms, nil
}

// splitStatements cuts a file at separator lines and drops parts that hold
// only comments and blank lines.
func splitStatements(src string) []string {
	var out []string
	var cur []string
	flush := func() {
		text := strings.TrimSpace(strings.Join(cur, "\n"))
		cur = cur[:0]
		for _, l := range strings.Split(text, "\n") {
			l = strings.TrimSpace(l)
			if l != "" && !strings.HasPrefix(l, "--") {
				out = append(out, strings.TrimRight(text, "; \n\t"))
				return
			}
		}
	}
	for _, l := range strings.Split(src, "\n") {
		if strings.TrimSpace(l) == statementSeparator {
			flush()
			continue
		}
		cur = append(cur, l)
	}
	flush()
	return out
}

const createSchemaMigrations = `CREATE TABLE IF NOT EXISTS schema_migrations (
    version    UInt32,
    name       String,
    applied_at DateTime
) ENGINE = ReplacingMergeTree
ORDER BY version`

// Migrate applies the embedded migrations that schema_migrations does not
// list, in version order, and returns the names of those it applied. Running
// it again is a no-op; two processes running it at once may both apply a
// file, which is harmless because every statement is idempotent, and both
// record it (the version table deduplicates by version).
func (s *Store) Migrate(ctx context.Context) (applied []string, err error) {
	ms, err := loadMigrations(migrationFS, "migrations")
	if err != nil {
		return nil, err
	}
	if applied, err = s.migrate(ctx, ms); err != nil {
		return applied, err
	}
	// The day sums of migration 0016 are data, not schema: they are
	// counted from the rollups once, here, so that no reader meets a
	// rollup_day without the days written before it existed.
	return applied, s.fillDays(ctx)
}

func (s *Store) migrate(ctx context.Context, ms []migration) (applied []string, err error) {
	// In cluster mode every statement is rewritten for the cluster
	// (cluster.go); on one server it runs as written.
	statements := func(stmt string) ([]ddl, error) { return []ddl{{stmt, oneNode}}, nil }
	var nodes *nodeConns
	if s.cluster != "" {
		statements = newClusterSchema(s.db, s.cluster, ms).rewrite
		if nodes, err = s.nodeConns(ctx); err != nil {
			return nil, err
		}
		defer nodes.close()
	}
	if err := s.createSchemaMigrations(ctx, statements); err != nil {
		return nil, err
	}
	done, err := s.appliedVersions(ctx)
	if err != nil {
		return nil, err
	}
	for _, m := range ms {
		if done[m.version] {
			continue
		}
		for i, stmt := range m.statements {
			stmts, err := statements(stmt)
			if err != nil {
				return applied, fmt.Errorf("migration %s, statement %d: %w", m.name, i+1, err)
			}
			for _, d := range stmts {
				if err := s.runDDL(ctx, nodes, d); err != nil {
					return applied, fmt.Errorf("migration %s, statement %d: %w", m.name, i+1, err)
				}
			}
		}
		cols := []any{[]uint32{m.version}, []string{m.name}, []time.Time{time.Now().UTC()}}
		if err := s.sendColumns(ctx, "schema_migrations", "INSERT INTO schema_migrations (version, name, applied_at)", cols); err != nil {
			return applied, fmt.Errorf("cannot record migration %s: %w", m.name, err)
		}
		s.log.Info("migration applied", "name", m.name, "statements", len(m.statements))
		applied = append(applied, m.name)
	}
	return applied, nil
}

// createSchemaMigrations creates the migration log. In cluster mode it
// looks first and changes nothing when the table is there: an ON CLUSTER
// statement waits for every node (distributed_ddl_task_timeout), so a serve
// that starts while one node is down must not send one when the schema is
// up to date.
func (s *Store) createSchemaMigrations(ctx context.Context, statements func(string) ([]ddl, error)) error {
	if s.cluster != "" {
		var n uint64
		if err := s.conn.QueryRow(ctx, "SELECT count() FROM system.tables WHERE database = ? AND name = 'schema_migrations'", s.db).Scan(&n); err != nil {
			return fmt.Errorf("cannot look for schema_migrations: %w", err)
		}
		if n > 0 {
			return nil
		}
	}
	stmts, err := statements(createSchemaMigrations)
	if err != nil {
		return fmt.Errorf("cannot create schema_migrations: %w", err)
	}
	for _, d := range stmts { // CREATE TABLE: to the connected node
		if err := s.conn.Exec(ctx, d.sql); err != nil {
			return fmt.Errorf("cannot create schema_migrations: %w", err)
		}
	}
	return nil
}

// runDDL sends one statement where d says (nodes is nil on one server,
// where every statement goes to the connected node).
func (s *Store) runDDL(ctx context.Context, nodes *nodeConns, d ddl) error {
	exec := func(conn driver.Conn) error { return execMigration(ctx, conn, d.sql) }
	switch d.on {
	case eachNode:
		return nodes.eachNode(ctx, exec)
	case eachShard:
		return nodes.eachShard(ctx, exec)
	}
	return exec(s.conn)
}

// appliedVersions lists the versions recorded in schema_migrations.
func (s *Store) appliedVersions(ctx context.Context) (map[uint32]bool, error) {
	rows, err := s.conn.Query(ctx, "SELECT version FROM schema_migrations GROUP BY version")
	if err != nil {
		return nil, fmt.Errorf("cannot read schema_migrations: %w", err)
	}
	defer rows.Close()
	done := map[uint32]bool{}
	for rows.Next() {
		var v uint32
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("cannot read schema_migrations: %w", err)
		}
		done[v] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("cannot read schema_migrations: %w", err)
	}
	return done, nil
}

// addColumn matches ALTER TABLE t ADD COLUMN c, the statement 18.16 cannot
// make idempotent (it has no ADD COLUMN IF NOT EXISTS), also as cluster
// mode writes it (ALTER TABLE db.t ADD COLUMN …).
var addColumn = regexp.MustCompile(`(?im)^\s*ALTER\s+TABLE\s+(?:\w+\.)?(\w+)\s+ADD\s+COLUMN\s+(\w+)\s`)

// execMigration runs one statement of a migration. An ALTER TABLE … ADD
// COLUMN that fails is done when the column exists after all: it ran before
// (code 44, "already exists"), or another process migrating at the same time
// added it while this one failed in other words (18.16 reports the clash of
// two concurrent ALTERs of one table as, e.g., code 179 about a temporary
// alias). Such a statement is tried again a few times while the other ALTER
// may still hold the table.
//
// In cluster mode conn is the node the statement was sent to, and the
// column is looked for there.
func execMigration(ctx context.Context, conn driver.Conn, stmt string) error {
	m := addColumn.FindStringSubmatch(stmt)
	for attempt := 1; ; attempt++ {
		err := conn.Exec(ctx, stmt)
		if err == nil || m == nil {
			return err
		}
		var n uint64
		if qerr := conn.QueryRow(ctx, "SELECT count() FROM system.columns WHERE database = currentDatabase() AND table = ? AND name = ?", m[1], m[2]).Scan(&n); qerr == nil && n > 0 {
			return nil
		}
		if attempt == 5 || ctx.Err() != nil {
			return err
		}
		time.Sleep(time.Duration(attempt) * 100 * time.Millisecond)
	}
}
