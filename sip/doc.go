// Package sip turns mirrored SIP signalling into acdstat's events and queue
// calls: DecodeHEP reads HEPv3 packets (our own decoder), Facts reads one SIP
// message through sipgo's parser into a cdr.Event of Source "sip", BuildCalls
// correlates those events into queue calls (pure functions run by the
// build-calls job), and Listener receives HEPv3 and plain SIP copies over UDP
// and TCP and hands the events to intake's Sink. Nothing is ever sent back
// to the sender: sipgo's Server and transaction layer, which answer on their
// own, are not used.
package sip
