package intake

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestAllowlist(t *testing.T) {
	a, err := ParseAllowlist("10.0.0.0/8, 192.168.1.7 ,2001:db8::/32")
	if err != nil {
		t.Fatal(err)
	}
	for addr, want := range map[string]bool{
		"10.1.2.3": true, "192.168.1.7": true, "192.168.1.8": false, "::ffff:10.9.9.9": true,
		"2001:db8::1": true, "2001:db9::1": false, "127.0.0.1": false,
	} {
		if got := a.Allows(netip.MustParseAddr(addr)); got != want {
			t.Errorf("Allows(%s) = %v; want %v", addr, got, want)
		}
	}
	if a.AllowsRemote("not an address") {
		t.Error("an unreadable remote address was allowed")
	}
	// Only the empty setting allows everyone; blanks are refused
	// (TestAllowlistThatNamesNothingIsRefused).
	none, err := ParseAllowlist("")
	if err != nil || !none.Allows(netip.MustParseAddr("203.0.113.1")) {
		t.Errorf("empty allowlist: %v, %v; want it to allow everyone", none, err)
	}
	if _, err := ParseAllowlist("10.0.0.0/33"); err == nil {
		t.Error("10.0.0.0/33 was accepted")
	}
}

func TestRateLimiterIsATokenBucketPerSource(t *testing.T) {
	now := time.Unix(1700000000, 0)
	l := newRateLimiter(10, 20, func() time.Time { return now })
	a, b := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2")
	if w := l.take(a, 20); w != 0 {
		t.Fatalf("a full bucket refused its burst: wait %v", w)
	}
	if w := l.take(a, 5); w != 500*time.Millisecond {
		t.Errorf("5 lines from an empty bucket at 10/s: wait %v; want 500ms", w)
	}
	if w := l.take(b, 20); w != 0 {
		t.Errorf("another source was limited by the first: wait %v", w)
	}
	now = now.Add(time.Second)
	if w := l.take(a, 10); w != 0 {
		t.Errorf("after 1 s at 10/s, 10 lines: wait %v; want 0", w)
	}
	// A request larger than the burst passes on a full bucket and leaves a debt.
	now = now.Add(time.Hour)
	if w := l.take(a, 100); w != 0 {
		t.Errorf("100 lines on a full bucket of 20: wait %v; want 0", w)
	}
	if w := l.take(a, 1); w != 8100*time.Millisecond {
		t.Errorf("after a debt of 80 lines: wait %v; want 8.1s", w)
	}
}

func TestIngestRateLimitIs429WithRetryAfter(t *testing.T) {
	sink := &memSink{}
	srv := newServer(t, Config{IngestRate: 1, IngestBurst: 2}, sink)
	status, _, _, raw := post(t, srv.URL+"/v1/ingest/queue_log", enter)
	if status != 200 {
		t.Fatalf("first request: %d %s", status, raw)
	}
	status, h, _, raw := post(t, srv.URL+"/v1/ingest/queue_log", enter+enter)
	if status != http.StatusTooManyRequests || h.Get("Retry-After") == "" || !strings.Contains(raw, "ACDSTAT_INGEST_RATE") {
		t.Errorf("second request: status %d Retry-After %q body %s; want 429 with Retry-After", status, h.Get("Retry-After"), raw)
	}
	if len(sink.events) != 1 {
		t.Errorf("sink holds %d events; want 1 (the refused request stores nothing)", len(sink.events))
	}
}

func TestIngestAllowlistRefusesOtherSources(t *testing.T) {
	srv := newServer(t, Config{AllowCIDRs: "10.0.0.0/8"}, &memSink{})
	status, _, _, raw := post(t, srv.URL+"/v1/ingest/queue_log", enter)
	if status != http.StatusForbidden || !strings.Contains(raw, "ACDSTAT_ALLOW_CIDRS") {
		t.Errorf("127.0.0.1 against 10.0.0.0/8: status %d body %s; want 403 naming the setting", status, raw)
	}
	srv = newServer(t, Config{AllowCIDRs: "127.0.0.0/8"}, &memSink{})
	if status, _, _, raw := post(t, srv.URL+"/v1/ingest/queue_log", enter); status != 200 {
		t.Errorf("127.0.0.1 against 127.0.0.0/8: status %d body %s; want 200", status, raw)
	}
}

func TestLongLineIsRejectedAndOthersKept(t *testing.T) {
	sink := &memSink{}
	srv := newServer(t, Config{MaxLineBytes: 100}, sink)
	long := "1700000001|c2.1|servicedesk|NONE|ENTERQUEUE||" + strings.Repeat("9", 200) + "|1\n"
	status, _, a, raw := post(t, srv.URL+"/v1/ingest/queue_log", enter+long)
	if status != 200 || a.Accepted != 1 || len(a.Rejected) != 1 || !strings.Contains(a.Rejected[0].Reason, "longer than 100 bytes") {
		t.Errorf("status %d body %s; want 200, 1 accepted, line 2 rejected as longer than 100 bytes", status, raw)
	}
}

func TestValidateNamesTheSetting(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{IngestRate: -1}, "ACDSTAT_INGEST_RATE"},
		{Config{AllowCIDRs: "ten"}, "ACDSTAT_ALLOW_CIDRS"},
		{Config{CallerNumbers: "hash"}, "ACDSTAT_CALLER_HASH_KEY"},
		{Config{CallerNumbers: "blur"}, "ACDSTAT_CALLER_NUMBERS"},
		{Config{CallerHashKey: "short"}, "at least 16 bytes"},
	} {
		if err := tc.cfg.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: Validate() = %v; want an error naming %s", tc.cfg, err, tc.want)
		}
	}
	if err := (Config{CallerNumbers: "drop", AllowCIDRs: "10.0.0.0/8", IngestRate: 100}).Validate(); err != nil {
		t.Errorf("valid settings: %v", err)
	}
}

// TestAllowlistReadsIPv4MappedEntriesAsIPv4: an entry written in
// IPv4-mapped form is the IPv4 network it maps, and a peer in that form is
// an IPv4 peer; other IPv6 networks hold IPv6 peers only.
func TestAllowlistReadsIPv4MappedEntriesAsIPv4(t *testing.T) {
	a, err := ParseAllowlist("::ffff:10.0.0.0/104,::ffff:192.0.2.7,2001:db8::/32")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := a.String(), "10.0.0.0/8,192.0.2.7/32,2001:db8::/32"; got != want {
		t.Errorf("String() = %s; want %s", got, want)
	}
	for addr, want := range map[string]bool{
		"10.1.2.3": true, "::ffff:10.1.2.3": true, "192.0.2.7": true, "::ffff:192.0.2.7": true,
		"11.0.0.1": false, "192.0.2.8": false, "2001:db8::1": true,
	} {
		if got := a.Allows(netip.MustParseAddr(addr)); got != want {
			t.Errorf("Allows(%s) = %v; want %v", addr, got, want)
		}
	}
	all6, err := ParseAllowlist("::/0")
	if err != nil {
		t.Fatal(err)
	}
	if all6.Allows(netip.MustParseAddr("::ffff:10.1.2.3")) || !all6.Allows(netip.MustParseAddr("2001:db8::1")) {
		t.Error("::/0: want every IPv6 peer and no IPv4 peer")
	}
}

// TestAllowlistThatNamesNothingIsRefused: ACDSTAT_ALLOW_CIDRS=" " or ","
// once allowed every source; a list that is set but parses to nothing is
// an error (serve refuses to start), and only the empty string allows all.
func TestAllowlistThatNamesNothingIsRefused(t *testing.T) {
	for _, s := range []string{" ", ",", " , ,", "\t"} {
		if a, err := ParseAllowlist(s); err == nil || !strings.Contains(err.Error(), "names no network") {
			t.Errorf("ParseAllowlist(%q) = %v, %v; want an error saying it names no network", s, a, err)
		}
	}
	if a, err := ParseAllowlist(""); err != nil || a != nil {
		t.Errorf("ParseAllowlist(\"\") = %v, %v; want nil, nil (allow all)", a, err)
	}
}

// TestTokenSchemeIsCaseInsensitive: "bearer", "BEARER" and "Bearer" are
// one scheme (RFC 9110); the token itself is compared exactly.
func TestTokenSchemeIsCaseInsensitive(t *testing.T) {
	h := RequireToken("s3cret", "read", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	for auth, want := range map[string]int{
		"Bearer s3cret": 200, "bearer s3cret": 200, "BEARER s3cret": 200, "bEaReR  s3cret": 200,
		"Bearer S3CRET": 403, "Bearers3cret": 401, "": 401,
	} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", "/", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		h.ServeHTTP(rec, req)
		if rec.Code != want {
			t.Errorf("Authorization %q: status %d; want %d", auth, rec.Code, want)
		}
	}
}
