package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"strings"
	"testing"
)

// runText runs acdstat with args at testToday, with the environment given
// (no ClickHouse needed for the commands these tests run), and returns what
// it printed on stdout and stderr and its error.
func runText(t *testing.T, environ []string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err = run(context.Background(), testProcess(environ, &out, &errOut), args)
	return out.String(), errOut.String(), err
}

// TestHelpCommandPrintsItsFlags: "acdstat help report" and "acdstat report
// -h" print what report takes, not the list of commands; help goes to
// standard output, so it can be paged.
func TestHelpCommandPrintsItsFlags(t *testing.T) {
	for _, args := range [][]string{{"help", "report"}, {"report", "-h"}, {"report", "--help"}} {
		stdout, stderr, err := runText(t, nil, args...)
		if err != nil && !errors.Is(err, flag.ErrHelp) {
			t.Fatalf("%v: %v", args, err)
		}
		text := stdout + stderr
		for _, want := range []string{"usage: acdstat report", "-queue", "-period", "-from"} {
			if !strings.Contains(text, want) {
				t.Errorf("%v: the help lacks %q:\n%s", args, want, text)
			}
		}
		if strings.Contains(text, "commands:") {
			t.Errorf("%v: printed the general usage instead of report's:\n%s", args, text)
		}
		if args[0] == "help" && !strings.Contains(stdout, "-queue") {
			t.Errorf("%v: the help is not on standard output:\nstdout %q\nstderr %q", args, stdout, stderr)
		}
	}
	for _, cmd := range []string{"serve", "ingest", "ship", "rebuild", "simulate", "settings", "check-config", "migrate", "rollup"} {
		stdout, _, err := runText(t, nil, "help", cmd)
		if err != nil && !errors.Is(err, flag.ErrHelp) {
			t.Errorf("help %s: %v", cmd, err)
		}
		if !strings.Contains(stdout, "usage: acdstat "+cmd) {
			t.Errorf("help %s: got\n%s\nwant its usage", cmd, stdout)
		}
	}
	_, stderr, err := runText(t, nil, "help", "reprot")
	if err == nil || !strings.Contains(stderr+errText(err), `did you mean "report"`) {
		t.Errorf("help reprot: got %v, %q; want a did you mean", err, stderr)
	}
}

// TestVersionFlagIsAccepted: --version and -v say the version, as
// "acdstat version" does.
func TestVersionFlagIsAccepted(t *testing.T) {
	for _, arg := range []string{"version", "--version", "-version", "-v"} {
		stdout, stderr, err := runText(t, nil, arg)
		if err != nil || stdout != "acdstat "+version+"\n" {
			t.Errorf("acdstat %s: got %q, %q, %v; want %q", arg, stdout, stderr, err, "acdstat "+version+"\n")
		}
	}
}

// TestUnknownCommandSaysWhatWasMeant: a mistyped command names the one
// meant and exits 2.
func TestUnknownCommandSaysWhatWasMeant(t *testing.T) {
	_, stderr, err := runText(t, nil, "reprot", "--queue", "klinisk")
	if err != exitCode(2) || !strings.Contains(stderr, `unknown command "reprot"; did you mean "report"?`) {
		t.Errorf("got %v and\n%s\nwant exit status 2 and a did you mean", err, stderr)
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
