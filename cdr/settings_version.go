package cdr

import (
	"crypto/sha256"
	"encoding/hex"
)

// SettingsVersionOf is the version of a queue settings text (the YAML of
// the queue file, as applied): the first 12 hex digits of its SHA-256. The
// version follows the text, not the node or the time it was applied on, so
// the same file applied twice, by one node or by several at once, is one
// version; and a rollup row that records it names exactly the settings it
// was counted with.
func SettingsVersionOf(text []byte) string {
	sum := sha256.Sum256(text)
	return hex.EncodeToString(sum[:6])
}

// DefaultSettingsVersion is the version of the built-in defaults: that of
// an empty text, the settings in force before any file is applied.
var DefaultSettingsVersion = SettingsVersionOf(nil)

// CountedWith are the settings a rollup row was counted with, stored
// beside its counts (RollupRow).
type CountedWith struct {
	Version       string
	SLAS          int
	ShortAbandonS int
	SLAFormula    string
	SLATarget     float64
	FCRTarget     float64
}

// PeriodRollup is the sum of the rollup rows of one queue and period, and
// the settings they were counted with.
type PeriodRollup struct {
	Counts Counts
	// Versions are the settings versions of the rows, sorted, each once:
	// more than one where buckets of the period were counted with
	// different versions.
	Versions []string
	// With are the settings of the row counted last (the highest rollup
	// version): the thresholds shown with the period's figures.
	With CountedWith
}
