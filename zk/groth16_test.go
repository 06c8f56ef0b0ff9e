package zk

import (
	"bytes"
	"errors"
	"sync"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
)

// small is the architecture of the fast soundness tests: the same gadgets as
// 784-64-10 at a fraction of the setup cost.
const small = "64-8-10"

type keys struct {
	arch   Arch
	pk, vk []byte
	prover *Prover
	ver    *Verifier
}

var (
	smallOnce sync.Once
	smallKeys keys
	smallErr  error
)

func setupKeys(a Arch) (keys, error) {
	pk, vk, err := Setup(a, nil)
	if err != nil {
		return keys{}, err
	}
	p, err := NewProver(a, pk)
	if err != nil {
		return keys{}, err
	}
	v, err := NewVerifier(vk)
	if err != nil {
		return keys{}, err
	}
	return keys{arch: a, pk: pk, vk: vk, prover: p, ver: v}, nil
}

func smallSetup(t testing.TB) keys {
	t.Helper()
	smallOnce.Do(func() { smallKeys, smallErr = setupKeys(mustArch(t, small)) })
	if smallErr != nil {
		t.Fatal(smallErr)
	}
	return smallKeys
}

func TestProveVerifySoundness(t *testing.T) {
	k := smallSetup(t)
	m := randomModel(t, k.arch, 1)
	other := randomModel(t, k.arch, 2)
	x := ChallengeInput([32]byte{7}, 42, k.arch.Inputs())
	b := Binding{HotkeyHash: HotkeyHash([]byte("miner-1")), Epoch: 12}
	proof, pub, err := k.prover.Prove(m, x, b)
	if err != nil {
		t.Fatal(err)
	}
	if len(proof) > MaxProofSize {
		t.Fatalf("proof of %d bytes > MaxProofSize", len(proof))
	}
	if err := k.ver.Verify(proof, pub); err != nil {
		t.Fatalf("honest proof rejected: %v", err)
	}
	class, _, _ := m.Infer(x)
	if pub.Output != class || pub.ModelCommitment != m.Commitment() || pub.InputHash != InputHash(x) || pub.HotkeyHash != b.HotkeyHash || pub.Epoch != 12 {
		t.Fatalf("public inputs %+v do not match the native values", pub)
	}
	mutate := map[string]func(p *Public){
		"another output":  func(p *Public) { p.Output = (p.Output + 1) % 10 },
		"another model":   func(p *Public) { p.ModelCommitment = other.Commitment() },
		"another input":   func(p *Public) { p.InputHash = InputHash(ChallengeInput([32]byte{7}, 43, k.arch.Inputs())) },
		"another hotkey":  func(p *Public) { p.HotkeyHash = HotkeyHash([]byte("miner-2")) },
		"another epoch":   func(p *Public) { p.Epoch++ },
		"epoch zero":      func(p *Public) { p.Epoch = 0 },
		"output too high": func(p *Public) { p.Output = 1 << 31 },
	}
	for name, f := range mutate {
		p := pub
		f(&p)
		if err := k.ver.Verify(proof, p); !errors.Is(err, ErrProofInvalid) {
			t.Errorf("%s: %v, want ErrProofInvalid", name, err)
		}
	}
	// A proof made with other weights carries the other commitment and does
	// not verify against this model's.
	proof2, pub2, err := k.prover.Prove(other, x, b)
	if err != nil {
		t.Fatal(err)
	}
	if pub2.ModelCommitment == pub.ModelCommitment {
		t.Fatal("two models share a commitment")
	}
	p := pub2
	p.ModelCommitment = pub.ModelCommitment
	if err := k.ver.Verify(proof2, p); !errors.Is(err, ErrProofInvalid) {
		t.Errorf("proof from another model accepted for this model: %v", err)
	}
	// Wrong architecture.
	if _, _, err := k.prover.Prove(randomModel(t, mustArch(t, "64-9-10"), 1), x, b); !errors.Is(err, ErrArchMismatch) {
		t.Errorf("model of another arch: %v, want ErrArchMismatch", err)
	}
	if _, _, err := k.prover.Prove(m, x[:10], b); !errors.Is(err, ErrBadInput) {
		t.Errorf("short input: %v, want ErrBadInput", err)
	}
}

func TestPublicRoundTrip(t *testing.T) {
	p := Public{ModelCommitment: HotkeyHash([]byte("a")), InputHash: InputHash([]int8{1, 2}), Output: 7, HotkeyHash: HotkeyHash([]byte("b")), Epoch: 1 << 40}
	b, _ := p.MarshalBinary()
	if len(b) != PublicSize {
		t.Fatalf("%d bytes", len(b))
	}
	q, err := UnmarshalPublic(b)
	if err != nil || q != p {
		t.Fatalf("round trip: %+v %v", q, err)
	}
	if _, err := UnmarshalPublic(b[:PublicSize-1]); !errors.Is(err, ErrBadPublic) {
		t.Errorf("short: %v", err)
	}
	bad := bytes.Clone(b)
	for i := range 32 {
		bad[i] = 0xff
	}
	if _, err := UnmarshalPublic(bad); !errors.Is(err, ErrBadPublic) {
		t.Errorf("non-canonical commitment: %v", err)
	}
}

func TestMalformedProofs(t *testing.T) {
	k := smallSetup(t)
	m := randomModel(t, k.arch, 1)
	proof, pub, err := k.prover.Prove(m, ChallengeInput([32]byte{1}, 1, k.arch.Inputs()), Binding{Epoch: 1})
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string][]byte{
		"empty":     nil,
		"truncated": proof[:len(proof)-5],
		"half":      proof[:len(proof)/2],
		"trailing":  append(bytes.Clone(proof), 0),
		"oversized": make([]byte, MaxProofSize+1),
		"zeros":     make([]byte, len(proof)),
		"ones":      bytes.Repeat([]byte{0xff}, len(proof)),
	}
	for i := 0; i < len(proof); i += 7 {
		g := bytes.Clone(proof)
		g[i] ^= 0x5a
		cases["garbled@"+string(rune('a'+i%26))+string(rune('0'+i/26))] = g
	}
	for name, b := range cases {
		err := k.ver.Verify(b, pub)
		if err == nil {
			t.Errorf("%s: accepted", name)
		} else if !errors.Is(err, ErrMalformedProof) && !errors.Is(err, ErrProofInvalid) {
			t.Errorf("%s: %v is neither ErrMalformedProof nor ErrProofInvalid", name, err)
		}
	}
	bad := pub
	bad.HotkeyHash = [32]byte{0xff, 0xff}
	if err := k.ver.Verify(proof, bad); !errors.Is(err, ErrBadPublic) {
		t.Errorf("non-canonical hotkey hash: %v, want ErrBadPublic", err)
	}
}

// tinyCircuit is a one-constraint circuit used to make keys of the wrong
// shape (other curve, other number of public inputs).
type tinyCircuit struct {
	A, B frontend.Variable `gnark:",public"`
	C    frontend.Variable
}

func (c *tinyCircuit) Define(api frontend.API) error {
	api.AssertIsEqual(api.Mul(c.A, c.C), c.B)
	return nil
}

func vkBytes(t *testing.T, curve ecc.ID, c frontend.Circuit) []byte {
	t.Helper()
	ccs, err := frontend.Compile(curve.ScalarField(), r1cs.NewBuilder, c)
	if err != nil {
		t.Fatal(err)
	}
	_, vk, err := testSetup(ccs)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if _, err := vk.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestMalformedKeys(t *testing.T) {
	k := smallSetup(t)
	garbled := bytes.Clone(k.vk)
	for i := 0; i < len(garbled); i += 13 {
		garbled[i] ^= 0xa5
	}
	withLogits, err := compile(k.arch, true)
	if err != nil {
		t.Fatal(err)
	}
	_, lvk, err := testSetup(withLogits)
	if err != nil {
		t.Fatal(err)
	}
	var lb bytes.Buffer
	lvk.WriteTo(&lb)
	cases := map[string][]byte{
		"empty":             nil,
		"truncated":         k.vk[:len(k.vk)-1],
		"half":              k.vk[:len(k.vk)/2],
		"trailing":          append(bytes.Clone(k.vk), 1),
		"garbled":           garbled,
		"oversized":         make([]byte, MaxVerifyingKeySize+1),
		"bls12-381":         vkBytes(t, ecc.BLS12_381, &tinyCircuit{}),
		"bn254 2 publics":   vkBytes(t, ecc.BN254, &tinyCircuit{}),
		"15 public inputs":  lb.Bytes(),
		"proving key bytes": k.pk[:min(len(k.pk), MaxVerifyingKeySize)],
	}
	for name, b := range cases {
		if _, err := NewVerifier(b); !errors.Is(err, ErrMalformedKey) {
			t.Errorf("%s: %v, want ErrMalformedKey", name, err)
		}
	}
	if _, err := NewProver(k.arch, k.pk[:len(k.pk)/2]); !errors.Is(err, ErrMalformedKey) {
		t.Errorf("truncated proving key: %v, want ErrMalformedKey", err)
	}
	if _, err := NewProver(mustArch(t, "64-9-10"), k.pk); err == nil {
		t.Error("proving key accepted for another architecture")
	}
	// A verifying key of another architecture rejects this one's proofs.
	other, err := setupKeys(mustArch(t, "64-9-10"))
	if err != nil {
		t.Fatal(err)
	}
	m := randomModel(t, k.arch, 1)
	proof, pub, err := k.prover.Prove(m, ChallengeInput([32]byte{}, 0, 64), Binding{})
	if err != nil {
		t.Fatal(err)
	}
	if err := other.ver.Verify(proof, pub); !errors.Is(err, ErrProofInvalid) {
		t.Errorf("proof checked against another circuit's key: %v, want ErrProofInvalid", err)
	}
}

func FuzzVerify(f *testing.F) {
	k := smallSetup(f)
	proof, pub, err := k.prover.Prove(randomModel(f, k.arch, 1), ChallengeInput([32]byte{}, 0, 64), Binding{})
	if err != nil {
		f.Fatal(err)
	}
	pb, _ := pub.MarshalBinary()
	f.Add(proof, pb)
	f.Add(proof[:100], pb)
	f.Add([]byte{}, pb[:10])
	f.Fuzz(func(t *testing.T, proof, pubBytes []byte) {
		p, err := UnmarshalPublic(pubBytes)
		if err != nil {
			return
		}
		if err := k.ver.Verify(proof, p); err == nil && !bytes.Equal(pubBytes, pb) {
			t.Fatalf("accepted a proof for other public inputs")
		}
	})
}

func FuzzNewVerifier(f *testing.F) {
	k := smallSetup(f)
	f.Add(k.vk)
	f.Add(k.vk[:40])
	f.Add([]byte{0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := NewVerifier(b)
		if err != nil {
			return
		}
		_ = v.Verify(make([]byte, 196), Public{}) // must not panic
	})
}
