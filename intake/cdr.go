package intake

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"

	"github.com/acdstat/acdstat/cdr"
)

// freeSWITCH serves POST /v1/ingest/freeswitch: one CDR as FreeSWITCH's
// mod_json_cdr posts it (or mod_xml_cdr, with ?format=freeswitch_xml). It
// takes every encoding mod_json_cdr has (src/mod/event_handlers/mod_json_cdr/
// mod_json_cdr.c, process_cdr):
//   - encode unset or false: the raw JSON body (application/json);
//   - encode=true: application/x-www-form-urlencoded, body cdr=<url-encoded JSON>;
//   - encode=base64: application/x-www-form-base64-encoded, body cdr=<base64 JSON>;
//
// and values inside the JSON URL-encoded or not (encode-values). The switch
// is ?switch= or X-Acdstat-Switch as for queue_log.
//
// mod_json_cdr counts only 2xx as delivered (process_cdr: "httpRes >= 200 &&
// httpRes < 300"); on anything else it tries the next URL, then the retries,
// then keeps the CDR in its err-log-dir (backup_cdr). So a CDR that cannot be
// stored now gets 503 and one that cannot be read gets 400: both stay with
// FreeSWITCH to be resent or looked at; a CDR read and stored gets 200.
func (h *Handler) freeSWITCH(w http.ResponseWriter, r *http.Request) {
	format := r.URL.Query().Get("format")
	if format == "" {
		format = cdr.FormatFreeSWITCHJSON
	}
	if format != cdr.FormatFreeSWITCHJSON && format != cdr.FormatFreeSWITCHXML {
		WriteError(w, http.StatusBadRequest, fmt.Sprintf("format %q is not a FreeSWITCH format: use freeswitch_json or freeswitch_xml", format))
		return
	}
	h.cdrBody(w, r, format, func(body []byte) ([]byte, error) {
		return fsUnwrap(r.Header.Get("Content-Type"), body)
	})
}

// fsUnwrap returns the CDR document of a mod_json_cdr or mod_xml_cdr post.
func fsUnwrap(contentType string, body []byte) ([]byte, error) {
	mt, _, _ := mime.ParseMediaType(contentType)
	trimmed := bytes.TrimSpace(body)
	form := mt == "application/x-www-form-urlencoded" || mt == "application/x-www-form-base64-encoded" ||
		bytes.HasPrefix(trimmed, []byte("cdr="))
	if !form {
		return body, nil
	}
	vals, err := url.ParseQuery(string(trimmed))
	if err != nil {
		return nil, fmt.Errorf("cannot read the form body: %w", err)
	}
	doc := vals.Get("cdr")
	if doc == "" {
		return nil, errors.New("the form body has no cdr field: mod_json_cdr sends cdr=<CDR>")
	}
	if mt == "application/x-www-form-base64-encoded" {
		b, err := base64.StdEncoding.DecodeString(doc)
		if err != nil {
			return nil, fmt.Errorf("cannot decode the base64 cdr field: %w", err)
		}
		return b, nil
	}
	return []byte(doc), nil
}

// cdrBody reads a body, unwraps it and ingests it in format, answering as
// the queue_log handler does.
func (h *Handler) cdrBody(w http.ResponseWriter, r *http.Request, format string, unwrap func([]byte) ([]byte, error)) {
	sw, ok := requestSwitch(w, r)
	if !ok {
		return
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
	if unwrap != nil {
		var err error
		if body, err = unwrap(body); err != nil {
			WriteError(w, http.StatusBadRequest, err.Error())
			return
		}
	}
	if len(bytes.TrimSpace(body)) == 0 {
		WriteError(w, http.StatusBadRequest, "body is empty: send a CDR")
		return
	}
	h.ingestBody(w, r, sw, format, h.privacy.Wrap(decode), body)
}
