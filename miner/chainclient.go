package miner

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"

	"github.com/veritensor/veritensor/chain"
	"github.com/veritensor/veritensor/chain/client"
)

// ErrNotRegistered reports that the miner's hotkey holds no UID on the
// subnet (client.ErrNotRegistered, shared with the validator).
var ErrNotRegistered = client.ErrNotRegistered

// ChainClient is the miner's EpochSource and Submitter over a Veritensor
// node's CometBFT RPC, for one subnet and one hotkey (a client.Session); it
// also reads the metagraph and sends serve. Reads are ABCI queries retried
// with backoff; transactions are signed with the hotkey, broadcast once and
// waited for. It is safe for concurrent use.
type ChainClient struct {
	*client.Session
}

// ChainOptions tune a ChainClient (client.Options; zero values take its
// defaults).
type ChainOptions = client.Options

// NewChainClient connects to the node at addr (its CometBFT RPC,
// "tcp://127.0.0.1:26657" or "http://..."; no request is made yet) for
// subnet, signing with hotkey.
func NewChainClient(addr string, subnet uint16, hotkey ed25519.PrivateKey, opts ChainOptions) (*ChainClient, error) {
	s, err := client.NewSession(addr, subnet, hotkey, opts)
	if errors.Is(err, client.ErrHotkey) {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	if err != nil {
		return nil, err
	}
	return &ChainClient{s}, nil
}

// Subnet reads the subnet with its task spec and verifying key.
func (cc *ChainClient) Subnet(ctx context.Context) (chain.SubnetInfo, error) {
	var si chain.SubnetInfo
	err := cc.Retry(ctx, func() (err error) { si, err = cc.Client().Subnet(ctx, cc.SubnetID()); return err })
	if err != nil {
		return si, fmt.Errorf("subnet %d: %w", cc.SubnetID(), err)
	}
	return si, nil
}

// Neuron reads the UID this hotkey holds; ErrNotRegistered (also matching
// chain.ErrNeuronNotFound) when it holds none.
func (cc *ChainClient) Neuron(ctx context.Context) (chain.NeuronInfo, error) {
	_, addr := cc.Hotkey()
	var n chain.NeuronInfo
	err := cc.Retry(ctx, func() (err error) { n, err = cc.Client().NeuronByHotkey(ctx, cc.SubnetID(), addr); return err })
	if errors.Is(err, chain.ErrNeuronNotFound) {
		return n, fmt.Errorf("%w: %s on subnet %d: %w", ErrNotRegistered, addr, cc.SubnetID(), err)
	}
	return n, err
}

// Metagraph reads the subnet, its epoch and every UID at one height.
func (cc *ChainClient) Metagraph(ctx context.Context) (chain.Metagraph, error) {
	var mg chain.Metagraph
	err := cc.Retry(ctx, func() (err error) { mg, err = cc.Client().Metagraph(ctx, cc.SubnetID()); return err })
	return mg, err
}

// CurrentEpoch implements EpochSource with one /epoch query. An epoch whose
// seed is not fixed yet is an error (the loop asks again).
func (cc *ChainClient) CurrentEpoch(ctx context.Context) (uint64, [32]byte, error) {
	var ep chain.EpochInfo
	if err := cc.Retry(ctx, func() (err error) { ep, err = cc.Client().Epoch(ctx, cc.SubnetID()); return err }); err != nil {
		return 0, [32]byte{}, err
	}
	if ep.Seed.IsZero() {
		return ep.Epoch, [32]byte{}, fmt.Errorf("subnet %d epoch %d has no seed yet", cc.SubnetID(), ep.Epoch)
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
	ctx, cancel := context.WithTimeout(ctx, cc.Options().TxTimeout)
	defer cancel()
	_, err := cc.Client().SubmitProof(ctx, cc.Key(), cc.SubnetID(), p.Epoch, p.Class, p.Proof, cc.Options().Fee)
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
	ctx, cancel := context.WithTimeout(ctx, cc.Options().TxTimeout)
	defer cancel()
	if _, err := cc.Client().Serve(ctx, cc.Key(), cc.SubnetID(), endpoint, chain.Hash32(commitment), hardware, cc.Options().Fee); err != nil {
		return fmt.Errorf("serve on subnet %d: %w", cc.SubnetID(), err)
	}
	return nil
}
