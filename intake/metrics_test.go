package intake

import (
	"flag"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// TestMetricsOfAScriptedRun compares the exposition after a known run with
// testdata/metrics.golden (go test -update rewrites it).
func TestMetricsOfAScriptedRun(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	clock := time.Unix(1700000000, 0)
	h, err := NewHandler(Config{SwitchTimezone: "UTC", MaxBodyBytes: 1 << 20, MaxLineBytes: 1 << 10, IngestRate: 1, IngestBurst: 4},
		slog.New(slog.NewTextHandler(io.Discard, nil)), reg, func() time.Time { return clock }, nil, &memSink{})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	h.Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	post(t, srv.URL+"/v1/ingest/queue_log?switch=pbx1", enter+enter+"garbage\n") // 1 accepted, 1 duplicate, 1 rejected
	post(t, srv.URL+"/v1/ingest/queue_log?switch=pbx1", enter+enter+enter+enter) // over the rate: refused
	clock = clock.Add(90 * time.Second)
	post(t, srv.URL+"/v1/ingest/queue_log?switch=pbx2", "1700000000|c1.1|q|NONE|BOGUS\n") // all rejected: 400
	clock = clock.Add(30 * time.Second)

	// promhttp writes the text format sorted by name and labels, so the
	// comparison is exact. (testutil.GatherAndCompare would need one more
	// module in go.mod for the same check.)
	rec := httptest.NewRecorder()
	promhttp.HandlerFor(reg, promhttp.HandlerOpts{}).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	golden := filepath.Join("testdata", "metrics.golden")
	if *update {
		if err := os.WriteFile(golden, rec.Body.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got := rec.Body.String(); got != string(want) {
		t.Errorf("exposition after the scripted run:\n%s\nwant (%s):\n%s", got, golden, want)
	}
}
