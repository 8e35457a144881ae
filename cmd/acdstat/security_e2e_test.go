package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
)

// queryCount runs a count() query with bound arguments on the test's database.
func queryCount(t *testing.T, environ []string, query string, args ...any) uint64 {
	t.Helper()
	conn, err := clickhouse.Open(&clickhouse.Options{
		Addr: []string{envValue(environ, "ACDSTAT_CLICKHOUSE_ADDR")},
		Auth: clickhouse.Auth{Database: envValue(environ, "ACDSTAT_CLICKHOUSE_DATABASE"), Username: "default"},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var n uint64
	if err := conn.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

func TestCallerNumbersNeverReachClickHouse(t *testing.T) {
	for _, mode := range []string{"drop", "hash"} {
		t.Run(mode, func(t *testing.T) {
			environ := testEnv(t, "ACDSTAT_CALLER_NUMBERS="+mode, "ACDSTAT_CALLER_HASH_KEY=a-secret-of-the-hospital")
			startServe(t, environ)
			// 31 October 2025: within the raw-event retention at testToday.
			body := "1761900000|c1.1|servicedesk|NONE|ENTERQUEUE||4512345678|1\n" +
				"1761900030|c1.1|servicedesk|PJSIP/2101|CONNECT|30|c1.2|2\n" +
				"1761900090|c1.1|servicedesk|PJSIP/2101|COMPLETECALLER|30|60|1\n" +
				"not-a-time|c2.1|servicedesk|NONE|ENTERQUEUE||4587654321|1\n"
			resp, err := http.Post("http://"+envValue(environ, "ACDSTAT_HTTP_ADDR")+"/v1/ingest/queue_log", "text/plain", strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Fatalf("ingest: status %d", resp.StatusCode)
			}
			waitForCounts(t, environ, map[string]map[string]int{"servicedesk": {"answered": 1}}, time.Minute)
			for _, q := range []string{
				"SELECT count() FROM events WHERE concat(data1, data2, data3, data4, data5) LIKE ?",
				"SELECT count() FROM rejects WHERE raw LIKE ?",
				"SELECT count() FROM queue_calls WHERE caller LIKE ?",
			} {
				for _, number := range []string{"%12345678%", "%87654321%"} {
					if n := queryCount(t, environ, q, number); n != 0 {
						t.Errorf("%s (%s): %d rows hold a caller number", q, number, n)
					}
				}
			}
			if n := queryCount(t, environ, "SELECT count() FROM rejects WHERE raw LIKE ?", "%ENTERQUEUE%"); n != 1 {
				t.Errorf("%d rejects stored; want the bad line, masked", n)
			}
			want := map[string]string{"drop": "", "hash": "h:%"}[mode]
			if n := queryCount(t, environ, "SELECT count() FROM queue_calls WHERE caller LIKE ?", want); n == 0 {
				t.Errorf("no queue call has the caller %q", want)
			}
		})
	}
}

func TestTokensGuardEveryRoute(t *testing.T) {
	environ := testEnv(t, "ACDSTAT_INGEST_TOKEN=in-token", "ACDSTAT_READ_TOKEN=read-token")
	startServe(t, environ)
	base := "http://" + envValue(environ, "ACDSTAT_HTTP_ADDR")
	do := func(method, path, token string) int {
		req, _ := http.NewRequest(method, base+path, strings.NewReader("1761900000|c1.1|q|NONE|ENTERQUEUE||1|1\n"))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, path := range []string{"/", "/v1/report?queue=servicedesk", "/v1/queues", "/v1/rejects", "/v1/callbacks", "/metrics", "/wall", "/v1/live",
		"/v1/calls?queue=servicedesk", "/v1/calls/default/c1.1", "/calls?queue=servicedesk", "/calls/default/c1.1"} {
		if got := do("GET", path, ""); got != http.StatusUnauthorized {
			t.Errorf("GET %s without a token: %d; want 401", path, got)
		}
		if got := do("GET", path, "in-token"); got != http.StatusForbidden {
			t.Errorf("GET %s with the ingest token: %d; want 403", path, got)
		}
		if got := do("GET", path, "read-token"); got == http.StatusUnauthorized || got == http.StatusForbidden {
			t.Errorf("GET %s with the read token: %d; want it let through", path, got)
		}
	}
	if got := do("POST", "/v1/ingest/queue_log", "read-token"); got != http.StatusForbidden {
		t.Errorf("ingest with the read token: %d; want 403", got)
	}
	if got := do("POST", "/v1/ingest/queue_log", "in-token"); got != http.StatusOK {
		t.Errorf("ingest with the ingest token: %d; want 200", got)
	}
	for _, path := range []string{"/livez", "/readyz"} {
		if got := do("GET", path, ""); got != http.StatusOK {
			t.Errorf("GET %s without a token: %d; want 200 (probes carry no credentials)", path, got)
		}
	}
}

func TestTheClickHousePasswordIsNeverLogged(t *testing.T) {
	const password = "Pw-that-must-not-leak-7731"
	file := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(file, []byte(password+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, setting := range map[string]string{"env": "ACDSTAT_CLICKHOUSE_PASSWORD=" + password, "file": "ACDSTAT_CLICKHOUSE_PASSWORD_FILE=" + file} {
		// The test server's default user has no password, so this start
		// fails at authentication, after logging what it logs at debug.
		environ := append(testEnv(t, setting), "ACDSTAT_LOG_LEVEL=debug")
		var logs bytes.Buffer
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		err := run(ctx, testProcess(environ, &logs, &logs), []string{"serve"})
		cancel()
		if err == nil {
			t.Fatalf("%s: serve started with a wrong password", name)
		}
		if strings.Contains(logs.String(), password) || strings.Contains(err.Error(), password) {
			t.Errorf("%s: the password appears in the log or error:\n%s\n%v", name, logs.String(), err)
		}
		if logs.Len() == 0 {
			t.Errorf("%s: nothing was logged, so the check proves nothing", name)
		}
	}
}
