package cdr

import (
	"os"
	"testing"
	"time"
)

// TestPBXwareExportQueueCalls builds queue calls from the real Bicom PBXware
// queue_log export and checks them against what a person counts by reading
// the file. Counted per call id over the call-deciding verbs of queue IT:
//
//	awk -F, 'NR>1 && $4=="IT" && ($6=="ENTERQUEUE"||$6=="CONNECT"||$6=="ABANDON"||
//	  $6=="EXITWITHTIMEOUT"||$6~/COMPLETE|TRANSFER/) {print $3, $6}' FILE |
//	  awk '{a[$1]=a[$1]" "$2} END{for(k in a) print a[k]}' | sort | uniq -c
//
//	51 ENTERQUEUE CONNECT COMPLETEAGENT     38 ENTERQUEUE CONNECT COMPLETECALLER
//	12 ENTERQUEUE ABANDON                    2 ENTERQUEUE CONNECT (no end)
//	 2 ENTERQUEUE (no end)                   1 ENTERQUEUE EXITWITHTIMEOUT
//	 1 ENTERQUEUE CONNECT BLINDTRANSFER      1 ENTERQUEUE CONNECT ATTENDEDTRANSFER
//
// So 108 queue calls: 93 answered (2 of them transferred, 2 with no end,
// closed by the stale timeout as answered), 12 abandoned, 1 timeout after
// 300 s, and 2 unknown (joined, then nothing: the export ends in 2018).
func TestPBXwareExportQueueCalls(t *testing.T) {
	const path = "../../shared/testdata/acd/pbxware_queue_log_dbexport.csv"
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		t.Skipf("%s is absent (../shared is not beside the repository)", path)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var events []Event
	err = DecodeQueueLogDB(f, DecodeOptions{}, func(b Batch) error {
		events = append(events, b.Events...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Long after the export: every stay without an end is stale.
	calls := BuildCalls(events, BuildOptions{Now: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)})
	got := map[string]int{}
	transferred := 0
	for _, c := range calls {
		if c.Queue != "IT" {
			t.Errorf("queue call in queue %q; the export has only IT", c.Queue)
		}
		got[c.Outcome.String()]++
		if c.Transferred {
			transferred++
		}
		if c.Outcome == Timeout && c.WaitS != 300 {
			t.Errorf("timeout wait = %d; want 300 (the queue's maxwait)", c.WaitS)
		}
	}
	want := map[string]int{"answered": 93, "abandoned": 12, "timeout": 1, "unknown": 2}
	if len(calls) != 108 {
		t.Errorf("got %d queue calls; want 108", len(calls))
	}
	for o, n := range want {
		if got[o] != n {
			t.Errorf("%s: got %d; want %d", o, got[o], n)
		}
	}
	if transferred != 2 {
		t.Errorf("transferred: got %d; want 2", transferred)
	}
}
