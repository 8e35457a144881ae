package main

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestReportOfSeveralQueues ingests a simulated week and asks acdstat
// report for two queues at once (--queue servicedesk,klinisk), over a range
// that cuts days and over whole months: every format gives each queue's
// rows exactly as a report of that queue alone gives them, in the order
// asked (JSON and CSV: one list of the rows of both; a table and Markdown:
// one table per queue). A queue named twice, an unknown one among known
// ones, a workbook and a distribution (--by) of several queues are
// refused.
func TestReportOfSeveralQueues(t *testing.T) {
	queues := filepath.Join(t.TempDir(), "queues.yaml")
	if err := os.WriteFile(queues, []byte(hospitalQueues), 0o644); err != nil {
		t.Fatal(err)
	}
	environ := testEnv(t, "ACDSTAT_QUEUES="+queues)
	sim := smallSim(t, 7)
	runCmd(t, environ, "ingest", "--format", "queue_log", writeLines(t, "queue_log", sim.Lines()))
	runCmd(t, environ, "rollup")

	for _, rg := range [][]string{
		{"--period", "day", "--from", "2025-10-28T09:45", "--to", "2025-10-30T13:15"},
		{"--period", "month", "--from", "2025-10-01", "--to", "2025-12-01"},
	} {
		var all []map[string]any
		for _, q := range []string{"klinisk", "servicedesk"} {
			var rows []map[string]any
			if err := json.Unmarshal([]byte(runCmd(t, environ, append([]string{"report", "--queue", q, "--format", "json"}, rg...)...)), &rows); err != nil {
				t.Fatal(err)
			}
			var offered float64
			for _, r := range rows {
				offered += r["offered"].(float64)
			}
			if len(rows) == 0 || offered == 0 {
				t.Fatalf("%s %v: %d rows, %v calls; want some of both", q, rg, len(rows), offered)
			}
			all = append(all, rows...)
		}
		var both []map[string]any
		if err := json.Unmarshal([]byte(runCmd(t, environ, append([]string{"report", "--queue", "klinisk,servicedesk", "--format", "json"}, rg...)...)), &both); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(both, all) {
			t.Fatalf("%v: the rows of both queues differ from each queue's alone:\ngot  %v\nwant %v", rg, both, all)
		}

		for _, format := range []string{"table", "markdown", "csv"} {
			var want []string
			for i, q := range []string{"klinisk", "servicedesk"} {
				out := runCmd(t, environ, append([]string{"report", "--queue", q, "--format", format}, rg...)...)
				if format == "csv" && i > 0 {
					out = out[strings.Index(out, "\n")+1:] // one header
				}
				want = append(want, out)
			}
			sep := "\n"
			if format == "csv" {
				sep = ""
			}
			got := runCmd(t, environ, append([]string{"report", "--queue", "klinisk,servicedesk", "--format", format}, rg...)...)
			if w := strings.Join(want, sep); got != w {
				t.Fatalf("%v, %s:\ngot\n%s\nwant\n%s", rg, format, got, w)
			}
		}
	}

	for _, args := range [][]string{
		{"--queue", "klinisk,klinisk"},
		{"--queue", "klinisk,nosuch"},
		{"--queue", "klinisk,servicedesk", "--format", "xlsx", "--output", filepath.Join(t.TempDir(), "r.xlsx")},
		{"--queue", "klinisk,servicedesk", "--by", "weekday"},
	} {
		err := run(context.Background(), testProcess(environ, io.Discard, io.Discard), append([]string{"report"}, args...))
		if err == nil {
			t.Errorf("report %v: got no error; want one", args)
		}
	}
}
