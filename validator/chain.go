package validator

import (
	"context"
	"errors"
	"time"

	"github.com/veritensor/veritensor/scoring"
	"github.com/veritensor/veritensor/zk"
)

// Chain is what the validator reads from the chain. Implementations must be
// safe for concurrent use; every method may fail transiently (the engine
// retries with backoff).
type Chain interface {
	// Head is the chain's latest block and the subnet's current epoch. It is
	// called on every new block, so it should be one cheap query.
	Head(ctx context.Context) (Head, error)
	// Snapshot reads the subnet (task, verifying key, limits), its epoch and
	// every UID at one height. It is called about once per tempo.
	Snapshot(ctx context.Context) (Snapshot, error)
	// SubscribeBlocks delivers the height of every new block until ctx is
	// done or the subscription breaks (the channel is then closed). An error
	// means subscriptions are unavailable; the engine then polls Head.
	SubscribeBlocks(ctx context.Context) (<-chan uint64, error)
	// PendingCommit is the unrevealed commit-weights of hotkey (an ed25519
	// public key) on the subnet; ok is false when it has none.
	PendingCommit(ctx context.Context, hotkey [32]byte) (c Commit, ok bool, err error)
}

// BlockTimer is what a Chain may also offer: the chain's recent block
// interval, which sets the tempo's challenge deadline before the engine has
// measured it itself.
type BlockTimer interface {
	BlockTime(ctx context.Context) (time.Duration, error)
}

// WeightsSubmitter sends the validator's weight transactions for one subnet,
// signed by the validator's hotkey, and waits until each is committed in a
// block. A nil error means the chain accepted the transaction. An error
// wrapping ErrRejected means the chain refused it and resending it cannot
// help; any other error is transient or ambiguous (the transaction may still
// land), and the engine checks the chain before it sends again.
type WeightsSubmitter interface {
	// CommitWeights sends commit-weights with hash (CommitHash).
	CommitWeights(ctx context.Context, hash [32]byte) error
	// RevealWeights sends reveal-weights of a row and salt committed in the
	// previous epoch.
	RevealWeights(ctx context.Context, weights []scoring.Weight, salt []byte) error
	// SetWeights sends set-weights (subnets without commit-reveal).
	SetWeights(ctx context.Context, weights []scoring.Weight) error
}

// ErrRejected marks a transaction the chain refused for good (wrong reveal
// window, hash mismatch, rate limit, not registered): the engine does not
// resend it.
var ErrRejected = errors.New("validator: transaction rejected by the chain")

// Head is the chain's position.
type Head struct {
	// Height is the latest committed block.
	Height uint64
	// Epoch is the subnet's current epoch (tempo) number and Seed its seed,
	// fixed at the epoch's first block.
	Epoch uint64
	Seed  [32]byte
	// NextEpochHeight is the first block of the next epoch.
	NextEpochHeight uint64
}

// Snapshot is the subnet as of one height.
type Snapshot struct {
	Head
	Subnet  Subnet
	Neurons []Neuron
}

// Subnet is what the validator needs to know about its subnet.
type Subnet struct {
	// ID is the subnet ID.
	ID uint16
	// Arch is the task's model architecture, e.g. "784-64-10".
	Arch string
	// VerifyingKey is the subnet's Groth16 verifying key (zk.Setup's
	// encoding); empty on a proof-less subnet.
	VerifyingKey []byte
	// Proofless: the subnet's task has require_proof false. Answers are
	// graded without proofs (a proof sent anyway is ignored).
	Proofless bool
	// Scheme is the proof scheme of the subnet's circuit
	// (chain.TaskSpec.Scheme): how VerifyingKey's proofs bind the model,
	// and what form every neuron's ModelCommitment has. Batch queries
	// (Config.BatchVerifiers) apply to zk.SchemeHash only.
	Scheme zk.Scheme
	// Tempo is the epoch length in blocks.
	Tempo uint64
	// MaxWeightLimit caps any one weight at MaxWeightLimit/65535 of a row's
	// sum (65535: no cap).
	MaxWeightLimit uint16
	// MinAllowedWeights is the fewest entries a weight row may have.
	MinAllowedWeights uint16
	// CommitReveal: weights are committed in one epoch and revealed in the
	// next; otherwise set directly, at most once per WeightsRateLimit blocks.
	CommitReveal     bool
	WeightsRateLimit uint64
}

// Neuron is one UID of the metagraph.
type Neuron struct {
	UID uint16
	// Hotkey is the UID's ed25519 public key.
	Hotkey [32]byte
	// Endpoint is the miner's API base URL ("" when it does not serve).
	Endpoint string
	// ModelCommitment is the model commitment it served (zero when none).
	ModelCommitment [32]byte
	// ValidatorPermit: among the top validators by stake.
	ValidatorPermit bool
	// Stake in base units.
	Stake uint64
	// RegisteredAt is the block of registration; LastUpdate the block of its
	// last set-weights or reveal.
	RegisteredAt, LastUpdate uint64
}

// Commit is a pending commit-weights on chain.
type Commit struct {
	Hash  [32]byte
	Epoch uint64
}
