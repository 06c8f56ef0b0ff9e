package chain

import (
	"crypto/sha256"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/veritensor/veritensor/zk"
)

// ProofRecord is the proof of model a UID landed in an epoch.
type ProofRecord struct {
	UID uint16 `json:"uid"`
	// Epoch the proof is for; ProofOK in the epoch's scoring when it equals
	// the subnet's current epoch.
	Epoch uint64 `json:"epoch"`
	// Output is the class the model computed on the challenge input.
	Output uint32 `json:"output"`
	// Block is the block the proof landed in.
	Block uint64 `json:"block"`
}

// Proof returns uid's last accepted proof on subnet id, if any.
func (s *State) Proof(id, uid uint16) (ProofRecord, bool) {
	var p ProofRecord
	ok := s.getJSON(uidKey(prefixProof, id, uid), &p)
	return p, ok
}

// ChallengeInput is the input the chain expects uid to prove on in the
// current epoch of sn: zk.ChallengeInput(seed, uid, input size).
func (sn *Subnet) ChallengeInput(uid uint16) []int8 {
	return zk.ChallengeInput(sn.Seed, uint32(uid), int(sn.Task.InputSize))
}

// ProofPublic rebuilds, from chain state only, the public inputs a proof by
// n for the current epoch of sn must verify against. ModelCommitment is n's
// registered commitment under the subnet's scheme: a Poseidon2 hash
// (zk.SchemeHash) or the model point (zk.SchemeCommit).
func (sn *Subnet) ProofPublic(n *Neuron, output uint32) zk.Public {
	return zk.Public{ModelCommitment: n.ModelCommitment, InputHash: zk.InputHash(sn.ChallengeInput(n.UID)),
		Output: output, HotkeyHash: zk.HotkeyHash(n.HotkeyPub), Epoch: sn.Epoch}
}

// verifierCache maps a proof scheme and SHA-256 of a verifying key to its
// parsed verifier. Parsing is a pure function of the scheme and the bytes,
// so caching it cannot change any result; it only saves the parse and the
// pairing precomputation.
var verifierCache = struct {
	sync.Mutex
	m map[verifierKey]zk.SingleVerifier
}{m: map[verifierKey]zk.SingleVerifier{}}

type verifierKey struct {
	scheme zk.Scheme
	vk     [32]byte
}

// maxCachedVerifiers bounds the cache; when full it is emptied.
const maxCachedVerifiers = 256

// cachedVerifier parses vk as a verifying key of a single-inference circuit
// under scheme (zk.NewSingleVerifier), or returns the cached parse.
func cachedVerifier(scheme zk.Scheme, vk []byte) (zk.SingleVerifier, error) {
	k := verifierKey{scheme: scheme, vk: sha256.Sum256(vk)}
	verifierCache.Lock()
	v, ok := verifierCache.m[k]
	verifierCache.Unlock()
	if ok {
		return v, nil
	}
	v, err := zk.NewSingleVerifier(scheme, vk)
	if err != nil {
		return nil, err
	}
	verifierCache.Lock()
	if len(verifierCache.m) >= maxCachedVerifiers {
		verifierCache.m = map[verifierKey]zk.SingleVerifier{}
	}
	verifierCache.m[k] = v
	verifierCache.Unlock()
	return v, nil
}

// verifiedProofs remembers, process-wide, proofs that verified: SHA-256 of
// the scheme, the verifying key's hash, the public inputs and the proof
// bytes. A
// verification is a pure function of those, so a hit gives exactly the
// result a fresh verification would; it saves the ~1.7 ms Groth16 check a
// submit-proof would otherwise pay again in recheck, PrepareProposal,
// ProcessProposal and FinalizeBlock on the same node. Only successes are
// kept (a failure is never cached, so nobody can fill the cache with invalid
// proofs), in a bounded LRU outside consensus state.
var verifiedProofs = mustLRU(maxVerifiedProofs)

// proofVerifications counts Groth16 verifications actually run (tests).
var proofVerifications atomic.Uint64

// maxVerifiedProofs bounds verifiedProofs (32 bytes a key).
const maxVerifiedProofs = 1 << 14

func mustLRU(n int) *lru.Cache[[32]byte, struct{}] {
	c, err := lru.New[[32]byte, struct{}](n)
	if err != nil {
		panic(err) // only for n <= 0
	}
	return c
}

// verifyProof verifies proof against pub with the verifying key vk of a
// single-inference circuit under scheme, consulting and filling
// verifiedProofs.
func verifyProof(scheme zk.Scheme, vk, proof []byte, pub zk.Public) error {
	vkHash := sha256.Sum256(vk)
	pb, _ := pub.MarshalBinary()
	h := sha256.New()
	h.Write([]byte{byte(scheme)})
	h.Write(vkHash[:])
	h.Write(pb)
	h.Write(proof)
	var key [32]byte
	h.Sum(key[:0])
	if verifiedProofs.Contains(key) {
		return nil
	}
	v, err := cachedVerifier(scheme, vk)
	if err != nil {
		return fmt.Errorf("%w: verifying key: %v", ErrInternal, err)
	}
	proofVerifications.Add(1)
	if err := v.Verify(proof, pub); err != nil {
		return fmt.Errorf("%w: %v", ErrProofInvalid, err)
	}
	verifiedProofs.Add(key, struct{}{})
	return nil
}

// MsgSubmitProof is a miner's proof of model for the current epoch; signed by
// the hotkey. Body: subnet (u16) | epoch (u64) | output (u32) | proof (u32
// length + bytes, at most zk.MaxProofSize, checked before reading them).
type MsgSubmitProof struct {
	Subnet uint16 `json:"subnet"`
	Epoch  uint64 `json:"epoch"`
	Output uint32 `json:"output"`
	Proof  []byte `json:"proof"`
}

func init() { RegisterMsg(TxSubmitProof, "submit-proof", decodeSubmitProof) }

func decodeSubmitProof(body []byte) (Msg, error) {
	d := NewDecoder(body)
	var m MsgSubmitProof
	m.Subnet = d.Uint16("subnet")
	m.Epoch = d.Uint64("epoch")
	m.Output = d.Uint32("output")
	m.Proof = d.VarBytes(zk.MaxProofSize, "proof")
	if err := d.Finish(); err != nil {
		return nil, err
	}
	return &m, nil
}

// Type implements Msg.
func (m *MsgSubmitProof) Type() TxType { return TxSubmitProof }

func (m *MsgSubmitProof) work() (uint64, uint64) { return 0, 1 }

// MarshalBody implements Msg.
func (m *MsgSubmitProof) MarshalBody() []byte {
	return NewEncoder(18 + len(m.Proof)).Uint16(m.Subnet).Uint64(m.Epoch).Uint32(m.Output).VarBytes(m.Proof).Bytes()
}

// ValidateBasic rejects an empty proof.
func (m *MsgSubmitProof) ValidateBasic() error {
	if len(m.Proof) == 0 {
		return fmt.Errorf("%w: empty proof", ErrInvalidMsg)
	}
	return nil
}

// Execute verifies the proof against public inputs the chain rebuilds from
// its own state (the signer's model commitment and hotkey, the challenge
// input of the epoch seed and UID, the current epoch) with the verifier of
// the subnet's proof scheme (TaskSpec.Scheme: under zk.SchemeCommit the
// registered commitment is the model point the proof must carry) and
// records it.
// Errors: ErrProofEpoch (not the current epoch, or its seed is not known
// yet), ErrProofDuplicate (a proof already landed this epoch), ErrNotServed
// (no model commitment), ErrProofInvalid (output out of range, malformed or
// failing proof).
func (m *MsgSubmitProof) Execute(tc *TxContext) error {
	s := tc.State
	sn, n, err := hotkeySubnet(tc, m.Subnet)
	if err != nil {
		return err
	}
	if sn.Task.Proofless {
		return fmt.Errorf("%w: subnet %d's task is proof-less: it has no verifying key", ErrProofInvalid, sn.ID)
	}
	if m.Epoch != sn.Epoch || sn.Seed.IsZero() {
		return fmt.Errorf("%w: proof for epoch %d, subnet %d is in epoch %d (seed known: %v)", ErrProofEpoch, m.Epoch, sn.ID, sn.Epoch, !sn.Seed.IsZero())
	}
	if p, ok := s.Proof(sn.ID, n.UID); ok && p.Epoch == sn.Epoch {
		return fmt.Errorf("%w: uid %d already proved epoch %d", ErrProofDuplicate, n.UID, sn.Epoch)
	}
	if n.ModelCommitment.IsZero() {
		return fmt.Errorf("%w: uid %d has not served a model commitment", ErrNotServed, n.UID)
	}
	if m.Output >= sn.Task.OutputSize {
		return fmt.Errorf("%w: output %d, the task has %d classes", ErrProofInvalid, m.Output, sn.Task.OutputSize)
	}
	scheme, err := sn.Task.Scheme()
	if err != nil {
		return fmt.Errorf("%w: subnet %d: %v", ErrInternal, sn.ID, err)
	}
	if err := verifyProof(scheme, s.SubnetVK(sn.ID), m.Proof, sn.ProofPublic(n, m.Output)); err != nil {
		return fmt.Errorf("subnet %d: %w", sn.ID, err)
	}
	rec := ProofRecord{UID: n.UID, Epoch: sn.Epoch, Output: m.Output, Block: uint64(tc.Block.Height)}
	if err := s.putJSON(uidKey(prefixProof, sn.ID, n.UID), rec); err != nil {
		return err
	}
	tc.Emit("proof", "subnet", strconv.Itoa(int(sn.ID)), "uid", strconv.Itoa(int(n.UID)),
		"epoch", strconv.FormatUint(sn.Epoch, 10), "output", strconv.FormatUint(uint64(m.Output), 10))
	return nil
}
