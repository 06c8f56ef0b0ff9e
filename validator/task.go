package validator

import (
	"context"
	"encoding/hex"
	"fmt"
	"log/slog"
	"slices"

	"github.com/veritensor/veritensor/chain/client"
	"github.com/veritensor/veritensor/internal/task"
)

// CheckTask reads the subnet's task spec from the chain, checked against
// the task hash the subnet records (client.SubnetSpec), and checks that the
// held-out data set the validator loaded (dataset: a built-in task name,
// DaemonConfig.Dataset) gives the inputs and labels that task grades: same
// source, preprocessing, shape, classes and held-out format.
func (cc *ChainClient) CheckTask(ctx context.Context, dataset string, log *slog.Logger) error {
	var ss client.SubnetSpec
	if err := cc.Retry(ctx, func() (err error) { ss, err = cc.Client().SubnetSpec(ctx, cc.SubnetID()); return err }); err != nil {
		return fmt.Errorf("validator: subnet %d task: %w", cc.SubnetID(), err)
	}
	have, err := task.Resolve(dataset)
	if err != nil {
		return err
	}
	want := ss.Spec
	if have.Input.Source != want.Input.Source || have.Input.Preprocess != want.Input.Preprocess ||
		!slices.Equal(have.Input.Shape, want.Input.Shape) || have.Labels.Classes != want.Labels.Classes ||
		have.Dataset != want.Dataset {
		hint := ""
		if fit, err := task.ForArch(want.Model.Arch); err == nil {
			hint = fmt.Sprintf(" (use --dataset %s)", fit.Name)
		}
		return fmt.Errorf("%w: dataset %s (%s, %s, shape %v) does not fit subnet %d's task %s (%s, %s, shape %v)%s",
			ErrNotReady, dataset, have.Input.Source, have.Input.Preprocess, have.Input.Shape,
			cc.SubnetID(), want.Name, want.Input.Source, want.Input.Preprocess, want.Input.Shape, hint)
	}
	log.Info("subnet task", "task", want.Name, "hash", hex.EncodeToString(ss.Hash[:]), "on_chain", ss.OnChain, "require_proof", ss.RequireProof)
	return nil
}
