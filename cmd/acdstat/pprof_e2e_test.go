package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestServeAnswersProfilesWhereAsked: with ACDSTAT_PPROF_ADDR, serve
// answers Go's heap and goroutine profiles there, and the API's own port
// does not answer them.
func TestServeAnswersProfilesWhereAsked(t *testing.T) {
	prof := freeAddr(t)
	environ := testEnv(t, "ACDSTAT_PPROF_ADDR="+prof)
	startServeArgs(t, environ)
	get := func(url string) (int, string) {
		t.Helper()
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, string(b)
	}
	if code, body := get("http://" + prof + "/debug/pprof/heap?debug=1"); code != http.StatusOK || !strings.Contains(body, "heap profile:") {
		t.Errorf("heap profile: %d %.200q; want 200 and a heap profile", code, body)
	}
	if code, body := get("http://" + prof + "/debug/pprof/goroutine?debug=1"); code != http.StatusOK || !strings.Contains(body, "goroutine profile:") {
		t.Errorf("goroutine profile: %d %.200q; want 200 and the goroutines", code, body)
	}
	if code, _ := get("http://" + envValue(environ, "ACDSTAT_HTTP_ADDR") + "/debug/pprof/heap"); code == http.StatusOK {
		t.Errorf("the API's port answered a profile: want it only on ACDSTAT_PPROF_ADDR")
	}
}
