package validator

import (
	"errors"

	"github.com/veritensor/veritensor/chain/client"
)

// Errors of the engine. Answer errors are recorded per request in the
// report; none of them stops a tempo.
var (
	// ErrConfig reports an unusable Config.
	ErrConfig = errors.New("validator: bad config")
	// ErrBadAnswer: a miner's 200 answer does not match the request (another
	// ID or epoch, a class outside the task's outputs).
	ErrBadAnswer = errors.New("validator: answer does not match the request")
	// ErrNoProof: the answer carries no proof.
	ErrNoProof = errors.New("validator: answer has no proof")
	// ErrPublicMismatch: the public inputs the miner sent differ from those
	// the validator rebuilt (another model, input, hotkey or epoch). The
	// proof is checked against the validator's values either way.
	ErrPublicMismatch = errors.New("validator: miner's public inputs differ")
	// ErrNotRegistered: the validator's hotkey holds no UID on the subnet
	// (client.ErrNotRegistered, shared with the miner).
	ErrNotRegistered = client.ErrNotRegistered
	// ErrState: the state file is corrupt or belongs to another chain,
	// subnet or hotkey.
	ErrState = errors.New("validator: bad state file")
)
