package document

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/acdstat/acdstat/cdr"
)

// Handler serves GET /document?period=2016-Q4&lang=da&format=html|pdf:
// the same document as acdstat report --quarter, for the dashboard's
// link. Without period it is the quarter that ended last by Now, in the
// calendar of Zone; without lang, Lang.
type Handler struct {
	Producers []Producer
	Texts     fs.FS
	Chromium  string // FindChromium's argument
	Lang      string
	Zone      func(ctx context.Context) (*time.Location, error)
	Now       func() time.Time
	Log       *slog.Logger
	// Wrap adds access control (the read tokens'); nil: none.
	Wrap func(http.Handler) http.Handler

	// printing lets one Chromium print at a time: a browser per request
	// would let a few readers fill the machine's memory.
	printing sync.Mutex
}

// Register mounts the document.
func (h *Handler) Register(mux *http.ServeMux) {
	wrap := h.Wrap
	if wrap == nil {
		wrap = func(h http.Handler) http.Handler { return h }
	}
	mux.Handle("GET /document", wrap(http.HandlerFunc(h.serve)))
}

func (h *Handler) serve(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	fail := func(status int, msg string) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(status)
		fmt.Fprintln(w, msg)
	}
	lang := v.Get("lang")
	if lang == "" {
		lang = h.Lang
	}
	if _, ok := labels[lang]; !ok {
		fail(http.StatusBadRequest, "lang must be da or en")
		return
	}
	format := v.Get("format")
	if format == "" {
		format = "html"
	}
	if format != "html" && format != "pdf" {
		fail(http.StatusBadRequest, "format must be html or pdf")
		return
	}
	var p Period
	if s := v.Get("period"); s != "" {
		var err error
		if p, err = ParsePeriod(s); err != nil {
			fail(http.StatusBadRequest, err.Error())
			return
		}
	} else {
		loc, err := h.Zone(r.Context())
		if err != nil {
			h.Log.Warn("cannot make the document", "err", err)
			fail(http.StatusServiceUnavailable, "cannot read the queue settings: "+err.Error())
			return
		}
		p = LastEnded(cdr.PeriodQuarter, h.Now(), loc)
	}
	d, err := Build(r.Context(), p, lang, h.Texts, h.Now(), h.Producers...)
	if err != nil {
		h.Log.Warn("cannot make the document", "period", p.String(), "err", err)
		fail(http.StatusServiceUnavailable, "cannot make the document: "+err.Error())
		return
	}
	page, err := d.HTML()
	if err != nil {
		fail(http.StatusInternalServerError, err.Error())
		return
	}
	if format == "html" {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(page)
		return
	}
	bin, err := FindChromium(h.Chromium)
	if errors.Is(err, ErrNoChromium) {
		fail(http.StatusNotImplemented, err.Error())
		return
	}
	h.printing.Lock()
	pdf, err := PrintPDF(r.Context(), bin, page)
	h.printing.Unlock()
	if err != nil {
		h.Log.Warn("cannot print the document", "period", p.String(), "err", err)
		fail(http.StatusInternalServerError, err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `inline; filename="acdstat-`+p.String()+`.pdf"`)
	w.Header().Set("Content-Length", strconv.Itoa(len(pdf)))
	_, _ = w.Write(pdf)
}
