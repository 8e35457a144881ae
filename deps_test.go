// Package acdstat_test holds the repository-wide rules: every package is
// documented, and imports point one way (DESIGN.md, "Packages";
// docs/ARCHITECTURE.md draws them).
package acdstat_test

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/acdstat/acdstat"

// rule is one import a package must never reach, even indirectly, and why.
type rule struct {
	pkg string
	bad []string // import path prefixes
	why string
}

var rules = []rule{
	{pkg: "cdr", bad: []string{module + "/", "github.com/emiago/sipgo", "github.com/ClickHouse/", "github.com/prometheus/"},
		why: "the domain (events, decoders, the builder, calendars) is pure and tested without servers; everything builds on it"},
	{pkg: "simulate", bad: []string{module + "/"},
		why: "the simulator's truth must not share code with what it checks: a bug in the decoder or the builder cannot hide in both sides"},
	{pkg: "spool", bad: []string{module + "/"},
		why: "the write-ahead queue knows bytes, not events: it is the one thing between an acknowledgement and the disk"},
	{pkg: "sip", bad: []string{module + "/intake", module + "/store", module + "/aggregate", module + "/spool", "github.com/ClickHouse/"},
		why: "SIP decoding and correlation are pure (sockets are intake's; sip/nosockets_test.go checks sip opens none)"},
	{pkg: "intake", bad: []string{module + "/store", module + "/drain", module + "/aggregate", "github.com/ClickHouse/"},
		why: "listeners acknowledge only what the spool has on disk: they never write to ClickHouse themselves"},
	{pkg: "drain", bad: []string{module + "/store", module + "/intake", module + "/aggregate", module + "/httpapi", module + "/sip", "github.com/ClickHouse/"},
		why: "the writer knows the spool and a small inserter interface; store implements it, so the path that loses nothing is tested alone"},
	{pkg: "store", bad: []string{module + "/intake", module + "/drain", module + "/aggregate", module + "/httpapi", module + "/sip"},
		why: "every line of SQL, and nothing above it: the jobs and the API reach the store through interfaces they define"},
	{pkg: "aggregate", bad: []string{module + "/store", module + "/intake", module + "/httpapi", "github.com/ClickHouse/"},
		why: "the jobs decide when and what to recompute through small interfaces, so their windows and versions are tested without ClickHouse"},
	{pkg: "httpapi", bad: []string{module + "/store", module + "/intake", module + "/aggregate", "github.com/ClickHouse/"},
		why: "the server mounts handlers and reads through interfaces it defines"},
	{pkg: "report", bad: []string{module + "/store", module + "/intake", "github.com/ClickHouse/"},
		why: "report rows are made from counts, wherever the counts come from"},
	{pkg: "document", bad: []string{module + "/store", module + "/intake", module + "/httpapi", module + "/aggregate", "github.com/ClickHouse/"},
		why: "the document is made from report rows read through interfaces it defines, so the CLI, the server and the schedule make the same one"},
}

func TestDependencies(t *testing.T) {
	for _, r := range rules {
		out, err := exec.Command("go", "list", "-json", "./"+r.pkg).Output()
		if err != nil {
			t.Fatalf("go list ./%s: %v", r.pkg, err)
		}
		var info struct {
			ImportPath string
			Deps       []string
		}
		if err := json.Unmarshal(out, &info); err != nil {
			t.Fatal(err)
		}
		for _, dep := range info.Deps {
			for _, b := range r.bad {
				if strings.HasPrefix(dep, b) && dep != info.ImportPath {
					t.Errorf("%s imports %s; it must not reach %s*, because %s", r.pkg, dep, b, r.why)
				}
			}
		}
	}
}
