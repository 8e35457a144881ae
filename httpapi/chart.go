package httpapi

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"strings"
)

// series is one row of values in a chart; a nil value is drawn as a gap.
type series struct {
	Name   string
	Class  string // CSS class: the colour, so print and screen agree
	Bar    bool   // bars, else a line with points
	Right  bool   // on the right axis
	Dashed bool
	Values []*float64
}

// chart is a category chart (one category per period) drawn as inline SVG
// that scales with its viewBox.
type chart struct {
	Title       string
	Labels      []string // one per category; long runs show every nth
	Series      []series
	LeftFmt     func(float64) string
	RightFmt    func(float64) string
	LeftMax     float64  // fixed top of the left axis (e.g. 1 for shares); 0: from the data
	Target      *float64 // a dashed line at this left-axis value
	TargetLabel string
}

const (
	chartW, chartH             = 800.0, 300.0
	plotL, plotR, plotT, plotB = 64.0, 736.0, 16.0, 256.0
)

// niceCeil rounds v up to 1, 2 or 5 times a power of ten.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}

func axisMax(ss []series, right bool) float64 {
	m := 0.0
	for _, s := range ss {
		if s.Right != right {
			continue
		}
		for _, v := range s.Values {
			if v != nil && *v > m {
				m = *v
			}
		}
	}
	return niceCeil(m)
}

// svg renders the chart. Every text in it is escaped.
func (c chart) svg() template.HTML {
	var b strings.Builder
	n := len(c.Labels)
	if n == 0 {
		return ""
	}
	leftMax := c.LeftMax
	if leftMax == 0 {
		leftMax = axisMax(c.Series, false)
	}
	rightMax := axisMax(c.Series, true)
	hasRight := false
	for _, s := range c.Series {
		hasRight = hasRight || s.Right
	}
	step := (plotR - plotL) / float64(n)
	x := func(i int) float64 { return plotL + step*(float64(i)+0.5) }
	y := func(v, top float64) float64 { return plotB - (plotB-plotT)*math.Min(v, top)/top }

	fmt.Fprintf(&b, `<svg viewBox="0 0 %g %g" role="img" aria-label="%s" xmlns="http://www.w3.org/2000/svg">`, chartW, chartH, html.EscapeString(c.Title))
	// Grid and axes.
	for i := 0; i <= 4; i++ {
		v := leftMax * float64(i) / 4
		yy := y(v, leftMax)
		fmt.Fprintf(&b, `<line class="grid" x1="%g" y1="%.1f" x2="%g" y2="%.1f"/>`, plotL, yy, plotR, yy)
		fmt.Fprintf(&b, `<text class="axis" x="%g" y="%.1f" text-anchor="end">%s</text>`, plotL-6, yy+4, html.EscapeString(c.LeftFmt(v)))
		if hasRight {
			fmt.Fprintf(&b, `<text class="axis" x="%g" y="%.1f">%s</text>`, plotR+6, y(rightMax*float64(i)/4, rightMax)+4, html.EscapeString(c.RightFmt(rightMax*float64(i)/4)))
		}
	}
	every := 1
	for n/every > 16 {
		every *= 2
	}
	for i, l := range c.Labels {
		if i%every == 0 {
			fmt.Fprintf(&b, `<text class="axis" x="%.1f" y="%g" text-anchor="middle">%s</text>`, x(i), plotB+18, html.EscapeString(l))
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
			fmt.Fprintf(&b, `<rect class="%s" x="%.1f" y="%.1f" width="%.1f" height="%.1f"><title>%s %s: %s</title></rect>`,
				s.Class, x0, y(*v, top), bw, plotB-y(*v, top), html.EscapeString(c.Labels[i]), html.EscapeString(s.Name), html.EscapeString(fmtAxis(c, s, *v)))
		}
		bi++
	}
	if c.Target != nil {
		yy := y(*c.Target, leftMax)
		fmt.Fprintf(&b, `<line class="target" x1="%g" y1="%.1f" x2="%g" y2="%.1f"/>`, plotL, yy, plotR, yy)
		fmt.Fprintf(&b, `<text class="target-label" x="%g" y="%.1f" text-anchor="end">%s</text>`, plotR-4, yy-5, html.EscapeString(c.TargetLabel))
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
				fmt.Fprintf(&b, `<circle class="%s" cx="%.1f" cy="%.1f" r="3"><title>%s %s: %s</title></circle>`,
					s.Class, x(i), y(*v, top), html.EscapeString(c.Labels[i]), html.EscapeString(s.Name), html.EscapeString(fmtAxis(c, s, *v)))
			}
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

func fmtAxis(c chart, s series, v float64) string {
	if s.Right {
		return c.RightFmt(v)
	}
	return c.LeftFmt(v)
}
