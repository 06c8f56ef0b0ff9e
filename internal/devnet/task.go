package devnet

import (
	"context"
	"encoding/hex"
	"fmt"

	"github.com/veritensor/veritensor/chain"
	"github.com/veritensor/veritensor/chain/client"
	"github.com/veritensor/veritensor/internal/task"
	"github.com/veritensor/veritensor/zk"
)

// The devnet's task (Options.Task): the subnet carries the built-in task
// spec of its arch on chain (subnet-create-task), and the daemons read it
// back, checked against the subnet's task hash.

// applyTask sets o.Arch from o.Task, a built-in task name ("mnist",
// "mnist-7x7", "mnist-cnn").
func (o *Options) applyTask() error {
	if o.Task == "" {
		return nil
	}
	s, err := task.Builtin(o.Task)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrOptions, err)
	}
	if o.Arch != "" && o.Arch != s.Model.Arch {
		return fmt.Errorf("%w: task %s runs arch %s, not %s (give one of --task and --arch)", ErrOptions, o.Task, s.Model.Arch, o.Arch)
	}
	o.Arch = s.Model.Arch
	return nil
}

// heavyArch: an architecture whose proofs take seconds on 2 cores (the
// 784-input MLP and the CNN), against tens of milliseconds for 49-16-10:
// longer tempos, fewer challenges, longer request timeouts.
func heavyArch(arch string) bool {
	a, err := zk.ParseArch(arch)
	return err == nil && a.Inputs() >= 784
}

// subnetSpec is the task spec of a devnet subnet of arch (task.ForArch),
// with require_proof as asked and the circuit of scheme (the chain requires
// the spec's circuit to be the ceremony's), in its canonical encoding.
func subnetSpec(arch string, requireProof bool, scheme zk.Scheme) (task.Spec, []byte, error) {
	s, err := task.ForArch(arch)
	if err != nil {
		return task.Spec{}, nil, err
	}
	a, err := zk.ParseArch(arch)
	if err != nil {
		return task.Spec{}, nil, err
	}
	id := scheme.CircuitID(a)
	s.Model.CircuitID = hex.EncodeToString(id[:])
	if !requireProof {
		s.Name += "-noproof"
		s.Description = "proof-less: " + s.Description
		s.RequireProof = false
	}
	b, err := s.Marshal()
	return s, b, err
}

// createTaskSubnet sends subnet-create-task for arch's task spec under
// scheme.
func createTaskSubnet(ctx context.Context, c *client.Client, name, arch string, requireProof bool, scheme zk.Scheme, ceremony uint32, h chain.Hyperparams) (task.Spec, error) {
	s, b, err := subnetSpec(arch, requireProof, scheme)
	if err != nil {
		return task.Spec{}, err
	}
	if _, err := c.Send(ctx, subnetOwnerKey(), &chain.MsgSubnetCreateTask{Name: name, Task: b, Ceremony: ceremony,
		ScoringRule: chain.ScoringYuma, Hyper: h}, fee); err != nil {
		return task.Spec{}, err
	}
	return s, nil
}

// taskHash is the hex task hash of s.
func taskHash(s task.Spec) string {
	h, _ := s.Hash()
	return hex.EncodeToString(h[:8])
}
