package store

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/acdstat/acdstat/cdr"
)

// Contacts and cases (migration 0018; METRICS.md, "Contacts and cases").
// InsertEvents hands their events to insertContactsCases, so they take the
// path of every input and never reach the events table, whose jobs build
// calls.

// splitContactsCases returns the events that are neither contacts nor
// cases, and those that are; evs itself when there are none. An event of
// those sources that does not read back as one (cdr's decoders never write
// such) stays with the rest, where no job counts it, rather than being
// refused or lost.
func splitContactsCases(evs []cdr.Event) (rest, cc []cdr.Event) {
	n := 0
	for i := range evs {
		if isContactOrCase(&evs[i]) {
			n++
		}
	}
	if n == 0 {
		return evs, nil
	}
	rest = make([]cdr.Event, 0, len(evs)-n)
	cc = make([]cdr.Event, 0, n)
	for i := range evs {
		if isContactOrCase(&evs[i]) {
			cc = append(cc, evs[i])
		} else {
			rest = append(rest, evs[i])
		}
	}
	return rest, cc
}

// isContactOrCase reports whether e is a contact or case that reads back.
func isContactOrCase(e *cdr.Event) bool {
	if !cdr.IsContactOrCase(e) {
		return false
	}
	if _, ok := cdr.ContactOf(e); ok {
		return true
	}
	_, ok := cdr.CaseStateOf(e)
	return ok
}

// caseVersion is the version of a case state in the cases table: its
// updated time, then the high half of its event id (the order of
// cdr.LatestCases).
func caseVersion(c *cdr.CaseState) uint64 {
	return uint64(c.Updated.Unix())<<32 | c.EventID>>32
}

// insertContactsCases writes contact and case events (isContactOrCase)
// into their tables, one INSERT per table.
func (s *Store) insertContactsCases(ctx context.Context, evs []cdr.Event) error {
	var (
		ctSys, ctID, ctDesk, ctCh []string
		ctTime                    []time.Time
		ctEv                      []uint64

		csSys, csID, csDesk, csCh, csCrit     []string
		csOpened, csResolved, csReopened, csU []time.Time
		csFC                                  []int8
		csReopens                             []int32
		csEv, csVer                           []uint64
	)
	for i := range evs {
		e := &evs[i]
		if c, ok := cdr.ContactOf(e); ok {
			ctSys, ctID, ctDesk, ctCh = append(ctSys, c.System), append(ctID, c.ID), append(ctDesk, c.Desk), append(ctCh, c.Channel)
			ctTime, ctEv = append(ctTime, c.Time), append(ctEv, c.EventID)
			continue
		}
		c, _ := cdr.CaseStateOf(e)
		csSys, csID, csDesk, csCh, csCrit = append(csSys, c.System), append(csID, c.ID), append(csDesk, c.Desk), append(csCh, c.Channel), append(csCrit, c.Criticality)
		csOpened, csResolved, csReopened, csU = append(csOpened, c.Opened), append(csResolved, zeroTime(c.Resolved)), append(csReopened, zeroTime(c.Reopened)), append(csU, c.Updated)
		csFC, csReopens = append(csFC, c.FirstContact), append(csReopens, int32(c.ReopenCount))
		csEv, csVer = append(csEv, c.EventID), append(csVer, caseVersion(&c))
	}
	if len(ctID) > 0 {
		if err := s.sendColumns(ctx, "contacts", "INSERT INTO contacts (system, contact_id, desk, channel, time, event_id)",
			[]any{ctSys, ctID, ctDesk, ctCh, ctTime, ctEv}); err != nil {
			return err
		}
	}
	if len(csID) > 0 {
		if err := s.sendColumns(ctx, "cases", "INSERT INTO cases (system, case_id, desk, channel, criticality, opened, resolved, reopened, updated, first_contact, reopen_count, event_id, version)",
			[]any{csSys, csID, csDesk, csCh, csCrit, csOpened, csResolved, csReopened, csU, csFC, csReopens, csEv, csVer}); err != nil {
			return err
		}
	}
	return nil
}

// zeroTime is the stored form of an unknown time: 1970 (DateTime 0).
func zeroTime(t time.Time) time.Time {
	if t.IsZero() {
		return time.Unix(0, 0).UTC()
	}
	return t
}

// unzeroTime reads a stored time back: DateTime 0 is unknown.
func unzeroTime(t time.Time) time.Time {
	if t.Unix() == 0 {
		return time.Time{}
	}
	return t.UTC()
}

// CaseTouches returns the desks whose figures contacts or case states
// stored (by server insert time) in [from, to) may change: the desks of
// those contacts, and every desk that any state of those cases names (a
// case moved from one desk to another changes both). Sorted.
//
// The subqueries of this file are GLOBAL IN: on a cluster, contacts and
// cases are Distributed tables, and ClickHouse refuses a plain IN of one
// Distributed table inside a query of another (code 288); GLOBAL runs the
// subquery once and sends its set to every shard, and reads the same on a
// single server.
func (s *Store) CaseTouches(ctx context.Context, from, to time.Time) ([]string, error) {
	rows, err := s.conn.Query(ctx, `SELECT DISTINCT desk FROM cases
WHERE (system, case_id) GLOBAL IN (SELECT system, case_id FROM cases WHERE ingested_at >= ? AND ingested_at < ?)
UNION ALL
SELECT DISTINCT desk FROM contacts
WHERE (system, contact_id) GLOBAL IN (SELECT system, contact_id FROM contacts WHERE ingested_at >= ? AND ingested_at < ?)`,
		from.UTC(), to.UTC(), from.UTC(), to.UTC())
	if err != nil {
		return nil, fmt.Errorf("cannot list touched desks: %w", err)
	}
	defer rows.Close()
	seen := map[string]bool{}
	for rows.Next() {
		var d string
		if err := rows.Scan(&d); err != nil {
			return nil, fmt.Errorf("cannot list touched desks: %w", err)
		}
		seen[d] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("cannot list touched desks: %w", err)
	}
	out := make([]string, 0, len(seen))
	for d := range seen {
		out = append(out, d)
	}
	sort.Strings(out)
	return out, nil
}

// DeskRecords returns every stored state of the cases, and every stored
// row of the contacts, of which any state or row names one of desks: the
// caller keeps the latest (cdr.LatestCases, cdr.LatestContacts), which may
// name another desk.
func (s *Store) DeskRecords(ctx context.Context, desks []string) ([]cdr.CaseState, []cdr.Contact, error) {
	if len(desks) == 0 {
		return nil, nil, nil
	}
	rows, err := s.conn.Query(ctx, `SELECT system, case_id, desk, channel, criticality, opened, resolved, reopened, updated, first_contact, reopen_count, event_id
FROM cases
WHERE (system, case_id) GLOBAL IN (SELECT system, case_id FROM cases WHERE desk IN ?)`, agentSet(desks))
	if err != nil {
		return nil, nil, fmt.Errorf("cannot read cases: %w", err)
	}
	var cases []cdr.CaseState
	for rows.Next() {
		var c cdr.CaseState
		var reopens int32
		if err := rows.Scan(&c.System, &c.ID, &c.Desk, &c.Channel, &c.Criticality, &c.Opened, &c.Resolved, &c.Reopened, &c.Updated, &c.FirstContact, &reopens, &c.EventID); err != nil {
			rows.Close()
			return nil, nil, fmt.Errorf("cannot read cases: %w", err)
		}
		c.Opened, c.Resolved, c.Reopened, c.Updated = c.Opened.UTC(), unzeroTime(c.Resolved), unzeroTime(c.Reopened), c.Updated.UTC()
		c.ReopenCount = int(reopens)
		cases = append(cases, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("cannot read cases: %w", err)
	}
	rows, err = s.conn.Query(ctx, `SELECT system, contact_id, desk, channel, time, event_id
FROM contacts
WHERE (system, contact_id) GLOBAL IN (SELECT system, contact_id FROM contacts WHERE desk IN ?)`, agentSet(desks))
	if err != nil {
		return nil, nil, fmt.Errorf("cannot read contacts: %w", err)
	}
	defer rows.Close()
	var contacts []cdr.Contact
	for rows.Next() {
		var c cdr.Contact
		if err := rows.Scan(&c.System, &c.ID, &c.Desk, &c.Channel, &c.Time, &c.EventID); err != nil {
			return nil, nil, fmt.Errorf("cannot read contacts: %w", err)
		}
		c.Time = c.Time.UTC()
		contacts = append(contacts, c)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("cannot read contacts: %w", err)
	}
	return cases, contacts, nil
}

// WriteDeskMonths replaces the stored months of desks with rows (the
// complete figures of those desks, from cdr.BuildDeskMonths): each row is
// written under version, and every stored month of those desks that rows
// no longer hold, and every stored channel of a month that rows no longer
// count, is written again as zeros, so nothing of an earlier count is
// left. zones gives each desk's zone name.
func (s *Store) WriteDeskMonths(ctx context.Context, desks []string, zones map[string]string, rows []cdr.DeskMonth, version uint64) error {
	if len(desks) == 0 {
		return nil
	}
	type monthKey struct {
		desk  string
		month int64
	}
	type chKey struct {
		monthKey
		channel string
	}
	have := map[monthKey]bool{}
	haveCh := map[chKey]bool{}
	for i := range rows {
		k := monthKey{rows[i].Desk, rows[i].Month.Unix()}
		have[k] = true
		for ch := range rows[i].Contacts {
			haveCh[chKey{k, ch}] = true
		}
	}
	stored, err := s.conn.Query(ctx, `SELECT desk, month, '' FROM desk_months FINAL WHERE desk IN ?
UNION ALL
SELECT desk, month, channel FROM desk_month_channels FINAL WHERE desk IN ? AND contacts > 0`, agentSet(desks), agentSet(desks))
	if err != nil {
		return fmt.Errorf("cannot read stored desk months: %w", err)
	}
	var zeroMonths []monthKey
	var zeroCh []chKey
	for stored.Next() {
		var d, ch string
		var m time.Time
		if err := stored.Scan(&d, &m, &ch); err != nil {
			stored.Close()
			return fmt.Errorf("cannot read stored desk months: %w", err)
		}
		k := monthKey{d, m.Unix()}
		switch {
		case ch == "" && !have[k]:
			zeroMonths = append(zeroMonths, k)
		case ch != "" && !haveCh[chKey{k, ch}]:
			zeroCh = append(zeroCh, chKey{k, ch})
		}
	}
	stored.Close()
	if err := stored.Err(); err != nil {
		return fmt.Errorf("cannot read stored desk months: %w", err)
	}
	var (
		mDesk, mTZ                                         []string
		mMonth                                             []time.Time
		mVer, mReg, mFCK, mFC, mPhone, mClosed, mDl, mWith []uint64
		cDesk, cCh, cTZ                                    []string
		cMonth                                             []time.Time
		cVer, cN                                           []uint64
	)
	addMonth := func(r *cdr.DeskMonth) {
		mDesk, mTZ, mMonth, mVer = append(mDesk, r.Desk), append(mTZ, zones[r.Desk]), append(mMonth, r.Month.UTC()), append(mVer, version)
		mReg, mFCK, mFC, mPhone = append(mReg, r.Registered), append(mFCK, r.FirstContactKnown), append(mFC, r.FirstContact), append(mPhone, r.PhoneCases)
		mClosed, mDl, mWith = append(mClosed, r.Closed), append(mDl, r.DeadlineCases), append(mWith, r.WithinDeadline)
	}
	addCh := func(desk string, month time.Time, ch string, n uint64) {
		cDesk, cCh, cTZ, cMonth = append(cDesk, desk), append(cCh, ch), append(cTZ, zones[desk]), append(cMonth, month.UTC())
		cVer, cN = append(cVer, version), append(cN, n)
	}
	for i := range rows {
		addMonth(&rows[i])
		for ch, n := range rows[i].Contacts {
			addCh(rows[i].Desk, rows[i].Month, ch, n)
		}
	}
	for _, k := range zeroMonths {
		addMonth(&cdr.DeskMonth{Desk: k.desk, Month: time.Unix(k.month, 0)})
	}
	for _, k := range zeroCh {
		addCh(k.desk, time.Unix(k.month, 0), k.channel, 0)
	}
	if len(cDesk) > 0 {
		if err := s.sendColumns(ctx, "desk_month_channels", "INSERT INTO desk_month_channels (desk, month, channel, tz, version, contacts)",
			[]any{cDesk, cMonth, cCh, cTZ, cVer, cN}); err != nil {
			return fmt.Errorf("cannot write desk months: %w", err)
		}
	}
	if len(mDesk) > 0 {
		if err := s.sendColumns(ctx, "desk_months", "INSERT INTO desk_months (desk, month, tz, version, registered, first_contact_known, first_contact, phone_cases, closed, deadline_cases, within_deadline)",
			[]any{mDesk, mMonth, mTZ, mVer, mReg, mFCK, mFC, mPhone, mClosed, mDl, mWith}); err != nil {
			return fmt.Errorf("cannot write desk months: %w", err)
		}
	}
	return nil
}

// DeskMonths returns the stored counts of the months in [from, to) of
// every desk (or of desk, when not empty), sorted by desk and month;
// months with nothing are left out.
func (s *Store) DeskMonths(ctx context.Context, desk string, from, to time.Time) ([]cdr.DeskMonth, error) {
	byKey := map[string]*cdr.DeskMonth{}
	get := func(d string, m time.Time) *cdr.DeskMonth {
		k := d + "\x00" + fmt.Sprint(m.Unix())
		r := byKey[k]
		if r == nil {
			r = &cdr.DeskMonth{Desk: d, Month: m.UTC()}
			byKey[k] = r
		}
		return r
	}
	rows, err := s.conn.Query(ctx, `SELECT desk, month, registered, first_contact_known, first_contact, phone_cases, closed, deadline_cases, within_deadline
FROM desk_months FINAL
WHERE month >= ? AND month < ? AND (? = '' OR desk = ?)`, from.UTC(), to.UTC(), desk, desk)
	if err != nil {
		return nil, fmt.Errorf("cannot read desk months: %w", err)
	}
	for rows.Next() {
		var d string
		var m time.Time
		var r cdr.DeskMonth
		if err := rows.Scan(&d, &m, &r.Registered, &r.FirstContactKnown, &r.FirstContact, &r.PhoneCases, &r.Closed, &r.DeadlineCases, &r.WithinDeadline); err != nil {
			rows.Close()
			return nil, fmt.Errorf("cannot read desk months: %w", err)
		}
		if r.Empty() {
			continue
		}
		p := get(d, m)
		r.Desk, r.Month, r.Contacts = p.Desk, p.Month, p.Contacts
		*p = r
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("cannot read desk months: %w", err)
	}
	rows, err = s.conn.Query(ctx, `SELECT desk, month, channel, contacts
FROM desk_month_channels FINAL
WHERE month >= ? AND month < ? AND (? = '' OR desk = ?) AND contacts > 0`, from.UTC(), to.UTC(), desk, desk)
	if err != nil {
		return nil, fmt.Errorf("cannot read desk months: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var d, ch string
		var m time.Time
		var n uint64
		if err := rows.Scan(&d, &m, &ch, &n); err != nil {
			return nil, fmt.Errorf("cannot read desk months: %w", err)
		}
		p := get(d, m)
		if p.Contacts == nil {
			p.Contacts = map[string]uint64{}
		}
		p.Contacts[ch] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("cannot read desk months: %w", err)
	}
	out := make([]cdr.DeskMonth, 0, len(byKey))
	for _, r := range byKey {
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Desk != out[j].Desk {
			return out[i].Desk < out[j].Desk
		}
		return out[i].Month.Before(out[j].Month)
	})
	return out, nil
}

// AnsweredByMonth returns the answered queue calls of queues by local month
// in zone tz (a constant zone, which 18.16 takes: CLICKHOUSE.md), keyed by
// the instant the month starts, for months starting in [from, to): the
// phone's contacts of a desk whose phone rule is calls.
func (s *Store) AnsweredByMonth(ctx context.Context, queues []string, tz string, from, to time.Time) (map[time.Time]uint64, error) {
	out := map[time.Time]uint64{}
	if len(queues) == 0 {
		return out, nil
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return nil, fmt.Errorf("cannot read answered calls: %w", err)
	}
	// The zone is bound as a quoted literal (client-side binding), so it is
	// a constant of the query.
	rows, err := s.conn.Query(ctx, `SELECT toString(toStartOfMonth(bucket, ?)) AS m, sum(answered)
FROM rollup_15m FINAL
WHERE queue IN ? AND bucket >= ? AND bucket < ?
GROUP BY m`, tz, agentSet(queues), from.UTC(), to.UTC())
	if err != nil {
		return nil, fmt.Errorf("cannot read answered calls: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var m string
		var n uint64
		if err := rows.Scan(&m, &n); err != nil {
			return nil, fmt.Errorf("cannot read answered calls: %w", err)
		}
		d, err := time.ParseInLocation(time.DateOnly, m, loc)
		if err != nil {
			return nil, fmt.Errorf("cannot read answered calls: month %q: %w", m, err)
		}
		out[cdr.MonthStart(d, loc)] += n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("cannot read answered calls: %w", err)
	}
	return out, nil
}
