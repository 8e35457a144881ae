package intake

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/acdstat/acdstat/cdr"
)

func TestLoadReadTokensRefusesWhatItCannotUse(t *testing.T) {
	f := func(spec, want string) {
		t.Helper()
		_, err := LoadReadTokens("", spec, "")
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("LoadReadTokens(%q): %v; want an error containing %q", spec, err, want)
		}
		if err != nil && strings.Contains(err.Error(), "secret-of") {
			t.Errorf("LoadReadTokens(%q): the error names the token: %v", spec, err)
		}
	}
	f("secret-of-acme", "entry 1: want token=switch1,switch2")
	f("secret-of-acme=", "entry 1: want token=switch1,switch2")
	f("short=pbx1", "8 or more characters")
	f("secret-of-acme=pbx1;secret-of acme=pbx2", "entry 2: a token must be")
	f("secret-of-acme=pbx/1", `"pbx/1" is not a switch name`)
	f("secret-of-acme=pbx1;secret-of-acme=pbx2", "entry 2: the token is given twice")
	if _, err := LoadReadTokens("", "", filepath.Join(t.TempDir(), "missing")); err == nil || !strings.Contains(err.Error(), "ACDSTAT_READ_TOKENS_FILE") {
		t.Errorf("a missing tokens file: %v; want an error naming ACDSTAT_READ_TOKENS_FILE", err)
	}
}

// TestRequireReaderScopesLimitedTokens: the token of every switch reads
// without a scope, a limited token with its switches in the context, "*"
// in a list gives every switch; no token is 401, another 403.
func TestRequireReaderScopesLimitedTokens(t *testing.T) {
	file := filepath.Join(t.TempDir(), "tokens")
	if err := os.WriteFile(file, []byte("# customers\n\nsecret-of-globex = pbx-c\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	rt, err := LoadReadTokens("secret-of-carrier", "secret-of-acme=pbx-a, pbx-b,pbx-a; secret-of-ops=pbx-a,*", file)
	if err != nil {
		t.Fatal(err)
	}
	if got := rt.Limited(); got != 2 {
		t.Errorf("Limited() = %d; want 2 (acme, globex)", got)
	}
	h := RequireReader(rt, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw, limited := cdr.SwitchesOf(r.Context())
		if !limited {
			w.Write([]byte("all"))
			return
		}
		w.Write([]byte(strings.Join(sw, ",")))
	}))
	for _, tc := range []struct {
		token  string
		status int
		body   string
	}{
		{"", http.StatusUnauthorized, ""},
		{"secret-of-nobody", http.StatusForbidden, ""},
		{"secret-of-carrier", http.StatusOK, "all"},
		{"secret-of-acme", http.StatusOK, "pbx-a,pbx-b"},
		{"secret-of-globex", http.StatusOK, "pbx-c"},
		{"secret-of-ops", http.StatusOK, "all"},
	} {
		req := httptest.NewRequest("GET", "/v1/report", nil)
		if tc.token != "" {
			req.Header.Set("Authorization", "Bearer "+tc.token)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != tc.status || tc.body != "" && rec.Body.String() != tc.body {
			t.Errorf("token %q: %d %q; want %d %q", tc.token, rec.Code, rec.Body.String(), tc.status, tc.body)
		}
	}
	open := RequireReader(ReadTokens{}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	rec := httptest.NewRecorder()
	open.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if rec.Code != http.StatusOK {
		t.Errorf("without any read token: %d; want 200 (reading is open)", rec.Code)
	}
}
