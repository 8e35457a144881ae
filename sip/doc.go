// Package sip turns mirrored SIP signalling into acdstat's events and queue
// calls, with pure functions only: DecodeHEP reads HEPv3 packets (our own
// decoder), ReadHEPFrame and ReadSIPFrame split a byte stream into packets
// or messages, Facts reads one SIP message through sipgo's parser into a
// cdr.Event of Source "sip", and BuildCalls correlates those events into
// queue calls (run by the build-calls job).
//
// The package has no sockets: it never imports "net" (net/netip and
// net/url are values, not I/O). The HEP and plain SIP listeners, like every
// listener, are package intake's. Nothing is ever sent back to the sender:
// sipgo's Server and transaction layer, which answer on their own, are not
// used.
package sip
