package cdr

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// SourceFreeSWITCH is the Source of events decoded from FreeSWITCH CDRs
// (mod_json_cdr's JSON or mod_xml_cdr's XML: the same tree).
const SourceFreeSWITCH = "freeswitch"

// The formats of the FreeSWITCH decoders (the --format of `acdstat ingest`).
const (
	FormatFreeSWITCHJSON = "freeswitch_json"
	FormatFreeSWITCHXML  = "freeswitch_xml"
)

// The verbs of FreeSWITCH events. One CDR is one channel (leg) at hang-up.
// A caller's leg that went through mod_callcenter (it has cc_queue and is
// not cc_side=agent) gives one event per fact of its queue stay:
//
//	verb      time                                   agent     data1            data2             data3        data4    data5
//	CCJOIN    cc_queue_joined_epoch                  ""        cc_member_uuid   caller_id_number  destination_number
//	CCANSWER  cc_queue_answered_epoch                cc_agent  cc_member_uuid   cc_agent_uuid
//	CCEND     cc_queue_terminated_epoch (answered),  cc_agent  cc_cause         cc_cancel_reason  cc_exit_key  billsec  hangup_cause
//	          cc_queue_canceled_epoch (cancel),
//	          else end_epoch
//
// CCEND's data2 of an answered stay is FSTransferred when the agent
// transferred the caller onward (fsTransferred), else empty.
//
// Every other leg (the IVR, an agent's leg, an outbound call) is one CDR
// event, kept for the IVR funnel; no builder counts it:
//
//	CDR       start_epoch                            cc_agent  destination_number caller_id_number billsec  hangup_cause bridge_uuid
//
// CallID is the leg's uuid (variables.uuid), not cc_member_uuid: the uuid
// is the id every other record of the call carries (the agent leg's
// bridge_uuid, the IVR's CDR, a disposition sent by a ticket system), while
// mod_callcenter's callcenter_function makes a fresh cc_member_uuid for every
// entry into a queue (or reuses an abandoned member's one, with
// abandoned-resume-allowed), so it names a stay, not a call. It is kept in
// data1. Queue is cc_queue exactly as written ("support@default"): the
// domain part tells tenants apart on multi-tenant systems, so it is not
// stripped; name the queue so in the queue settings.
const (
	FSVerbJoin   = "CCJOIN"
	FSVerbAnswer = "CCANSWER"
	FSVerbEnd    = "CCEND"
	FSVerbCDR    = "CDR"
)

// FSTransferred is data2 of an answered CCEND whose stay the agent
// transferred onward: the stay counts as answered and in transferred.
const FSTransferred = "transferred"

// fsCDR is the part of one CDR the decoder reads: the channel variables,
// URL-decoded, and the first caller profile of the callflow.
type fsCDR struct {
	vars    map[string]string
	profile map[string]string
}

func (c *fsCDR) get(name string) string {
	if v, ok := c.vars[name]; ok {
		return v
	}
	return c.profile[name]
}

// fsUnescape undoes mod_json_cdr's encode-values (switch_url_encode of every
// variable value; on by default) and mod_xml_cdr's encoding. It is a path
// unescape: "+" stays "+" (switch_url_encode writes a space as %20, and a
// caller number "+45…" sent with encode-values=false must survive). A value
// that is not valid %-encoding is kept as it is.
func fsUnescape(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	if u, err := url.PathUnescape(s); err == nil {
		return u
	}
	return s
}

// DecodeFreeSWITCHJSON decodes mod_json_cdr documents: one JSON object per
// CDR, as FreeSWITCH posts it (the raw body) or writes it to a file
// (a_<uuid>.cdr.json); several objects may follow each other, or stand in
// an array (jsonRecords). Record numbers
// (DecodeError.Line, Event.Line) count the objects from 1. A record that is
// valid JSON but not a usable CDR is rejected and decoding goes on; invalid
// JSON is rejected and ends the input, since nothing after it can be framed.
// Values may be URL-encoded (encode-values=true) or plain. fn is called every
// opt.BatchSize records and at the end; it must not retain the batch.
func DecodeFreeSWITCHJSON(r io.Reader, opt DecodeOptions, fn func(Batch) error) error {
	opt = opt.withDefaults()
	return jsonRecords(r, &opt, fn, "FreeSWITCH CDR", func(raw json.RawMessage, rec int, q *batcher) *DecodeError {
		c, derr := fsParseJSON(raw, rec)
		if derr != nil {
			return derr
		}
		return fsEvents(q, c, rec, &opt)
	})
}

func fsParseJSON(raw []byte, rec int) (*fsCDR, *DecodeError) {
	var doc struct {
		Variables map[string]any  `json:"variables"`
		Callflow  json.RawMessage `json:"callflow"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, &DecodeError{Line: rec, Field: "json", Reason: "not a CDR object: " + err.Error()}
	}
	if doc.Variables == nil {
		return nil, &DecodeError{Line: rec, Field: "variables", Reason: "missing: a mod_json_cdr CDR has a variables object"}
	}
	c := &fsCDR{vars: make(map[string]string, len(doc.Variables)), profile: map[string]string{}}
	for k, v := range doc.Variables {
		switch v := v.(type) {
		case string:
			c.vars[k] = fsUnescape(v)
		case json.Number:
			c.vars[k] = v.String()
		case bool:
			c.vars[k] = strconv.FormatBool(v)
		}
	}
	// callflow is an array of profiles in current FreeSWITCH and a single
	// object in old releases; the first (newest) caller_profile is used.
	type flow struct {
		CallerProfile map[string]any `json:"caller_profile"`
	}
	var flows []flow
	if len(doc.Callflow) > 0 {
		if doc.Callflow[0] == '[' {
			_ = json.Unmarshal(doc.Callflow, &flows)
		} else {
			var f flow
			if json.Unmarshal(doc.Callflow, &f) == nil {
				flows = []flow{f}
			}
		}
	}
	if len(flows) > 0 {
		for k, v := range flows[0].CallerProfile {
			if s, ok := v.(string); ok {
				c.profile[k] = fsUnescape(s)
			}
		}
	}
	return c, nil
}

// DecodeFreeSWITCHXML decodes mod_xml_cdr documents: one or more <cdr>
// elements (each file a_<uuid>.cdr.xml holds one), with the tree of
// mod_json_cdr. Record numbers count the <cdr> elements from 1; malformed XML
// is rejected and ends the input. Otherwise as DecodeFreeSWITCHJSON.
func DecodeFreeSWITCHXML(r io.Reader, opt DecodeOptions, fn func(Batch) error) error {
	opt = opt.withDefaults()
	src := &readErrs{r: r}
	dec := xml.NewDecoder(src)
	dec.Strict = true
	q := &batcher{fn: fn, size: opt.BatchSize}
	rec := 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			// Every fault of the bytes (syntax, an unsupported XML
			// version, a cut document) is the sender's: a reject. Only
			// a failure to read is ours to return.
			if src.err == nil || errors.Is(src.err, io.EOF) {
				q.reject(&DecodeError{Line: rec + 1, Field: "xml", Reason: "not an XML CDR: " + err.Error()})
				break
			}
			return fmt.Errorf("cannot read FreeSWITCH XML CDR: %w", err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		rec++
		if se.Name.Local != "cdr" {
			q.reject(&DecodeError{Line: rec, Field: "xml", Reason: fmt.Sprintf("element <%s> is not a <cdr>", se.Name.Local)})
			if err := dec.Skip(); err != nil {
				break
			}
			if err := q.line(); err != nil {
				return err
			}
			continue
		}
		var doc fsXMLDoc
		if err := dec.DecodeElement(&doc, &se); err != nil {
			q.reject(&DecodeError{Line: rec, Field: "xml", Reason: "not an XML CDR: " + err.Error()})
			break
		}
		c := &fsCDR{vars: map[string]string{}, profile: map[string]string{}}
		for _, v := range doc.Variables.Items {
			c.vars[v.XMLName.Local] = fsUnescape(strings.TrimSpace(v.Value))
		}
		if len(doc.Callflow) > 0 {
			for _, v := range doc.Callflow[0].CallerProfile.Items {
				c.profile[v.XMLName.Local] = fsUnescape(strings.TrimSpace(v.Value))
			}
		}
		var derr *DecodeError
		if !doc.Variables.Present {
			derr = &DecodeError{Line: rec, Field: "variables", Reason: "missing: a mod_xml_cdr CDR has a <variables> element"}
		} else {
			derr = fsEvents(q, c, rec, &opt)
		}
		if derr != nil {
			q.reject(derr)
		}
		if err := q.line(); err != nil {
			return err
		}
	}
	return q.flush()
}

type fsXMLItem struct {
	XMLName xml.Name
	Value   string `xml:",chardata"`
}

type fsXMLItems struct {
	Present bool
	Items   []fsXMLItem `xml:",any"`
}

func (v *fsXMLItems) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	v.Present = true
	var inner struct {
		Items []fsXMLItem `xml:",any"`
	}
	if err := d.DecodeElement(&inner, &start); err != nil {
		return err
	}
	v.Items = inner.Items
	return nil
}

type fsXMLDoc struct {
	Variables fsXMLItems `xml:"variables"`
	Callflow  []struct {
		CallerProfile fsXMLItems `xml:"caller_profile"`
	} `xml:"callflow"`
}

// fsEvents turns one CDR into events (the table at FSVerbJoin) and hands
// them to q, or refuses the whole CDR: a record is never half kept.
//
// The stay's times are mod_callcenter's own variables (see
// cdr/testdata/freeswitch/NOTES.md for where each is set). A channel keeps
// its variables across queues, and callcenter_function does not clear the
// answer, end and cause variables of an earlier stay when the caller joins
// another queue, so a time before cc_queue_joined_epoch belongs to an earlier
// stay and is not used; with cc_cause=cancel the answer variables are not
// used at all.
func fsEvents(q *batcher, c *fsCDR, rec int, opt *DecodeOptions) *DecodeError {
	bad := func(field, reason string) *DecodeError {
		return &DecodeError{Line: rec, Field: field, Reason: reason}
	}
	uuid := c.get("uuid")
	if uuid == "" {
		uuid = c.get("call_uuid")
	}
	if uuid == "" {
		return bad("uuid", "missing: every FreeSWITCH CDR names its channel's uuid")
	}
	if len(uuid) > 256 {
		return bad("uuid", "longer than 256 bytes")
	}
	epoch := func(name string) (time.Time, bool, *DecodeError) {
		s := c.vars[name]
		if s == "" || s == "0" {
			return time.Time{}, false, nil
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 || n > maxEpoch {
			return time.Time{}, false, bad(name, fmt.Sprintf("%q is not a unix time in seconds", s))
		}
		t := time.Unix(n, 0).UTC()
		if reason := opt.CheckTime(t); reason != "" {
			return time.Time{}, false, bad(name, reason)
		}
		return t, true, nil
	}
	ev := func(t time.Time, queue, agent, verb string, data ...string) Event {
		e := Event{Switch: opt.Switch, Source: SourceFreeSWITCH, Time: t, CallID: uuid, Queue: queue, Agent: agent, Verb: verb, Line: rec}
		copy(e.Data[:], data)
		e.ID = EventID(&e)
		return e
	}
	start, hasStart, derr := epoch("start_epoch")
	if derr != nil {
		return derr
	}
	end, hasEnd, derr := epoch("end_epoch")
	if derr != nil {
		return derr
	}
	queue := c.vars["cc_queue"]
	if queue == "" || c.vars["cc_side"] == "agent" {
		if !hasStart {
			if !hasEnd {
				return bad("start_epoch", "missing: a CDR without cc_queue needs start_epoch or end_epoch")
			}
			start = end
		}
		q.event(ev(start, "", c.vars["cc_agent"], FSVerbCDR,
			c.get("destination_number"), c.get("caller_id_number"), c.vars["billsec"], c.vars["hangup_cause"], c.vars["bridge_uuid"]))
		return nil
	}
	if len(queue) > 256 {
		return bad("cc_queue", "longer than 256 bytes")
	}
	joined, hasJoined, derr := epoch("cc_queue_joined_epoch")
	if derr != nil {
		return derr
	}
	cause := c.vars["cc_cause"]
	reason := c.vars["cc_cancel_reason"]
	member := c.vars["cc_member_uuid"]
	var evs []Event
	if hasJoined {
		evs = append(evs, ev(joined, queue, "", FSVerbJoin, member, c.get("caller_id_number"), c.get("destination_number")))
	}
	// after reads a stay time, ignoring one left over from an earlier stay.
	after := func(name string) (time.Time, bool, *DecodeError) {
		t, ok, derr := epoch(name)
		if derr != nil || !ok {
			return t, ok, derr
		}
		if hasJoined && t.Before(joined) {
			return time.Time{}, false, nil
		}
		return t, true, nil
	}
	switch cause {
	case "answered":
		answered, ok, derr := after("cc_queue_answered_epoch")
		if derr != nil {
			return derr
		}
		if !ok {
			return bad("cc_queue_answered_epoch", "missing or before cc_queue_joined_epoch although cc_cause is answered")
		}
		if hasJoined && answered.Sub(joined) > maxSeconds*time.Second {
			return bad("cc_queue_answered_epoch", "more than 24 h after cc_queue_joined_epoch")
		}
		agent := c.vars["cc_agent"]
		evs = append(evs, ev(answered, queue, agent, FSVerbAnswer, member, c.vars["cc_agent_uuid"]))
		stop, ok, derr := after("cc_queue_terminated_epoch")
		if derr != nil {
			return derr
		}
		if !ok {
			// The member's leg can hang up before the agent thread writes
			// the bridge's end; the leg's own end is the next best time.
			stop, ok = end, hasEnd && !end.Before(answered)
		}
		if ok {
			xfer := ""
			if fsTransferred(c, answered, stop) {
				xfer = FSTransferred
			}
			evs = append(evs, ev(stop, queue, agent, FSVerbEnd, cause, xfer, "", c.vars["billsec"], c.vars["hangup_cause"]))
		}
	case "cancel":
		stop, ok, derr := after("cc_queue_canceled_epoch")
		if derr != nil {
			return derr
		}
		if !ok {
			stop, ok = end, hasEnd && (!hasJoined || !end.Before(joined))
		}
		if !ok {
			return bad("cc_queue_canceled_epoch", "missing or before cc_queue_joined_epoch although cc_cause is cancel")
		}
		if hasJoined && stop.Sub(joined) > maxSeconds*time.Second {
			return bad("cc_queue_canceled_epoch", "more than 24 h after cc_queue_joined_epoch")
		}
		if reason == "" {
			reason = "NONE"
		}
		evs = append(evs, ev(stop, queue, "", FSVerbEnd, cause, reason, c.vars["cc_exit_key"], c.vars["billsec"], c.vars["hangup_cause"]))
	case "":
		// The leg ended while mod_callcenter still held it (it sets cc_cause
		// on every way out): the stay stays open until it goes stale.
	default:
		return bad("cc_cause", fmt.Sprintf("%q is not answered or cancel", cause))
	}
	if len(evs) == 0 {
		return bad("cc_queue_joined_epoch", "missing: a leg with cc_queue needs cc_queue_joined_epoch or cc_cause")
	}
	for _, e := range evs {
		q.event(e)
	}
	return nil
}

// fsTransferred says whether the agent transferred the caller onward
// between the answer and the end of the stay, as the leg's transfer
// history tells it. mod_callcenter writes no variable of its own for a
// transfer; the core does, on every channel it moves:
// switch_ivr_session_transfer (a blind transfer: the transfer app,
// uuid_transfer, a REFER from the agent's phone) pushes
// "<epoch>:<profile uuid>:bl_xfer:<extension>/<context>/<dialplan>" onto
// transfer_history and sets transfer_source to it, and
// switch_ivr_uuid_bridge (mod_callcenter's own bridge to the agent, and an
// attended transfer that bridges the caller to a third party) pushes
// "<epoch>:<profile uuid>:uuid_br:<other channel's uuid>". The real
// mod_xml_cdr record of ../shared/testdata/acd (PROVENANCE.md) carries both
// variables in this form ("1560230118:fda27ede-…:bl_xfer:915121007938/default/xml").
// A variable pushed more than once is written "ARRAY::<first>|:<second>…".
//
// An entry counts when its time lies from answered to stop: a bl_xfer, or a
// uuid_br to another channel than cc_agent_uuid (the bridge to the agent is
// the answer itself; without cc_agent_uuid no uuid_br entry is used).
// Earlier entries are the IVR's or an earlier stay's; later ones happened
// after the agent's part ended.
func fsTransferred(c *fsCDR, answered, stop time.Time) bool {
	hist := c.vars["transfer_history"]
	if hist == "" {
		hist = c.vars["transfer_source"]
	}
	agent := c.vars["cc_agent_uuid"]
	for _, entry := range strings.Split(strings.TrimPrefix(hist, "ARRAY::"), "|:") {
		f := strings.SplitN(entry, ":", 4)
		if len(f) != 4 {
			continue
		}
		n, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil || n < answered.Unix() || n > stop.Unix() {
			continue
		}
		switch f[2] {
		case "bl_xfer":
			return true
		case "uuid_br":
			if agent != "" && f[3] != agent {
				return true
			}
		}
	}
	return false
}

// readErrs remembers the error of the reader it wraps, so a decoder's error
// can be told apart: the input's fault or the reading's.
type readErrs struct {
	r   io.Reader
	err error
}

func (e *readErrs) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil {
		e.err = err
	}
	return n, err
}
