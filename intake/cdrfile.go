package intake

import (
	"fmt"
	"net/http"

	"github.com/acdstat/acdstat/cdr"
)

// cdrFile serves POST /v1/ingest/cdr?format=csv|json|asterisk_cdr: a CDR
// file's contents (docs/CDR_FORMAT.md). csv and json must use the generic
// schema's own column names: the HTTP path takes no column map (map a
// switch's own export with `acdstat ingest --map`). asterisk_cdr is cdr_csv's
// Master.csv or cdr_custom's default mapping, read in the switch's zone. The
// switch and the answers are those of the other ingest handlers.
func (h *Handler) cdrFile(w http.ResponseWriter, r *http.Request) {
	format := r.URL.Query().Get("format")
	switch format {
	case cdr.FormatCSV, cdr.FormatJSON, cdr.FormatAsteriskCDR:
	case "":
		WriteError(w, http.StatusBadRequest, "format is missing: add ?format=csv, json or asterisk_cdr")
		return
	default:
		WriteError(w, http.StatusBadRequest, fmt.Sprintf("format %q is not a CDR file format: use csv, json or asterisk_cdr (FreeSWITCH CDRs go to /v1/ingest/freeswitch)", format))
		return
	}
	h.cdrBody(w, r, format, nil)
}
