package ceremony

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/veritensor/veritensor/zk"
)

// run is a whole ceremony held in memory.
type run struct {
	c       *Circuit
	p1, p2  [][]byte // init + contributions
	sealed1 []byte
	sealed2 []byte
	keys    *Keys
	beacon1 []byte
	beacon2 []byte
}

func openers(files [][]byte) []Opener {
	out := make([]Opener, len(files))
	for i, f := range files {
		out[i] = BytesOpener(f)
	}
	return out
}

func (r *run) transcript() Transcript {
	return Transcript{
		Phase1:  append(openers(r.p1), BytesOpener(r.sealed1)),
		Phase2:  append(openers(r.p2), BytesOpener(r.sealed2)),
		Beacon1: r.beacon1, Beacon2: r.beacon2,
	}
}

func contribute(t testing.TB, prev []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	if _, err := Contribute(&buf, bytes.NewReader(prev), nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// newRun runs a ceremony for c with n1 phase-1 and n2 phase-2 contributions.
func newRun(t testing.TB, c *Circuit, log2 uint8, n1, n2 int) *run {
	t.Helper()
	r := &run{c: c, beacon1: Beacon("test", 1, Phase1, []byte("block")), beacon2: Beacon("test", 1, Phase2, []byte("block"))}
	var buf bytes.Buffer
	if _, err := InitPhase1(&buf, log2); err != nil {
		t.Fatal(err)
	}
	r.p1 = [][]byte{bytes.Clone(buf.Bytes())}
	for range n1 {
		r.p1 = append(r.p1, contribute(t, r.p1[len(r.p1)-1]))
	}
	buf.Reset()
	if _, err := SealPhase1(&buf, openers(r.p1), r.beacon1, nil); err != nil {
		t.Fatal(err)
	}
	r.sealed1 = bytes.Clone(buf.Bytes())
	buf.Reset()
	if _, err := InitPhase2(&buf, c, bytes.NewReader(r.sealed1), nil); err != nil {
		t.Fatal(err)
	}
	r.p2 = [][]byte{bytes.Clone(buf.Bytes())}
	for range n2 {
		r.p2 = append(r.p2, contribute(t, r.p2[len(r.p2)-1]))
	}
	buf.Reset()
	_, keys, err := SealPhase2(&buf, c, BytesOpener(r.sealed1), openers(r.p2), r.beacon2, nil)
	if err != nil {
		t.Fatal(err)
	}
	r.sealed2, r.keys = bytes.Clone(buf.Bytes()), keys
	return r
}

func smallCircuit(t testing.TB) *Circuit {
	t.Helper()
	c, err := CompileCircuit(zk.Arch{Sizes: []int{49, 16, 10}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestThreePartyCeremonyProves runs a 3-party ceremony (both phases) for
// 49-16-10 and proves and verifies a real inference with its keys; then an
// attacker's phase 2 for a circuit that constrains nothing, labelled with
// the real circuit ID, fails verification.
func TestThreePartyCeremonyProves(t *testing.T) {
	if testing.Short() {
		t.Skip("a 2^13 ceremony: ~1 min of CPU")
	}
	c := smallCircuit(t)
	t.Logf("49-16-10: %d constraints, 2^%d", c.NbConstraints, c.Log2)
	r := newRun(t, c, c.Log2, 3, 3)
	t.Run("nothing circuit", func(t *testing.T) { testNothingCircuit(t, r) })
	res, err := Verify(c, r.transcript(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Keys.VKHash != r.keys.VKHash || res.Keys.PKHash != r.keys.PKHash {
		t.Fatal("verify gives other keys than the seal")
	}
	a := c.Arch
	m, err := zk.RandomModel(a, 1)
	if err != nil {
		t.Fatal(err)
	}
	p, err := zk.NewProver(a, res.Keys.PK)
	if err != nil {
		t.Fatal(err)
	}
	v, err := zk.NewVerifier(res.Keys.VK)
	if err != nil {
		t.Fatal(err)
	}
	x := make([]int8, a.Inputs())
	proof, pub, err := p.Prove(m, x, zk.Binding{Epoch: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Verify(proof, pub); err != nil {
		t.Fatal(err)
	}
	pub.Output = (pub.Output + 1) % uint32(a.Outputs())
	if err := v.Verify(proof, pub); !errors.Is(err, zk.ErrProofInvalid) {
		t.Fatalf("a wrong output verifies: %v", err)
	}
}

func testNothingCircuit(t *testing.T, r *run) {
	real := r.c
	nothing := compileToy(t, "nothing", &nothingCircuit{})
	// Honestly labelled: the header names another circuit.
	// Relabelled: the header claims the real circuit and size.
	forged := *nothing
	forged.ID, forged.Log2 = real.ID, real.Log2
	for _, c := range []*Circuit{nothing, &forged} {
		var buf bytes.Buffer
		if _, err := InitPhase2(&buf, c, bytes.NewReader(r.sealed1), nil); err != nil {
			t.Fatal(err)
		}
		p2 := [][]byte{bytes.Clone(buf.Bytes())}
		p2 = append(p2, contribute(t, p2[0]))
		_, keys, err := SealPhase2(io.Discard, c, BytesOpener(r.sealed1), openers(p2), r.beacon2, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := zk.NewVerifier(keys.VK); err == nil {
			t.Error("zk accepts the verifying key of a circuit that constrains nothing")
		}
		tr := r.transcript()
		tr.Phase2 = openers(p2)
		_, err = Verify(real, tr, nil)
		var fe *Error
		if !errors.Is(err, ErrWrongCircuit) || !errors.As(err, &fe) || fe.Phase != Phase2 || fe.Index != 0 {
			t.Fatalf("a phase 2 for a circuit that constrains nothing (header circuit %s): %v", ShortHash(c.ID), err)
		}
		t.Log(err)
	}
}

// TestBatchCeremonyProves runs a 1+2-party ceremony for the batch circuit
// of 16-8-4 with k = 4 and proves and verifies a batch with its keys; the
// single circuit's phase 2 cannot stand in for it.
func TestBatchCeremonyProves(t *testing.T) {
	if testing.Short() {
		t.Skip("a 2^12 ceremony")
	}
	a := zk.Arch{Sizes: []int{16, 8, 4}}
	c, err := CompileBatchCircuit(a, 4)
	if err != nil {
		t.Fatal(err)
	}
	if c.ID != zk.BatchCircuitID(a, 4) || c.ID == a.CircuitID() {
		t.Fatal("batch circuit ID")
	}
	res, m := ceremonyForOtherCircuit(t, c, a)
	p, err := zk.NewBatchProver(a, 4, res.Keys.PK)
	if err != nil {
		t.Fatal(err)
	}
	v, err := zk.NewBatchVerifier(res.Keys.VK, 4)
	if err != nil {
		t.Fatal(err)
	}
	xs := [][]int8{zk.ChallengeInput([32]byte{1}, 1, 16), zk.ChallengeInput([32]byte{1}, 2, 16), zk.ChallengeInput([32]byte{1}, 3, 16), zk.ChallengeInput([32]byte{1}, 4, 16)}
	proof, pub, err := p.Prove(m, xs, zk.Binding{Epoch: 3})
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Verify(proof, pub); err != nil {
		t.Fatal(err)
	}
	pub.Outputs[1] = (pub.Outputs[1] + 1) % 4
	if err := v.Verify(proof, pub); !errors.Is(err, zk.ErrProofInvalid) {
		t.Fatalf("a wrong output verifies: %v", err)
	}
}

// TestCommitCeremonyProves runs a 1+2-party ceremony for the commit
// circuit of 16-8-4 and proves and verifies with its keys: the model point
// a miner computes from the ceremony's proving key is the one its proofs
// carry (the commitment basis comes out of the ceremony), a proof under the
// wrong point is refused, and the hash scheme's phase 2 cannot stand in.
func TestCommitCeremonyProves(t *testing.T) {
	if testing.Short() {
		t.Skip("a 2^12 ceremony")
	}
	a := zk.Arch{Sizes: []int{16, 8, 4}}
	c, err := CompileSchemeCircuit(zk.SchemeCommit, a)
	if err != nil {
		t.Fatal(err)
	}
	if c.ID != zk.CommitCircuitID(a) || c.Scheme != zk.SchemeCommit {
		t.Fatal("commit circuit ID")
	}
	res, m := ceremonyForOtherCircuit(t, c, a)
	p, err := zk.NewSingleProver(zk.SchemeCommit, a, res.Keys.PK)
	if err != nil {
		t.Fatal(err)
	}
	v, err := zk.NewSingleVerifier(zk.SchemeCommit, res.Keys.VK)
	if err != nil {
		t.Fatal(err)
	}
	point, err := p.ModelCommitment(m)
	if err != nil {
		t.Fatal(err)
	}
	proof, pub, err := p.Prove(m, zk.ChallengeInput([32]byte{1}, 1, 16), zk.Binding{Epoch: 3})
	if err != nil {
		t.Fatal(err)
	}
	if pub.ModelCommitment != point {
		t.Fatal("the proof's point is not the model point under the ceremony's key")
	}
	if err := v.Verify(proof, pub); err != nil {
		t.Fatal(err)
	}
	m2, err := zk.RandomModel(a, 2)
	if err != nil {
		t.Fatal(err)
	}
	other, err := p.ModelCommitment(m2)
	if err != nil {
		t.Fatal(err)
	}
	pub.ModelCommitment = other
	if err := v.Verify(proof, pub); !errors.Is(err, zk.ErrProofInvalid) {
		t.Fatalf("a proof verifies against another model's point: %v", err)
	}
}

// ceremonyForOtherCircuit runs a 1+2-party ceremony for c, a circuit of a
// other than its hash-scheme single circuit, verifies it, checks that its
// phase 2 does not verify for the hash-scheme single circuit of a
// (ErrWrongCircuit), and returns the verified result and a random model of a.
func ceremonyForOtherCircuit(t *testing.T, c *Circuit, a zk.Arch) (*Result, *zk.Model) {
	t.Helper()
	t.Logf("%s: %d constraints, 2^%d", c.name(), c.NbConstraints, c.Log2)
	r := newRun(t, c, c.Log2, 1, 2)
	res, err := Verify(c, r.transcript(), nil)
	if err != nil {
		t.Fatal(err)
	}
	single, err := CompileCircuit(a)
	if err != nil {
		t.Fatal(err)
	}
	tr := r.transcript()
	if _, err := VerifyPhase2(single, BytesOpener(r.sealed1), tr.Phase2, tr.Beacon2, nil); !errors.Is(err, ErrWrongCircuit) {
		t.Fatalf("the transcript of %s verified for the hash-scheme single circuit: %v", c.name(), err)
	}
	m, err := zk.RandomModel(a, 1)
	if err != nil {
		t.Fatal(err)
	}
	return res, m
}
