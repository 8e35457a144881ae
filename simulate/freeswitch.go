package simulate

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The FreeSWITCH rendering: the same simulated calls as mod_json_cdr posts
// them from a FreeSWITCH running mod_callcenter (one JSON CDR per leg at
// hang-up, the cc_* channel variables of mod_callcenter.c, values
// URL-encoded as with encode-values=true, the default).
//
// mod_callcenter cannot say everything queue_log says, so some calls are
// left out of it (FreeSWITCHTruth is the truth restricted to what is
// rendered):
//   - calls with more than one stay (a transfer into another queue or back
//     into the same one, an overflow after a timeout): a leg's CDR holds its
//     channel variables at hang-up, so a second stay overwrites the first
//     one's cc_queue and times, and mod_callcenter has no transfer verb;
//   - EXITEMPTY and JOINEMPTY: mod_callcenter has no leave-when-empty or
//     join-empty; its nearest, NO_AGENT_TIMEOUT, is a timeout by METRICS.md;
//   - stays with no end (unknown): FreeSWITCH writes a CDR only at hang-up,
//     and mod_callcenter sets cc_cause on every way out of the queue.
//
// Rendered: answered (COMPLETECALLER, COMPLETEAGENT) as cc_cause=answered
// with the agent's own leg (cc_side=agent), abandoned as BREAK_OUT, timeout
// as TIMEOUT, exit_key as EXIT_WITH_KEY with cc_exit_key.

// FreeSWITCHUUID is the channel uuid the FreeSWITCH rendering gives the
// caller's leg of the simulated call callID (a queue_log uniqueid).
func FreeSWITCHUUID(callID string) string {
	h := fnv.New128a()
	h.Write([]byte(callID))
	b := h.Sum(nil)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// fsRendered reports whether the FreeSWITCH rendering has this call: a
// single stay with an outcome mod_callcenter can give.
func fsRendered(stays []TruthCall) bool {
	if len(stays) != 1 {
		return false
	}
	c := stays[0]
	switch c.Outcome {
	case OutcomeAnswered:
		return !c.Transferred
	case OutcomeAbandoned, OutcomeTimeout, OutcomeExitKey:
		return true
	}
	return false
}

func (s *Sim) fsCalls() []TruthCall {
	by := map[string][]TruthCall{}
	for _, c := range s.truth.Calls {
		by[c.CallID] = append(by[c.CallID], c)
	}
	var out []TruthCall
	for _, c := range s.truth.Calls {
		if fsRendered(by[c.CallID]) {
			out = append(out, c)
		}
	}
	return out
}

// FreeSWITCHTruth is the ground truth of the calls the FreeSWITCH rendering
// has (see above), with their queue_log CallIDs; the CDRs name each by
// FreeSWITCHUUID(CallID).
func (s *Sim) FreeSWITCHTruth() *Truth {
	t := s.truth
	t.Calls = s.fsCalls()
	return &t
}

// FreeSWITCHCDRs returns the mod_json_cdr documents of the rendered calls,
// one per leg, in the order of their hang-up.
func (s *Sim) FreeSWITCHCDRs() [][]byte {
	type doc struct {
		end  int64
		body []byte
	}
	var docs []doc
	for _, c := range s.fsCalls() {
		uuid := FreeSWITCHUUID(c.CallID)
		h := fnv.New64a()
		h.Write([]byte(c.CallID))
		n := h.Sum64()
		caller := fmt.Sprintf("+4570%06d", n%1000000)
		queue := c.Queue
		joined := c.Enter.Unix()
		start := joined - 10 // the IVR answered ten seconds before
		member := FreeSWITCHUUID(c.CallID + "/member")
		v := map[string]string{
			"direction": "inbound", "uuid": uuid, "call_uuid": uuid,
			"caller_id_number": caller, "destination_number": "70000000",
			"start_epoch": itoa64(start), "answer_epoch": itoa64(start),
			"cc_side": "member", "cc_queue": queue, "cc_member_uuid": member,
			"cc_member_session_uuid": uuid, "cc_queue_joined_epoch": itoa64(joined),
			"hangup_cause": "NORMAL_CLEARING",
		}
		var end int64
		switch c.Outcome {
		case OutcomeAnswered:
			answered := joined + int64(c.WaitS)
			end = answered + int64(c.TalkS)
			agent := fmt.Sprintf("%d@default", 2000+n%20)
			agentUUID := FreeSWITCHUUID(c.CallID + "/agent")
			v["cc_agent"], v["cc_agent_uuid"], v["cc_agent_bridged"] = agent, agentUUID, "true"
			v["cc_queue_answered_epoch"], v["cc_queue_terminated_epoch"] = itoa64(answered), itoa64(end)
			v["cc_cause"], v["bridge_uuid"] = "answered", agentUUID
			docs = append(docs, doc{end, fsDoc(agentUUID, map[string]string{
				"direction": "outbound", "uuid": agentUUID, "call_uuid": agentUUID,
				"caller_id_number": caller, "destination_number": strings.TrimSuffix(agent, "@default"),
				"start_epoch": itoa64(answered - 3), "answer_epoch": itoa64(answered), "end_epoch": itoa64(end),
				"billsec": itoa64(end - answered), "cc_side": "agent", "cc_queue": queue, "cc_agent": agent,
				"cc_member_uuid": member, "bridge_uuid": uuid, "hangup_cause": "NORMAL_CLEARING",
			})})
		default:
			end = joined + int64(c.WaitS)
			v["cc_queue_canceled_epoch"], v["cc_cause"] = itoa64(end), "cancel"
			switch c.Outcome {
			case OutcomeAbandoned:
				v["cc_cancel_reason"], v["hangup_cause"] = "BREAK_OUT", "ORIGINATOR_CANCEL"
			case OutcomeTimeout:
				v["cc_cancel_reason"] = "TIMEOUT"
			case OutcomeExitKey:
				v["cc_cancel_reason"], v["cc_exit_key"] = "EXIT_WITH_KEY", strconv.Itoa(int(n%2))
			}
		}
		v["end_epoch"], v["billsec"] = itoa64(end), itoa64(end-start)
		docs = append(docs, doc{end, fsDoc(uuid, v)})
	}
	slices.SortStableFunc(docs, func(a, b doc) int { return int(a.end - b.end) })
	out := make([][]byte, len(docs))
	for i, d := range docs {
		out[i] = d.body
	}
	return out
}

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }

// fsEncode is switch_url_encode: every byte but letters, digits and
// "-_.!~*'()" as %XX, a space as %20.
func fsEncode(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}

// fsDoc renders one leg as mod_json_cdr's tree (switch_ivr_generate_json_cdr).
func fsDoc(uuid string, vars map[string]string) []byte {
	enc := make(map[string]string, len(vars))
	for k, v := range vars {
		enc[k] = fsEncode(v)
	}
	d := map[string]any{
		"core-uuid":    "6f3c2a9e-1d4b-4c8e-9a7f-acd5a7000001",
		"switchname":   "fs-sim",
		"channel_data": map[string]string{"state": "CS_REPORTING", "direction": vars["direction"], "state_number": "11"},
		"variables":    enc,
		"callflow": []any{map[string]any{
			"dialplan": "XML", "profile_index": "1",
			"caller_profile": map[string]string{
				"caller_id_number": enc["caller_id_number"], "destination_number": enc["destination_number"],
				"uuid": uuid, "context": "public",
			},
		}},
	}
	b, _ := json.Marshal(d) // maps of strings always marshal
	return b
}

// WriteFreeSWITCH writes the FreeSWITCH CDRs one JSON document per line,
// which `acdstat ingest --format freeswitch_json` reads.
func (s *Sim) WriteFreeSWITCH(w io.Writer) error {
	bw := bufio.NewWriter(w)
	for _, d := range s.FreeSWITCHCDRs() {
		bw.Write(d)
		bw.WriteByte('\n')
	}
	return bw.Flush()
}

// SendFreeSWITCH posts each CDR to url (an acdstat /v1/ingest/freeswitch) as
// mod_json_cdr does: the raw JSON, HTTP Basic auth with token as password
// when set, ?uuid=. A 503 or a failed request is retried after a second
// until ctx ends; any other non-2xx answer is an error.
func SendFreeSWITCH(ctx context.Context, target, token, sw string, cdrs [][]byte, client *http.Client) error {
	if client == nil {
		client = http.DefaultClient
	}
	for i, d := range cdrs {
		for {
			u := target + "?switch=" + url.QueryEscape(sw)
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(d))
			if err != nil {
				return err
			}
			req.Header.Set("Content-Type", "application/json")
			if token != "" {
				req.SetBasicAuth("freeswitch", token)
			}
			resp, err := client.Do(req)
			if err == nil {
				body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
				resp.Body.Close()
				if resp.StatusCode/100 == 2 {
					break
				}
				if resp.StatusCode != http.StatusServiceUnavailable {
					return fmt.Errorf("CDR %d: status %d: %s", i+1, resp.StatusCode, bytes.TrimSpace(body))
				}
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(time.Second):
			}
		}
	}
	return nil
}
