package intake

import (
	"bufio"
	"bytes"
	"crypto/subtle"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"

	"github.com/acdstat/acdstat/cdr"
)

// ReadTokens are the tokens that may read the figures (the read API, the
// dashboard and its exports), each with the switches it may read: a
// carrier gives each customer a token of its own switches. The token of
// ACDSTAT_READ_TOKEN reads every switch; a token of ACDSTAT_READ_TOKENS
// (or of the file ACDSTAT_READ_TOKENS_FILE) reads only the switches listed
// with it. The zero value holds no token: reading is open to all, as
// without ACDSTAT_READ_TOKEN. A ReadTokens is read-only once made, and
// safe for concurrent use.
type ReadTokens struct {
	tokens []readToken
}

// readToken is one token; switches is nil for every switch.
type readToken struct {
	token    string
	switches []string
}

// LoadReadTokens returns the read tokens of the settings: all, the token
// of every switch (ACDSTAT_READ_TOKEN, may be empty), spec
// (ACDSTAT_READ_TOKENS: "token=switch1,switch2;token2=switch3") and the
// file at path (ACDSTAT_READ_TOKENS_FILE, may be empty: one
// token=switch1,switch2 per line, blank lines and lines starting with #
// left out), so that the tokens need not be in the environment. A token
// is 8 or more characters without white space, '=', ',' or ';' (it is a
// secret: no error names it, only its position); switches are switch
// names (cdr.SwitchName's rule), "*" giving every switch. A token given
// twice is an error.
func LoadReadTokens(all, spec, path string) (ReadTokens, error) {
	var rt ReadTokens
	if all != "" {
		rt.tokens = append(rt.tokens, readToken{token: all})
	}
	add := func(where, entry string) error {
		tok, list, ok := strings.Cut(entry, "=")
		tok = strings.TrimSpace(tok)
		if !ok || tok == "" || strings.TrimSpace(list) == "" {
			return fmt.Errorf("%s: want token=switch1,switch2", where)
		}
		if len(tok) < 8 || strings.ContainsAny(tok, " \t,;=") {
			return fmt.Errorf("%s: a token must be 8 or more characters without white space, '=', ',' or ';'", where)
		}
		t := readToken{token: tok}
		for _, sw := range strings.Split(list, ",") {
			sw = strings.TrimSpace(sw)
			if sw == cdr.AllSwitches {
				t.switches = nil
				break
			}
			if _, err := cdr.SwitchName(sw); err != nil || sw == "" {
				return fmt.Errorf("%s: %q is not a switch name: %s", where, sw, cdr.SwitchRule)
			}
			if !slices.Contains(t.switches, sw) {
				t.switches = append(t.switches, sw)
			}
		}
		for _, o := range rt.tokens {
			if o.token == tok {
				return fmt.Errorf("%s: the token is given twice (or is ACDSTAT_READ_TOKEN's)", where)
			}
		}
		rt.tokens = append(rt.tokens, t)
		return nil
	}
	if strings.TrimSpace(spec) != "" {
		for i, entry := range strings.Split(spec, ";") {
			if strings.TrimSpace(entry) == "" {
				continue
			}
			if err := add(fmt.Sprintf("ACDSTAT_READ_TOKENS, entry %d", i+1), entry); err != nil {
				return ReadTokens{}, err
			}
		}
	}
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return ReadTokens{}, fmt.Errorf("ACDSTAT_READ_TOKENS_FILE: cannot read tokens file: %w", err)
		}
		sc := bufio.NewScanner(bytes.NewReader(b))
		for n := 1; sc.Scan(); n++ {
			line := strings.TrimSpace(sc.Text())
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			if err := add(fmt.Sprintf("ACDSTAT_READ_TOKENS_FILE %s, line %d", path, n), line); err != nil {
				return ReadTokens{}, err
			}
		}
		if err := sc.Err(); err != nil {
			return ReadTokens{}, fmt.Errorf("ACDSTAT_READ_TOKENS_FILE: cannot read tokens file: %w", err)
		}
	}
	return rt, nil
}

// Empty reports whether no read token is set: reading is open to all.
func (rt ReadTokens) Empty() bool { return len(rt.tokens) == 0 }

// Limited reports how many of the tokens are limited to some switches.
func (rt ReadTokens) Limited() int {
	n := 0
	for _, t := range rt.tokens {
		if t.switches != nil {
			n++
		}
	}
	return n
}

// find returns the token a request presents, comparing in constant time
// with every token.
func (rt ReadTokens) find(got string) (readToken, bool) {
	var found readToken
	ok := false
	for _, t := range rt.tokens {
		if subtle.ConstantTimeCompare([]byte(got), []byte(t.token)) == 1 {
			found, ok = t, true
		}
	}
	return found, ok
}

// RequireReader lets a request through that presents a read token as
// RequireToken does (bearer token or HTTP Basic password): 401 without
// one, 403 with another. A token limited to some switches puts them in
// the request's context (cdr.WithSwitches), where the read API and the
// store keep to them. With no token set, every request is let through.
func RequireReader(rt ReadTokens, next http.Handler) http.Handler {
	if rt.Empty() {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := requestToken(r)
		if got == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="read", Basic realm="read"`)
			WriteError(w, http.StatusUnauthorized, "missing credentials: send the read token as 'Authorization: Bearer TOKEN' or as the HTTP Basic password")
			return
		}
		t, ok := rt.find(got)
		if !ok {
			WriteError(w, http.StatusForbidden, "the read token is not valid")
			return
		}
		if t.switches != nil {
			r = r.WithContext(cdr.WithSwitches(r.Context(), t.switches))
		}
		next.ServeHTTP(w, r)
	})
}
