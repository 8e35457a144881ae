package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// command is one acdstat command as its help names it.
type command struct {
	name, synopsis, summary string
}

// commands are acdstat's commands in the order the usage lists them.
var commands = []command{
	{"serve", "[flags]", "run intake, the jobs, the dashboard and the HTTP API"},
	{"migrate", "[flags]", "create or upgrade the ClickHouse schema"},
	{"ingest", "--format F [flags] FILE...", "import files (- for standard input)"},
	{"ship", "--queue-log PATH --to URL [flags]", "follow a queue_log file and post it to acdstat serve"},
	{"rollup", "[flags]", "build queue calls and roll up changed buckets now"},
	{"rebuild", "--from D --to D [flags]", "recompute queue calls and rollups from the raw events"},
	{"simulate", "(--out FILE | --to URL) [flags]", "a synthetic ACD writing queue_log and its ground truth"},
	{"report", "--queue Q [flags]", "the figures of a queue per period (--funnel ENTRY: the IVR funnel; --agents, --systems; --quarter 2016-Q4: the document)"},
	{"settings", "apply FILE | show [--version V] | history", "the queue settings every process counts with"},
	{"check-config", "[--queues FILE] [--probe]", "validate the settings and a queue file without applying it (--probe: also the network)"},
	{"version", "", "print the version (also --version)"},
	{"help", "[COMMAND]", "this list, or a command's flags"},
}

// usage is the general help.
func usage() string {
	var b strings.Builder
	b.WriteString("usage: acdstat <command> [flags]\n\ncommands:\n")
	for _, c := range commands {
		fmt.Fprintf(&b, "  %-13s %s\n", c.name, c.summary)
	}
	b.WriteString(`
Settings come from ACDSTAT_* variables (README.md); flags override them.
The queue settings are kept in ClickHouse: 'acdstat settings apply FILE'
makes a queue file the one every command and every serve counts with.
Run 'acdstat help <command>' for a command's flags.
`)
	return b.String()
}

// commandNames lists the commands' names, for "did you mean".
func commandNames() []string {
	names := make([]string, len(commands))
	for i, c := range commands {
		names[i] = c.name
	}
	return names
}

// setUsage makes fs's -h print the command's usage line, what it does and
// its flags, for the command named name ("report", "settings apply").
func setUsage(fs *flag.FlagSet, name string) {
	fs.Usage = func() {
		w := fs.Output()
		synopsis, summary := "[flags]", ""
		first, _, _ := strings.Cut(name, " ")
		for _, c := range commands {
			if c.name == first {
				synopsis, summary = c.synopsis, c.summary
			}
		}
		if name != first {
			synopsis = "[flags]"
			if name == "settings apply" {
				synopsis = "[flags] FILE"
			}
		}
		fmt.Fprintf(w, "usage: acdstat %s %s\n", name, synopsis)
		if summary != "" {
			fmt.Fprintf(w, "\n%s.\n", upperFirst(summary))
		}
		fmt.Fprintln(w, "\nflags (each may be written -flag or --flag):")
		fs.PrintDefaults()
	}
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// cmdHelp prints the general usage, or a command's own help on standard
// output (acdstat help report), so that it can be paged.
func cmdHelp(ctx context.Context, p process, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(p.stdout, usage())
		return nil
	}
	name := args[0]
	if name == "help" || name == "version" {
		fmt.Fprint(p.stdout, usage())
		return nil
	}
	found := false
	for _, c := range commands {
		found = found || c.name == name
	}
	if !found {
		return unknownCommand(p.stderr, name)
	}
	p.stderr = p.stdout
	err := run(ctx, p, append(args[:1:1], "-h"))
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	return err
}

// unknownCommand says that name is no command, and which one was meant
// where one is close.
func unknownCommand(w io.Writer, name string) error {
	msg := fmt.Sprintf("acdstat: unknown command %q", name)
	if c := closest(name, commandNames()); c != "" {
		msg += fmt.Sprintf("; did you mean %q?", c)
	}
	fmt.Fprintf(w, "%s\n\n%s", msg, usage())
	return exitCode(2)
}
