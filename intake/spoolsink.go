package intake

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/acdstat/acdstat/cdr"
	"github.com/acdstat/acdstat/spool"
)

// Appender is the part of the spool intake writes through: Append returns
// nil only once the records are on disk and fsynced, and an error wrapping
// spool.ErrFull when there is no room.
type Appender interface {
	Append(ctx context.Context, records [][]byte) error
}

// SpoolSink is the Sink of acdstat serve: each Accept is one spool record
// (cdr.MarshalSpoolRecord), so an acknowledgement means "on local disk".
// The spool's append time stands for the rejects' ReceivedAt.
type SpoolSink struct{ spool Appender }

// NewSpoolSink returns a Sink appending to sp.
func NewSpoolSink(sp Appender) SpoolSink { return SpoolSink{spool: sp} }

// Accept encodes events and rejects into one record and appends it.
func (s SpoolSink) Accept(ctx context.Context, events []cdr.Event, rejects []cdr.Reject) error {
	if len(events) == 0 && len(rejects) == 0 {
		return nil
	}
	if err := s.spool.Append(ctx, [][]byte{cdr.MarshalSpoolRecord(events, rejects)}); err != nil {
		return fmt.Errorf("cannot spool events: %w", err)
	}
	return nil
}

// storeFailed answers a request whose events could not be stored: 503 with
// Retry-After either way, since nothing was acknowledged and the sender
// should send it again. A full spool is expected backpressure (a warning);
// anything else is logged as an error.
func (h *Handler) storeFailed(w http.ResponseWriter, sw string, err error) {
	w.Header().Set("Retry-After", "5")
	if errors.Is(err, spool.ErrFull) {
		h.refused("spool_full")
		h.log.Warn("spool full: refusing ingest until the writer catches up", "switch", sw)
		WriteError(w, http.StatusServiceUnavailable, "spool full: acdstat cannot take more events until ClickHouse catches up; nothing of this request was acknowledged, send it again after Retry-After")
		return
	}
	h.refused("store_error")
	h.log.Error("cannot store ingest", "switch", sw, "err", err)
	WriteError(w, http.StatusServiceUnavailable, "cannot store the events now; nothing of this request was acknowledged, send it again: "+err.Error())
}
