package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// drillPage is what GET /v1/calls answers, as a script reads it.
type drillPage struct {
	Total    uint64           `json:"total"`
	WaitSumS uint64           `json:"wait_s_sum"`
	Offset   int              `json:"offset"`
	Limit    int              `json:"limit"`
	Calls    []map[string]any `json:"calls"`
}

// drillGet asks GET path with token (none where empty) and returns the
// status and body.
func drillGet(t *testing.T, base, token, path string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest("GET", base+path, nil)
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
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// drillFilter is the filter of GET /v1/calls behind one figure of a
// report row: the calls it lists must be want, their waits sum to waits
// (-1: no sum to compare).
type drillFilter struct {
	what  string
	q     url.Values
	want  float64
	waits float64
}

// drillCalls asks GET /v1/calls with q and the carrier's token and
// returns the page.
func drillCalls(t *testing.T, base, token string, q url.Values) drillPage {
	t.Helper()
	status, b := drillGet(t, base, token, "/v1/calls?"+q.Encode())
	if status != http.StatusOK {
		t.Fatalf("GET /v1/calls?%s: %d %s", q.Encode(), status, b)
	}
	var p drillPage
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatalf("GET /v1/calls?%s: %v\n%s", q.Encode(), err, b)
	}
	return p
}

// TestDrillDownListsTheCallsBehindEveryFigure ingests two simulated weeks
// on two switches, rolls them up, and for every day (of all switches) and
// the month (of each) of the autumn week, both desks and both hours asks
// GET /v1/report and then GET /v1/calls for the calls behind each figure
// of each row: the calls listed must be as many as the figure says
// (offered, every outcome, answered and abandoned within sla_s, answered
// above 20 s against the threshold figures, and for the month answered and
// abandoned within 10, 20, 30, 60 and 300 s), and the sum of their waits
// the figure's sum (avg_wait_s × offered, asa_s × answered). It then pages
// through one month sorted by wait, exports it as CSV and XLSX, opens one
// call with its events in order, and checks that a token limited to one
// switch reads that switch's calls only.
func TestDrillDownListsTheCallsBehindEveryFigure(t *testing.T) {
	queues := filepath.Join(t.TempDir(), "queues.yaml")
	if err := os.WriteFile(queues, []byte(hospitalQueues), 0o644); err != nil {
		t.Fatal(err)
	}
	const carrier, pbx1Only = "carrier-secret-1", "pbx1-secret-22"
	environ := testEnv(t, "ACDSTAT_QUEUES="+queues, "ACDSTAT_READ_TOKEN="+carrier, "ACDSTAT_READ_TOKENS="+pbx1Only+"=pbx1")
	for sw, seed := range map[string]int64{"pbx1": 7, "pbx2": 11} {
		var log bytes.Buffer
		if err := smallSim(t, seed).WriteQueueLog(&log); err != nil {
			t.Fatal(err)
		}
		runCmd(t, environ, "ingest", "--format", "queue_log", "--switch", sw, writeFile(t, sw+".log", log.String()))
	}
	runCmd(t, environ, "rollup")
	startServe(t, environ)
	base := "http://" + envValue(environ, "ACDSTAT_HTTP_ADDR")

	num := func(r map[string]any, f string) float64 { v, _ := r[f].(float64); return v }
	checked := 0
	for _, queue := range []string{"servicedesk", "klinisk"} {
		for _, sw := range []string{"*", "pbx1", "pbx2"} {
			for _, hours := range []string{"all", "in"} {
				for _, period := range []string{"day", "month"} {
					// The days of every switch add up to the month of all
					// switches: per switch the month is enough.
					if period == "day" && sw != "*" {
						continue
					}
					rq := url.Values{"queue": {queue}, "switch": {sw}, "hours": {hours}, "period": {period},
						"from": {"2025-10-26"}, "to": {"2025-11-02"}, "sla": {"20,10,30,60,300"}}
					status, b := drillGet(t, base, carrier, "/v1/report?"+rq.Encode())
					if status != http.StatusOK {
						t.Fatalf("report: %d %s", status, b)
					}
					var rows []map[string]any
					if err := json.Unmarshal(b, &rows); err != nil {
						t.Fatal(err)
					}
					for _, r := range rows {
						slaS := strconv.Itoa(int(num(r, "sla_s")))
						at20 := r["thresholds"].([]any)[0].(map[string]any)
						filters := []drillFilter{
							{"offered", url.Values{}, num(r, "offered"), num(r, "avg_wait_s") * num(r, "offered")},
							{"answered", url.Values{"outcome": {"answered"}}, num(r, "answered"), num(r, "asa_s") * num(r, "answered")},
							{"abandoned", url.Values{"outcome": {"abandoned"}}, num(r, "abandoned"), -1},
							{"timeout", url.Values{"outcome": {"timeout"}}, num(r, "timeout"), -1},
							{"exit_key", url.Values{"outcome": {"exit_key"}}, num(r, "exit_key"), -1},
							{"exit_other", url.Values{"outcome": {"exit_other"}}, num(r, "exit_other"), -1},
							{"unknown", url.Values{"outcome": {"unknown"}}, num(r, "unknown"), -1},
							{"answered_within_sla", url.Values{"outcome": {"answered"}, "wait_upto": {slaS}}, num(r, "answered_within_sla"), -1},
							{"abandoned_within_sla", url.Values{"outcome": {"abandoned"}, "wait_upto": {slaS}}, num(r, "abandoned_within_sla"), -1},
							{"answered above 20 s", url.Values{"outcome": {"answered"}, "wait_above": {"20"}}, num(r, "answered") - num(at20, "answered_within"), -1},
						}
						if period == "month" && sw == "*" {
							// The figures at every threshold: answered and
							// abandoned within T are the calls that waited
							// at most T.
							for _, x := range r["thresholds"].([]any) {
								th := x.(map[string]any)
								ts := strconv.Itoa(int(num(th, "sla_s")))
								filters = append(filters,
									drillFilter{"answered within " + ts + " s", url.Values{"outcome": {"answered"}, "wait_upto": {ts}}, num(th, "answered_within"), -1},
									drillFilter{"abandoned within " + ts + " s", url.Values{"outcome": {"abandoned"}, "wait_upto": {ts}}, num(th, "abandoned_within"), -1})
							}
						}
						if period == "day" {
							// offered, answered, abandoned, within sla_s
							// and above 20 s: each day one request per
							// kind of filter.
							filters = append(filters[:3:3], filters[7], filters[9])
						}
						for _, f := range filters {
							q := f.q
							for k, v := range map[string]string{"queue": queue, "switch": sw, "hours": hours, "limit": "1",
								"from": r["counted_from"].(string), "to": r["counted_to"].(string)} {
								q.Set(k, v)
							}
							p := drillCalls(t, base, carrier, q)
							if float64(p.Total) != f.want {
								t.Errorf("%s %s %s %s from %s: %s: %d calls listed; the report says %v", queue, sw, hours, period, r["counted_from"], f.what, p.Total, f.want)
							}
							if f.waits >= 0 && math.Abs(float64(p.WaitSumS)-f.waits) > 1e-6*math.Max(1, f.waits) {
								t.Errorf("%s %s %s %s from %s: %s: waits of the calls listed sum to %d s; the report's figure gives %v", queue, sw, hours, period, r["counted_from"], f.what, p.WaitSumS, f.waits)
							}
							checked++
						}
					}
				}
			}
		}
	}
	if checked < 200 {
		t.Fatalf("only %d figures compared", checked)
	}

	// Every page of the month, sorted by the longest wait first: each call
	// once, in order, and as many as the total.
	month := url.Values{"queue": {"servicedesk"}, "from": {"2025-10-01"}, "to": {"2025-11-01"}, "sort": {"-wait_s"}, "limit": {"40"}}
	first := drillCalls(t, base, carrier, month)
	seen := map[string]bool{}
	last := math.Inf(1)
	for off := 0; off < int(first.Total); off += 40 {
		month.Set("offset", strconv.Itoa(off))
		p := drillCalls(t, base, carrier, month)
		if len(p.Calls) == 0 || len(p.Calls) > 40 {
			t.Fatalf("page at %d: %d calls; want 1 to 40", off, len(p.Calls))
		}
		for _, c := range p.Calls {
			k := fmt.Sprint(c["switch"], "/", c["call_id"], "/", c["seq"])
			if seen[k] {
				t.Errorf("page at %d: %s listed twice", off, k)
			}
			seen[k] = true
			w := c["wait_s"].(float64)
			if w > last {
				t.Errorf("page at %d: %s waited %v s after one of %v s; want the longest first", off, k, w, last)
			}
			last = w
		}
	}
	if uint64(len(seen)) != first.Total || first.Total == 0 {
		t.Errorf("the pages list %d calls; total %d", len(seen), first.Total)
	}

	// The export holds every call of the filter, not one page.
	month.Del("offset")
	month.Set("format", "csv")
	status, b := drillGet(t, base, carrier, "/v1/calls?"+month.Encode())
	if status != http.StatusOK {
		t.Fatalf("csv: %d %s", status, b)
	}
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if uint64(len(recs)-1) != first.Total || recs[0][0] != "switch" {
		t.Errorf("CSV: %d calls under %v; want %d", len(recs)-1, recs[0], first.Total)
	}
	month.Set("format", "xlsx")
	status, b = drillGet(t, base, carrier, "/v1/calls?"+month.Encode())
	if status != http.StatusOK {
		t.Fatalf("xlsx: %d %s", status, b)
	}
	f, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	xrows, err := f.GetRows(f.GetSheetName(0))
	if err != nil {
		t.Fatal(err)
	}
	if uint64(len(xrows)-1) != first.Total || !slices.Equal(xrows[0], recs[0]) {
		t.Errorf("XLSX: %d calls under %v; want %d under the CSV's header %v", len(xrows)-1, xrows[0], first.Total, recs[0])
	}

	// One answered call of pbx1, with its events in order.
	ans := drillCalls(t, base, carrier, url.Values{"queue": {"servicedesk"}, "switch": {"pbx1"}, "from": {"2025-10-27"}, "to": {"2025-10-28"}, "outcome": {"answered"}, "limit": {"1"}})
	if len(ans.Calls) != 1 {
		t.Fatalf("no answered call of pbx1 on 27 October")
	}
	c := ans.Calls[0]
	callPath := "/v1/calls/pbx1/" + url.PathEscape(c["call_id"].(string))
	status, b = drillGet(t, base, carrier, callPath)
	if status != http.StatusOK {
		t.Fatalf("GET %s: %d %s", callPath, status, b)
	}
	var detail struct {
		Stays  []map[string]any `json:"stays"`
		Events []struct {
			Time   time.Time `json:"time"`
			Source string    `json:"source"`
			Verb   string    `json:"verb"`
			Queue  string    `json:"queue"`
		} `json:"events"`
	}
	if err := json.Unmarshal(b, &detail); err != nil {
		t.Fatal(err)
	}
	var verbs []string
	for i, e := range detail.Events {
		verbs = append(verbs, e.Verb)
		if i > 0 && e.Time.Before(detail.Events[i-1].Time) {
			t.Errorf("%s: event %d (%s) at %v before the one before it", callPath, i, e.Verb, e.Time)
		}
		if e.Source != "queue_log" {
			t.Errorf("%s: event %s from %q; want queue_log", callPath, e.Verb, e.Source)
		}
	}
	if len(verbs) < 2 || verbs[0] != "ENTERQUEUE" || !slices.Contains(verbs, "CONNECT") {
		t.Errorf("%s: events %v; want ENTERQUEUE first and a CONNECT", callPath, verbs)
	}
	found := false
	for _, s := range detail.Stays {
		if s["queue"] == "servicedesk" && s["wait_s"] == c["wait_s"] && s["outcome"] == "answered" {
			found = true
		}
	}
	if !found {
		t.Errorf("%s: stays %v hold not the call listed %v", callPath, detail.Stays, c)
	}
	if status, _ := drillGet(t, base, carrier, "/v1/calls/pbx1/no-such-call"); status != http.StatusNotFound {
		t.Errorf("an unknown call: %d; want 404", status)
	}

	// A token of pbx1 reads pbx1's calls only.
	all := drillCalls(t, base, carrier, url.Values{"queue": {"servicedesk"}, "from": {"2025-10-01"}, "to": {"2025-11-01"}, "switch": {"pbx1"}, "limit": {"1"}})
	mine := drillCalls(t, base, pbx1Only, url.Values{"queue": {"servicedesk"}, "from": {"2025-10-01"}, "to": {"2025-11-01"}, "limit": {"1"}})
	if mine.Total != all.Total || mine.Total == 0 || mine.Total >= first.Total {
		t.Errorf("pbx1's token lists %d calls; pbx1 has %d of %d", mine.Total, all.Total, first.Total)
	}
	if status, _ := drillGet(t, base, pbx1Only, "/v1/calls?queue=servicedesk&switch=pbx2"); status != http.StatusForbidden {
		t.Errorf("pbx1's token asking for pbx2's calls: %d; want 403", status)
	}
	other := drillCalls(t, base, carrier, url.Values{"queue": {"servicedesk"}, "switch": {"pbx2"}, "from": {"2025-10-27"}, "to": {"2025-10-28"}, "limit": {"1"}})
	if len(other.Calls) != 1 {
		t.Fatal("no call of pbx2")
	}
	if status, _ := drillGet(t, base, pbx1Only, "/v1/calls/pbx2/"+url.PathEscape(other.Calls[0]["call_id"].(string))); status != http.StatusForbidden {
		t.Errorf("pbx1's token opening a call of pbx2: %d; want 403", status)
	}
	for _, bad := range []string{"outcome=waiting", "wait_above=soon", "sort=caller", "limit=0", "limit=100000", "hours=some", "format=pdf"} {
		if status, b := drillGet(t, base, carrier, "/v1/calls?queue=servicedesk&"+bad); status != http.StatusBadRequest {
			t.Errorf("?%s: %d %s; want 400", bad, status, b)
		}
	}
}

// TestDrillDownShowsCallersAsStored: with caller numbers hashed or dropped
// (ACDSTAT_CALLER_NUMBERS), the calls listed, their CSV export and the
// call's events show the caller as stored, never the number the switch
// sent.
func TestDrillDownShowsCallersAsStored(t *testing.T) {
	for _, mode := range []string{"drop", "hash"} {
		t.Run(mode, func(t *testing.T) {
			environ := testEnv(t, "ACDSTAT_CALLER_NUMBERS="+mode, "ACDSTAT_CALLER_HASH_KEY=a-secret-of-the-hospital",
				"ACDSTAT_QUEUES="+writeFile(t, "queues.yaml", hospitalQueues))
			startServe(t, environ)
			base := "http://" + envValue(environ, "ACDSTAT_HTTP_ADDR")
			// 31 October 2025: within the raw-event retention at testToday.
			body := "1761900000|c1.1|servicedesk|NONE|ENTERQUEUE||4512345678|1\n" +
				"1761900030|c1.1|servicedesk|PJSIP/2101|CONNECT|30|c1.2|2\n" +
				"1761900090|c1.1|servicedesk|PJSIP/2101|COMPLETECALLER|30|60|1\n"
			resp, err := http.Post(base+"/v1/ingest/queue_log", "text/plain", strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Fatalf("ingest: status %d", resp.StatusCode)
			}
			waitForCounts(t, environ, map[string]map[string]int{"servicedesk": {"answered": 1}}, time.Minute)
			q := url.Values{"queue": {"servicedesk"}, "from": {"2025-10-31"}, "to": {"2025-11-01"}}
			p := drillCalls(t, base, "", q)
			if len(p.Calls) != 1 {
				t.Fatalf("%d calls listed; want 1", len(p.Calls))
			}
			c := p.Calls[0]
			caller, _ := c["caller"].(string)
			if want := map[string]string{"drop": "", "hash": "h:"}[mode]; !strings.HasPrefix(caller, want) || (mode == "drop") != (caller == "") {
				t.Errorf("caller %q; want it %s", caller, map[string]string{"drop": "empty", "hash": "hashed (h:…)"}[mode])
			}
			q.Set("format", "csv")
			_, csvBody := drillGet(t, base, "", "/v1/calls?"+q.Encode())
			_, detail := drillGet(t, base, "", "/v1/calls/"+url.PathEscape(c["switch"].(string))+"/c1.1")
			_, page := drillGet(t, base, "", "/calls/"+url.PathEscape(c["switch"].(string))+"/c1.1")
			for what, b := range map[string][]byte{"CSV": csvBody, "the call": detail, "the call's page": page} {
				if bytes.Contains(b, []byte("12345678")) || !bytes.Contains(b, []byte("c1.1")) {
					t.Errorf("%s holds the caller number, or not the call:\n%s", what, b)
				}
			}
		})
	}
}
