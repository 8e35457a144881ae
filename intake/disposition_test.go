package intake

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/acdstat/acdstat/cdr"
)

func TestDispositionsEndpoint(t *testing.T) {
	sink := &memSink{}
	srv := newServer(t, Config{IngestToken: "s3cret"}, sink)
	post := func(body, token string) (int, Answer) {
		t.Helper()
		req, err := http.NewRequest("POST", srv.URL+"/v1/dispositions?switch=pbx1", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
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

	if status, _ := post(`{"call_id":"1.1","resolved":true}`, ""); status != http.StatusUnauthorized {
		t.Errorf("without token: status %d; want 401", status)
	}
	if status, _ := post(`{"call_id":"1.1","resolved":true}`, "wrong"); status != http.StatusForbidden {
		t.Errorf("wrong token: status %d; want 403", status)
	}

	status, a := post(`{"call_id":"1.1","queue":"q1","resolved":true,"code":"PW","time":"2025-01-02T10:00:00+01:00"}`, "s3cret")
	if status != http.StatusOK || a.Accepted != 1 || len(a.Rejected) != 0 {
		t.Fatalf("one object: status %d, %+v; want 200, accepted 1", status, a)
	}
	e := sink.events[0]
	if e.Switch != "pbx1" || e.Source != cdr.SourceDisposition || e.Verb != cdr.VerbDisposition || e.CallID != "1.1" || e.Queue != "q1" || e.Data[0] != "1" || e.Data[1] != "PW" || e.Time.Unix() != 1735808400 {
		t.Errorf("stored %+v; want a resolved DISPOSITION of 1.1 in q1 on pbx1 at 09:00Z", e)
	}

	status, a = post(`[{"call_id":"2.1","resolved":false},{"call_id":"3.1"},{"switch":"pbx2","call_id":"4.1","resolved":true}]`, "s3cret")
	if status != http.StatusOK || a.Accepted != 2 || len(a.Rejected) != 1 || a.Rejected[0].Line != 2 || a.Rejected[0].Field != "resolved" {
		t.Fatalf("array with one bad object: status %d, %+v; want 200, accepted 2, object 2 refused on resolved", status, a)
	}
	if got := sink.events[len(sink.events)-1]; got.Switch != "pbx2" || got.Time.IsZero() {
		t.Errorf("last event %+v; want switch pbx2 from the body and the time of receipt", got)
	}

	status, a = post(`[{"call_id":"5.1","resolved":"yes"}]`, "s3cret")
	if status != http.StatusBadRequest || a.Accepted != 0 || len(a.Rejected) != 1 {
		t.Errorf("nothing good: status %d, %+v; want 400 with the reject", status, a)
	}
	if status, _ := post(` `, "s3cret"); status != http.StatusBadRequest {
		t.Errorf("empty body: status %d; want 400", status)
	}
}
