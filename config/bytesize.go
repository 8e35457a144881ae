package config

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
)

// byteUnits are the units a byte-size setting takes, by their lower-case
// spelling: decimal (KB = 1000 bytes) and binary (KiB = 1024 bytes), as
// people write them (2GB, 512MiB, 64KiB). A bare K, M or G is refused: it
// is read as either, depending on whom one asks.
var byteUnits = map[string]float64{
	"b":  1,
	"kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12,
	"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40,
}

// byteSizeHelp is what a byte-size setting that cannot be read is told.
const byteSizeHelp = "give a number of bytes, or one with a unit: KB, MB, GB, TB (powers of 1000) or KiB, MiB, GiB, TiB (powers of 1024), e.g. 2GiB, 512MiB, 64KiB or 2GB"

// ParseByteSize reads a size in bytes: a plain integer, or a number
// (a fraction is allowed: 1.5GiB) followed by one of the units of
// byteUnits, in any case, with or without a space between them.
func ParseByteSize(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, nil
	}
	i := strings.IndexFunc(s, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	if i <= 0 {
		return 0, fmt.Errorf("%q is not a size: %s", s, byteSizeHelp)
	}
	num, unit := s[:i], strings.ToLower(strings.TrimSpace(s[i:]))
	mult, ok := byteUnits[unit]
	f, err := strconv.ParseFloat(num, 64)
	if !ok || err != nil {
		return 0, fmt.Errorf("%q is not a size: %s", s, byteSizeHelp)
	}
	n := f * mult
	if n >= math.MaxInt64 {
		return 0, fmt.Errorf("%q is too large a size: %s", s, byteSizeHelp)
	}
	return int64(n), nil
}

// withByteSizes returns environ with the value of every byte-size variable
// (those whose name ends in _BYTES: the spool's and intake's limits) in
// plain bytes, so that env parses it into its integer field; a value that
// is not a size is an error naming the variable and the units it takes.
// Plain integers are left as they are, so Validate's range checks name them
// as given.
func withByteSizes(environ []string) ([]string, []error) {
	sizes := map[string]bool{}
	for _, v := range variableNames(reflect.TypeFor[Config](), "ACDSTAT_") {
		if strings.HasSuffix(v, "_BYTES") {
			sizes[v] = true
		}
	}
	out := make([]string, 0, len(environ))
	var errs []error
	for _, kv := range environ {
		k, v, _ := strings.Cut(kv, "=")
		if sizes[k] {
			if _, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err != nil {
				n, err := ParseByteSize(v)
				if err != nil {
					errs = append(errs, fmt.Errorf("%s: %w", k, err))
					continue
				}
				kv = k + "=" + strconv.FormatInt(n, 10)
			}
		}
		out = append(out, kv)
	}
	return out, errs
}
