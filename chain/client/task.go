package client

import (
	"context"
	"encoding/hex"
	"fmt"
	"strconv"

	"github.com/veritensor/veritensor/chain"
	"github.com/veritensor/veritensor/internal/task"
)

// SubnetTask returns the subnet's stored task spec (/task/<id>); subnets
// made by subnet-create (arch only) have none (a not_found TxError).
func (c *Client) SubnetTask(ctx context.Context, id uint16) (chain.TaskInfo, error) {
	var out chain.TaskInfo
	err := c.Query(ctx, "/task/"+strconv.Itoa(int(id)), nil, &out)
	return out, err
}

// SubnetSpec is a subnet's task as miners and validators use it.
type SubnetSpec struct {
	Spec task.Spec
	// Hash is the task hash the subnet records; OnChain is false for a
	// subnet made by subnet-create, whose task is task.ForArch(arch) and
	// Hash that spec's hash.
	Hash    [32]byte
	OnChain bool
	// RequireProof is whether miners must answer with proofs.
	RequireProof bool
	// Subnet is the subnet record the task was read against.
	Subnet chain.SubnetInfo
}

// SubnetSpec reads the subnet and its task spec and checks the spec hashes
// to the task_hash the subnet record holds (task.Verify), so a node cannot
// pass off another task than the one the subnet was created with without
// the subnet record itself lying. A subnet without a stored spec gets the
// built-in task of its arch (task.ForArch) with the subnet's circuit ID (a
// commit-scheme subnet's is its commit circuit's; docs/zk.md, "Proof
// schemes").
func (c *Client) SubnetSpec(ctx context.Context, id uint16) (SubnetSpec, error) {
	sn, err := c.Subnet(ctx, id)
	if err != nil {
		return SubnetSpec{}, err
	}
	if sn.Task.TaskHash == nil {
		s, err := task.ForArch(sn.Task.Arch)
		if err != nil {
			return SubnetSpec{}, fmt.Errorf("subnet %d: %w", id, err)
		}
		s.Model.CircuitID = hex.EncodeToString(sn.Task.CircuitID[:])
		if err := s.Validate(); err != nil {
			return SubnetSpec{}, fmt.Errorf("subnet %d: %w", id, err)
		}
		h, err := s.Hash()
		return SubnetSpec{Spec: s, Hash: h, RequireProof: true, Subnet: sn}, err
	}
	ti, err := c.SubnetTask(ctx, id)
	if err != nil {
		return SubnetSpec{}, err
	}
	s, err := task.Verify(ti.Spec, *sn.Task.TaskHash)
	if err != nil {
		return SubnetSpec{}, fmt.Errorf("subnet %d: %w", id, err)
	}
	if s.RequireProof == sn.Task.Proofless {
		return SubnetSpec{}, fmt.Errorf("subnet %d: the spec says require_proof=%v, the subnet record proofless=%v", id, s.RequireProof, sn.Task.Proofless)
	}
	return SubnetSpec{Spec: s, Hash: *sn.Task.TaskHash, OnChain: true, RequireProof: s.RequireProof, Subnet: sn}, nil
}
