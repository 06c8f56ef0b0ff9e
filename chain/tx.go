package chain

import (
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"

	cmted "github.com/cometbft/cometbft/crypto/ed25519"
)

// TxVersion is the first byte of every encoded transaction.
const TxVersion = 1

// SignDomain is the domain-separation tag that starts the sign bytes, so a
// Veritensor transaction signature can never be valid for another protocol's
// message (or another version of this one).
const SignDomain = "veritensor/tx/v1"

// Hard limits of the envelope, independent of the chain parameters.
const (
	// MaxChainIDLen is the longest chain ID accepted (CometBFT's own limit).
	MaxChainIDLen = 50
	// MaxBodyLen caps a body before the per-chain MaxTxBytes parameter applies.
	MaxBodyLen = 1 << 20
	// SignatureLen is the length of an ed25519 signature.
	SignatureLen = ed25519.SignatureSize
)

// TxType selects the handler of a transaction body (see RegisterMsg).
type TxType uint16

// Tx is the signed envelope every transaction travels in. Its canonical
// encoding (Marshal) is:
//
//	version   uint8   (= TxVersion)
//	chain_id  uint32 length + bytes (at most MaxChainIDLen)
//	type      uint16  big-endian
//	signer    32 bytes ed25519 public key
//	nonce     uint64  big-endian: the signer's next nonce (0 for its first tx)
//	fee       uint64  big-endian, base units, >= Params.MinFee
//	body      uint32 length + bytes: the message's canonical encoding
//	signature 64 bytes ed25519 over SignBytes
//
// Integers are fixed width and there is no padding or optional field, so each
// transaction has exactly one encoding and DecodeTx rejects anything else.
type Tx struct {
	ChainID   string
	Type      TxType
	Signer    ed25519.PublicKey
	Nonce     uint64
	Fee       uint64
	Body      []byte
	Signature []byte
}

func (tx *Tx) appendUnsigned(e *Encoder) {
	e.Uint8(TxVersion).String(tx.ChainID).Uint16(uint16(tx.Type)).Fixed(tx.Signer).
		Uint64(tx.Nonce).Uint64(tx.Fee).VarBytes(tx.Body)
}

// SignBytes returns what the signer signs: SignDomain, a zero byte, then the
// encoding of every envelope field except the signature (version, chain ID,
// type, signer, nonce, fee and body). Binding the chain ID and nonce stops
// cross-chain and same-chain replay.
func (tx *Tx) SignBytes() []byte {
	e := NewEncoder(len(SignDomain) + 1 + 64 + len(tx.ChainID) + len(tx.Body))
	e.Fixed([]byte(SignDomain)).Uint8(0)
	tx.appendUnsigned(e)
	return e.Bytes()
}

// Marshal returns the canonical encoding of tx.
func (tx *Tx) Marshal() []byte {
	e := NewEncoder(1 + 4 + len(tx.ChainID) + 2 + 32 + 16 + 4 + len(tx.Body) + SignatureLen)
	tx.appendUnsigned(e)
	e.Fixed(tx.Signature)
	return e.Bytes()
}

// Hash returns the SHA-256 of the encoding, the same hash CometBFT uses to
// index the transaction.
func (tx *Tx) Hash() [32]byte { return sha256.Sum256(tx.Marshal()) }

// Sender returns the signer's address.
func (tx *Tx) Sender() Address { return AddressFromPubKey(tx.Signer) }

// Sign sets tx.Signer from priv and signs the sign bytes.
func (tx *Tx) Sign(priv ed25519.PrivateKey) {
	tx.Signer = priv.Public().(ed25519.PublicKey)
	tx.Signature = ed25519.Sign(priv, tx.SignBytes())
}

// VerifySignature checks the ed25519 signature; failure wraps ErrBadSignature.
// Verification follows ZIP-215 (CometBFT's own rule, via curve25519-voi with a
// cache of expanded public keys, about twice as fast as crypto/ed25519 here):
// every node applies the same rule, so validity is deterministic.
func (tx *Tx) VerifySignature() error {
	if len(tx.Signer) != ed25519.PublicKeySize || len(tx.Signature) != SignatureLen ||
		!cmted.PubKey(tx.Signer).VerifySignature(tx.SignBytes(), tx.Signature) {
		return fmt.Errorf("%w: signer %x", ErrBadSignature, []byte(tx.Signer))
	}
	return nil
}

// DecodeTx parses the canonical encoding. It checks only the shape (lengths,
// version, no trailing bytes); it never panics, whatever b holds. The returned
// Tx aliases b.
func DecodeTx(b []byte) (*Tx, error) {
	d := NewDecoder(b)
	if v := d.Uint8("version"); d.err == nil && v != TxVersion {
		d.Fail(fmt.Errorf("version %d, want %d", v, TxVersion))
	}
	tx := &Tx{}
	tx.ChainID = d.String(MaxChainIDLen, "chain_id")
	tx.Type = TxType(d.Uint16("type"))
	tx.Signer = ed25519.PublicKey(d.Fixed(ed25519.PublicKeySize, "signer"))
	tx.Nonce = d.Uint64("nonce")
	tx.Fee = d.Uint64("fee")
	tx.Body = d.VarBytes(MaxBodyLen, "body")
	tx.Signature = d.Fixed(SignatureLen, "signature")
	if err := d.Finish(); err != nil {
		return nil, fmt.Errorf("decode tx: %w", err)
	}
	return tx, nil
}

// NewTx builds and signs the envelope for msg.
func NewTx(chainID string, msg Msg, priv ed25519.PrivateKey, nonce, fee uint64) *Tx {
	tx := &Tx{ChainID: chainID, Type: msg.Type(), Nonce: nonce, Fee: fee, Body: msg.MarshalBody()}
	tx.Sign(priv)
	return tx
}

func sha256Sum(b []byte) [32]byte { return sha256.Sum256(b) }
