package httpapi

import (
	"strings"
	"testing"
)

func TestNiceCeil(t *testing.T) {
	for _, tc := range []struct{ in, want float64 }{{0, 1}, {0.7, 1}, {1, 1}, {1.1, 2}, {3, 5}, {7, 10}, {174, 200}, {201, 500}} {
		if got := niceCeil(tc.in); got != tc.want {
			t.Errorf("niceCeil(%v): got %v; want %v", tc.in, got, tc.want)
		}
	}
}

func TestChartEscapesAndBreaksLinesAtNull(t *testing.T) {
	one, two := 1.0, 2.0
	svg := string(chart{Title: `<b>&`, Labels: []string{"a", "<x>", "c", "d"}, LeftFmt: pctText, RightFmt: minSecText,
		Series: []series{{Name: "n", Class: "s-asa", Values: []*float64{&one, &two, nil, &one}}}}.svg())
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
