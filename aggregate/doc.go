// Package aggregate runs acdstat's jobs: it decides which calls to rebuild
// and when (watermarks, the stale-timeout revisit, the cron schedule), and
// hands the pure work to package cdr. It reaches the store only through the
// small interfaces defined here, so the window logic is tested without
// servers and the store stays the only package that speaks SQL.
package aggregate
