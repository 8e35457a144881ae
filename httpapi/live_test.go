package httpapi

import (
	"bufio"
	"context"
	"encoding/json"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/acdstat/acdstat/cdr"
)

// TestWallLabelsAreCompleteInEveryLanguage: the wallboard's labels, as
// TestLabelsAreCompleteInEveryLanguage checks the dashboard's.
func TestWallLabelsAreCompleteInEveryLanguage(t *testing.T) {
	en := wallLabels["en"]
	for lang, l := range wallLabels {
		if got, want := slices.Sorted(maps.Keys(l)), slices.Sorted(maps.Keys(en)); !slices.Equal(got, want) {
			t.Errorf("%s has labels %v; want those of en, %v", lang, got, want)
		}
		for k, v := range l {
			if strings.TrimSpace(v) == "" {
				t.Errorf("%s %s is empty", lang, k)
			}
			if lang != "en" && v == en[k] {
				t.Errorf("%s %s is the English %q", lang, k, v)
			}
		}
	}
}

type liveSettings struct{ s *cdr.Settings }

func (f liveSettings) Settings(context.Context) (*cdr.Settings, error) { return f.s, nil }

// TestLiveAnswersAndStreams: GET /v1/live is 503 until the state is
// loaded, then answers the state with the queue's alerts (a wait over
// wall_wait_s is one); GET /v1/live/events sends the state at once and
// again when an event comes in.
func TestLiveAnswersAndStreams(t *testing.T) {
	now := time.Date(2025, 10, 27, 9, 0, 0, 0, time.UTC)
	live := cdr.NewLive(cdr.LiveOptions{})
	q := cdr.DefaultQueueSettings("support")
	q.WallWaitS = 30
	api := NewLiveAPI(live, liveSettings{&cdr.Settings{Queues: map[string]cdr.QueueSettings{"support": q}}},
		slog.New(slog.DiscardHandler), func() time.Time { return now }, func(h http.Handler) http.Handler { return h })
	mux := http.NewServeMux()
	api.Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	resp, err := http.Get(srv.URL + "/v1/live")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("before the state is loaded: got %d; want 503", resp.StatusCode)
	}
	enter := cdr.Event{Switch: "pbx1", Source: cdr.SourceQueueLog, Time: now.Add(-40 * time.Second), CallID: "c1", Queue: "support", Agent: "NONE", Verb: "ENTERQUEUE"}
	live.Add([]cdr.Event{enter})
	live.MarkLoaded()

	var got liveJSON
	getLive(t, srv.URL+"/v1/live", &got)
	if len(got.Queues) != 1 || got.Queues[0].Waiting != 1 || got.Queues[0].LongestWaitS != 40 || !got.Queues[0].Alerts["wait"] || got.Queues[0].WallWaitS != 30 {
		t.Fatalf("got %+v; want support with one caller waiting 40 s, over its wall_wait_s of 30", got.Queues)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/v1/live/events", nil)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Errorf("Content-Type: got %q; want text/event-stream", ct)
	}
	events := bufio.NewScanner(resp.Body)
	next := func() liveJSON {
		t.Helper()
		for events.Scan() {
			if data, ok := strings.CutPrefix(events.Text(), "data: "); ok {
				var st liveJSON
				if err := json.Unmarshal([]byte(data), &st); err != nil {
					t.Fatal(err)
				}
				return st
			}
		}
		t.Fatalf("the stream ended: %v", events.Err())
		return liveJSON{}
	}
	if st := next(); st.Queues[0].Waiting != 1 {
		t.Errorf("first event: got %+v; want one caller waiting", st.Queues[0])
	}
	abandon := enter
	abandon.Verb, abandon.Time, abandon.Data = "ABANDON", now, [5]string{"1", "1", "40"}
	live.Add([]cdr.Event{abandon})
	if st := next(); st.Queues[0].Waiting != 0 || st.Queues[0].Today.Abandoned != 1 {
		t.Errorf("after ABANDON: got %+v; want nobody waiting and one abandoned today", st.Queues[0])
	}
}

func getLive(t *testing.T, u string, v any) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d", u, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}

// TestLiveStreamOutlivesTheServerTimeouts: a stream lives longer than
// the server's ReadTimeout and WriteTimeout (two minutes in Server): each
// event sets its own write deadline, so an event after them still
// arrives.
func TestLiveStreamOutlivesTheServerTimeouts(t *testing.T) {
	now := time.Date(2025, 10, 27, 9, 0, 0, 0, time.UTC)
	live := cdr.NewLive(cdr.LiveOptions{})
	live.MarkLoaded()
	api := NewLiveAPI(live, liveSettings{nil}, slog.New(slog.DiscardHandler), func() time.Time { return now },
		func(h http.Handler) http.Handler { return h })
	mux := http.NewServeMux()
	api.Register(mux)
	srv := httptest.NewUnstartedServer(mux)
	const timeout = 150 * time.Millisecond
	srv.Config.ReadTimeout, srv.Config.WriteTimeout = timeout, timeout
	srv.Start()
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/v1/live/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	lines := bufio.NewScanner(resp.Body)
	data := make(chan string)
	go func() {
		defer close(data)
		for lines.Scan() {
			if d, ok := strings.CutPrefix(lines.Text(), "data: "); ok {
				data <- d
			}
		}
	}()
	<-data                  // the state at once
	time.Sleep(3 * timeout) // past the deadlines the server set
	live.Add([]cdr.Event{{Switch: "pbx1", Source: cdr.SourceQueueLog, Time: now, CallID: "c1", Queue: "support", Agent: "NONE", Verb: "ENTERQUEUE"}})
	select {
	case d, ok := <-data:
		if !ok || !strings.Contains(d, `"waiting":1`) {
			t.Errorf("after the server's timeouts: got %q (open %v); want the state with one caller waiting", d, ok)
		}
	case <-time.After(5 * time.Second):
		t.Errorf("after the server's timeouts: no event within 5 s")
	}
}

// TestLiveSaysWhenItsFiguresAreWhole: GET /v1/live gives whole_since
// null while the state holds every event of its lookback, and the time
// from which it does once its cap let older events go.
func TestLiveSaysWhenItsFiguresAreWhole(t *testing.T) {
	now := time.Date(2025, 10, 27, 9, 0, 0, 0, time.UTC)
	live := cdr.NewLive(cdr.LiveOptions{MaxEvents: 1})
	live.MarkLoaded()
	api := NewLiveAPI(live, liveSettings{nil}, slog.New(slog.DiscardHandler), func() time.Time { return now },
		func(h http.Handler) http.Handler { return h })
	mux := http.NewServeMux()
	api.Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	for i, id := range []string{"c1", "c2"} {
		live.Add([]cdr.Event{{Switch: "pbx1", Source: cdr.SourceQueueLog, Time: now.Add(time.Duration(i-2) * time.Minute),
			CallID: id, Queue: "support", Agent: "NONE", Verb: "ENTERQUEUE"}})
	}
	var got struct {
		WholeSince *time.Time `json:"whole_since"`
	}
	getLive(t, srv.URL+"/v1/live", &got)
	if got.WholeSince != nil {
		t.Errorf("with every event: got whole_since %s; want null", got.WholeSince)
	}
	live.Prune(now)
	getLive(t, srv.URL+"/v1/live", &got)
	if want := now.Add(-2 * time.Minute).Add(time.Second); got.WholeSince == nil || !got.WholeSince.Equal(want) {
		t.Errorf("after the cap: got whole_since %v; want %s", got.WholeSince, want)
	}
}
