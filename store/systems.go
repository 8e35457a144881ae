package store

import (
	"context"
	"fmt"
	"maps"
	"math/big"
	"slices"
	"time"

	"github.com/acdstat/acdstat/cdr"
)

// System response-time compliance (migration 0012, cdr/systems.go): the
// probes and months' figures that InsertEvents keeps apart from the
// switches' events, the systems job's reads and writes, and the readers'.

// splitMeasurements returns the events without probes and months' figures,
// and those; (evs, nil) without copying where there are none, the common
// case.
func splitMeasurements(evs []cdr.Event) (rest, measurements []cdr.Event) {
	if !slices.ContainsFunc(evs, func(e cdr.Event) bool { return cdr.IsMeasurement(&e) }) {
		return evs, nil
	}
	rest = make([]cdr.Event, 0, len(evs))
	for i := range evs {
		if cdr.IsMeasurement(&evs[i]) {
			measurements = append(measurements, evs[i])
		} else {
			rest = append(rest, evs[i])
		}
	}
	return rest, measurements
}

const insertProbesSQL = "INSERT INTO probes (switch, id, time, time_us, system, location, action, class, duration_us, threshold_us, ok, probe_id)"

const insertProbeMonthsSQL = "INSERT INTO probe_months (switch, id, system, location, month, compliance, measured, within)"

// insertMeasurements writes probes and months' figures (events of
// cdr.SourceProbe and cdr.SourceProbeMonth) into their tables, one INSERT
// each, whole columns; ingested_at is the server's DEFAULT. A resent one
// is stored again and deduplicated on read, as an event is.
func (s *Store) insertMeasurements(ctx context.Context, evs []cdr.Event) error {
	var probes []cdr.Probe
	var months []cdr.ProbeMonth
	sw := map[uint64]string{}
	for i := range evs {
		e := &evs[i]
		switch e.Source {
		case cdr.SourceProbe:
			probes = append(probes, cdr.ProbeOf(e))
		case cdr.SourceProbeMonth:
			months = append(months, cdr.ProbeMonthOf(e))
			sw[e.ID] = e.Switch
		}
	}
	if n := len(probes); n > 0 {
		var (
			switches, systems, locations, actions, classes, ids = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
			keys, durations, thresholds                         = make([]uint64, n), make([]uint64, n), make([]uint64, n)
			times                                               = make([]time.Time, n)
			micros                                              = make([]uint32, n)
			oks                                                 = make([]uint8, n)
		)
		for i, p := range probes {
			switches[i], keys[i], times[i], micros[i] = p.Switch, p.ID, p.Time.UTC(), p.Micros
			systems[i], locations[i], actions[i], classes[i] = p.System, p.Location, p.Action, p.Class
			durations[i], thresholds[i], ids[i] = uint64(p.DurationUS), uint64(p.ThresholdUS), p.ProbeID
			if p.OK {
				oks[i] = 1
			}
		}
		if err := s.sendColumns(ctx, "probes", insertProbesSQL,
			[]any{switches, keys, times, micros, systems, locations, actions, classes, durations, thresholds, oks, ids}); err != nil {
			return err
		}
	}
	if n := len(months); n > 0 {
		var (
			switches, systems, locations, comps = make([]string, n), make([]string, n), make([]string, n), make([]string, n)
			keys, measured, within              = make([]uint64, n), make([]uint64, n), make([]uint64, n)
			labels                              = make([]time.Time, n)
		)
		for i, m := range months {
			switches[i], keys[i], systems[i], locations[i] = sw[m.ID], m.ID, m.System, m.Location
			labels[i], comps[i], measured[i], within[i] = m.Month, m.Compliance, m.Measured, m.Within
		}
		if err := s.sendColumns(ctx, "probe_months", insertProbeMonthsSQL,
			[]any{switches, keys, systems, locations, labels, comps, measured, within}); err != nil {
			return err
		}
	}
	return nil
}

// TouchedProbeSlots returns each system and 15-minute slot with probes
// stored (by server insert time) in [from, to), in no set order. The cost
// follows the probes stored in the range.
func (s *Store) TouchedProbeSlots(ctx context.Context, from, to time.Time) ([]cdr.SystemRef, error) {
	return s.systemRefs(ctx, "probe slots", `SELECT system, toStartOfFifteenMinutes(time) AS slot
FROM probe_touches
WHERE ingested_at >= ? AND ingested_at < ?
GROUP BY system, slot`, from.UTC(), to.UTC())
}

// TouchedProbeMonths returns each system and month label (cdr.MonthLabel)
// with a month's figure stored (by server insert time) in [from, to).
// probe_months is small and not partitioned by insert time: it is read
// whole.
func (s *Store) TouchedProbeMonths(ctx context.Context, from, to time.Time) ([]cdr.SystemRef, error) {
	return s.systemRefs(ctx, "months' figures", `SELECT system, toDateTime(month, 'UTC')
FROM probe_months
WHERE ingested_at >= ? AND ingested_at < ?
GROUP BY system, month`, from.UTC(), to.UTC())
}

// systemRefs runs a query of (system, instant) rows.
func (s *Store) systemRefs(ctx context.Context, what, query string, args ...any) ([]cdr.SystemRef, error) {
	rows, err := s.conn.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("cannot read touched %s: %w", what, err)
	}
	defer rows.Close()
	var out []cdr.SystemRef
	for rows.Next() {
		var r cdr.SystemRef
		if err := rows.Scan(&r.System, &r.At); err != nil {
			return nil, fmt.Errorf("cannot read touched %s: %w", what, err)
		}
		r.At = r.At.UTC()
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("cannot read touched %s: %w", what, err)
	}
	return out, nil
}

// ProbeSlots counts the probes of system sys whose time lies in [from, to),
// each once however often it was sent, per location and 15-minute slot:
// those judged against a threshold, those within it (ok, and a duration at
// most the threshold), and those whose class sys does not have. The
// threshold is cdr.SystemSettings.Limit's, computed in the query: the
// probe's own, else its class's, else that of its action's class, else
// that of cdr.DefaultClass. Each array the query binds ends with an entry
// for "" because 18.16's transform refuses empty arrays; no action or
// class is "" (the decoder refuses an empty action, and an empty class
// means none).
func (s *Store) ProbeSlots(ctx context.Context, sys cdr.SystemSettings, from, to time.Time) ([]cdr.ProbeSlot, error) {
	actions, actionClasses := []string{""}, []string{""}
	for _, a := range slices.Sorted(maps.Keys(sys.Actions)) {
		actions, actionClasses = append(actions, a), append(actionClasses, sys.Actions[a])
	}
	classes, limits := []string{""}, []uint64{0}
	for _, c := range slices.Sorted(maps.Keys(sys.Thresholds)) {
		classes, limits = append(classes, c), append(limits, uint64(max(sys.Thresholds[c], 0)))
	}
	rows, err := s.conn.Query(ctx, `SELECT location, toStartOfFifteenMinutes(time) AS slot,
    countIf(lim > 0) AS measured,
    countIf(lim > 0 AND ok = 1 AND duration_us <= lim) AS within_limit,
    countIf(lim = 0) AS unjudged
FROM (
    SELECT location, time, ok, duration_us,
        if(threshold_us > 0, threshold_us,
            toUInt64(transform(if(class != '', class, transform(action, ?, ?, ?)), ?, ?, toUInt64(0)))) AS lim
    FROM probes FINAL
    WHERE system = ? AND time >= ? AND time < ?
)
GROUP BY location, slot`, actions, actionClasses, cdr.DefaultClass, classes, limits, sys.Name, from.UTC(), to.UTC())
	if err != nil {
		return nil, fmt.Errorf("cannot count the probes of %s: %w", sys.Name, err)
	}
	defer rows.Close()
	var out []cdr.ProbeSlot
	for rows.Next() {
		p := cdr.ProbeSlot{System: sys.Name}
		if err := rows.Scan(&p.Location, &p.Slot, &p.Measured, &p.Within, &p.Unjudged); err != nil {
			return nil, fmt.Errorf("cannot count the probes of %s: %w", sys.Name, err)
		}
		p.Slot = p.Slot.UTC()
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("cannot count the probes of %s: %w", sys.Name, err)
	}
	return out, nil
}

const insertLocationDaysSQL = "INSERT INTO system_location_days (system, location, day_start, measured, within, unjudged, settings_version, version)"

// WriteSystemLocationDays writes the counts of location days under version,
// in one INSERT; a row replaces the stored one of the same system, day and
// location with a lower version. rows is not retained.
func (s *Store) WriteSystemLocationDays(ctx context.Context, rows []cdr.SystemLocationDay, version uint64) error {
	n := len(rows)
	if n == 0 {
		return nil
	}
	var (
		systems, locations, versions = make([]string, n), make([]string, n), make([]string, n)
		days                         = make([]time.Time, n)
		measured, within, unjudged   = make([]uint64, n), make([]uint64, n), make([]uint64, n)
		vs                           = make([]uint64, n)
	)
	for i, r := range rows {
		systems[i], locations[i], days[i], versions[i] = r.System, r.Location, r.Day.UTC(), r.SettingsVersion
		measured[i], within[i], unjudged[i], vs[i] = r.Measured, r.Within, r.Unjudged, version
	}
	return s.sendColumns(ctx, "system_location_days", insertLocationDaysSQL,
		[]any{systems, locations, days, measured, within, unjudged, versions, vs})
}

// SystemLocationDays returns the newest counts of system's location days
// that begin in [from, to), sorted by day and location.
func (s *Store) SystemLocationDays(ctx context.Context, system string, from, to time.Time) ([]cdr.SystemLocationDay, error) {
	rows, err := s.conn.Query(ctx, `SELECT location, day_start, measured, within, unjudged, settings_version
FROM system_location_days FINAL
WHERE system = ? AND day_start >= ? AND day_start < ?
ORDER BY day_start, location`, system, from.UTC(), to.UTC())
	if err != nil {
		return nil, fmt.Errorf("cannot read the location days of %s: %w", system, err)
	}
	defer rows.Close()
	var out []cdr.SystemLocationDay
	for rows.Next() {
		d := cdr.SystemLocationDay{System: system}
		if err := rows.Scan(&d.Location, &d.Day, &d.Measured, &d.Within, &d.Unjudged, &d.SettingsVersion); err != nil {
			return nil, fmt.Errorf("cannot read the location days of %s: %w", system, err)
		}
		d.Day = d.Day.UTC()
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("cannot read the location days of %s: %w", system, err)
	}
	return out, nil
}

// ProbeMonths returns the months' figures of system for the month labelled
// month (cdr.MonthLabel), each distinct one once, with the time it was
// first stored; cdr.LatestProbeMonths picks the one that counts.
func (s *Store) ProbeMonths(ctx context.Context, system string, month time.Time) ([]cdr.ProbeMonth, error) {
	return s.ProbeMonthsBetween(ctx, system, month, month.AddDate(0, 1, 0))
}

// ProbeMonthsBetween is ProbeMonths for every month label in [from, to),
// in one query: the systems job reads a system's months so.
func (s *Store) ProbeMonthsBetween(ctx context.Context, system string, from, to time.Time) ([]cdr.ProbeMonth, error) {
	rows, err := s.conn.Query(ctx, `SELECT month, location, id, any(compliance), any(measured), any(within), min(ingested_at)
FROM probe_months
WHERE system = ? AND month >= toDate(?) AND month < toDate(?)
GROUP BY month, location, id`, system, from.UTC().Format(time.DateOnly), to.UTC().Format(time.DateOnly))
	if err != nil {
		return nil, fmt.Errorf("cannot read the months' figures of %s: %w", system, err)
	}
	defer rows.Close()
	var out []cdr.ProbeMonth
	for rows.Next() {
		m := cdr.ProbeMonth{System: system}
		if err := rows.Scan(&m.Month, &m.Location, &m.ID, &m.Compliance, &m.Measured, &m.Within, &m.IngestedAt); err != nil {
			return nil, fmt.Errorf("cannot read the months' figures of %s: %w", system, err)
		}
		m.IngestedAt = m.IngestedAt.UTC()
		m.Month = time.Date(m.Month.Year(), m.Month.Month(), 1, 0, 0, 0, 0, time.UTC)
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("cannot read the months' figures of %s: %w", system, err)
	}
	return out, nil
}

// SystemsBetween lists the systems with probes whose time lies in [from,
// to), or with months' figures of months that begin in it (their labels),
// sorted: what acdstat rebuild counts again.
func (s *Store) SystemsBetween(ctx context.Context, from, to time.Time) ([]string, error) {
	rows, err := s.conn.Query(ctx, `SELECT system FROM (
    SELECT DISTINCT system FROM probes WHERE time >= ? AND time < ?
    UNION ALL
    SELECT DISTINCT system FROM probe_months WHERE month >= toDate(?) AND month < toDate(?)
)
GROUP BY system
ORDER BY system`, from.UTC(), to.UTC(), from.UTC().Format(time.DateOnly), to.UTC().Format(time.DateOnly))
	if err != nil {
		return nil, fmt.Errorf("cannot list the systems with measurements: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, fmt.Errorf("cannot list the systems with measurements: %w", err)
		}
		out = append(out, name)
	}
	return out, rows.Err()
}

const insertSystemRowsSQL = `INSERT INTO system_compliance (system, display, period, period_start, period_start_local, tz,
locations, imported, measured, within, unjudged, compliance, compliance_bp, pooled, agreed_level_bp, met, settings_version, version)`

// WriteSystemRows writes system rows under version, in one INSERT; a row
// replaces the stored one of the same system, period and start with a
// lower version. rows is not retained.
func (s *Store) WriteSystemRows(ctx context.Context, rows []cdr.SystemRow, version uint64) error {
	n := len(rows)
	if n == 0 {
		return nil
	}
	var (
		systems, displays, periods, locals, zones, versions = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		starts                                              = make([]time.Time, n)
		locs, imported, bps, levels                         = make([]uint32, n), make([]uint32, n), make([]uint32, n), make([]uint32, n)
		measured, within, unjudged, vs                      = make([]uint64, n), make([]uint64, n), make([]uint64, n), make([]uint64, n)
		comps                                               = make([]float64, n)
		pooled                                              = make([]*float64, n)
		met                                                 = make([]*uint8, n)
	)
	for i := range rows {
		r := &rows[i]
		systems[i], displays[i], periods[i], zones[i], versions[i] = r.System, r.Display, r.Period, r.Zone, r.SettingsVersion
		starts[i], locals[i] = r.Start.UTC(), r.LocalStart().Format(time.RFC3339)
		locs[i], imported[i], bps[i], levels[i] = uint32(r.Locations), uint32(r.Imported), uint32(max(r.BP, 0)), uint32(max(r.AgreedLevel, 0))
		measured[i], within[i], unjudged[i], vs[i] = r.Measured, r.Within, r.Unjudged, version
		comps[i], pooled[i] = r.ValueFloat(), r.PooledFloat()
		if r.Met != nil {
			m := uint8(0)
			if *r.Met {
				m = 1
			}
			met[i] = &m
		}
	}
	return s.sendColumns(ctx, "system_compliance", insertSystemRowsSQL,
		[]any{systems, displays, periods, starts, locals, zones, locs, imported, measured, within, unjudged, comps, bps, pooled, levels, met, versions, vs})
}

// SystemRows returns the stored rows of every system for period (day or
// month) that begin in [from, to), the newest of each, sorted by system and
// start. Value and Pooled are the stored floats. The figures belong to the
// whole installation, not to a switch: a read limited to some switches
// (cdr.WithSwitches) gets none.
func (s *Store) SystemRows(ctx context.Context, period string, from, to time.Time) ([]cdr.SystemRow, error) {
	if _, limited := cdr.SwitchesOf(ctx); limited {
		return nil, nil
	}
	rows, err := s.conn.Query(ctx, `SELECT system, display, period_start, period_start_local, tz,
    locations, imported, measured, within, unjudged, compliance, compliance_bp, pooled, agreed_level_bp, met, settings_version
FROM system_compliance FINAL
WHERE period = ? AND period_start >= ? AND period_start < ?
ORDER BY system, period_start`, period, from.UTC(), to.UTC())
	if err != nil {
		return nil, fmt.Errorf("cannot read the system figures: %w", err)
	}
	defer rows.Close()
	var out []cdr.SystemRow
	for rows.Next() {
		r := cdr.SystemRow{Period: period}
		var (
			local                     string
			locs, imported, bp, level uint32
			comp                      float64
			pooled                    *float64
			met                       *uint8
		)
		if err := rows.Scan(&r.System, &r.Display, &r.Start, &local, &r.Zone, &locs, &imported, &r.Measured, &r.Within, &r.Unjudged,
			&comp, &bp, &pooled, &level, &met, &r.SettingsVersion); err != nil {
			return nil, fmt.Errorf("cannot read the system figures: %w", err)
		}
		r.Start = r.Start.UTC()
		if lt, err := time.Parse(time.RFC3339, local); err == nil {
			_, off := lt.Zone()
			r.Offset = int32(off)
		}
		r.Locations, r.Imported, r.BP, r.AgreedLevel = int(locs), int(imported), int(bp), int(level)
		if locs > 0 {
			r.Value = new(big.Rat).SetFloat64(comp)
		}
		if pooled != nil {
			r.Pooled = new(big.Rat).SetFloat64(*pooled)
		}
		if met != nil {
			m := *met == 1
			r.Met = &m
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("cannot read the system figures: %w", err)
	}
	return out, nil
}

// SystemMonths lists the local months (YYYY-MM) with a system's figure,
// sorted: the dashboard shows its systems table only where there are any,
// and offers their years. A read limited to some switches gets none.
func (s *Store) SystemMonths(ctx context.Context) ([]string, error) {
	if _, limited := cdr.SwitchesOf(ctx); limited {
		return nil, nil
	}
	rows, err := s.conn.Query(ctx, `SELECT DISTINCT substring(period_start_local, 1, 7) AS month
FROM system_compliance
WHERE period = 'month' AND locations > 0
ORDER BY month`)
	if err != nil {
		return nil, fmt.Errorf("cannot list the months with system figures: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var m string
		if err := rows.Scan(&m); err != nil {
			return nil, fmt.Errorf("cannot list the months with system figures: %w", err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}
