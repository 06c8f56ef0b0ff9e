package chain

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/cometbft/cometbft/crypto/merkle"
	cmtcrypto "github.com/cometbft/cometbft/proto/tendermint/crypto"
	ics23 "github.com/cosmos/ics23/go"
)

// ProofOpIAVL is the ProofOp type of an ics23 proof against the app hash (the
// IAVL root): Key is the state key, Data the protobuf ics23.CommitmentProof
// (an existence proof when the key is set, an absence proof when it is not).
const ProofOpIAVL = "ics23:iavl"

// StoreQueryPath answers the raw stored value of the state key in the query
// data, with a proof when prove=true, at any retained height.
const StoreQueryPath = "/store"

// maxProofBytes bounds a ProofOp's data accepted by the decoder.
const maxProofBytes = 1 << 20

// ErrProof is returned when a proof does not verify.
var ErrProof = errors.New("proof does not verify")

// IAVLProofOp is a merkle.ProofOperator for ProofOpIAVL: Run takes the value
// (none for an absence proof) and returns the root it proves.
type IAVLProofOp struct {
	Key   []byte
	Proof *ics23.CommitmentProof
}

var _ merkle.ProofOperator = IAVLProofOp{}

// DecodeIAVLProofOp decodes a ProofOpIAVL op.
func DecodeIAVLProofOp(op cmtcrypto.ProofOp) (merkle.ProofOperator, error) {
	if op.Type != ProofOpIAVL {
		return nil, fmt.Errorf("%w: op type %q, want %q", ErrProof, op.Type, ProofOpIAVL)
	}
	if len(op.Data) > maxProofBytes {
		return nil, fmt.Errorf("%w: proof of %d bytes", ErrProof, len(op.Data))
	}
	p := &ics23.CommitmentProof{}
	if err := p.Unmarshal(op.Data); err != nil {
		return nil, fmt.Errorf("%w: decode: %v", ErrProof, err)
	}
	return IAVLProofOp{Key: op.Key, Proof: p}, nil
}

// GetKey returns the proven key.
func (op IAVLProofOp) GetKey() []byte { return op.Key }

// ProofOp encodes the operator.
func (op IAVLProofOp) ProofOp() cmtcrypto.ProofOp {
	b, err := op.Proof.Marshal()
	if err != nil {
		panic(err) // a decoded or freshly built proof always marshals
	}
	return cmtcrypto.ProofOp{Type: ProofOpIAVL, Key: op.Key, Data: b}
}

// Run verifies the proof for the value in args (existence) or for no value
// (absence) and returns the root it commits to.
func (op IAVLProofOp) Run(args [][]byte) ([][]byte, error) {
	root, err := op.Proof.Calculate()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrProof, err)
	}
	switch len(args) {
	case 0:
		if !ics23.VerifyNonMembership(ics23.IavlSpec, root, op.Proof, op.Key) {
			return nil, fmt.Errorf("%w: absence of key %X", ErrProof, op.Key)
		}
	case 1:
		if !ics23.VerifyMembership(ics23.IavlSpec, root, op.Proof, op.Key, args[0]) {
			return nil, fmt.Errorf("%w: value of key %X", ErrProof, op.Key)
		}
	default:
		return nil, fmt.Errorf("%w: %d values", ErrProof, len(args))
	}
	return [][]byte{root}, nil
}

// ProofRuntime returns a merkle.ProofRuntime that decodes ProofOpIAVL.
func ProofRuntime() *merkle.ProofRuntime {
	prt := merkle.NewProofRuntime()
	prt.RegisterOpDecoder(ProofOpIAVL, DecodeIAVLProofOp)
	return prt
}

// VerifyStoreProof checks that ops prove value at key (absence when value is
// nil) against appHash, the app hash in the header of height H+1 for an
// answer of height H.
func VerifyStoreProof(ops *cmtcrypto.ProofOps, appHash, key, value []byte) error {
	if ops == nil || len(ops.Ops) != 1 {
		return fmt.Errorf("%w: want one proof op", ErrProof)
	}
	if !bytes.Equal(ops.Ops[0].Key, key) {
		return fmt.Errorf("%w: proof is for key %X, asked %X", ErrProof, ops.Ops[0].Key, key)
	}
	kp := merkle.KeyPath{}.AppendKey(key, merkle.KeyEncodingHex).String()
	var err error
	if value == nil {
		err = ProofRuntime().VerifyAbsence(ops, appHash, kp)
	} else {
		err = ProofRuntime().VerifyValue(ops, appHash, kp, value)
	}
	if err != nil && !errors.Is(err, ErrProof) {
		err = fmt.Errorf("%w: %v", ErrProof, err)
	}
	return err
}

// Exported state keys, for clients that ask for proofs of single records.

// AccountStoreKey is the state key of an account.
func AccountStoreKey(a Address) []byte { return []byte(accountKey(a)) }

// NeuronStoreKey is the state key of a neuron (JSON Neuron).
func NeuronStoreKey(netuid, uid uint16) []byte { return []byte(uidKey(prefixNeuron, netuid, uid)) }

// WeightsStoreKey is the state key of a validator's weight row (JSON WeightsRow).
func WeightsStoreKey(netuid, uid uint16) []byte { return []byte(uidKey(prefixWeights, netuid, uid)) }

// DecodeAccountValue decodes the stored value of a's account (nil: the zero
// account, which is never stored).
func DecodeAccountValue(a Address, v []byte) (Account, error) {
	acct := Account{Address: a}
	if v == nil {
		return acct, nil
	}
	if len(v) != 16 {
		return acct, fmt.Errorf("%w: account value of %d bytes", ErrMalformed, len(v))
	}
	acct.Balance = binary.BigEndian.Uint64(v[:8])
	acct.Nonce = binary.BigEndian.Uint64(v[8:])
	return acct, nil
}
