package intake

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/acdstat/acdstat/cdr"
	"github.com/acdstat/acdstat/sip"
)

// Caller number modes (ACDSTAT_CALLER_NUMBERS).
const (
	CallerKeep = "keep"
	CallerHash = "hash"
	CallerDrop = "drop"
)

// Privacy applies the caller-number setting to decoded events before
// anything is stored. Caller numbers are personal data: with hash, the
// ENTERQUEUE caller field becomes "h:" and the first 16 hex digits of its
// HMAC-SHA256 under the secret key (the same number gives the same value,
// so repeat callers can still be counted, but it cannot be read back
// without the key); with drop it becomes empty. The same applies to the
// caller number of FreeSWITCH events (CCJOIN and CDR, data2) and of SIP
// facts (the From user, sip.Caller), on every intake path. In both
// modes, runs of 5 or more digits in the raw text of refused lines are
// masked (the time and call id fields of a pipe line excepted).
//
// Event ids are computed after the transform: the same line sent twice in
// the same mode and with the same key gets the same id, so resends stay
// harmless. Changing the mode or the key changes the ids of what arrives
// afterwards; rows stored before keep theirs.
//
// A nil *Privacy keeps everything. It is immutable and safe for concurrent use.
type Privacy struct {
	mode string
	key  []byte
}

// NewPrivacy reads the setting. An empty mode means hash when a key is set
// and keep otherwise. keyFile (its trailing line break dropped) and key are
// exclusive.
func NewPrivacy(mode, key, keyFile string) (*Privacy, error) {
	if key != "" && keyFile != "" {
		return nil, fmt.Errorf("ACDSTAT_CALLER_HASH_KEY and ACDSTAT_CALLER_HASH_KEY_FILE are exclusive: set one")
	}
	if keyFile != "" {
		b, err := os.ReadFile(keyFile)
		if err != nil {
			return nil, fmt.Errorf("ACDSTAT_CALLER_HASH_KEY_FILE: cannot read key file: %w", err)
		}
		key = strings.TrimRight(string(b), "\r\n")
	}
	if mode == "" {
		mode = CallerKeep
		if key != "" {
			mode = CallerHash
		}
	}
	switch mode {
	case CallerKeep:
		return nil, nil
	case CallerDrop:
		return &Privacy{mode: mode}, nil
	case CallerHash:
		if len(key) < 16 {
			return nil, fmt.Errorf("ACDSTAT_CALLER_NUMBERS=hash needs ACDSTAT_CALLER_HASH_KEY (or _FILE) of at least 16 bytes")
		}
		return &Privacy{mode: mode, key: []byte(key)}, nil
	}
	return nil, fmt.Errorf("ACDSTAT_CALLER_NUMBERS: %q is not keep, hash or drop", mode)
}

// Mode is keep, hash or drop.
func (p *Privacy) Mode() string {
	if p == nil {
		return CallerKeep
	}
	return p.mode
}

// Wrap returns a decoder that applies p to every batch decode yields.
func (p *Privacy) Wrap(decode cdr.DecodeFunc) cdr.DecodeFunc {
	if p == nil {
		return decode
	}
	return func(r io.Reader, opt cdr.DecodeOptions, fn func(cdr.Batch) error) error {
		return decode(r, opt, func(b cdr.Batch) error {
			for i := range b.Events {
				p.event(&b.Events[i])
			}
			for i, de := range b.Rejects {
				c := *de
				c.Raw = MaskDigits(c.Raw)
				b.Rejects[i] = &c
			}
			return fn(b)
		})
	}
}

// callerVerbs are the verbs whose data2 holds the caller number: queue_log's
// ENTERQUEUE, FreeSWITCH's CCJOIN and plain CDR legs (cdr/freeswitch.go;
// the Asterisk and generic CDR rows use the same CDR verb) and the generic
// CDR's QUEUECALL (cdr/cdrfile.go).
var callerVerbs = map[string]bool{"ENTERQUEUE": true, cdr.FSVerbJoin: true, cdr.FSVerbCDR: true, cdr.CDRVerbCall: true}

// event applies p to one event, in place; a nil p changes nothing. The
// SIP listeners call it on every fact, HTTP ingest and `acdstat ingest`
// through Wrap.
func (p *Privacy) event(e *cdr.Event) {
	if p == nil {
		return
	}
	if e.Source == sip.SourceSIP {
		// The caller's number is the From user of the caller's INVITE.
		if c := sip.Caller(e); c != "" {
			sip.SetCaller(e, p.caller(c))
			e.ID = cdr.EventID(e)
		}
		return
	}
	if !callerVerbs[e.Verb] || e.Data[1] == "" {
		return
	}
	e.Data[1] = p.caller(e.Data[1])
	e.ID = cdr.EventID(e)
}

func (p *Privacy) caller(s string) string {
	if p.mode == CallerDrop {
		return ""
	}
	m := hmac.New(sha256.New, p.key)
	m.Write([]byte(s))
	return "h:" + hex.EncodeToString(m.Sum(nil)[:8])
}

// MaskDigits replaces every run of 5 or more digits with x's, except in
// the first two fields (time and call id) of a pipe-separated queue_log line.
func MaskDigits(raw string) string {
	keep := 0
	if strings.Count(raw, "|") >= 2 {
		i := strings.IndexByte(raw, '|')
		keep = i + 1 + strings.IndexByte(raw[i+1:], '|')
	}
	b := []byte(raw)
	for i := keep; i < len(b); {
		if b[i] < '0' || b[i] > '9' {
			i++
			continue
		}
		j := i
		for j < len(b) && b[j] >= '0' && b[j] <= '9' {
			j++
		}
		if j-i >= 5 {
			for k := i; k < j; k++ {
				b[k] = 'x'
			}
		}
		i = j
	}
	return string(b)
}
