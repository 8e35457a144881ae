package main

import (
	"context"
	"testing"
	"time"

	"github.com/acdstat/acdstat/cdr"
)

type countingSink struct{ n int }

func (s *countingSink) Accept(_ context.Context, evs []cdr.Event, _ []cdr.Reject) error {
	s.n += len(evs)
	return nil
}

// TestLiveSinkNeverWaits: intake hands what it acknowledged to the spool
// and returns even while the live state takes nothing (a prune holds its
// lock): the live state's copy is dropped then, for the follower to read
// back. A batch it does take is its own copy, whatever the caller does
// with its slice afterwards.
func TestLiveSinkNeverWaits(t *testing.T) {
	evs := []cdr.Event{{CallID: "a"}, {CallID: "b"}}
	next := &countingSink{}
	busy := liveSink{next: next, own: make(chan []cdr.Event)} // nobody reads
	done := make(chan error, 1)
	go func() { done <- busy.Accept(context.Background(), evs, nil) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Accept waited for the live state")
	}
	if next.n != 2 {
		t.Errorf("the spool got %d events; want 2", next.n)
	}

	own := make(chan []cdr.Event, 1)
	if err := (liveSink{next: next, own: own}).Accept(context.Background(), evs, nil); err != nil {
		t.Fatal(err)
	}
	evs[0].CallID = "reused"
	if got := <-own; got[0].CallID != "a" {
		t.Errorf("the live state's batch changed with the caller's slice: %q", got[0].CallID)
	}
}
