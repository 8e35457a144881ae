package simulate

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

func mustGenerate(t *testing.T, cfg Config) *Sim {
	t.Helper()
	s, err := Generate(cfg)
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	return s
}

func TestDeterministic(t *testing.T) {
	var a, b, c, ta, tb bytes.Buffer
	s1 := mustGenerate(t, DefaultConfig())
	s2 := mustGenerate(t, DefaultConfig())
	if err := s1.WriteQueueLog(&a); err != nil {
		t.Fatal(err)
	}
	if err := s2.WriteQueueLog(&b); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatalf("same config gave different queue_logs")
	}
	if err := s1.WriteTruth(&ta); err != nil {
		t.Fatal(err)
	}
	if err := s2.WriteTruth(&tb); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ta.Bytes(), tb.Bytes()) {
		t.Fatalf("same config gave different truths")
	}
	cfg := DefaultConfig()
	cfg.Seed = 2
	if err := mustGenerate(t, cfg).WriteQueueLog(&c); err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(a.Bytes(), c.Bytes()) {
		t.Fatalf("another seed gave the same queue_log")
	}
}

// split is the test's own queue_log splitter, independent of the generator.
func split(t *testing.T, text string) (epoch int64, callid, queue, agent, verb string, data []string) {
	t.Helper()
	f := strings.Split(text, "|")
	if len(f) < 5 {
		t.Fatalf("line %q: got %d fields; want at least 5", text, len(f))
	}
	e, err := strconv.ParseInt(f[0], 10, 64)
	if err != nil {
		t.Fatalf("line %q: bad epoch: %v", text, err)
	}
	return e, f[1], f[2], f[3], f[4], f[5:]
}

var dataCount = map[string]int{
	"QUEUESTART": 1, "ADDMEMBER": 1, "REMOVEMEMBER": 1, "PAUSE": 1, "UNPAUSE": 1,
	"ENTERQUEUE": 3, "RINGNOANSWER": 1, "RINGCANCELED": 1, "CONNECT": 3,
	"COMPLETECALLER": 3, "COMPLETEAGENT": 3, "BLINDTRANSFER": 5, "ATTENDEDTRANSFER": 5,
	"ABANDON": 3, "EXITWITHTIMEOUT": 3, "EXITEMPTY": 3, "EXITWITHKEY": 4, "JOINEMPTY": 1,
}

func TestLinesParse(t *testing.T) {
	s := mustGenerate(t, DefaultConfig())
	var prev int64
	enters := 0
	for i, l := range s.Lines() {
		e, callid, queue, agent, verb, data := split(t, l.Text)
		want, ok := dataCount[verb]
		if !ok {
			t.Fatalf("line %d %q: unknown verb %q", i, l.Text, verb)
		}
		if len(data) != want {
			t.Fatalf("line %d %q: got %d data fields; want %d", i, l.Text, len(data), want)
		}
		if e != l.Time.Unix() {
			t.Fatalf("line %d %q: epoch %d; Line.Time %v", i, l.Text, e, l.Time)
		}
		if e < prev {
			t.Fatalf("line %d %q: out of order", i, l.Text)
		}
		prev = e
		if callid == "" || queue == "" || agent == "" {
			t.Fatalf("line %d %q: empty callid, queue or agent", i, l.Text)
		}
		switch verb {
		case "ENTERQUEUE", "JOINEMPTY":
			enters++
			if a, b, ok := strings.Cut(callid, "."); !ok || a == "" || b == "" {
				t.Fatalf("line %d %q: callid %q is not epoch.seq", i, l.Text, callid)
			}
		case "CONNECT", "ABANDON", "EXITWITHTIMEOUT", "EXITEMPTY", "EXITWITHKEY", "COMPLETECALLER", "COMPLETEAGENT":
			for _, d := range data {
				if d == "" {
					t.Fatalf("line %d %q: empty data field", i, l.Text)
				}
			}
		}
	}
	if got, want := enters, len(s.Truth().Calls); got != want {
		t.Fatalf("got %d ENTERQUEUE/JOINEMPTY lines; want %d (truth calls)", got, want)
	}
}

func TestTruthMix(t *testing.T) {
	s := mustGenerate(t, DefaultConfig())
	tr := s.Truth()
	byQ := tr.ByQueueOutcome()
	for _, q := range []string{"servicedesk", "klinisk", "sp_helpdesk"} {
		for _, o := range Outcomes {
			if byQ[q][o] == 0 {
				t.Errorf("queue %s: no %s calls", q, o)
			}
		}
	}
	loc := s.Config().Location
	var transferred, wait300, wait301, secondStay int
	short := map[int]int{}
	dst := map[int64]bool{}
	var midnight, beforeMidnight, inHours, outHours bool
	seen := map[[3]any]bool{}
	for _, c := range tr.Calls {
		key := [3]any{c.CallID, c.Queue, c.Seq}
		if seen[key] {
			t.Fatalf("queue call %v twice", key)
		}
		seen[key] = true
		if c.Transferred {
			transferred++
			if c.Outcome != OutcomeAnswered {
				t.Errorf("transferred call %s is %s", c.CallID, c.Outcome)
			}
		}
		if c.Outcome == OutcomeAnswered && c.WaitS == 300 {
			wait300++
		}
		if c.Outcome == OutcomeAnswered && c.WaitS == 301 {
			wait301++
		}
		if c.Outcome == OutcomeAbandoned && c.WaitS >= 3 && c.WaitS <= 6 {
			short[c.WaitS]++
		}
		if c.Outcome == OutcomeTimeout && c.WaitS != 600 {
			t.Errorf("timeout %s waited %d s; want 600", c.CallID, c.WaitS)
		}
		if c.Outcome != OutcomeAnswered && c.TalkS != 0 {
			t.Errorf("%s call %s has talk %d", c.Outcome, c.CallID, c.TalkS)
		}
		if c.Seq > 1 {
			secondStay++
		}
		lt := c.Enter.In(loc)
		if lt.Format("2006-01-02 15:04:05") == "2025-10-26 02:30:00" {
			dst[c.Enter.Unix()] = true
		}
		switch lt.Format("2006-01-02 15:04:05") {
		case "2025-11-01 00:00:00":
			midnight = true
		case "2025-10-31 23:59:59":
			beforeMidnight = true
		}
		if c.InHours {
			inHours = true
		} else {
			outHours = true
		}
	}
	if transferred < 10 || wait300 < 5 || wait301 < 5 || secondStay < 5 {
		t.Errorf("got transferred %d, waits of 300 s %d, of 301 s %d, second stays %d; want more", transferred, wait300, wait301, secondStay)
	}
	for w := 3; w <= 6; w++ {
		if short[w] == 0 {
			t.Errorf("no abandon after %d s", w)
		}
	}
	if len(dst) != 2 {
		t.Errorf("got %d distinct instants at 02:30 on the autumn DST day; want 2", len(dst))
	}
	if !midnight || !beforeMidnight {
		t.Errorf("month boundary calls: 00:00:00 %v, 23:59:59 %v; want both", midnight, beforeMidnight)
	}
	if !inHours || !outHours {
		t.Errorf("in hours %v, out of hours %v; want both", inHours, outHours)
	}
	if got := tr.To.Sub(tr.From); got != 7*24*time.Hour+time.Hour {
		t.Errorf("range with the autumn change lasts %v; want 169h", got)
	}
}

func TestSpringForward(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Start = time.Date(2026, time.March, 28, 0, 0, 0, 0, cfg.Location)
	cfg.Days = 3
	s := mustGenerate(t, cfg)
	var before, after bool
	for _, c := range s.Truth().Calls {
		switch c.Enter.In(cfg.Location).Format("2006-01-02 15:04:05") {
		case "2026-03-29 01:59:59":
			before = true
		case "2026-03-29 03:00:00":
			after = true
		}
	}
	if !before || !after {
		t.Fatalf("spring change calls: 01:59:59 %v, 03:00:00 %v; want both", before, after)
	}
}

// TestInHours checks the half-open hours at the edges.
func TestInHours(t *testing.T) {
	loc := Copenhagen()
	q := defaultQueues()[1]
	f := func(s string, want bool) {
		t.Helper()
		tm, err := time.ParseInLocation("2006-01-02 15:04:05", s, loc)
		if err != nil {
			t.Fatal(err)
		}
		if got := q.open(tm, loc); got != want {
			t.Errorf("open(%s) = %v; want %v", s, got, want)
		}
	}
	f("2025-10-27 07:59:59", false) // Monday
	f("2025-10-27 08:00:00", true)
	f("2025-10-27 15:59:59", true)
	f("2025-10-27 16:00:00", false)
	f("2025-10-31 14:59:59", true) // Friday
	f("2025-10-31 15:00:00", false)
	f("2025-11-01 10:00:00", false) // Saturday
	q.Closed = []string{"2025-10-27"}
	f("2025-10-27 10:00:00", false)
}

func TestTruthJSON(t *testing.T) {
	s := mustGenerate(t, DefaultConfig())
	var b bytes.Buffer
	if err := s.WriteTruth(&b); err != nil {
		t.Fatal(err)
	}
	var got Truth
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.Switch != "default" || len(got.Calls) != len(s.Truth().Calls) {
		t.Fatalf("got switch %q, %d calls; want default, %d", got.Switch, len(got.Calls), len(s.Truth().Calls))
	}
}

func TestImportsNoAcdstat(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go command: %v", err)
	}
	out, err := exec.Command(gobin, "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, p := range strings.Fields(string(out)) {
		if strings.HasPrefix(p, "github.com/acdstat/acdstat") && p != "github.com/acdstat/acdstat/simulate" {
			t.Errorf("simulate imports %s; want the standard library only", p)
		}
		if strings.Contains(strings.SplitN(p, "/", 2)[0], ".") && !strings.HasPrefix(p, "github.com/acdstat/acdstat") {
			t.Errorf("simulate imports %s; want the standard library only", p)
		}
	}
}

func testLines(n int) []Line {
	base := time.Unix(1761552000, 0)
	ls := make([]Line, n)
	for i := range ls {
		ls[i] = Line{Time: base.Add(time.Duration(i) * time.Second), Text: strconv.Itoa(int(base.Unix())+i) + "|1.1|q|NONE|ENTERQUEUE||" + strconv.Itoa(i) + "|1"}
	}
	return ls
}

func TestSendRetries(t *testing.T) {
	var mu sync.Mutex
	var got []string
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		calls++
		if a := r.Header.Get("Authorization"); a != "Bearer s3cret" {
			t.Errorf("got Authorization %q; want Bearer s3cret", a)
		}
		if sw := r.URL.Query().Get("switch"); sw != "pbx1" {
			t.Errorf("got switch %q; want pbx1", sw)
		}
		body, _ := io.ReadAll(r.Body)
		if calls == 1 {
			http.Error(w, "spool full", http.StatusServiceUnavailable)
			return
		}
		got = append(got, strings.Split(strings.TrimSuffix(string(body), "\n"), "\n")...)
		w.Write([]byte(`{"accepted":1}`))
	}))
	defer srv.Close()

	lines := testLines(23)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := Send(ctx, srv.URL+"/v1/ingest/queue_log", "s3cret", "pbx1", lines, 0, 5, srv.Client()); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if len(got) != len(lines) {
		t.Fatalf("got %d lines; want %d", len(got), len(lines))
	}
	for i := range lines {
		if got[i] != lines[i].Text {
			t.Fatalf("line %d: got %q; want %q", i, got[i], lines[i].Text)
		}
	}
	if calls != 6 { // 5 batches, one sent twice
		t.Fatalf("got %d requests; want 6", calls)
	}
}

func TestSendRefused(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"message":"bad token"}`, http.StatusUnauthorized)
	}))
	defer srv.Close()
	err := Send(context.Background(), srv.URL, "", "", testLines(3), 0, 0, nil)
	if err == nil || !strings.Contains(err.Error(), "401") || !strings.Contains(err.Error(), "bad token") {
		t.Fatalf("got %v; want an error naming 401 and the body", err)
	}
}

func TestSendGivesUpWithContext(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadGateway)
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	err := Send(ctx, srv.URL, "", "", testLines(3), 0, 0, nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v; want context.DeadlineExceeded", err)
	}
}

func TestReplay(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := DefaultConfig()
		cfg.Days = 1
		cfg.CallsPerDay = 50
		start := time.Now()
		var posted []Line
		first := -1
		err := Replay(t.Context(), cfg, func(_ context.Context, ls []Line) error {
			now := time.Now()
			if first < 0 {
				first = len(ls)
			}
			for _, l := range ls {
				if l.Time.After(now) {
					t.Errorf("line %q posted at %v, before its time", l.Text, now)
				}
			}
			posted = append(posted, ls...)
			return nil
		})
		if err != nil {
			t.Fatalf("Replay: %v", err)
		}
		if len(posted) == 0 || first <= 0 {
			t.Fatalf("nothing posted")
		}
		for i, l := range posted {
			if i > 0 && l.Time.Before(posted[i-1].Time) {
				t.Fatalf("line %d posted out of order", i)
			}
		}
		if posted[0].Time.Before(start.Add(-time.Hour - time.Second)) {
			t.Fatalf("first line at %v; want after %v", posted[0].Time, start.Add(-time.Hour))
		}
	})
}

// TestDispositionsFollowTheTruth: with Dispositions set, the agent of the
// last answered stay of a share of the calls writes a DISPOSITION line
// (QueueLog() in the dialplan: data1 1 resolved or 0 not, data2 a code)
// after that stay ends, and the truth marks exactly those stays, resolved
// as the line says.
func TestDispositionsFollowTheTruth(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Dispositions = 0.8
	sim := mustGenerate(t, cfg)
	type key struct{ call, queue string }
	lines := map[key]Line{}
	for _, l := range sim.Lines() {
		f := strings.Split(l.Text, "|")
		if f[4] != "DISPOSITION" {
			continue
		}
		k := key{f[1], f[2]}
		if _, dup := lines[k]; dup {
			t.Errorf("two dispositions for call %s in %s", k.call, k.queue)
		}
		if len(f) != 7 || (f[5] != "0" && f[5] != "1") || f[6] == "" || !strings.HasPrefix(f[3], "PJSIP/") {
			t.Errorf("disposition line %q: want agent, 0 or 1, and a code", l.Text)
		}
		lines[k] = l
	}
	last := map[string]TruthCall{} // the last answered stay of each call
	for _, c := range sim.Truth().Calls {
		if c.Outcome == OutcomeAnswered && !c.Enter.Before(last[c.CallID].Enter) {
			last[c.CallID] = c
		}
	}
	disposed, resolved := 0, map[string][2]int{}
	for _, c := range sim.Truth().Calls {
		l, ok := lines[key{c.CallID, c.Queue}]
		if !c.Disposed {
			if c.Resolved {
				t.Errorf("call %s in %s: resolved without a disposition", c.CallID, c.Queue)
			}
			continue
		}
		disposed++
		if !ok {
			t.Errorf("call %s in %s: disposed in the truth, but no line", c.CallID, c.Queue)
			continue
		}
		if last[c.CallID] != c {
			t.Errorf("call %s: the disposition is on stay %s/%d, not the last answered one", c.CallID, c.Queue, c.Seq)
		}
		if end := c.Enter.Add(time.Duration(c.WaitS+c.TalkS) * time.Second); l.Time.Before(end) {
			t.Errorf("call %s: disposition at %v, before the stay ends at %v", c.CallID, l.Time, end)
		}
		if want := map[bool]string{true: "1", false: "0"}[c.Resolved]; strings.Split(l.Text, "|")[5] != want {
			t.Errorf("call %s: line %q; the truth says resolved=%v", c.CallID, l.Text, c.Resolved)
		}
		r := resolved[c.Queue]
		r[0]++
		if c.Resolved {
			r[1]++
		}
		resolved[c.Queue] = r
	}
	if disposed != len(lines) {
		t.Errorf("%d dispositions in the truth, %d lines", disposed, len(lines))
	}
	if share := float64(disposed) / float64(len(last)); share < 0.75 || share > 0.85 {
		t.Errorf("%.2f of the answered calls have a disposition; want about 0.80", share)
	}
	// Each desk resolves about its own share, around the 60 % target.
	for _, q := range cfg.Queues {
		r := resolved[q.Name]
		if rate := float64(r[1]) / float64(r[0]); rate < 0.45 || rate > 0.85 {
			t.Errorf("%s: %.2f resolved at first contact; want a plausible rate", q.Name, rate)
		}
	}
}

// TestNoDispositionsUnlessAsked: the default configuration writes no
// DISPOSITION line, so every run made before dispositions existed gives
// the same lines.
func TestNoDispositionsUnlessAsked(t *testing.T) {
	for _, l := range mustGenerate(t, DefaultConfig()).Lines() {
		if strings.Contains(l.Text, "|DISPOSITION|") {
			t.Fatalf("line %q without Dispositions", l.Text)
		}
	}
}

// TestReplayFromPlaysThePastAtOnce: ReplayFrom a start in the past posts
// every line before now in the first call, then the rest as their time
// comes, and every line of the day once.
func TestReplayFromPlaysThePastAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// The bubble's clock starts on a Saturday: wait for Monday noon,
		// and play Monday from its midnight, as make run plays today.
		cfg := DefaultConfig()
		cfg.Days, cfg.CallsPerDay = 1, 200
		cfg.Start = time.Date(2000, time.January, 3, 0, 0, 0, 0, cfg.Location)
		time.Sleep(time.Until(cfg.Start.Add(12 * time.Hour)))
		now := time.Now()
		want := mustGenerate(t, cfg).Lines()
		var past int
		for past < len(want) && !want[past].Time.After(now) {
			past++
		}
		if past == 0 || past == len(want) {
			t.Fatalf("%d of %d lines before now; want some on each side", past, len(want))
		}
		var posts [][]Line
		err := ReplayFrom(t.Context(), cfg, func(_ context.Context, ls []Line) error {
			for _, l := range ls {
				if l.Time.After(time.Now()) {
					t.Errorf("line %q posted at %v, before its time", l.Text, time.Now())
				}
			}
			posts = append(posts, ls)
			return nil
		})
		if err != nil {
			t.Fatalf("ReplayFrom: %v", err)
		}
		if len(posts) == 0 || len(posts[0]) != past {
			t.Fatalf("the first post has %d lines; want the %d before now", len(posts[0]), past)
		}
		var got []Line
		for _, p := range posts {
			got = append(got, p...)
		}
		if len(got) != len(want) {
			t.Errorf("posted %d lines; want %d", len(got), len(want))
		}
	})
}
