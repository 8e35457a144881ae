package intake

import (
	"net/http"

	"github.com/acdstat/acdstat/cdr"
)

// dispositions serves POST /v1/dispositions: first-contact resolution from a
// ticket system or agent tool, as JSON (one object or an array; the fields are
// those of cdr.DecodeDispositions). Each disposition is stored as an event of
// its call id, and the build job attaches it to the last answered stay of that
// call (in its queue when one is named), whether it arrives before or after
// the call's own events. A disposition without a time is stamped with the time
// of receipt. The answer is the ingest Answer: 200 when anything was kept, 400
// when nothing was, with the refused objects by their position (line).
func (h *Handler) dispositions(w http.ResponseWriter, r *http.Request) {
	h.cdrBody(w, r, cdr.FormatDisposition, nil)
}
