package intake

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/acdstat/acdstat/cdr"
)

// ShipConfig is what `acdstat ship` needs: the file to follow, where to
// post it and how to batch.
type ShipConfig struct {
	// Path is the queue_log file; URL is the server (its base, or the full
	// ingest URL). Switch names the switch (cdr.SwitchName: empty is
	// cdr.DefaultSwitch); Token is the ingest token.
	Path, URL, Switch, Token string
	// StateFile keeps the acknowledged offset (inode, offset, a hash of the
	// file's first bytes). It is rewritten atomically after every 2xx.
	StateFile string
	// A batch is posted when it has MaxLines lines or MaxBytes bytes, or
	// when its first line has waited MaxWait.
	MaxLines int
	MaxBytes int
	MaxWait  time.Duration
	// Poll is how often the file is looked at when nothing is new.
	Poll time.Duration
	// MinBackoff and MaxBackoff bound the wait between resends; a
	// Retry-After from the server is honoured up to MaxRetryAfter.
	MinBackoff, MaxBackoff, MaxRetryAfter time.Duration
	// Client posts; nil means a client with a 60 s timeout.
	Client *http.Client
	// Progress, when set, is told after every acknowledged batch how far
	// the file is sent: acked of size bytes (the file's size then), and
	// the lines of that batch. It runs on Run's goroutine and should
	// return at once (acdstat ship draws a status line while catching up).
	Progress func(acked, size int64, lines int)
}

// ErrShipRefused is wrapped when the server refuses the shipper for good
// (401, 403, or a request it will never accept): resending cannot help.
var ErrShipRefused = errors.New("intake: server refuses the shipper")

// headBytes is how much of a file's beginning identifies it: a file
// replaced under the same name (or truncated and written again past the
// offset) starts with other bytes.
const headBytes = 256

// ShipState is the shipper's saved position.
type ShipState struct {
	Inode    uint64 `json:"inode"`
	Offset   int64  `json:"offset"`
	HeadLen  int    `json:"head_len"`
	HeadHash string `json:"head_sha256"`
}

// Shipper follows a queue_log file and posts its complete lines to an
// acdstat server until each batch is acknowledged. One Shipper runs one
// Run at a time.
type Shipper struct {
	cfg    ShipConfig
	log    *slog.Logger
	target string
	client *http.Client
	sleep  func(ctx context.Context, d time.Duration) bool
}

// NewShipper checks cfg and fills in defaults.
func NewShipper(cfg ShipConfig, log *slog.Logger) (*Shipper, error) {
	if cfg.Path == "" {
		return nil, errors.New("ship: --queue-log is required")
	}
	if cfg.StateFile == "" {
		cfg.StateFile = cfg.Path + ".acdstat-offset"
	}
	sw, err := cdr.SwitchName(cfg.Switch)
	if err != nil {
		return nil, fmt.Errorf("ship: --switch: %w", err)
	}
	cfg.Switch = sw
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("ship: --to %q is not an http(s) URL", cfg.URL)
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = "/v1/ingest/queue_log"
	}
	q := u.Query()
	q.Set("switch", cfg.Switch)
	u.RawQuery = q.Encode()
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	if cfg.MaxLines <= 0 {
		cfg.MaxLines = 5000
	}
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = 1 << 20
	}
	def(&cfg.MaxWait, time.Second)
	def(&cfg.Poll, 250*time.Millisecond)
	def(&cfg.MinBackoff, 500*time.Millisecond)
	def(&cfg.MaxBackoff, 30*time.Second)
	def(&cfg.MaxRetryAfter, 5*time.Minute)
	client := cfg.Client
	if client == nil {
		client = &http.Client{Timeout: time.Minute}
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Shipper{cfg: cfg, log: log, target: u.String(), client: client, sleep: sleepCtx}, nil
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// tail is the file being read: everything before acked is acknowledged by
// the server; buf holds what was read after it (complete lines, then
// perhaps a partial one).
type tail struct {
	f     *os.File
	ino   uint64
	acked int64
	buf   []byte
	head  []byte
	since time.Time // when buf's first complete line was seen
	// rotated is set once the path names another file: this one is read
	// to its end (one quiet poll after the rotation was seen), then left.
	rotated bool
	quiet   int
}

func (t *tail) close() {
	if t != nil && t.f != nil {
		t.f.Close()
	}
}

// Run follows the file until ctx is cancelled (then it returns nil) or the
// server refuses the shipper for good (ErrShipRefused). A batch is resent
// until acknowledged; the offset is saved only after a 2xx (or a 400 whose
// lines the server stored as rejects), so a restart repeats at most the
// batch in flight when it stopped.
func (s *Shipper) Run(ctx context.Context) error {
	st, err := loadShipState(s.cfg.StateFile)
	if err != nil {
		return err
	}
	var t *tail
	for t == nil {
		t, err = s.resume(st)
		if err != nil {
			return err
		}
		if t == nil {
			if !s.sleep(ctx, s.cfg.Poll) {
				return nil
			}
		}
	}
	defer func() { t.close() }()
	for {
		if ctx.Err() != nil {
			return nil
		}
		if err := s.checkReplaced(ctx, t); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		n, err := s.readMore(t)
		if err != nil {
			return err
		}
		lines, nbytes := cutBatch(t.buf, s.cfg.MaxLines, s.cfg.MaxBytes)
		if lines == 0 && len(t.buf) >= s.cfg.MaxBytes {
			// One line longer than a batch: send it cut (the server refuses
			// lines longer than its limit and keeps them as rejects).
			lines, nbytes = 1, len(t.buf)
		}
		if lines == 0 && t.rotated && n == 0 && len(t.buf) > 0 && t.quiet > 0 {
			// The rotated file ends without a line break and will never
			// get one: its last line is complete.
			lines, nbytes = 1, len(t.buf)
		}
		if lines > 0 {
			if t.since.IsZero() {
				t.since = time.Now()
			}
			full := lines >= s.cfg.MaxLines || len(t.buf) >= s.cfg.MaxBytes
			if full || t.rotated || n == 0 && time.Since(t.since) >= s.cfg.MaxWait {
				body := t.buf[:nbytes]
				if body[len(body)-1] != '\n' {
					body = append(body[:len(body):len(body)], '\n')
				}
				// Blank lines only: the server would refuse an empty body,
				// and there is nothing to send; just move past them.
				if len(bytes.TrimSpace(body)) > 0 {
					if err := s.send(ctx, body, lines); err != nil {
						if ctx.Err() != nil {
							return nil
						}
						return err
					}
				}
				t.acked += int64(nbytes)
				t.buf = append(t.buf[:0], t.buf[nbytes:]...)
				t.since = time.Time{}
				if err := s.save(t); err != nil {
					return err
				}
				if s.cfg.Progress != nil {
					if fi, err := t.f.Stat(); err == nil {
						s.cfg.Progress(t.acked, fi.Size(), lines)
					}
				}
				continue
			}
		}
		if n > 0 {
			continue
		}
		next, err := s.rotation(t)
		if err != nil {
			return err
		}
		if next != nil {
			s.log.Info("queue_log rotated: following the new file", "path", s.cfg.Path, "old_inode", t.ino, "inode", next.ino, "old_file_bytes", t.acked)
			t.close()
			t = next
			if err := s.save(t); err != nil {
				return err
			}
			continue
		}
		if !s.sleep(ctx, s.cfg.Poll) {
			return nil
		}
	}
}

// cutBatch returns how many complete lines, and how many bytes, of buf
// make the next batch.
func cutBatch(buf []byte, maxLines, maxBytes int) (lines, n int) {
	for lines < maxLines {
		i := bytes.IndexByte(buf[n:], '\n')
		if i < 0 || n+i+1 > maxBytes {
			break
		}
		n += i + 1
		lines++
	}
	return lines, n
}

// readMore reads what was appended, up to MaxBytes buffered.
func (s *Shipper) readMore(t *tail) (int, error) {
	room := s.cfg.MaxBytes - len(t.buf)
	if room <= 0 {
		return 0, nil
	}
	chunk := make([]byte, min(room, 256<<10))
	n, err := t.f.ReadAt(chunk, t.acked+int64(len(t.buf)))
	if err != nil && !errors.Is(err, io.EOF) {
		return 0, fmt.Errorf("cannot read %s: %w", s.cfg.Path, err)
	}
	t.buf = append(t.buf, chunk[:n]...)
	if len(t.head) < headBytes && t.acked+int64(len(t.buf)) > int64(len(t.head)) {
		h := make([]byte, headBytes)
		m, _ := t.f.ReadAt(h, 0)
		// Only ever extend the head: a file whose start no longer matches
		// it was replaced meanwhile, which checkReplaced must still see.
		if bytes.HasPrefix(h[:m], t.head) {
			t.head = h[:m]
		}
	}
	if n == 0 && t.rotated {
		t.quiet++
	}
	return n, nil
}

// checkReplaced starts the file again from its beginning when it was
// truncated (copytruncate) or its first bytes changed (truncated and
// written past the old offset between two looks, or replaced in place).
// Lines written between the last read and the truncation are lost to us:
// copytruncate copies them to the rotated file, which we do not read.
func (s *Shipper) checkReplaced(ctx context.Context, t *tail) error {
	fi, err := t.f.Stat()
	if err != nil {
		return fmt.Errorf("cannot stat %s: %w", s.cfg.Path, err)
	}
	read := t.acked + int64(len(t.buf))
	reason := ""
	if fi.Size() < read {
		reason = "truncated"
	} else if len(t.head) > 0 {
		h := make([]byte, len(t.head))
		if n, _ := t.f.ReadAt(h, 0); !bytes.Equal(h[:n], t.head) {
			reason = "replaced"
		}
	}
	if reason == "" {
		return nil
	}
	s.log.Warn("queue_log "+reason+": reading it from the start", "path", s.cfg.Path, "size", fi.Size(), "offset", read)
	// Complete lines already read from the old contents, still waiting for
	// their batch, are owed to the server: send them before starting over.
	// Only after a truncation are they surely old: the file is shorter than
	// what was read. A replaced file (same size or longer, another start)
	// may have been read into the buffer already, at the old offset.
	for reason == "truncated" {
		lines, n := cutBatch(t.buf, s.cfg.MaxLines, s.cfg.MaxBytes)
		if lines == 0 {
			break
		}
		if body := t.buf[:n]; len(bytes.TrimSpace(body)) > 0 {
			if err := s.send(ctx, body, lines); err != nil {
				return err
			}
		}
		t.buf = t.buf[n:]
	}
	t.acked, t.buf, t.head, t.since = 0, t.buf[:0], nil, time.Time{}
	return s.save(t)
}

// rotation returns the new file once the path names another file and the
// old one has been read to its end; nil while there is nothing to switch to.
func (s *Shipper) rotation(t *tail) (*tail, error) {
	fi, err := os.Stat(s.cfg.Path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil // renamed, not yet created again: keep the old one
	}
	if err != nil {
		return nil, fmt.Errorf("cannot stat %s: %w", s.cfg.Path, err)
	}
	if inode(fi) == t.ino {
		return nil, nil
	}
	if !t.rotated {
		t.rotated, t.quiet = true, 0
		return nil, nil // read the old file once more: the switch may have written to it since
	}
	if len(t.buf) > 0 || t.quiet < 2 {
		return nil, nil
	}
	return s.open(s.cfg.Path, 0)
}

func (s *Shipper) open(path string, off int64) (*tail, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cannot open %s: %w", path, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("cannot stat %s: %w", path, err)
	}
	return &tail{f: f, ino: inode(fi), acked: off}, nil
}

// resume opens where the saved state points: the same file at its offset,
// or, when the file was rotated while the shipper was down, the old file
// (found by its inode in the same directory) at its offset, to be read to
// its end first. A file whose first bytes differ is new and read from 0.
// It returns nil, nil while the path does not exist.
func (s *Shipper) resume(st ShipState) (*tail, error) {
	fi, err := os.Stat(s.cfg.Path)
	if errors.Is(err, os.ErrNotExist) {
		s.log.Info("waiting for the queue_log file to appear", "path", s.cfg.Path)
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cannot stat %s: %w", s.cfg.Path, err)
	}
	if st.Inode != 0 {
		candidate := ""
		if inode(fi) == st.Inode {
			candidate = s.cfg.Path
		} else {
			candidate = findInode(filepath.Dir(s.cfg.Path), st.Inode)
		}
		if candidate != "" {
			t, err := s.open(candidate, st.Offset)
			if err != nil {
				return nil, err
			}
			if ok, why := t.matches(st); ok {
				t.rotated = candidate != s.cfg.Path
				s.log.Info("resuming", "path", candidate, "offset", st.Offset, "rotated", t.rotated)
				return t, nil
			} else {
				s.log.Warn("saved offset does not fit the file: reading it from the start", "path", candidate, "reason", why)
			}
			t.close()
		} else {
			s.log.Warn("the file of the saved offset is gone: reading the current file from the start", "path", s.cfg.Path, "inode", st.Inode)
		}
	}
	return s.open(s.cfg.Path, 0)
}

// matches checks that t's file is the one st describes, and sets its head.
func (t *tail) matches(st ShipState) (bool, string) {
	fi, err := t.f.Stat()
	if err != nil {
		return false, err.Error()
	}
	if fi.Size() < st.Offset {
		return false, "file is shorter than the offset"
	}
	h := make([]byte, st.HeadLen)
	n, _ := t.f.ReadAt(h, 0)
	sum := sha256.Sum256(h[:n])
	if n != st.HeadLen || hex.EncodeToString(sum[:]) != st.HeadHash {
		return false, "first bytes differ"
	}
	t.head = h[:n]
	return true, ""
}

func findInode(dir string, ino uint64) string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return ""
	}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		if fi, err := e.Info(); err == nil && inode(fi) == ino {
			return filepath.Join(dir, e.Name())
		}
	}
	return ""
}

func inode(fi os.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return st.Ino
	}
	return 0
}

// send posts one batch until the server acknowledges it. A 2xx, or a 400
// with the ingest answer (every line refused and stored as a reject), is
// an acknowledgement. 401, 403 and other refusals are ErrShipRefused;
// anything else is retried with backoff, honouring Retry-After.
func (s *Shipper) send(ctx context.Context, body []byte, lines int) error {
	backoff := s.cfg.MinBackoff
	for attempt := 1; ; attempt++ {
		wait, err := s.post(ctx, body)
		if err == nil {
			return nil
		}
		if errors.Is(err, ErrShipRefused) || ctx.Err() != nil {
			return err
		}
		if wait <= 0 {
			wait = backoff/2 + rand.N(backoff/2+1)
			backoff = min(backoff*2, s.cfg.MaxBackoff)
		}
		s.log.Warn("cannot ship lines: sending them again", "lines", lines, "attempt", attempt, "wait", wait, "err", err)
		if !s.sleep(ctx, wait) {
			return ctx.Err()
		}
	}
}

// post sends once; a positive wait is the server's Retry-After.
func (s *Shipper) post(ctx context.Context, body []byte) (time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.target, bytes.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("cannot make request: %w", err)
	}
	req.Header.Set("Content-Type", "text/plain; charset=utf-8")
	if s.cfg.Token != "" {
		req.Header.Set("Authorization", "Bearer "+s.cfg.Token)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	var ans struct {
		Accepted   *int         `json:"accepted"`
		Duplicates int          `json:"duplicates"`
		Rejected   []RejectLine `json:"rejected"`
		Error      string       `json:"error"`
	}
	_ = json.Unmarshal(raw, &ans)
	switch {
	case resp.StatusCode/100 == 2:
		if len(ans.Rejected) > 0 {
			s.log.Warn("server refused some lines (stored as rejects)", "rejected", len(ans.Rejected), "first", ans.Rejected[0].Reason)
		}
		return 0, nil
	case resp.StatusCode == http.StatusBadRequest && ans.Accepted != nil:
		s.log.Warn("server refused every line of a batch (stored as rejects)", "rejected", len(ans.Rejected))
		return 0, nil
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return 0, fmt.Errorf("%w: %s: %s (check --token / ACDSTAT_INGEST_TOKEN and the server's allowlist)", ErrShipRefused, resp.Status, ans.Error)
	case resp.StatusCode == http.StatusServiceUnavailable || resp.StatusCode == http.StatusTooManyRequests:
		return retryAfter(resp.Header.Get("Retry-After"), s.cfg.MaxRetryAfter), fmt.Errorf("server answered %s: %s", resp.Status, ans.Error)
	case resp.StatusCode/100 == 4:
		return 0, fmt.Errorf("%w: %s: %s", ErrShipRefused, resp.Status, strings.TrimSpace(ans.Error))
	}
	return 0, fmt.Errorf("server answered %s: %s", resp.Status, strings.TrimSpace(string(raw)))
}

// retryAfter reads seconds or an HTTP date; 0 when absent or unreadable.
func retryAfter(v string, limit time.Duration) time.Duration {
	if v == "" {
		return 0
	}
	var d time.Duration
	if n, err := strconv.Atoi(v); err == nil {
		d = time.Duration(n) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = time.Until(t)
	} else {
		return 0
	}
	if d <= 0 {
		return time.Millisecond
	}
	return min(d, limit)
}

func (s *Shipper) save(t *tail) error {
	sum := sha256.Sum256(t.head)
	st := ShipState{Inode: t.ino, Offset: t.acked, HeadLen: len(t.head), HeadHash: hex.EncodeToString(sum[:])}
	if int64(len(t.head)) > t.acked {
		// Only acknowledged bytes identify the file.
		sum = sha256.Sum256(t.head[:t.acked])
		st.HeadLen, st.HeadHash = int(t.acked), hex.EncodeToString(sum[:])
	}
	return saveShipState(s.cfg.StateFile, st)
}

func loadShipState(path string) (ShipState, error) {
	var st ShipState
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("cannot read state file: %w", err)
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return st, fmt.Errorf("cannot read state file %s (delete it to ship the file from the start): %w", path, err)
	}
	return st, nil
}

// saveShipState writes the state atomically: a temporary file, fsynced,
// renamed over the old one, and the directory fsynced.
func saveShipState(path string, st ShipState) error {
	b, _ := json.Marshal(st)
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("cannot write state file: %w", err)
	}
	_, err = f.Write(append(b, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("cannot write state file: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}
