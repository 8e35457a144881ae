package intake

import (
	"bytes"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Allowlist is the set of source networks a listener accepts
// (ACDSTAT_ALLOW_CIDRS). The zero value and nil accept every source. It is
// immutable and safe for concurrent use: one Allowlist, parsed by
// ParseAllowlist from Config.AllowCIDRs, guards HTTP ingest and the HEP
// and SIP listeners over UDP and TCP alike.
//
// IPv4 is one address family whichever way it is written. A listener bound
// to [::] is a dual-stack socket, on which an IPv4 peer appears as
// ::ffff:a.b.c.d; that peer must match the IPv4 network it belongs to. So
// Allows compares a peer in IPv4-mapped form as IPv4, and ParseAllowlist
// reads an entry in IPv4-mapped form (::ffff:10.1.2.3, or a network of at
// least 96 bits such as ::ffff:10.0.0.0/104) as the IPv4 network it maps
// (10.1.2.3/32, 10.0.0.0/8). Other IPv6 networks, ::/0 included, hold IPv6
// peers only: write 0.0.0.0/0 for every IPv4 peer.
type Allowlist struct {
	prefixes []netip.Prefix
}

// ParseAllowlist reads comma-separated CIDRs or single addresses
// (ACDSTAT_ALLOW_CIDRS); an empty string gives nil, which allows all. A
// string that is set but names no network (blanks, commas) is an error, not
// "allow all": on a public listener that slip would open it to everyone.
func ParseAllowlist(s string) (*Allowlist, error) {
	var a Allowlist
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		p, err := netip.ParsePrefix(part)
		if err != nil {
			addr, aerr := netip.ParseAddr(part)
			if aerr != nil {
				return nil, fmt.Errorf("%q is not a CIDR (such as 10.0.0.0/8) or an address", part)
			}
			p = netip.PrefixFrom(addr, addr.BitLen())
		}
		if p.Addr().Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		a.prefixes = append(a.prefixes, p.Masked())
	}
	if len(a.prefixes) == 0 {
		if s != "" {
			return nil, fmt.Errorf("%q names no network: list CIDRs such as 10.0.0.0/8, or leave it empty to allow every source", s)
		}
		return nil, nil
	}
	return &a, nil
}

// Allows reports whether addr may send. An IPv4 address mapped into IPv6
// (a dual-stack socket's IPv4 peer) is compared as IPv4.
func (a *Allowlist) Allows(addr netip.Addr) bool {
	if a == nil || len(a.prefixes) == 0 {
		return true
	}
	addr = addr.Unmap()
	for _, p := range a.prefixes {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// AllowsRemote is Allows for an http.Request's RemoteAddr (host:port).
// The peer address counts, never X-Forwarded-For: a header is the
// sender's word.
func (a *Allowlist) AllowsRemote(remote string) bool {
	if a == nil {
		return true
	}
	addr, ok := remoteAddr(remote)
	return ok && a.Allows(addr)
}

// String lists the networks, for logs.
func (a *Allowlist) String() string {
	if a == nil {
		return "any"
	}
	s := make([]string, len(a.prefixes))
	for i, p := range a.prefixes {
		s[i] = p.String()
	}
	return strings.Join(s, ",")
}

func remoteAddr(remote string) (netip.Addr, bool) {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}, false
	}
	return addr.Unmap(), true
}

// maxBuckets bounds the rate limiter's memory; beyond it, buckets that
// have refilled (idle sources) are forgotten.
const maxBuckets = 10000

// rateLimiter is a token bucket of lines per source address. A request
// of n lines passes when the bucket holds min(n, burst) tokens; it then
// takes n, so a request larger than the burst passes on a full bucket and
// leaves a debt. Safe for concurrent use.
type rateLimiter struct {
	rate, burst float64
	now         func() time.Time
	mu          sync.Mutex
	buckets     map[netip.Addr]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newRateLimiter(rate float64, burst int, now func() time.Time) *rateLimiter {
	if rate <= 0 {
		return nil
	}
	if burst <= 0 {
		burst = int(max(rate, 1))
	}
	return &rateLimiter{rate: rate, burst: float64(burst), now: now, buckets: map[netip.Addr]*bucket{}}
}

// take asks for n lines from addr and returns 0 when they may pass, or
// how long to wait before asking again.
func (l *rateLimiter) take(addr netip.Addr, n int) time.Duration {
	if l == nil {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b := l.buckets[addr]
	if b == nil {
		if len(l.buckets) >= maxBuckets {
			l.forgetIdle(now)
		}
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[addr] = b
	}
	b.tokens = min(l.burst, b.tokens+now.Sub(b.last).Seconds()*l.rate)
	b.last = now
	need := min(float64(n), l.burst)
	if b.tokens < need {
		return time.Duration((need - b.tokens) / l.rate * float64(time.Second))
	}
	b.tokens -= float64(n)
	return 0
}

// takeUpTo takes up to n tokens from addr's bucket, as many as it holds,
// and returns how many it took: the part of n that may pass. A nil
// limiter passes all.
func (l *rateLimiter) takeUpTo(addr netip.Addr, n int) int {
	if l == nil {
		return n
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b := l.buckets[addr]
	if b == nil {
		if len(l.buckets) >= maxBuckets {
			l.forgetIdle(now)
		}
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[addr] = b
	}
	b.tokens = min(l.burst, b.tokens+now.Sub(b.last).Seconds()*l.rate)
	b.last = now
	k := min(n, int(b.tokens))
	b.tokens -= float64(k)
	return k
}

func (l *rateLimiter) forgetIdle(now time.Time) {
	full := time.Duration(l.burst / l.rate * float64(time.Second))
	for a, b := range l.buckets {
		if now.Sub(b.last) >= full {
			delete(l.buckets, a)
		}
	}
	if len(l.buckets) >= maxBuckets {
		clear(l.buckets) // a flood of sources: start everyone afresh
	}
}

// retryAfterSeconds renders a wait for the Retry-After header: whole
// seconds, at least 1.
func retryAfterSeconds(d time.Duration) string {
	return strconv.Itoa(int(max(1, math.Ceil(d.Seconds()))))
}

// allow answers 403 to sources outside the allowlist.
func allow(a *Allowlist, refused func(reason string), next http.Handler) http.Handler {
	if a == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !a.AllowsRemote(r.RemoteAddr) {
			refused("allowlist")
			WriteError(w, http.StatusForbidden, "this source address is not in ACDSTAT_ALLOW_CIDRS")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// countLines is the number of lines in body, a last one without its line
// break included.
func countLines(body []byte) int {
	n := bytes.Count(body, []byte("\n"))
	if len(body) > 0 && body[len(body)-1] != '\n' {
		n++
	}
	return n
}
