package intake

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/acdstat/acdstat/cdr"
)

// TestCasesEndpoints: POST /v1/contacts and /v1/cases take CSV and JSON,
// with a shipped map by name, refuse a bad record by line and field
// without its text, and spool the same events twice for the same body (one
// fact by its id).
func TestCasesEndpoints(t *testing.T) {
	sink := &memSink{}
	srv := newServer(t, Config{IngestToken: "s3cret"}, sink)
	post := func(path, body string) (int, Answer) {
		t.Helper()
		req, err := http.NewRequest("POST", srv.URL+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer s3cret")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var a Answer
		if err := json.NewDecoder(resp.Body).Decode(&a); err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, a
	}
	status, a := post("/v1/contacts?switch=portal", "id,desk,channel,time\nC1,sd,portal,2016-10-03T09:00:00Z\nC2,sd,phone,2016-10-03T09:00:00Z\n")
	if status != http.StatusOK || a.Accepted != 1 || len(a.Rejected) != 1 || a.Rejected[0].Line != 3 || a.Rejected[0].Field != "channel" {
		t.Fatalf("contacts: status %d, %+v; want 200, 1 accepted, line 3 refused on channel", status, a)
	}
	export := "number,short_description,assignment_group,contact_type,priority,opened_at,resolved_at,sys_updated_on\n" +
		"INC1,\"printer, patient Hansen\",sd,phone,2 - High,2016-10-03 09:00:00,,2016-10-03 09:00:00\n" +
		"INC2,x,sd,phone,9 - Whatever,2016-10-03 09:00:00,,\n"
	for range 2 {
		status, a = post("/v1/cases?switch=sn&map=servicenow", export)
		if status != http.StatusOK || a.Accepted != 1 || len(a.Rejected) != 1 || a.Rejected[0].Field != "criticality" {
			t.Fatalf("cases: status %d, %+v; want 200, 1 accepted, the priority refused", status, a)
		}
	}
	var cases []cdr.Event
	for _, e := range sink.events {
		if e.Source == cdr.SourceCase {
			cases = append(cases, e)
		}
	}
	if len(cases) != 2 || cases[0].ID != cases[1].ID || cases[0].CallID != "INC1" || cases[0].Switch != "sn" || cases[0].Data[0] != cdr.CriticalityHigh {
		t.Errorf("spooled cases %+v; want INC1 twice with one id", cases)
	}
	for _, r := range sink.rejects {
		if strings.Contains(r.Raw, "Whatever") || strings.Contains(r.Raw, "Hansen") {
			t.Errorf("a reject keeps the export's text: %+v", r)
		}
	}
	if status, _ := post("/v1/cases?switch=sn&map=remedy", export); status != http.StatusBadRequest {
		t.Errorf("unknown map: status %d, want 400", status)
	}
}
