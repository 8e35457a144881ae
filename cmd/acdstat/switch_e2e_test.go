package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/acdstat/acdstat/cdr"
)

// TestIngestSwitchFollowsTheRule: `acdstat ingest --switch` takes the
// names every intake path takes and refuses the rest (the all-switches
// "*" among them) before it reads a file, naming the flag and the rule.
func TestIngestSwitchFollowsTheRule(t *testing.T) {
	environ := testEnv(t)
	file := filepath.Join(t.TempDir(), "queue_log")
	if err := os.WriteFile(file, []byte("1762160400|c1.1|servicedesk|NONE|ENTERQUEUE||4512345678|1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, sw := range []string{cdr.AllSwitches, "bad name", "-pbx", strings.Repeat("p", 65)} {
		var out bytes.Buffer
		err := run(context.Background(), testProcess(environ, &out, io.Discard), []string{"ingest", "--no-build", "--switch", sw, file})
		if err == nil || !strings.Contains(err.Error(), "--switch") || !strings.Contains(err.Error(), cdr.SwitchRule) {
			t.Errorf("ingest --switch %q: %v; want an error naming --switch and the rule", sw, err)
		}
		if strings.Contains(out.String(), "stored") {
			t.Errorf("ingest --switch %q stored events: %s", sw, out.String())
		}
	}
	for _, sw := range []string{"pbx1", "hep-2001", "site:pbx_2.b-c"} {
		if out := runCmd(t, environ, "ingest", "--no-build", "--switch", sw, file); !strings.Contains(out, "1 event stored") {
			t.Errorf("ingest --switch %q: %s; want the event stored", sw, out)
		}
	}
}
