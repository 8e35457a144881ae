package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
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

// noClickHouse is an environment whose ClickHouse cannot answer: the
// checks of a command's input must come before it connects.
var noClickHouse = []string{"ACDSTAT_CLICKHOUSE_ADDR=127.0.0.1:1", "ACDSTAT_CLICKHOUSE_DIAL_TIMEOUT=1s", "ACDSTAT_LOG_LEVEL=error"}

// TestIngestSaysWhatIsWrongWithTheInput gives acdstat ingest what a new
// user gives it by mistake and reads the one message each gets, before
// anything connects to ClickHouse.
func TestIngestSaysWhatIsWrongWithTheInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	var export strings.Builder
	export.WriteString("uid,date_time,callid,queue_name,type,event,param1,param2,param3,entpos,expos,htime,ttime,time\n")
	for i := range 1000 {
		fmt.Fprintf(&export, "%d,%d,1543539%03d.1,IT,NONE,ENTERQUEUE,,1115,1,0,0,0,0,\"2018-11-29 19:57:08\"\n", i+1, 1543539428+i, i)
	}
	dbExport := write("queue_log.csv", export.String())
	empty := write("empty.log", "")
	missing := filepath.Join(dir, "missing.log")

	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"a queue_log table export as queue_log", []string{"ingest", dbExport},
			"ingest: " + dbExport + ": this looks like a queue_log table export (a CSV header with time, callid, queue, agent and event columns), not queue_log: --format queue_log_db"},
		{"a missing file", []string{"ingest", missing}, "ingest: cannot open " + missing + ": no such file or directory"},
		{"an empty file", []string{"ingest", "--format", "queue_log", empty}, "ingest: " + empty + " is empty: nothing to import"},
		{"an unknown format", []string{"ingest", "--format", "queuelog", empty},
			`ingest: unknown --format "queuelog" (did you mean "queue_log"?); formats: asterisk_cdr, cases, contacts, csv, disposition, freeswitch_json, freeswitch_xml, json, queue_log, queue_log_db`},
	} {
		stdout, _, err := runText(t, noClickHouse, tc.args...)
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s: got %v; want %s", tc.name, err, tc.want)
		}
		if stdout != "" {
			t.Errorf("%s: printed %q; want nothing but the error", tc.name, stdout)
		}
	}
}
