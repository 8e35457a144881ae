package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"

	"github.com/acdstat/acdstat/simulate"
)

// simulateFreeSWITCH is `acdstat simulate --format freeswitch`: the same
// simulated calls as FreeSWITCH's mod_json_cdr would post them (the calls
// mod_callcenter can give: see simulate/freeswitch.go), written one JSON CDR
// per line to out, their truth to truth, and posted one by one to to.
func simulateFreeSWITCH(ctx context.Context, sim *simulate.Sim, out, truth, to, token, sw string, stdout, stderr io.Writer) error {
	if out != "" {
		if err := writeTo(out, stdout, sim.WriteFreeSWITCH); err != nil {
			return err
		}
	}
	if truth != "" {
		if err := writeTo(truth, stdout, func(w io.Writer) error {
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			return enc.Encode(sim.FreeSWITCHTruth())
		}); err != nil {
			return err
		}
	}
	if to == "" {
		if out == "" && truth == "" {
			return fmt.Errorf("say where the CDRs go: --out FILE, --truth FILE or --to URL")
		}
		return nil
	}
	u, err := url.Parse(to)
	if err != nil || u.Host == "" {
		return fmt.Errorf("--to %q is not a URL like http://127.0.0.1:8080", to)
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = "/v1/ingest/freeswitch"
	}
	cdrs := sim.FreeSWITCHCDRs()
	if err := simulate.SendFreeSWITCH(ctx, u.String(), token, sw, cdrs, nil); err != nil {
		return fmt.Errorf("cannot send to %s: %w", to, err)
	}
	fmt.Fprintf(stderr, "sent %s (%s) to %s\n", plural(len(cdrs), "FreeSWITCH CDR", "FreeSWITCH CDRs"), plural(len(sim.FreeSWITCHTruth().Calls), "queue call", "queue calls"), to)
	return nil
}
