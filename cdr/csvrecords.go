package cdr

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
)

// csvInput says how csvRecords reads one CSV input.
type csvInput struct {
	what string // the input, for errors: "asterisk cdr"
	// header, when set, takes the first record (nil when it is not CSV,
	// with perr saying why) and refuses it, which ends the input, or
	// accepts it as the header (it is then not passed to record).
	header func(rec []string, perr *csv.ParseError) *DecodeError
	// record decodes one record; a zero Event and no error pass nothing
	// on now (a header line, or an event held back for finish).
	record func(rec []string, line int, raw []byte) (Event, *DecodeError)
	// finish, when set, passes on what record held back, at the end.
	finish func(emit func(Event))
}

// csvRecords reads CSV records (lazy quotes, any field count) with in and
// batches its events and rejects by the rules of DecodeQueueLog: a record
// that is not CSV or is longer than opt.MaxLineBytes is rejected, a blank
// line skipped, a byte order mark on the first line dropped, and a bad
// record never stops the input (but a refused header does). The CSV loop of
// every CSV format (queue_log table exports, generic CDRs, cdr_csv).
func csvRecords(r io.Reader, opt *DecodeOptions, fn func(Batch) error, in csvInput) error {
	tee := &readTee{r: r}
	cr := csv.NewReader(tee)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	cr.ReuseRecord = true
	q := &batcher{fn: fn, size: opt.BatchSize}
	var start int64
	header := in.header
	for {
		rec, err := cr.Read()
		end := cr.InputOffset()
		if err == io.EOF {
			break
		}
		var perr *csv.ParseError
		if err != nil && !errors.As(err, &perr) {
			return fmt.Errorf("cannot read %s: %w", in.what, err)
		}
		raw := tee.take(start, end)
		start = end
		line := 0
		if err == nil {
			line, _ = cr.FieldPos(0)
			if line == 1 && len(rec) > 0 {
				rec[0] = strings.TrimPrefix(rec[0], "\ufeff")
			}
		} else {
			line = perr.StartLine
		}
		if header != nil {
			if err != nil {
				rec = nil
			}
			if derr := header(rec, perr); derr != nil {
				derr.Line, derr.Raw = line, rawLine(raw)
				q.reject(derr)
				break
			}
			header = nil
			tee.forget(end)
			continue
		}
		switch {
		case err != nil:
			q.reject(&DecodeError{Line: line, Reason: "bad csv: " + perr.Err.Error(), Raw: rawLine(raw)})
		case len(raw) > opt.MaxLineBytes:
			q.reject(&DecodeError{Line: line, Reason: fmt.Sprintf("line is longer than %d bytes", opt.MaxLineBytes),
				Raw: string(raw[:min(len(raw), maxRawBytes)])})
		case len(rec) == 1 && strings.TrimSpace(rec[0]) == "":
			// a line of blanks: skipped, as in the file form
		default:
			e, derr := in.record(rec, line, raw)
			switch {
			case derr != nil:
				derr.Line = line
				if derr.Raw == "" {
					derr.Raw = rawLine(raw[:min(len(raw), opt.MaxLineBytes)])
				}
				q.reject(derr)
			case e.Verb != "":
				e.Line = line
				q.event(e)
			}
		}
		tee.forget(end)
		if ferr := q.line(); ferr != nil {
			return ferr
		}
	}
	if in.finish != nil {
		in.finish(q.event)
	}
	return q.flush()
}

// readTee keeps the bytes csv.Reader has read but not yet consumed, so a
// rejected record can quote its raw text. base is the input offset of buf[0].
type readTee struct {
	r    io.Reader
	buf  []byte
	base int64
}

func (t *readTee) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	t.buf = append(t.buf, p[:n]...)
	return n, err
}

// take returns the input from offset from to offset to.
func (t *readTee) take(from, to int64) []byte {
	return t.buf[from-t.base : to-t.base]
}

// forget drops the input before offset to once enough has piled up, so the
// copy costs little per record.
func (t *readTee) forget(to int64) {
	if k := to - t.base; k > 64<<10 {
		t.buf = append(t.buf[:0], t.buf[k:]...)
		t.base = to
	}
}

// rawLine is a record's raw text without its line end.
func rawLine(raw []byte) string {
	return strings.TrimRight(string(raw), "\r\n")
}
