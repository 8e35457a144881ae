package sip

import (
	goparser "go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestPackageHasNoSockets holds the package to its doc: sip is pure, its
// files never import "net" (sockets are intake's); net/netip and net/url
// are values and allowed.
func TestPackageHasNoSockets(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := goparser.ParseFile(fset, name, nil, goparser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			if path, _ := strconv.Unquote(imp.Path.Value); path == "net" || path == "syscall" {
				t.Errorf("%s imports %q: package sip has no sockets; listeners belong in intake", name, path)
			}
		}
	}
}
