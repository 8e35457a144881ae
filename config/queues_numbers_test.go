package config

import (
	"slices"
	"strings"
	"testing"
)

func TestQueueNumbers(t *testing.T) {
	s, err := ParseQueues([]byte(`queues: {support: {numbers: ["7001", "+4570001"]}}`), "q.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Queues["support"].Numbers; !slices.Equal(got, []string{"7001", "+4570001"}) {
		t.Errorf("numbers %v", got)
	}
	_, err = ParseQueues([]byte(`queues: {support: {numbers: ["sip:7001@x"]}}`), "q.yaml")
	if err == nil || !strings.Contains(err.Error(), `queue "support": numbers:`) {
		t.Errorf("a URI as number: %v", err)
	}
}
