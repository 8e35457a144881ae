package httpapi

import (
	"strconv"

	"github.com/acdstat/acdstat/report"
)

// The dashboard's charts are drawn by package report (report.Chart), which
// the quarterly document (package document) draws its charts with too, so
// the page and the printed document look alike. These names keep the
// dashboard's code as it was.
type (
	axisKind = report.AxisKind
	series   = report.Series
	axis     = report.Axis
	chart    = report.Chart
)

const (
	axisCount   = report.AxisCount
	axisShare   = report.AxisShare
	axisSeconds = report.AxisSeconds
	chartW      = report.ChartW
	fontSize    = report.FontSize
)

func axisTicks(kind axisKind, max float64) []float64 { return report.AxisTicks(kind, max) }

func textWidth(s string) float64 { return report.TextWidth(s) }

func num(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
