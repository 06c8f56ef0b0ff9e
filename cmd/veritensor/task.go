package main

import (
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/veritensor/veritensor/internal/task"
	"github.com/veritensor/veritensor/zk"
)

func init() {
	commands = append(commands, &cli.Command{
		Name:  "task",
		Usage: "define, inspect and check subnet task specs (canonical JSON, addressed by SHA-256)",
		Subcommands: []*cli.Command{
			{
				Name:      "init",
				Usage:     "write a task spec, starting from a built-in task (" + strings.Join(task.Builtins(), ", ") + ")",
				ArgsUsage: " ",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "from", Value: "mnist-cnn", Usage: "built-in task to start from"},
					&cli.StringFlag{Name: "name", Usage: "task name (default: the built-in's)"},
					&cli.StringFlag{Name: "description", Usage: "one line for humans"},
					&cli.StringFlag{Name: "arch", Usage: "model architecture (default: the built-in's), e.g. 28x28-c8k5-mp2-c16k5-mp2-10"},
					&cli.BoolFlag{Name: "no-proof", Usage: "require_proof=false: miners answer without proofs (see docs/create-a-subnet.md)"},
					&cli.StringFlag{Name: "out", Value: "task.json", Usage: "output spec file ('-' for stdout)"},
					outputFlag,
				},
				Action: taskInit,
			},
			{
				Name:      "inspect",
				Usage:     "print a task spec's fields and content hash: of a file, or of a subnet's task on chain (--subnet N --node URL, checked against the subnet's task hash)",
				ArgsUsage: "SPEC.json | --subnet N",
				Flags: []cli.Flag{outputFlag,
					&cli.IntFlag{Name: "subnet", Value: -1, Usage: "read the task of this subnet from --node (instead of a file)"},
					nodeFlag, timeoutFlag},
				Action: taskInspect,
			},
			{
				Name:      "validate",
				Usage:     "check a task spec (fields, architecture, circuit ID, canonical encoding); exit status 1 on a bad spec",
				ArgsUsage: "SPEC.json",
				Flags:     []cli.Flag{outputFlag},
				Action:    taskValidate,
			},
		},
	})
}

type taskResult struct {
	File string `json:"file,omitempty"`
	// Subnet and OnChain: the task was read from a subnet (OnChain false:
	// the subnet predates task specs and runs the built-in task of its arch).
	Subnet    *int      `json:"subnet,omitempty"`
	OnChain   bool      `json:"on_chain,omitempty"`
	Hash      string    `json:"hash"`
	Canonical bool      `json:"canonical"`
	Spec      task.Spec `json:"spec"`
}

func taskInit(c *cli.Context) error {
	if c.NArg() > 0 {
		return fmt.Errorf("task init takes no arguments, got %q", c.Args().First())
	}
	s, err := task.Builtin(c.String("from"))
	if err != nil {
		return err
	}
	if n := c.String("name"); n != "" {
		s.Name = n
	}
	if d := c.String("description"); d != "" {
		s.Description = d
	}
	if a := c.String("arch"); a != "" {
		arch, err := zk.ParseArch(a)
		if err != nil {
			return err
		}
		id := arch.CircuitID()
		s.Model = task.Model{Arch: arch.String(), CircuitID: hex.EncodeToString(id[:])}
	}
	if c.Bool("no-proof") {
		s.RequireProof = false
	}
	b, err := s.Marshal()
	if err != nil {
		return err
	}
	h, _ := s.Hash()
	out := c.String("out")
	if out == "-" {
		_, err := c.App.Writer.Write(b)
		return err
	}
	if err := os.WriteFile(out, b, 0o644); err != nil {
		return err
	}
	res := taskResult{File: out, Hash: hex.EncodeToString(h[:]), Canonical: true, Spec: s}
	return render(c, res, func(w io.Writer) error {
		_, err := fmt.Fprintf(w, "wrote %s (task %s, arch %s)\nhash: %s\n", out, s.Name, s.Model.Arch, res.Hash)
		return err
	})
}

func readSpec(c *cli.Context) (taskResult, error) {
	if c.NArg() != 1 {
		return taskResult{}, fmt.Errorf("want one argument, the spec file (got %d)", c.NArg())
	}
	path := c.Args().First()
	b, err := os.ReadFile(path)
	if err != nil {
		return taskResult{}, err
	}
	s, canonical, err := task.Parse(b)
	if err != nil {
		return taskResult{}, fmt.Errorf("%s: %w", path, err)
	}
	h, _ := s.Hash()
	return taskResult{File: path, Hash: hex.EncodeToString(h[:]), Canonical: canonical, Spec: s}, nil
}

func taskInspect(c *cli.Context) error {
	read := readSpec
	if c.IsSet("subnet") {
		read = readSubnetSpec
	}
	res, err := read(c)
	if err != nil {
		return err
	}
	s := res.Spec
	return render(c, res, func(w io.Writer) error {
		_, err := fmt.Fprintf(w, "task:          %s\ndescription:   %s\nhash:          %s\ninput:         %s, preprocessing %s, shape %v, quantized %s\nlabels:        %d classes\nheld-out data: %s (%s split)\narch:          %s\ncircuit id:    %s\nmetric:        %s\nrequire proof: %v\ncanonical:     %v\n%s",
			s.Name, s.Description, res.Hash, s.Input.Source, s.Input.Preprocess, s.Input.Shape, s.Input.Quantize,
			s.Labels.Classes, s.Dataset.Format, s.Dataset.Split, s.Model.Arch, s.Model.CircuitID, s.Metric, s.RequireProof, res.Canonical, subnetLine(res))
		return err
	})
}

func subnetLine(res taskResult) string {
	switch {
	case res.Subnet == nil:
		return ""
	case res.OnChain:
		return fmt.Sprintf("subnet:        %d (spec on chain, hash checked against the subnet's task_hash)\n", *res.Subnet)
	}
	return fmt.Sprintf("subnet:        %d (created with subnet-create, no spec on chain: the built-in task of its arch)\n", *res.Subnet)
}

// readSubnetSpec reads the task of --subnet from --node
// (client.SubnetSpec: the spec's hash is checked against the subnet's).
func readSubnetSpec(c *cli.Context) (taskResult, error) {
	if c.NArg() != 0 {
		return taskResult{}, fmt.Errorf("--subnet reads the task from the chain: give no spec file (got %q)", c.Args().First())
	}
	id := c.Int("subnet")
	if id < 0 || id > 0xffff {
		return taskResult{}, fmt.Errorf("--subnet %d: want 0..65535", id)
	}
	cl, ctx, cancel, err := dial(c)
	if err != nil {
		return taskResult{}, err
	}
	defer cancel()
	ss, err := cl.SubnetSpec(ctx, uint16(id))
	if err != nil {
		return taskResult{}, err
	}
	return taskResult{Subnet: &id, OnChain: ss.OnChain, Hash: hex.EncodeToString(ss.Hash[:]), Canonical: true, Spec: ss.Spec}, nil
}

func taskValidate(c *cli.Context) error {
	res, err := readSpec(c)
	if err != nil {
		return err
	}
	return render(c, res, func(w io.Writer) error {
		note := ""
		if !res.Canonical {
			note = " (not byte-for-byte canonical: the hash is of the canonical re-encoding; 'veritensor task init' writes canonical files)"
		}
		_, err := fmt.Fprintf(w, "%s: valid task %s%s\nhash: %s\n", res.File, res.Spec.Name, note, res.Hash)
		return err
	})
}
