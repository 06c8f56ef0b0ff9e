package validator

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/veritensor/veritensor/chain"
	"github.com/veritensor/veritensor/chain/client"
	"github.com/veritensor/veritensor/scoring"
	"github.com/veritensor/veritensor/zk"
)

// ChainClient is the engine's Chain and WeightsSubmitter over a Veritensor
// node's CometBFT RPC, for one subnet and one validator hotkey (a
// client.Session). Reads are ABCI queries retried with backoff; weight
// transactions are signed with the hotkey, broadcast once and waited for. It
// is safe for concurrent use.
type ChainClient struct {
	*client.Session

	mu     sync.Mutex
	vk     []byte       // the subnet's verifying key, cached by vkHash
	vkHash chain.Hash32 // SHA-256 of vk (TaskSpec.VKHash)
}

// ChainOptions tune a ChainClient (client.Options; zero values take its
// defaults). StaleAfter bounds a quiet block subscription (SubscribeBlocks).
type ChainOptions = client.Options

// NewChainClient connects to the node at addr (its CometBFT RPC,
// "tcp://127.0.0.1:26657" or "http://..."; no request is made yet) for
// subnet, signing weight transactions with hotkey.
func NewChainClient(addr string, subnet uint16, hotkey ed25519.PrivateKey, opts ChainOptions) (*ChainClient, error) {
	s, err := client.NewSession(addr, subnet, hotkey, opts)
	if errors.Is(err, client.ErrHotkey) {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	if err != nil {
		return nil, err
	}
	return &ChainClient{Session: s}, nil
}

// Head implements Chain with one /epoch query.
func (cc *ChainClient) Head(ctx context.Context) (Head, error) {
	var ep chain.EpochInfo
	if err := cc.Retry(ctx, func() (err error) { ep, err = cc.Client().Epoch(ctx, cc.SubnetID()); return err }); err != nil {
		return Head{}, err
	}
	return Head{Height: ep.Height, Epoch: ep.Epoch, Seed: ep.Seed, NextEpochHeight: ep.NextEpochHeight}, nil
}

// Snapshot implements Chain with one /metagraph query (one height), plus a
// /subnet query when the subnet's verifying key changed since the last call
// (it is checked against the metagraph's vk_hash).
func (cc *ChainClient) Snapshot(ctx context.Context) (Snapshot, error) {
	var mg chain.Metagraph
	if err := cc.Retry(ctx, func() (err error) { mg, err = cc.Client().Metagraph(ctx, cc.SubnetID()); return err }); err != nil {
		return Snapshot{}, err
	}
	var vk []byte
	if !mg.Subnet.Task.Proofless { // a proof-less subnet has no key
		var err error
		if vk, err = cc.verifyingKey(ctx, mg.Subnet.Task.VKHash); err != nil {
			return Snapshot{}, err
		}
	}
	sn := mg.Subnet
	var scheme zk.Scheme
	if !sn.Task.Proofless {
		var err error
		if scheme, err = sn.Task.Scheme(); err != nil {
			return Snapshot{}, fmt.Errorf("%w: subnet %d's circuit %x is none this binary verifies: upgrade veritensor: %w",
				ErrConfig, sn.ID, sn.Task.CircuitID[:8], err)
		}
	}
	snap := Snapshot{
		Head: Head{Height: mg.Epoch.Height, Epoch: mg.Epoch.Epoch, Seed: mg.Epoch.Seed, NextEpochHeight: mg.Epoch.NextEpochHeight},
		Subnet: Subnet{ID: sn.ID, Arch: sn.Task.Arch, VerifyingKey: vk, Proofless: sn.Task.Proofless, Scheme: scheme, Tempo: sn.Hyper.Tempo,
			// The chain caps no single weight: chain.Hyperparams has no
			// max_weight_limit.
			MaxWeightLimit: 65535, MinAllowedWeights: sn.Hyper.MinAllowedWeights,
			CommitReveal: sn.Hyper.CommitReveal, WeightsRateLimit: sn.Hyper.WeightsRateLimit},
		Neurons: make([]Neuron, 0, len(mg.Neurons)),
	}
	for _, n := range mg.Neurons {
		if len(n.HotkeyPub) != ed25519.PublicKeySize {
			return Snapshot{}, fmt.Errorf("validator: metagraph uid %d: hotkey key has %d bytes", n.UID, len(n.HotkeyPub))
		}
		nn := Neuron{UID: n.UID, Endpoint: n.Endpoint, ModelCommitment: n.ModelCommitment,
			ValidatorPermit: n.ValidatorPermit, Stake: n.Stake, RegisteredAt: n.RegisteredAt, LastUpdate: n.LastUpdate}
		copy(nn.Hotkey[:], n.HotkeyPub)
		snap.Neurons = append(snap.Neurons, nn)
	}
	return snap, nil
}

// verifyingKey returns the subnet's key with SHA-256 hash, from the cache or
// a /subnet query.
func (cc *ChainClient) verifyingKey(ctx context.Context, hash chain.Hash32) ([]byte, error) {
	cc.mu.Lock()
	if cc.vk != nil && cc.vkHash == hash {
		vk := cc.vk
		cc.mu.Unlock()
		return vk, nil
	}
	cc.mu.Unlock()
	var si chain.SubnetInfo
	if err := cc.Retry(ctx, func() (err error) { si, err = cc.Client().Subnet(ctx, cc.SubnetID()); return err }); err != nil {
		return nil, err
	}
	if got := chain.Hash32(sha256.Sum256(si.VK)); got != hash {
		// The key changed between the two queries: the next call retries.
		return nil, fmt.Errorf("validator: subnet %d verifying key hashes to %x, metagraph says %x", cc.SubnetID(), got[:8], hash[:8])
	}
	cc.mu.Lock()
	cc.vk, cc.vkHash = si.VK, hash
	cc.mu.Unlock()
	return si.VK, nil
}

// PendingCommit implements Chain: the commit in /weights of the UID that
// hotkey holds (/neuron by hotkey). A hotkey without a UID has none.
func (cc *ChainClient) PendingCommit(ctx context.Context, hotkey [32]byte) (Commit, bool, error) {
	hk := chain.AddressFromPubKey(ed25519.PublicKey(hotkey[:]))
	var n chain.NeuronInfo
	err := cc.Retry(ctx, func() (err error) { n, err = cc.Client().NeuronByHotkey(ctx, cc.SubnetID(), hk); return err })
	if errors.Is(err, chain.ErrNeuronNotFound) {
		return Commit{}, false, nil
	}
	if err != nil {
		return Commit{}, false, err
	}
	var wi chain.WeightsInfo
	if err := cc.Retry(ctx, func() (err error) { wi, err = cc.Client().Weights(ctx, cc.SubnetID()); return err }); err != nil {
		return Commit{}, false, err
	}
	for _, c := range wi.Commits {
		if c.UID == n.UID {
			return Commit{Hash: c.Hash, Epoch: c.Epoch}, true, nil
		}
	}
	return Commit{}, false, nil
}

// CommitWeights implements WeightsSubmitter.
func (cc *ChainClient) CommitWeights(ctx context.Context, hash [32]byte) error {
	return cc.send(ctx, &chain.MsgCommitWeights{Subnet: cc.SubnetID(), Hash: hash})
}

// RevealWeights implements WeightsSubmitter.
func (cc *ChainClient) RevealWeights(ctx context.Context, w []scoring.Weight, salt []byte) error {
	return cc.send(ctx, &chain.MsgRevealWeights{Subnet: cc.SubnetID(), Weights: w, Salt: salt})
}

// SetWeights implements WeightsSubmitter.
func (cc *ChainClient) SetWeights(ctx context.Context, w []scoring.Weight) error {
	return cc.send(ctx, &chain.MsgSetWeights{Subnet: cc.SubnetID(), Weights: w})
}

// send broadcasts msg once and waits up to TxTimeout for its block. A
// refusal by the chain (CheckTx or block execution) wraps ErrRejected,
// except a lost nonce race, which is transient.
func (cc *ChainClient) send(ctx context.Context, msg chain.Msg) error {
	ctx, cancel := context.WithTimeout(ctx, cc.Options().TxTimeout)
	defer cancel()
	_, err := cc.Client().Send(ctx, cc.Key(), msg, cc.Options().Fee)
	if err == nil {
		return nil
	}
	if rejected(err) {
		return fmt.Errorf("%w: %s: %w", ErrRejected, chain.TypeName(msg.Type()), err)
	}
	return fmt.Errorf("%s: %w", chain.TypeName(msg.Type()), err)
}

// rejected: the chain answered with an error code that resending the same
// transaction cannot fix.
func rejected(err error) bool {
	var te *chain.TxError
	return errors.As(err, &te) && !errors.Is(err, chain.ErrNonce)
}

// BlockTime implements BlockTimer: the mean interval of the node's last
// (up to) 20 blocks, from their header times.
func (cc *ChainClient) BlockTime(ctx context.Context) (time.Duration, error) {
	last, err := cc.Client().Block(ctx, 0)
	if err != nil {
		return 0, err
	}
	k := min(int64(20), last.Height-1)
	if k < 1 {
		return 0, fmt.Errorf("validator: only %d blocks to measure the block time on", last.Height)
	}
	first, err := cc.Client().Block(ctx, last.Height-k)
	if err != nil {
		return 0, err
	}
	d := last.Time.Sub(first.Time) / time.Duration(k)
	if d <= 0 {
		return 0, fmt.Errorf("validator: block times do not increase")
	}
	return d, nil
}
