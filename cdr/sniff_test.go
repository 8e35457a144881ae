package cdr

import (
	"os"
	"strings"
	"testing"
)

// readHead returns the first bytes of a test file, as acdstat ingest reads
// them before decoding.
func readHead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) && strings.HasPrefix(path, "../../shared/") {
		t.Skipf("%s is absent (../shared is not beside the repository)", path)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b[:min(len(b), SniffBytes)]
}

// TestCheckFormatPointsToTheFormatThatFits gives each decoder an input of
// another kind and reads the one message a person gets instead of a reject
// per line: what the input looks like, and the flags that read it.
func TestCheckFormatPointsToTheFormatThatFits(t *testing.T) {
	const shared = "../../shared/testdata/acd/"
	for _, tc := range []struct {
		name, format, file string
		withMap            bool
		want               string // "" when the format fits
	}{
		{"PBXware queue_log export as queue_log", SourceQueueLog, shared + "pbxware_queue_log_dbexport.csv", false,
			"this looks like a queue_log table export (a CSV header with time, callid, queue, agent and event columns), not queue_log: --format queue_log_db"},
		{"realtime queue_log export as queue_log", SourceQueueLog, "testdata/queuelog/bad.csv", false,
			"this looks like a queue_log table export (a CSV header with time, callid, queue, agent and event columns), not queue_log: --format queue_log_db"},
		{"queue_log export as csv", FormatCSV, shared + "pbxware_queue_log_dbexport.csv", true,
			"not csv: --format queue_log_db"},
		{"PBXware CDR export as asterisk_cdr", FormatAsteriskCDR, shared + "pbxware_cdr_dbexport.csv", false,
			"this looks like Bicom PBXware's cdr table exported with a header (26 columns: AcctId, tenant, clid, src, dst, …), not asterisk_cdr, which reads cdr_csv and cdr_custom files without a header: --format csv --map FILE with a column map (docs/CDR_FORMAT.md; the one for this table is cdr/testdata/cdrfile/pbxware_cdr.map.yaml)"},
		{"PBXware CDR export as csv without a map", FormatCSV, shared + "pbxware_cdr_dbexport.csv", false,
			"not csv without a map: --format csv --map FILE"},
		{"PBXware CDR export as csv with its map", FormatCSV, shared + "pbxware_cdr_dbexport.csv", true, ""},
		{"PBXware CDR export as queue_log", SourceQueueLog, shared + "pbxware_cdr_dbexport.csv", false,
			"not queue_log: --format csv --map FILE"},
		{"queue_log as queue_log_db", SourceQueueLogDB, "testdata/queuelog/bad.log", false,
			"this looks like an Asterisk queue_log file (epoch|callid|queue|agent|event|…), not queue_log_db: --format queue_log"},
		{"queue_log as queue_log", SourceQueueLog, "testdata/queuelog/bad.log", false, ""},
		{"cdr_csv as asterisk_cdr", FormatAsteriskCDR, "testdata/cdrfile/asterisk.csv", false, ""},
		{"cdr_csv as queue_log", SourceQueueLog, "testdata/cdrfile/asterisk.csv", false,
			"this looks like an Asterisk CDR file (cdr_csv or cdr_custom, no header), not queue_log: --format asterisk_cdr"},
		{"generic CSV as queue_log", SourceQueueLog, "testdata/cdrfile/generic.csv", false,
			"this looks like a CDR file in acdstat's schema (a CSV header with call_id and enter_time), not queue_log: --format csv"},
		{"generic CSV as csv", FormatCSV, "testdata/cdrfile/generic.csv", false, ""},
		{"FreeSWITCH JSON as json", FormatJSON, "testdata/freeswitch/answered.json", false,
			"this looks like a FreeSWITCH mod_json_cdr CDR (JSON with variables), not json: --format freeswitch_json"},
		{"FreeSWITCH JSON as queue_log", SourceQueueLog, "testdata/freeswitch/answered.json", false,
			"not queue_log: --format freeswitch_json"},
		{"FreeSWITCH JSON as freeswitch_json", FormatFreeSWITCHJSON, "testdata/freeswitch/answered.json", false, ""},
		{"FreeSWITCH XML as freeswitch_json", FormatFreeSWITCHJSON, "testdata/freeswitch/answered.xml", false,
			"this looks like a FreeSWITCH mod_xml_cdr CDR (XML), not freeswitch_json: --format freeswitch_xml"},
		{"generic NDJSON as freeswitch_json", FormatFreeSWITCHJSON, "testdata/cdrfile/generic.ndjson", false,
			"this looks like CDRs in acdstat's JSON schema (objects with call_id), not freeswitch_json: --format json"},
		{"generic JSON array as json", FormatJSON, "testdata/cdrfile/generic_array.json", false, ""},
	} {
		err := CheckFormat(tc.format, readHead(t, tc.file), tc.withMap)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: got %v; want no objection", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: got %v; want an error containing %q", tc.name, err, tc.want)
		}
	}
}

// TestCheckFormatLeavesWhatItDoesNotKnow: input that looks like nothing it
// knows, or like the format asked for, is left to the decoder, which says
// per line what is wrong.
func TestCheckFormatLeavesWhatItDoesNotKnow(t *testing.T) {
	for _, head := range []string{
		"garbage\n",
		"1700000000|c1.1|servicedesk|NONE|ENTERQUEUE||4512345678|1\nnot-a-time|c1|q|NONE|X\n",
		"\ufeff\n\n1700000000|c1.1|servicedesk|NONE|ENTERQUEUE||4512345678|1\n",
		"a,b,c\n1,2,3\n",
	} {
		if err := CheckFormat(SourceQueueLog, []byte(head), false); err != nil {
			t.Errorf("%q: got %v; want no objection", head, err)
		}
	}
}
