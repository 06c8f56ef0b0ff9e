package zk

import (
	"errors"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/test"
)

// randomInputs draws k int8 inputs of n values over the whole int8 range
// (the offsets' edge cases -128 and 127 included).
func randomInputs(seed uint64, k, n int) [][]int8 {
	r := rand.New(rand.NewPCG(seed, 3))
	xs := make([][]int8, k)
	for j := range xs {
		xs[j] = make([]int8, n)
		for i := range xs[j] {
			xs[j][i] = int8(r.IntN(256) - 128)
		}
	}
	xs[0][0], xs[k-1][n-1] = -128, 127
	return xs
}

// TestBatchCircuitMatchesNative: for MLPs and CNNs (padding, stride, both
// poolings), edge-case models (both clamps, ties) and inputs over the whole
// int8 range, the native classes satisfy the batch circuit, bit for bit, and
// changing any one output does not.
func TestBatchCircuitMatchesNative(t *testing.T) {
	tie := randomModel(t, mustArch(t, "6-4-3"), 3)
	tie.Layers[0].Shift = 0
	tie.Layers[1].Weights = make([]int8, 12)
	tie.Layers[1].Biases = []int32{5, 5, 5}
	models := []*Model{
		randomModel(t, mustArch(t, "16-8-4"), 1),
		randomModel(t, mustArch(t, "6-5-4-3"), 2),
		tie,
		randomModel(t, mustArch(t, cnnA), 4),
		randomModel(t, mustArch(t, "8x8-c2k3p1s2-mp2-c3k2-ap1-5"), 5),
	}
	for mi, m := range models {
		for _, k := range []int{1, 3} {
			xs := randomInputs(uint64(mi), k, m.Arch.Inputs())
			if m == tie {
				xs[k-1] = []int8{127, 127, 127, 127, 127, 127}
			}
			asg, pub, err := assignBatch(m, xs, Binding{Epoch: 1})
			if err != nil {
				t.Fatal(err)
			}
			for j, x := range xs {
				class, _, _ := m.Infer(x)
				if pub.Outputs[j] != class {
					t.Fatalf("%s: output %d is %d, native %d", m.Arch, j, pub.Outputs[j], class)
				}
			}
			if err := test.IsSolved(newBatchCircuit(m.Arch, k), asg, ecc.BN254.ScalarField()); err != nil {
				t.Fatalf("%s k=%d: honest witness: %v", m.Arch, k, err)
			}
			asg.Outputs[k-1] = (pub.Outputs[k-1] + 1) % uint32(m.Arch.Outputs())
			if test.IsSolved(newBatchCircuit(m.Arch, k), asg, ecc.BN254.ScalarField()) == nil {
				t.Fatalf("%s k=%d: a wrong last output satisfies the circuit", m.Arch, k)
			}
		}
	}
}

// TestBatchCircuitRejectsRepackedWeights: the byte checks still stop the
// repacking attack (w0 += 256, w1 -= 1 keeps the packed element, hence the
// commitment) on the offset wires.
func TestBatchCircuitRejectsRepackedWeights(t *testing.T) {
	a := mustArch(t, "6-4-3")
	m := randomModel(t, a, 5)
	m.Layers[0].Weights[0], m.Layers[0].Weights[1] = 100, -100
	xs := [][]int8{{5, -7, 9, 11, -13, 17}}
	asg, _, err := assignBatch(m, xs, Binding{Epoch: 1})
	if err != nil {
		t.Fatal(err)
	}
	layers := m.nativeLayers()
	layers[0].w[0] += 256
	layers[0].w[1]--
	asg.W[0][0], asg.W[0][1] = layers[0].w[0]+128, layers[0].w[1]+128
	x := make([]int64, 6)
	for i, v := range xs[0] {
		x[i] = int64(v)
	}
	class, _ := forward[int64](nativeArith{}, nil, layers, x)
	asg.Outputs[0] = class
	if test.IsSolved(newBatchCircuit(a, 1), asg, ecc.BN254.ScalarField()) == nil {
		t.Fatal("batch circuit accepts repacked weights outside int8")
	}
}

var (
	batchOnce sync.Once
	batchP    *BatchProver
	batchV    *BatchVerifier
	batchVK   []byte
	batchErr  error
)

// batchKeys are single-party keys of 16-8-4 with k = 4 (the ceremony path is
// tested in zk/ceremony).
func batchKeys(t *testing.T) (*BatchProver, *BatchVerifier) {
	t.Helper()
	batchOnce.Do(func() {
		a := mustArch(t, "16-8-4")
		pk, vk, err := SetupBatch(a, 4)
		if err != nil {
			batchErr = err
			return
		}
		batchVK = vk
		if batchP, batchErr = NewBatchProver(a, 4, pk); batchErr != nil {
			return
		}
		batchV, batchErr = NewBatchVerifier(vk, 4)
	})
	if batchErr != nil {
		t.Fatal(batchErr)
	}
	return batchP, batchV
}

// TestBatchProveVerifySoundness proves 4 inferences in one proof and checks
// that the verifier rejects a wrong output for one of them, the inputs in
// another order, another model, hotkey or epoch, and a proof made with other
// weights.
func TestBatchProveVerifySoundness(t *testing.T) {
	p, v := batchKeys(t)
	a := p.Arch()
	m, other := randomModel(t, a, 1), randomModel(t, a, 2)
	xs := randomInputs(7, 4, a.Inputs())
	b := Binding{HotkeyHash: HotkeyHash([]byte("miner-1")), Epoch: 12}
	proof, pub, err := p.Prove(m, xs, b)
	if err != nil {
		t.Fatal(err)
	}
	if len(proof) != ProofSize {
		t.Fatalf("proof of %d bytes", len(proof))
	}
	if err := v.Verify(proof, pub); err != nil {
		t.Fatalf("honest batch proof rejected: %v", err)
	}
	classes, err := m.InferBatch(xs)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(pub.Outputs, classes) || pub.ModelCommitment != m.Commitment() || pub.InputsHash != BatchInputsHash(xs) {
		t.Fatalf("public inputs %+v do not match the native values %v", pub, classes)
	}
	reordered := [][]int8{xs[1], xs[0], xs[2], xs[3]}
	if BatchInputsHash(reordered) == pub.InputsHash {
		t.Fatal("the inputs hash ignores the order")
	}
	mutate := map[string]func(p *BatchPublic){
		"wrong output of input 2": func(p *BatchPublic) { p.Outputs[2] = (p.Outputs[2] + 1) % 4 },
		"outputs reordered":       func(p *BatchPublic) { p.Outputs[0], p.Outputs[3] = p.Outputs[3], p.Outputs[0]+1 },
		"inputs reordered":        func(p *BatchPublic) { p.InputsHash = BatchInputsHash(reordered) },
		"another model":           func(p *BatchPublic) { p.ModelCommitment = other.Commitment() },
		"another hotkey":          func(p *BatchPublic) { p.HotkeyHash = HotkeyHash([]byte("miner-2")) },
		"another epoch":           func(p *BatchPublic) { p.Epoch++ },
		"single input hash":       func(p *BatchPublic) { p.InputsHash = InputHash(xs[0]) },
	}
	for name, f := range mutate {
		q := pub
		q.Outputs = slices.Clone(pub.Outputs)
		f(&q)
		if err := v.Verify(proof, q); !errors.Is(err, ErrProofInvalid) {
			t.Errorf("%s: %v, want ErrProofInvalid", name, err)
		}
	}
	// Wrong weights: a proof with other weights carries their commitment.
	proof2, pub2, err := p.Prove(other, xs, b)
	if err != nil {
		t.Fatal(err)
	}
	q := pub2
	q.ModelCommitment = m.Commitment()
	if err := v.Verify(proof2, q); !errors.Is(err, ErrProofInvalid) {
		t.Errorf("proof with other weights accepted for this model: %v", err)
	}
	// Reordered inputs, proved honestly, give the reordered outputs and hash:
	// not the answers for the order the validator sent.
	proof3, pub3, err := p.Prove(m, reordered, b)
	if err != nil {
		t.Fatal(err)
	}
	q = pub3
	q.InputsHash = pub.InputsHash
	if err := v.Verify(proof3, q); !errors.Is(err, ErrProofInvalid) {
		t.Errorf("proof of reordered inputs accepted for the original order: %v", err)
	}
	// Shape errors.
	if _, _, err := p.Prove(m, xs[:3], b); !errors.Is(err, ErrBadInput) {
		t.Errorf("3 inputs for a batch of 4: %v", err)
	}
	short := pub
	short.Outputs = pub.Outputs[:3]
	if err := v.Verify(proof, short); !errors.Is(err, ErrBadPublic) {
		t.Errorf("3 outputs: %v, want ErrBadPublic", err)
	}
	if _, err := NewVerifier(mustVK(t)); !errors.Is(err, ErrMalformedKey) {
		t.Errorf("batch key as a single verifying key: %v, want ErrMalformedKey", err)
	}
	if _, err := NewBatchVerifier(mustVK(t), 1); !errors.Is(err, ErrMalformedKey) {
		t.Errorf("k=4 key as a k=1 key: %v, want ErrMalformedKey", err)
	}
	// Public inputs round trip.
	enc, err := pub.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	dec, err := UnmarshalBatchPublic(enc)
	if err != nil || !slices.Equal(dec.Outputs, pub.Outputs) || dec.InputsHash != pub.InputsHash || dec.Epoch != pub.Epoch || dec.HotkeyHash != pub.HotkeyHash {
		t.Fatalf("round trip: %+v, %v", dec, err)
	}
	if _, err := UnmarshalBatchPublic(enc[:len(enc)-1]); !errors.Is(err, ErrBadPublic) {
		t.Errorf("truncated: %v", err)
	}
}

// mustVK is the k = 4 test verifying key's bytes.
func mustVK(t *testing.T) []byte {
	t.Helper()
	batchKeys(t)
	return batchVK
}

func TestBatchCircuitID(t *testing.T) {
	a := mustArch(t, "784-64-10")
	ids := map[[32]byte]string{a.CircuitID(): "single"}
	for _, k := range []int{1, 4, 16} {
		id := BatchCircuitID(a, k)
		if _, dup := ids[id]; dup {
			t.Fatalf("batch %d shares an ID", k)
		}
		ids[id] = "batch"
	}
	if BatchCircuitID(a, 4) == BatchCircuitID(mustArch(t, "784-32-10"), 4) {
		t.Fatal("two architectures share a batch circuit ID")
	}
}
