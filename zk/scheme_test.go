package zk

import (
	"errors"
	"testing"
)

// TestSchemeIDs: each scheme has its own circuit ID, SchemeOf inverts
// CircuitID, and a batch circuit or another arch's ID is no scheme.
func TestSchemeIDs(t *testing.T) {
	a, b := mustArch(t, "16-8-4"), mustArch(t, "16-8-5")
	if SchemeHash.CircuitID(a) == SchemeCommit.CircuitID(a) {
		t.Fatal("the two schemes share a circuit ID")
	}
	for _, s := range Schemes {
		got, err := SchemeOf(a, s.CircuitID(a))
		if err != nil || got != s {
			t.Fatalf("SchemeOf(%s) = %v, %v", s, got, err)
		}
		if _, err := SchemeOf(b, s.CircuitID(a)); !errors.Is(err, ErrArchMismatch) {
			t.Fatalf("another arch's %s circuit is a scheme of %s: %v", s, b, err)
		}
		if p, err := ParseScheme(s.String()); err != nil || p != s {
			t.Fatalf("ParseScheme(%q) = %v, %v", s, p, err)
		}
	}
	if _, err := SchemeOf(a, BatchCircuitID(a, 4)); err == nil {
		t.Fatal("a batch circuit is a single-inference scheme")
	}
	if _, err := ParseScheme("poseidon"); err == nil {
		t.Fatal("ParseScheme accepts an unknown name")
	}
}

// TestSchemesProveAndVerify: both schemes through the SingleProver and
// SingleVerifier interfaces. The commitment a miner registers is what its
// proofs carry; a commitment of the other scheme's form is refused by
// ValidateCommitment before any pairing.
func TestSchemesProveAndVerify(t *testing.T) {
	a := mustArch(t, "16-8-4")
	m := randomModel(t, a, 3)
	x := randomInputs(5, 1, a.Inputs())[0]
	var hk [32]byte
	hk[31] = 9
	commitments := map[Scheme][32]byte{}
	for _, s := range Schemes {
		pk, vk, err := SetupScheme(s, a)
		if err != nil {
			t.Fatal(err)
		}
		p, err := NewSingleProver(s, a, pk)
		if err != nil {
			t.Fatal(err)
		}
		v, err := NewSingleVerifier(s, vk)
		if err != nil {
			t.Fatal(err)
		}
		if p.Scheme() != s || v.Scheme() != s {
			t.Fatalf("%s: prover %s, verifier %s", s, p.Scheme(), v.Scheme())
		}
		other := Schemes[1-int(s)]
		if _, err := NewSingleVerifier(other, vk); !errors.Is(err, ErrMalformedKey) {
			t.Fatalf("a %s verifying key parses as %s: %v", s, other, err)
		}
		c, err := p.ModelCommitment(m)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.ValidateCommitment(c); err != nil {
			t.Fatalf("%s: own commitment invalid: %v", s, err)
		}
		commitments[s] = c
		proof, pub, err := p.Prove(m, x, Binding{HotkeyHash: hk, Epoch: 2})
		if err != nil {
			t.Fatal(err)
		}
		if pub.ModelCommitment != c {
			t.Fatalf("%s: proof carries %x, registered %x", s, pub.ModelCommitment[:8], c[:8])
		}
		if err := v.Verify(proof, pub); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		b, _ := pub.MarshalBinary()
		got, err := UnmarshalPublicFor(s, b)
		if err != nil || got != pub {
			t.Fatalf("%s: public inputs do not round-trip: %v", s, err)
		}
		wrong := pub
		wrong.Epoch++
		if err := v.Verify(proof, wrong); !errors.Is(err, ErrProofInvalid) {
			t.Fatalf("%s: another epoch verifies: %v", s, err)
		}
	}
	// A Poseidon2 commitment is almost never a canonical compressed point,
	// and a compressed point (flag bits set) is never below the modulus.
	if err := SchemeHash.ValidateCommitment(commitments[SchemeCommit]); !errors.Is(err, ErrBadPublic) {
		t.Fatalf("a model point passes as a hash commitment: %v", err)
	}
	var junk [32]byte
	for i := range junk {
		junk[i] = 0xab
	}
	for _, c := range [][32]byte{junk, {0x80, 1}, {0xff}} {
		if err := SchemeCommit.ValidateCommitment(c); !errors.Is(err, ErrBadPublic) {
			t.Fatalf("%x passes as a model point: %v", c[:4], err)
		}
	}
	if err := Scheme(7).ValidateCommitment([32]byte{}); err == nil {
		t.Fatal("an unknown scheme validates")
	}
}
