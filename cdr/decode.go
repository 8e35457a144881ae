package cdr

import (
	"fmt"
	"io"
	"sort"
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
