package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/acdstat/acdstat/cdr"
)

// cdrMapFile is the YAML of a CDR column mapping (`acdstat ingest --map`,
// docs/CDR_FORMAT.md).
type cdrMapFile struct {
	Columns    map[string]string `yaml:"columns"`
	Header     *bool             `yaml:"header"`
	TimeFormat string            `yaml:"time_format"`
	Timezone   string            `yaml:"timezone"`
	Outcomes   map[string]string `yaml:"outcomes"`
	Null       []string          `yaml:"null_values"`
}

// LoadCDRMap reads a CDR column mapping file. An empty path means none.
func LoadCDRMap(path string) (*cdr.CDRMap, error) {
	if path == "" {
		return nil, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read CDR map: %w", err)
	}
	return ParseCDRMap(data, path)
}

// ParseCDRMap parses and checks a CDR column mapping; name is used in error
// messages. Every problem is reported at once.
func ParseCDRMap(data []byte, name string) (*cdr.CDRMap, error) {
	var f cdrMapFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: cannot read CDR map: %w", name, err)
	}
	var errs []error
	fail := func(format string, a ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", name, fmt.Sprintf(format, a...)))
	}
	m := &cdr.CDRMap{Columns: map[string]string{}, TimeFormat: f.TimeFormat, Null: f.Null,
		NoHeader: f.Header != nil && !*f.Header}
	fields := slices.Sorted(func(yield func(string) bool) {
		for k := range f.Columns {
			if !yield(k) {
				return
			}
		}
	})
	for _, k := range fields {
		v := strings.TrimSpace(f.Columns[k])
		switch {
		case !slices.Contains(cdr.CDRFields, k):
			fail("columns: %q is not a field of the CDR schema (fields: %s)", k, strings.Join(cdr.CDRFields, ", "))
		case v == "":
			fail("columns: %s names no column", k)
		case m.NoHeader:
			if n, err := strconv.Atoi(v); err != nil || n < 1 {
				fail("columns: %s is %q; with header: false a column is its number, from 1", k, v)
			}
		}
		m.Columns[k] = v
	}
	if m.NoHeader {
		for _, k := range []string{"call_id", "enter_time"} {
			if _, ok := m.Columns[k]; !ok {
				fail("columns: %s is required with header: false", k)
			}
		}
	}
	if slices.Contains(f.Null, "") {
		fail("null_values: an empty entry (write \"NULL\" in quotes: a bare NULL is YAML's null)")
	}
	if f.TimeFormat != "" && !strings.ContainsAny(f.TimeFormat, "0123456789") {
		fail("time_format %q is not a Go time layout (write the reference time, e.g. \"2006-01-02 15:04:05\")", f.TimeFormat)
	}
	if f.Timezone != "" {
		loc, err := time.LoadLocation(f.Timezone)
		if err != nil {
			fail("timezone %q: %v", f.Timezone, err)
		}
		m.Location = loc
	}
	if len(f.Outcomes) > 0 {
		m.Outcomes = map[string]cdr.Outcome{}
	}
	for k, v := range f.Outcomes {
		o, ok := cdr.ParseOutcome(v)
		if !ok {
			fail("outcomes: %q maps to %q, which is not answered, abandoned, timeout, exit_key, exit_other or unknown", k, v)
		}
		m.Outcomes[k] = o
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return m, nil
}
