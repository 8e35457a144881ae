package simulate

import (
	"encoding/json"
	"io"
	"time"
)

// The outcomes of METRICS.md.
const (
	OutcomeAnswered  = "answered"
	OutcomeAbandoned = "abandoned"
	OutcomeTimeout   = "timeout"
	OutcomeExitKey   = "exit_key"
	OutcomeExitOther = "exit_other"
	OutcomeUnknown   = "unknown"
)

// Outcomes lists the METRICS.md outcomes in their documented order.
var Outcomes = []string{OutcomeAnswered, OutcomeAbandoned, OutcomeTimeout, OutcomeExitKey, OutcomeExitOther, OutcomeUnknown}

// TruthCall is one queue call (one caller's stay in one queue) as the
// simulation made it. Its conventions follow METRICS.md:
//
//   - Seq is which stay in this queue it is for this CallID, from 1: a call
//     transferred from servicedesk to klinisk has Seq 1 in both; a call
//     transferred back into servicedesk has Seq 1 and Seq 2 there.
//   - Enter is the ENTERQUEUE time (for a JOINEMPTY turn-away, the time of
//     that line), whole seconds.
//   - WaitS is the wait the switch reports, which in this model always
//     equals the difference of the timestamps: CONNECT data1 (answered),
//     ABANDON, EXITWITHTIMEOUT and EXITEMPTY data3, EXITWITHKEY data4. A
//     JOINEMPTY turn-away waited 0 s. An unknown stay waited from joining to
//     its last line (0 when ENTERQUEUE is its only line).
//   - TalkS is from CONNECT to the end of this stay: the COMPLETECALLER or
//     COMPLETEAGENT line (their data2), or the transfer onward (the transfer
//     line's calltime). 0 unless answered.
//   - Transferred marks an answered stay that an agent sent onward with
//     BLINDTRANSFER or ATTENDEDTRANSFER; it stays answered.
//   - InHours: the queue was open at Enter by its hours (local clock,
//     half-open, Config.Location).
//   - Disposed marks the stay that got the call's disposition (the last
//     answered stay of the call: Config.Dispositions); Resolved says that
//     it was resolved at first contact.
//   - Verb is the line that ended the stay ("" for unknown), for debugging.
type TruthCall struct {
	CallID      string    `json:"call_id"`
	Queue       string    `json:"queue"`
	Seq         int       `json:"seq"`
	Outcome     string    `json:"outcome"`
	Enter       time.Time `json:"enter_time"`
	WaitS       int       `json:"wait_s"`
	TalkS       int       `json:"talk_s"`
	Transferred bool      `json:"transferred"`
	InHours     bool      `json:"in_hours"`
	Disposed    bool      `json:"disposed,omitempty"`
	Resolved    bool      `json:"resolved,omitempty"`
	Verb        string    `json:"verb,omitempty"`
	// Switch is set on the calls of a switch other than Truth.Switch (the
	// second switch of Config.Agents); Agent, with Config.Agents, names
	// the agent who answered.
	Switch string `json:"switch,omitempty"`
	Agent  string `json:"agent,omitempty"`
}

// Truth is the ground truth of a simulation: every queue call, in the order
// of their Enter times (ties in the order the calls were made).
type Truth struct {
	Switch   string `json:"switch"`
	Location string `json:"location"`
	// From and To bound the simulated range, [From, To).
	From  time.Time   `json:"from"`
	To    time.Time   `json:"to"`
	Calls []TruthCall `json:"calls"`
	// Agents is the truth of the agent figures (Config.Agents): a row per
	// agent, queue ("*" for all) and local day with figures.
	Agents []TruthAgent `json:"agents,omitempty"`
}

// ByQueueOutcome counts the queue calls per queue and outcome.
func (t *Truth) ByQueueOutcome() map[string]map[string]int {
	m := map[string]map[string]int{}
	for _, c := range t.Calls {
		if m[c.Queue] == nil {
			m[c.Queue] = map[string]int{}
		}
		m[c.Queue][c.Outcome]++
	}
	return m
}

// Truth returns the simulation's ground truth. The caller must not modify
// it.
func (s *Sim) Truth() *Truth { return &s.truth }

// WriteTruth writes the ground truth as indented JSON, times in the
// simulation's zone (RFC 3339 with offset).
func (s *Sim) WriteTruth(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(&s.truth)
}
