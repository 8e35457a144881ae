package store

import (
	"context"
	"testing"
)

// TestSchemaSurvivesARestart detaches and re-attaches every table and view,
// which makes the server parse the definitions it saved, as it does when it
// starts. ClickHouse 18.16 once saved a view in a form it could not read
// back ((t.1)[i] written as t.1[i]) and then refused to start.
func TestSchemaSurvivesARestart(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	rows, err := s.conn.Query(ctx, "SELECT name, engine FROM system.tables WHERE database = currentDatabase() ORDER BY name")
	if err != nil {
		t.Fatal(err)
	}
	type table struct{ name, engine string }
	var tables []table
	for rows.Next() {
		var tb table
		if err := rows.Scan(&tb.name, &tb.engine); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, tb)
	}
	rows.Close()
	if len(tables) < 5 {
		t.Fatalf("got %d tables after migrating; want the whole schema", len(tables))
	}
	for _, tb := range tables {
		// Names come from system.tables of our own migrations; DDL takes no
		// bound parameters.
		if !identRE.MatchString(tb.name) {
			t.Fatalf("unexpected table name %q", tb.name)
		}
		if err := s.conn.Exec(ctx, "DETACH TABLE "+tb.name); err != nil {
			t.Fatalf("detach %s: %v", tb.name, err)
		}
		if err := s.conn.Exec(ctx, "ATTACH TABLE "+tb.name); err != nil {
			t.Fatalf("%s (%s) cannot be read back from its saved definition: %v", tb.name, tb.engine, err)
		}
	}
	views := append([]string{"queue_calls_current"}, queueViews...)
	for _, v := range agentViewDefs {
		views = append(views, v.Name)
	}
	for _, v := range views {
		if err := s.conn.Exec(ctx, "SELECT * FROM "+v+" LIMIT 1"); err != nil {
			t.Errorf("%s after re-attaching: %v", v, err)
		}
	}
}
