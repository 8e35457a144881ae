// Package intake holds acdstat's listeners: the HTTP ingest handlers, their
// authentication and limits. Listeners decode with package cdr and hand
// events to a Sink; they never speak to ClickHouse themselves.
package intake
