package deploy

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/acdstat/acdstat/cdr"
)

// needTool returns the path of a program a test runs, or skips the test on
// a developer's machine (failing it under CI=true, where .ci/run installs
// it).
func needTool(t *testing.T, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		for _, dir := range []string{"/usr/sbin", "/sbin", "/usr/bin"} {
			if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
				return filepath.Join(dir, name)
			}
		}
		msg := name + " is not installed (apt-get install -y " + pkg + ")"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return p
}

// fencedBlocks returns the contents of the fenced code blocks of a
// markdown file whose info string is lang.
func fencedBlocks(t *testing.T, file, lang string) []string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile("(?ms)^```" + regexp.QuoteMeta(lang) + "\\s*\n(.*?)^```\\s*$")
	var out []string
	for _, m := range re.FindAllStringSubmatch(string(b), -1) {
		out = append(out, m[1])
	}
	if len(out) == 0 {
		t.Fatalf("%s has no ```%s block", file, lang)
	}
	return out
}

// decode runs one of acdstat's decoders over a sample and fails on any
// rejected line.
func decode(t *testing.T, format, sample string) []cdr.Event {
	t.Helper()
	dec, err := cdr.Decoder(format)
	if err != nil {
		t.Fatal(err)
	}
	var events []cdr.Event
	err = dec(strings.NewReader(sample), cdr.DecodeOptions{Switch: "pbx1"}, func(b cdr.Batch) error {
		for _, r := range b.Rejects {
			t.Errorf("%s sample: line %d rejected: %v", format, r.Line, r)
		}
		events = append(events, b.Events...)
		return nil
	})
	if err != nil {
		t.Fatalf("%s sample: %v", format, err)
	}
	return events
}

func TestAsteriskRecipeSamplesDecode(t *testing.T) {
	lines := fencedBlocks(t, "recipes/asterisk.md", "queue_log")
	events := decode(t, cdr.SourceQueueLog, lines[0])
	if got, want := len(events), strings.Count(strings.TrimSpace(lines[0]), "\n")+1; got != want {
		t.Fatalf("queue_log sample: got %d events; want %d (one per line)", got, want)
	}
	// The calls the recipe's prose describes: what `acdstat report` will
	// count from these lines.
	got := map[string]string{}
	for _, e := range events {
		got[e.CallID] += e.Verb + " "
	}
	want := map[string]string{
		"1717000100.11": "ENTERQUEUE CONNECT COMPLETECALLER ",
		"1717000200.21": "ENTERQUEUE ABANDON ",
		"1717000300.31": "ENTERQUEUE CONNECT BLINDTRANSFER ",
	}
	for id, verbs := range want {
		if got[id] != verbs {
			t.Errorf("call %s: got verbs %q; want %q", id, got[id], verbs)
		}
	}

	csv := fencedBlocks(t, "recipes/asterisk.md", "csv")
	if events := decode(t, cdr.SourceQueueLogDB, csv[0]); len(events) != 3 {
		t.Fatalf("queue_log_db sample: got %d events; want 3", len(events))
	}
}

// TestShipperUnitVerifies checks the acdstat-ship unit of the Asterisk
// recipe with systemd-analyze, like the server's own unit.
func TestShipperUnitVerifies(t *testing.T) {
	unit := fencedBlocks(t, "recipes/asterisk.md", "systemd")[0]
	if !strings.Contains(unit, "acdstat ship --queue-log /var/log/asterisk/queue_log --to ") {
		t.Fatalf("the shipper unit does not run acdstat ship --queue-log … --to …:\n%s", unit)
	}
	verifyUnit(t, "acdstat-ship.service", unit)
}

func TestSystemdUnitVerifies(t *testing.T) {
	b, err := os.ReadFile("systemd/acdstat.service")
	if err != nil {
		t.Fatal(err)
	}
	unit := string(b)
	for _, want := range []string{
		"ProtectSystem=strict", "NoNewPrivileges=yes", "PrivateTmp=yes", "ProtectHome=yes",
		"CapabilityBoundingSet=\n", "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX",
		"SystemCallFilter=@system-service", "EnvironmentFile=/etc/acdstat/acdstat.env",
		"Restart=on-failure", "ReadWritePaths=/var/lib/acdstat", "DynamicUser=yes",
	} {
		if !strings.Contains(unit, want) {
			t.Errorf("acdstat.service lacks %q", strings.TrimSpace(want))
		}
	}
	verifyUnit(t, "acdstat.service", unit)

	// Hardening, measured: systemd's own exposure score (0 safe … 10 unsafe).
	path := writeUnit(t, "acdstat.service", unit)
	out, err := exec.Command(needTool(t, "systemd-analyze", "systemd"), "security", "--offline=yes", "--threshold=20", path).CombinedOutput()
	if err != nil {
		t.Fatalf("systemd-analyze security: %v\n%s", err, out)
	}
	if m := regexp.MustCompile(`Overall exposure level for \S+: ([0-9.]+)`).FindSubmatch(out); m != nil {
		t.Logf("exposure level %s (threshold 2.0)", m[1])
	} else {
		t.Fatalf("systemd-analyze security printed no exposure level:\n%s", out)
	}
}

// writeUnit writes unit into a temporary directory with ExecStart's
// program replaced by this test binary: systemd-analyze checks that it
// exists and is executable, and acdstat is not installed here.
func writeUnit(t *testing.T, name, unit string) string {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	unit = strings.ReplaceAll(unit, "ExecStart=/usr/local/bin/acdstat ", "ExecStart="+self+" ")
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(unit), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// verifyUnit runs systemd-analyze verify, which fails on a bad value and
// warns (exit 0) on an unknown key: both fail the test.
func verifyUnit(t *testing.T, name, unit string) {
	t.Helper()
	path := writeUnit(t, name, unit)
	cmd := exec.Command(needTool(t, "systemd-analyze", "systemd"), "verify", path)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil || out.Len() > 0 {
		t.Fatalf("systemd-analyze verify %s: %v\n%s", name, err, out.String())
	}
}

func TestKamailioRecipeChecks(t *testing.T) {
	kam := needTool(t, "kamailio", "kamailio")
	for _, defs := range [][]string{
		nil,
		{"-A", "WITH_HEP_TCP"},
		{"-A", `ACDSTAT_HEP_URI="sip:10.0.0.5:9060"`, "-A", `PBX_URI="sip:10.0.0.20:5060"`},
	} {
		args := append([]string{"-c", "-f", "recipes/kamailio.cfg"}, defs...)
		out, err := exec.Command(kam, args...).CombinedOutput()
		if err != nil {
			t.Errorf("kamailio %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	// The lines kamailio.md tells people to paste are the file's own.
	cfg, err := os.ReadFile("recipes/kamailio.cfg")
	if err != nil {
		t.Fatal(err)
	}
	md := fencedBlocks(t, "recipes/kamailio.md", "")[0]
	for _, l := range strings.Split(md, "\n") {
		param, _, _ := strings.Cut(l, "#")
		param = strings.TrimSpace(param)
		if param == "" || strings.Contains(param, "ACDSTAT_HOST") {
			continue
		}
		key := param
		if i := strings.LastIndex(param, ","); i > 0 {
			key = param[:i] // modparam("siptrace", "x", — the value may be a define in the file
		}
		if !strings.Contains(string(cfg), key) {
			t.Errorf("kamailio.md shows %q, which kamailio.cfg does not have", param)
		}
	}
}

func TestFreeSWITCHRecipe(t *testing.T) {
	conf := fencedBlocks(t, "recipes/freeswitch.md", "xml")[0]
	var c struct {
		Name   string `xml:"name,attr"`
		Params []struct {
			Name  string `xml:"name,attr"`
			Value string `xml:"value,attr"`
		} `xml:"settings>param"`
	}
	if err := xml.Unmarshal([]byte(conf), &c); err != nil {
		t.Fatalf("json_cdr.conf.xml: %v", err)
	}
	params := map[string]string{}
	for _, p := range c.Params {
		params[p.Name] = p.Value
	}
	if c.Name != "json_cdr.conf" || !strings.Contains(params["url"], "/v1/ingest/freeswitch?switch=") ||
		params["auth-scheme"] != "basic" || !strings.Contains(params["cred"], ":") || params["encode"] != "false" {
		t.Fatalf("json_cdr.conf.xml: got %s %v; want json_cdr.conf posting raw JSON to /v1/ingest/freeswitch with HTTP Basic", c.Name, params)
	}

	sample := fencedBlocks(t, "recipes/freeswitch.md", "json")[0]
	var cdrDoc struct {
		Variables map[string]string `json:"variables"`
	}
	if err := json.Unmarshal([]byte(sample), &cdrDoc); err != nil {
		t.Fatalf("sample CDR: %v", err)
	}
	for _, v := range []string{"cc_queue", "cc_queue_joined_epoch", "cc_queue_answered_epoch", "cc_cause"} {
		if cdrDoc.Variables[v] == "" {
			t.Errorf("sample CDR lacks variables.%s", v)
		}
	}
	// When the FreeSWITCH decoder exists, the sample must go through it.
	if dec, err := cdr.Decoder("freeswitch_json"); err == nil {
		err := dec(strings.NewReader(sample), cdr.DecodeOptions{Switch: "fs1"}, func(b cdr.Batch) error {
			if len(b.Rejects) > 0 || len(b.Events) == 0 {
				t.Errorf("freeswitch_json sample: %d events, rejects %v", len(b.Events), b.Rejects)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("freeswitch_json sample: %v", err)
		}
	} else {
		t.Log("no freeswitch_json decoder yet: the sample is checked as JSON only")
	}
}
