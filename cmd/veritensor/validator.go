package main

import (
	"io"

	"github.com/urfave/cli/v2"

	"github.com/veritensor/veritensor/validator"
)

// The validator daemon's run subcommand is wired to the chain client by the
// lead (validator.Chain and validator.WeightsSubmitter over chain/client);
// this file holds what works without it.
func init() {
	commands = append(commands, &cli.Command{
		Name:  "validator",
		Usage: "challenge miners, verify their proofs, score them and submit weights every tempo",
		Subcommands: []*cli.Command{
			{
				Name:  "report",
				Usage: "print the last tempo's report of a validator (per miner UID: requests, proofs valid/invalid, accuracy, latency, score, weight)",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "home", Required: true, Usage: "the validator's home directory (holds " + validator.ReportFile + ")"},
					outputFlag,
				},
				Action: validatorReport,
			},
		},
	})
}

func validatorReport(c *cli.Context) error {
	r, err := validator.ReadReport(c.String("home"))
	if err != nil {
		return err
	}
	return render(c, r, func(w io.Writer) error { return r.WriteText(w) })
}
