package httpapi

import (
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/acdstat/acdstat/cdr"
)

// verbRE finds the fmt verbs of a label, which both languages must take
// alike.
var verbRE = regexp.MustCompile(`%(\[\d+\])?[a-z]`)

// TestLabelsAreCompleteInEveryLanguage walks the label tables: every
// language has every label of English, none empty, each with the same
// fmt verbs; a Danish label differs from the English one (it is
// translated), but for the product's name and the dash of an empty cell;
// every SLA formula is said in words in every language; the months are
// twelve; the decimal mark is Danish in Danish.
func TestLabelsAreCompleteInEveryLanguage(t *testing.T) {
	en := labels["en"]
	same := map[string]bool{"title": true, "none": true}
	for lang, l := range labels {
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
			if lang != "en" && v == en[k] && !same[k] {
				t.Errorf("%s %s is the English %q", lang, k, v)
			}
		}
		for _, f := range cdr.Formulas {
			words := formulaText(f, 300, 5, l)
			if words == f || strings.Contains(words, "%!") || !strings.Contains(words, "5 min") {
				t.Errorf("%s: formula %s reads %q; want it in words, with its threshold", lang, f, words)
			}
		}
		if n := len(strings.Fields(l["months"])); n != 12 {
			t.Errorf("%s has %d months", lang, n)
		}
	}
	if got := pctText(labels["da"])(0.853); got != "85,3 %" {
		t.Errorf("Danish share: got %q; want 85,3 %%", got)
	}
	if got := pctText(labels["en"])(0.853); got != "85.3 %" {
		t.Errorf("English share: got %q; want 85.3 %%", got)
	}
	if got := targetText(labels["da"])(0.825); got != "82,5 %" {
		t.Errorf("Danish target: got %q; want 82,5 %%", got)
	}
	// The short-abandon threshold is said where the formula uses it.
	if got := formulaText(cdr.FormulaOfferedExclShort, 300, 5, labels["en"]); !strings.Contains(got, "5 s") {
		t.Errorf("offered_excl_short reads %q; want the 5 s of a short abandon", got)
	}
}

func TestDeskLabelsAreCompleteInEveryLanguage(t *testing.T) {
	en := deskLabels["en"]
	for lang := range labels {
		l, ok := deskLabels[lang]
		if !ok {
			t.Errorf("no desk labels in %s", lang)
			continue
		}
		if got, want := slices.Sorted(maps.Keys(l)), slices.Sorted(maps.Keys(en)); !slices.Equal(got, want) {
			t.Errorf("%s has desk labels %v; want those of en, %v", lang, got, want)
		}
		for k, v := range l {
			if got, want := verbRE.FindAllString(v, -1), verbRE.FindAllString(en[k], -1); !slices.Equal(got, want) {
				t.Errorf("%s %s takes %v; en takes %v", lang, k, got, want)
			}
			if lang != "en" && v == en[k] {
				t.Errorf("%s %s is the English %q", lang, k, v)
			}
		}
	}
}
