package validator

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/veritensor/veritensor/chain"
	"github.com/veritensor/veritensor/chain/client"
	"github.com/veritensor/veritensor/scoring"
)

// ChainClient is the engine's Chain and WeightsSubmitter over a Veritensor
// node's CometBFT RPC (chain/client), for one subnet and one validator
// hotkey. Reads are ABCI queries retried with backoff; weight transactions
// are signed with the hotkey, broadcast once and waited for. It is safe for
// concurrent use.
type ChainClient struct {
	c      *client.Client
	addr   string
	subnet uint16
	hotkey ed25519.PrivateKey
	hkAddr chain.Address
	opts   ChainOptions

	mu     sync.Mutex
	vk     []byte       // the subnet's verifying key, cached by vkHash
	vkHash chain.Hash32 // SHA-256 of vk (TaskSpec.VKHash)
}

// ChainOptions tune a ChainClient. Zero values take the defaults listed.
type ChainOptions struct {
	// Fee is the fee of each weight transaction in base units
	// (chain.DefaultParams().MinFee when 0).
	Fee uint64
	// TxTimeout bounds the wait for one transaction to land in a block
	// (60 s when 0). A transaction not seen by then is reported as an
	// ambiguous (transient) error: the engine checks the chain before it
	// sends again.
	TxTimeout time.Duration
	// Retries is how many times a failed read is retried (3 when 0; -1:
	// never), waiting RetryBackoff, then twice that, and so on (200 ms when
	// 0). Definitive answers of the chain (a query error code) are not
	// retried.
	Retries      int
	RetryBackoff time.Duration
	// StaleAfter closes a block subscription that delivered nothing for this
	// long, so the engine polls and subscribes again (60 s when 0).
	StaleAfter time.Duration
}

func (o ChainOptions) withDefaults() ChainOptions {
	if o.Fee == 0 {
		o.Fee = chain.DefaultParams().MinFee
	}
	if o.TxTimeout <= 0 {
		o.TxTimeout = 60 * time.Second
	}
	if o.Retries == 0 {
		o.Retries = 3
	}
	if o.Retries < 0 {
		o.Retries = 0
	}
	if o.RetryBackoff <= 0 {
		o.RetryBackoff = 200 * time.Millisecond
	}
	if o.StaleAfter <= 0 {
		o.StaleAfter = 60 * time.Second
	}
	return o
}

// NewChainClient connects to the node at addr (its CometBFT RPC,
// "tcp://127.0.0.1:26657" or "http://..."; no request is made yet) for
// subnet, signing weight transactions with hotkey.
func NewChainClient(addr string, subnet uint16, hotkey ed25519.PrivateKey, opts ChainOptions) (*ChainClient, error) {
	if len(hotkey) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("%w: hotkey has %d bytes, want an ed25519 private key", ErrConfig, len(hotkey))
	}
	if !strings.Contains(addr, "://") {
		addr = "tcp://" + addr
	}
	c, err := client.New(addr)
	if err != nil {
		return nil, err
	}
	return &ChainClient{c: c, addr: addr, subnet: subnet, hotkey: hotkey,
		hkAddr: chain.AddressFromPubKey(hotkey.Public().(ed25519.PublicKey)), opts: opts.withDefaults()}, nil
}

// Client is the underlying chain client (for the chain ID and other reads).
func (cc *ChainClient) Client() *client.Client { return cc.c }

// ChainID asks the node for its chain ID (cached after the first answer),
// retrying like every read.
func (cc *ChainClient) ChainID(ctx context.Context) (string, error) {
	var id string
	err := cc.retry(ctx, func() (err error) { id, err = cc.c.ChainID(ctx); return err })
	return id, err
}

// Head implements Chain with one /epoch query.
func (cc *ChainClient) Head(ctx context.Context) (Head, error) {
	var ep chain.EpochInfo
	if err := cc.retry(ctx, func() (err error) { ep, err = cc.c.Epoch(ctx, cc.subnet); return err }); err != nil {
		return Head{}, err
	}
	return Head{Height: ep.Height, Epoch: ep.Epoch, Seed: ep.Seed, NextEpochHeight: ep.NextEpochHeight}, nil
}

// Snapshot implements Chain with one /metagraph query (one height), plus a
// /subnet query when the subnet's verifying key changed since the last call
// (it is checked against the metagraph's vk_hash).
func (cc *ChainClient) Snapshot(ctx context.Context) (Snapshot, error) {
	var mg chain.Metagraph
	if err := cc.retry(ctx, func() (err error) { mg, err = cc.c.Metagraph(ctx, cc.subnet); return err }); err != nil {
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
	snap := Snapshot{
		Head: Head{Height: mg.Epoch.Height, Epoch: mg.Epoch.Epoch, Seed: mg.Epoch.Seed, NextEpochHeight: mg.Epoch.NextEpochHeight},
		Subnet: Subnet{ID: sn.ID, Arch: sn.Task.Arch, VerifyingKey: vk, Proofless: sn.Task.Proofless, Tempo: sn.Hyper.Tempo,
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
	if err := cc.retry(ctx, func() (err error) { si, err = cc.c.Subnet(ctx, cc.subnet); return err }); err != nil {
		return nil, err
	}
	if got := chain.Hash32(sha256.Sum256(si.VK)); got != hash {
		// The key changed between the two queries: the next call retries.
		return nil, fmt.Errorf("validator: subnet %d verifying key hashes to %x, metagraph says %x", cc.subnet, got[:8], hash[:8])
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
	err := cc.retry(ctx, func() (err error) { n, err = cc.c.NeuronByHotkey(ctx, cc.subnet, hk); return err })
	if errors.Is(err, chain.ErrNeuronNotFound) {
		return Commit{}, false, nil
	}
	if err != nil {
		return Commit{}, false, err
	}
	var wi chain.WeightsInfo
	if err := cc.retry(ctx, func() (err error) { wi, err = cc.c.Weights(ctx, cc.subnet); return err }); err != nil {
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
	return cc.send(ctx, &chain.MsgCommitWeights{Subnet: cc.subnet, Hash: hash})
}

// RevealWeights implements WeightsSubmitter.
func (cc *ChainClient) RevealWeights(ctx context.Context, w []scoring.Weight, salt []byte) error {
	return cc.send(ctx, &chain.MsgRevealWeights{Subnet: cc.subnet, Weights: w, Salt: salt})
}

// SetWeights implements WeightsSubmitter.
func (cc *ChainClient) SetWeights(ctx context.Context, w []scoring.Weight) error {
	return cc.send(ctx, &chain.MsgSetWeights{Subnet: cc.subnet, Weights: w})
}

// send broadcasts msg once and waits up to TxTimeout for its block. A
// refusal by the chain (CheckTx or block execution) wraps ErrRejected,
// except a lost nonce race, which is transient.
func (cc *ChainClient) send(ctx context.Context, msg chain.Msg) error {
	ctx, cancel := context.WithTimeout(ctx, cc.opts.TxTimeout)
	defer cancel()
	_, err := cc.c.Send(ctx, cc.hotkey, msg, cc.opts.Fee)
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

// retry runs f until it succeeds, the chain answers with an error code (not
// retried), ctx ends, or Retries retries failed, doubling the wait.
func (cc *ChainClient) retry(ctx context.Context, f func() error) error {
	wait := cc.opts.RetryBackoff
	for attempt := 0; ; attempt++ {
		err := f()
		var te *chain.TxError
		if err == nil || errors.As(err, &te) || attempt >= cc.opts.Retries || ctx.Err() != nil {
			return err
		}
		if sleep(ctx, wait) != nil {
			return err
		}
		wait *= 2
	}
}

// BlockTime implements BlockTimer: the mean interval of the node's last
// (up to) 20 blocks, from their header times.
func (cc *ChainClient) BlockTime(ctx context.Context) (time.Duration, error) {
	last, err := cc.c.Block(ctx, 0)
	if err != nil {
		return 0, err
	}
	k := min(int64(20), last.Height-1)
	if k < 1 {
		return 0, fmt.Errorf("validator: only %d blocks to measure the block time on", last.Height)
	}
	first, err := cc.c.Block(ctx, last.Height-k)
	if err != nil {
		return 0, err
	}
	d := last.Time.Sub(first.Time) / time.Duration(k)
	if d <= 0 {
		return 0, fmt.Errorf("validator: block times do not increase")
	}
	return d, nil
}
