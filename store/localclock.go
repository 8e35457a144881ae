package store

import (
	"strconv"
	"strings"
	"time"
)

// offsetSQL is an SQL expression of loc's UTC offset, in seconds east, at
// the instant of the DateTime expression col, for instants in [from, to):
// a multiIf over the changes of loc's offset in that span, taken from Go's
// zone data, so that the local clock it gives is the one the rollup keys
// were made with (cdr.Keys). 18.16 takes no per-row zone in its date
// functions, and a constant one would be ClickHouse's own zone data; plain
// integers are the same on every server. Outside [from, to) it gives the
// offset of the nearest end. The numbers are Go's, written as literals.
func offsetSQL(col string, loc *time.Location, from, to time.Time) string {
	if loc == nil {
		loc = time.UTC
	}
	_, off := from.In(loc).Zone()
	var b strings.Builder
	b.WriteString("multiIf(")
	t, n := from, 0
	for {
		_, end := t.In(loc).ZoneBounds()
		if end.IsZero() || !end.Before(to) || !end.After(t) {
			break
		}
		b.WriteString("toUInt32(" + col + ") < " + strconv.FormatInt(end.Unix(), 10) + ", " + strconv.Itoa(off) + ", ")
		_, off = end.In(loc).Zone()
		t = end
		n++
	}
	if n == 0 {
		return "toInt64(" + strconv.Itoa(off) + ")"
	}
	b.WriteString(strconv.Itoa(off) + ")")
	return "toInt64(" + b.String() + ")"
}
