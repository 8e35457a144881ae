package cdr

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"
)

// bT0 is the base time of the builder tests.
var bT0 = time.Date(2016, 10, 3, 8, 0, 0, 0, time.UTC)

// bt returns bT0 plus s seconds.
func bt(s int) time.Time { return bT0.Add(time.Duration(s) * time.Second) }

// bev makes a queue_log event on the default switch at bT0+s seconds.
func bev(s int, callid, queue, agent, verb string, data ...string) Event {
	e := Event{
		Switch: DefaultSwitch,
		Source: SourceQueueLog,
		Time:   bt(s),
		CallID: callid,
		Queue:  queue,
		Agent:  agent,
		Verb:   verb,
	}
	copy(e.Data[:], data)
	e.ID = EventID(&e)
	return e
}

// bOnSwitch moves events to another switch, with new ids.
func bOnSwitch(sw string, evs ...Event) []Event {
	out := make([]Event, len(evs))
	for i, e := range evs {
		e.Switch = sw
		e.ID = EventID(&e)
		out[i] = e
	}
	return out
}

// bcall is a wanted queue call on the default switch; the other fields are
// set by the caller.
func bcall(callid, queue string, seq uint16, o Outcome) QueueCall {
	return QueueCall{Switch: DefaultSwitch, CallID: callid, Queue: queue, Seq: seq, Outcome: o}
}

type buildCase struct {
	name string
	evs  []Event
	now  time.Time // zero: bt(3600)
	want []QueueCall
}

// buildCases are the scenarios; each is also checked under shuffles and
// repeats by TestBuildCallsOrderAndRepeats.
func buildCases() []buildCase {
	const id = "1475481600.101"
	var cases []buildCase
	add := func(name string, now time.Time, want []QueueCall, evs ...Event) {
		cases = append(cases, buildCase{name: name, evs: evs, now: now, want: want})
	}
	w := func(c QueueCall, f func(*QueueCall)) QueueCall {
		f(&c)
		return c
	}

	add("answered completecaller", time.Time{}, []QueueCall{w(bcall(id, "sd", 0, Answered), func(c *QueueCall) {
		c.EnterTime, c.AnswerTime, c.EndTime, c.LastEventTime = bt(0), bt(12), bt(100), bt(100)
		c.WaitS, c.TalkS, c.Agent, c.Caller, c.EndVerb = 12, 88, "SIP/101", "4512345678", "COMPLETECALLER"
	})},
		bev(0, id, "sd", "NONE", "ENTERQUEUE", "", "4512345678", "1"),
		bev(5, id, "sd", "SIP/102", "RINGNOANSWER", "5000"),
		bev(12, id, "sd", "SIP/101", "CONNECT", "12", "1475481612.7", "3"),
		bev(100, id, "sd", "SIP/101", "COMPLETECALLER", "12", "88", "1"),
	)
	add("answered completeagent, switch figures win over timestamps", time.Time{}, []QueueCall{w(bcall(id, "sd", 0, Answered), func(c *QueueCall) {
		c.EnterTime, c.AnswerTime, c.EndTime, c.LastEventTime = bt(0), bt(20), bt(50), bt(50)
		c.WaitS, c.TalkS, c.Agent, c.Caller, c.EndVerb = 18, 31, "SIP/101", "4512345678", "COMPLETEAGENT"
	})},
		bev(0, id, "sd", "NONE", "ENTERQUEUE", "", "4512345678", "1"),
		bev(20, id, "sd", "SIP/101", "CONNECT", "18", "1475481620.7", "2"),
		bev(50, id, "sd", "SIP/101", "COMPLETEAGENT", "18", "31", "1"),
	)
	add("answered, waits and talk from timestamps", time.Time{}, []QueueCall{w(bcall(id, "sd", 0, Answered), func(c *QueueCall) {
		c.EnterTime, c.AnswerTime, c.EndTime, c.LastEventTime = bt(0), bt(20), bt(50), bt(50)
		c.WaitS, c.TalkS, c.Agent, c.EndVerb = 20, 30, "SIP/101", "COMPLETECALLER"
	})},
		bev(0, id, "sd", "NONE", "ENTERQUEUE"),
		bev(20, id, "sd", "SIP/101", "CONNECT", "x", "1475481620.7", "2"),
		bev(50, id, "sd", "SIP/101", "COMPLETECALLER", "", "-3", "1"),
	)
	add("answered within exactly 300 s", time.Time{}, []QueueCall{w(bcall(id, "sd", 0, Answered), func(c *QueueCall) {
		c.EnterTime, c.AnswerTime, c.EndTime, c.LastEventTime = bt(0), bt(300), bt(400), bt(400)
		c.WaitS, c.TalkS, c.Agent, c.EndVerb = 300, 100, "SIP/101", "COMPLETECALLER"
	})},
		bev(0, id, "sd", "NONE", "ENTERQUEUE"),
		bev(300, id, "sd", "SIP/101", "CONNECT", "300", "x", "2"),
		bev(400, id, "sd", "SIP/101", "COMPLETECALLER", "300", "100", "1"),
	)
	add("abandoned", time.Time{}, []QueueCall{w(bcall(id, "sd", 0, Abandoned), func(c *QueueCall) {
		c.EnterTime, c.EndTime, c.LastEventTime = bt(0), bt(31), bt(31)
		c.WaitS, c.Caller, c.EndVerb = 29, "4512345678", "ABANDON"
	})},
		bev(0, id, "sd", "NONE", "ENTERQUEUE", "", "4512345678", "1"),
		bev(10, id, "sd", "SIP/101", "RINGNOANSWER", "10000"),
		bev(30, id, "sd", "SIP/101", "RINGCANCELED", "3000"),
		bev(31, id, "sd", "NONE", "ABANDON", "1", "1", "29"),
	)
	add("abandoned, wait from timestamps", time.Time{}, []QueueCall{w(bcall(id, "sd", 0, Abandoned), func(c *QueueCall) {
		c.EnterTime, c.EndTime, c.LastEventTime = bt(0), bt(31), bt(31)
		c.WaitS, c.EndVerb = 31, "ABANDON"
	})},
		bev(0, id, "sd", "NONE", "ENTERQUEUE"),
		bev(31, id, "sd", "NONE", "ABANDON", "1", "1"),
	)
	add("timeout after exactly 300 s", time.Time{}, []QueueCall{w(bcall(id, "sd", 0, Timeout), func(c *QueueCall) {
		c.EnterTime, c.EndTime, c.LastEventTime = bt(0), bt(300), bt(300)
		c.WaitS, c.EndVerb = 300, "EXITWITHTIMEOUT"
	})},
		bev(0, id, "sd", "NONE", "ENTERQUEUE"),
		bev(300, id, "sd", "NONE", "EXITWITHTIMEOUT", "1", "1", "300"),
	)
	add("exit with key", time.Time{}, []QueueCall{w(bcall(id, "sd", 0, ExitKey), func(c *QueueCall) {
		c.EnterTime, c.EndTime, c.LastEventTime = bt(0), bt(41), bt(41)
		c.WaitS, c.EndVerb = 40, "EXITWITHKEY"
	})},
		bev(0, id, "sd", "NONE", "ENTERQUEUE"),
		bev(41, id, "sd", "NONE", "EXITWITHKEY", "5", "1", "1", "40"),
	)
	add("exit empty is exit_other", time.Time{}, []QueueCall{w(bcall(id, "sd", 0, ExitOther), func(c *QueueCall) {
		c.EnterTime, c.EndTime, c.LastEventTime = bt(0), bt(7), bt(7)
		c.WaitS, c.EndVerb = 7, "EXITEMPTY"
	})},
		bev(0, id, "sd", "NONE", "ENTERQUEUE"),
		bev(7, id, "sd", "NONE", "EXITEMPTY", "1", "1", "7"),
	)
	add("joinempty is a stay of its own", time.Time{}, []QueueCall{w(bcall(id, "sd", 0, ExitOther), func(c *QueueCall) {
		c.EnterTime, c.EndTime, c.LastEventTime = bt(5), bt(5), bt(5)
		c.EndVerb = "JOINEMPTY"
	})},
		bev(5, id, "sd", "NONE", "JOINEMPTY"),
	)
	add("unknown after the stale timeout", bt(30).Add(DefaultStaleAfter+time.Second), []QueueCall{w(bcall(id, "sd", 0, Unknown), func(c *QueueCall) {
		c.EnterTime, c.EndTime, c.LastEventTime = bt(0), bt(30), bt(30)
		c.WaitS, c.EndVerb = 30, StaleVerb
	})},
		bev(0, id, "sd", "NONE", "ENTERQUEUE"),
		bev(30, id, "sd", "SIP/101", "RINGNOANSWER", "15000"),
	)
	add("waiting before the stale timeout", bt(30).Add(DefaultStaleAfter), []QueueCall{w(bcall(id, "sd", 0, Waiting), func(c *QueueCall) {
		c.EnterTime, c.EndTime, c.LastEventTime = bt(0), bt(30), bt(30)
		c.WaitS = 30
	})},
		bev(0, id, "sd", "NONE", "ENTERQUEUE"),
		bev(30, id, "sd", "SIP/101", "RINGNOANSWER", "15000"),
	)
	add("answered without an end", time.Time{}, []QueueCall{w(bcall(id, "sd", 0, Answered), func(c *QueueCall) {
		c.EnterTime, c.AnswerTime, c.EndTime, c.LastEventTime = bt(0), bt(10), bt(70), bt(70)
		c.WaitS, c.TalkS, c.Agent = 10, 60, "SIP/101"
	})},
		bev(0, id, "sd", "NONE", "ENTERQUEUE"),
		bev(10, id, "sd", "SIP/101", "CONNECT", "10", "x", "1"),
		bev(70, id, "sd", "SIP/101", "INFO", "note"),
	)
	add("answered without an end, stale", bt(70).Add(DefaultStaleAfter+time.Second), []QueueCall{w(bcall(id, "sd", 0, Answered), func(c *QueueCall) {
		c.EnterTime, c.AnswerTime, c.EndTime, c.LastEventTime = bt(0), bt(10), bt(70), bt(70)
		c.WaitS, c.TalkS, c.Agent, c.EndVerb = 10, 60, "SIP/101", StaleVerb
	})},
		bev(0, id, "sd", "NONE", "ENTERQUEUE"),
		bev(10, id, "sd", "SIP/101", "CONNECT", "10", "x", "1"),
		bev(70, id, "sd", "SIP/101", "INFO", "note"),
	)
	add("no enterqueue: enter is connect minus wait", time.Time{}, []QueueCall{w(bcall(id, "sd", 0, Answered), func(c *QueueCall) {
		c.EnterTime, c.AnswerTime, c.EndTime, c.LastEventTime = bt(60), bt(100), bt(160), bt(160)
		c.WaitS, c.TalkS, c.Agent, c.EndVerb = 40, 60, "SIP/101", "COMPLETECALLER"
	})},
		bev(100, id, "sd", "SIP/101", "CONNECT", "40", "x", "1"),
		bev(160, id, "sd", "SIP/101", "COMPLETECALLER", "40", "60", "1"),
	)
	add("complete alone: answered, enter is end minus talk and wait", time.Time{}, []QueueCall{w(bcall(id, "sd", 0, Answered), func(c *QueueCall) {
		c.EnterTime, c.AnswerTime, c.EndTime, c.LastEventTime = bt(60), bt(100), bt(160), bt(160)
		c.WaitS, c.TalkS, c.Agent, c.EndVerb = 40, 60, "SIP/101", "COMPLETEAGENT"
	})},
		bev(160, id, "sd", "SIP/101", "COMPLETEAGENT", "40", "60", "1"),
	)
	add("complete without connect after enterqueue", time.Time{}, []QueueCall{w(bcall(id, "sd", 0, Answered), func(c *QueueCall) {
		c.EnterTime, c.AnswerTime, c.EndTime, c.LastEventTime = bt(0), bt(100), bt(160), bt(160)
		c.WaitS, c.TalkS, c.Agent, c.EndVerb = 40, 60, "SIP/101", "COMPLETECALLER"
	})},
		bev(0, id, "sd", "NONE", "ENTERQUEUE"),
		bev(160, id, "sd", "SIP/101", "COMPLETECALLER", "40", "60", "1"),
	)
	add("abandon alone: enter is end minus wait", time.Time{}, []QueueCall{w(bcall(id, "sd", 0, Abandoned), func(c *QueueCall) {
		c.EnterTime, c.EndTime, c.LastEventTime = bt(5), bt(50), bt(50)
		c.WaitS, c.EndVerb = 45, "ABANDON"
	})},
		bev(50, id, "sd", "NONE", "ABANDON", "2", "3", "45"),
	)
	add("blind transfer into a second queue", time.Time{}, []QueueCall{
		w(bcall(id, "ksd", 0, Answered), func(c *QueueCall) {
			c.EnterTime, c.AnswerTime, c.EndTime, c.LastEventTime = bt(71), bt(80), bt(200), bt(200)
			c.WaitS, c.TalkS, c.Agent, c.Caller, c.EndVerb = 9, 120, "SIP/201", "4512345678", "COMPLETECALLER"
		}),
		w(bcall(id, "sd", 0, Answered), func(c *QueueCall) {
			c.EnterTime, c.AnswerTime, c.EndTime, c.LastEventTime = bt(0), bt(10), bt(70), bt(70)
			c.WaitS, c.TalkS, c.Agent, c.Caller, c.EndVerb = 10, 58, "SIP/101", "4512345678", "BLINDTRANSFER"
			c.Transferred = true
		}),
	},
		bev(0, id, "sd", "NONE", "ENTERQUEUE", "", "4512345678", "1"),
		bev(10, id, "sd", "SIP/101", "CONNECT", "10", "x", "1"),
		bev(70, id, "sd", "SIP/101", "BLINDTRANSFER", "2000", "from-internal", "10", "58", "1"),
		bev(71, id, "ksd", "NONE", "ENTERQUEUE", "", "4512345678", "1"),
		bev(80, id, "ksd", "SIP/201", "CONNECT", "9", "x", "1"),
		bev(200, id, "ksd", "SIP/201", "COMPLETECALLER", "9", "120", "1"),
	)
	for _, tr := range []struct {
		name string
		ev   Event
		talk uint32
	}{
		{"attended transfer bridge form", bev(70, id, "sd", "SIP/101", "ATTENDEDTRANSFER", "BRIDGE", "b-1", "10", "55", "1"), 55},
		{"attended transfer app form", bev(70, id, "sd", "SIP/101", "ATTENDEDTRANSFER", "APP", "Dial", "10", "54", "1"), 54},
		{"attended transfer link form", bev(70, id, "sd", "SIP/101", "ATTENDEDTRANSFER", "LINK", "SIP/101-1", "SIP/102-2", "10", "53|1"), 53},
		{"legacy transfer", bev(70, id, "sd", "SIP/101", "TRANSFER", "2000", "from-internal", "10", "52", "1"), 52},
		{"blind transfer, talk from timestamps", bev(70, id, "sd", "SIP/101", "BLINDTRANSFER", "2000", "from-internal"), 60},
	} {
		add(tr.name, time.Time{}, []QueueCall{w(bcall(id, "sd", 0, Answered), func(c *QueueCall) {
			c.EnterTime, c.AnswerTime, c.EndTime, c.LastEventTime = bt(0), bt(10), bt(70), bt(70)
			c.WaitS, c.TalkS, c.Agent, c.EndVerb = 10, tr.talk, "SIP/101", tr.ev.Verb
			c.Transferred = true
		})},
			bev(0, id, "sd", "NONE", "ENTERQUEUE"),
			bev(10, id, "sd", "SIP/101", "CONNECT", "10", "x", "1"),
			tr.ev,
		)
	}
	add("transfer back into the same queue", time.Time{}, []QueueCall{
		w(bcall(id, "sd", 0, Answered), func(c *QueueCall) {
			c.EnterTime, c.AnswerTime, c.EndTime, c.LastEventTime = bt(0), bt(10), bt(40), bt(40)
			c.WaitS, c.TalkS, c.Agent, c.EndVerb = 10, 30, "SIP/101", "BLINDTRANSFER"
			c.Transferred = true
		}),
		w(bcall(id, "sd", 1, Answered), func(c *QueueCall) {
			c.EnterTime, c.AnswerTime, c.EndTime, c.LastEventTime = bt(41), bt(50), bt(90), bt(90)
			c.WaitS, c.TalkS, c.Agent, c.EndVerb = 9, 40, "SIP/102", "COMPLETEAGENT"
		}),
	},
		bev(0, id, "sd", "NONE", "ENTERQUEUE"),
		bev(10, id, "sd", "SIP/101", "CONNECT", "10", "x", "1"),
		bev(40, id, "sd", "SIP/101", "BLINDTRANSFER", "2000", "from-internal", "10", "30", "1"),
		bev(41, id, "sd", "NONE", "ENTERQUEUE"),
		bev(50, id, "sd", "SIP/102", "CONNECT", "9", "x", "1"),
		bev(90, id, "sd", "SIP/102", "COMPLETEAGENT", "9", "40", "1"),
	)
	// Asterisk writes the transfer and the new ENTERQUEUE in one second.
	add("transfer back into the same queue within one second", time.Time{}, []QueueCall{
		w(bcall(id, "sd", 0, Answered), func(c *QueueCall) {
			c.EnterTime, c.AnswerTime, c.EndTime, c.LastEventTime = bt(0), bt(10), bt(40), bt(40)
			c.WaitS, c.TalkS, c.Agent, c.EndVerb = 10, 30, "SIP/101", "BLINDTRANSFER"
			c.Transferred = true
		}),
		w(bcall(id, "sd", 1, Answered), func(c *QueueCall) {
			c.EnterTime, c.AnswerTime, c.EndTime, c.LastEventTime = bt(40), bt(50), bt(90), bt(90)
			c.WaitS, c.TalkS, c.Agent, c.EndVerb = 10, 40, "SIP/102", "COMPLETEAGENT"
		}),
	},
		bev(0, id, "sd", "NONE", "ENTERQUEUE"),
		bev(10, id, "sd", "SIP/101", "CONNECT", "10", "x", "1"),
		bev(40, id, "sd", "SIP/101", "BLINDTRANSFER", "2000", "from-internal", "10", "30", "1"),
		bev(40, id, "sd", "NONE", "ENTERQUEUE"),
		bev(50, id, "sd", "SIP/102", "CONNECT", "10", "x", "1"),
		bev(90, id, "sd", "SIP/102", "COMPLETEAGENT", "10", "40", "1"),
	)
	add("abandon with the member name after connect stays answered", time.Time{}, []QueueCall{w(bcall(id, "sd", 0, Answered), func(c *QueueCall) {
		c.EnterTime, c.AnswerTime, c.EndTime, c.LastEventTime = bt(0), bt(10), bt(10), bt(10)
		c.WaitS, c.Agent, c.EndVerb = 10, "SIP/101", "ABANDON"
	})},
		bev(0, id, "sd", "NONE", "ENTERQUEUE"),
		bev(10, id, "sd", "SIP/101", "CONNECT", "10", "x", "1"),
		bev(10, id, "sd", "SIP/101", "ABANDON", "1", "1", "10"),
	)
	add("a second end is ignored, the first kept", time.Time{}, []QueueCall{w(bcall(id, "sd", 0, Abandoned), func(c *QueueCall) {
		c.EnterTime, c.EndTime, c.LastEventTime = bt(0), bt(20), bt(30)
		c.WaitS, c.EndVerb = 20, "ABANDON"
	})},
		bev(0, id, "sd", "NONE", "ENTERQUEUE"),
		bev(20, id, "sd", "NONE", "ABANDON", "1", "1", "20"),
		bev(30, id, "sd", "SIP/101", "COMPLETEAGENT", "20", "5", "1"),
	)
	add("ring noise, also after the end, is one stay", time.Time{}, []QueueCall{w(bcall(id, "sd", 0, Abandoned), func(c *QueueCall) {
		c.EnterTime, c.EndTime, c.LastEventTime = bt(0), bt(20), bt(21)
		c.WaitS, c.EndVerb = 20, "ABANDON"
	})},
		bev(-2, id, "sd", "NONE", "DID", "4570000000"),
		bev(0, id, "sd", "NONE", "ENTERQUEUE"),
		bev(5, id, "sd", "SIP/101", "RINGNOANSWER", "5000"),
		bev(10, id, "sd", "SIP/102", "RINGNOANSWER", "5000"),
		bev(15, id, "sd", "SIP/101", "AGENTDUMP"),
		bev(20, id, "sd", "NONE", "ABANDON", "1", "1", "20"),
		bev(20, id, "sd", "SIP/103", "RINGCANCELED", "4000"),
		bev(21, id, "sd", "SIP/104", "RINGNOANSWER", "1000"),
	)
	add("agentdump after connect ends the answered stay", time.Time{}, []QueueCall{w(bcall(id, "sd", 0, Answered), func(c *QueueCall) {
		c.EnterTime, c.AnswerTime, c.EndTime, c.LastEventTime = bt(0), bt(10), bt(25), bt(25)
		c.WaitS, c.TalkS, c.Agent, c.EndVerb = 10, 15, "SIP/101", "AGENTDUMP"
	})},
		bev(0, id, "sd", "NONE", "ENTERQUEUE"),
		bev(10, id, "sd", "SIP/101", "CONNECT", "10", "x", "1"),
		bev(25, id, "sd", "SIP/101", "AGENTDUMP"),
	)
	add("a stay left without an end goes stale when the call joins again", time.Time{}, []QueueCall{
		w(bcall(id, "ksd", 0, Abandoned), func(c *QueueCall) {
			c.EnterTime, c.EndTime, c.LastEventTime = bt(60), bt(90), bt(90)
			c.WaitS, c.EndVerb = 30, "ABANDON"
		}),
		w(bcall(id, "sd", 0, Unknown), func(c *QueueCall) {
			c.EnterTime, c.EndTime, c.LastEventTime = bt(0), bt(59), bt(59)
			c.WaitS, c.EndVerb = 59, StaleVerb
		}),
	},
		bev(0, id, "sd", "NONE", "ENTERQUEUE"),
		bev(59, id, "sd", "SIP/101", "RINGNOANSWER", "5000"),
		bev(60, id, "ksd", "NONE", "ENTERQUEUE"),
		bev(90, id, "ksd", "NONE", "ABANDON", "1", "1", "30"),
	)
	add("system and agent events are ignored", time.Time{}, nil,
		bev(0, "MANAGER", "sd", "SIP/101", "ADDMEMBER"),
		bev(1, "NONE", "sd", "SIP/101", "PAUSE", "lunch"),
		bev(2, "NONE", "NONE", "NONE", "QUEUESTART"),
		bev(3, "NONE", "NONE", "SIP/101", "PAUSEALL"),
		bev(4, "REALTIME", "sd", "SIP/101", "REMOVEMEMBER"),
		bev(5, "CLI", "sd", "SIP/101", "ADDMEMBER"),
		bev(6, id, "NONE", "NONE", "ENTERQUEUE"),
		bev(7, id, "", "NONE", "ENTERQUEUE"),
		bev(8, "", "sd", "NONE", "ENTERQUEUE"),
	)

	// Two call ids on two switches, in one input.
	a := []Event{
		bev(0, "1.1", "sd", "NONE", "ENTERQUEUE"),
		bev(31, "1.1", "sd", "NONE", "ABANDON", "1", "1", "31"),
	}
	b := []Event{
		bev(0, "1.2", "sd", "NONE", "ENTERQUEUE"),
		bev(5, "1.2", "sd", "SIP/101", "CONNECT", "5", "x", "1"),
		bev(65, "1.2", "sd", "SIP/101", "COMPLETEAGENT", "5", "60", "1"),
	}
	abandoned := w(bcall("1.1", "sd", 0, Abandoned), func(c *QueueCall) {
		c.EnterTime, c.EndTime, c.LastEventTime = bt(0), bt(31), bt(31)
		c.WaitS, c.EndVerb = 31, "ABANDON"
	})
	answered := w(bcall("1.2", "sd", 0, Answered), func(c *QueueCall) {
		c.EnterTime, c.AnswerTime, c.EndTime, c.LastEventTime = bt(0), bt(5), bt(65), bt(65)
		c.WaitS, c.TalkS, c.Agent, c.EndVerb = 5, 60, "SIP/101", "COMPLETEAGENT"
	})
	onSwitch := func(sw string, c QueueCall) QueueCall { c.Switch = sw; return c }
	var evs []Event
	evs = append(evs, bOnSwitch("pbx-b", a...)...)
	evs = append(evs, bOnSwitch("pbx-b", b...)...)
	evs = append(evs, bOnSwitch("pbx-a", a...)...)
	evs = append(evs, bOnSwitch("pbx-a", b...)...)
	evs = append(evs, bev(3, "NONE", "sd", "SIP/101", "UNPAUSE"))
	add("two call ids on two switches", time.Time{}, []QueueCall{
		onSwitch("pbx-a", abandoned), onSwitch("pbx-a", answered),
		onSwitch("pbx-b", abandoned), onSwitch("pbx-b", answered),
	}, evs...)
	// METRICS.md: where the joining was not seen, enter = end − wait, and
	// each stay is its own queue call. A later CONNECT or end whose own
	// figures say the caller joined after the previous stay ended is a
	// second stay whose ENTERQUEUE was lost, not a late event of the first.
	add("a second stay whose ENTERQUEUE was lost, answered", time.Time{}, []QueueCall{
		w(bcall(id, "sd", 0, Abandoned), func(c *QueueCall) {
			c.EnterTime, c.EndTime, c.LastEventTime = bt(0), bt(20), bt(20)
			c.WaitS, c.EndVerb = 20, "ABANDON"
		}),
		w(bcall(id, "sd", 1, Answered), func(c *QueueCall) {
			c.EnterTime, c.AnswerTime, c.EndTime, c.LastEventTime = bt(170), bt(200), bt(260), bt(260)
			c.WaitS, c.TalkS, c.Agent, c.EndVerb = 30, 60, "SIP/101", "COMPLETECALLER"
		})},
		bev(0, id, "sd", "NONE", "ENTERQUEUE"),
		bev(20, id, "sd", "NONE", "ABANDON", "1", "1", "20"),
		bev(200, id, "sd", "SIP/101", "CONNECT", "30", "x", "1"),
		bev(260, id, "sd", "SIP/101", "COMPLETECALLER", "30", "60", "1"),
	)
	add("a second stay whose ENTERQUEUE was lost, abandoned", time.Time{}, []QueueCall{
		w(bcall(id, "sd", 0, Answered), func(c *QueueCall) {
			c.EnterTime, c.AnswerTime, c.EndTime, c.LastEventTime = bt(0), bt(10), bt(50), bt(50)
			c.WaitS, c.TalkS, c.Agent, c.EndVerb = 10, 40, "SIP/101", "COMPLETEAGENT"
		}),
		w(bcall(id, "sd", 1, Abandoned), func(c *QueueCall) {
			c.EnterTime, c.EndTime, c.LastEventTime = bt(260), bt(300), bt(300)
			c.WaitS, c.EndVerb = 40, "ABANDON"
		})},
		bev(0, id, "sd", "NONE", "ENTERQUEUE"),
		bev(10, id, "sd", "SIP/101", "CONNECT", "10", "x", "1"),
		bev(50, id, "sd", "SIP/101", "COMPLETEAGENT", "10", "40", "1"),
		bev(300, id, "sd", "NONE", "ABANDON", "1", "1", "40"),
	)
	// Not a second stay: the switch's holdtime is a second or two more than
	// the timestamps say (it counts from its own join instant).
	add("a holdtime one second over the timestamps is the same stay", time.Time{}, []QueueCall{
		w(bcall(id, "sd", 0, Answered), func(c *QueueCall) {
			c.EnterTime, c.AnswerTime, c.EndTime, c.LastEventTime = bt(0), bt(12), bt(40), bt(40)
			c.WaitS, c.TalkS, c.Agent, c.EndVerb = 11, 28, "SIP/101", "COMPLETECALLER"
		})},
		bev(0, id, "sd", "NONE", "ENTERQUEUE"),
		bev(12, id, "sd", "SIP/101", "CONNECT", "11", "x", "1"),
		bev(40, id, "sd", "SIP/101", "COMPLETECALLER", "11", "28", "1"),
	)
	// A late end of the first stay (its figures put its joining before the
	// first stay's end) stays a late event: the first end is kept.
	add("a late COMPLETEAGENT after ABANDON is not a second stay", time.Time{}, []QueueCall{
		w(bcall(id, "sd", 0, Abandoned), func(c *QueueCall) {
			c.EnterTime, c.EndTime, c.LastEventTime = bt(0), bt(20), bt(25)
			c.WaitS, c.EndVerb = 20, "ABANDON"
		})},
		bev(0, id, "sd", "NONE", "ENTERQUEUE"),
		bev(20, id, "sd", "NONE", "ABANDON", "1", "1", "20"),
		bev(25, id, "sd", "SIP/101", "COMPLETEAGENT", "20", "5", "1"),
	)
	return cases
}

func TestBuildCalls(t *testing.T) {
	for _, tc := range buildCases() {
		t.Run(tc.name, func(t *testing.T) {
			got := BuildCalls(tc.evs, tc.opt())
			buildCheck(t, got, tc.want)
		})
	}
}

func (tc buildCase) opt() BuildOptions {
	now := tc.now
	if now.IsZero() {
		now = bt(3600)
	}
	return BuildOptions{Now: now}
}

func buildCheck(t *testing.T, got, want []QueueCall) {
	t.Helper()
	if reflect.DeepEqual(got, want) {
		return
	}
	if len(got) != len(want) {
		t.Fatalf("got %d calls %+v; want %d calls %+v", len(got), got, len(want), want)
	}
	for i := range got {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("call %d: got %+v; want %+v", i, got[i], want[i])
		}
	}
}

// TestBuildCallsOrderAndRepeats checks that every order of the events, and
// any number of repeats of each, gives the same calls: all permutations of
// short inputs and many seeded shuffles with repeats of every input.
func TestBuildCallsOrderAndRepeats(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range buildCases() {
		t.Run(tc.name, func(t *testing.T) {
			opt := tc.opt()
			if len(tc.evs) <= 7 {
				n := 0
				bPermute(append([]Event(nil), tc.evs...), 0, func(p []Event) {
					n++
					got := BuildCalls(p, opt)
					if !reflect.DeepEqual(got, tc.want) {
						t.Fatalf("permutation %d %v: got %+v; want %+v", n, bVerbs(p), got, tc.want)
					}
				})
			}
			twice := append(append([]Event(nil), tc.evs...), tc.evs...)
			if got := BuildCalls(twice, opt); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("every event twice: got %+v; want %+v", got, tc.want)
			}
			for i := range 300 {
				var in []Event
				for _, e := range tc.evs {
					for range 1 + rng.IntN(3) {
						in = append(in, e)
					}
				}
				rng.Shuffle(len(in), func(i, j int) { in[i], in[j] = in[j], in[i] })
				if got := BuildCalls(in, opt); !reflect.DeepEqual(got, tc.want) {
					t.Fatalf("shuffle %d %v: got %+v; want %+v", i, bVerbs(in), got, tc.want)
				}
			}
		})
	}
}

// TestBuildCallsAllCasesTogether builds every scenario in one shuffled input
// (each on its own switch) and checks each scenario's calls are unchanged.
func TestBuildCallsAllCasesTogether(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	cases := buildCases()
	now := bt(3600)
	var in []Event
	var want []QueueCall
	for i, tc := range cases {
		if !tc.now.IsZero() {
			continue // needs its own Now
		}
		sw := fmt.Sprintf("sw%03d", i)
		for _, e := range tc.evs {
			e.Switch = sw + "/" + e.Switch
			e.ID = EventID(&e)
			in = append(in, e)
		}
		for _, c := range tc.want {
			c.Switch = sw + "/" + c.Switch
			want = append(want, c)
		}
	}
	for i := range 20 {
		rng.Shuffle(len(in), func(i, j int) { in[i], in[j] = in[j], in[i] })
		got := BuildCalls(in, BuildOptions{Now: now})
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("shuffle %d: got %d calls %+v; want %d calls %+v", i, len(got), got, len(want), want)
		}
	}
}

func TestBuildCallsLateEnterQueue(t *testing.T) {
	const id = "1.7"
	connect := bev(100, id, "sd", "SIP/101", "CONNECT", "40", "x", "1")
	complete := bev(160, id, "sd", "SIP/101", "COMPLETECALLER", "40", "60", "1")
	enter := bev(60, id, "sd", "NONE", "ENTERQUEUE", "", "4512345678", "1")
	opt := BuildOptions{Now: bt(3600)}

	before := BuildCalls([]Event{connect, complete}, opt)
	after := BuildCalls([]Event{connect, complete, enter}, opt)
	if len(before) != 1 || len(after) != 1 {
		t.Fatalf("got %d and %d calls; want 1 and 1", len(before), len(after))
	}
	if before[0].Key() != after[0].Key() {
		t.Errorf("got key %v after the late ENTERQUEUE; want %v", after[0].Key(), before[0].Key())
	}
	if after[0].Caller != "4512345678" || !after[0].EnterTime.Equal(bt(60)) {
		t.Errorf("got caller %q enter %v; want %q %v", after[0].Caller, after[0].EnterTime, "4512345678", bt(60))
	}

	// An ENTERQUEUE, ABANDON and a RINGNOANSWER that arrives later: one stay.
	enter = bev(0, id, "sd", "NONE", "ENTERQUEUE")
	abandon := bev(20, id, "sd", "NONE", "ABANDON", "1", "1", "20")
	ring := bev(20, id, "sd", "SIP/101", "RINGNOANSWER", "20000")
	got := BuildCalls([]Event{enter, abandon, ring}, opt)
	if len(got) != 1 || got[0].Outcome != Abandoned || got[0].Seq != 0 {
		t.Errorf("got %+v; want one abandoned stay with Seq 0", got)
	}

	// A late end replaces Unknown.
	stale := BuildOptions{Now: bt(0).Add(DefaultStaleAfter + time.Hour)}
	got = BuildCalls([]Event{enter}, stale)
	if len(got) != 1 || got[0].Outcome != Unknown {
		t.Fatalf("got %+v; want one unknown stay", got)
	}
	got = BuildCalls([]Event{enter, abandon}, stale)
	if len(got) != 1 || got[0].Outcome != Abandoned || got[0].WaitS != 20 {
		t.Errorf("got %+v; want one abandoned stay with wait 20", got)
	}
}

func TestBuildCallsDuplicatesAcrossForms(t *testing.T) {
	// The DB form carries microseconds; the file form of the same line has
	// the same id. Either, or both, give the same call.
	file := []Event{
		bev(0, "1.1", "sd", "NONE", "ENTERQUEUE"),
		bev(0, "1.1", "sd", "SIP/101", "CONNECT", "0", "x", "1"),
		bev(30, "1.1", "sd", "SIP/101", "COMPLETECALLER", "0", "30", "1"),
	}
	db := append([]Event(nil), file...)
	db[0].Micros, db[1].Micros, db[2].Micros = 700000, 900000, 5
	for i := range db {
		db[i].Source = SourceQueueLogDB
	}
	opt := BuildOptions{Now: bt(3600)}
	want := BuildCalls(file, opt)
	if len(want) != 1 || want[0].Outcome != Answered || want[0].TalkS != 30 {
		t.Fatalf("got %+v; want one answered call with talk 30", want)
	}
	for _, in := range [][]Event{db, append(append([]Event(nil), db...), file...), append(append([]Event(nil), file...), db...)} {
		if got := BuildCalls(in, opt); !reflect.DeepEqual(got, want) {
			t.Errorf("got %+v; want %+v", got, want)
		}
	}
}

// TestBuildCallsInvalidWaits: METRICS.md rejects a wait below 0 or over
// 24 h and does not count it, whether the switch wrote the wait or the
// timestamps give it. The stay keeps its place (its Seq), so the stays
// after it keep theirs, and says why.
func TestBuildCallsInvalidWaits(t *testing.T) {
	day := 24 * 60 * 60
	for _, tc := range []struct {
		name   string
		evs    []Event
		reason string
	}{
		{"the switch's waittime over 24 h", []Event{
			bev(0, "1.1", "sd", "NONE", "ENTERQUEUE"),
			bev(100, "1.1", "sd", "NONE", "ABANDON", "1", "1", "90000"),
		}, "ABANDON data3: the switch's wait of 90000 s is over 24 h"},
		{"a negative holdtime", []Event{
			bev(0, "1.1", "sd", "NONE", "ENTERQUEUE"),
			bev(10, "1.1", "sd", "SIP/101", "CONNECT", "-5", "x", "1"),
			bev(70, "1.1", "sd", "SIP/101", "COMPLETECALLER", "-5", "60", "1"),
		}, "CONNECT data1: the switch's wait of -5 s is negative"},
		{"a wait over 24 h by the timestamps", []Event{
			bev(0, "1.1", "sd", "NONE", "ENTERQUEUE"),
			bev(day+1, "1.1", "sd", "NONE", "ABANDON", "1", "1"),
		}, "a wait of 86401 s from the timestamps is over 24 h"},
		{"an unknown stay whose events span over 24 h", []Event{
			bev(0, "1.1", "sd", "NONE", "ENTERQUEUE"),
			bev(day+5, "1.1", "sd", "SIP/101", "RINGNOANSWER", "1000"),
		}, "a wait of 86405 s from the timestamps is over 24 h"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			next := bev(2*day, "1.1", "sd", "NONE", "ENTERQUEUE")
			end := bev(2*day+30, "1.1", "sd", "NONE", "ABANDON", "1", "1", "30")
			got := BuildCalls(append(tc.evs, next, end), BuildOptions{Now: bt(3 * day)})
			if len(got) != 2 {
				t.Fatalf("got %d stays %+v; want 2", len(got), got)
			}
			if got[0].Invalid != tc.reason || got[0].Seq != 0 {
				t.Errorf("first stay: got Seq %d, Invalid %q; want Seq 0, %q", got[0].Seq, got[0].Invalid, tc.reason)
			}
			if got[1].Invalid != "" || got[1].Seq != 1 || got[1].Outcome != Abandoned || got[1].WaitS != 30 {
				t.Errorf("second stay: got %+v; want a valid abandoned stay 1 with wait 30", got[1])
			}
		})
	}
	// Exactly 24 h is a valid wait.
	got := BuildCalls([]Event{bev(0, "1.2", "sd", "NONE", "ENTERQUEUE"), bev(day, "1.2", "sd", "NONE", "ABANDON", "1", "1", "86400")}, BuildOptions{})
	if len(got) != 1 || got[0].Invalid != "" || got[0].WaitS != 86400 {
		t.Errorf("a wait of exactly 24 h: got %+v; want a valid stay", got)
	}
}

// TestBuildCallsMixedFormsInOneSecond: the file form has whole seconds, the
// DB form microseconds; when the two forms of one call mix within a second
// (the ENTERQUEUE came by one path only, the ABANDON by the other), the
// microseconds cannot order them, and the verbs' natural order must.
func TestBuildCallsMixedFormsInOneSecond(t *testing.T) {
	enter := bev(0, "1.1", "sd", "NONE", "ENTERQUEUE", "", "4512345678")
	enter.Source, enter.Micros = SourceQueueLogDB, 700000
	abandon := bev(0, "1.1", "sd", "NONE", "ABANDON", "1", "1", "0")
	want := bcall("1.1", "sd", 0, Abandoned)
	want.EnterTime, want.EndTime, want.LastEventTime = bt(0), bt(0), bt(0)
	want.Caller, want.EndVerb = "4512345678", "ABANDON"
	for _, in := range [][]Event{{enter, abandon}, {abandon, enter}} {
		buildCheck(t, BuildCalls(in, BuildOptions{Now: bt(3600)}), []QueueCall{want})
	}
	// And the other way round: ENTERQUEUE from the file, the end from the
	// DB export with microseconds.
	enter = bev(0, "1.1", "sd", "NONE", "ENTERQUEUE", "", "4512345678")
	abandon.Source, abandon.Micros = SourceQueueLogDB, 100
	buildCheck(t, BuildCalls([]Event{abandon, enter}, BuildOptions{Now: bt(3600)}), []QueueCall{want})

	// A transfer back into the same queue, the transfer from the DB export
	// and the new ENTERQUEUE from the file, in one second: the transfer ends
	// the first stay, the ENTERQUEUE opens the second.
	evs := []Event{
		bev(0, "2.1", "sd", "NONE", "ENTERQUEUE"),
		bev(10, "2.1", "sd", "SIP/101", "CONNECT", "10", "x", "1"),
		bev(40, "2.1", "sd", "SIP/101", "BLINDTRANSFER", "7001", "default", "10", "30", "1"),
		bev(40, "2.1", "sd", "NONE", "ENTERQUEUE"),
		bev(50, "2.1", "sd", "NONE", "ABANDON", "1", "1", "10"),
	}
	evs[2].Source, evs[2].Micros = SourceQueueLogDB, 300000
	got := BuildCalls(evs, BuildOptions{Now: bt(3600)})
	if len(got) != 2 || got[0].Outcome != Answered || !got[0].Transferred || got[1].Outcome != Abandoned || !got[1].EnterTime.Equal(bt(40)) {
		t.Errorf("transfer back in a mixed second: got %+v; want a transferred stay and an abandoned one from 40 s", got)
	}
}

func TestBuildCallsZeroIDAndInputUntouched(t *testing.T) {
	evs := []Event{
		bev(0, "1.1", "sd", "NONE", "ENTERQUEUE"),
		bev(9, "1.1", "sd", "NONE", "ABANDON", "1", "1", "9"),
	}
	withIDs := BuildCalls(evs, BuildOptions{})
	noIDs := append([]Event(nil), evs...)
	noIDs = append(noIDs, evs...)
	for i := range noIDs {
		noIDs[i].ID = 0
	}
	keep := append([]Event(nil), noIDs...)
	if got := BuildCalls(noIDs, BuildOptions{}); !reflect.DeepEqual(got, withIDs) {
		t.Errorf("got %+v; want %+v", got, withIDs)
	}
	if !reflect.DeepEqual(noIDs, keep) {
		t.Errorf("got input %+v after BuildCalls; want it unchanged %+v", noIDs, keep)
	}
}

func TestBuildCallsSameSecondOrder(t *testing.T) {
	// Joined, answered and hung up within one second: the ranks put them in
	// their natural order whatever the ids.
	evs := []Event{
		bev(0, "1.1", "sd", "SIP/101", "COMPLETECALLER", "0", "0", "1"),
		bev(0, "1.1", "sd", "SIP/101", "CONNECT", "0", "x", "1"),
		bev(0, "1.1", "sd", "SIP/101", "RINGNOANSWER", "100"),
		bev(0, "1.1", "sd", "NONE", "ENTERQUEUE", "", "4512345678"),
	}
	got := BuildCalls(evs, BuildOptions{})
	want := bcall("1.1", "sd", 0, Answered)
	want.EnterTime, want.AnswerTime, want.EndTime, want.LastEventTime = bt(0), bt(0), bt(0), bt(0)
	want.Agent, want.Caller, want.EndVerb = "SIP/101", "4512345678", "COMPLETECALLER"
	buildCheck(t, got, []QueueCall{want})
}

// bPermute calls fn with every permutation of evs[k:], swapping in place.
func bPermute(evs []Event, k int, fn func([]Event)) {
	if k == len(evs) {
		fn(evs)
		return
	}
	for i := k; i < len(evs); i++ {
		evs[k], evs[i] = evs[i], evs[k]
		bPermute(evs, k+1, fn)
		evs[k], evs[i] = evs[i], evs[k]
	}
}

func bVerbs(evs []Event) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = fmt.Sprintf("%s@%d", e.Verb, int(e.Time.Sub(bT0)/time.Second))
	}
	return out
}
