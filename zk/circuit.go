package zk

import (
	"fmt"

	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/lookup/logderivlookup"
	"github.com/consensys/gnark/std/rangecheck"
)

// Circuit proves one inference of a quantized MLP of a fixed architecture.
//
// Public inputs, in this order (gnark orders them by field): ModelCommitment,
// InputHash, Output, HotkeyHash, Epoch, then Logits when a test asks for
// them (production circuits have none). Private: the input X, every weight,
// bias and hidden shift.
//
// Cost (R1CS): one constraint per weight for the products, about one more per
// weight for its 8-bit range check (one log-derivative lookup, byteChecker),
// and ~38 per packed field element for the width-16 Poseidon2 sponge (31
// weights per element); a few dozen per neuron for requantization, ReLU and
// argmax.
type Circuit struct {
	ModelCommitment frontend.Variable   `gnark:",public"`
	InputHash       frontend.Variable   `gnark:",public"`
	Output          frontend.Variable   `gnark:",public"`
	HotkeyHash      frontend.Variable   `gnark:",public"`
	Epoch           frontend.Variable   `gnark:",public"`
	Logits          []frontend.Variable `gnark:",public"`

	X      []frontend.Variable
	W      [][]frontend.Variable // per layer, row-major [out][in]
	B      [][]frontend.Variable // per layer
	Shifts []frontend.Variable   // conv layers, then hidden dense layers
	CW     [][]frontend.Variable // per conv layer, [out][in][ky][kx]
	CB     [][]frontend.Variable // per conv layer

	arch Arch
}

// newCircuit allocates the circuit shape for a; withLogits adds the logits as
// extra public inputs (tests only).
func newCircuit(a Arch, withLogits bool) *Circuit {
	c := &Circuit{arch: a, X: make([]frontend.Variable, a.Inputs())}
	c.W = make([][]frontend.Variable, a.Layers())
	c.B = make([][]frontend.Variable, a.Layers())
	for l := range a.Layers() {
		c.W[l] = make([]frontend.Variable, a.Sizes[l]*a.Sizes[l+1])
		c.B[l] = make([]frontend.Variable, a.Sizes[l+1])
	}
	idx, ins := a.convLayers()
	c.Shifts = make([]frontend.Variable, len(idx)+a.Layers()-1)
	for i, j := range idx {
		c.CW = append(c.CW, make([]frontend.Variable, convWeights(a.Feats[j], ins[i])))
		c.CB = append(c.CB, make([]frontend.Variable, a.Feats[j].Out))
	}
	if withLogits {
		c.Logits = make([]frontend.Variable, a.Outputs())
	}
	return c
}

// assign builds a full witness assignment for model m, input x and binding b.
func assign(m *Model, x []int8, b Binding, withLogits bool) (*Circuit, Public, error) {
	class, logits, err := m.Infer(x)
	if err != nil {
		return nil, Public{}, err
	}
	c := newCircuit(m.Arch, withLogits)
	for i, v := range x {
		c.X[i] = int64(v)
	}
	for l, ly := range m.Convs {
		for i, w := range ly.Weights {
			c.CW[l][i] = int64(w)
		}
		for i, v := range ly.Biases {
			c.CB[l][i] = int64(v)
		}
		c.Shifts[l] = int64(ly.Shift)
	}
	nc := len(m.Convs)
	for l, ly := range m.Layers {
		for i, w := range ly.Weights {
			c.W[l][i] = int64(w)
		}
		for i, v := range ly.Biases {
			c.B[l][i] = int64(v)
		}
		if l < len(m.Layers)-1 {
			c.Shifts[nc+l] = int64(ly.Shift)
		}
	}
	for i := range c.Logits {
		c.Logits[i] = int64(logits[i])
	}
	pub := Public{
		ModelCommitment: m.Commitment(),
		InputHash:       InputHash(x),
		Output:          class,
		HotkeyHash:      b.HotkeyHash,
		Epoch:           b.Epoch,
	}
	c.ModelCommitment = pub.ModelCommitment[:]
	c.InputHash = pub.InputHash[:]
	c.Output = pub.Output
	c.HotkeyHash = pub.HotkeyHash[:]
	c.Epoch = pub.Epoch
	return c, pub, nil
}

// Define implements frontend.Circuit.
func (c *Circuit) Define(api frontend.API) error {
	a := c.arch
	rc := rangecheck.New(api)
	bc := newByteChecker(api)
	pows := logderivlookup.New(api)
	for s := 0; s <= MaxShift; s++ {
		pows.Insert(uint64(1) << s)
	}

	// Input: 8-bit range checks, packed, hashed into InputHash.
	xb := make([]frontend.Variable, len(c.X))
	for i, x := range c.X {
		xb[i] = api.Add(x, 128)
		bc.check(xb[i])
	}
	if err := assertSponge(api, domainInput, packVars(api, xb, 8, bytesPerElem), c.InputHash); err != nil {
		return err
	}

	// Model: range checks, then the commitment over the same packing as
	// Model.Commitment (conv layers first, then dense).
	layers := make([]layerOf[frontend.Variable], a.Layers())
	var wb, bb []frontend.Variable
	for l := range c.CW {
		for _, w := range c.CW[l] {
			v := api.Add(w, 128)
			bc.check(v)
			wb = append(wb, v)
		}
		for _, b := range c.CB[l] {
			rc.Check(api.Add(b, MaxBias), 27)
			bb = append(bb, api.Add(b, biasOffset))
		}
	}
	feats := featLayers(a, func(i int) (w, b []frontend.Variable, pow frontend.Variable) {
		return c.CW[i], c.CB[i], pows.Lookup(c.Shifts[i])[0]
	})
	nc := len(c.CW)
	for l := range a.Layers() {
		for _, w := range c.W[l] {
			v := api.Add(w, 128)
			bc.check(v)
			wb = append(wb, v)
		}
		for _, b := range c.B[l] {
			rc.Check(api.Add(b, MaxBias), 27) // -2^26 <= b < 2^26
			bb = append(bb, api.Add(b, biasOffset))
		}
		layers[l] = layerOf[frontend.Variable]{in: a.Sizes[l], out: a.Sizes[l+1], w: c.W[l], b: c.B[l]}
		if l < a.Layers()-1 {
			layers[l].pow = pows.Lookup(c.Shifts[nc+l])[0] // also forces 0 <= shift <= MaxShift
		}
	}
	elems := []frontend.Variable{archElemVar(a), packVars(api, c.Shifts, 5, len(c.Shifts)+1)[0]}
	if len(c.Shifts) == 0 {
		elems[1] = 0
	}
	elems = append(elems, packVars(api, bb, 32, biasesPerElem)...)
	elems = append(elems, packVars(api, wb, 8, bytesPerElem)...)
	if err := assertSponge(api, domainModel, elems, c.ModelCommitment); err != nil {
		return err
	}

	// Inference.
	class, logits := forward[frontend.Variable](circuitArith{api: api, rc: rc, bc: bc}, feats, layers, c.X)
	api.AssertIsEqual(class, c.Output)
	if len(c.Logits) > 0 {
		if len(c.Logits) != len(logits) {
			return fmt.Errorf("zk: %d logits for %d outputs", len(c.Logits), len(logits))
		}
		for i := range logits {
			api.AssertIsEqual(logits[i], c.Logits[i])
		}
	}

	// Binding: make HotkeyHash and Epoch appear in a constraint so the
	// verifier's linear combination depends on them.
	api.Mul(api.Add(c.HotkeyHash, 1), api.Add(c.Epoch, 1))
	return nil
}

// packVars packs vals (each < 2^bits, already range-checked) per elements
// per field element, little-endian.
func packVars(api frontend.API, vals []frontend.Variable, bits, per int) []frontend.Variable {
	var out []frontend.Variable
	for i := 0; i < len(vals); i += per {
		end := min(i+per, len(vals))
		var acc frontend.Variable = 0
		for j := end - 1; j >= i; j-- {
			acc = api.Add(api.Mul(acc, uint64(1)<<bits), vals[j])
		}
		out = append(out, acc)
	}
	if len(out) == 0 {
		out = append(out, 0)
	}
	return out
}

// archElemVar is archElem as a circuit constant.
func archElemVar(a Arch) frontend.Variable {
	e := archElem(a)
	return e.String()
}

// assertSponge constrains want == sponge(domain, elems).
func assertSponge(api frontend.API, domain uint64, elems []frontend.Variable, want frontend.Variable) error {
	st := make([]frontend.Variable, p2Width)
	for i := range st {
		st[i] = 0
	}
	st[spongeRate] = spongeIV(domain, len(elems))
	for i := 0; i < len(elems) || i == 0; i += spongeRate {
		for j := 0; j < spongeRate && i+j < len(elems); j++ {
			st[j] = api.Add(st[j], elems[i+j])
		}
		p2PermuteCircuit(api, st)
	}
	api.AssertIsEqual(st[0], want)
	return nil
}
