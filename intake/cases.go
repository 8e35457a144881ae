package intake

import (
	"bytes"
	"io"
	"net/http"
	"time"

	"github.com/acdstat/acdstat/cdr"
)

// contacts serves POST /v1/contacts: contacts from the channels other than
// the phone (portal, e-mail, chat, walk-in), CSV with a header or JSON
// (cdr.DecodeContacts). The switch (?switch= or X-Acdstat-Switch) names
// the system they come from; the answer is the ingest Answer.
func (h *Handler) contacts(w http.ResponseWriter, r *http.Request) {
	h.recordsBody(w, r, cdr.FormatContacts)
}

// cases serves POST /v1/cases: the cases of a service-management tool,
// CSV with a header or JSON (cdr.DecodeCases), in our column names or, with
// ?map=servicenow|topdesk|jira|otrs, in those of the tool's export
// (cdr.ShippedCaseMaps). A case sent again replaces its earlier state.
func (h *Handler) cases(w http.ResponseWriter, r *http.Request) {
	h.recordsBody(w, r, cdr.FormatCases)
}

// recordsBody ingests contacts or cases through the spool like every
// input. Their times are not held to the raw-event retention (Oldest):
// they are not raw events, and a case opened long ago is updated today.
func (h *Handler) recordsBody(w http.ResponseWriter, r *http.Request, format string) {
	sw, ok := requestSwitch(w, r)
	if !ok {
		return
	}
	var m *cdr.CDRMap
	if format == cdr.FormatCases {
		var err error
		if m, err = cdr.ShippedCaseMap(r.URL.Query().Get("map")); err != nil {
			WriteError(w, http.StatusBadRequest, err.Error())
			return
		}
	}
	decode, err := cdr.Decoder(format)
	if err != nil {
		WriteError(w, http.StatusBadRequest, err.Error())
		return
	}
	body, ok := h.readBody(w, r)
	if !ok {
		return
	}
	if len(bytes.TrimSpace(body)) == 0 {
		WriteError(w, http.StatusBadRequest, "body is empty: send "+format+" as CSV or JSON")
		return
	}
	h.ingestBody(w, r, sw, format, h.privacy.Wrap(func(rd io.Reader, opt cdr.DecodeOptions, fn func(cdr.Batch) error) error {
		opt.Map, opt.Oldest = m, time.Time{}
		return decode(rd, opt, fn)
	}), body)
}
