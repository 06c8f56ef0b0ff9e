package chain

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtcrypto "github.com/cometbft/cometbft/proto/tendermint/crypto"
)

// Proof-of-authority validator set (docs/chain.md, "Validator set"): the
// genesis names a validator authority; only it may add, re-weight or remove
// CometBFT validators with a validator-update transaction, applied at the end
// of the block (FinalizeBlock's ValidatorUpdates, effective at height H+2).
// Misbehavior CometBFT reports is recorded in state; there is no slashing.

// TxValidatorUpdate sets a validator's power (0 removes it).
const TxValidatorUpdate TxType = 50

// MaxValidatorPower bounds one validator's power.
const MaxValidatorPower = 1 << 40

const (
	keyValAuthority   = "val_authority" // 20-byte address allowed to update validators
	prefixValidator   = "val/"          // + 32-byte ed25519 public key -> power u64
	prefixValPending  = "valupd/"       // + public key -> power u64, applied at the end of the block
	prefixMisbehavior = "misb/"         // + height u64 + index u32 -> JSON MisbehaviorRecord
)

func init() {
	RegisterMsg(TxValidatorUpdate, "validator-update", decodeValidatorUpdate)
	RegisterQuery("validators", func(s *State, _ string, _ []byte) (any, error) { return s.Validators(), nil })
	RegisterQuery("misbehavior", func(s *State, _ string, _ []byte) (any, error) { return s.Misbehavior(), nil })
}

// MsgValidatorUpdate sets the power of the validator with the ed25519 public
// key PubKey. Body: pubkey (32 bytes) | power (u64).
type MsgValidatorUpdate struct {
	PubKey []byte `json:"pub_key"`
	Power  uint64 `json:"power"`
}

// Type implements Msg.
func (*MsgValidatorUpdate) Type() TxType { return TxValidatorUpdate }

// MarshalBody implements Msg.
func (m *MsgValidatorUpdate) MarshalBody() []byte {
	return NewEncoder(40).Fixed(m.PubKey).Uint64(m.Power).Bytes()
}

func decodeValidatorUpdate(b []byte) (Msg, error) {
	d := NewDecoder(b)
	m := &MsgValidatorUpdate{PubKey: bytes.Clone(d.Fixed(32, "pub key"))}
	m.Power = d.Uint64("power")
	return m, d.Finish()
}

// ValidateBasic implements Msg.
func (m *MsgValidatorUpdate) ValidateBasic() error {
	if len(m.PubKey) != 32 {
		return fmt.Errorf("%w: public key of %d bytes, want 32 (ed25519)", ErrInvalidMsg, len(m.PubKey))
	}
	if m.Power > MaxValidatorPower {
		return fmt.Errorf("%w: power %d over %d", ErrInvalidMsg, m.Power, uint64(MaxValidatorPower))
	}
	return nil
}

// Execute queues the update; the signer must be the genesis authority, and
// the set must keep at least one validator.
func (m *MsgValidatorUpdate) Execute(tc *TxContext) error {
	s := tc.State
	auth, ok := s.Get(keyValAuthority)
	if !ok {
		return fmt.Errorf("%w: this chain has no validator authority (genesis validator_authority)", ErrUnauthorized)
	}
	if !bytes.Equal(auth, tc.Signer[:]) {
		return fmt.Errorf("%w: only the validator authority %x may update validators", ErrUnauthorized, auth)
	}
	pk := string(m.PubKey)
	_, exists := s.Get(prefixValidator + pk)
	if m.Power == 0 && !exists {
		return fmt.Errorf("%w: no validator %x to remove", ErrNotFound, m.PubKey)
	}
	s.setU64(prefixValPending+pk, m.Power)
	left := 0
	for _, v := range s.pendingValidatorSet() {
		if v.Power > 0 {
			left++
		}
	}
	if left == 0 {
		return fmt.Errorf("%w: the update would remove the last validator", ErrInvalidMsg)
	}
	tc.Emit("validator_update", "pub_key", hex.EncodeToString(m.PubKey), "power", strconv.FormatUint(m.Power, 10))
	return nil
}

// ValidatorInfo is one chain validator.
type ValidatorInfo struct {
	PubKey string `json:"pub_key"` // hex ed25519
	Power  uint64 `json:"power"`
}

// ValidatorsInfo answers /validators.
type ValidatorsInfo struct {
	Authority  string          `json:"authority,omitempty"`
	Validators []ValidatorInfo `json:"validators"`
	Pending    []ValidatorInfo `json:"pending,omitempty"`
}

// Validators lists the validator set the app knows (genesis plus applied
// updates), the authority and updates queued in this block.
func (s *State) Validators() ValidatorsInfo {
	var out ValidatorsInfo
	if a, ok := s.Get(keyValAuthority); ok {
		out.Authority = hex.EncodeToString(a)
	}
	s.Iterate(prefixValidator, func(k string, v []byte) bool {
		out.Validators = append(out.Validators, ValidatorInfo{hex.EncodeToString([]byte(k[len(prefixValidator):])), binary.BigEndian.Uint64(v)})
		return true
	})
	s.Iterate(prefixValPending, func(k string, v []byte) bool {
		out.Pending = append(out.Pending, ValidatorInfo{hex.EncodeToString([]byte(k[len(prefixValPending):])), binary.BigEndian.Uint64(v)})
		return true
	})
	return out
}

// pendingValidatorSet is the set after the queued updates.
func (s *State) pendingValidatorSet() map[string]ValidatorInfo {
	set := map[string]ValidatorInfo{}
	s.Iterate(prefixValidator, func(k string, v []byte) bool {
		set[k[len(prefixValidator):]] = ValidatorInfo{Power: binary.BigEndian.Uint64(v)}
		return true
	})
	s.Iterate(prefixValPending, func(k string, v []byte) bool {
		set[k[len(prefixValPending):]] = ValidatorInfo{Power: binary.BigEndian.Uint64(v)}
		return true
	})
	return set
}

// InitValidators records the genesis validators (ed25519 only) and the
// validator authority (nil: none, the set is fixed).
func (s *State) InitValidators(authority *Address, vals []abci.ValidatorUpdate) error {
	if authority != nil {
		s.Set(keyValAuthority, authority[:])
	}
	for _, v := range vals {
		pk := v.PubKey.GetEd25519()
		if len(pk) != 32 || v.Power <= 0 {
			return fmt.Errorf("%w: genesis validator must be ed25519 with positive power", ErrInvalidGenesis)
		}
		s.setU64(prefixValidator+string(pk), uint64(v.Power))
	}
	return nil
}

// TakeValidatorUpdates applies the queued updates to the recorded set, in key
// order, and returns them for FinalizeBlock.
func (s *State) TakeValidatorUpdates() []abci.ValidatorUpdate {
	var keys []string
	var powers []uint64
	s.Iterate(prefixValPending, func(k string, v []byte) bool {
		keys, powers = append(keys, k), append(powers, binary.BigEndian.Uint64(v))
		return true
	})
	var out []abci.ValidatorUpdate
	for i, k := range keys {
		pk := k[len(prefixValPending):]
		s.Delete(k)
		if powers[i] == 0 {
			s.Delete(prefixValidator + pk)
		} else {
			s.setU64(prefixValidator+pk, powers[i])
		}
		out = append(out, abci.ValidatorUpdate{PubKey: cmtcrypto.PublicKey{Sum: &cmtcrypto.PublicKey_Ed25519{Ed25519: []byte(pk)}}, Power: int64(powers[i])})
	}
	return out
}

// MisbehaviorRecord is evidence CometBFT reported in a block.
type MisbehaviorRecord struct {
	Type             string `json:"type"`
	Validator        string `json:"validator"` // hex CometBFT address
	Power            int64  `json:"power"`
	Height           int64  `json:"height"`
	Time             int64  `json:"time"` // unix seconds, from the evidence
	TotalVotingPower int64  `json:"total_voting_power"`
	ReportedAt       int64  `json:"reported_at"` // block height
}

// RecordMisbehavior stores the block's misbehavior evidence (no slashing: the
// authority decides whether to remove the validator).
func (s *State) RecordMisbehavior(height int64, ms []abci.Misbehavior) {
	for i, m := range ms {
		r := MisbehaviorRecord{Type: m.Type.String(), Validator: hex.EncodeToString(m.Validator.Address), Power: m.Validator.Power,
			Height: m.Height, Time: m.Time.Unix(), TotalVotingPower: m.TotalVotingPower, ReportedAt: height}
		b, _ := json.Marshal(r)
		k := NewEncoder(12).Uint64(uint64(height)).Uint32(uint32(i)).Bytes()
		s.Set(prefixMisbehavior+string(k), b)
	}
}

// Misbehavior lists every recorded misbehavior, oldest first.
func (s *State) Misbehavior() []MisbehaviorRecord {
	out := []MisbehaviorRecord{}
	s.Iterate(prefixMisbehavior, func(_ string, v []byte) bool {
		var r MisbehaviorRecord
		if json.Unmarshal(v, &r) == nil {
			out = append(out, r)
		}
		return true
	})
	return out
}
