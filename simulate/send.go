package simulate

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Send posts lines to an acdstat queue_log ingest URL (for example
// http://127.0.0.1:8080/v1/ingest/queue_log) as text/plain bodies of up to
// batch lines (default 500), in order, at up to rate lines per second (0 or
// less: as fast as the server answers). When switchName is set it is sent as
// the X-Acdstat-Switch header and, unless url already has one, as the
// switch query parameter; when token is set it is sent as a bearer token.
//
// A batch is sent again after a network error, a 5xx or a 429, with a
// backoff from 100 ms doubling to 5 s (or the server's Retry-After, up to
// 30 s), until ctx ends; then ctx's error is returned. Any other status
// outside 2xx is an error naming the status and the body. A nil client
// means one with a 30 s timeout. Send returns once every batch was
// acknowledged.
func Send(ctx context.Context, url, token, switchName string, lines []Line, rate float64, batch int, client *http.Client) error {
	if batch <= 0 {
		batch = 500
	}
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	target, err := ingestURL(url, switchName)
	if err != nil {
		return err
	}
	start := time.Now()
	sent := 0
	for len(lines) > 0 {
		n := min(batch, len(lines))
		var body bytes.Buffer
		for _, l := range lines[:n] {
			body.WriteString(l.Text)
			body.WriteByte('\n')
		}
		if err := postBatch(ctx, client, target, token, switchName, body.Bytes()); err != nil {
			return err
		}
		lines = lines[n:]
		sent += n
		if rate > 0 && len(lines) > 0 {
			due := start.Add(time.Duration(float64(sent) / rate * float64(time.Second)))
			if err := sleep(ctx, time.Until(due)); err != nil {
				return err
			}
		}
	}
	return nil
}

func ingestURL(raw, switchName string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("cannot parse ingest url: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("simulate: ingest url %q is not http or https", raw)
	}
	if switchName != "" {
		q := u.Query()
		if q.Get("switch") == "" {
			q.Set("switch", switchName)
			u.RawQuery = q.Encode()
		}
	}
	return u.String(), nil
}

// postBatch posts one body until it is acknowledged, refused or ctx ends.
func postBatch(ctx context.Context, client *http.Client, target, token, switchName string, body []byte) error {
	backoff := 100 * time.Millisecond
	for {
		wait, err := postOnce(ctx, client, target, token, switchName, body)
		if err == nil {
			return nil
		}
		var perm *permanentError
		if errors.As(err, &perm) {
			return err
		}
		if wait <= 0 {
			wait = backoff
			backoff = min(2*backoff, 5*time.Second)
		}
		if serr := sleep(ctx, wait); serr != nil {
			return fmt.Errorf("post batch: %w (last error: %v)", serr, err)
		}
	}
}

// permanentError is a refusal that sending again cannot fix.
type permanentError struct{ msg string }

func (e *permanentError) Error() string { return e.msg }

// postOnce makes one attempt. A non-nil error that is not a permanentError
// is worth retrying, after wait if it is positive (Retry-After).
func postOnce(ctx context.Context, client *http.Client, target, token, switchName string, body []byte) (time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return 0, &permanentError{fmt.Sprintf("cannot build request: %v", err)}
	}
	req.Header.Set("Content-Type", "text/plain; charset=utf-8")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if switchName != "" {
		req.Header.Set("X-Acdstat-Switch", switchName)
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("post batch: %w", err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return 0, nil
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests:
		return retryAfter(resp.Header.Get("Retry-After")), fmt.Errorf("post batch: %s", resp.Status)
	default:
		return 0, &permanentError{fmt.Sprintf("post batch: %s: %s", resp.Status, strings.TrimSpace(string(msg)))}
	}
}

// retryAfter reads a Retry-After in seconds, capped at 30 s; 0 if absent.
func retryAfter(v string) time.Duration {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n <= 0 {
		return 0
	}
	return min(time.Duration(n)*time.Second, 30*time.Second)
}

// sleep waits d or until ctx ends, returning ctx's error in the latter case.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Replay plays cfg as a live switch for demos (make run). It simulates
// cfg.Days local days (default 1) starting one hour ago: cfg.Start is
// replaced by time.Now() minus an hour, so every call is shifted to happen
// around now. The lines of that past hour are handed to post at once; each
// later line is handed to post when its time comes (lines due together go
// in one call). Replay returns nil when every line was posted or when ctx
// ends, and post's error if post fails (post is expected to retry by itself,
// as Send does).
//
// Typical use:
//
//	simulate.Replay(ctx, cfg, func(ctx context.Context, ls []simulate.Line) error {
//		return simulate.Send(ctx, url, token, cfg.Switch, ls, 0, 500, nil)
//	})
//
// Calls that join after the last simulated day's midnight are not made; run
// Replay again (with another Seed) to keep a demo going.
func Replay(ctx context.Context, cfg Config, post func(ctx context.Context, lines []Line) error) error {
	cfg.Start = time.Now().Add(-time.Hour)
	return ReplayFrom(ctx, cfg, post)
}

// ReplayFrom is Replay from cfg.Start as given: the lines before now (all
// of today up to now, for a Start at today's midnight) are handed to post
// at once, and each later one when its time comes. make run plays today so,
// after the history of the days before, and the dashboard's today is full
// from the first minute.
func ReplayFrom(ctx context.Context, cfg Config, post func(ctx context.Context, lines []Line) error) error {
	sim, err := Generate(cfg)
	if err != nil {
		return err
	}
	lines := sim.lines
	for len(lines) > 0 {
		now := time.Now()
		n := 0
		for n < len(lines) && !lines[n].Time.After(now) {
			n++
		}
		if n > 0 {
			if err := post(ctx, lines[:n]); err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return err
			}
			lines = lines[n:]
			continue
		}
		if err := sleep(ctx, lines[0].Time.Sub(now)); err != nil {
			return nil
		}
	}
	return nil
}
