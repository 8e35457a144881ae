package intake

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/acdstat/acdstat/cdr"
)

// Config holds the intake settings; config composes it under ACDSTAT_.
type Config struct {
	IngestToken string `env:"INGEST_TOKEN"`
	// MaxBodyBytes caps one ingest request body.
	MaxBodyBytes int64 `env:"MAX_BODY_BYTES" envDefault:"33554432"`
	// MaxLineBytes caps one line of a body.
	MaxLineBytes int `env:"MAX_LINE_BYTES" envDefault:"65536"`
	// SwitchTimezone is the zone of local times (queue_log table exports,
	// cdr_csv, generic CDRs) from switches that the queue file gives no
	// zone, by their own entry or by defaults.timezone
	// (cdr.Settings.SwitchZone).
	SwitchTimezone string `env:"SWITCH_TIMEZONE" envDefault:"Europe/Copenhagen"`
	// IngestRate limits the lines per second each source address may send
	// (0: no limit), with IngestBurst lines at once (0: one second's worth).
	IngestRate  float64 `env:"INGEST_RATE" envDefault:"0"`
	IngestBurst int     `env:"INGEST_BURST" envDefault:"0"`
	// AllowCIDRs lists the source networks intake accepts (empty: all).
	AllowCIDRs string `env:"ALLOW_CIDRS"`
	// CallerNumbers is keep, hash or drop (empty: hash when a key is set,
	// else keep); see Privacy.
	CallerNumbers     string `env:"CALLER_NUMBERS"`
	CallerHashKey     string `env:"CALLER_HASH_KEY"`
	CallerHashKeyFile string `env:"CALLER_HASH_KEY_FILE"`
	// SIP holds the HEP and plain SIP listeners' settings.
	SIP SIPConfig
	// Limits bound what one sender can make a listener hold: connections,
	// their idle time, concurrent ingest requests and stored rejects.
	Limits Limits
	// Oldest gives the oldest event time accepted at now, on every path
	// (cdr.DecodeOptions.Oldest; the zero time, or a nil Oldest: no
	// bound). It is no variable of its own: config.Load sets it to the
	// cutoff of the raw-event retention (ACDSTAT_RETENTION_EVENTS), which
	// would drop older events at its next run, and `acdstat ingest
	// --allow-old` clears it for a backfill.
	Oldest func(now time.Time) time.Time `env:"-"`
}

// oldest is the oldest event time accepted at now (Oldest), or zero.
func (c Config) oldest(now time.Time) time.Time {
	if c.Oldest == nil {
		return time.Time{}
	}
	return c.Oldest(now)
}

// SwitchZone loads SwitchTimezone, the fallback of cdr.Settings.SwitchZone:
// HTTP intake and `acdstat ingest` both read it here.
func (c Config) SwitchZone() (*time.Location, error) {
	loc, err := time.LoadLocation(c.SwitchTimezone)
	if err != nil {
		return nil, fmt.Errorf("ACDSTAT_SWITCH_TIMEZONE: %w", err)
	}
	return loc, nil
}

// Sink takes decoded events and refused lines. A nil error means they are
// stored durably: only then does intake acknowledge. Sinks must be safe for
// concurrent use.
type Sink interface {
	Accept(ctx context.Context, events []cdr.Event, rejects []cdr.Reject) error
}

// Answer is the JSON body of every ingest answer (DESIGN.md).
type Answer struct {
	Accepted   int          `json:"accepted"`
	Duplicates int          `json:"duplicates"`
	Rejected   []RejectLine `json:"rejected"`
}

// RejectLine is one refused line as the sender sees it.
type RejectLine struct {
	Line   int    `json:"line"`
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

// maxRejectsListed bounds the answer and the rejects a Result keeps: the
// rest are counted (Result.Rejected), so that a request of bad lines costs
// no memory per line. What is stored is bounded apart (Limits).
const maxRejectsListed = 1000

// Handler serves the ingest endpoints that Register mounts.
type Handler struct {
	cfg  Config
	log  *slog.Logger
	sink Sink
	// settings are the queue settings' switch zones and loc is
	// ACDSTAT_SWITCH_TIMEZONE: together they give each request's zone.
	settings SwitchZones
	loc      *time.Location
	metrics  *metrics
	now      func() time.Time
	allow    *Allowlist
	limit    *rateLimiter
	privacy  *Privacy
	seen     *lastSeen
	// rejectLimit is the per-source bucket of stored rejects
	// (Limits.MaxRejectsPerMinute); turns bounds the requests decoded at
	// once (Limits.MaxIngestRequests).
	rejectLimit *rateLimiter
	turns       chan struct{}
}

type metrics struct {
	received *prometheus.CounterVec
	accepted *prometheus.CounterVec
	rejected *prometheus.CounterVec
	dups     *prometheus.CounterVec
	refused  *prometheus.CounterVec
	// dropped counts refused lines not stored, by the cap that dropped them.
	dropped *prometheus.CounterVec
}

// SwitchZones gives the zone a switch writes its local times in, with
// ACDSTAT_SWITCH_TIMEZONE as the fallback: cdr.Settings.SwitchZone, or that
// of the current queue settings (config.Current), which follows a newly
// applied version. It must be safe for concurrent use.
type SwitchZones interface {
	SwitchZone(name string, fallback *time.Location) *time.Location
}

// NewHandler returns the ingest handler. reg may be nil; now is its clock
// (the future limit of event times, the time of receipt). settings gives
// the queue settings' switch zones (nil: none): every request reads local
// times in the zone of the switch it names, settings.SwitchZone with
// ACDSTAT_SWITCH_TIMEZONE as the fallback, asked once per request.
func NewHandler(cfg Config, log *slog.Logger, reg prometheus.Registerer, now func() time.Time, settings SwitchZones, sink Sink) (*Handler, error) {
	loc, err := cfg.SwitchZone()
	if err != nil {
		return nil, err
	}
	m := &metrics{
		received: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "acdstat_intake_received_lines_total", Help: "Lines received by intake."}, []string{"source"}),
		accepted: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "acdstat_intake_accepted_events_total", Help: "Events stored by intake."}, []string{"source"}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "acdstat_intake_rejected_lines_total", Help: "Lines refused by intake, by the field at fault."}, []string{"source", "reason"}),
		dups:     prometheus.NewCounterVec(prometheus.CounterOpts{Name: "acdstat_intake_duplicate_events_total", Help: "Events repeated within one request."}, []string{"source"}),
		refused:  prometheus.NewCounterVec(prometheus.CounterOpts{Name: "acdstat_intake_refused_requests_total", Help: "Ingest requests refused before decoding, by reason (allowlist, rate, busy)."}, []string{"reason"}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "acdstat_intake_rejects_dropped_total",
			Help: "Refused lines counted but not stored in the rejects table, by the cap that dropped them (request: ACDSTAT_MAX_REJECTS_PER_REQUEST, source: ACDSTAT_MAX_REJECTS_PER_MINUTE).",
		}, []string{"cap"}),
	}
	allowlist, err := ParseAllowlist(cfg.AllowCIDRs)
	if err != nil {
		return nil, fmt.Errorf("ACDSTAT_ALLOW_CIDRS: %w", err)
	}
	privacy, err := NewPrivacy(cfg.CallerNumbers, cfg.CallerHashKey, cfg.CallerHashKeyFile)
	if err != nil {
		return nil, err
	}
	seen := newLastSeen(now)
	log.Info("intake settings", "caller_numbers", privacy.Mode(), "allow", allowlist.String(),
		"rate_lines_per_second", cfg.IngestRate, "ingest_token", cfg.IngestToken != "")
	if reg != nil {
		for _, c := range []prometheus.Collector{m.received, m.accepted, m.rejected, m.dups, m.refused, m.dropped, seen} {
			if err := reg.Register(c); err != nil {
				return nil, fmt.Errorf("cannot register intake metrics: %w", err)
			}
		}
	}
	if settings == nil {
		settings = (*cdr.Settings)(nil) // every switch in ACDSTAT_SWITCH_TIMEZONE
	}
	cfg.Limits = cfg.Limits.orDefault()
	return &Handler{cfg: cfg, log: log, sink: sink, settings: settings, loc: loc, metrics: m, now: now,
		allow: allowlist, limit: newRateLimiter(cfg.IngestRate, cfg.IngestBurst, now), privacy: privacy, seen: seen,
		rejectLimit: newRateLimiter(float64(cfg.Limits.MaxRejectsPerMinute)/60, cfg.Limits.MaxRejectsPerMinute, now),
		turns:       make(chan struct{}, cfg.Limits.MaxIngestRequests)}, nil
}

// Register mounts the ingest endpoints on mux.
func (h *Handler) Register(mux *http.ServeMux) {
	mux.Handle("POST /v1/ingest/queue_log", allow(h.allow, h.refused, h.auth(http.HandlerFunc(h.queueLog))))
	mux.Handle("POST /v1/ingest/freeswitch", allow(h.allow, h.refused, h.auth(http.HandlerFunc(h.freeSWITCH))))
	mux.Handle("POST /v1/ingest/cdr", allow(h.allow, h.refused, h.auth(http.HandlerFunc(h.cdrFile))))
	mux.Handle("POST /v1/dispositions", allow(h.allow, h.refused, h.auth(http.HandlerFunc(h.dispositions))))
	mux.Handle("POST /v1/contacts", allow(h.allow, h.refused, h.auth(http.HandlerFunc(h.contacts))))
	mux.Handle("POST /v1/cases", allow(h.allow, h.refused, h.auth(http.HandlerFunc(h.cases))))
}

func (h *Handler) refused(reason string) { h.metrics.refused.WithLabelValues(reason).Inc() }

// auth lets through the requests with the ingest token, and then only as
// many at once as Limits.MaxIngestRequests (turn).
func (h *Handler) auth(next http.Handler) http.Handler {
	return RequireToken(h.cfg.IngestToken, "ingest", h.turn(next))
}

// turn runs next when fewer than Limits.MaxIngestRequests requests are
// being read and decoded: each may hold a body of MaxBodyBytes, so their
// number bounds intake's memory. A request waits up to Limits.IngestWait
// for a turn, then gets 503 with Retry-After, nothing of it read.
func (h *Handler) turn(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case h.turns <- struct{}{}:
		default:
			t := time.NewTimer(h.cfg.Limits.IngestWait)
			defer t.Stop()
			select {
			case h.turns <- struct{}{}:
			case <-t.C:
				h.refused("busy")
				w.Header().Set("Retry-After", "1")
				WriteError(w, http.StatusServiceUnavailable, fmt.Sprintf("ACDSTAT_MAX_INGEST_REQUESTS=%d requests are being taken: nothing of this request was stored, send it again after Retry-After", cap(h.turns)))
				return
			case <-r.Context().Done():
				return
			}
		}
		defer func() { <-h.turns }()
		next.ServeHTTP(w, r)
	})
}

// RequireToken lets a request through when token is empty, or when it
// carries the token as a bearer token or as the password of HTTP Basic
// (all that FreeSWITCH's mod_json_cdr can send).
func RequireToken(token, realm string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if token == "" {
			next.ServeHTTP(w, r)
			return
		}
		got := requestToken(r)
		if got == "" {
			w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm=%q, Basic realm=%q`, realm, realm))
			WriteError(w, http.StatusUnauthorized, "missing credentials: send the "+realm+" token as 'Authorization: Bearer TOKEN' or as the HTTP Basic password")
			return
		}
		if subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
			WriteError(w, http.StatusForbidden, "the "+realm+" token is not valid")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// requestToken is the token a request presents: 'Authorization: Bearer
// TOKEN' (the scheme in any case, RFC 9110 11.1) or the HTTP Basic
// password; "" when none.
func requestToken(r *http.Request) string {
	if a := r.Header.Get("Authorization"); len(a) > 7 && strings.EqualFold(a[:7], "Bearer ") {
		return strings.TrimSpace(a[7:])
	}
	if _, p, ok := r.BasicAuth(); ok {
		return p
	}
	return ""
}

// HasToken says whether r presents token (always true when token is empty:
// no token is set), by the rules of RequireToken.
func HasToken(r *http.Request, token string) bool {
	got := requestToken(r)
	return token == "" || (got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(token)) == 1)
}

// requestSwitch is the switch a request names (?switch= or the
// X-Acdstat-Switch header; DefaultSwitch when neither), by cdr.SwitchName,
// or a 400 answer that says which of the two broke the rule.
func requestSwitch(w http.ResponseWriter, r *http.Request) (string, bool) {
	sw, where := r.URL.Query().Get("switch"), "the switch query parameter"
	if sw == "" {
		sw, where = r.Header.Get("X-Acdstat-Switch"), "the X-Acdstat-Switch header"
	}
	sw, err := cdr.SwitchName(sw)
	if err != nil {
		WriteError(w, http.StatusBadRequest, where+": "+err.Error())
		return "", false
	}
	return sw, true
}

func (h *Handler) queueLog(w http.ResponseWriter, r *http.Request) {
	sw, ok := requestSwitch(w, r)
	if !ok {
		return
	}
	format := r.URL.Query().Get("format")
	if format == "" {
		format = cdr.SourceQueueLog
	}
	if format != cdr.SourceQueueLog && format != cdr.SourceQueueLogDB {
		WriteError(w, http.StatusBadRequest, fmt.Sprintf("format %q is not a queue_log format: use queue_log or queue_log_db", format))
		return
	}
	decode, _ := cdr.Decoder(format)
	decode = h.privacy.Wrap(decode)
	body, ok := h.readBody(w, r)
	if !ok {
		return
	}
	if len(bytes.TrimSpace(body)) == 0 {
		WriteError(w, http.StatusBadRequest, "body has no lines: send queue_log lines, one event per line")
		return
	}
	h.ingestBody(w, r, sw, format, decode, body)
}

// readBody reads a request body within ACDSTAT_MAX_BODY_BYTES, or answers
// 413 (too large) or 400.
// A body of known length is read into one buffer of that size, rather
// than one that doubles as it fills: a request then holds its body once.
func (h *Handler) readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	var buf bytes.Buffer
	if r.ContentLength > 0 && r.ContentLength <= h.cfg.MaxBodyBytes {
		buf.Grow(int(r.ContentLength) + bytes.MinRead)
	}
	_, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, h.cfg.MaxBodyBytes))
	body := buf.Bytes()
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			WriteError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("body is larger than %d bytes: send it in smaller requests", tooBig.Limit))
			return nil, false
		}
		WriteError(w, http.StatusBadRequest, "cannot read body: "+err.Error())
		return nil, false
	}
	return body, true
}

// ingestBody is what every ingest handler ends with: the per-source rate
// limit, decoding into the sink (local times in the zone of switch sw), the
// switch's last-seen time (only once the events are stored), and the
// answer.
func (h *Handler) ingestBody(w http.ResponseWriter, r *http.Request, sw, format string, decode cdr.DecodeFunc, body []byte) {
	if addr, ok := remoteAddr(r.RemoteAddr); ok {
		if wait := h.limit.take(addr, countLines(body)); wait > 0 {
			h.refused("rate")
			w.Header().Set("Retry-After", retryAfterSeconds(wait))
			WriteError(w, http.StatusTooManyRequests, fmt.Sprintf("more than ACDSTAT_INGEST_RATE=%g lines per second from %s: nothing of this request was stored, send it again after Retry-After", h.cfg.IngestRate, addr))
			return
		}
	}
	now := h.now()
	res, err := ingest(r.Context(), format, decode, bytes.NewReader(body), cdr.DecodeOptions{
		Switch: sw, Location: h.settings.SwitchZone(sw, h.loc), Now: now, Oldest: h.cfg.oldest(now), MaxLineBytes: h.cfg.MaxLineBytes,
	}, h.sink, h.rejectsKept(r.RemoteAddr))
	h.count(format, res)
	if err != nil {
		h.storeFailed(w, sw, err)
		return
	}
	h.seen.seen(sw)
	status := http.StatusOK
	if res.Accepted == 0 && res.Duplicates == 0 {
		status = http.StatusBadRequest
	}
	writeJSON(w, status, res.Answer())
}

func (h *Handler) count(source string, res Result) {
	h.metrics.received.WithLabelValues(source).Add(float64(res.Lines))
	h.metrics.accepted.WithLabelValues(source).Add(float64(res.Accepted))
	h.metrics.dups.WithLabelValues(source).Add(float64(res.Duplicates))
	for field, n := range res.RejectedBy {
		if field == "" {
			field = "line"
		}
		h.metrics.rejected.WithLabelValues(source, field).Add(float64(n))
	}
}

// rejectsKept returns how many of a run of n refused lines of one request
// from remote are stored: within Limits.MaxRejectsPerRequest for the
// request and Limits.MaxRejectsPerMinute for the source, the first ones
// first. The rest are counted as dropped, by the cap that dropped them.
func (h *Handler) rejectsKept(remote string) func(n int) int {
	left := h.cfg.Limits.MaxRejectsPerRequest
	addr, _ := remoteAddr(remote)
	return func(n int) int {
		k := min(n, left)
		left -= k
		kept := h.rejectLimit.takeUpTo(addr, k)
		if n > k {
			h.metrics.dropped.WithLabelValues("request").Add(float64(n - k))
		}
		if k > kept {
			h.metrics.dropped.WithLabelValues("source").Add(float64(k - kept))
		}
		return kept
	}
}

// Result is what one ingest did.
type Result struct {
	Lines      int // events plus rejects
	Accepted   int // distinct events handed to the sink
	Duplicates int // events repeated within this input
	// Rejected counts the refused lines, RejectedBy by their field (""
	// for the line as a whole).
	Rejected   int
	RejectedBy map[string]int
	// Rejects are the first maxRejectsListed refused lines, a sample: the
	// rest are counted, not kept. They have a zero ReceivedAt: the sink
	// stamps it.
	Rejects []cdr.Reject
}

// Answer is the sender's view of the result.
func (r Result) Answer() Answer {
	a := Answer{Accepted: r.Accepted, Duplicates: r.Duplicates, Rejected: []RejectLine{}}
	for _, rj := range r.Rejects[:min(len(r.Rejects), maxRejectsListed)] {
		a.Rejected = append(a.Rejected, RejectLine{Line: rj.Line, Field: rj.Field, Reason: rj.Reason})
	}
	if more := r.Rejected - len(a.Rejected); more > 0 {
		a.Rejected = append(a.Rejected, RejectLine{Reason: fmt.Sprintf("%d more rejected lines not listed", more)})
	}
	return a
}

// Ingest decodes r (in format source) and hands every batch to sink: the one path that HTTP
// intake and `acdstat ingest` share, so both give the same events and ids.
// Events repeated within the input are passed once and counted as
// duplicates; every refused line is handed to the sink, and the Result
// keeps a sample of them. It stops at the first sink error.
func Ingest(ctx context.Context, source string, decode cdr.DecodeFunc, r io.Reader, opt cdr.DecodeOptions, sink Sink) (Result, error) {
	return ingest(ctx, source, decode, r, opt, sink, nil)
}

// ingest is Ingest that hands the sink only the first keep(n) of each run
// of n refused lines (nil: all of them).
func ingest(ctx context.Context, source string, decode cdr.DecodeFunc, r io.Reader, opt cdr.DecodeOptions, sink Sink, keep func(n int) int) (Result, error) {
	res := Result{RejectedBy: map[string]int{}}
	seen := make(map[uint64]struct{})
	if opt.Switch == "" {
		opt.Switch = cdr.DefaultSwitch
	}
	err := decode(r, opt, func(b cdr.Batch) error {
		res.Lines += len(b.Events) + len(b.Rejects)
		events := b.Events[:0:0]
		for _, e := range b.Events {
			if _, dup := seen[e.ID]; dup {
				res.Duplicates++
				continue
			}
			seen[e.ID] = struct{}{}
			events = append(events, e)
		}
		for _, de := range b.Rejects {
			res.RejectedBy[de.Field]++
		}
		n := len(b.Rejects)
		if keep != nil {
			n = keep(n)
		}
		// The sample comes first among what is stored, so it costs nothing more.
		rejects := make([]cdr.Reject, 0, max(n, min(len(b.Rejects), maxRejectsListed-len(res.Rejects))))
		for _, de := range b.Rejects[:max(n, min(len(b.Rejects), maxRejectsListed-len(res.Rejects)))] {
			rejects = append(rejects, cdr.RejectOf(opt.Switch, source, de, time.Time{}))
		}
		if err := sink.Accept(ctx, events, rejects[:n]); err != nil {
			return err
		}
		res.Accepted += len(events)
		res.Rejected += len(b.Rejects)
		res.Rejects = append(res.Rejects, rejects[:min(len(rejects), maxRejectsListed-len(res.Rejects))]...)
		return nil
	})
	return res, err
}

// WriteError answers with a JSON error a person can act on.
func WriteError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
