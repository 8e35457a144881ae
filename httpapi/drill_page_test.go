package httpapi

import (
	"maps"
	"slices"
	"strings"
	"testing"
)

// TestDrillLabelsAreCompleteInEveryLanguage: the pages of calls have every
// label in every language, with the same fmt verbs, none left in English
// but the dash of an empty cell, and seven weekdays (the dashboard's
// too, which its distribution by weekday names).
func TestDrillLabelsAreCompleteInEveryLanguage(t *testing.T) {
	en := drillLabels["en"]
	for lang, l := range drillLabels {
		if got, want := slices.Sorted(maps.Keys(l)), slices.Sorted(maps.Keys(en)); !slices.Equal(got, want) {
			t.Errorf("%s has labels %v; want those of en, %v", lang, got, want)
		}
		for k, v := range l {
			if strings.TrimSpace(v) == "" {
				t.Errorf("%s %s is empty", lang, k)
			}
			if got, want := verbRE.FindAllString(v, -1), verbRE.FindAllString(en[k], -1); !slices.Equal(got, want) {
				t.Errorf("%s %s takes %v; en takes %v", lang, k, got, want)
			}
			if lang != "en" && v == en[k] && k != "none" {
				t.Errorf("%s %s is the English %q", lang, k, v)
			}
		}
		if days := strings.Fields(l["weekdays"]); len(days) != 7 {
			t.Errorf("%s has %d weekdays", lang, len(days))
		}
	}
	for lang, l := range labels {
		if days := strings.Fields(l["weekdays"]); len(days) != 7 {
			t.Errorf("the dashboard's %s weekdays are %d", lang, len(days))
		}
	}
}
