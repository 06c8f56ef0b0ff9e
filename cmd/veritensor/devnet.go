package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/urfave/cli/v2"

	"github.com/veritensor/veritensor/internal/devnet"
	"github.com/veritensor/veritensor/zk"
)

func init() {
	var defaults []string
	for _, b := range devnet.DefaultBehaviors {
		defaults = append(defaults, string(b))
	}
	commands = append(commands, &cli.Command{
		Name:  "devnet",
		Usage: "run a whole subnet on this machine (validator nodes, scoring validators, honest and cheating miners) and print who earned what",
		Description: "Starts --validators CometBFT nodes on loopback, creates a subnet that requires proofs and uses\n" +
			"commit-reveal, registers 2 scoring validators and the miners (one per --behaviors entry), runs\n" +
			"the daemons until --epochs epochs have paid miners, then stops everything and prints a table.\n" +
			"Progress goes to stderr, the result to stdout. Ctrl-C stops every daemon and node. A second run\n" +
			"with the same --home restarts the nodes on fresh ports and reuses the subnet and registrations.",
		Flags: []cli.Flag{
			&cli.IntFlag{Name: "validators", Value: 4, Usage: "CometBFT validator nodes (a new devnet only)"},
			&cli.IntFlag{Name: "miners", Usage: "number of miners: the first N of --behaviors, repeating it when N is larger (0: one per entry)"},
			&cli.StringFlag{Name: "behaviors", Value: strings.Join(defaults, ","),
				Usage: "miner behaviours, comma-separated: honest (good model), weak (honest, weaker model), lazy (random answers, no proofs), " +
					"forger (proofs from other weights), copycat (another miner's proofs), offline (registers, then stops answering)"},
			&cli.IntFlag{Name: "epochs", Value: 3, Usage: "epochs that must pay miners from revealed weights before the devnet stops"},
			&cli.Uint64Flag{Name: "tempo", Usage: "subnet epoch length in blocks (0: 300 for the CNN, 100 for 784-64-10, 30 for small architectures, 20 with --batch; a new devnet only)"},
			&cli.StringFlag{Name: "arch", Value: "784-64-10", Usage: "model architecture; 49-16-10 runs on 7x7-pooled MNIST with fast proofs (a new devnet only)"},
			&cli.StringFlag{Name: "task", Usage: "built-in task (mnist, mnist-7x7, mnist-cnn) whose arch the subnet runs, instead of --arch; mnist-cnn is the LeNet-style CNN (a new devnet only; its ceremony is long, see docs/benchmarks.md)"},
			&cli.BoolFlag{Name: "proofless-subnet", Usage: "also run a proof-less subnet (task require_proof=false: no ceremony, answers without proofs, graded on outputs only) next to the proven one, with an honest, a weak and a lazy miner (a new devnet only)"},
			&cli.DurationFlag{Name: "block-time", Usage: "the nodes' timeout_commit (0: 500ms; a new devnet only)"},
			&cli.IntFlag{Name: "graded", Usage: "graded challenges per miner per tempo from each validator (0 with --decoys 0: 2 and 0 for 784-64-10, 6 and 1 otherwise, 14 and 2 for small architectures with --scheme commit, as many as --batch 16 carries)"},
			&cli.IntFlag{Name: "decoys", Usage: "decoy challenges per miner per tempo from each validator"},
			&cli.IntFlag{Name: "batch", Usage: "batch size (4 or 16; 0: single proofs): the ceremony also sets up the batch circuit, miners serve /v2/infer and each validator sends each miner one batch of graded+decoys (default 3+1 or 14+2) challenges per tempo, checked by one batch proof; the chain's epoch proofs stay single (a new devnet only; make demo DEMO_SCHEME=hash uses 16)"},
			&cli.StringFlag{Name: "scheme", Value: "hash", Usage: "the proven subnet's proof scheme: hash (the model's Poseidon2 hash in every proof; batches possible) or commit (the model point, the proof's own Pedersen commitment: ~6.6x cheaper single proofs, a smaller ceremony: 2^16 instead of 2^18 at 784-64-10; single proofs only, so --batch 0; make demo uses commit) (a new devnet only)"},
			&cli.StringFlag{Name: "home", Usage: "devnet directory, kept for a later run (default: a new temporary directory, removed at the end)"},
			&cli.StringFlag{Name: "keys-dir", Usage: "Groth16 key cache (default $VERITENSOR_KEYS_DIR, then ~/.cache/veritensor/keys)"},
			mnistDirFlag,
			&cli.DurationFlag{Name: "timeout", Usage: "give up when the epochs have not paid within this time after setup (0: 30m)"},
			&cli.BoolFlag{Name: "verbose", Aliases: []string{"v"}, Usage: "also print the daemons' log lines"},
			&cli.BoolFlag{Name: "explorer", Value: true, Usage: "serve the web explorer while the devnet runs and print its URL (--explorer=false: don't)"},
			&cli.StringFlag{Name: "explorer-listen", Value: "127.0.0.1:0", Usage: "the explorer's listen address (port 0: any free port)"},
			outputFlag,
		},
		Action: devnetRun,
	})
}

func devnetRun(c *cli.Context) error {
	bs, err := devnet.ParseBehaviors(c.String("behaviors"))
	if err != nil {
		return err
	}
	if n := c.Int("miners"); n > 0 {
		all := bs
		bs = nil
		for i := range n {
			bs = append(bs, all[i%len(all)])
		}
	}
	home := c.String("home")
	if home == "" {
		tmp, err := os.MkdirTemp("", "veritensor-devnet-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		home = tmp
	} else if home, err = filepath.Abs(home); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(c.Context, os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		stop() // a second Ctrl-C kills the process at once
	}()
	explorerListen := ""
	if c.Bool("explorer") {
		explorerListen = c.String("explorer-listen")
	}
	scheme, err := zk.ParseScheme(c.String("scheme"))
	if err != nil {
		return fmt.Errorf("--scheme: %w", err)
	}
	arch := c.String("arch")
	if c.IsSet("task") && !c.IsSet("arch") {
		arch = "" // the task's
	}
	res, err := devnet.Run(ctx, devnet.Options{
		Home: home, Nodes: c.Int("validators"), Behaviors: bs, Epochs: c.Int("epochs"), Tempo: c.Uint64("tempo"),
		Arch: arch, Task: c.String("task"), ProoflessSubnet: c.Bool("proofless-subnet"), BlockTime: c.Duration("block-time"), Graded: c.Int("graded"), Decoys: c.Int("decoys"), Batch: c.Int("batch"),
		Scheme: scheme, KeysDir: c.String("keys-dir"), MNISTDir: c.String("mnist-dir"), Timeout: c.Duration("timeout"), Verbose: c.Bool("verbose"),
		Explorer: explorerListen,
	}, c.App.ErrWriter)
	if errors.Is(err, context.Canceled) {
		return fmt.Errorf("interrupted: every daemon and node stopped (state kept in %s)", home)
	}
	if res == nil {
		return err
	}
	if rerr := render(c, res, res.WriteText); rerr != nil {
		return rerr
	}
	return err
}
