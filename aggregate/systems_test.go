package aggregate

import (
	"reflect"
	"testing"
	"time"

	"github.com/acdstat/acdstat/cdr"
)

func TestSystemWorkFollowsLocalDaysAndMonths(t *testing.T) {
	cph, err := time.LoadLocation("Europe/Copenhagen")
	if err != nil {
		t.Fatal(err)
	}
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	ohio := cdr.DefaultSystemSettings("Ohio")
	ohio.Location = ny
	settings := &cdr.Settings{Systems: []cdr.SystemSettings{ohio}}
	utc := func(y int, m time.Month, d, h, min int) time.Time { return time.Date(y, m, d, h, min, 0, 0, time.UTC) }
	slots := []cdr.SystemRef{
		{System: "Orbit", At: utc(2016, 9, 30, 22, 15)}, // 00:15 on 1 October in Copenhagen
		{System: "Orbit", At: utc(2016, 10, 5, 9, 0)},
		{System: "Orbit", At: utc(2016, 9, 30, 21, 45)}, // 23:45 on 30 September
		{System: "Ohio", At: utc(2016, 10, 1, 2, 0)},    // 22:00 on 30 September in New York
	}
	months := []cdr.SystemRef{{System: "Orbit", At: utc(2016, 10, 1, 0, 0)}, {System: "GS", At: utc(2015, 10, 1, 0, 0)}}
	got := SystemWork(settings, slots, months)
	day := func(y int, m time.Month, d int, loc *time.Location) time.Time {
		return time.Date(y, m, d, 0, 0, 0, 0, loc).UTC()
	}
	want := []SystemMonthWork{
		{System: "GS", Month: utc(2015, 10, 1, 0, 0)},
		{System: "Ohio", Month: utc(2016, 9, 1, 0, 0), First: day(2016, 9, 30, ny), Last: day(2016, 9, 30, ny)},
		{System: "Orbit", Month: utc(2016, 9, 1, 0, 0), First: day(2016, 9, 30, cph), Last: day(2016, 9, 30, cph)},
		{System: "Orbit", Month: utc(2016, 10, 1, 0, 0), First: day(2016, 10, 1, cph), Last: day(2016, 10, 5, cph)},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}
