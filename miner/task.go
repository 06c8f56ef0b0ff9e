package miner

import (
	"context"
	"encoding/hex"
	"fmt"
	"log/slog"

	"github.com/veritensor/veritensor/chain"
	"github.com/veritensor/veritensor/chain/client"
	"github.com/veritensor/veritensor/zk"
)

// NativeProver is the Prover of an honest miner on a proof-less subnet
// (the task's require_proof is false): it runs Model natively and answers
// the class with no proof. It is safe for concurrent use.
type NativeProver struct {
	Model *zk.Model
}

// Prove implements server.Prover without proving.
func (n NativeProver) Prove(ctx context.Context, input []int8, _ uint64) (uint32, []byte, []byte, error) {
	if err := ctx.Err(); err != nil {
		return 0, nil, nil, err
	}
	class, _, err := n.Model.Infer(input)
	return class, nil, nil, err
}

// checkTask reads the subnet's task spec and checks it against the task
// hash the subnet records (client.SubnetSpec) and the subnet's arch, so the
// miner knows what it is asked to compute before it serves.
func checkTask(ctx context.Context, cc *ChainClient, si chain.SubnetInfo, log *slog.Logger) error {
	var ss client.SubnetSpec
	if err := cc.Retry(ctx, func() (err error) { ss, err = cc.Client().SubnetSpec(ctx, si.ID); return err }); err != nil {
		return fmt.Errorf("miner: subnet %d task: %w", si.ID, err)
	}
	if ss.Spec.Model.Arch != si.Task.Arch {
		return fmt.Errorf("miner: subnet %d: task %s is for arch %s, the subnet's is %s", si.ID, ss.Spec.Name, ss.Spec.Model.Arch, si.Task.Arch)
	}
	log.Info("subnet task", "task", ss.Spec.Name, "hash", hex.EncodeToString(ss.Hash[:]), "on_chain", ss.OnChain, "require_proof", ss.RequireProof)
	return nil
}
