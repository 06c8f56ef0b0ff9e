package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/veritensor/veritensor/validator"
)

func init() {
	commands = append(commands, &cli.Command{
		Name:  "validator",
		Usage: "challenge miners, verify their proofs, score them and submit weights every tempo",
		Subcommands: []*cli.Command{
			{
				Name:  "run",
				Usage: "run the validator daemon: follow the chain, challenge every serving miner each tempo, commit and reveal weights",
				Description: "Settings come from the defaults, then --config (a JSON object or key = value lines whose keys are\n" +
					"these flag names),\n" +
					"then the flags given. Prints one report per tempo (text, or -o json). Ctrl-C stops it; a restart\n" +
					"resumes from <home>/" + validator.StateFile + " (it still reveals a commit of the previous tempo).",
				Flags:  validatorRunFlags(),
				Action: validatorRun,
			},
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

// validatorRunFlags are the daemon's flags; every one but config and output
// is a validator.DaemonConfig key, shown with its default.
func validatorRunFlags() []cli.Flag {
	d := validator.DefaultDaemonConfig()
	return []cli.Flag{
		ceremonyCacheFlag,
		&cli.StringFlag{Name: "config", Usage: "config file: a JSON object or key = value lines (keys: the flag names below); flags given override it"},
		outputFlag,
		&cli.StringFlag{Name: "home", Value: d.Home, EnvVars: []string{"VERITENSOR_HOME"}, Usage: "home directory: keyring in <home>/keys, validator state (commit salts) and last report"},
		&cli.UintFlag{Name: "subnet", Usage: "subnet ID to validate"},
		&cli.StringFlag{Name: "node", Value: d.Node, EnvVars: []string{"VERITENSOR_NODE"}, Usage: "CometBFT RPC address of a node (its websocket is used for new blocks); several, comma-separated (a,b,c), fail over to the next when one is unreachable"},
		&cli.StringFlag{Name: "hotkey", Value: d.Hotkey, Usage: "name of the validator's hotkey in <home>/keys (registered and staked on the subnet)"},
		&cli.StringFlag{Name: "dataset", Value: d.Dataset, Usage: "held-out labelled data: mnist (784 inputs) or mnist-7x7 (4x4-pooled, 49 inputs)"},
		&cli.StringFlag{Name: "dataset-dir", Usage: "directory of the MNIST files (default: $VERITENSOR_MNIST_DIR, then where 'veritensor data fetch' installs them)"},
		&cli.StringFlag{Name: "metrics-listen", Value: d.MetricsListen, Usage: "host:port of the Prometheus /metrics endpoint (empty: none)"},
		&cli.Uint64Flag{Name: "fee", Value: d.Fee, Usage: "fee of each weight transaction, base units"},
		&cli.DurationFlag{Name: "tx-timeout", Value: time.Duration(d.TxTimeout), Usage: "wait at most this long for a weight transaction's block"},
		&cli.IntFlag{Name: "graded", Value: d.Graded, Usage: "labelled challenges per miner per tempo"},
		&cli.IntFlag{Name: "decoys", Value: d.Decoys, Usage: "unlabelled (random-input) challenges per miner per tempo"},
		&cli.DurationFlag{Name: "request-timeout", Value: time.Duration(d.RequestTimeout), Usage: "bound on one challenge; also the latency that scores 0"},
		&cli.DurationFlag{Name: "latency-target", Value: time.Duration(d.LatencyTarget), Usage: "latency at or under which the latency score is full"},
		&cli.DurationFlag{Name: "miner-timeout", Value: time.Duration(d.MinerTimeout), Usage: "bound on one miner's challenges in a tempo (0: graded+decoys times latency-target, plus one request-timeout)"},
		&cli.IntFlag{Name: "concurrency", Value: d.Concurrency, Usage: "miners challenged at once"},
		&cli.BoolFlag{Name: "allow-loopback-endpoints", Usage: "dial miner endpoints on loopback (a devnet on one machine); refused by default"},
		&cli.BoolFlag{Name: "allow-private-endpoints", Usage: "dial miner endpoints on private and link-local ranges (cloud metadata stays refused)"},
		&cli.DurationFlag{Name: "registration-wait", Value: time.Duration(d.RegistrationWait), Usage: "at start-up, wait at most this long for the hotkey's registration and permit to reach the node"},
		&cli.DurationFlag{Name: "poll", Value: time.Duration(d.Poll), Usage: "how often the chain head is read while the websocket is down"},
		&cli.BoolFlag{Name: "batch", Usage: "send each miner its graded+decoys challenges (1, 4 or 16) in one /v2/infer batch, checked by one batch proof (keys from --keys-dir); hash-scheme subnets only (a commit-scheme subnet's challenges go one by one)"},
		&cli.StringFlag{Name: "keys-dir", Usage: "key cache with the batch circuit's verifying key (default $VERITENSOR_KEYS_DIR, else ~/.cache/veritensor/keys)"},
	}
}

func validatorRun(c *cli.Context) error {
	cfg := validator.DefaultDaemonConfig()
	if p := c.String("config"); p != "" {
		var err error
		if cfg, err = validator.LoadDaemonConfig(p); err != nil {
			return err
		}
	}
	for _, k := range validator.DaemonConfigKeys {
		if c.IsSet(k) {
			if err := cfg.Set(k, fmt.Sprint(c.Value(k))); err != nil {
				return err
			}
		}
	}
	ctx, stop := signal.NotifyContext(c.Context, os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := checkDaemonNode(ctx, cfg.Node, validator.ErrConfig); err != nil {
		return err
	}
	var printErr error
	logger := slog.New(slog.NewTextHandler(c.App.ErrWriter, nil))
	return validator.RunDaemon(ctx, cfg, validator.DaemonHooks{
		Logger:     logger,
		CheckSetup: validatorSetupCheck(cfg.Node, c.String("ceremony-dir"), logger),
		OnReport: func(r *validator.Report) {
			if err := render(c, r, func(w io.Writer) error { return r.WriteText(w) }); err != nil && printErr == nil {
				printErr = err
				fmt.Fprintln(c.App.ErrWriter, "printing the report:", err)
			}
		},
		OnMetrics: func(addr string) { fmt.Fprintf(c.App.ErrWriter, "metrics on http://%s/metrics\n", addr) },
	})
}

func validatorReport(c *cli.Context) error {
	r, err := validator.ReadReport(c.String("home"))
	if err != nil {
		return err
	}
	return render(c, r, func(w io.Writer) error { return r.WriteText(w) })
}
