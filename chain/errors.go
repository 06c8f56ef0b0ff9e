package chain

import (
	"errors"
	"fmt"
)

// CodedError is a failure class with a stable ABCI code. Values of this type are
// the sentinels below; wrap them with fmt.Errorf("context: %w", ErrX) and map an
// error back to its code with Code.
type CodedError struct {
	// Code is the ABCI response code; it never changes once released.
	Code uint32
	// Name is a short, stable, machine-readable name (e.g. "bad_signature").
	Name string
}

func (e *CodedError) Error() string { return e.Name }

// The one table of error codes. Code 0 is success. Codes are append-only: a
// released code is never renumbered or reused. The protocol messages add their
// own entries at the end of this table.
var (
	ErrInternal          = &CodedError{1, "internal"}
	ErrMalformed         = &CodedError{2, "malformed"}
	ErrChainID           = &CodedError{3, "wrong_chain_id"}
	ErrBadSignature      = &CodedError{4, "bad_signature"}
	ErrNonce             = &CodedError{5, "bad_nonce"}
	ErrInsufficientFunds = &CodedError{6, "insufficient_funds"}
	ErrTxTooLarge        = &CodedError{7, "tx_too_large"}
	ErrUnknownType       = &CodedError{8, "unknown_tx_type"}
	ErrFeeTooLow         = &CodedError{9, "fee_too_low"}
	ErrInvalidMsg        = &CodedError{10, "invalid_msg"}
	ErrOverflow          = &CodedError{11, "overflow"}
	ErrNotFound          = &CodedError{12, "not_found"}
	ErrUnauthorized      = &CodedError{13, "unauthorized"}
	ErrInvalidGenesis    = &CodedError{14, "invalid_genesis"}

	// Subnet protocol (docs/protocol.md).
	ErrSubnetNotFound   = &CodedError{15, "subnet_not_found"}
	ErrNeuronNotFound   = &CodedError{16, "neuron_not_found"}
	ErrSubnetFull       = &CodedError{17, "subnet_full"}
	ErrHotkeyRegistered = &CodedError{18, "hotkey_registered"}
	ErrRateLimited      = &CodedError{19, "weights_rate_limited"}
	ErrInvalidWeights   = &CodedError{20, "invalid_weights"}
	ErrCommitReveal     = &CodedError{21, "commit_reveal_mode"}
	ErrNoCommit         = &CodedError{22, "no_commit"}
	ErrRevealWindow     = &CodedError{23, "reveal_window"}
	ErrRevealMismatch   = &CodedError{24, "reveal_mismatch"}
	ErrProofEpoch       = &CodedError{25, "proof_wrong_epoch"}
	ErrProofDuplicate   = &CodedError{26, "proof_duplicate"}
	ErrProofInvalid     = &CodedError{27, "proof_invalid"}
	ErrNotServed        = &CodedError{28, "not_served"}
	ErrStakeUnderflow   = &CodedError{29, "stake_underflow"}
	ErrHyperparams      = &CodedError{30, "invalid_hyperparams"}
	ErrTooManySubnets   = &CodedError{31, "too_many_subnets"}

	// Mempool admission (CheckTx only; never a block result).
	ErrProofRateLimited = &CodedError{32, "proof_rate_limited"}

	// Setup ceremonies (chain/ceremony.go). Codes 33-39 are left to other
	// protocol additions; these start at 40.
	ErrCeremonyNotFound     = &CodedError{40, "ceremony_not_found"}
	ErrCeremonyState        = &CodedError{41, "ceremony_state"}
	ErrCeremonyOrder        = &CodedError{42, "ceremony_out_of_order"}
	ErrCeremonyClosed       = &CodedError{43, "ceremony_closed"}
	ErrCeremonyBeacon       = &CodedError{44, "ceremony_beacon_pending"}
	ErrCeremonyContributors = &CodedError{45, "ceremony_too_few_contributors"}
	ErrCeremonyMismatch     = &CodedError{46, "ceremony_circuit_mismatch"}
)

// ErrorCodes lists every CodedError in code order (for docs and tests).
var ErrorCodes = []*CodedError{
	ErrInternal, ErrMalformed, ErrChainID, ErrBadSignature, ErrNonce,
	ErrInsufficientFunds, ErrTxTooLarge, ErrUnknownType, ErrFeeTooLow,
	ErrInvalidMsg, ErrOverflow, ErrNotFound, ErrUnauthorized, ErrInvalidGenesis,
	ErrSubnetNotFound, ErrNeuronNotFound, ErrSubnetFull, ErrHotkeyRegistered,
	ErrRateLimited, ErrInvalidWeights, ErrCommitReveal, ErrNoCommit, ErrRevealWindow,
	ErrRevealMismatch, ErrProofEpoch, ErrProofDuplicate, ErrProofInvalid, ErrNotServed,
	ErrStakeUnderflow, ErrHyperparams, ErrTooManySubnets, ErrProofRateLimited,
	ErrCeremonyNotFound, ErrCeremonyState, ErrCeremonyOrder, ErrCeremonyClosed, ErrCeremonyBeacon,
	ErrCeremonyContributors, ErrCeremonyMismatch,
}

// Code returns the stable ABCI code of err: 0 for nil, the code of the first
// CodedError in its chain, and ErrInternal's code otherwise.
func Code(err error) uint32 {
	if err == nil {
		return 0
	}
	var ce *CodedError
	if errors.As(err, &ce) {
		return ce.Code
	}
	return ErrInternal.Code
}

// ErrorForCode returns the sentinel with the given code, or nil when none has it.
func ErrorForCode(code uint32) *CodedError {
	for _, e := range ErrorCodes {
		if e.Code == code {
			return e
		}
	}
	return nil
}

// TxError is the error a client gets back for a rejected transaction: the code
// and log from the node, wrapping the matching sentinel so errors.Is works.
type TxError struct {
	Code uint32
	Log  string
}

func (e *TxError) Error() string { return fmt.Sprintf("tx rejected (code %d): %s", e.Code, e.Log) }

// Unwrap returns the sentinel for the code, so errors.Is(err, ErrNonce) works.
func (e *TxError) Unwrap() error {
	if ce := ErrorForCode(e.Code); ce != nil {
		return ce
	}
	return nil
}
