package report

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"strconv"
	"strings"
)

// AxisKind is what an Axis measures, which decides its round steps.
type AxisKind int

const (
	// AxisCount is calls: steps of 1, 2 or 5 × 10ⁿ, never below 1.
	AxisCount AxisKind = iota
	// AxisShare is a fraction shown as a percentage: steps of 1, 2 or
	// 5 × 10ⁿ (0.2 is 20 %).
	AxisShare
	// AxisSeconds is a wait read as m:ss: steps of 5, 10 or 30 seconds,
	// 1, 2, 5, 10, 15 or 30 minutes, 1, 2, 3, 6 or 12 hours, a day.
	AxisSeconds
)

// maxIntervals is the most steps an axis has: more crowd a phone.
const maxIntervals = 5

// secondSteps are AxisSeconds' steps, in seconds.
var secondSteps = []float64{5, 10, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400}

// AxisTicks returns the ticks of an axis that starts at 0 and holds max:
// the multiples of the smallest round step of kind that reaches max in at
// most maxIntervals steps, from 0 up to the first at or above max. An
// axis with nothing to show (max 0 or less) holds 1 call, 100 % or 1:00.
// It is pure, so the ticks are tested apart from the drawing.
func AxisTicks(kind AxisKind, max float64) []float64 {
	if !(max > 0) { // also NaN
		max = map[AxisKind]float64{AxisCount: 1, AxisShare: 1, AxisSeconds: 60}[kind]
	}
	intervals := func(step float64) int { return max1(int(math.Ceil(max/step - 1e-9))) }
	ticks := func(n int, at func(i int) float64) []float64 {
		out := make([]float64, n+1)
		for i := range out {
			out[i] = at(i)
		}
		return out
	}
	if kind == AxisSeconds {
		for _, s := range secondSteps {
			if n := intervals(s); n <= maxIntervals {
				return ticks(n, func(i int) float64 { return float64(i) * s })
			}
		}
		days := math.Ceil(max / maxIntervals / 86400)
		return ticks(intervals(days*86400), func(i int) float64 { return float64(i) * days * 86400 })
	}
	// Steps m × 10^e from a power small enough for any max; a tick is
	// i·m scaled by the power, so 0.6 is 6/10, not 3 × 0.2's 0.6000000000000001.
	e := int(math.Floor(math.Log10(max))) - 1
	if kind == AxisCount && e < 0 {
		e = 0
	}
	for ; ; e++ {
		for _, m := range []int{1, 2, 5} {
			scale := func(v int) float64 {
				if e < 0 {
					return float64(v) / math.Pow10(-e)
				}
				return float64(v) * math.Pow10(e)
			}
			if n := intervals(scale(m)); n <= maxIntervals {
				return ticks(n, func(i int) float64 { return scale(i * m) })
			}
		}
	}
}

func max1(n int) int {
	if n < 1 {
		return 1
	}
	return n
}

// Series is one row of values in a chart; a nil value is drawn as a gap:
// no bar, no point, and a line that breaks.
type Series struct {
	Name   string
	Class  string // CSS class: the colour, so print and screen agree
	Bar    bool   // bars, else a line with points
	Right  bool   // on the right axis
	Dashed bool
	Values []*float64
}

// Axis is one vertical axis of a chart.
type Axis struct {
	Kind AxisKind
	Max  float64              // a fixed top (1 for shares: 100 %); 0: from the values
	Fmt  func(float64) string // a value, in the tooltips
	Tick func(float64) string // a tick ("20 %", "1:30")
}

// Chart is a category chart (one category per period) drawn as inline SVG
// that scales with its viewBox. Its margins are made for its own texts:
// the left one for the left ticks, the right one for the right ticks and
// the target's label, so that label stands beside the plot and never on a
// bar.
type Chart struct {
	ID     string   // data-chart, the panel's
	Title  string   // aria-label
	Labels []string // one per category; only every nth is written where they would touch
	Series []Series
	Left   Axis
	Right  Axis // used where a Series is Right
	// Target is a dashed line at this left-axis value, labelled
	// TargetName above and TargetValue below it, right of the plot.
	Target                  *float64
	TargetName, TargetValue string
}

// The chart's frame, in its own units (the viewBox). Texts are FontSize
// units high (the CSS says the same); the x labels stand below the plot,
// clear of the lowest tick's label.
const (
	ChartW, ChartH = 480.0, 272.0
	FontSize       = 14.0
	plotT          = 12.0
	plotB          = ChartH - FontSize - 16
	labelY         = plotB + FontSize + 8
)

// TextWidth estimates the width of s in the chart's units, by the widths
// of DejaVu Sans (what Debian's browsers fall back to, wider than most):
// narrow, middling and wide letters, digits, '%' and capitals. Other
// fonts are narrower, which leaves room to spare.
func TextWidth(s string) float64 {
	w := 0.0
	for _, r := range s {
		switch {
		case strings.ContainsRune("ijlIJ.,:;' ", r):
			w += 0.31
		case strings.ContainsRune("frt", r):
			w += 0.41
		case strings.ContainsRune("csz", r):
			w += 0.54
		case strings.ContainsRune("kvxy", r):
			w += 0.6
		case strings.ContainsRune("mwMWæ%", r):
			w += 0.97
		case r >= '0' && r <= '9':
			w += 0.64
		case r >= 'A' && r <= 'Z':
			w += 0.72
		default:
			w += 0.64
		}
	}
	return w * FontSize
}

// MinSec formats seconds as m:ss, or h:mm:ss from an hour: the way the
// source report and the charts' time axes write a wait.
func MinSec(v float64) string {
	s := int64(math.Round(v))
	if s >= 3600 {
		return strconv.FormatInt(s/3600, 10) + ":" + two(s/60%60) + ":" + two(s%60)
	}
	return strconv.FormatInt(s/60, 10) + ":" + two(s%60)
}

func two(v int64) string {
	if v < 10 {
		return "0" + strconv.FormatInt(v, 10)
	}
	return strconv.FormatInt(v, 10)
}

func num(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// svg renders the chart. Every text in it is escaped. Ticks carry their
// value (data-tick), bars and points their category (data-i) and value
// (data-value), for tests and for people who read the source.
func (c Chart) SVG() template.HTML {
	n := len(c.Labels)
	if n == 0 {
		return ""
	}
	hasRight := false
	for _, s := range c.Series {
		hasRight = hasRight || s.Right
	}
	top := func(a Axis, right bool) float64 {
		if a.Max > 0 {
			return a.Max
		}
		m := 0.0
		for _, s := range c.Series {
			if s.Right != right {
				continue
			}
			for _, v := range s.Values {
				if v != nil && *v > m {
					m = *v
				}
			}
		}
		return m
	}
	leftTicks := AxisTicks(c.Left.Kind, top(c.Left, false))
	var rightTicks []float64
	if hasRight {
		rightTicks = AxisTicks(c.Right.Kind, top(c.Right, true))
	}
	widest := func(ticks []float64, f func(float64) string) float64 {
		w := 0.0
		for _, v := range ticks {
			w = math.Max(w, TextWidth(f(v)))
		}
		return w
	}
	plotL := widest(leftTicks, c.Left.Tick) + 10
	rightTicksW := 0.0
	if hasRight {
		rightTicksW = widest(rightTicks, c.Right.Tick) + 10
	}
	targetW := 0.0
	if c.Target != nil {
		targetW = math.Max(TextWidth(c.TargetName), TextWidth(c.TargetValue)) + 10
	}
	plotR := ChartW - math.Max(8, rightTicksW+targetW)
	leftMax, rightMax := leftTicks[len(leftTicks)-1], 1.0
	if hasRight {
		rightMax = rightTicks[len(rightTicks)-1]
	}
	step := (plotR - plotL) / float64(n)
	x := func(i int) float64 { return plotL + step*(float64(i)+0.5) }
	y := func(v, top float64) float64 { return plotB - (plotB-plotT)*math.Min(v, top)/top }
	fmtOf := func(s Series) func(float64) string {
		if s.Right {
			return c.Right.Fmt
		}
		return c.Left.Fmt
	}

	var b strings.Builder
	fmt.Fprintf(&b, `<svg data-chart="%s" viewBox="0 0 %g %g" role="img" aria-label="%s" xmlns="http://www.w3.org/2000/svg">`,
		html.EscapeString(c.ID), ChartW, ChartH, html.EscapeString(c.Title))
	// Grid and ticks: the grid follows the left axis; the right axis has
	// round steps of its own, marked on the plot's edge.
	for _, v := range leftTicks {
		yy := y(v, leftMax)
		fmt.Fprintf(&b, `<line class="grid" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"/>`, plotL, yy, plotR, yy)
		fmt.Fprintf(&b, `<text class="axis tick" data-axis="left" data-tick="%s" x="%.1f" y="%.1f" text-anchor="end">%s</text>`,
			num(v), plotL-6, yy+FontSize*0.35, html.EscapeString(c.Left.Tick(v)))
	}
	for _, v := range rightTicks {
		yy := y(v, rightMax)
		fmt.Fprintf(&b, `<line class="tickmark" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"/>`, plotR, yy, plotR+4, yy)
		fmt.Fprintf(&b, `<text class="axis tick" data-axis="right" data-tick="%s" x="%.1f" y="%.1f">%s</text>`,
			num(v), plotR+6, yy+FontSize*0.35, html.EscapeString(c.Right.Tick(v)))
	}
	fmt.Fprintf(&b, `<line class="baseline" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"/>`, plotL, plotB, plotR, plotB)
	// Every nth label, n a power of two, so that no two written labels
	// come closer than two units (the widths are generous already).
	every := 1
	for fits := false; !fits && every < n; {
		fits = true
		for i := every; i < n; i += every {
			if (TextWidth(c.Labels[i-every])+TextWidth(c.Labels[i]))/2+2 > float64(every)*step {
				fits = false
				every *= 2
				break
			}
		}
	}
	for i, l := range c.Labels {
		if i%every == 0 {
			fmt.Fprintf(&b, `<text class="axis label" x="%.1f" y="%.1f" text-anchor="middle">%s</text>`, x(i), labelY, html.EscapeString(l))
		}
	}
	// Bars first, lines on top.
	bars := 0
	for _, s := range c.Series {
		if s.Bar {
			bars++
		}
	}
	bw, bi := step*0.7/math.Max(1, float64(bars)), 0
	for _, s := range c.Series {
		if !s.Bar {
			continue
		}
		top := leftMax
		if s.Right {
			top = rightMax
		}
		for i, v := range s.Values {
			if v == nil || *v <= 0 {
				continue
			}
			x0 := x(i) - step*0.35 + bw*float64(bi)
			fmt.Fprintf(&b, `<rect class="%s" x="%.1f" y="%.1f" width="%.1f" height="%.1f" data-i="%d" data-value="%s"><title>%s %s: %s</title></rect>`,
				s.Class, x0, y(*v, top), bw, plotB-y(*v, top), i, num(*v), html.EscapeString(c.Labels[i]), html.EscapeString(s.Name), html.EscapeString(fmtOf(s)(*v)))
		}
		bi++
	}
	if c.Target != nil {
		yy := y(*c.Target, leftMax)
		fmt.Fprintf(&b, `<line class="target" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"/>`, plotL, yy, plotR, yy)
		tx := plotR + 6 + rightTicksW
		fmt.Fprintf(&b, `<text class="target-label" x="%.1f" y="%.1f" data-target="%s"><tspan x="%.1f" y="%.1f">%s</tspan><tspan x="%.1f" y="%.1f">%s</tspan></text>`,
			tx, yy-4, num(*c.Target), tx, yy-4, html.EscapeString(c.TargetName), tx, yy+FontSize, html.EscapeString(c.TargetValue))
	}
	for _, s := range c.Series {
		if s.Bar {
			continue
		}
		top := leftMax
		if s.Right {
			top = rightMax
		}
		var path strings.Builder
		pen := "M"
		for i, v := range s.Values {
			if v == nil {
				pen = "M"
				continue
			}
			fmt.Fprintf(&path, "%s%.1f %.1f ", pen, x(i), y(*v, top))
			pen = "L"
		}
		dash := ""
		if s.Dashed {
			dash = ` stroke-dasharray="6 4"`
		}
		if path.Len() > 0 {
			fmt.Fprintf(&b, `<path class="line %s" d="%s"%s/>`, s.Class, strings.TrimSpace(path.String()), dash)
		}
		for i, v := range s.Values {
			if v != nil {
				fmt.Fprintf(&b, `<circle class="%s" cx="%.1f" cy="%.1f" r="3" data-i="%d" data-value="%s"><title>%s %s: %s</title></circle>`,
					s.Class, x(i), y(*v, top), i, num(*v), html.EscapeString(c.Labels[i]), html.EscapeString(s.Name), html.EscapeString(fmtOf(s)(*v)))
			}
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}
