package intake

import (
	"bytes"
	"fmt"
	"net/http"

	"github.com/acdstat/acdstat/cdr"
)

// probes serves POST /v1/ingest/probes: measurements of system response
// times (docs/METRICS.md, "System response-time compliance") as a
// synthetic-monitoring tool exports them, CSV with a header or JSON (the
// fields of cdr.DecodeProbes); with ?format=probe_months, a month's
// compliance per system and location instead (cdr.DecodeProbeMonths). They
// take the path of every intake: the spool, then the store, each with its
// deterministic id, so a resend is one fact. The switch (?switch= or
// X-Acdstat-Switch) names the sender, the tool, as for any intake; the
// figures are the installation's, not a switch's. No caller number is in a
// measurement, so the privacy setting leaves them as they are (a location
// may well hold digits). The answer is the ingest Answer: 200 when
// anything was kept, 400 when nothing was, each refused record by its line
// (CSV) or position (JSON) and field.
func (h *Handler) probes(w http.ResponseWriter, r *http.Request) {
	sw, ok := requestSwitch(w, r)
	if !ok {
		return
	}
	format := r.URL.Query().Get("format")
	if format == "" {
		format = cdr.FormatProbes
	}
	if format != cdr.FormatProbes && format != cdr.FormatProbeMonths {
		WriteError(w, http.StatusBadRequest, fmt.Sprintf("format %q is not a format of measurements: use probes (timed actions) or probe_months (a month's compliance per system and location)", format))
		return
	}
	decode, _ := cdr.Decoder(format)
	body, ok := h.readBody(w, r)
	if !ok {
		return
	}
	if len(bytes.TrimSpace(body)) == 0 {
		WriteError(w, http.StatusBadRequest, "body is empty: send "+format+" as CSV with a header, or as JSON")
		return
	}
	h.ingestBody(w, r, sw, format, decode, body)
}
