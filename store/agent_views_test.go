package store

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"text/template"

	"github.com/acdstat/acdstat/cdr"
)

// agentViewDefs are the data of agent_views.sql.tmpl, one view per period
// in the order of cdr.Periods: the name, the period, the agent_rollup_15m
// column of the period's start and that of the UTC offset at the start.
var agentViewDefs = []queueViewDef{
	{"agent_15m", cdr.Period15m, "bucket", "bucket_offset_s"},
	{"agent_hour", cdr.PeriodHour, "hour_start", "hour_offset_s"},
	{"agent_day", cdr.PeriodDay, "day_start", "day_offset_s"},
	{"agent_month", cdr.PeriodMonth, "month_start", "month_offset_s"},
	{"agent_quarter", cdr.PeriodQuarter, "quarter_start", "quarter_offset_s"},
	{"agent_year", cdr.PeriodYear, "year_start", "year_offset_s"},
}

// agentGeneratedMarker is the first line of every migration made from
// agent_views.sql.tmpl.
const agentGeneratedMarker = "-- Generated from store/agent_views.sql.tmpl by"

// TestAgentViewsMigrationIsCurrent checks that the newest migration
// generated from agent_views.sql.tmpl is what the template gives now; with
// -update it writes a changed template as a new migration, numbered after
// the newest one (applied migrations are never edited).
func TestAgentViewsMigrationIsCurrent(t *testing.T) {
	tmpl, err := template.ParseFiles("agent_views.sql.tmpl")
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := tmpl.Execute(&b, struct{ Views []queueViewDef }{agentViewDefs}); err != nil {
		t.Fatal(err)
	}
	want := b.String()
	if !strings.HasPrefix(want, agentGeneratedMarker+"\n") {
		t.Fatalf("the template's output starts %q; want the line %q first", strings.SplitN(want, "\n", 2)[0], agentGeneratedMarker)
	}
	if stmts := splitStatements(want); len(stmts) != 2*len(agentViewDefs) {
		t.Fatalf("the template gives %d statements; want %d (DROP and CREATE per view)", len(stmts), 2*len(agentViewDefs))
	}
	ms, err := loadMigrations(migrationFS, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	var newest string
	var got []byte
	for _, m := range ms {
		b, err := fs.ReadFile(migrationFS, "migrations/"+m.name)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(string(b), agentGeneratedMarker) {
			newest, got = m.name, b
		}
	}
	if newest != "" && string(got) == want {
		return
	}
	name := fmt.Sprintf("%04d_agent_views.sql", ms[len(ms)-1].version+1)
	if !*update {
		what := "no migration is generated from agent_views.sql.tmpl"
		if newest != "" {
			what = "migration " + newest + " differs from what agent_views.sql.tmpl gives"
		}
		t.Fatalf("%s: run go test ./store -run TestAgentViewsMigrationIsCurrent -update to write it as %s (applied migrations are never edited)", what, name)
	}
	if err := os.WriteFile(filepath.Join("migrations", name), []byte(want), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote migrations/%s; run the tests again to use it", name)
}
