package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/acdstat/acdstat/cdr"
)

// LiveSource is the live state (cdr.Live satisfies it): the state at an
// instant, a channel closed at its next change, and whether it holds the
// stored events yet (a node that just started has not read them).
type LiveSource interface {
	State(now time.Time, settings *cdr.Settings) cdr.LiveState
	Changed() <-chan struct{}
	Changes() uint64
	Loaded() bool
}

// errLoading is the answer while the live state is not loaded: the page
// keeps what it shows and asks again.
var errLoading = &userError{http.StatusServiceUnavailable, "the live state is loading (serve reads the events of the last day at start); ask again in a second"}

// LiveAPI serves the live state: GET /v1/live (JSON), GET /v1/live/events
// (the same as server-sent events, one at every change and at least every
// LiveHeartbeat) and the wallboard page GET /wall. All three are behind
// wrap, which lets the wallboard's own tokens in (and the read token);
// those tokens open nothing else.
type LiveAPI struct {
	live     LiveSource
	settings SettingsSource
	log      *slog.Logger
	now      func() time.Time
	wrap     func(http.Handler) http.Handler

	// The state made last and what it was made of: every wallboard
	// connected asks at each change, and they share one state a second.
	mu        sync.Mutex
	cacheKey  liveKey
	cacheJSON liveJSON
}

type liveKey struct {
	changes uint64
	second  int64
	version string
}

// LiveHeartbeat is how often the event stream sends the state when nothing
// changed: today's figures turn over at midnight and a kiosk's proxy may
// close a quiet connection.
const LiveHeartbeat = 15 * time.Second

// NewLiveAPI returns the live endpoints; wrap guards them.
func NewLiveAPI(live LiveSource, settings SettingsSource, log *slog.Logger, now func() time.Time, wrap func(http.Handler) http.Handler) *LiveAPI {
	return &LiveAPI{live: live, settings: settings, log: log, now: now, wrap: wrap}
}

// Register mounts GET /v1/live, GET /v1/live/events and GET /wall.
func (a *LiveAPI) Register(mux *http.ServeMux) {
	mux.Handle("GET /v1/live", a.wrap(http.HandlerFunc(a.state)))
	mux.Handle("GET /v1/live/events", a.wrap(http.HandlerFunc(a.events)))
	mux.Handle("GET /wall", a.wrap(http.HandlerFunc(a.page)))
}

// liveJSON is the answer of GET /v1/live (README, "The wallboard").
type liveJSON struct {
	Now time.Time `json:"now"`
	// WholeSince is null while the state holds every event of its
	// lookback; after its cap (ACDSTAT_LIVE_MAX_EVENTS) let old events go,
	// the time from which it does (cdr.LiveState.WholeSince).
	WholeSince *time.Time      `json:"whole_since"`
	Queues     []liveQueueJSON `json:"queues"`
	// Agents is null where agent figures are off.
	Agents []liveAgentJSON `json:"agents"`
}

type liveQueueJSON struct {
	Queue        string          `json:"queue"`
	Display      string          `json:"display"`
	TZ           string          `json:"tz"`
	Waiting      int             `json:"waiting"`
	LongestWaitS int64           `json:"longest_wait_s"`
	WaitingCalls []liveCallJSON  `json:"waiting_calls"`
	Agents       liveCountsJSON  `json:"agents"`
	Today        liveTodayJSON   `json:"today"`
	TodayInHours liveTodayJSON   `json:"today_in_hours"`
	WallWaitS    int             `json:"wall_wait_s"`
	SLATarget    float64         `json:"sla_target"`
	Alerts       map[string]bool `json:"alerts"`
	SLAFormula   string          `json:"sla_formula"`
	SLAS         int             `json:"sla_s"`
}

type liveCallJSON struct {
	Switch    string    `json:"switch"`
	EnterTime time.Time `json:"enter_time"`
	WaitS     int64     `json:"wait_s"`
}

type liveCountsJSON struct {
	LoggedIn  int `json:"logged_in"`
	Available int `json:"available"`
	Ringing   int `json:"ringing"`
	OnCall    int `json:"on_call"`
	Paused    int `json:"paused"`
}

type liveTodayJSON struct {
	Date         string   `json:"date"`
	Offered      uint64   `json:"offered"`
	Answered     uint64   `json:"answered"`
	Abandoned    uint64   `json:"abandoned"`
	ServiceLevel *float64 `json:"service_level"`
	SLAMet       *bool    `json:"sla_met"`
}

type liveAgentJSON struct {
	Agent       string    `json:"agent"`
	Display     string    `json:"display"`
	State       string    `json:"state"`
	LoggedIn    bool      `json:"logged_in"`
	Paused      bool      `json:"paused"`
	PauseReason string    `json:"pause_reason"`
	Since       time.Time `json:"since"`
	Queues      []string  `json:"queues"`
}

// liveState reads the state now with the current queue settings.
func (a *LiveAPI) liveState(ctx context.Context) (liveJSON, error) {
	if !a.live.Loaded() {
		return liveJSON{}, errLoading
	}
	qs, err := a.settings.Settings(ctx)
	if err != nil {
		return liveJSON{}, err
	}
	now := a.now()
	key := liveKey{a.live.Changes(), now.Unix(), ""}
	if qs != nil {
		key.version = qs.Version
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if key != a.cacheKey || a.cacheJSON.Now.IsZero() {
		a.cacheKey, a.cacheJSON = key, newLiveJSON(a.live.State(now, qs))
	}
	return a.cacheJSON, nil
}

// newLiveJSON turns the state into the answer. A queue's alerts are those
// of the wallboard's colours: "wait" while a caller has waited longer than
// its wall_wait_s, "service_level" while today's service level (all
// calls) is below its sla_target.
func newLiveJSON(st cdr.LiveState) liveJSON {
	out := liveJSON{Now: st.Now.UTC(), Queues: []liveQueueJSON{}}
	if !st.WholeSince.IsZero() {
		t := st.WholeSince.UTC()
		out.WholeSince = &t
	}
	for _, q := range st.Queues {
		s := q.Settings
		j := liveQueueJSON{
			Queue: s.Name, Display: s.Display, TZ: s.Location.String(), Waiting: len(q.Waiting),
			LongestWaitS: q.LongestWaitS(st.Now), WaitingCalls: []liveCallJSON{},
			Agents:    liveCountsJSON(q.Agents),
			Today:     newLiveToday(st.Now, &q.Today, s),
			WallWaitS: s.WallWait(), SLATarget: s.SLATarget, SLAFormula: s.SLAFormula, SLAS: s.SLAS,
		}
		j.TodayInHours = newLiveToday(st.Now, &q.TodayInHours, s)
		for _, c := range q.Waiting {
			j.WaitingCalls = append(j.WaitingCalls, liveCallJSON{Switch: c.Switch, EnterTime: c.EnterTime.UTC(), WaitS: c.WaitS(st.Now)})
		}
		j.Alerts = map[string]bool{
			"wait":          j.LongestWaitS > int64(j.WallWaitS),
			"service_level": j.Today.SLAMet != nil && !*j.Today.SLAMet,
		}
		out.Queues = append(out.Queues, j)
	}
	if st.Agents != nil {
		out.Agents = []liveAgentJSON{}
	}
	for _, ag := range st.Agents {
		queues := ag.Queues
		if queues == nil {
			queues = []string{}
		}
		out.Agents = append(out.Agents, liveAgentJSON{
			Agent: ag.ID, Display: ag.Display, State: ag.State, LoggedIn: ag.LoggedIn,
			Paused: ag.Paused, PauseReason: ag.PauseReason, Since: ag.Since.UTC(), Queues: queues,
		})
	}
	return out
}

func newLiveToday(now time.Time, c *cdr.Counts, s cdr.QueueSettings) liveTodayJSON {
	r := c.Ratios(s)
	return liveTodayJSON{
		Date: now.In(s.Location).Format(time.DateOnly), Offered: c.Offered, Answered: c.Answered,
		Abandoned: c.Abandoned, ServiceLevel: r.ServiceLevel, SLAMet: r.SLAMet,
	}
}

// state serves GET /v1/live.
func (a *LiveAPI) state(w http.ResponseWriter, r *http.Request) {
	st, err := a.liveState(r.Context())
	if err != nil {
		(&API{log: a.log}).fail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, st)
}

// events serves GET /v1/live/events: server-sent events, each an event
// "state" whose data is the answer of GET /v1/live, at once, at every
// change of the state and every LiveHeartbeat, until the client goes or
// the server shuts down (the page connects again, to another node
// behind a balancer or to this one restarted).
// Each write gets its own deadline, since the server's WriteTimeout would
// end a stream that lives longer.
func (a *LiveAPI) events(w http.ResponseWriter, r *http.Request) {
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no") // nginx: pass each event on at once
	w.WriteHeader(http.StatusOK)
	heartbeat := time.NewTicker(LiveHeartbeat)
	defer heartbeat.Stop()
	for {
		changed := a.live.Changed() // before the read: a change during it is not missed
		if err := a.send(r.Context(), w, rc); err != nil {
			a.log.Debug("live event stream ended", "err", err)
			return
		}
		select {
		case <-r.Context().Done():
			return
		case <-shuttingDown(r.Context()):
			return
		case <-changed:
		case <-heartbeat.C:
		}
	}
}

// send writes one event of the stream.
func (a *LiveAPI) send(ctx context.Context, w http.ResponseWriter, rc *http.ResponseController) error {
	st, err := a.liveState(ctx)
	if err != nil {
		if !errors.Is(err, errLoading) {
			a.log.Warn("cannot read the live state", "err", err)
		}
		// The page keeps the last state; the next change or heartbeat
		// tries again.
		_, err = fmt.Fprint(w, ": not ready\n\n")
		return cmpErr(err, rc.Flush())
	}
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	if err := rc.SetWriteDeadline(time.Now().Add(LiveHeartbeat + 10*time.Second)); err != nil {
		return err
	}
	if _, err := fmt.Fprintf(w, "event: state\ndata: %s\n\n", b); err != nil {
		return err
	}
	return rc.Flush()
}

// cmpErr returns the first error that is not nil.
func cmpErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// page serves GET /wall?lang=en|da&queue=Q&queue=…&token=T: the
// wallboard. The page holds no figures itself: its script reads the event
// stream (polling GET /v1/live every 2 s where the stream fails) with the
// token of its own address.
func (a *LiveAPI) page(w http.ResponseWriter, r *http.Request) {
	lang := r.URL.Query().Get("lang")
	if _, ok := wallLabels[lang]; !ok {
		lang = "en"
	}
	l, err := json.Marshal(wallLabels[lang])
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := wallPage.Execute(w, wallData{Lang: lang, L: wallLabels[lang], LabelsJSON: template.JS(l)}); err != nil {
		a.log.Warn("cannot write the wallboard", "err", err)
	}
}
