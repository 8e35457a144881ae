package report

import (
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestAxisTicks(t *testing.T) {
	for _, tc := range []struct {
		kind AxisKind
		max  float64
		want []float64
	}{
		{AxisCount, 0, []float64{0, 1}},
		{AxisCount, 0.4, []float64{0, 1}},
		{AxisCount, 1, []float64{0, 1}},
		{AxisCount, 7, []float64{0, 2, 4, 6, 8}},
		{AxisCount, 10, []float64{0, 2, 4, 6, 8, 10}},
		{AxisCount, 174, []float64{0, 50, 100, 150, 200}},
		{AxisCount, 201, []float64{0, 50, 100, 150, 200, 250}},
		{AxisCount, 1234, []float64{0, 500, 1000, 1500}},
		{AxisShare, 1, []float64{0, 0.2, 0.4, 0.6, 0.8, 1}},
		{AxisShare, 0.07, []float64{0, 0.02, 0.04, 0.06, 0.08}},
		// The right Axis of the issue: 0:13, 0:25, 0:38 (a top of 50 s in quarters) no more.
		{AxisSeconds, 38, []float64{0, 10, 20, 30, 40}},
		{AxisSeconds, 50, []float64{0, 10, 20, 30, 40, 50}},
		{AxisSeconds, 80, []float64{0, 30, 60, 90}},
		{AxisSeconds, 200, []float64{0, 60, 120, 180, 240}},
		{AxisSeconds, 0, []float64{0, 30, 60}},
		{AxisSeconds, 3700, []float64{0, 900, 1800, 2700, 3600, 4500}},
	} {
		if got := AxisTicks(tc.kind, tc.max); !slices.Equal(got, tc.want) {
			t.Errorf("AxisTicks(%v, %v): got %v; want %v", tc.kind, tc.max, got, tc.want)
		}
	}
}

// TestAxisTicksAreRound checks every top from 0 to a day of seconds, and
// counts to a million: ticks start at 0, step evenly by a round step of
// their kind, hold the top with less than a step to spare, and are at most
// five intervals; seconds read as whole m:ss steps (0:30, 1:00, 2:00…).
func TestAxisTicksAreRound(t *testing.T) {
	roundCount := func(s float64) bool {
		e := math.Pow(10, math.Floor(math.Log10(s)+1e-9))
		m := math.Round(s / e)
		return (m == 1 || m == 2 || m == 5) && math.Abs(m*e-s) < 1e-9*s
	}
	roundSeconds := func(s float64) bool {
		return slices.Contains([]float64{5, 10, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400}, s)
	}
	check := func(kind AxisKind, max float64, round func(float64) bool) {
		t.Helper()
		ts := AxisTicks(kind, max)
		if len(ts) < 2 || len(ts) > 6 || ts[0] != 0 {
			t.Fatalf("AxisTicks(%v, %v) = %v; want 0 and one to five steps", kind, max, ts)
		}
		step := ts[1]
		for i, v := range ts {
			if math.Abs(v-float64(i)*step) > 1e-9*step {
				t.Fatalf("AxisTicks(%v, %v) = %v: tick %d is not %d steps of %v", kind, max, ts, i, i, step)
			}
		}
		top := ts[len(ts)-1]
		if !round(step) || top < max || max > 0 && top-step >= max && len(ts) > 2 {
			t.Fatalf("AxisTicks(%v, %v) = %v: step %v round %v, top %v", kind, max, ts, step, round(step), top)
		}
		if kind == AxisSeconds {
			for _, v := range ts {
				if l := MinSec(v); !regexp.MustCompile(`^(\d+:)?\d+:\d[05]$`).MatchString(l) {
					t.Fatalf("AxisTicks(seconds, %v): tick %q is not a round m:ss", max, l)
				}
			}
		}
	}
	for s := 1.0; s <= 86400; s = math.Ceil(s * 1.07) {
		check(AxisSeconds, s, roundSeconds)
		check(AxisSeconds, s-0.5, roundSeconds)
	}
	for c := 1.0; c <= 1e6; c = math.Ceil(c * 1.11) {
		check(AxisCount, c, func(s float64) bool { return s >= 1 && roundCount(s) })
	}
	for _, s := range []float64{0.003, 0.05, 0.31, 0.8, 1} {
		check(AxisShare, s, roundCount)
	}
}

func TestChartEscapesAndBreaksLinesAtNull(t *testing.T) {
	one, two := 1.0, 2.0
	c := Chart{Title: `<b>&`, Labels: []string{"a", "<x>", "c", "d"},
		Left: Axis{Kind: AxisShare, Max: 1, Fmt: share, Tick: share}, Right: Axis{Kind: AxisSeconds, Fmt: MinSec, Tick: MinSec},
		Series: []Series{{Name: "n", Class: "s-asa", Values: []*float64{&one, &two, nil, &one}}}}
	svg := string(c.SVG())
	if strings.Contains(svg, "<b>") || strings.Contains(svg, "<x>") {
		t.Errorf("labels are not escaped: %s", svg)
	}
	// Two runs: the null starts a new subpath.
	if n := strings.Count(svg, `d="M`); n != 1 || strings.Count(svg, " M") != 1 {
		t.Errorf("got %d paths and %d moves; want one path broken once at the null: %s", n, strings.Count(svg, " M"), svg)
	}
	if got := strings.Count(svg, "<circle"); got != 3 {
		t.Errorf("got %d points; want 3", got)
	}
}

var tickRE = regexp.MustCompile(`<text class="axis tick" data-axis="(left|right)" data-tick="([^"]+)"[^>]*>([^<]*)</text>`)

// TestChartTicksAndTargetLabel: the chart's ticks are the axis's round
// ticks, written in data-tick with their text; the target label stands in
// the right margin, right of every bar, so it never covers one.
func TestChartTicksAndTargetLabel(t *testing.T) {
	v := func(f float64) *float64 { return &f }
	target := 0.8
	c := Chart{Title: "sl", Labels: strings.Fields("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec"),
		Left: Axis{Kind: AxisShare, Max: 1, Fmt: share, Tick: share}, Target: &target, TargetName: "target", TargetValue: "80 %",
		Series: []Series{{Name: "sl", Class: "s-sl", Bar: true, Values: []*float64{v(0.9), v(0.85), v(0.7), v(1), v(0.5), v(0.8), v(0.81), v(0.9), v(0.95), v(0.99), v(0.6), v(0.98)}}}}
	svg := string(c.SVG())
	var got []string
	for _, m := range tickRE.FindAllStringSubmatch(svg, -1) {
		got = append(got, m[1]+":"+m[2]+"="+m[3])
	}
	want := []string{"left:0=0 %", "left:0.2=20 %", "left:0.4=40 %", "left:0.6=60 %", "left:0.8=80 %", "left:1=100 %"}
	if !slices.Equal(got, want) {
		t.Errorf("ticks %v; want %v", got, want)
	}
	label := regexp.MustCompile(`<text class="target-label" x="([0-9.]+)"`).FindStringSubmatch(svg)
	if label == nil {
		t.Fatalf("no target label: %s", svg)
	}
	lx, _ := strconv.ParseFloat(label[1], 64)
	bars := regexp.MustCompile(`<rect class="s-sl" x="([0-9.]+)" y="[0-9.]+" width="([0-9.]+)"`).FindAllStringSubmatch(svg, -1)
	if len(bars) != 12 {
		t.Fatalf("got %d bars; want 12", len(bars))
	}
	for _, b := range bars {
		x, _ := strconv.ParseFloat(b[1], 64)
		w, _ := strconv.ParseFloat(b[2], 64)
		if x+w >= lx {
			t.Errorf("a bar from %v to %v reaches the target label at %v", x, x+w, lx)
		}
	}
}

// share is a fraction as the charts' tooltips and ticks write it in tests.
func share(v float64) string { return strconv.FormatFloat(math.Round(v*1000)/10, 'f', -1, 64) + " %" }
