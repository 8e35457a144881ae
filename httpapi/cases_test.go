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

// fakeCases holds the stored months of the desks and answers every
// answered-calls read with answered.
type fakeCases struct {
	months   []cdr.DeskMonth
	answered uint64
}

func (f *fakeCases) DeskMonths(_ context.Context, desk string, from, to time.Time) ([]cdr.DeskMonth, error) {
	var out []cdr.DeskMonth
	for _, m := range f.months {
		if (desk == "" || m.Desk == desk) && !m.Month.Before(from) && m.Month.Before(to) {
			out = append(out, m)
		}
	}
	return out, nil
}

func (f *fakeCases) AnsweredByMonth(_ context.Context, queues []string, tz string, from, to time.Time) (map[time.Time]uint64, error) {
	out := map[time.Time]uint64{}
	loc, _ := time.LoadLocation(tz)
	for m := from; m.Before(to); m = cdr.MonthStart(m.AddDate(0, 1, 14), loc) {
		out[m] = f.answered
	}
	return out, nil
}

// TestContactsAndCasesAPI: GET /v1/contacts and /v1/cases answer a row per
// desk and month of the range (the desks of the settings, and those with
// stored months), refuse a bad date with 400, and a read token limited to
// some switches with 403.
func TestContactsAndCasesAPI(t *testing.T) {
	loc, _ := time.LoadLocation("Europe/Copenhagen")
	oct := cdr.MonthStart(time.Date(2016, 10, 15, 0, 0, 0, 0, loc), loc)
	src := &fakeCases{answered: 78, months: []cdr.DeskMonth{{Desk: "sd", Month: oct, Registered: 4, Closed: 3, Contacts: map[string]uint64{"portal": 22}}}}
	sd := cdr.DefaultDeskSettings("sd")
	sd.Queues = []string{"servicedesk"}
	settings := &cdr.Settings{Desks: map[string]cdr.DeskSettings{"sd": sd, "klinisk": cdr.DefaultDeskSettings("klinisk")}}
	api := NewAPI(Sources{Cases: src}, fixed{settings}, slog.New(slog.NewTextHandler(io.Discard, nil)),
		func() time.Time { return time.Date(2016, 11, 3, 12, 0, 0, 0, loc) }, nil)
	mux := http.NewServeMux()
	api.Register(mux)
	get := func(url string, ctx context.Context) (int, string) {
		t.Helper()
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, httptest.NewRequest(http.MethodGet, url, nil).WithContext(ctx))
		return w.Code, w.Body.String()
	}
	status, body := get("/v1/cases?from=2016-09-01&to=2016-11-01", context.Background())
	var cases []map[string]any
	if err := json.Unmarshal([]byte(body), &cases); status != http.StatusOK || err != nil || len(cases) != 4 {
		t.Fatalf("cases: %d %s (%v); want 2 desks × 2 months", status, body, err)
	}
	if c := cases[3]; c["desk"] != "sd" || c["cases_registered"] != 4.0 || c["closed_provisional"] != true || c["within_rate"] != nil {
		t.Errorf("sd October: %v", c)
	}
	status, body = get("/v1/contacts?desk=sd&from=2016-10-01&to=2016-11-01", context.Background())
	var contacts []map[string]any
	if err := json.Unmarshal([]byte(body), &contacts); status != http.StatusOK || err != nil || len(contacts) != 2 ||
		contacts[0]["channel"] != "phone" || contacts[0]["share"] != 0.78 || contacts[1]["share"] != 0.22 {
		t.Errorf("contacts: %d %s (%v); want phone 78 (0.78) and portal 22", status, body, err)
	}
	if status, body := get("/v1/cases?from=1.10.2016", context.Background()); status != http.StatusBadRequest || !strings.Contains(body, "from must be a local date YYYY-MM-DD") {
		t.Errorf("a bad from: %d %s; want 400 saying the form", status, body)
	}
	if status, _ := get("/v1/cases", cdr.WithSwitches(context.Background(), []string{"pbx1"})); status != http.StatusForbidden {
		t.Errorf("a reader of pbx1 only: %d; want 403", status)
	}
}
