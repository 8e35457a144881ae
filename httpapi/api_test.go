package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/acdstat/acdstat/cdr"
)

// fakeRejects answers every read with rejects, and records the switch and
// limit asked for.
type fakeRejects struct {
	rejects []cdr.Reject
	sw      string
	limit   int
}

func (f *fakeRejects) RecentRejects(_ context.Context, sw string, limit int) ([]cdr.Reject, error) {
	f.sw, f.limit = sw, limit
	return f.rejects, nil
}

// TestRejectsJSON pins the JSON of GET /v1/rejects, which operators'
// scripts read: one object per reject, with these keys in this order.
func TestRejectsJSON(t *testing.T) {
	src := &fakeRejects{rejects: []cdr.Reject{{Switch: "pbx1", Source: "queue_log", Line: 3, Field: "time",
		Reason: "not a number", Raw: "abc|c1|q|NONE|ENTERQUEUE", ReceivedAt: time.Date(2025, 11, 3, 11, 0, 0, 0, time.UTC)}}}
	api := NewAPI(Sources{Rejects: src}, nil, slog.New(slog.NewTextHandler(io.Discard, nil)), time.Now, nil)
	mux := http.NewServeMux()
	api.Register(mux)
	get := func(url string) (int, string) {
		t.Helper()
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, httptest.NewRequest(http.MethodGet, url, nil))
		var compact bytes.Buffer
		if err := json.Compact(&compact, w.Body.Bytes()); err != nil {
			t.Fatalf("%s: %v: %s", url, err, w.Body.String())
		}
		return w.Code, compact.String()
	}
	status, body := get("/v1/rejects?switch=pbx1&limit=5")
	want := `[{"switch":"pbx1","source":"queue_log","line":3,"field":"time","reason":"not a number",` +
		`"raw":"abc|c1|q|NONE|ENTERQUEUE","received_at":"2025-11-03T11:00:00Z"}]`
	if status != http.StatusOK || body != want {
		t.Errorf("got %d %s; want 200 %s", status, body, want)
	}
	if src.sw != "pbx1" || src.limit != 5 {
		t.Errorf("read switch %q limit %d; want pbx1 5", src.sw, src.limit)
	}
	src.rejects = nil
	if status, body := get("/v1/rejects"); status != http.StatusOK || body != "[]" {
		t.Errorf("no rejects: got %d %s; want 200 []", status, body)
	}
}
