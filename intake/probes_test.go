package intake

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/acdstat/acdstat/cdr"
)

func TestProbesEndpoint(t *testing.T) {
	sink := &memSink{}
	srv := newServer(t, Config{IngestToken: "s3cret", CallerNumbers: CallerDrop}, sink)
	send := func(query, body, token string) (int, Answer) {
		t.Helper()
		req, err := http.NewRequest("POST", srv.URL+"/v1/ingest/probes"+query, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var a Answer
		if resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusBadRequest {
			if err := json.NewDecoder(resp.Body).Decode(&a); err != nil {
				t.Fatal(err)
			}
		}
		return resp.StatusCode, a
	}
	probes := "system,location,action,time,duration_ms\n" +
		"Orbit,Herlev,login,2024-05-01T08:00:00Z,1200\n" +
		"Orbit,Herlev,login,yesterday,1200\n" +
		"Orbit,Herlev 4512345678,search,2024-05-01T08:00:01Z,700\n"
	if status, _ := send("", probes, ""); status != http.StatusUnauthorized {
		t.Errorf("without the ingest token: status %d; want 401", status)
	}
	status, a := send("?switch=monitor", probes, "s3cret")
	if status != http.StatusOK || a.Accepted != 2 || len(a.Rejected) != 1 || a.Rejected[0].Line != 3 || a.Rejected[0].Field != "time" {
		t.Fatalf("probes: status %d, %+v; want 200, 2 accepted, line 3 refused for its time", status, a)
	}
	e := sink.events[1]
	// No caller numbers here: a location keeps its digits whatever the
	// caller-number setting.
	if e.Source != cdr.SourceProbe || e.Switch != "monitor" || e.CallID != "Orbit" || e.Queue != "Herlev 4512345678" {
		t.Errorf("stored %+v", e)
	}
	if status, a := send("?switch=monitor", probes, "s3cret"); status != http.StatusOK || a.Accepted != 2 {
		t.Errorf("sent again: status %d, %+v; want 200, accepted (the store keeps each once)", status, a)
	}
	if sink.events[0].ID != sink.events[2].ID {
		t.Errorf("the same probe sent again has ids %x and %x; want one", sink.events[0].ID, sink.events[2].ID)
	}
	status, a = send("?format=probe_months", `[{"system":"Orbit","month":"2016-10","compliance":99.98},{"system":"Orbit","month":"2016-10"}]`, "s3cret")
	if status != http.StatusOK || a.Accepted != 1 || len(a.Rejected) != 1 || a.Rejected[0].Field != "compliance" {
		t.Errorf("months' figures: status %d, %+v; want 200, 1 accepted, object 2 refused for its compliance", status, a)
	}
	if status, _ := send("?format=queue_log", probes, "s3cret"); status != http.StatusBadRequest {
		t.Errorf("format queue_log: status %d; want 400", status)
	}
	if status, _ := send("", "  \n", "s3cret"); status != http.StatusBadRequest {
		t.Errorf("empty body: status %d; want 400", status)
	}
}
