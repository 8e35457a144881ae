package httpapi

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/acdstat/acdstat/cdr"
	"github.com/acdstat/acdstat/report"
)

// CaseReader reads the case job's months (store.DeskMonths) and the
// answered calls of a desk's queues by month (store.AnsweredByMonth).
type CaseReader interface {
	DeskMonths(ctx context.Context, desk string, from, to time.Time) ([]cdr.DeskMonth, error)
	AnsweredByMonth(ctx context.Context, queues []string, tz string, from, to time.Time) (map[time.Time]uint64, error)
}

// deskRows reads the rows of GET /v1/contacts and /v1/cases
// (report.DeskRows): ?desk= one desk, else every desk; ?from= and ?to=
// local dates in each desk's zone. Contacts and cases belong to desks, not
// switches: a read token limited to some switches does not read them.
func (a *API) deskRows(r *http.Request) ([]report.ContactRow, []report.CaseRow, error) {
	if _, limited := cdr.SwitchesOf(r.Context()); limited {
		return nil, nil, &userError{http.StatusForbidden, "contacts and cases belong to desks, not switches: this read token reads some switches only"}
	}
	if a.src.Cases == nil {
		return nil, nil, nil
	}
	qs, err := a.settings.Settings(r.Context())
	if err != nil {
		return nil, nil, err
	}
	q := r.URL.Query()
	contacts, cases, err := report.DeskRows(r.Context(), a.src.Cases, qs, q.Get("desk"), q.Get("from"), q.Get("to"), a.now())
	var ae *report.DeskArgError
	if errors.As(err, &ae) {
		return nil, nil, badRequest("%s", ae.Msg)
	}
	return contacts, cases, err
}

// contactsAPI serves GET /v1/contacts: report.ContactRow per desk, month
// and channel (the phone first) as JSON.
func (a *API) contactsAPI(w http.ResponseWriter, r *http.Request) {
	rows, _, err := a.deskRows(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if rows == nil {
		rows = []report.ContactRow{}
	}
	writeJSON(w, http.StatusOK, rows)
}

// casesAPI serves GET /v1/cases: report.CaseRow per desk and month as
// JSON.
func (a *API) casesAPI(w http.ResponseWriter, r *http.Request) {
	_, rows, err := a.deskRows(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if rows == nil {
		rows = []report.CaseRow{}
	}
	writeJSON(w, http.StatusOK, rows)
}
