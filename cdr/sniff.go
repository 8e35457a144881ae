package cdr

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// SniffBytes is how much of an input's beginning CheckFormat looks at.
const SniffBytes = 64 << 10

// kindOfInput is what the first line of an input looks like, and the flags
// of acdstat ingest that read it.
type kindOfInput struct {
	format string // the --format that reads it
	family string // "csv", "json", "xml" or "pipe": what a map may adapt
	what   string // "a queue_log table export (…)", for people
	flags  string // what to give acdstat ingest
	// needsMap: csv reads it only with a column map (--map).
	needsMap bool
}

// formatReads says, for the formats whose name does not say it, what they
// read: so a message that refuses one tells why.
var formatReads = map[string]string{
	FormatAsteriskCDR: "which reads cdr_csv and cdr_custom files without a header",
}

var (
	// queueLogLine is the start of a queue_log line as Asterisk writes it:
	// epoch|callid|queue|agent|event.
	queueLogLine = regexp.MustCompile(`^\d{9,11}(\.\d+)?\|[^|]*\|[^|]*\|[^|]*\|[A-Za-z_]+`)
	headerName   = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_ ]*$`)
	localTime    = regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d`)
)

// CheckFormat looks at the beginning of an input (up to SniffBytes) that is
// to be decoded as format, and refuses it, with one message that says what
// it looks like and which flags read it, where it is plainly another kind:
// a queue_log table export given as queue_log (every line would be refused
// as "too few fields"), a CDR table with a header given as asterisk_cdr, a
// FreeSWITCH XML CDR given as JSON, and so on. withMap says that a column
// map comes with the input (--map): then csv and json take any CSV or JSON
// the map may adapt. It returns nil where the input looks like format, or
// like nothing it knows: the decoder then says per line what is wrong.
func CheckFormat(format string, head []byte, withMap bool) error {
	if format == FormatContacts || format == FormatCases {
		// A tool's export has any columns: its header is checked against
		// the map by the decoder, which names a missing column.
		return nil
	}
	k := sniff(head)
	if k == nil {
		return nil
	}
	if k.format == format {
		if k.needsMap && !withMap {
			return fmt.Errorf("this looks like %s, not %s without a map: %s", k.what, format, k.flags)
		}
		return nil
	}
	if withMap && (format == FormatCSV || format == FormatJSON) && k.family == formatFamily(format) && k.format != SourceQueueLogDB {
		return nil
	}
	reads := ""
	if r := formatReads[format]; r != "" {
		reads = ", " + r
	}
	return fmt.Errorf("this looks like %s, not %s%s: %s", k.what, format, reads, k.flags)
}

// formatFamily is the family of input a format reads.
func formatFamily(format string) string {
	switch format {
	case FormatCSV, FormatAsteriskCDR, SourceQueueLogDB:
		return "csv"
	case FormatJSON, FormatFreeSWITCHJSON, FormatDisposition:
		return "json"
	case FormatFreeSWITCHXML:
		return "xml"
	}
	return "pipe"
}

// sniff says what the first line of head looks like, or nil.
func sniff(head []byte) *kindOfInput {
	head = bytes.TrimPrefix(head, []byte("\ufeff"))
	trimmed := bytes.TrimLeft(head, " \t\r\n")
	if len(trimmed) == 0 {
		return nil
	}
	switch trimmed[0] {
	case '<':
		return &kindOfInput{format: FormatFreeSWITCHXML, family: "xml", what: "a FreeSWITCH mod_xml_cdr CDR (XML)", flags: "--format freeswitch_xml"}
	case '{', '[':
		return sniffJSON(trimmed)
	}
	line, _, _ := bytes.Cut(trimmed, []byte("\n"))
	line = bytes.TrimRight(line, "\r")
	if queueLogLine.Match(line) {
		return &kindOfInput{format: SourceQueueLog, family: "pipe", what: "an Asterisk queue_log file (epoch|callid|queue|agent|event|…)", flags: "--format queue_log"}
	}
	return sniffCSV(line)
}

// sniffJSON tells the JSON inputs apart by the keys of the first object.
func sniffJSON(head []byte) *kindOfInput {
	has := func(key string) bool { return bytes.Contains(head, []byte(`"`+key+`"`)) }
	switch {
	case has("variables") || has("callflow"):
		return &kindOfInput{format: FormatFreeSWITCHJSON, family: "json", what: "a FreeSWITCH mod_json_cdr CDR (JSON with variables)", flags: "--format freeswitch_json"}
	case has("call_id") && has("resolved"):
		return &kindOfInput{format: FormatDisposition, family: "json", what: "dispositions (JSON with call_id and resolved)", flags: "--format disposition"}
	case has("call_id"):
		return &kindOfInput{format: FormatJSON, family: "json", what: "CDRs in acdstat's JSON schema (objects with call_id)", flags: "--format json"}
	}
	return nil
}

// sniffCSV tells the CSV inputs apart by their header, or by the shape of
// a headerless first record.
func sniffCSV(line []byte) *kindOfInput {
	r := csv.NewReader(bytes.NewReader(line))
	r.LazyQuotes = true
	r.FieldsPerRecord = -1
	rec, err := r.Read()
	if err != nil || len(rec) < 3 {
		return nil
	}
	header := true
	for _, f := range rec {
		header = header && headerName.MatchString(strings.TrimSpace(f))
	}
	if !header {
		if _, ok := astLayouts[len(rec)]; ok && slices.ContainsFunc(rec, localTime.MatchString) {
			return &kindOfInput{format: FormatAsteriskCDR, family: "csv", what: "an Asterisk CDR file (cdr_csv or cdr_custom, no header)", flags: "--format asterisk_cdr"}
		}
		return nil
	}
	names := make([]string, len(rec))
	for i, f := range rec {
		names[i] = strings.ToLower(strings.TrimSpace(f))
	}
	has := func(n string) bool { return slices.Contains(names, n) }
	first := strings.Join(rec[:min(5, len(rec))], ", ")
	if len(rec) > 5 {
		first += ", …"
	}
	mapFlags := "--format csv --map FILE with a column map (docs/CDR_FORMAT.md"
	_, notQueueLog := qlLayoutOf(rec)
	switch {
	case notQueueLog == nil:
		return &kindOfInput{format: SourceQueueLogDB, family: "csv", what: "a queue_log table export (a CSV header with time, callid, queue, agent and event columns)", flags: "--format queue_log_db"}
	case has("calldate") && (has("acctid") || has("tenant")):
		return &kindOfInput{format: FormatCSV, family: "csv", needsMap: true,
			what:  fmt.Sprintf("Bicom PBXware's cdr table exported with a header (%d columns: %s)", len(rec), first),
			flags: mapFlags + "; the one for this table is cdr/testdata/cdrfile/pbxware_cdr.map.yaml)"}
	case has("calldate") || has("src") && has("dst") && (has("uniqueid") || has("linkedid")):
		return &kindOfInput{format: FormatCSV, family: "csv", needsMap: true,
			what:  fmt.Sprintf("an Asterisk cdr table exported with a header (%d columns: %s)", len(rec), first),
			flags: mapFlags + ")"}
	case has("call_id") && has("enter_time"):
		return &kindOfInput{format: FormatCSV, family: "csv", what: "a CDR file in acdstat's schema (a CSV header with call_id and enter_time)", flags: "--format csv"}
	}
	return nil
}
