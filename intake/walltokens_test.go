package intake

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestRequireWallOpensTheWallOnly: a wall token opens what RequireWall
// guards, from the address or a header; a read token of every switch does
// too, one limited to some switches does not. The wall token is refused by
// the guards of everything else (the read API, the metrics).
func TestRequireWallOpensTheWallOnly(t *testing.T) {
	wt, err := ParseWallTokens("wall-token-of-the-hall, wall-token-of-the-desk")
	if err != nil {
		t.Fatal(err)
	}
	rt, err := LoadReadTokens("read-token-all", "read-token-pbx1=pbx1", "")
	if err != nil {
		t.Fatal(err)
	}
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})
	wall, read, metrics := RequireWall(wt, rt, ok), RequireReader(rt, ok), RequireToken("read-token-all", "metrics", ok)
	for _, tt := range []struct {
		name   string
		h      http.Handler
		url    string
		bearer string
		want   int
	}{
		{"wall token in the address", wall, "/wall?token=wall-token-of-the-desk", "", 200},
		{"wall token as bearer", wall, "/v1/live", "wall-token-of-the-hall", 200},
		{"read token of every switch", wall, "/v1/live", "read-token-all", 200},
		{"read token of pbx1", wall, "/v1/live", "read-token-pbx1", 403},
		{"no token", wall, "/wall", "", 401},
		{"another token", wall, "/wall?token=wall-token-of-the-moon", "", 403},
		{"wall token on the read API", read, "/v1/report", "wall-token-of-the-hall", 403},
		{"wall token in the address of the read API", read, "/v1/report?token=wall-token-of-the-hall", "", 401},
		{"wall token on the metrics", metrics, "/metrics", "wall-token-of-the-hall", 403},
	} {
		r := httptest.NewRequest("GET", tt.url, nil)
		if tt.bearer != "" {
			r.Header.Set("Authorization", "Bearer "+tt.bearer)
		}
		w := httptest.NewRecorder()
		tt.h.ServeHTTP(w, r)
		if w.Code != tt.want {
			t.Errorf("%s: got %d; want %d", tt.name, w.Code, tt.want)
		}
	}
	if _, err := ParseWallTokens("short"); err == nil {
		t.Errorf("a 5-character wall token: got no error; want one")
	}
}
