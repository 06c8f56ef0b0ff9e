package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/veritensor/veritensor/chain"
	"github.com/veritensor/veritensor/chain/client"
	"github.com/veritensor/veritensor/scoring"
)

// Subnet protocol queries, attached under `veritensor query`.

func init() {
	flags := []cli.Flag{nodeFlag, timeoutFlag, outputFlag}
	keyFlags := []cli.Flag{nodeFlag, timeoutFlag, outputFlag, homeFlag}
	attach("query",
		&cli.Command{Name: "subnets", Usage: "every subnet and the next creation burn", Flags: flags, Action: querySubnets},
		&cli.Command{Name: "subnet", Usage: "one subnet: task, hyperparameters, epoch", ArgsUsage: "ID", Flags: flags, Action: querySubnet},
		&cli.Command{Name: "metagraph", Usage: "a subnet's UIDs with stake, permits, endpoints, proofs and last emissions", ArgsUsage: "ID", Flags: flags, Action: queryMetagraph},
		&cli.Command{Name: "neuron", Usage: "one UID, by number or by hotkey (address or key name in <home>/keys)", ArgsUsage: "ID UID|HOTKEY", Flags: keyFlags, Action: queryNeuron},
		&cli.Command{Name: "weights", Usage: "a subnet's weight rows and pending commits", ArgsUsage: "ID", Flags: flags, Action: queryWeights},
		&cli.Command{Name: "emissions", Usage: "the outcome of a subnet's last epoch", ArgsUsage: "ID", Flags: flags, Action: queryEmissions},
		&cli.Command{Name: "epoch", Usage: "a subnet's current epoch: number, seed, start and next epoch height", ArgsUsage: "ID", Flags: flags, Action: queryEpoch},
		&cli.Command{Name: "stake", Usage: "delegations to a hotkey (address or key name in <home>/keys) on a subnet", ArgsUsage: "ID HOTKEY", Flags: keyFlags, Action: queryStake},
		&cli.Command{Name: "tokenomics", Usage: "supply, fee pool, total stake, minted and burned", Flags: flags, Action: queryTokenomics},
	)
}

func querySubnets(c *cli.Context) error {
	return runQuery(c, (*client.Client).Subnets, func(w io.Writer, v chain.SubnetsInfo) error {
		for _, sn := range v.Subnets {
			printSubnetLine(w, sn)
		}
		_, err := fmt.Fprintf(w, "%d subnets; next subnet-create burns %d\n", len(v.Subnets), v.NextCreateBurn)
		return err
	})
}

func querySubnet(c *cli.Context) error {
	return subnetQuery(c, 1, (*client.Client).Subnet, func(w io.Writer, sn chain.SubnetInfo) error {
		printSubnetLine(w, sn)
		t, h := sn.Task, sn.Hyper
		fmt.Fprintf(w, "task: arch %s scheme %s circuit %s scoring %s input %d output %d\n  vk %s (%d bytes) pk %s dataset %s\n",
			t.Arch, sn.Scheme, t.CircuitID, t.ScoringRule, t.InputSize, t.OutputSize, t.VKHash, len(sn.VK), t.PKHash, t.DatasetCommitment)
		fmt.Fprintln(w, "hyperparameters:")
		return printHyper(w, h)
	})
}

func queryMetagraph(c *cli.Context) error {
	return subnetQuery(c, 1, (*client.Client).Metagraph, func(w io.Writer, mg chain.Metagraph) error {
		printSubnetLine(w, mg.Subnet)
		fmt.Fprintf(w, "epoch %d seed %s blocks [%d, %d)\n", mg.Epoch.Epoch, mg.Epoch.Seed, mg.Epoch.StartHeight, mg.Epoch.NextEpochHeight)
		fmt.Fprintf(w, "%-4s %-40s %14s %-3s %-5s %-9s %-10s %-10s %14s  %s\n", "uid", "hotkey", "stake", "vp", "proof", "immune", "incentive", "dividends", "emission", "endpoint")
		for _, n := range mg.Neurons {
			fmt.Fprintf(w, "%-4d %-40s %14d %-3v %-5v %-9v %-10s %-10s %14d  %s\n", n.UID, n.Hotkey, n.Stake, yn(n.ValidatorPermit),
				yn(n.ProofOK), yn(n.Immune), scoring.Fixed(n.Incentive).Format(6), scoring.Fixed(n.Dividends).Format(6), n.Emission, n.Endpoint)
		}
		return nil
	})
}

// yn is "yes" or "no", for the CLI's text tables.
func yn(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// queryNeuron reads one UID, given as a number or as the hotkey (an
// address, or a key name in the keyring of --home) that holds it.
func queryNeuron(c *cli.Context) error {
	who := c.Args().Get(1)
	var q func(cl *client.Client, ctx context.Context, id uint16) (chain.NeuronInfo, error)
	if uid, err := strconv.ParseUint(who, 10, 16); err == nil && len(who) < 2*chain.AddressLen {
		q = func(cl *client.Client, ctx context.Context, id uint16) (chain.NeuronInfo, error) {
			return cl.Neuron(ctx, id, uint16(uid))
		}
	} else if c.NArg() == 2 {
		hk, err := keyAddress(c, "UID|HOTKEY", who)
		if err != nil {
			return fmt.Errorf("%w; want a UID number, a hotkey address or a key name", err)
		}
		q = func(cl *client.Client, ctx context.Context, id uint16) (chain.NeuronInfo, error) {
			return cl.NeuronByHotkey(ctx, id, hk)
		}
	}
	return subnetQuery(c, 2, q, func(w io.Writer, n chain.NeuronInfo) error {
		fmt.Fprintf(w, "uid %d hotkey %s owner %s\nregistered at %d, last update %d, immune %s\nstake %d, validator permit %s\nendpoint %q model %s hardware %q\nproof ok %s (last proof epoch %d)\nlast epoch: incentive %s dividends %s emission %d\n",
			n.UID, n.Hotkey, n.Owner, n.RegisteredAt, n.LastUpdate, yn(n.Immune), n.Stake, yn(n.ValidatorPermit),
			n.Endpoint, n.ModelCommitment, n.Hardware, yn(n.ProofOK), n.ProofEpoch,
			scoring.Fixed(n.Incentive).Format(6), scoring.Fixed(n.Dividends).Format(6), n.Emission)
		return nil
	})
}

func queryWeights(c *cli.Context) error {
	return subnetQuery(c, 1, (*client.Client).Weights, func(w io.Writer, v chain.WeightsInfo) error {
		fmt.Fprintf(w, "subnet %d, epoch %d\n", v.Subnet, v.Epoch)
		for _, r := range v.Rows {
			fmt.Fprintf(w, "uid %d (epoch %d, block %d):", r.UID, r.Epoch, r.Block)
			for _, x := range r.Weights {
				fmt.Fprintf(w, " %d:%d", x.UID, x.Value)
			}
			fmt.Fprintln(w)
		}
		for _, cm := range v.Commits {
			fmt.Fprintf(w, "commit uid %d epoch %d block %d hash %s\n", cm.UID, cm.Epoch, cm.Block, cm.Hash)
		}
		return nil
	})
}

func queryEmissions(c *cli.Context) error {
	return subnetQuery(c, 1, (*client.Client).Emissions, func(w io.Writer, r chain.EpochRecord) error {
		fmt.Fprintf(w, "subnet %d epoch %d (block %d): emission %d, owner %d, unminted %d, proofs %d\n",
			r.Subnet, r.Epoch, r.Block, r.Emission, r.OwnerEmission, r.Unminted, r.Proofs)
		for _, n := range r.Neurons {
			fmt.Fprintf(w, "  uid %-4d %s miner %d validator %d proof %s permit %s\n", n.UID, n.Hotkey,
				n.MinerEmission, n.ValidatorEmission, yn(n.ProofOK), yn(n.ValidatorPermit))
		}
		return nil
	})
}

func queryEpoch(c *cli.Context) error {
	return subnetQuery(c, 1, (*client.Client).Epoch, func(w io.Writer, e chain.EpochInfo) error {
		_, err := fmt.Fprintf(w, "subnet %d epoch %d seed %s\nblocks [%d, %d), tempo %d, at height %d, pending emission %d\n",
			e.Subnet, e.Epoch, e.Seed, e.StartHeight, e.NextEpochHeight, e.Tempo, e.Height, e.PendingEmission)
		return err
	})
}

func queryStake(c *cli.Context) error {
	var hk chain.Address
	if c.NArg() == 2 {
		var err error
		if hk, err = keyAddress(c, "HOTKEY", c.Args().Get(1)); err != nil {
			return err
		}
	}
	return subnetQuery(c, 2, func(cl *client.Client, ctx context.Context, id uint16) (chain.StakeInfo, error) {
		return cl.Stake(ctx, id, hk)
	}, func(w io.Writer, s chain.StakeInfo) error {
		fmt.Fprintf(w, "subnet %d hotkey %s total %d\n", s.Subnet, s.Hotkey, s.Total)
		for _, d := range s.Delegations {
			fmt.Fprintf(w, "  %s %d\n", d.Owner, d.Amount)
		}
		return nil
	})
}

func queryTokenomics(c *cli.Context) error {
	return runQuery(c, (*client.Client).Tokenomics, func(w io.Writer, t chain.Tokenomics) error {
		_, err := fmt.Fprintf(w, "supply %d\nfee pool %d\ntotal stake %d\nminted %d\nburned %d\n", t.Supply, t.FeePool, t.TotalStake, t.Minted, t.Burned)
		return err
	})
}

// printHyper prints hyperparameters one per line, named as the flags of
// subnet create and update, with units.
func printHyper(w io.Writer, h chain.Hyperparams) error {
	pct := func(bps uint16) string { return fmt.Sprintf("%d bps (%d.%02d%%)", bps, bps/100, bps%100) }
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, r := range [][2]string{
		{"tempo", fmt.Sprintf("%d blocks", h.Tempo)},
		{"immunity-period", fmt.Sprintf("%d blocks", h.ImmunityPeriod)},
		{"max-uids", fmt.Sprint(h.MaxUIDs)},
		{"max-validators", fmt.Sprint(h.MaxValidators)},
		{"min-allowed-weights", fmt.Sprint(h.MinAllowedWeights)},
		{"kappa", fmt.Sprintf("%d/65535 (%s)", h.Kappa, scoring.Ratio(uint64(h.Kappa), 65535).Format(4))},
		{"bonds-moving-average", fmt.Sprintf("%d ppm", h.BondsMovingAverage)},
		{"weights-rate-limit", fmt.Sprintf("%d blocks", h.WeightsRateLimit)},
		{"activity-cutoff", fmt.Sprintf("%d blocks", h.ActivityCutoff)},
		{"commit-reveal", fmt.Sprint(h.CommitReveal)},
		{"reveal-delay", fmt.Sprintf("%d epochs", h.RevealDelay)},
		{"require-proof", fmt.Sprint(h.RequireProof)},
		{"emission-share", fmt.Sprint(h.EmissionShare)},
		{"registration-burn", fmt.Sprintf("%d base units", h.RegistrationBurn)},
		{"owner-cut-bps", pct(h.OwnerCutBps)},
		{"miner-share-bps", pct(h.MinerShareBps)},
	} {
		fmt.Fprintf(tw, "  %s\t%s\n", r[0], r[1])
	}
	return tw.Flush()
}
