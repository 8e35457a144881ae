// Package cdr holds acdstat's domain: the events a switch reports, the queue
// calls built from them, and the pure decoders and builder that turn bytes into
// events and events into queue calls.
//
// Nothing in this package does I/O beyond reading the io.Reader it is given;
// it imports the standard library only, so every rule of METRICS.md can be
// tested without servers.
package cdr
