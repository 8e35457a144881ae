package simulate

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"testing"
	"time"
)

// compatConfigs are configurations without agents whose output other
// tests and users compare against: the default week, a small one without
// edge cases in another zone, and one with queues of its own.
func compatConfigs() []Config {
	small := DefaultConfig()
	small.CallsPerDay, small.Seed, small.Days = 60, 5, 3
	small.NoEdgeCases = true
	small.Location = time.UTC
	small.Start = time.Date(2025, 3, 29, 0, 0, 0, 0, time.UTC)
	own := DefaultConfig()
	own.CallsPerDay, own.Seed, own.Days, own.Switch = 90, 9, 2, "pbx7"
	own.Queues = []Queue{{Name: "a", Agents: 3}, {Name: "b", Hours: HospitalHours(), Agents: 1, Weight: 2}}
	return []Config{DefaultConfig(), small, own}
}

// compatHashes are the SHA-256 of the queue_log, the truth and the
// FreeSWITCH rendering of compatConfigs, taken before the agents option
// existed: a simulation without it must stay byte-identical, since other
// tests compare acdstat's figures with its truth.
var compatHashes = [][3]string{
	{"62e11b7633a65766b674f26b3f0aed2f01ad0c23e6e2a8996feac53e747473d0",
		"d2f4beebebf299d525bc7495ce3ae853dc1b0fc30a96ea0280f8cc6dd155c4fd",
		"ac0c8763554289d6e6672566edf85341b063abe49036e65219416452de04b8dc"},
	{"67ca64c3ee7418ddc1a2c01163bb221b8f94aef32f639ed101ff5814edd156a1",
		"ac32a03d4c7ed4b99f9c7d864509c5311dfddfed5a56597b7932a64e51c64fc9",
		"ea401467faef3e73fc976ac0efb44ca1bbb07a80d569a62f348b46cd971b62d6"},
	{"5962f08299e25b6480ed672a0725ab2c2eb81e1282925eb3397409a58af6034b",
		"3fc8abe7a7742afd280e9d6c9cf165ed8e81fa1f12fe23586b35229e65d93dc8",
		"6076f47f1de7c91a58a0a55b8cd982f59f961e83bfe174ae624af248d8d9b276"},
}

func TestOutputWithoutAgentsIsUnchanged(t *testing.T) {
	for i, cfg := range compatConfigs() {
		s := mustGenerate(t, cfg)
		var q, tr, fs bytes.Buffer
		if err := s.WriteQueueLog(&q); err != nil {
			t.Fatal(err)
		}
		if err := s.WriteTruth(&tr); err != nil {
			t.Fatal(err)
		}
		if err := s.WriteFreeSWITCH(&fs); err != nil {
			t.Fatal(err)
		}
		for j, b := range [][]byte{q.Bytes(), tr.Bytes(), fs.Bytes()} {
			sum := sha256.Sum256(b)
			if got := hex.EncodeToString(sum[:]); got != compatHashes[i][j] {
				t.Errorf("config %d, output %d (queue_log, truth, FreeSWITCH): sha256 %s; want %s", i, j, got, compatHashes[i][j])
			}
		}
	}
}
