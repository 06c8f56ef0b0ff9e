package client

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/veritensor/veritensor/chain"
	"github.com/veritensor/veritensor/scoring"
	"github.com/veritensor/veritensor/zk"
)

// Typed queries of the subnet protocol (ABCI paths in docs/protocol.md).

// Subnets returns every subnet and the burn of the next subnet-create.
func (c *Client) Subnets(ctx context.Context) (chain.SubnetsInfo, error) {
	var out chain.SubnetsInfo
	err := c.Query(ctx, "/subnets", nil, &out)
	return out, err
}

// Subnet returns one subnet with its verifying key.
func (c *Client) Subnet(ctx context.Context, id uint16) (chain.SubnetInfo, error) {
	var out chain.SubnetInfo
	err := c.Query(ctx, "/subnet/"+strconv.Itoa(int(id)), nil, &out)
	return out, err
}

// Metagraph returns the subnet, its epoch and every UID in one round trip.
func (c *Client) Metagraph(ctx context.Context, id uint16) (chain.Metagraph, error) {
	var out chain.Metagraph
	err := c.Query(ctx, "/metagraph/"+strconv.Itoa(int(id)), nil, &out)
	return out, err
}

// Neuron returns one UID of a subnet.
func (c *Client) Neuron(ctx context.Context, id, uid uint16) (chain.NeuronInfo, error) {
	var out chain.NeuronInfo
	err := c.Query(ctx, fmt.Sprintf("/neuron/%d/%d", id, uid), nil, &out)
	return out, err
}

// NeuronByHotkey returns the UID that hotkey holds on a subnet
// (chain.ErrNeuronNotFound when it holds none).
func (c *Client) NeuronByHotkey(ctx context.Context, id uint16, hotkey chain.Address) (chain.NeuronInfo, error) {
	var out chain.NeuronInfo
	err := c.Query(ctx, fmt.Sprintf("/neuron/%d/%s", id, hotkey), nil, &out)
	return out, err
}

// Epoch returns a subnet's current epoch: number, seed, start height and the
// height at which the next epoch starts.
func (c *Client) Epoch(ctx context.Context, id uint16) (chain.EpochInfo, error) {
	var out chain.EpochInfo
	err := c.Query(ctx, "/epoch/"+strconv.Itoa(int(id)), nil, &out)
	return out, err
}

// Weights returns a subnet's stored weight rows and pending commits.
func (c *Client) Weights(ctx context.Context, id uint16) (chain.WeightsInfo, error) {
	var out chain.WeightsInfo
	err := c.Query(ctx, "/weights/"+strconv.Itoa(int(id)), nil, &out)
	return out, err
}

// Emissions returns the outcome of a subnet's last epoch
// (chain.ErrNotFound before the first).
func (c *Client) Emissions(ctx context.Context, id uint16) (chain.EpochRecord, error) {
	var out chain.EpochRecord
	err := c.Query(ctx, "/emissions/"+strconv.Itoa(int(id)), nil, &out)
	return out, err
}

// Stake returns the delegations to hotkey on a subnet.
func (c *Client) Stake(ctx context.Context, id uint16, hotkey chain.Address) (chain.StakeInfo, error) {
	var out chain.StakeInfo
	err := c.Query(ctx, fmt.Sprintf("/stake/%d/%s", id, hotkey), nil, &out)
	return out, err
}

// Tokenomics returns supply, fee pool, total stake, minted and burned.
func (c *Client) Tokenomics(ctx context.Context) (chain.Tokenomics, error) {
	var out chain.Tokenomics
	err := c.Query(ctx, "/tokenomics", nil, &out)
	return out, err
}

// Transactions of the subnet protocol. Each signs with the key the protocol
// requires (owner or hotkey, see docs/protocol.md), broadcasts, and waits for
// the commit like Send.

// CreateSubnet sends subnet-create signed by the owner.
func (c *Client) CreateSubnet(ctx context.Context, owner ed25519.PrivateKey, m *chain.MsgSubnetCreate, fee uint64) (*TxInfo, error) {
	return c.Send(ctx, owner, m, fee)
}

// UpdateSubnet sends subnet-update signed by the owner.
func (c *Client) UpdateSubnet(ctx context.Context, owner ed25519.PrivateKey, id uint16, h chain.Hyperparams, fee uint64) (*TxInfo, error) {
	return c.Send(ctx, owner, &chain.MsgSubnetUpdate{Subnet: id, Hyper: h}, fee)
}

// Register registers hotkey on subnet id; owner signs and pays the burn, the
// hotkey signs the binding.
func (c *Client) Register(ctx context.Context, owner, hotkey ed25519.PrivateKey, id uint16, fee uint64) (*TxInfo, error) {
	chainID, err := c.ChainID(ctx)
	if err != nil {
		return nil, err
	}
	ownerAddr := chain.AddressFromPubKey(owner.Public().(ed25519.PublicKey))
	return c.Send(ctx, owner, chain.NewMsgRegister(chainID, id, ownerAddr, hotkey), fee)
}

// Serve publishes endpoint, model commitment and hardware; hotkey signs.
func (c *Client) Serve(ctx context.Context, hotkey ed25519.PrivateKey, id uint16, endpoint string, model chain.Hash32, hardware string, fee uint64) (*TxInfo, error) {
	return c.Send(ctx, hotkey, &chain.MsgServe{Subnet: id, Endpoint: endpoint, ModelCommitment: model, Hardware: hardware}, fee)
}

// AddStake delegates amount from owner's balance to hotkey on subnet id.
func (c *Client) AddStake(ctx context.Context, owner ed25519.PrivateKey, id uint16, hotkey chain.Address, amount, fee uint64) (*TxInfo, error) {
	return c.Send(ctx, owner, &chain.MsgStake{Subnet: id, Hotkey: hotkey, Amount: amount}, fee)
}

// RemoveStake returns amount of owner's delegation to hotkey to its balance.
func (c *Client) RemoveStake(ctx context.Context, owner ed25519.PrivateKey, id uint16, hotkey chain.Address, amount, fee uint64) (*TxInfo, error) {
	return c.Send(ctx, owner, &chain.MsgUnstake{Subnet: id, Hotkey: hotkey, Amount: amount}, fee)
}

// SetWeights sets hotkey's weights (subnets without commit-reveal).
func (c *Client) SetWeights(ctx context.Context, hotkey ed25519.PrivateKey, id uint16, w []scoring.Weight, fee uint64) (*TxInfo, error) {
	return c.Send(ctx, hotkey, &chain.MsgSetWeights{Subnet: id, Weights: w}, fee)
}

// PendingReveal is what a validator keeps between commit-weights and
// reveal-weights.
type PendingReveal struct {
	Subnet uint16 `json:"subnet"`
	Epoch  uint64 `json:"epoch"`
	// RevealEpoch is the epoch the commit is revealed in (Epoch plus the
	// subnet's reveal delay; Epoch+1 when zero, as before the delay existed).
	RevealEpoch uint64           `json:"reveal_epoch,omitempty"`
	Weights     []scoring.Weight `json:"weights"`
	Salt        []byte           `json:"salt"`
	Hash        chain.Hash32     `json:"hash"`
}

// CommitWeights commits to w for the subnet's current epoch with a fresh
// random 32-byte salt, and returns what RevealWeights needs next epoch.
func (c *Client) CommitWeights(ctx context.Context, hotkey ed25519.PrivateKey, id uint16, w []scoring.Weight, fee uint64) (*PendingReveal, *TxInfo, error) {
	chainID, err := c.ChainID(ctx)
	if err != nil {
		return nil, nil, err
	}
	ep, err := c.Epoch(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	salt := make([]byte, 32)
	if _, err := rand.Read(salt); err != nil {
		return nil, nil, err
	}
	hk := chain.AddressFromPubKey(hotkey.Public().(ed25519.PublicKey))
	pr := &PendingReveal{Subnet: id, Epoch: ep.Epoch, RevealEpoch: ep.Epoch + max(ep.RevealDelay, 1), Weights: w, Salt: salt,
		Hash: chain.WeightsCommitHash(chainID, id, hk, ep.Epoch, w, salt)}
	info, err := c.sendInEpoch(ctx, hotkey, &chain.MsgCommitWeights{Subnet: id, Hash: pr.Hash}, fee, id, ep.Epoch)
	if err != nil {
		return nil, info, err
	}
	// The epoch may have turned between the query and the commit: the hash
	// binds the queried epoch, so such a commit can never be revealed.
	if wi, qerr := c.Weights(ctx, id); qerr == nil {
		for _, cm := range wi.Commits {
			if cm.Hash == pr.Hash && cm.Epoch != pr.Epoch {
				return nil, info, fmt.Errorf("%w: commit landed in epoch %d, built for %d: commit again",
					chain.ErrRevealWindow, cm.Epoch, pr.Epoch)
			}
		}
	}
	return pr, info, nil
}

// RevealWeights reveals a commit in its reveal epoch.
func (c *Client) RevealWeights(ctx context.Context, hotkey ed25519.PrivateKey, pr *PendingReveal, fee uint64) (*TxInfo, error) {
	at := pr.RevealEpoch
	if at == 0 {
		at = pr.Epoch + 1
	}
	return c.sendInEpoch(ctx, hotkey, &chain.MsgRevealWeights{Subnet: pr.Subnet, Weights: pr.Weights, Salt: pr.Salt}, fee, pr.Subnet, at)
}

// SubmitProof sends a proof of model for epoch; hotkey signs.
func (c *Client) SubmitProof(ctx context.Context, hotkey ed25519.PrivateKey, id uint16, epoch uint64, output uint32, proof []byte, fee uint64) (*TxInfo, error) {
	return c.sendInEpoch(ctx, hotkey, &chain.MsgSubmitProof{Subnet: id, Epoch: epoch, Output: output, Proof: proof}, fee, id, epoch)
}

// sendInEpoch is Send for a transaction only valid in one epoch of subnet
// id. A transaction the mempool accepted just before the epoch turned fails
// when the next block re-checks it and is dropped without ever being
// committed; instead of waiting for it forever, sendInEpoch gives up with
// chain.ErrRevealWindow (commit and reveal) or chain.ErrProofEpoch (proofs)
// once the epoch is over and the transaction is not in a block.
func (c *Client) sendInEpoch(ctx context.Context, priv ed25519.PrivateKey, msg chain.Msg, fee uint64, id uint16, epoch uint64) (*TxInfo, error) {
	hash, err := c.SendAsync(ctx, priv, msg, fee)
	if err != nil {
		return nil, err
	}
	for {
		info, err := c.Tx(ctx, hash)
		if err == nil {
			if info.Code != 0 {
				return info, &chain.TxError{Code: info.Code, Log: info.Log}
			}
			return info, nil
		}
		if !errors.Is(err, chain.ErrNotFound) {
			return nil, err
		}
		if ep, qerr := c.Epoch(ctx, id); qerr == nil && ep.Epoch > epoch {
			if info, err := c.Tx(ctx, hash); err == nil { // landed in the epoch's last block
				if info.Code != 0 {
					return info, &chain.TxError{Code: info.Code, Log: info.Log}
				}
				return info, nil
			}
			sentinel := chain.ErrRevealWindow
			if msg.Type() == chain.TxSubmitProof {
				sentinel = chain.ErrProofEpoch
			}
			return nil, fmt.Errorf("%w: epoch %d of subnet %d ended before tx %X was included", sentinel, epoch, id, hash)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("waiting for tx %X: %w", hash, ctx.Err())
		case <-time.After(c.PollInterval):
		}
	}
}

// Challenge returns what a miner proves this epoch: the subnet's epoch info,
// the UID that hotkey holds, and the challenge input the chain derives from
// the epoch seed and that UID (zk.ChallengeInput of the task's input size).
// The proof must bind zk.Binding{HotkeyHash: zk.HotkeyHash(hotkey pubkey),
// Epoch: info.Epoch}.
func (c *Client) Challenge(ctx context.Context, id uint16, hotkey chain.Address) (info chain.EpochInfo, uid uint16, x []int8, err error) {
	if info, err = c.Epoch(ctx, id); err != nil {
		return info, 0, nil, err
	}
	n, err := c.NeuronByHotkey(ctx, id, hotkey)
	if err != nil {
		return info, 0, nil, err
	}
	if info.Seed.IsZero() {
		return info, n.UID, nil, fmt.Errorf("%w: subnet %d epoch %d has no seed yet", chain.ErrProofEpoch, id, info.Epoch)
	}
	return info, n.UID, zk.ChallengeInput(info.Seed, uint32(n.UID), int(info.InputSize)), nil
}
