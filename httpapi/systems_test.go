package httpapi

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/acdstat/acdstat/cdr"
)

// fakeSystems answers every read with no figures and records the span
// asked for.
type fakeSystems struct {
	period   string
	from, to time.Time
}

func (f *fakeSystems) SystemRows(_ context.Context, period string, from, to time.Time) ([]cdr.SystemRow, error) {
	f.period, f.from, f.to = period, from, to
	return nil, nil
}

func (f *fakeSystems) SystemMonths(context.Context) ([]string, error) { return nil, nil }

type fixedSettings struct{ s *cdr.Settings }

func (f fixedSettings) Settings(context.Context) (*cdr.Settings, error) { return f.s, nil }

// TestSystemsRequests: GET /v1/systems refuses a range or format it cannot
// answer with 400 and what to give instead; by default it answers this
// year's months, and reads the stored rows of a span that holds them in
// every zone; the systems of the queue file are N/A without figures.
func TestSystemsRequests(t *testing.T) {
	src := &fakeSystems{}
	orbit := cdr.DefaultSystemSettings("orbit")
	orbit.Display, orbit.AgreedLevel = "Orbit", 9980
	now := time.Date(2016, 11, 15, 10, 0, 0, 0, time.UTC)
	api := NewAPI(Sources{Systems: src}, fixedSettings{&cdr.Settings{Systems: []cdr.SystemSettings{orbit}}},
		slog.New(slog.NewTextHandler(io.Discard, nil)), func() time.Time { return now }, nil)
	mux := http.NewServeMux()
	api.Register(mux)
	get := func(url string) (int, string) {
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, httptest.NewRequest(http.MethodGet, url, nil))
		return w.Code, w.Body.String()
	}
	for _, tc := range []struct{ url, want string }{
		{"/v1/systems?period=hour", "period: must be month or day"},
		{"/v1/systems?from=2016-10-15", "is not the first day of a month: give the month, 2016-10"},
		{"/v1/systems?from=2016-12&to=2016-10", "from: 2016-12-01 is not before to 2016-10-01"},
		{"/v1/systems?from=last+year", "must be a month YYYY-MM or a day YYYY-MM-DD"},
		{"/v1/systems?format=pdf", "format must be json, csv or xlsx"},
	} {
		if status, body := get(tc.url); status != http.StatusBadRequest || !strings.Contains(body, tc.want) {
			t.Errorf("%s: got %d %s; want 400 with %q", tc.url, status, body, tc.want)
		}
	}
	status, body := get("/v1/systems")
	var a struct {
		Periods []struct{ Label string }
		Rows    []struct {
			Name       string
			Compliance *float64
		}
	}
	if err := json.Unmarshal([]byte(body), &a); status != http.StatusOK || err != nil {
		t.Fatalf("got %d %s (%v)", status, body, err)
	}
	if len(a.Periods) != 11 || a.Periods[0].Label != "2016-01" || a.Periods[10].Label != "2016-11" || len(a.Rows) != 11 ||
		a.Rows[0].Name != "Orbit" || a.Rows[0].Compliance != nil {
		t.Errorf("the default: %s", body)
	}
	if src.period != cdr.PeriodMonth || !src.from.Equal(time.Date(2015, 12, 31, 10, 0, 0, 0, time.UTC)) || !src.to.Equal(time.Date(2016, 12, 1, 14, 0, 0, 0, time.UTC)) {
		t.Errorf("read %s from %s to %s; want months of the span of 2016-01 to 2016-11 in every zone", src.period, src.from, src.to)
	}
}
