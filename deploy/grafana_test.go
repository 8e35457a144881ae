package deploy

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"go.yaml.in/yaml/v3"

	"github.com/acdstat/acdstat/cdr"
	"github.com/acdstat/acdstat/chtest"
	"github.com/acdstat/acdstat/store"
)

func TestMain(m *testing.M) { chtest.Main(m) }

type dashboard struct {
	Panels []struct {
		Title      string `json:"title"`
		Type       string `json:"type"`
		TimeFrom   string `json:"timeFrom"`
		Datasource struct {
			UID string `json:"uid"`
		} `json:"datasource"`
		Targets []struct {
			RawSQL     string `json:"rawSql"`
			Datasource struct {
				Type string `json:"type"`
				UID  string `json:"uid"`
			} `json:"datasource"`
		} `json:"targets"`
	} `json:"panels"`
	Templating struct {
		List []struct {
			Name  string `json:"name"`
			Query string `json:"query"`
		} `json:"list"`
	} `json:"templating"`
}

func readDashboard(t *testing.T) dashboard {
	t.Helper()
	b, err := os.ReadFile("grafana/dashboards/acdstat.json")
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("acdstat.json: %v", err)
	}
	return d
}

// expandMacros expands the macros of grafana/clickhouse-datasource as its
// backend does (pkg/macros/macros.go: TimeFilter, FromTimeFilter,
// ToTimeFilter): $__timeFilter(col) is
// "col >= toDateTime(<from unix s>) AND col <= toDateTime(<to unix s>)",
// $__fromTime and $__toTime are "toDateTime(<unix s>)", with or without
// "()". Any other macro fails the test: $__timeInterval expands to
// toStartOfInterval, which ClickHouse 18.16 lacks.
func expandMacros(t *testing.T, sql string, from, to time.Time) string {
	t.Helper()
	sql = regexp.MustCompile(`\$__timeFilter\(\s*([^)]+?)\s*\)`).ReplaceAllStringFunc(sql, func(m string) string {
		col := regexp.MustCompile(`\$__timeFilter\(\s*([^)]+?)\s*\)`).FindStringSubmatch(m)[1]
		return fmt.Sprintf("%s >= toDateTime(%d) AND %s <= toDateTime(%d)", col, from.Unix(), col, to.Unix())
	})
	sql = regexp.MustCompile(`\$__fromTime(\(\))?`).ReplaceAllString(sql, fmt.Sprintf("toDateTime(%d)", from.Unix()))
	sql = regexp.MustCompile(`\$__toTime(\(\))?`).ReplaceAllString(sql, fmt.Sprintf("toDateTime(%d)", to.Unix()))
	if m := regexp.MustCompile(`\$__\w+`).FindString(sql); m != "" {
		t.Fatalf("macro %s is not one of $__timeFilter, $__fromTime, $__toTime:\n%s", m, sql)
	}
	return sql
}

// substitute puts a single-value variable in, as Grafana does for ${name}
// and $name.
func substitute(sql string, vars map[string]string) string {
	for k, v := range vars {
		sql = strings.ReplaceAll(sql, "${"+k+"}", v)
		sql = regexp.MustCompile(`\$`+regexp.QuoteMeta(k)+`\b`).ReplaceAllString(sql, v)
	}
	return sql
}

func TestDashboardUsesTheProvisionedDataSource(t *testing.T) {
	b, err := os.ReadFile("grafana/provisioning/datasources/clickhouse.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var prov struct {
		Datasources []struct {
			UID      string         `yaml:"uid"`
			Type     string         `yaml:"type"`
			JSONData map[string]any `yaml:"jsonData"`
		} `yaml:"datasources"`
	}
	if err := yaml.Unmarshal(b, &prov); err != nil {
		t.Fatalf("clickhouse.yaml: %v", err)
	}
	if len(prov.Datasources) != 1 {
		t.Fatalf("clickhouse.yaml: got %d data sources; want 1", len(prov.Datasources))
	}
	ds := prov.Datasources[0]
	if ds.Type != "grafana-clickhouse-datasource" || ds.JSONData["port"] != 9000 || ds.JSONData["protocol"] != "native" || ds.JSONData["username"] != "acdstat_bi" {
		t.Fatalf("clickhouse.yaml: got %+v; want the official plugin, native port 9000, user acdstat_bi", ds)
	}
	d := readDashboard(t)
	for _, p := range d.Panels {
		for _, tg := range p.Targets {
			if tg.Datasource.UID != ds.UID || tg.Datasource.Type != ds.Type {
				t.Errorf("panel %q: data source %+v; want uid %s", p.Title, tg.Datasource, ds.UID)
			}
		}
	}
	for _, want := range []string{"Calls per month", "Service level vs target", "Abandon rate", "ASA and average wait", "First-contact resolution vs target", "Today, per 15 minutes"} {
		found := false
		for _, p := range d.Panels {
			found = found || p.Title == want
		}
		if !found {
			t.Errorf("no panel %q", want)
		}
	}
}

// TestDashboardQueriesRun runs every panel's SQL and the variable query,
// expanded as the plugin expands them, against a real ClickHouse holding
// rollups of a few months of calls, and checks the monthly call counts a
// manager reads.
func TestDashboardQueriesRun(t *testing.T) {
	addr, db := chtest.NewDatabase(t)
	ctx := context.Background()
	st, err := store.Open(ctx, store.Config{Addr: []string{addr}, Database: db, User: "default", DialTimeout: 10 * time.Second, ReadTimeout: time.Minute}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}

	// Calls: every day of the last 100 days, at 10:00 local, in two queues;
	// every third abandoned; and some today, a minute ago.
	// "Now" for the panels: the spring daylight-saving day of 2026, so the
	// 100 days behind it cross a change of offset.
	now := time.Date(2026, 3, 29, 12, 0, 0, 0, time.UTC)
	loc, _ := time.LoadLocation("Europe/Copenhagen")
	var calls []cdr.QueueCall
	add := func(queue string, at time.Time, i int) {
		c := cdr.QueueCall{Switch: "pbx1", CallID: fmt.Sprintf("%s-%d", queue, i), Queue: queue, EnterTime: at, WaitS: uint32(10 + i%400), LastEventTime: at}
		if i%3 == 0 {
			c.Outcome = cdr.Abandoned
			c.EndTime = at.Add(time.Duration(c.WaitS) * time.Second)
		} else {
			c.Outcome = cdr.Answered
			c.AnswerTime = at.Add(time.Duration(c.WaitS) * time.Second)
			c.EndTime = c.AnswerTime.Add(3 * time.Minute)
			c.TalkS = 180
		}
		calls = append(calls, c)
	}
	for d := 0; d < 100; d++ {
		day := now.In(loc).AddDate(0, 0, -d)
		at := time.Date(day.Year(), day.Month(), day.Day(), 10, 0, 0, 0, loc).UTC()
		if at.After(now) {
			continue
		}
		add("support", at, d)
		add("clinical", at.Add(time.Hour), d)
	}
	add("support", now.Add(-time.Minute), 1000)
	if err := st.WriteRollups(ctx, cdr.Rollup(calls, nil, nil), 1); err != nil {
		t.Fatal(err)
	}
	wantCalls := 0
	from, to := now.AddDate(-1, 0, 0), now
	for _, c := range calls {
		if c.Queue == "support" {
			wantCalls++
		}
	}

	conn, err := clickhouse.Open(&clickhouse.Options{Addr: []string{addr}, Auth: clickhouse.Auth{Database: db}, ReadTimeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	query := func(sql string) [][]any {
		t.Helper()
		rows, err := conn.Query(ctx, sql)
		if err != nil {
			t.Fatalf("%v\n%s", err, sql)
		}
		defer rows.Close()
		var out [][]any
		for rows.Next() {
			vals := make([]any, len(rows.ColumnTypes()))
			for i, ct := range rows.ColumnTypes() {
				vals[i] = reflect.New(ct.ScanType()).Interface()
			}
			if err := rows.Scan(vals...); err != nil {
				t.Fatalf("%v\n%s", err, sql)
			}
			out = append(out, vals)
		}
		if err := rows.Err(); err != nil {
			t.Fatalf("%v\n%s", err, sql)
		}
		return out
	}

	d := readDashboard(t)
	vars := map[string]string{}
	for _, v := range d.Templating.List {
		rows := query(expandMacros(t, v.Query, from, to))
		var got []string
		for _, r := range rows {
			got = append(got, *r[0].(*string))
		}
		if want := []string{"clinical", "support"}; !reflect.DeepEqual(got, want) {
			t.Fatalf("variable %s: got %v; want %v", v.Name, got, want)
		}
		vars[v.Name] = "support"
	}
	if vars["queue"] == "" {
		t.Fatal("the dashboard has no queue variable")
	}

	for _, p := range d.Panels {
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		pfrom := from
		if p.TimeFrom == "now/d" { // "today so far" in the viewer's zone
			l := now.In(loc)
			pfrom = time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, loc)
		}
		for _, tg := range p.Targets {
			sql := substitute(expandMacros(t, tg.RawSQL, pfrom, to), vars)
			if strings.Contains(sql, "$") {
				t.Fatalf("panel %q: unexpanded variable in\n%s", p.Title, sql)
			}
			rows := query(sql)
			if len(rows) == 0 {
				t.Errorf("panel %q shows nothing for data in its range:\n%s", p.Title, sql)
			}
			if p.Title == "Calls per month" {
				var sum uint64
				for _, r := range rows {
					sum += *r[1].(*uint64)
				}
				if sum != uint64(wantCalls) {
					t.Errorf("panel %q: %d calls in all months; want %d", p.Title, sum, wantCalls)
				}
			}
			if p.Title == "Today, per 15 minutes" {
				var sum uint64
				for _, r := range rows {
					sum += *r[1].(*uint64)
				}
				if sum < 1 || sum > 2 { // the call a minute ago, and 10:00's once past 10:00
					t.Errorf("panel %q: %d calls today; want 1 or 2", p.Title, sum)
				}
			}
		}
	}
}
