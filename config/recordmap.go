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

// recordMapFile is the YAML of a column map of contacts or cases (`acdstat
// ingest --format contacts|cases --map FILE`): the keys of a CDR map, with
// the fields of cdr.ContactFields or cdr.CaseFields, and values, which
// translates a tool's words for channel, criticality and first_contact to
// ours.
type recordMapFile struct {
	Columns    map[string]string            `yaml:"columns"`
	Header     *bool                        `yaml:"header"`
	TimeFormat string                       `yaml:"time_format"`
	Timezone   string                       `yaml:"timezone"`
	Null       []string                     `yaml:"null_values"`
	Values     map[string]map[string]string `yaml:"values"`
}

// LoadRecordMap returns the --map of format contacts or cases: "" for none
// (our column names), a shipped tool's name (cdr.ShippedCaseMaps), or a
// YAML file.
func LoadRecordMap(nameOrPath, format string) (*cdr.CDRMap, error) {
	if nameOrPath == "" {
		return nil, nil
	}
	if m, ok := cdr.ShippedCaseMaps[strings.ToLower(nameOrPath)]; ok && format == cdr.FormatCases {
		return m, nil
	}
	data, err := os.ReadFile(nameOrPath)
	if err != nil {
		return nil, fmt.Errorf("cannot read the %s map (a file, or for cases one of the shipped maps: servicenow, topdesk, jira, otrs): %w", format, err)
	}
	return ParseRecordMap(data, nameOrPath, format)
}

// ParseRecordMap parses and checks a column map of format contacts or
// cases; name is used in error messages. Every problem is reported at
// once.
func ParseRecordMap(data []byte, name, format string) (*cdr.CDRMap, error) {
	fields := cdr.ContactFields
	if format == cdr.FormatCases {
		fields = cdr.CaseFields
	}
	var f recordMapFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: cannot read the %s map: %w", name, format, err)
	}
	var errs []error
	fail := func(msg string, a ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", name, fmt.Sprintf(msg, a...)))
	}
	m := &cdr.CDRMap{Columns: map[string]string{}, TimeFormat: f.TimeFormat, Null: f.Null, NoHeader: f.Header != nil && !*f.Header}
	for _, k := range sortedKeys(f.Columns) {
		v := strings.TrimSpace(f.Columns[k])
		switch {
		case !slices.Contains(fields, k):
			fail("columns: %q is not a field of %s (fields: %s)", k, format, strings.Join(fields, ", "))
		case v == "":
			fail("columns: %s names no column", k)
		case m.NoHeader:
			if n, err := strconv.Atoi(v); err != nil || n < 1 {
				fail("columns: %s is %q; with header: false a column is its number, from 1", k, v)
			}
		}
		m.Columns[k] = v
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
	for _, field := range sortedKeys(f.Values) {
		if !slices.Contains(fields, field) || !slices.Contains([]string{"channel", "criticality", "first_contact"}, field) {
			fail("values: %s takes no values (only channel, criticality, first_contact)", field)
			continue
		}
		for _, from := range sortedKeys(f.Values[field]) {
			to := f.Values[field][from]
			switch field {
			case "criticality":
				if !slices.Contains(cdr.Criticalities, to) {
					fail("values: criticality: %q maps to %q, which is not critical, high, medium or normal", from, to)
				}
			case "first_contact":
				if to != "true" && to != "false" {
					fail("values: first_contact: %q maps to %q, which is not true or false", from, to)
				}
			}
		}
		if m.Values == nil {
			m.Values = map[string]map[string]string{}
		}
		m.Values[field] = f.Values[field]
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return m, nil
}
