package acdstat_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestPackageDocs checks that every package has a doc comment (STYLE.md 3).
func TestPackageDocs(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}}\t{{len .GoFiles}}\t{{.Doc}}", "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		path, rest, _ := strings.Cut(line, "\t")
		files, doc, _ := strings.Cut(rest, "\t")
		if files == "0" {
			continue // only tests, such as this one
		}
		if strings.TrimSpace(doc) == "" {
			t.Errorf("package %s has no doc comment", path)
		}
	}
}
