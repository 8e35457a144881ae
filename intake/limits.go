package intake

import (
	"errors"
	"fmt"
	"time"
)

// Limits bound what senders can make acdstat hold, whatever they send
// (issue 12): every listener's connections (Gate), the ingest requests
// decoded at once, and the refused lines stored. Config composes them, so
// their variables are ACDSTAT_ plus the names below.
type Limits struct {
	// ConnIdle is how long a TCP connection may go without completing a
	// message (a HEP packet, a SIP message) before it is closed: an idle
	// stream and one that sends half a message and stops alike. HTTP
	// connections have the server's own timeouts.
	ConnIdle time.Duration `env:"CONN_IDLE_TIMEOUT" envDefault:"60s"`
	// MaxConns bounds the open connections of all listeners together,
	// below the open-file limit (systemd unit: 65536), so that accept
	// never runs out of descriptors; MaxConnsPerSource bounds those of one
	// source address. A connection beyond either is closed at once.
	MaxConns          int `env:"MAX_CONNS" envDefault:"4096"`
	MaxConnsPerSource int `env:"MAX_CONNS_PER_SOURCE" envDefault:"256"`
	// MaxIngestRequests bounds the ingest requests read and decoded at
	// once; each may hold a body of MaxBodyBytes. One more waits up to
	// IngestWait for a turn, then gets 503 with Retry-After.
	MaxIngestRequests int           `env:"MAX_INGEST_REQUESTS" envDefault:"4"`
	IngestWait        time.Duration `env:"INGEST_WAIT" envDefault:"2s"`
	// MaxRejectsPerRequest bounds the refused lines of one ingest request
	// stored in the rejects table, and MaxRejectsPerMinute those of one
	// source address in a minute; beyond them refused lines are counted
	// (acdstat_intake_rejects_dropped_total), not stored.
	MaxRejectsPerRequest int `env:"MAX_REJECTS_PER_REQUEST" envDefault:"1000"`
	MaxRejectsPerMinute  int `env:"MAX_REJECTS_PER_MINUTE" envDefault:"10000"`
}

// defaultLimits are the defaults of the variables above, for a Limits
// whose fields are zero (a Config built in code rather than loaded).
var defaultLimits = Limits{
	ConnIdle: 60 * time.Second, MaxConns: 4096, MaxConnsPerSource: 256,
	MaxIngestRequests: 4, IngestWait: 2 * time.Second,
	MaxRejectsPerRequest: 1000, MaxRejectsPerMinute: 10000,
}

// orDefault is l with every zero field at its default.
func (l Limits) orDefault() Limits {
	d := defaultLimits
	pick := func(v *int, def int) {
		if *v == 0 {
			*v = def
		}
	}
	pick(&l.MaxConns, d.MaxConns)
	pick(&l.MaxConnsPerSource, d.MaxConnsPerSource)
	pick(&l.MaxIngestRequests, d.MaxIngestRequests)
	pick(&l.MaxRejectsPerRequest, d.MaxRejectsPerRequest)
	pick(&l.MaxRejectsPerMinute, d.MaxRejectsPerMinute)
	if l.ConnIdle == 0 {
		l.ConnIdle = d.ConnIdle
	}
	if l.IngestWait == 0 {
		l.IngestWait = d.IngestWait
	}
	return l
}

// Validate checks the limits, naming the variables at fault. Zero is the
// default (orDefault); a negative value is an error.
func (l Limits) Validate() error {
	var errs []error
	for _, v := range []struct {
		name string
		bad  bool
	}{
		{"ACDSTAT_CONN_IDLE_TIMEOUT", l.ConnIdle < 0},
		{"ACDSTAT_MAX_CONNS", l.MaxConns < 0},
		{"ACDSTAT_MAX_CONNS_PER_SOURCE", l.MaxConnsPerSource < 0},
		{"ACDSTAT_MAX_INGEST_REQUESTS", l.MaxIngestRequests < 0},
		{"ACDSTAT_INGEST_WAIT", l.IngestWait < 0},
		{"ACDSTAT_MAX_REJECTS_PER_REQUEST", l.MaxRejectsPerRequest < 0},
		{"ACDSTAT_MAX_REJECTS_PER_MINUTE", l.MaxRejectsPerMinute < 0},
	} {
		if v.bad {
			errs = append(errs, fmt.Errorf("%s: must not be negative", v.name))
		}
	}
	if l.MaxConns > 0 && l.MaxConnsPerSource > l.MaxConns {
		errs = append(errs, fmt.Errorf("ACDSTAT_MAX_CONNS_PER_SOURCE: %d is more than ACDSTAT_MAX_CONNS=%d", l.MaxConnsPerSource, l.MaxConns))
	}
	return errors.Join(errs...)
}
