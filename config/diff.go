package config

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/acdstat/acdstat/cdr"
)

// DiffQueues says in lines for people what changes from the settings old to
// the settings new: queues, switches and entries added or removed, and per
// queue the settings that changed with their old and new values (for
// `acdstat settings apply`). It gives no line where nothing changes.
func DiffQueues(old, new *cdr.Settings) []string {
	if old == nil {
		old = &cdr.Settings{}
	}
	if new == nil {
		new = &cdr.Settings{}
	}
	var out []string
	added, removed, both := keyDiff(old.Queues, new.Queues)
	if len(added) > 0 {
		out = append(out, "queues added: "+strings.Join(added, ", "))
	}
	if len(removed) > 0 {
		out = append(out, "queues removed (they get the defaults): "+strings.Join(removed, ", "))
	}
	for _, n := range both {
		if d := queueDiff(old.Queues[n], new.Queues[n]); len(d) > 0 {
			out = append(out, fmt.Sprintf("queue %s changed: %s", n, strings.Join(d, ", ")))
		}
	}
	added, removed, both = keyDiff(old.SwitchZones, new.SwitchZones)
	if len(added) > 0 {
		out = append(out, "switches added: "+strings.Join(added, ", "))
	}
	if len(removed) > 0 {
		out = append(out, "switches removed: "+strings.Join(removed, ", "))
	}
	for _, n := range both {
		if a, b := zoneName(old.SwitchZones[n]), zoneName(new.SwitchZones[n]); a != b {
			out = append(out, fmt.Sprintf("switch %s changed: timezone %s → %s", n, a, b))
		}
	}
	if a, b := zoneName(old.DefaultSwitchZone), zoneName(new.DefaultSwitchZone); a != b {
		out = append(out, fmt.Sprintf("defaults.timezone %s → %s", a, b))
	}
	oe, ne := map[string]cdr.FunnelEntry{}, map[string]cdr.FunnelEntry{}
	for _, e := range old.Entries {
		oe[e.Name] = e
	}
	for _, e := range new.Entries {
		ne[e.Name] = e
	}
	added, removed, both = keyDiff(oe, ne)
	if len(added) > 0 {
		out = append(out, "entries added: "+strings.Join(added, ", "))
	}
	if len(removed) > 0 {
		out = append(out, "entries removed: "+strings.Join(removed, ", "))
	}
	for _, n := range both {
		a, b := oe[n], ne[n]
		if a.Title != b.Title || zoneName(a.Location) != zoneName(b.Location) || !slices.Equal(a.Numbers, b.Numbers) || !slices.Equal(a.Queues, b.Queues) {
			out = append(out, fmt.Sprintf("entry %s changed", n))
		}
	}
	return append(out, desksDiff(old.Desks, new.Desks)...)
}

// desksDiff lists the desks added, removed and changed (config/desks.go).
func desksDiff(old, new map[string]cdr.DeskSettings) []string {
	var out []string
	added, removed, both := keyDiff(old, new)
	if len(added) > 0 {
		out = append(out, "desks added: "+strings.Join(added, ", "))
	}
	if len(removed) > 0 {
		out = append(out, "desks removed (they get the defaults): "+strings.Join(removed, ", "))
	}
	days := func(d cdr.DeskSettings) string {
		if d.WorkingDays {
			return "working"
		}
		return "calendar"
	}
	for _, n := range both {
		a, b := old[n], new[n]
		var d []string
		change := func(key string, x, y any) {
			if x != y {
				d = append(d, fmt.Sprintf("%s %v → %v", key, x, y))
			}
		}
		change("name", a.Display, b.Display)
		if !slices.Equal(a.Queues, b.Queues) {
			d = append(d, "queues changed")
		}
		change("timezone", zoneName(a.Calendar.Location), zoneName(b.Calendar.Location))
		change("critical_days", a.CriticalDays, b.CriticalDays)
		change("days", days(a), days(b))
		if !reflect.DeepEqual(a.Calendar.Hours, b.Calendar.Hours) {
			d = append(d, "hours changed")
		}
		if !maps.Equal(a.Calendar.ClosedDates, b.Calendar.ClosedDates) {
			d = append(d, "closed changed")
		}
		change("danish_holidays", a.Calendar.DanishHolidays, b.Calendar.DanishHolidays)
		change("phone", a.Phone, b.Phone)
		change("target", a.Target, b.Target)
		if len(d) > 0 {
			out = append(out, fmt.Sprintf("desk %s changed: %s", n, strings.Join(d, ", ")))
		}
	}
	return out
}

// keyDiff returns the keys only in b, only in a, and in both, each sorted.
func keyDiff[V any](a, b map[string]V) (added, removed, both []string) {
	for _, k := range slices.Sorted(maps.Keys(b)) {
		if _, ok := a[k]; ok {
			both = append(both, k)
		} else {
			added = append(added, k)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(a)) {
		if _, ok := b[k]; !ok {
			removed = append(removed, k)
		}
	}
	return added, removed, both
}

// queueDiff lists the settings of a queue that differ, in the order of the
// queue file, as "key old → new" (or "key changed" where the value is long).
func queueDiff(a, b cdr.QueueSettings) []string {
	var out []string
	change := func(key string, x, y any) {
		if x != y {
			out = append(out, fmt.Sprintf("%s %v → %v", key, x, y))
		}
	}
	change("name", a.Display, b.Display)
	change("timezone", zoneName(a.Location), zoneName(b.Location))
	if !reflect.DeepEqual(a.Hours, b.Hours) {
		out = append(out, "hours changed")
	}
	if !maps.Equal(a.ClosedDates, b.ClosedDates) {
		out = append(out, "closed changed")
	}
	change("danish_holidays", a.DanishHolidays, b.DanishHolidays)
	change("sla_s", a.SLAS, b.SLAS)
	change("short_abandon_s", a.ShortAbandonS, b.ShortAbandonS)
	change("sla_formula", a.SLAFormula, b.SLAFormula)
	change("sla_target", a.SLATarget, b.SLATarget)
	change("fcr_target", a.FCRTarget, b.FCRTarget)
	change("wall_wait_s", a.WallWaitS, b.WallWaitS)
	if !slices.Equal(a.Numbers, b.Numbers) {
		out = append(out, "numbers changed")
	}
	return out
}

// zoneName names a zone; "" for none.
func zoneName(l *time.Location) string {
	if l == nil {
		return ""
	}
	return l.String()
}
