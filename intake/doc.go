// Package intake holds every acdstat listener: the HTTP ingest handlers,
// the HEP and plain SIP listeners over UDP and TCP, their source allowlist,
// authentication, limits and caller-number privacy, and the ship client.
// Listeners decode with packages cdr and sip and hand events to a Sink;
// they never speak to ClickHouse themselves.
package intake
