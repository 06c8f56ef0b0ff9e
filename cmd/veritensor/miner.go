package main

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/veritensor/veritensor/miner"
	"github.com/veritensor/veritensor/miner/fault"
)

func init() {
	commands = append(commands, &cli.Command{
		Name:  "miner",
		Usage: "run the miner daemon: serve proven MNIST inferences to validators and submit one proof of model per epoch",
		Description: "Settings come from the defaults, then --config (a JSON object or key = value lines whose keys are\n" +
			"these flag names), then the flags given. On start it checks that the hotkey is registered on the subnet\n" +
			"(and names the command that registers it), verifies the subnet's setup ceremony and takes its proving key\n" +
			"from that verification (cached in --ceremony-dir; checked against the chain's pk_hash), serves its endpoint, model commitment and hardware on chain, then answers\n" +
			"validators with a permit and proves every epoch's challenge. Prints a status line when ready and one per\n" +
			"epoch (text, or -o json: one JSON object per line); logs go to stderr. Ctrl-C stops it gracefully.\n" +
			"--behavior other than honest is fault injection for tests and demos, never for production.",
		Flags:  minerFlags(),
		Action: minerRun,
	})
}

// minerFlags are the daemon's flags; every one but config and output is a
// miner.Config key, shown with its default.
func minerFlags() []cli.Flag {
	d := miner.DefaultConfig()
	behaviors := make([]string, len(fault.Behaviors))
	for i, b := range fault.Behaviors {
		behaviors[i] = string(b)
	}
	return []cli.Flag{
		ceremonyCacheFlag,
		&cli.StringFlag{Name: "config", Usage: "config file: a JSON object or key = value lines (keys: the flag names below); flags given override it"},
		outputFlag,
		&cli.StringFlag{Name: "home", Value: d.Home, EnvVars: []string{"VERITENSOR_HOME"}, Usage: "home directory: the keyring in <home>/keys holds the hotkey"},
		&cli.UintFlag{Name: "subnet", Usage: "subnet ID to mine on"},
		&cli.StringFlag{Name: "model", Usage: "quantized model file (.vtm) to serve and prove; its commitment is published on chain"},
		&cli.StringFlag{Name: "listen", Value: d.Listen, Usage: "host:port of the HTTP API (port 0 picks a free one)"},
		&cli.StringFlag{Name: "node", Value: d.Node, EnvVars: []string{"VERITENSOR_NODE"}, Usage: "CometBFT RPC address of a node; several, comma-separated (a,b,c), fail over to the next when one is unreachable"},
		&cli.StringFlag{Name: "chain-id", Usage: "expected chain ID (default: whatever the node says)"},
		&cli.StringFlag{Name: "hotkey", Value: d.Hotkey, Usage: "name of the miner's hotkey in <home>/keys (registered on the subnet, funded for fees)"},
		&cli.StringFlag{Name: "keys-dir", Usage: "proving-key cache directory (default $VERITENSOR_KEYS_DIR or ~/.cache/veritensor/keys)"},
		&cli.IntFlag{Name: "batch", Usage: "batch size served on /v2/infer (1, 4 or 16; 0: none); its batch circuit's proving key must be in --keys-dir; hash-scheme subnets only (refused on a commit-scheme subnet)"},
		&cli.StringFlag{Name: "advertise", Usage: "endpoint URL published on chain (default http://<listen address>, 127.0.0.1 for an unspecified host)"},
		&cli.IntFlag{Name: "workers", Value: d.Workers, Usage: "proofs computed at once"},
		&cli.IntFlag{Name: "queue", Value: d.Queue, Usage: "requests that may wait for a worker (past it: 503)"},
		&cli.DurationFlag{Name: "request-timeout", Value: time.Duration(d.RequestTimeout), Usage: "bound on queue wait plus proving per request (past it: 504)"},
		&cli.DurationFlag{Name: "shutdown-timeout", Value: time.Duration(d.ShutdownTimeout), Usage: "wait at most this long for proofs in flight at shutdown"},
		&cli.DurationFlag{Name: "clock-skew", Value: time.Duration(d.ClockSkew), Usage: "accepted difference between a request's timestamp and this clock"},
		&cli.Int64Flag{Name: "max-body", Value: d.MaxBody, Usage: "largest accepted request body, bytes"},
		&cli.Float64Flag{Name: "rate-limit", Value: d.RateLimit, Usage: "requests per second per validator"},
		&cli.IntFlag{Name: "rate-burst", Value: d.RateBurst, Usage: "burst of requests per validator"},
		&cli.Uint64Flag{Name: "fee", Value: d.Fee, Usage: "fee of each serve and submit-proof transaction, base units"},
		&cli.DurationFlag{Name: "tx-timeout", Value: time.Duration(d.TxTimeout), Usage: "wait at most this long for a transaction's block"},
		&cli.DurationFlag{Name: "refresh", Value: time.Duration(d.Refresh), Usage: "how often the metagraph is read (validator permits; re-serve when the chain differs)"},
		&cli.DurationFlag{Name: "poll", Value: time.Duration(d.Poll), Usage: "how often the current epoch is read"},
		&cli.DurationFlag{Name: "registration-wait", Value: time.Duration(d.RegistrationWait), Usage: "at start-up, wait at most this long for the hotkey's registration to reach the node"},
		&cli.BoolFlag{Name: "gpu", Usage: "prove on the GPU (gnark's ICICLE backend, CUDA device 0); needs a binary built with `make build-gpu`; hash-scheme subnets only (the commit scheme proves on the CPU)"},
		&cli.StringFlag{Name: "behavior", Value: string(d.Behavior), Usage: "TEST/DEMO FAULT INJECTION, not for production: " + strings.Join(behaviors, ", ")},
		&cli.StringFlag{Name: "forge-model", Usage: "behavior forger: the model it proves with instead of --model"},
		&cli.StringFlag{Name: "copy-hotkey", Usage: "behavior copycat: the victim's hotkey (64 hex digits of its public key) its proofs are bound to"},
	}
}

// minerStatus is the line printed once the miner is ready.
type minerStatus struct {
	Event  string `json:"event"`
	Listen string `json:"listen"`
}

func minerRun(c *cli.Context) error {
	if f := c.String("output"); f != "text" && f != "json" {
		return fmt.Errorf("unknown output format %q (want text or json)", f)
	}
	cfg := miner.DefaultConfig()
	if p := c.String("config"); p != "" {
		var err error
		if cfg, err = miner.LoadConfig(p); err != nil {
			return err
		}
	}
	for _, k := range miner.ConfigKeys {
		if c.IsSet(k) {
			if err := cfg.Set(k, fmt.Sprint(c.Value(k))); err != nil {
				return err
			}
		}
	}
	miner.Version = version
	ctx, stop := signal.NotifyContext(c.Context, os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := checkDaemonNode(ctx, cfg.Node, miner.ErrConfig); err != nil {
		return err
	}
	status := func(v any, text string) {
		var err error
		if c.String("output") == "json" {
			err = json.NewEncoder(c.App.Writer).Encode(v)
		} else {
			_, err = io.WriteString(c.App.Writer, text+"\n")
		}
		if err != nil {
			fmt.Fprintln(c.App.ErrWriter, "printing status:", err)
		}
	}
	logger := slog.New(slog.NewTextHandler(c.App.ErrWriter, nil))
	return miner.RunDaemon(ctx, cfg, miner.DaemonHooks{
		Logger:     logger,
		CheckSetup: minerSetupCheck(cfg.Node, c.String("ceremony-dir"), logger),
		OnReady: func(addr string) {
			status(minerStatus{Event: "ready", Listen: addr}, "miner ready on "+addr)
		},
		OnEpoch: func(r miner.EpochResult) {
			text := fmt.Sprintf("epoch %d: %s (%d submit-proof, proving %s)", r.Epoch, r.Outcome, r.Submits, r.ProveDur.Round(time.Millisecond))
			if r.Err != nil {
				text += ": " + r.Err.Error()
			}
			status(r, text)
		},
	})
}
