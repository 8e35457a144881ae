package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestReadTokensLimitedToSwitches: a carrier serves two customers, acme
// with the switches pbx-a and pbx-b, globex with pbx-c, each with a read
// token of its own (one given in ACDSTAT_READ_TOKENS, one in the file of
// ACDSTAT_READ_TOKENS_FILE), and has a read token of its own for every
// switch. Over HTTP, a customer's token reads its switches (one, or all of
// them where no switch or "*" is asked), never another customer's: the
// report and its CSV export, the queues, the rejects, the callbacks, the
// dashboard; it gets 403 for another switch and for /metrics.
func TestReadTokensLimitedToSwitches(t *testing.T) {
	const (
		carrier = "carrier-secret-1"
		acme    = "acme-secret-22"
		globex  = "globex-secret-333"
	)
	file := filepath.Join(t.TempDir(), "tokens")
	if err := os.WriteFile(file, []byte("# one customer a line\n"+globex+"=pbx-c\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	environ := testEnv(t, "ACDSTAT_READ_TOKEN="+carrier, "ACDSTAT_READ_TOKENS="+acme+"=pbx-a,pbx-b", "ACDSTAT_READ_TOKENS_FILE="+file)
	// 2 calls on pbx-a, 3 on pbx-b, 7 on pbx-c in servicedesk, all
	// abandoned (so each is a caller to ring back), and pbx-c's own queue.
	at := time.Date(2025, 10, 28, 9, 0, 0, 0, time.UTC).Unix()
	for sw, n := range map[string]int{"pbx-a": 2, "pbx-b": 3, "pbx-c": 7} {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "%d|%s-%d|servicedesk|NONE|ENTERQUEUE||45%08d|1\n%d|%s-%d|servicedesk|NONE|ABANDON|1|1|40\n", at+int64(i), sw, i, i, at+int64(i)+40, sw, i)
		}
		if sw == "pbx-c" {
			fmt.Fprintf(&b, "%d|c-own|globex_vip|NONE|ENTERQUEUE||4599999999|1\n%d|c-own|globex_vip|NONE|ABANDON|1|1|10\n", at, at+10)
		}
		b.WriteString("not-a-time|x|servicedesk|NONE|ENTERQUEUE||1|1\n") // a reject of this switch
		ingestAt(t, clockFrom(testToday), environ, "--format", "queue_log", "--switch", sw, writeFile(t, sw+".log", b.String()))
	}
	runCmd(t, environ, "rollup")
	startServe(t, environ)
	base := "http://" + envValue(environ, "ACDSTAT_HTTP_ADDR")

	get := func(token, path string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", base+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	offered := func(token, query string) uint64 {
		t.Helper()
		status, body := get(token, "/v1/report?queue=servicedesk&period=month&from=2025-10-01&to=2025-11-01"+query)
		if status != http.StatusOK {
			t.Fatalf("report%s: %d %s", query, status, body)
		}
		var rows []struct {
			Switch  string `json:"switch"`
			Offered uint64 `json:"offered"`
		}
		if err := json.Unmarshal([]byte(body), &rows); err != nil || len(rows) != 1 {
			t.Fatalf("report%s: %v: %s", query, err, body)
		}
		return rows[0].Offered
	}
	for _, tc := range []struct {
		token, query string
		want         uint64
	}{
		{carrier, "", 12}, {carrier, "&switch=pbx-c", 7},
		{acme, "", 5}, {acme, "&switch=*", 5}, {acme, "&switch=pbx-a", 2}, {acme, "&switch=pbx-b", 3},
		{globex, "", 7}, {globex, "&switch=pbx-c", 7},
	} {
		if got := offered(tc.token, tc.query); got != tc.want {
			t.Errorf("report with the %s token%s: offered %d; want %d", strings.Split(tc.token, "-")[0], tc.query, got, tc.want)
		}
	}
	for _, tc := range []struct{ token, path string }{
		{acme, "/v1/report?queue=servicedesk&period=month&from=2025-10-01&to=2025-11-01&switch=pbx-c"},
		{acme, "/v1/report?queue=servicedesk&format=csv&switch=pbx-c"},
		{acme, "/v1/rejects?switch=pbx-c"},
		{acme, "/v1/callbacks?queue=servicedesk&from=2025-10-28&switch=pbx-c"},
		{acme, "/?queue=servicedesk&year=2025&switch=pbx-c"},
		{globex, "/v1/report?queue=servicedesk&switch=pbx-a"},
		{acme, "/metrics"},
	} {
		if status, body := get(tc.token, tc.path); status != http.StatusForbidden {
			t.Errorf("GET %s with the %s token: %d %s; want 403", tc.path, strings.Split(tc.token, "-")[0], status, body)
		}
	}
	if status, _ := get("", "/v1/queues"); status != http.StatusUnauthorized {
		t.Errorf("GET /v1/queues without a token: %d; want 401", status)
	}

	// The CSV export of all of acme's switches sums its two.
	status, csv := get(acme, "/v1/report?queue=servicedesk&period=month&from=2025-10-01&to=2025-11-01&format=csv")
	if status != http.StatusOK {
		t.Fatalf("csv export: %d %s", status, csv)
	}
	lines := strings.Split(strings.TrimSpace(csv), "\n")
	header := strings.Split(lines[0], ",")
	col := -1
	for i, h := range header {
		if h == "offered" {
			col = i
		}
	}
	if len(lines) != 2 || col < 0 || strings.Split(lines[1], ",")[col] != "5" {
		t.Errorf("csv export with the acme token: %q; want one row offering 5", csv)
	}

	// Queues: acme does not learn of globex's own queue, which it cannot
	// read either.
	_, body := get(acme, "/v1/queues")
	if !strings.Contains(body, `"servicedesk"`) || strings.Contains(body, "globex_vip") {
		t.Errorf("queues of the acme token: %s; want servicedesk and not globex_vip", body)
	}
	if status, body := get(acme, "/v1/report?queue=globex_vip"); status != http.StatusNotFound || !strings.Contains(body, "known queues: servicedesk\"") {
		t.Errorf("globex_vip with the acme token: %d %s; want 404 knowing servicedesk alone", status, body)
	}
	if _, body := get(globex, "/v1/queues"); !strings.Contains(body, "globex_vip") {
		t.Errorf("queues of the globex token: %s; want globex_vip", body)
	}

	// Rejects and callbacks of all of acme's switches: theirs only.
	_, body = get(acme, "/v1/rejects")
	var rejects []struct {
		Switch string `json:"switch"`
	}
	if err := json.Unmarshal([]byte(body), &rejects); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, r := range rejects {
		seen[r.Switch] = true
	}
	if len(seen) != 2 || !seen["pbx-a"] || !seen["pbx-b"] {
		t.Errorf("rejects of the acme token are of the switches %v; want pbx-a and pbx-b", seen)
	}
	_, body = get(acme, "/v1/callbacks?queue=servicedesk&from=2025-10-28")
	var callbacks []struct {
		Switch string `json:"switch"`
	}
	if err := json.Unmarshal([]byte(body), &callbacks); err != nil {
		t.Fatal(err)
	}
	n := map[string]int{}
	for _, c := range callbacks {
		n[c.Switch]++
	}
	if len(callbacks) != 5 || n["pbx-a"] != 2 || n["pbx-b"] != 3 {
		t.Errorf("callbacks of the acme token: %v; want 2 of pbx-a and 3 of pbx-b", n)
	}

	// The dashboard shows acme's figures, and only its queues.
	status, page := get(acme, "/?queue=servicedesk&year=2025")
	if status != http.StatusOK {
		t.Fatalf("dashboard with the acme token: %d", status)
	}
	if !strings.Contains(page, `data-field="offered" data-value="5"`) || strings.Contains(page, `data-field="offered" data-value="12"`) || strings.Contains(page, "globex_vip") {
		t.Errorf("the dashboard of the acme token does not show acme's 5 calls alone, or names globex_vip")
	}
	if _, page := get(carrier, "/?queue=servicedesk&year=2025"); !strings.Contains(page, `data-field="offered" data-value="12"`) {
		t.Errorf("the dashboard of the carrier's token does not show all 12 calls")
	}
}
