package main

import (
	"fmt"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/veritensor/veritensor/chain"
	"github.com/veritensor/veritensor/internal/task"
)

// subnetCreateTask sends subnet-create-task with the --task spec file, which
// must be valid and canonical (veritensor task init writes it so). For a
// proof-less task the ceremony is 0 and require_proof defaults to false.
func subnetCreateTask(c *cli.Context, dataset chain.Hash32) error {
	if c.IsSet("arch") {
		return fmt.Errorf("--arch and --task: the task spec names the arch")
	}
	path := c.String("task")
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	s, canonical, err := task.Parse(b)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if !canonical {
		return fmt.Errorf("%s: not the canonical encoding; the chain stores it byte for byte: rewrite it with 'veritensor task init' or 'task validate'", path)
	}
	h := hyperFromFlags(c, chain.DefaultHyperparams(), true)
	if !s.RequireProof {
		if c.IsSet("ceremony") {
			return fmt.Errorf("task %s is proof-less (require_proof=false): it names no ceremony", s.Name)
		}
		if !c.IsSet("require-proof") {
			h.RequireProof = false
		}
	} else if !c.IsSet("ceremony") {
		return fmt.Errorf("task %s requires proofs: --ceremony (the sealed phase-2 ceremony of %s) is required", s.Name, s.Model.Arch)
	}
	return sendMsg(c, &chain.MsgSubnetCreateTask{Name: c.String("name"), Task: b, Ceremony: uint32(c.Uint("ceremony")),
		DatasetCommitment: dataset, ScoringRule: c.String("scoring-rule"), Hyper: h})
}
