package config

import (
	"os"
	"strings"
	"testing"

	"github.com/acdstat/acdstat/cdr"
)

func decodeWithMap(t *testing.T, mapFile, path string, format string) ([]cdr.Event, []*cdr.DecodeError) {
	t.Helper()
	m, err := LoadCDRMap(mapFile)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		t.Skipf("%s is absent (../shared is not beside the repository)", path)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec, err := cdr.Decoder(format)
	if err != nil {
		t.Fatal(err)
	}
	var events []cdr.Event
	var rejects []*cdr.DecodeError
	if err := dec(f, cdr.DecodeOptions{Switch: "pbx", Map: m}, func(b cdr.Batch) error {
		events = append(events, b.Events...)
		rejects = append(rejects, b.Rejects...)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return events, rejects
}

// TestCDRMapPBXware reads the real PBXware cdr table export through the
// generic csv decoder and testdata's map: 1000 rows, 1000 plain CDR
// events (it has no queue column), no queue calls, times in Detroit.
func TestCDRMapPBXware(t *testing.T) {
	events, rejects := decodeWithMap(t, "../cdr/testdata/cdrfile/pbxware_cdr.map.yaml", "../../shared/testdata/acd/pbxware_cdr_dbexport.csv", "csv")
	if len(rejects) != 0 {
		t.Errorf("got %d rejects, first %v; want none", len(rejects), rejects[0])
	}
	if len(events) != 1000 {
		t.Fatalf("got %d events; want 1000", len(events))
	}
	e := events[0] // 1,…,1115,2484363600,…,"2018-11-29 20:19:34",37,32,NULL,ANSWERED,…,1543540774.0,…
	if e.Verb != cdr.FSVerbCDR || e.CallID != "1543540774.0" || e.Time.Unix() != 1543540774 ||
		e.Data != [5]string{"2484363600", "1115", "32", "ANSWERED", ""} || e.Agent != "" {
		t.Errorf("first row: got %+v", e)
	}
	if calls := cdr.BuildCalls(events, cdr.BuildOptions{}); len(calls) != 0 {
		t.Errorf("got %d queue calls; want none from a CDR export without a queue column", len(calls))
	}
}

// TestCDRMapSpreadsheetMangledFile: the FreeSWITCH Master.csv re-saved by a
// spreadsheet has times without seconds; every row is refused naming the
// field and the expected format, and nothing becomes an event.
func TestCDRMapSpreadsheetMangledFile(t *testing.T) {
	events, rejects := decodeWithMap(t, "../cdr/testdata/cdrfile/freeswitch_csv.map.yaml", "../../shared/testdata/acd/freeswitch_cdr_csv_Master.csv", "csv")
	if len(events) != 0 {
		t.Errorf("got %d events; want none", len(events))
	}
	if len(rejects) != 10 {
		t.Errorf("got %d rejects; want one per row (10)", len(rejects))
	}
	for _, r := range rejects {
		if r.Field != "enter_time" || !strings.Contains(r.Reason, "has no seconds") || !strings.Contains(r.Reason, `"2006/1/2 15:04:05"`) {
			t.Errorf("line %d: got %v; want enter_time without seconds, naming the format", r.Line, r)
		}
	}
}

func TestParseCDRMapErrors(t *testing.T) {
	_, err := ParseCDRMap([]byte(`
header: false
columns: {call_id: "A", bogus: "x", queue: ""}
timezone: Mars/Olympus
outcomes: {ANSWERED: picked_up}
`), "m.yaml")
	if err == nil {
		t.Fatal("got nil error")
	}
	for _, want := range []string{`call_id is "A"`, `"bogus" is not a field`, "queue names no column", "enter_time is required", "Mars/Olympus", `"picked_up"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if _, err := ParseCDRMap([]byte("colums: {}\n"), "m.yaml"); err == nil || !strings.Contains(err.Error(), "colums") {
		t.Errorf("unknown key: got %v", err)
	}
	m, err := ParseCDRMap([]byte("columns: {call_id: ID}\noutcomes: {ANSWERED: answered, \"NO ANSWER\": abandoned}\n"), "m.yaml")
	if err != nil || m.Columns["call_id"] != "ID" || m.Outcomes["NO ANSWER"] != cdr.Abandoned {
		t.Errorf("got %+v, %v", m, err)
	}
}

// TestCDRMapTransferredColumn: the transferred field is mapped like every
// other field, and a row that says yes counts as answered and transferred.
func TestCDRMapTransferredColumn(t *testing.T) {
	m, err := ParseCDRMap([]byte("columns: {call_id: ID, enter_time: Start, queue: Group, outcome: Result, wait_s: Hold, talk_s: Talk, transferred: Xfer}\noutcomes: {CONNECTED: answered}\n"), "m.yaml")
	if err != nil {
		t.Fatal(err)
	}
	in := "ID,Start,Group,Result,Hold,Talk,Xfer\nc1,1709280000,support,CONNECTED,12,90,Y\nc2,1709280100,support,CONNECTED,12,90,yes\nc3,1709280200,support,CONNECTED,12,90,no\n"
	var calls []cdr.QueueCall
	var rejects []*cdr.DecodeError
	if err := cdr.DecodeCDRCSV(strings.NewReader(in), cdr.DecodeOptions{Map: m}, func(b cdr.Batch) error {
		calls = append(calls, cdr.BuildCalls(b.Events, cdr.BuildOptions{})...)
		rejects = append(rejects, b.Rejects...)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	// Y is not one of the written forms: the row is refused by its field.
	if len(rejects) != 1 || rejects[0].Line != 2 || rejects[0].Field != "transferred" {
		t.Errorf("got rejects %v; want line 2 refused in transferred", rejects)
	}
	if len(calls) != 2 || calls[0].CallID != "c2" || !calls[0].Transferred || calls[0].Outcome != cdr.Answered || calls[1].Transferred {
		t.Errorf("got %+v; want c2 answered and transferred, c3 answered", calls)
	}
}
