package cdr

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
)

// DecodeOptions say how to read an input. The zero value reads UTC times,
// names the switch DefaultSwitch and skips the future-time check.
type DecodeOptions struct {
	// Switch is stamped on every event; empty means DefaultSwitch.
	Switch string
	// Location is the switch's time zone, used for sources that write local
	// wall-clock times (the queue_log DB form). Nil means UTC.
	Location *time.Location
	// Now is the reference for "more than 5 minutes in the future"
	// (METRICS.md, validation). Zero skips that check.
	Now time.Time
	// Oldest, when not zero, is the oldest event time accepted: the raw-event
	// retention would drop anything older at its next run, and a time from
	// long ago is more often a broken clock than history (`acdstat ingest
	// --allow-old` clears it for a backfill).
	Oldest time.Time
	// BatchSize is the number of input lines per Batch; 0 means 8192.
	BatchSize int
	// MaxLineBytes caps one line; a longer line is rejected, not fatal.
	// 0 means 64 KiB.
	MaxLineBytes int
	// Map maps a switch's own columns onto the generic CDR schema (formats
	// csv and json); nil reads our field names (docs/CDR_FORMAT.md).
	Map *CDRMap
}

// Batch is what a decoder hands to its callback: the events decoded from a
// run of input lines, and the lines of that run it refused.
type Batch struct {
	Events  []Event
	Rejects []*DecodeError
}

// DecodeFunc reads r to its end, calling fn with batches in input order. A bad
// line never stops decoding: it becomes a DecodeError in the batch's Rejects.
// DecodeFunc returns an error only when reading r fails or fn returns one.
// fn must not retain the batch's slices after it returns.
type DecodeFunc func(r io.Reader, opt DecodeOptions, fn func(Batch) error) error

// decoders maps a format name (the --format of `acdstat ingest`) to its decoder.
var decoders = map[string]DecodeFunc{
	SourceQueueLog:       DecodeQueueLog,
	SourceQueueLogDB:     DecodeQueueLogDB,
	FormatFreeSWITCHJSON: DecodeFreeSWITCHJSON,
	FormatFreeSWITCHXML:  DecodeFreeSWITCHXML,
	FormatDisposition:    DecodeDispositions,
	FormatAsteriskCDR:    DecodeAsteriskCDR,
	FormatCSV:            DecodeCDRCSV,
	FormatJSON:           DecodeCDRJSON,
	FormatContacts:       DecodeContacts,
	FormatCases:          DecodeCases,
}

// Decoder returns the decoder of a format, or an error listing the formats.
func Decoder(format string) (DecodeFunc, error) {
	if d, ok := decoders[format]; ok {
		return d, nil
	}
	return nil, fmt.Errorf("cdr: unknown format %q (known: %v)", format, Formats())
}

// Formats lists the known format names, sorted.
func Formats() []string {
	var names []string
	for n := range decoders {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func (o DecodeOptions) withDefaults() DecodeOptions {
	if o.Switch == "" {
		o.Switch = DefaultSwitch
	}
	if o.Location == nil {
		o.Location = time.UTC
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 8192
	}
	if o.MaxLineBytes <= 0 {
		o.MaxLineBytes = 64 << 10
	}
	return o
}

// Storable event times: ClickHouse's DateTime holds Unix seconds in a
// UInt32, so 1900 would be stored as 2036 and year 1 as 0000-00-00.
var (
	minStorable = time.Unix(0, 0).UTC()
	maxStorable = time.Unix(maxEpoch, 0).UTC()
)

// CheckTime says why an event time cannot be taken, or "" when it can:
// outside what the store holds (1970 to 2106), before Oldest, or more than
// 5 minutes after Now (METRICS.md, Validation). Every decoder checks every
// time it reads with it.
func (o *DecodeOptions) CheckTime(t time.Time) string {
	switch {
	case t.Before(minStorable) || t.After(maxStorable):
		return fmt.Sprintf("time %s is outside what can be stored (%s to %s)",
			t.UTC().Format(time.RFC3339), minStorable.Format(time.DateOnly), maxStorable.Format(time.DateOnly))
	case !o.Oldest.IsZero() && t.Before(o.Oldest):
		return fmt.Sprintf("time %s is older than %s, the oldest accepted (the raw-event retention, ACDSTAT_RETENTION_EVENTS; acdstat ingest --allow-old takes older times for a backfill)",
			t.UTC().Format(time.RFC3339), o.Oldest.UTC().Format(time.RFC3339))
	case !o.Now.IsZero() && t.Sub(o.Now) > maxFuture:
		return fmt.Sprintf("time %s is %s in the future (more than %s after now)",
			t.UTC().Format(time.RFC3339), t.Sub(o.Now).Round(time.Second), maxFuture)
	}
	return ""
}

// The limits every decoder shares.
const (
	maxSeconds  = 24 * 60 * 60    // METRICS.md: a wait over 24 h is rejected
	maxFuture   = 5 * time.Minute // METRICS.md: more than 5 min ahead is rejected
	maxEpoch    = 1<<32 - 1       // ClickHouse DateTime is UInt32 seconds
	maxRawBytes = 256             // Raw kept for a line refused as too long
)

// batcher collects events and rejects and hands them to fn every size input
// lines. It allocates fresh slices after every call, so fn may keep nothing
// and the decoder never reuses what fn saw.
type batcher struct {
	fn    func(Batch) error
	size  int
	lines int
	b     Batch
}

func (q *batcher) event(e Event)         { q.b.Events = append(q.b.Events, e) }
func (q *batcher) reject(d *DecodeError) { q.b.Rejects = append(q.b.Rejects, d) }

// line counts one input line and flushes when the batch is full.
func (q *batcher) line() error {
	q.lines++
	if q.lines < q.size {
		return nil
	}
	return q.flush()
}

func (q *batcher) flush() error {
	q.lines = 0
	if len(q.b.Events) == 0 && len(q.b.Rejects) == 0 {
		return nil
	}
	b := q.b
	// The next batch is fresh memory, sized like this one so that a long
	// input does not regrow it by doubling; a short one pays nothing.
	q.b = Batch{Events: make([]Event, 0, len(b.Events))}
	return q.fn(b)
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// clip shortens a value quoted in a reason.
func clip(s string) string {
	if len(s) > 40 {
		return strings.ToValidUTF8(s[:40], "") + "…"
	}
	return s
}
