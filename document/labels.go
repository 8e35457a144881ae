package document

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/acdstat/acdstat/cdr"
)

// Languages are the languages a document is written in.
var Languages = []string{"da", "en"}

// labels holds every fixed text of the document, per language. A test
// checks that both languages have every label with the same fmt verbs.
// The group headings are fixed, so that one quarter's document reads like
// the last. "decimal" is the language's decimal mark.
var labels = map[string]map[string]string{
	"en": {
		"quarterly": "Quarterly report", "monthly": "Monthly report",
		"quarter": "%[1]d%[2]s quarter %[3]d", "month": "%[1]s %[2]d",
		"months":   "January February March April May June July August September October November December",
		"short":    "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec",
		"contents": "Contents", "intro": "Introduction", "closing": "Closing remarks", "overview": "Key figures", "desk": "Desk",
		"made":  "Made by acdstat on %s from the figures in ClickHouse; the same figures as GET /v1/report.",
		"calls": "Calls, waiting time and abandoned calls", "sla": "Service level", "fcr": "First-contact resolution",
		"cases": "Cases and channels", "systems": "System response times",
		"calls_caption":  "Calls offered (bars) and abandoned calls (line, left axis); average wait of all callers (dashed line, right axis, m:ss).",
		"sla_caption":    "Share of calls answered within %s per month; the dashed line is the %s target.",
		"sla_in_caption": "Calls that joined in opening hours only: share answered within %s per month; the dashed line is the %s target.",
		"fcr_caption":    "Share of answered calls with a disposition resolved at first contact; the dashed line is the %s target.",
		"month_col":      "Month", "offered": "Calls offered", "answered": "Answered", "abandoned": "Abandoned",
		"avg_wait": "Average wait", "asa": "Average wait, answered", "service_level": "Service level",
		"within": "Answered within %s", "target": "Target", "met": "met", "missed": "missed",
		"fcr_rate": "First-contact resolution", "dispositions": "Dispositions", "total": "Total",
		"none": "–", "decimal": ".",
		"summary":         "%s, %s: %s calls offered, average wait %s, %s abandoned; service level %s (target %s); first-contact resolution %s (target %s).",
		"systems_table":   "Compliance per system",
		"systems_caption": "Share of timed actions within their threshold, averaged over the locations (%), against each system's agreed level: ✓ meets it, ✗ does not (compared at the two decimals shown); N/A: no measurements.",
		"systems_reading": "%s: %d of %d systems meet their agreed level.", "systems_summary": "%s, %s: %d of %d systems meet their agreed level in %s.",
		"contacts_title":   "Contacts by channel",
		"contacts_caption": "Contacts per month: the phone's (%s; bars, left axis) and the other channels'; the phone's share of all contacts (line, right axis).",
		"phone":            "Phone", "other_channels": "Other channels", "phone_share": "Phone's share",
		"phone_calls": "answered calls of the desk's queues", "phone_cases": "cases registered as phone contacts",
		"cases_title":   "Cases registered and closed",
		"cases_caption": "Cases registered and closed per month. A case counts as closed in the month it was resolved once not reopened within 7 days: * a month's closed cases are provisional until 7 days after its end.",
		"registered":    "Registered", "closed": "Closed", "case_fcr": "Resolved at first contact",
		"within_title":   "Resolved within time",
		"within_caption": "Share of the closed cases not resolved at first contact that were resolved within the time of their criticality (high 3, medium 5, normal 10, in %s); the dashed line is the %s target.",
		"within_rate":    "Within time", "within_cases": "Resolved within time", "deadline_cases": "Cases with a time",
		"calendar_days": "calendar days", "working_days": "working days",
		"contacts_summary": "the phone %s of %s contacts", "cases_summary": "%s cases registered, %s closed, %s resolved within their time (target %s)",
		"agreed_level": "Agreed level", "systems_met": "Meeting their level", "met_of": "%d of %d", "na": "N/A", "system": "System",
	},
	"da": {
		"quarterly": "Kvartalsrapport", "monthly": "Månedsrapport",
		"quarter": "%[1]d.%[2]s kvartal %[3]d", "month": "%[1]s %[2]d",
		"months":   "januar februar marts april maj juni juli august september oktober november december",
		"short":    "jan feb mar apr maj jun jul aug sep okt nov dec",
		"contents": "Indhold", "intro": "Indledning", "closing": "Afsluttende bemærkninger", "overview": "Nøgletal", "desk": "Kø",
		"made":  "Lavet af acdstat %s ud fra tallene i ClickHouse; de samme tal som GET /v1/report.",
		"calls": "Opkald, ventetid og afbrudte opkald", "sla": "Serviceniveau", "fcr": "Straksafklaring",
		"cases": "Sager og kanaler", "systems": "Systemernes svartider",
		"calls_caption":  "Modtagne opkald (søjler) og afbrudte opkald (linje, venstre akse); gennemsnitlig ventetid for alle opkald (stiplet linje, højre akse, m:ss).",
		"sla_caption":    "Andel af opkald besvaret inden for %s pr. måned; den stiplede linje er målet på %s.",
		"sla_in_caption": "Kun opkald i åbningstiden: andel besvaret inden for %s pr. måned; den stiplede linje er målet på %s.",
		"fcr_caption":    "Andel af besvarede opkald med en afslutningskode, der blev løst ved første kontakt; den stiplede linje er målet på %s.",
		"month_col":      "Måned", "offered": "Modtagne opkald", "answered": "Besvarede", "abandoned": "Afbrudte",
		"avg_wait": "Gns. ventetid", "asa": "Gns. ventetid, besvarede", "service_level": "Serviceniveau",
		"within": "Besvaret inden for %s", "target": "Mål", "met": "nået", "missed": "ikke nået",
		"fcr_rate": "Straksafklaring", "dispositions": "Afslutningskoder", "total": "I alt",
		"none": "–", "decimal": ",",
		"summary":         "%s, %s: %s modtagne opkald, gns. ventetid %s, %s afbrudte; serviceniveau %s (mål %s); straksafklaring %s (mål %s).",
		"systems_table":   "Overholdelse pr. system",
		"systems_caption": "Andel af tidsmålte handlinger inden for grænsen, gennemsnit af lokationerne (%), mod systemets aftalte niveau: ✓ nået, ✗ ikke nået (sammenlignet med de viste decimaler); N/A: ingen målinger.",
		"systems_reading": "%s: %d af %d systemer når deres aftalte niveau.", "systems_summary": "%s, %s: %d af %d systemer når deres aftalte niveau i %s.",
		"contacts_title":   "Henvendelser pr. kanal",
		"contacts_caption": "Henvendelser pr. måned: telefonens (%s; søjler, venstre akse) og de andre kanalers; telefonens andel af alle henvendelser (linje, højre akse).",
		"phone":            "Telefon", "other_channels": "Andre kanaler", "phone_share": "Telefonens andel",
		"phone_calls": "besvarede opkald i deskens køer", "phone_cases": "sager registreret som telefonhenvendelser",
		"cases_title":   "Registrerede og lukkede sager",
		"cases_caption": "Registrerede og lukkede sager pr. måned. En sag tæller som lukket i den måned, den blev løst, når den ikke er genåbnet inden for 7 dage: * en måneds lukkede sager er foreløbige indtil 7 dage efter månedens udgang.",
		"registered":    "Registrerede", "closed": "Lukkede", "case_fcr": "Løst ved første kontakt",
		"within_title":   "Løst inden for tiden",
		"within_caption": "Andel af de lukkede sager, der ikke blev løst ved første kontakt, og som blev løst inden for deres kritikalitets tid (høj 3, medium 5, normal 10, i %s); den stiplede linje er målet på %s.",
		"within_rate":    "Inden for tiden", "within_cases": "Løst inden for tiden", "deadline_cases": "Sager med en tid",
		"calendar_days": "kalenderdage", "working_days": "arbejdsdage",
		"contacts_summary": "telefonen %s af %s henvendelser", "cases_summary": "%s sager registreret, %s lukket, %s løst inden for tiden (mål %s)",
		"agreed_level": "Aftalt niveau", "systems_met": "Når niveauet", "met_of": "%d af %d", "na": "N/A", "system": "System",
	},
}

// Labels returns the fixed texts of lang ("da" or "en"; anything else is
// English), for Producers outside this package that write headings.
func Labels(lang string) map[string]string {
	if l, ok := labels[lang]; ok {
		return l
	}
	return labels["en"]
}

// PeriodTitle names p in lang: "4th quarter 2016", "4. kvartal 2016",
// "October 2016", "oktober 2016".
func PeriodTitle(p Period, lang string) string {
	l := Labels(lang)
	if p.Kind == cdr.PeriodQuarter {
		q := (int(p.First) + 2) / 3
		suffix := ""
		if lang != "da" {
			suffix = [...]string{"st", "nd", "rd", "th"}[q-1]
		}
		return fmt.Sprintf(l["quarter"], q, suffix, p.Year)
	}
	return fmt.Sprintf(l["month"], strings.Fields(l["months"])[p.First-1], p.Year)
}

// Pct formats a fraction as a percentage with one decimal in lang's
// decimal mark ("85.3 %", "85,3 %"); nil is a dash.
func Pct(v *float64, lang string) string {
	l := Labels(lang)
	if v == nil {
		return l["none"]
	}
	return strings.Replace(strconv.FormatFloat(math.Round(*v*1000)/10, 'f', 1, 64), ".", l["decimal"], 1) + " %"
}

// target formats a target without needless decimals ("80 %", "82,5 %").
func target(v float64, lang string) string {
	return strings.Replace(strconv.FormatFloat(math.Round(v*1000)/10, 'f', -1, 64), ".", Labels(lang)["decimal"], 1) + " %"
}

// seconds says a threshold in seconds the way people do: "5 min", "20 s".
func seconds(s int) string {
	if s > 0 && s%60 == 0 {
		return strconv.Itoa(s/60) + " min"
	}
	return strconv.Itoa(s) + " s"
}
