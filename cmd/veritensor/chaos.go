package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/veritensor/veritensor/internal/chaos"
)

func init() {
	commands = append(commands, &cli.Command{
		Name:  "chaos",
		Usage: "fault-injection run: N node processes behind fault proxies, a transfer load, a seeded schedule of faults, checks after each",
		Description: "Starts --nodes `veritensor start` processes of this binary on loopback, routes every p2p link through an\n" +
			"in-process toxiproxy, sends signed transfers continuously and applies faults drawn with --seed until --duration\n" +
			"has passed: " + strings.Join(chaos.AllFaults, ", ") + ".\n" +
			"After each fault and at the end it checks that every node has the same block and app hash at every common\n" +
			"height, heights progress within --recovery-bound, every acknowledged transfer is on every node with the same\n" +
			"result, supply = genesis + minted - burned, and no node panicked or exited by itself. disk-full mounts a tmpfs\n" +
			"(root on Linux) and is skipped with a note elsewhere. Exit status 1 when a check failed; see docs/reliability.md.",
		Flags: []cli.Flag{
			&cli.IntFlag{Name: "nodes", Value: 4, Usage: "validator node processes"},
			&cli.Int64Flag{Name: "seed", Value: 1, Usage: "schedule seed: which faults, on which nodes, for how long"},
			&cli.DurationFlag{Name: "duration", Value: 5 * time.Minute, Usage: "how long faults are applied, after the baseline (the fault in progress finishes)"},
			&cli.StringFlag{Name: "faults", Usage: "comma-separated faults to draw from (default: all)"},
			&cli.DurationFlag{Name: "hold", Usage: "mean time a fault is held before it heals (0: 6s)"},
			&cli.DurationFlag{Name: "baseline", Usage: "fault-free load period measured first (0: 15s)"},
			&cli.DurationFlag{Name: "block-time", Usage: "the nodes' timeout_commit (0: 500ms)"},
			&cli.DurationFlag{Name: "timeout-propose", Usage: "the nodes' timeout_propose: how long a height waits for a proposer that is down (0: node default, 3s)"},
			&cli.DurationFlag{Name: "recovery-bound", Usage: "longest stall of any node's height after a heal before the check fails (0: 60s)"},
			&cli.IntFlag{Name: "senders", Usage: "load accounts (0: 128)"},
			&cli.Float64Flag{Name: "rate", Usage: "offered load, transfers per second, open-loop (0: 1000)"},
			&cli.IntFlag{Name: "depth", Usage: "transfers each sender keeps in flight, consecutive nonces (0: 32)"},
			&cli.Int64Flag{Name: "disk-mib", Usage: "size of the tmpfs holding the disk-full node's home, MiB; it must hold all that node writes in the run (0: 512 + 96 per minute of --duration at 1000 tx/s, more for a higher --rate)"},
			&cli.StringFlag{Name: "dir", Usage: "directory for the homes, logs and report.json, kept (default: a temporary one, removed after a passing run)"},
			&cli.BoolFlag{Name: "subnet", Usage: "the subnet-level schedule instead: the devnet (4 nodes, miner and validator daemons) fault-free, then with a validator daemon stopped between commit and reveal, an honest miner stopped mid-proof and the node under a validator daemon stopped; payouts compared (uses --seed, --dir, --epochs, --arch)"},
			&cli.IntFlag{Name: "epochs", Usage: "--subnet: paying epochs per devnet run (0: 5)"},
			&cli.StringFlag{Name: "arch", Usage: "--subnet: the subnet's model architecture (default 49-16-10)"},
			&cli.StringFlag{Name: "keys-dir", Usage: "--subnet: Groth16 key cache (default $VERITENSOR_KEYS_DIR, then ~/.cache/veritensor/keys)"},
			&cli.BoolFlag{Name: "verbose", Aliases: []string{"v"}, Usage: "print progress lines to stderr"},
			outputFlag,
		},
		Action: runChaos,
	})
}

func runChaos(c *cli.Context) error {
	if c.NArg() > 0 {
		return fmt.Errorf("chaos takes no arguments, got %q", c.Args().First())
	}
	if c.Bool("subnet") {
		return runChaosSubnet(c)
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	o := chaos.Options{
		Nodes: c.Int("nodes"), Seed: c.Int64("seed"), Duration: c.Duration("duration"),
		Hold: c.Duration("hold"), Baseline: c.Duration("baseline"), BlockTime: c.Duration("block-time"),
		TimeoutPropose: c.Duration("timeout-propose"),
		RecoveryBound:  c.Duration("recovery-bound"), Senders: c.Int("senders"), Rate: c.Float64("rate"), Depth: c.Int("depth"), DiskSize: c.Int64("disk-mib") << 20, Dir: c.String("dir"),
		NodeCommand: func(home string) *exec.Cmd { return exec.Command(exe, "start", "--home", home) },
	}
	if f := c.String("faults"); f != "" {
		for _, s := range strings.Split(f, ",") {
			o.Faults = append(o.Faults, strings.TrimSpace(s))
		}
	}
	if c.Bool("verbose") {
		o.Log = c.App.ErrWriter
	}
	if o.Log == nil && c.String("output") != "json" {
		o.Log = c.App.ErrWriter
	}
	// Ctrl-C stops the run early; the nodes are stopped and the table of
	// what ran is printed.
	ctx, stop := signal.NotifyContext(c.Context, os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := chaos.Run(ctx, o)
	if err != nil {
		return err
	}
	if d := c.String("dir"); d != "" { // keep the JSON next to the logs
		if b, err := json.MarshalIndent(rep, "", "  "); err == nil {
			_ = os.WriteFile(filepath.Join(d, "report.json"), append(b, '\n'), 0o644)
		}
	}
	if err := render(c, rep, func(w io.Writer) error { return rep.WriteText(w) }); err != nil {
		return err
	}
	if !rep.Pass {
		return cli.Exit("", 1)
	}
	return nil
}

func runChaosSubnet(c *cli.Context) error {
	o := chaos.SubnetOptions{Seed: c.Int64("seed"), Arch: c.String("arch"), Epochs: c.Int("epochs"),
		Dir: c.String("dir"), KeysDir: c.String("keys-dir")}
	if c.Bool("verbose") || c.String("output") != "json" {
		o.Log = c.App.ErrWriter
	}
	ctx, stop := signal.NotifyContext(c.Context, os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := chaos.RunSubnet(ctx, o)
	if err != nil {
		return err
	}
	if d := c.String("dir"); d != "" {
		if b, err := json.MarshalIndent(rep, "", "  "); err == nil {
			_ = os.WriteFile(filepath.Join(d, "report.json"), append(b, '\n'), 0o644)
		}
	}
	if err := render(c, rep, func(w io.Writer) error { return rep.WriteText(w) }); err != nil {
		return err
	}
	if !rep.Pass {
		return cli.Exit("", 1)
	}
	return nil
}
