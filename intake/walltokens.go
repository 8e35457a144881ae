package intake

import (
	"crypto/subtle"
	"fmt"
	"net/http"
	"strings"
)

// WallTokens are the wallboard's own tokens (ACDSTAT_WALL_TOKENS): a wall
// screen is an unattended kiosk browser whose address holds its token, so
// the token opens the live state and the wallboard page and nothing else
// (every other guard compares with its own tokens only). Read-only once
// made, safe for concurrent use.
type WallTokens struct {
	tokens []string
}

// minWallToken is the shortest wall token: it stands in an address, where
// it is seen more often than a header.
const minWallToken = 16

// ParseWallTokens reads ACDSTAT_WALL_TOKENS: tokens separated by commas,
// each 16 or more characters without white space or commas. No error
// names a token, only its position.
func ParseWallTokens(s string) (WallTokens, error) {
	var wt WallTokens
	if strings.TrimSpace(s) == "" {
		return wt, nil
	}
	for i, t := range strings.Split(s, ",") {
		t = strings.TrimSpace(t)
		switch {
		case len(t) < minWallToken:
			return WallTokens{}, fmt.Errorf("ACDSTAT_WALL_TOKENS: token %d is shorter than %d characters", i+1, minWallToken)
		case strings.ContainsAny(t, " \t\r\n"):
			return WallTokens{}, fmt.Errorf("ACDSTAT_WALL_TOKENS: token %d holds white space", i+1)
		}
		wt.tokens = append(wt.tokens, t)
	}
	return wt, nil
}

// Has says whether token is one of the wall tokens.
func (wt WallTokens) Has(token string) bool {
	ok := false
	for _, t := range wt.tokens {
		if subtle.ConstantTimeCompare([]byte(token), []byte(t)) == 1 {
			ok = true
		}
	}
	return ok
}

// RequireWall guards the wallboard and the live state: a request passes
// with a wall token, in the token query parameter (the kiosk's address;
// EventSource cannot send headers) or as RequireToken takes one, or with
// a read token of every switch (the live state is of all switches, so a
// token limited to some does not open it). With no wall token and no read
// token set, it is open, as the read API is. 401 without a token, 403
// with another.
func RequireWall(wt WallTokens, rt ReadTokens, next http.Handler) http.Handler {
	if len(wt.tokens) == 0 && rt.Empty() {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := r.URL.Query().Get("token")
		if got == "" {
			got = requestToken(r)
		}
		if got == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="wall", Basic realm="wall"`)
			WriteError(w, http.StatusUnauthorized, "missing credentials: open the wallboard as /wall?token=TOKEN with a wall token (ACDSTAT_WALL_TOKENS), or send the read token")
			return
		}
		if t, ok := rt.find(got); (ok && t.switches == nil) || wt.Has(got) {
			next.ServeHTTP(w, r)
			return
		}
		WriteError(w, http.StatusForbidden, "the token is not a wall token nor a read token of every switch")
	})
}
