package aggregate

import "github.com/acdstat/acdstat/cdr"

// dispositionOnly returns the calls whose events are all dispositions. Such
// a call was read because a disposition arrived far from its call's own
// events (beyond the build window): its events build no stay, which says
// nothing about the stays stored for it, so Plan must not tombstone them.
func dispositionOnly(events []cdr.Event) map[callKey]bool {
	other := map[callKey]bool{}
	disp := map[callKey]bool{}
	for i := range events {
		k := callKey{events[i].Switch, events[i].CallID}
		if cdr.IsDisposition(&events[i]) {
			disp[k] = true
		} else {
			other[k] = true
		}
	}
	for k := range disp {
		if other[k] {
			delete(disp, k)
		}
	}
	return disp
}
