package report

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/acdstat/acdstat/cdr"
)

// Threshold is a row's figures at one wait threshold T (METRICS.md, "Any
// threshold"), as JSON shows them in the row's "thresholds": the counts of
// answered and abandoned calls that waited at most T, the service level by
// the row's sla_formula with T in place of sla_s and whether it meets
// sla_target, and the share of the offered calls that hung up within T.
// Every figure is null where the row's period holds calls counted before
// the waits per outcome were kept (migration 0014: the figures are
// unknown, and acdstat rebuild counts them); a ratio is null where its
// denominator is zero.
type Threshold struct {
	SLAS                int      `json:"sla_s"`
	AnsweredWithin      *uint64  `json:"answered_within"`
	AbandonedWithin     *uint64  `json:"abandoned_within"`
	ServiceLevel        *float64 `json:"service_level"`
	SLAMet              *bool    `json:"sla_met"`
	AbandonedWithinRate *float64 `json:"abandoned_within_rate"`
}

// MaxThresholds bounds the thresholds of one report.
const MaxThresholds = 10

// ParseThresholds reads the thresholds of acdstat report --sla and of the
// API's ?sla=: a comma-separated list of waits, each a whole number of
// seconds ("20") or a duration in whole seconds ("20s", "1m", "1m30s"),
// from 0 s to 24 h (no counted wait is longer). A threshold given twice is
// kept once, where it first appears; at most MaxThresholds.
func ParseThresholds(s string) ([]int, error) {
	if strings.TrimSpace(s) == "" {
		return nil, fmt.Errorf("no threshold: give waits such as 20s,60s")
	}
	var out []int
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			return nil, fmt.Errorf("empty threshold in %q: give waits such as 20s,60s", s)
		}
		n, err := strconv.Atoi(part)
		if err != nil {
			d, derr := time.ParseDuration(part)
			if derr != nil {
				return nil, fmt.Errorf("threshold %q is not a number of seconds (20) nor a duration (20s, 1m)", part)
			}
			if d%time.Second != 0 {
				return nil, fmt.Errorf("threshold %q: waits are counted in whole seconds", part)
			}
			n = int(d / time.Second)
		}
		if n < 0 || n > cdr.MaxThresholdS {
			return nil, fmt.Errorf("threshold %q: use a wait from 0 s to 24 h", part)
		}
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	if len(out) > MaxThresholds {
		return nil, fmt.Errorf("%d thresholds: give at most %d", len(out), MaxThresholds)
	}
	return out, nil
}

// AddThresholds sets the Thresholds of every row, one per wait of ts in
// that order, from the row's counts and with the sla_formula and
// sla_target its counts were made with. rows are those of Build or
// BuildDistribution.
func AddThresholds(rows []Row, ts []int) {
	for i := range rows {
		r := &rows[i]
		r.Thresholds = make([]Threshold, 0, len(ts))
		for _, t := range ts {
			th := r.counts.AtThreshold(t, r.with)
			r.Thresholds = append(r.Thresholds, Threshold{
				SLAS: t, AnsweredWithin: th.AnsweredWithin, AbandonedWithin: th.AbandonedWithin,
				ServiceLevel: th.ServiceLevel, SLAMet: th.SLAMet, AbandonedWithinRate: th.AbandonedWithinRate,
			})
		}
	}
}

// thresholdsOf returns the thresholds of rows (those of the first row:
// AddThresholds gives every row the same), in order.
func thresholdsOf(rows []Row) []int {
	if len(rows) == 0 {
		return nil
	}
	out := make([]int, len(rows[0].Thresholds))
	for i, th := range rows[0].Thresholds {
		out[i] = th.SLAS
	}
	return out
}

// thresholdColumns are the CSV and XLSX columns of the thresholds ts, after
// the report's own: per threshold T, answered_within_Ts,
// abandoned_within_Ts, service_level_Ts, sla_met_Ts and
// abandoned_within_rate_Ts.
func thresholdColumns(ts []int) []string {
	var out []string
	for _, t := range ts {
		s := strconv.Itoa(t) + "s"
		out = append(out, "answered_within_"+s, "abandoned_within_"+s, "service_level_"+s, "sla_met_"+s, "abandoned_within_rate_"+s)
	}
	return out
}
