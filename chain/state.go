package chain

import (
	"crypto/sha256"
	"fmt"
	"strconv"
	"time"
)

// BlockContext is what the state machine knows about the block being built or
// executed. Everything comes from the block header: there is no wall clock.
type BlockContext struct {
	// Height of the block.
	Height int64
	// Time is the block header time (BFT time), never the local clock.
	Time time.Time
	// Hash is the block hash (empty in CheckTx, where the block is unknown).
	Hash []byte
	// Proposer is the CometBFT address of the block proposer.
	Proposer []byte
}

// State is the deterministic state machine: a sorted key-value view plus the
// rules that change it. It does no I/O. The same transactions applied in the
// same order to equal states give equal states and equal change sets.
//
// A State is not safe for concurrent use; Clone gives an independent copy in
// O(1) (copy on write).
type State struct {
	kv     *kv
	params *Params // decoded cache of the params key; nil when unknown
}

// NewState returns an empty state (before genesis).
func NewState() *State { return &State{kv: newKV()} }

// Clone returns an independent copy whose change set starts empty.
func (s *State) Clone() *State {
	c := &State{kv: s.kv.clone()}
	if s.params != nil {
		p := *s.params
		c.params = &p
	}
	return c
}

// Get returns the value at key. The slice must not be modified.
func (s *State) Get(key string) ([]byte, bool) { return s.kv.get(key) }

// Set stores a copy of val at key.
func (s *State) Set(key string, val []byte) {
	if key == keyParams {
		s.params = nil
	}
	s.kv.set(key, val)
}

// Delete removes key.
func (s *State) Delete(key string) {
	if key == keyParams {
		s.params = nil
	}
	s.kv.del(key)
}

// Iterate calls fn for every key with the prefix in ascending byte order until
// fn returns false. fn must not write to the state.
func (s *State) Iterate(prefix string, fn func(key string, val []byte) bool) {
	s.kv.iterate(prefix, fn)
}

// Len is the number of keys in the state.
func (s *State) Len() int { return s.kv.len() }

// ChangeSet returns the sorted keys changed since the last ChangeSet call (or
// since the state was created or cloned) and starts a new change set. The app
// calls it once per block to compute the app hash and the store batch.
func (s *State) ChangeSet() []Change { return s.kv.changeSet() }

// SigVerifier checks a transaction's signature; hash is SHA-256 of its
// encoding. The ABCI app passes one that caches successes by hash; nil means
// tx.VerifySignature.
type SigVerifier func(tx *Tx, hash [32]byte) error

// TxResult is what an applied transaction reports.
type TxResult struct {
	Hash   [32]byte
	Type   TxType
	Sender Address
	Nonce  uint64
	Fee    uint64
	Events []Event
}

// ExecTx is the one validation-and-execution function of the chain: CheckTx,
// PrepareProposal, ProcessProposal and FinalizeBlock all call it (on the check
// state, a scratch copy, or the block state). The checks run cheapest first,
// the same for every type (docs/protocol.md, "Validation order"): the size
// (ErrTxTooLarge), the envelope (ErrMalformed), the chain ID (ErrChainID), the
// type and the body's shape (ErrUnknownType, ErrMalformed), the fee
// (ErrFeeTooLow), the nonce (ErrNonce), the fee balance
// (ErrInsufficientFunds), the signature (ErrBadSignature), then the message's
// ValidateBasic (ErrInvalidMsg and others); then it charges the fee to the fee
// pool, bumps the nonce and executes the message, whose own state checks come
// before any expensive verification. A transaction either applies completely
// or not at all: any error leaves the state exactly as it was.
func (s *State) ExecTx(ctx BlockContext, raw []byte, verify SigVerifier) (*TxResult, error) {
	p := s.Params()
	if uint64(len(raw)) > p.MaxTxBytes {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrTxTooLarge, len(raw), p.MaxTxBytes)
	}
	tx, err := DecodeTx(raw)
	if err != nil {
		return nil, err
	}
	if want := s.ChainID(); tx.ChainID != want {
		return nil, fmt.Errorf("%w: tx for %q, this chain is %q", ErrChainID, tx.ChainID, want)
	}
	msg, err := decodeBody(tx.Type, tx.Body)
	if err != nil {
		return nil, err
	}
	if req := RequiredFee(p, msg); tx.Fee < req {
		return nil, fmt.Errorf("%w: fee %d, this %s needs %d", ErrFeeTooLow, tx.Fee, TypeName(tx.Type), req)
	}
	sender := tx.Sender()
	acct := s.Account(sender)
	if tx.Nonce != acct.Nonce {
		return nil, fmt.Errorf("%w: account %s expects nonce %d, tx has %d", ErrNonce, sender, acct.Nonce, tx.Nonce)
	}
	if acct.Balance < tx.Fee {
		return nil, fmt.Errorf("%w: balance %d cannot pay fee %d", ErrInsufficientFunds, acct.Balance, tx.Fee)
	}
	// The signature is checked after the cheap checks: a replayed or
	// unfunded transaction is turned away without paying for an ed25519
	// verification, and ValidateBasic only runs for a signed, funded one.
	hash := sha256.Sum256(raw)
	if verify == nil {
		err = tx.VerifySignature()
	} else {
		err = verify(tx, hash)
	}
	if err != nil {
		return nil, err
	}
	if err := msg.ValidateBasic(); err != nil {
		return nil, fmt.Errorf("%s: %w", TypeName(tx.Type), err)
	}

	s.kv.beginTx()
	params := s.params
	tc := &TxContext{State: s, Block: ctx, Signer: sender, SignerKey: tx.Signer, TxHash: hash}
	if err := s.chargeFee(sender, tx.Fee); err != nil {
		s.kv.rollbackTx()
		s.params = params
		return nil, err
	}
	if err := msg.Execute(tc); err != nil {
		s.kv.rollbackTx()
		s.params = params
		return nil, fmt.Errorf("%s: %w", TypeName(tx.Type), err)
	}
	s.kv.commitTx()
	head := Event{Type: "tx", Attrs: []Attr{
		{"type", TypeName(tx.Type)}, {"sender", sender.String()},
		{"nonce", strconv.FormatUint(tx.Nonce, 10)}, {"fee", strconv.FormatUint(tx.Fee, 10)},
	}, Index: []string{"type", "sender"}}
	return &TxResult{Hash: hash, Type: tx.Type, Sender: sender, Nonce: tx.Nonce, Fee: tx.Fee,
		Events: append([]Event{head}, tc.events...)}, nil
}

// chargeFee moves fee from the sender to the fee pool and bumps its nonce.
func (s *State) chargeFee(sender Address, fee uint64) error {
	acct := s.Account(sender)
	if acct.Balance < fee {
		return fmt.Errorf("%w: balance %d cannot pay fee %d", ErrInsufficientFunds, acct.Balance, fee)
	}
	acct.Balance -= fee
	acct.Nonce++
	s.SetAccount(acct)
	pool, err := addU64(s.FeePool(), fee)
	if err != nil {
		return err
	}
	s.setU64(keyFeePool, pool)
	return nil
}

// EndBlocker is one end-of-block hook: it runs at the end of every block,
// after the block's transactions, at its place in endBlockers.
type EndBlocker func(s *State, ctx BlockContext) ([]Event, error)

type endBlockerEntry struct {
	name string
	fn   EndBlocker
}

// endBlockers are the end-of-block hooks in the order they run. The order is
// consensus (each hook writes state and emits events, all of it under the app
// hash): "ceremonies" (ceremony.go: beacons), then "subnets" (epoch.go:
// emission and epochs), then "fees" (fees.go: burn the fee pool), as
// docs/protocol.md states. TestEndBlockerOrder pins it. A new hook is added
// to this list, at a place that is a protocol change; never from init.
var endBlockers = []endBlockerEntry{
	{"ceremonies", ceremoniesEndBlock},
	{"subnets", subnetsEndBlock},
	{"fees", burnFees},
}

// EndBlock runs the end-of-block hooks (endBlockers, in order) for the block in ctx. An error here is a
// bug (it would halt the chain), so hooks must handle bad state themselves.
func (s *State) EndBlock(ctx BlockContext) ([]Event, error) {
	var out []Event
	for _, e := range endBlockers {
		evs, err := e.fn(s, ctx)
		if err != nil {
			return nil, fmt.Errorf("end block %d, %s: %w", ctx.Height, e.name, err)
		}
		out = append(out, evs...)
	}
	return out, nil
}
