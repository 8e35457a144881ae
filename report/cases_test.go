package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/acdstat/acdstat/cdr"
)

// TestCaseAndContactRows: the rows of a desk's months, as a person reads
// them in every format: a month without cases has zero counts and null
// ratios; October is provisional on 3 November and final on 8 November;
// the phone's share is of all contacts of the month.
func TestCaseAndContactRows(t *testing.T) {
	loc, _ := time.LoadLocation("Europe/Copenhagen")
	d := cdr.DefaultDeskSettings("sd")
	d.Display, d.Target = "CIMT Servicedesk", 0.9
	sep, oct := cdr.MonthStart(time.Date(2016, 9, 15, 0, 0, 0, 0, loc), loc), cdr.MonthStart(time.Date(2016, 10, 15, 0, 0, 0, 0, loc), loc)
	months := DeskMonths(&d, sep, oct.AddDate(0, 1, 0))
	if len(months) != 2 || !months[1].Equal(oct) {
		t.Fatalf("months %v; want September and October 2016", months)
	}
	stored := map[time.Time]cdr.DeskMonth{oct: {Desk: "sd", Month: oct, Registered: 10, Closed: 8, FirstContactKnown: 10, FirstContact: 7,
		DeadlineCases: 5, WithinDeadline: 4, Contacts: map[string]uint64{"portal": 22}}}
	cases := BuildCases(&d, months, stored, time.Date(2016, 11, 3, 12, 0, 0, 0, loc))
	if c := cases[0]; c.Registered != 0 || c.FCRRate != nil || c.WithinRate != nil || c.WithinMet != nil || c.ClosedProvisional {
		t.Errorf("September: %+v; want zeros, null ratios, final", c)
	}
	if c := cases[1]; !c.ClosedProvisional || *c.FCRRate != 0.7 || *c.WithinRate != 0.8 || *c.WithinMet {
		t.Errorf("October on 3 November: %+v; want provisional, fcr 0.7, within 0.8 missing 0.9", c)
	}
	if c := BuildCases(&d, months, stored, time.Date(2016, 11, 8, 0, 0, 0, 0, loc)); c[1].ClosedProvisional {
		t.Error("October is provisional on 8 November")
	}
	contacts := BuildContacts(&d, months, stored, map[time.Time]uint64{oct: 78})
	if len(contacts) != 4 || contacts[2].Channel != cdr.ChannelPhone || *contacts[2].Share != 0.78 || contacts[3].Channel != "portal" || *contacts[3].Share != 0.22 || contacts[0].Share != nil {
		t.Errorf("contacts: %+v", contacts)
	}

	var js bytes.Buffer
	if err := WriteRecordsJSON(&js, cases); err != nil {
		t.Fatal(err)
	}
	var back []map[string]any
	if err := json.Unmarshal(js.Bytes(), &back); err != nil || back[0]["within_rate"] != nil || back[1]["period_start"] != "2016-10-01T00:00:00+02:00" {
		t.Errorf("json: %s (%v)", js.String(), err)
	}
	var csv, table, md bytes.Buffer
	if err := WriteCasesCSV(&csv, cases); err != nil {
		t.Fatal(err)
	}
	if want := "sd,CIMT Servicedesk,month,2016-10-01T00:00:00+02:00,10,8,true,10,7,0.7,5,4,0.8,0.9,false,calendar"; !strings.Contains(csv.String(), want) {
		t.Errorf("csv:\n%s\nwant a line %s", csv.String(), want)
	}
	if err := WriteCasesTable(&table, cases); err != nil || !strings.Contains(table.String(), "80.0 %") || !strings.Contains(table.String(), "provisional") {
		t.Errorf("table (%v):\n%s", err, table.String())
	}
	if err := WriteContactsMarkdown(&md, contacts); err != nil || !strings.Contains(md.String(), "| phone (calls) | 78 | 78.0 % |") {
		t.Errorf("markdown (%v):\n%s", err, md.String())
	}
	var x bytes.Buffer
	if err := WriteCasesXLSX(&x, cases); err != nil {
		t.Fatal(err)
	}
	f := readXLSX(t, x.Bytes())
	rows, err := f.GetRows("report")
	if err != nil || len(rows) != 3 || rows[0][12] != "within_rate" || rows[2][12] != "80.0%" || rows[2][3] != "2016-10-01" {
		t.Errorf("xlsx rows %q (%v)", rows, err)
	}
}
