// Package acdstat_test holds the repository-wide rules: every package is
// documented, and imports point one way (DESIGN.md, "Packages").
package acdstat_test

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/acdstat/acdstat"

// forbidden lists, per package, import prefixes it must never reach, even
// indirectly.
var forbidden = map[string][]string{
	"cdr":       {module + "/", "github.com/emiago/sipgo", "github.com/ClickHouse/", "github.com/prometheus/"},
	"simulate":  {module + "/"},
	"aggregate": {module + "/store", module + "/intake", module + "/httpapi", "github.com/ClickHouse/"},
	"intake":    {module + "/store", module + "/aggregate", "github.com/ClickHouse/"},
	"httpapi":   {module + "/store", module + "/intake", module + "/aggregate", "github.com/ClickHouse/"},
	"report":    {module + "/store", module + "/intake", "github.com/ClickHouse/"},
	"store":     {module + "/intake", module + "/aggregate", module + "/httpapi", module + "/sip"},
	"drain":     {module + "/store", module + "/intake", module + "/aggregate", module + "/httpapi", module + "/sip", "github.com/ClickHouse/"},
	"spool":     {module + "/"},
}

func TestDependencies(t *testing.T) {
	for pkg, bad := range forbidden {
		out, err := exec.Command("go", "list", "-json", "./"+pkg).Output()
		if err != nil {
			t.Fatalf("go list ./%s: %v", pkg, err)
		}
		var info struct {
			ImportPath string
			Deps       []string
		}
		if err := json.Unmarshal(out, &info); err != nil {
			t.Fatal(err)
		}
		for _, dep := range info.Deps {
			for _, b := range bad {
				if strings.HasPrefix(dep, b) && dep != info.ImportPath {
					t.Errorf("%s imports %s; it must not reach %s*", pkg, dep, b)
				}
			}
		}
	}
}
