package miner

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"time"

	"github.com/veritensor/veritensor/chain"
	"github.com/veritensor/veritensor/chain/client"
)

// ErrNotRegistered reports that the miner's hotkey holds no UID on the
// subnet.
var ErrNotRegistered = errors.New("hotkey not registered")

// ChainClient is the miner's EpochSource and Submitter over a Veritensor
// node's CometBFT RPC (chain/client), for one subnet and one hotkey; it
// also reads the metagraph and sends serve. Reads are ABCI queries retried
// with backoff; transactions are signed with the hotkey, broadcast once and
// waited for. It is safe for concurrent use.
type ChainClient struct {
	c      *client.Client
	subnet uint16
	hotkey ed25519.PrivateKey
	pub    [32]byte
	addr   chain.Address
	opts   ChainOptions
}

// ChainOptions tune a ChainClient. Zero values take the defaults listed.
type ChainOptions struct {
	// Fee of each transaction in base units (chain.DefaultParams().MinFee
	// when 0).
	Fee uint64
	// TxTimeout bounds the wait for one transaction's block (60 s when 0);
	// a transaction not seen by then is an ambiguous, transient error.
	TxTimeout time.Duration
	// Retries is how many times a failed read is retried (3 when 0; -1:
	// never), waiting RetryBackoff and doubling (200 ms when 0). Answers of
	// the chain (a query error code) are not retried.
	Retries      int
	RetryBackoff time.Duration
}

func (o ChainOptions) withDefaults() ChainOptions {
	if o.Fee == 0 {
		o.Fee = chain.DefaultParams().MinFee
	}
	if o.TxTimeout <= 0 {
		o.TxTimeout = time.Minute
	}
	switch {
	case o.Retries == 0:
		o.Retries = 3
	case o.Retries < 0:
		o.Retries = 0
	}
	if o.RetryBackoff <= 0 {
		o.RetryBackoff = 200 * time.Millisecond
	}
	return o
}

// NewChainClient connects to the node at addr (its CometBFT RPC,
// "tcp://127.0.0.1:26657" or "http://..."; no request is made yet) for
// subnet, signing with hotkey.
func NewChainClient(addr string, subnet uint16, hotkey ed25519.PrivateKey, opts ChainOptions) (*ChainClient, error) {
	if len(hotkey) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("%w: hotkey has %d bytes, want an ed25519 private key", ErrConfig, len(hotkey))
	}
	c, err := client.New(addr)
	if err != nil {
		return nil, err
	}
	pub := hotkey.Public().(ed25519.PublicKey)
	cc := &ChainClient{c: c, subnet: subnet, hotkey: hotkey, addr: chain.AddressFromPubKey(pub), opts: opts.withDefaults()}
	copy(cc.pub[:], pub)
	return cc, nil
}

// Client is the underlying chain client.
func (cc *ChainClient) Client() *client.Client { return cc.c }

// Hotkey is the miner's hotkey public key and address.
func (cc *ChainClient) Hotkey() ([32]byte, chain.Address) { return cc.pub, cc.addr }

// ChainID asks the node for its chain ID (cached after the first answer).
func (cc *ChainClient) ChainID(ctx context.Context) (string, error) {
	var id string
	err := cc.retry(ctx, func() (err error) { id, err = cc.c.ChainID(ctx); return err })
	return id, err
}

// Subnet reads the subnet with its task spec and verifying key.
func (cc *ChainClient) Subnet(ctx context.Context) (chain.SubnetInfo, error) {
	var si chain.SubnetInfo
	err := cc.retry(ctx, func() (err error) { si, err = cc.c.Subnet(ctx, cc.subnet); return err })
	if err != nil {
		return si, fmt.Errorf("subnet %d: %w", cc.subnet, err)
	}
	return si, nil
}

// Neuron reads the UID this hotkey holds; ErrNotRegistered (also matching
// chain.ErrNeuronNotFound) when it holds none.
func (cc *ChainClient) Neuron(ctx context.Context) (chain.NeuronInfo, error) {
	var n chain.NeuronInfo
	err := cc.retry(ctx, func() (err error) { n, err = cc.c.NeuronByHotkey(ctx, cc.subnet, cc.addr); return err })
	if errors.Is(err, chain.ErrNeuronNotFound) {
		return n, fmt.Errorf("%w: %s on subnet %d: %w", ErrNotRegistered, cc.addr, cc.subnet, err)
	}
	return n, err
}

// Metagraph reads the subnet, its epoch and every UID at one height.
func (cc *ChainClient) Metagraph(ctx context.Context) (chain.Metagraph, error) {
	var mg chain.Metagraph
	err := cc.retry(ctx, func() (err error) { mg, err = cc.c.Metagraph(ctx, cc.subnet); return err })
	return mg, err
}

// CurrentEpoch implements EpochSource with one /epoch query. An epoch whose
// seed is not fixed yet is an error (the loop asks again).
func (cc *ChainClient) CurrentEpoch(ctx context.Context) (uint64, [32]byte, error) {
	var ep chain.EpochInfo
	if err := cc.retry(ctx, func() (err error) { ep, err = cc.c.Epoch(ctx, cc.subnet); return err }); err != nil {
		return 0, [32]byte{}, err
	}
	if ep.Seed.IsZero() {
		return ep.Epoch, [32]byte{}, fmt.Errorf("subnet %d epoch %d has no seed yet", cc.subnet, ep.Epoch)
	}
	return ep.Epoch, ep.Seed, nil
}

// SubmitProof implements Submitter. A proof the chain refuses (wrong
// model, hotkey or input: proof_invalid; not served; ...) wraps
// ErrPermanent and the chain's coded error. A lost nonce race, a duplicate
// (an earlier attempt landed) and an epoch that ended while the
// transaction waited are transient: the loop asks ProofLanded and the
// epoch before it sends again.
func (cc *ChainClient) SubmitProof(ctx context.Context, p EpochProof) error {
	ctx, cancel := context.WithTimeout(ctx, cc.opts.TxTimeout)
	defer cancel()
	_, err := cc.c.SubmitProof(ctx, cc.hotkey, cc.subnet, p.Epoch, p.Class, p.Proof, cc.opts.Fee)
	if err == nil {
		return nil
	}
	var te *chain.TxError
	if errors.As(err, &te) && !errors.Is(err, chain.ErrNonce) && !errors.Is(err, chain.ErrProofDuplicate) &&
		!errors.Is(err, chain.ErrProofEpoch) {
		return fmt.Errorf("%w: submit-proof epoch %d: %w", ErrPermanent, p.Epoch, err)
	}
	return fmt.Errorf("submit-proof epoch %d: %w", p.Epoch, err)
}

// ProofLanded implements Submitter: the chain holds an accepted proof of
// this hotkey's UID for epoch.
func (cc *ChainClient) ProofLanded(ctx context.Context, epoch uint64) (bool, error) {
	n, err := cc.Neuron(ctx)
	if err != nil {
		return false, err
	}
	return n.HasProof && n.ProofEpoch == epoch, nil
}

// Serve publishes endpoint, model commitment and hardware summary for this
// hotkey's UID and waits for the block.
func (cc *ChainClient) Serve(ctx context.Context, endpoint string, commitment [32]byte, hardware string) error {
	ctx, cancel := context.WithTimeout(ctx, cc.opts.TxTimeout)
	defer cancel()
	if _, err := cc.c.Serve(ctx, cc.hotkey, cc.subnet, endpoint, chain.Hash32(commitment), hardware, cc.opts.Fee); err != nil {
		return fmt.Errorf("serve on subnet %d: %w", cc.subnet, err)
	}
	return nil
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
