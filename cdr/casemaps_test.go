package cdr

import (
	"testing"
	"time"
)

// TestShippedCaseMaps: each shipped map decodes a sample export written
// from the tool's documented columns (with free-text columns beside them),
// to the case a person reads off the export.
func TestShippedCaseMaps(t *testing.T) {
	loc := mustZone(t, "Europe/Copenhagen")
	at := func(s string) time.Time {
		tm, err := time.ParseInLocation(time.DateTime, s, loc)
		if err != nil {
			t.Fatal(err)
		}
		return tm.UTC()
	}
	for _, tc := range []struct {
		tool, export string
		want         CaseState
	}{
		{"servicenow",
			"number,short_description,caller_id,assignment_group,contact_type,priority,state,opened_at,resolved_at,sys_updated_on,reopen_count,reopened_time\n" +
				`INC0010042,"VPN, patient list slow",Hansen,CIMT Servicedesk,self-service,2 - High,Resolved,2016-10-07 14:00:00,2016-10-12 09:30:00,2016-10-12 09:30:00,1,2016-10-10 08:00:00` + "\n",
			CaseState{ID: "INC0010042", Desk: "CIMT Servicedesk", Channel: "portal", Criticality: CriticalityHigh, FirstContact: -1, ReopenCount: 1,
				Opened: at("2016-10-07 14:00:00"), Resolved: at("2016-10-12 09:30:00"), Reopened: at("2016-10-10 08:00:00"), Updated: at("2016-10-12 09:30:00")}},
		{"topdesk",
			"Number,Brief description,Caller,Operator group,Entry type,Priority,Line,Call date,Completion date,Modification date\n" +
				"I 1610 042,Printer on ward 7,Jensen,Klinisk Servicedesk,Telephone,P3,Second line,07-10-2016 14:00,12-10-2016 09:30,12-10-2016 09:31\n",
			CaseState{ID: "I 1610 042", Desk: "Klinisk Servicedesk", Channel: ChannelPhone, Criticality: CriticalityMedium, FirstContact: 0, ReopenCount: -1,
				Opened: at("2016-10-07 14:00:00"), Resolved: at("2016-10-12 09:30:00"), Updated: at("2016-10-12 09:31:00")}},
		{"jira",
			"Summary,Issue key,Issue id,Issue Type,Status,Project key,Project name,Priority,Reporter,Created,Updated,Resolved,Description\n" +
				`Cannot log in,SD-42,10042,Service Request,Resolved,SD,SP Helpdesk,Highest,jensen,07/Oct/16 2:00 PM,12/Oct/16 9:31 AM,12/Oct/16 9:30 AM,"CPR 010101-1234"` + "\n",
			CaseState{ID: "SD-42", Desk: "SP Helpdesk", Criticality: CriticalityCritical, FirstContact: -1, ReopenCount: -1,
				Opened: at("2016-10-07 14:00:00"), Resolved: at("2016-10-12 09:30:00"), Updated: at("2016-10-12 09:31:00")}},
		{"otrs",
			"TicketNumber,Title,Queue,State,Priority,CustomerUserID,Created,Changed,Closed\n" +
				"2016100710000042,Password reset,Servicedesk::1st level,closed successful,4 high,jensen,2016-10-07 14:00:00,2016-10-12 09:31:00,2016-10-12 09:30:00\n",
			CaseState{ID: "2016100710000042", Desk: "Servicedesk::1st level", Criticality: CriticalityHigh, FirstContact: -1, ReopenCount: -1,
				Opened: at("2016-10-07 14:00:00"), Resolved: at("2016-10-12 09:30:00"), Updated: at("2016-10-12 09:31:00")}},
	} {
		t.Run(tc.tool, func(t *testing.T) {
			m, err := ShippedCaseMap(tc.tool)
			if err != nil {
				t.Fatal(err)
			}
			evs, rejs := decodeRecords(t, DecodeCases, tc.export, DecodeOptions{Switch: tc.tool, Location: loc, Map: m})
			if len(rejs) != 0 || len(evs) != 1 {
				t.Fatalf("events %v rejects %v", evs, rejs)
			}
			got, ok := CaseStateOf(&evs[0])
			tc.want.System, tc.want.EventID = tc.tool, evs[0].ID
			if !ok || got != tc.want {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
	if _, err := ShippedCaseMap("remedy"); err == nil {
		t.Error("an unknown map is no error")
	}
}
