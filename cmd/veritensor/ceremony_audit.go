package main

import (
	"fmt"
	"io"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/veritensor/veritensor/chain"
	"github.com/veritensor/veritensor/internal/ceremonyverify"
)

// Auditing a live subnet's setup ceremony: the check every miner and
// validator daemon runs before it works, by hand. `veritensor ceremony
// verify --subnet N --node URL` runs it (the --subnet path of the
// ceremony verify command, see subnetAuditFlags and runSubnetAudit); it is
// also `veritensor query ceremony-audit N`.

// subnetAuditFlags are the flags of the --subnet path.
func subnetAuditFlags() []cli.Flag {
	return []cli.Flag{nodeFlag, outputFlag, ceremonyCacheFlag,
		&cli.DurationFlag{Name: "timeout", Value: 30 * time.Minute, Usage: "give up after this long (fetching and verifying take minutes for 784-64-10)"}}
}

// subnetAudit is the JSON answer of an audit.
type subnetAudit struct {
	Subnet     uint16             `json:"subnet"`
	Verified   bool               `json:"verified"`
	Error      string             `json:"error,omitempty"`
	Transcript chain.Hash32       `json:"transcript"`
	Cached     bool               `json:"cached"`
	KeysDir    string             `json:"keys_dir,omitempty"`
	Phase1     chain.CeremonyInfo `json:"phase1"`
	Phase2     chain.CeremonyInfo `json:"phase2"`
}

// runSubnetAudit verifies subnet id's ceremony against the chain at --node.
// It fails (after printing the verdict) when the ceremony does not verify.
func runSubnetAudit(c *cli.Context, id uint16) error {
	cl, ctx, cancel, err := dial(c)
	if err != nil {
		return err
	}
	defer cancel()
	si, err := cl.Subnet(ctx, id)
	if err != nil {
		return err
	}
	out := subnetAudit{Subnet: id}
	var progress func(string, int, int)
	if c.String("output") != "json" {
		progress = func(step string, done, total int) {
			if done == total {
				fmt.Fprintf(c.App.ErrWriter, "  %s: done\n", step)
			}
		}
	}
	v, verr := ceremonyverify.Subnet(ctx, cl, si, ceremonyverify.Options{Dir: c.String("ceremony-dir"), Progress: progress,
		Log: func(f string, a ...any) { fmt.Fprintf(c.App.ErrWriter, f+"\n", a...) }})
	if verr != nil {
		out.Error = verr.Error()
	} else {
		out.Verified, out.Transcript, out.Cached, out.KeysDir, out.Phase1, out.Phase2 = true, v.ID, v.Cached, v.KeysDir, v.Phase1, v.Phase2
	}
	if err := render(c, out, func(w io.Writer) error {
		if !out.Verified {
			_, err := fmt.Fprintf(w, "subnet %d: ceremony %d does NOT verify: %s\n", id, si.Task.Ceremony, out.Error)
			return err
		}
		fmt.Fprintf(w, "subnet %d: ceremonies %d (phase 1) and %d (phase 2) verify (transcript %s, cached %v)\n", id,
			out.Phase1.ID, out.Phase2.ID, out.Transcript, out.Cached)
		fmt.Fprintf(w, "  %d + %d contributions, %d and %d distinct contributors; vk %s pk %s\n  keys: %s\n",
			len(out.Phase1.Contributions), len(out.Phase2.Contributions), out.Phase1.DistinctContributors,
			out.Phase2.DistinctContributors, out.Phase2.VKHash, out.Phase2.PKHash, out.KeysDir)
		return nil
	}); err != nil {
		return err
	}
	if verr != nil {
		return cli.Exit("", 1)
	}
	return nil
}

func init() {
	// The --subnet path of `veritensor ceremony verify` (cmd/veritensor/ceremony.go).
	for _, f := range subnetAuditFlags() {
		if f != outputFlag {
			ceremonyVerifyCmd.Flags = append(ceremonyVerifyCmd.Flags, f)
		}
	}
	ceremonyVerifyCmd.Flags = append(ceremonyVerifyCmd.Flags, &cli.UintFlag{Name: "subnet", Usage: "audit this live subnet's ceremony as recorded on chain at --node (fetches the transcript from the recorded source)"})
	ceremonyLiveVerify = func(c *cli.Context) error { return runSubnetAudit(c, uint16(c.Uint("subnet"))) }
	attach("query", &cli.Command{Name: "ceremony-audit", ArgsUsage: "SUBNET",
		Usage: "verify a live subnet's setup ceremony from scratch, as every daemon does (same as 'ceremony verify --subnet')",
		Flags: subnetAuditFlags(),
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return fmt.Errorf("want 1 argument: SUBNET")
			}
			var id uint16
			if _, err := fmt.Sscan(c.Args().First(), &id); err != nil {
				return fmt.Errorf("subnet ID %q is not a number in 0..65535", c.Args().First())
			}
			return runSubnetAudit(c, id)
		}})
}
