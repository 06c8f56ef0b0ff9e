package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/veritensor/veritensor/scoring"
)

func init() {
	commands = append(commands, &cli.Command{
		Name:  "scoring",
		Usage: "simulate the Yuma-style reward consensus a subnet runs every epoch",
		Subcommands: []*cli.Command{{
			Name:      "epoch",
			Usage:     "run one epoch over a JSON metagraph and print every UID's consensus columns and emission",
			ArgsUsage: " ",
			Description: "Reads a metagraph (params, neurons, weights, previous bonds; schema in docs/scoring.md,\n" +
				"example in scoring/testdata/metagraph.json) and prints what the chain would compute:\n" +
				"active stake, permits, consensus, trust, rank, incentive, validator trust, dividends,\n" +
				"emission per UID, the owner's cut and the new bonds. Fractions are Q32.32 fixed point;\n" +
				"text output truncates them to 6 digits, -o json prints them exactly.",
			Flags: []cli.Flag{
				&cli.StringFlag{Name: "in", Usage: "metagraph JSON file to read (- for stdin)", Required: true},
				outputFlag,
			},
			Action: scoringEpoch,
		}},
	})
}

func scoringEpoch(c *cli.Context) error {
	var data []byte
	var err error
	if path := c.String("in"); path == "-" {
		data, err = io.ReadAll(os.Stdin)
	} else {
		data, err = os.ReadFile(path)
	}
	if err != nil {
		return fmt.Errorf("read metagraph: %w", err)
	}
	in, err := scoring.DecodeMetagraph(data)
	if err != nil {
		return err
	}
	res, err := scoring.Epoch(in)
	if err != nil {
		return err
	}
	return render(c, res, func(w io.Writer) error { return printEpoch(w, in, res) })
}

func printEpoch(w io.Writer, in scoring.Input, res scoring.Result) error {
	p := in.Params
	fmt.Fprintf(w, "epoch at block %d: %d UIDs, emission %d, kappa %d/65535, bonds %s (moving average %d ppm), owner cut %d bps, miners %d bps\n\n",
		p.Block, len(res.Neurons), p.Emission, p.Kappa, p.BondsMode, p.BondsMovingAverage, p.OwnerCutBps, p.MinerShareBps)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "uid\tactive\tpermit\tproof\tstake\tactive_stake\tconsensus\ttrust\trank\tincentive\tv_trust\tdividends\tminer_em\tvalidator_em\temission\t")
	var miner, validator, total uint64
	for i, nr := range res.Neurons {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t\n", nr.UID, yn(nr.Active), yn(nr.ValidatorPermit),
			yn(in.Neurons[i].ProofOK), in.Neurons[i].Stake, nr.ActiveStake.Format(6), nr.Consensus.Format(6), nr.Trust.Format(6),
			nr.Rank.Format(6), nr.Incentive.Format(6), nr.ValidatorTrust.Format(6), nr.Dividends.Format(6),
			nr.MinerEmission, nr.ValidatorEmission, nr.Emission)
		miner += nr.MinerEmission
		validator += nr.ValidatorEmission
		total += nr.Emission
	}
	fmt.Fprintf(tw, "total\t\t\t\t\t\t\t\t\t\t\t\t%d\t%d\t%d\t\n", miner, validator, total)
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nowner emission: %d\nunpaid:         %d\npaid in total:  %d of %d\n",
		res.OwnerEmission, res.Unpaid, total+res.OwnerEmission+res.Unpaid, p.Emission)
	if len(res.Bonds) > 0 {
		fmt.Fprintln(w, "\nbonds (validator: miner=u16 fraction of 65535):")
		for _, row := range res.Bonds {
			parts := make([]string, len(row.Weights))
			for k, e := range row.Weights {
				parts[k] = fmt.Sprintf("%d=%d", e.UID, e.Value)
			}
			fmt.Fprintf(w, "  %d: %s\n", row.UID, strings.Join(parts, " "))
		}
	}
	return nil
}
