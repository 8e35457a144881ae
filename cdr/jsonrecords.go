package cdr

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// jsonRecords reads the JSON records of an input: objects one after
// another (NDJSON, or FreeSWITCH's files), an array of objects, or several
// of either; record numbers count the objects from 1 across the input. Each
// object goes to record with the batcher its events go to; a refusal that
// record returns is kept with the start of the object as Raw. A value that
// is not an object (a string, null, an array inside the array) is refused
// and reading goes on; text that is not JSON is refused and ends the input,
// since nothing after it can be framed. what names a record in refusals
// ("CDR", "disposition"). The JSON loop of every JSON format.
func jsonRecords(r io.Reader, opt *DecodeOptions, fn func(Batch) error, what string, record func(raw json.RawMessage, rec int, q *batcher) *DecodeError) error {
	dec := json.NewDecoder(r)
	dec.UseNumber()
	q := &batcher{fn: fn, size: opt.BatchSize}
	rec := 0
	for {
		var raw json.RawMessage
		err := dec.Decode(&raw)
		if err == io.EOF {
			break
		}
		if err != nil {
			var se *json.SyntaxError
			if errors.As(err, &se) || errors.Is(err, io.ErrUnexpectedEOF) {
				q.reject(&DecodeError{Line: rec + 1, Field: "json", Reason: fmt.Sprintf("not JSON (a %s is a JSON object): %v", what, err)})
				break
			}
			return fmt.Errorf("cannot read JSON %ss: %w", what, err)
		}
		items := []json.RawMessage{raw}
		if t := bytes.TrimSpace(raw); len(t) > 0 && t[0] == '[' {
			items = nil
			if err := json.Unmarshal(t, &items); err != nil {
				rec++
				q.reject(&DecodeError{Line: rec, Field: "json", Reason: fmt.Sprintf("not an array of %s objects: %v", what, err), Raw: rawStart(raw)})
				if err := q.line(); err != nil {
					return err
				}
				continue
			}
		}
		for _, it := range items {
			rec++
			var derr *DecodeError
			if t := bytes.TrimSpace(it); len(t) == 0 || t[0] != '{' {
				derr = &DecodeError{Line: rec, Field: "json", Reason: fmt.Sprintf("%s is not a %s object", jsonKind(t), what)}
			} else {
				derr = record(it, rec, q)
			}
			if derr != nil {
				derr.Line = rec
				if derr.Raw == "" {
					derr.Raw = rawStart(it)
				}
				q.reject(derr)
			}
			if err := q.line(); err != nil {
				return err
			}
		}
	}
	return q.flush()
}

// jsonKind names the kind of a JSON value for a refusal.
func jsonKind(t []byte) string {
	if len(t) == 0 {
		return "nothing"
	}
	switch t[0] {
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 'n':
		return "null"
	case 't', 'f':
		return "a boolean"
	}
	return "a number"
}

// rawStart keeps the start of a refused record for operators.
func rawStart(b []byte) string {
	return string(b[:min(len(b), maxRawBytes)])
}
