package chain

import (
	"crypto/ed25519"
	"fmt"
)

// Msg is the body of a transaction: one action, with its own canonical
// encoding and its own state transition. Each message type lives in its own
// file and registers a decoder with RegisterMsg from an init function.
type Msg interface {
	// Type is the envelope type that selects this message's decoder.
	Type() TxType
	// MarshalBody returns the canonical body encoding; the registered decoder
	// must accept exactly these bytes and no other encoding of the same value.
	MarshalBody() []byte
	// ValidateBasic checks what needs no state (non-zero amounts, lengths).
	// Failures wrap ErrInvalidMsg or ErrMalformed. ExecTx runs it after
	// the fee, nonce and signature checks; it must still stay cheap (linear
	// in the body's length): anything costlier (a key parse, a proof
	// verification) belongs in Execute, after the message's state checks
	// and charges, so that only a signed, funded sender can trigger it.
	ValidateBasic() error
	// Execute applies the message. It must be deterministic and may return an
	// error after writing: the caller rolls the whole transaction back.
	Execute(tc *TxContext) error
}

// workMsg is a message whose verification cost grows with its content: it
// reports the weight entries it stores and the Groth16 verifications it
// causes, and RequiredFee charges for them.
type workMsg interface {
	work() (entries, proofs uint64)
}

// RequiredFee is the smallest fee msg may pay: Params.MinFee plus
// FeePerWeight per weight entry and FeePerProof per proof verification
// (saturating at 2^64-1). Clients raise their fee to it (chain/client).
func RequiredFee(p Params, msg Msg) uint64 {
	fee := p.MinFee
	if w, ok := msg.(workMsg); ok {
		entries, proofs := w.work()
		fee = satAdd(fee, satMul(entries, p.FeePerWeight))
		fee = satAdd(fee, satMul(proofs, p.FeePerProof))
	}
	return fee
}

func satAdd(a, b uint64) uint64 {
	if a+b < a {
		return ^uint64(0)
	}
	return a + b
}

func satMul(a, b uint64) uint64 {
	if a != 0 && b > ^uint64(0)/a {
		return ^uint64(0)
	}
	return a * b
}

// MsgDecoder parses a canonical body. It must not panic on any input.
type MsgDecoder func(body []byte) (Msg, error)

type msgEntry struct {
	name   string
	decode MsgDecoder
}

// registry maps a type to its decoder. It is written only from init
// functions (RegisterMsg) and read-only afterwards, and it is only ever looked
// up by key, never iterated in a state transition.
var registry = map[TxType]msgEntry{}

// RegisterMsg adds a message type. It panics on a duplicate type or name,
// which is a programming error found at start-up, never network input.
func RegisterMsg(t TxType, name string, decode MsgDecoder) {
	if _, dup := registry[t]; dup {
		panic(fmt.Sprintf("chain: tx type %d registered twice", t))
	}
	for _, e := range registry {
		if e.name == name {
			panic(fmt.Sprintf("chain: tx name %q registered twice", name))
		}
	}
	registry[t] = msgEntry{name: name, decode: decode}
}

// TypeName returns the registered name of t, or "unknown(t)".
func TypeName(t TxType) string {
	if e, ok := registry[t]; ok {
		return e.name
	}
	return fmt.Sprintf("unknown(%d)", t)
}

// DecodeMsg decodes body with the decoder registered for t and runs
// ValidateBasic. Unknown types wrap ErrUnknownType.
func DecodeMsg(t TxType, body []byte) (Msg, error) {
	m, err := decodeBody(t, body)
	if err != nil {
		return nil, err
	}
	if err := m.ValidateBasic(); err != nil {
		return nil, fmt.Errorf("%s: %w", TypeName(t), err)
	}
	return m, nil
}

// decodeBody decodes body with the decoder registered for t, without
// ValidateBasic: the shape checks only, linear in the body's length.
func decodeBody(t TxType, body []byte) (Msg, error) {
	e, ok := registry[t]
	if !ok {
		return nil, fmt.Errorf("%w: %d", ErrUnknownType, t)
	}
	m, err := e.decode(body)
	if err != nil {
		return nil, fmt.Errorf("decode %s body: %w", e.name, err)
	}
	return m, nil
}

// Event is one ABCI event emitted by a transaction or by EndBlock. Attribute
// order is the order of emission, which is deterministic.
type Event struct {
	Type  string
	Attrs []Attr
	// Index names the attribute keys CometBFT's tx indexer indexes (each one
	// costs a database write per transaction); nil indexes every attribute.
	// Hot-path events list only what clients search by.
	Index []string `json:"-"`
}

// Attr is one key/value attribute of an Event.
type Attr struct{ Key, Value string }

// TxContext is what a message sees while it executes.
type TxContext struct {
	// State is the state being changed; writes are rolled back if Execute fails.
	State *State
	// Block is the header of the block (or, in CheckTx, the next block).
	Block BlockContext
	// Signer is the address of the envelope's signer, who already paid the fee.
	Signer Address
	// SignerKey is the signer's ed25519 public key.
	SignerKey ed25519.PublicKey
	// TxHash is SHA-256 of the encoded transaction.
	TxHash [32]byte

	events []Event
}

// EmitEvent records ev as is.
func (tc *TxContext) EmitEvent(ev Event) { tc.events = append(tc.events, ev) }

// Emit records an event with alternating key, value attributes, all indexed.
func (tc *TxContext) Emit(typ string, kv ...string) {
	ev := Event{Type: typ}
	for i := 0; i+1 < len(kv); i += 2 {
		ev.Attrs = append(ev.Attrs, Attr{kv[i], kv[i+1]})
	}
	tc.events = append(tc.events, ev)
}
