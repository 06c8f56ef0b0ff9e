package zk

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/big"

	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/lookup/logderivlookup"
	"github.com/consensys/gnark/std/rangecheck"
)

// Batch proofs: one proof for k inputs of the same model. The per-model work
// (the weights' byte checks and the model commitment) is done once; the
// per-input work (k forward passes, the inputs' byte checks) k times.
const (
	// BatchCircuitVersion is mixed into every BatchCircuitID; bump it when
	// the batch circuit or any of its encodings changes.
	BatchCircuitVersion = 1
	// MaxBatch is the largest batch size the package accepts.
	MaxBatch = 16
)

// BatchSizes are the batch sizes daemons use (one ceremony each per
// architecture); the package accepts any k in 1..MaxBatch.
var BatchSizes = []int{1, 4, 16}

// domainBatchInputs tags the hash of a batch's inputs.
const domainBatchInputs = 4

// quotientOffset keeps a requantization quotient non-negative in its wire:
// the prover supplies q + 2^28 (|q| < 2^28).
const quotientOffset = 1 << bitsQuotient

// BatchCircuitID identifies the batch circuit of (a, k), and so its keys:
// SHA-256 of "veritensor/zk/batch-circuit", BatchCircuitVersion (u16 BE), k
// (u8) and the canonical architecture encoding. It never equals a
// CircuitID (another prefix).
func BatchCircuitID(a Arch, k int) [32]byte {
	h := sha256.New()
	h.Write([]byte("veritensor/zk/batch-circuit"))
	h.Write(binary.BigEndian.AppendUint16(nil, BatchCircuitVersion))
	h.Write([]byte{byte(k)})
	h.Write(a.encode())
	var id [32]byte
	h.Sum(id[:0])
	return id
}

// checkBatch validates a batch size.
func checkBatch(k int) error {
	if k < 1 || k > MaxBatch {
		return fmt.Errorf("%w: batch of %d inputs, want 1..%d", ErrBadInput, k, MaxBatch)
	}
	return nil
}

// BatchInputsHash is the hash of a batch's inputs in order:
// sponge(domain 4, pack31(x_1 + 128 || x_2 + 128 || ... || x_k + 128)), the
// value bytes of every input concatenated. Big-endian field element.
func BatchInputsHash(xs [][]int8) [32]byte {
	var all []byte
	for _, x := range xs {
		all = append(all, int8Bytes(x)...)
	}
	return elemBytes(sponge(domainBatchInputs, packBytes(all)))
}

// BatchCircuit proves k inferences of one model.
//
// Public inputs, in this order: ModelCommitment, InputsHash, Outputs[0..k-1],
// HotkeyHash, Epoch. Private: the k inputs and the model.
//
// Every private value is stored in its wire shifted to be small and
// non-negative, because gnark's multi-scalar multiplications skip the zero
// windows of small scalars while a negative value is a full-size field
// element (p - |v|): inputs and weights as v + 128 (0..255, the bytes the
// hashes absorb and the byte checks see), biases as b + 2^26, requantization
// quotients as q + 2^28. A product w*x is computed as the wire (w+128)*x'
// (x' = x + 128 for an input, x for a ReLU output, which is already
// 0..127) and the offsets are corrected by linear terms, which are free;
// the sums of a weight row and of an input vector that those corrections
// need are one wire each, shared by every row and every input.
type BatchCircuit struct {
	ModelCommitment frontend.Variable   `gnark:",public"`
	InputsHash      frontend.Variable   `gnark:",public"`
	Outputs         []frontend.Variable `gnark:",public"`
	HotkeyHash      frontend.Variable   `gnark:",public"`
	Epoch           frontend.Variable   `gnark:",public"`

	X      [][]frontend.Variable // k inputs, each value + 128
	W      [][]frontend.Variable // per dense layer, row-major [out][in], + 128
	B      [][]frontend.Variable // per dense layer, + MaxBias
	Shifts []frontend.Variable   // conv layers, then hidden dense layers
	CW     [][]frontend.Variable // per conv layer, [out][in][ky][kx], + 128
	CB     [][]frontend.Variable // per conv layer, + MaxBias

	arch Arch
	k    int
}

// newBatchCircuit allocates the shape of (a, k)'s batch circuit.
func newBatchCircuit(a Arch, k int) *BatchCircuit {
	s := newCircuit(a, false)
	c := &BatchCircuit{arch: a, k: k, W: s.W, B: s.B, Shifts: s.Shifts, CW: s.CW, CB: s.CB}
	c.X = make([][]frontend.Variable, k)
	for j := range c.X {
		c.X[j] = make([]frontend.Variable, a.Inputs())
	}
	c.Outputs = make([]frontend.Variable, k)
	return c
}

// assignBatch builds a full witness of (m, xs, b) and its public inputs.
func assignBatch(m *Model, xs [][]int8, b Binding) (*BatchCircuit, BatchPublic, error) {
	classes := make([]uint32, len(xs))
	for j, x := range xs {
		class, _, err := m.Infer(x)
		if err != nil {
			return nil, BatchPublic{}, fmt.Errorf("input %d: %w", j, err)
		}
		classes[j] = class
	}
	c := newBatchCircuit(m.Arch, len(xs))
	for j, x := range xs {
		for i, v := range x {
			c.X[j][i] = int64(v) + 128
		}
	}
	for l, ly := range m.Convs {
		for i, w := range ly.Weights {
			c.CW[l][i] = int64(w) + 128
		}
		for i, v := range ly.Biases {
			c.CB[l][i] = int64(v) + MaxBias
		}
		c.Shifts[l] = int64(ly.Shift)
	}
	nc := len(m.Convs)
	for l, ly := range m.Layers {
		for i, w := range ly.Weights {
			c.W[l][i] = int64(w) + 128
		}
		for i, v := range ly.Biases {
			c.B[l][i] = int64(v) + MaxBias
		}
		if l < len(m.Layers)-1 {
			c.Shifts[nc+l] = int64(ly.Shift)
		}
	}
	pub := BatchPublic{
		ModelCommitment: m.Commitment(),
		InputsHash:      BatchInputsHash(xs),
		Outputs:         classes,
		HotkeyHash:      b.HotkeyHash,
		Epoch:           b.Epoch,
	}
	c.ModelCommitment = pub.ModelCommitment[:]
	c.InputsHash = pub.InputsHash[:]
	for j, o := range classes {
		c.Outputs[j] = o
	}
	c.HotkeyHash = pub.HotkeyHash[:]
	c.Epoch = pub.Epoch
	return c, pub, nil
}

// Define implements frontend.Circuit.
func (c *BatchCircuit) Define(api frontend.API) error {
	a := c.arch
	rc := rangecheck.New(api)
	bc := newByteChecker(api)
	pows := logderivlookup.New(api)
	for s := 0; s <= MaxShift; s++ {
		pows.Insert(uint64(1) << s)
	}
	e := &offArith{api: api, rc: rc, bc: bc, plain: circuitArith{api: api, rc: rc, bc: bc}, sums: map[*ov]frontend.Variable{}}

	// Inputs: byte checks (the wires are the bytes), one hash over all of
	// them in order.
	var xb []frontend.Variable
	for _, x := range c.X {
		for _, v := range x {
			bc.check(v)
			xb = append(xb, v)
		}
	}
	if err := assertSponge(api, domainBatchInputs, packVars(api, xb, 8, bytesPerElem), c.InputsHash); err != nil {
		return err
	}

	// Model: the same packing and commitment as Circuit (and
	// Model.Commitment), from the offset wires.
	var wb, bb []frontend.Variable
	model := func(w, b []frontend.Variable) (ws, bs []ov) {
		for _, v := range w {
			bc.check(v)
			wb = append(wb, v)
			ws = append(ws, ov{v: v, off: 128})
		}
		for _, v := range b {
			rc.Check(v, 27) // -2^26 <= b < 2^26
			bb = append(bb, api.Add(v, biasOffset-MaxBias))
			bs = append(bs, ov{v: v, off: MaxBias})
		}
		return ws, bs
	}
	convs := make([][2][]ov, len(c.CW))
	for l := range c.CW {
		convs[l][0], convs[l][1] = model(c.CW[l], c.CB[l])
	}
	feats := featLayers(a, func(i int) (w, b []ov, pow ov) {
		return convs[i][0], convs[i][1], ov{v: pows.Lookup(c.Shifts[i])[0]}
	})
	nc := len(c.CW)
	layers := make([]layerOf[ov], a.Layers())
	for l := range a.Layers() {
		w, b := model(c.W[l], c.B[l])
		layers[l] = layerOf[ov]{in: a.Sizes[l], out: a.Sizes[l+1], w: w, b: b}
		if l < a.Layers()-1 {
			layers[l].pow = ov{v: pows.Lookup(c.Shifts[nc+l])[0]}
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

	// k inferences.
	if len(c.Outputs) != len(c.X) {
		return fmt.Errorf("zk: %d outputs for %d inputs", len(c.Outputs), len(c.X))
	}
	for j, x := range c.X {
		in := make([]ov, len(x))
		for i, v := range x {
			in[i] = ov{v: v, off: 128}
		}
		class, _ := forward[ov](e, feats, layers, in)
		api.AssertIsEqual(class.v, c.Outputs[j])
	}

	// Binding, as in Circuit.
	api.Mul(api.Add(c.HotkeyHash, 1), api.Add(c.Epoch, 1))
	return nil
}

// ov is a value held with an offset: the value is v - off, where v (a wire
// or a linear combination of wires) is non-negative for an honest witness.
type ov struct {
	v   frontend.Variable
	off int64
	// inv, for a requantization divisor 2^shift in the commit circuit only,
	// is 2^(MaxShift-shift) (commitArith.requantReLU); nil elsewhere.
	inv frontend.Variable
}

// val is the value itself, as a linear combination.
func (e *offArith) val(x ov) frontend.Variable {
	if x.off == 0 {
		return x.v
	}
	return e.api.Sub(x.v, x.off)
}

// offArith implements arith on offset values (the batch circuit): every
// product's wire is a product of non-negative values.
type offArith struct {
	api   frontend.API
	rc    frontend.Rangechecker
	bc    *byteChecker
	plain circuitArith
	// sums memoises vecSum by the vector's first element (every vector
	// dot sees is a distinct slice: a weight row, an activation vector).
	sums map[*ov]frontend.Variable
}

func init() { solver.RegisterHint(sumHint, requantOffHint) }

// vecSum is sum_i xs[i].v as one wire (one constraint), computed once per
// vector.
func (e *offArith) vecSum(xs []ov) frontend.Variable {
	if s, ok := e.sums[&xs[0]]; ok {
		return s
	}
	vs := make([]frontend.Variable, len(xs))
	for i, x := range xs {
		vs[i] = x.v
	}
	out, err := e.api.NewHint(sumHint, 1, vs...)
	if err != nil {
		panic(err) // only on a programming error in the hint declaration
	}
	// The long sum goes second, into C.
	e.api.AssertIsEqual(out[0], sum(e.api, vs))
	e.sums[&xs[0]] = out[0]
	return out[0]
}

// dot: sum (w-a)(x-b) = sum w*x - b*sum w - a*sum x + n*a*b for the
// uniform offsets a of the weights and b of the inputs; one constraint per
// product, whose wire w*x is non-negative.
func (e *offArith) dot(w, x []ov) ov {
	api := e.api
	terms := make([]frontend.Variable, 0, len(w)+2)
	for i := range w {
		terms = append(terms, api.Mul(w[i].v, x[i].v))
	}
	a, b := w[0].off, x[0].off
	for i := range w {
		if w[i].off != a || x[i].off != b {
			panic("zk: dot over values of mixed offsets") // a programming error in the circuit
		}
	}
	if b != 0 {
		terms = append(terms, api.Mul(e.vecSum(w), -b))
	}
	if a != 0 {
		terms = append(terms, api.Mul(e.vecSum(x), -a))
	}
	return ov{v: api.Add(sum(api, terms), int64(len(w))*a*b)}
}

// dotAt is dot over a convolution's taps, with the offsets corrected per
// tap (linear terms).
func (e *offArith) dotAt(w []ov, wi []int32, x []ov, xi []int32) ov {
	api := e.api
	terms := make([]frontend.Variable, 0, 3*len(wi))
	var c int64
	for k := range wi {
		wk, xk := w[wi[k]], x[xi[k]]
		terms = append(terms, api.Mul(wk.v, xk.v))
		if xk.off != 0 {
			terms = append(terms, api.Mul(wk.v, -xk.off))
		}
		if wk.off != 0 {
			terms = append(terms, api.Mul(xk.v, -wk.off))
		}
		c += wk.off * xk.off
	}
	return ov{v: api.Add(sum(api, terms), c)}
}

func (e *offArith) add(a, b ov) ov { return ov{v: e.api.Add(a.v, b.v), off: a.off + b.off} }

// requantReLU is circuitArith.requantReLU with the quotient's wire q + 2^28
// and the ReLU as one product (1 - neg - big) * q, non-negative.
func (e *offArith) requantReLU(v, pow ov) ov {
	api := e.api
	p := e.val(pow)
	out, err := api.NewHint(requantOffHint, 4, e.val(v), p)
	if err != nil {
		panic(err)
	}
	qo, r, neg, big := out[0], out[1], out[2], out[3]
	// (qo - 2^28) * pow + r = v, with the product's wire qo*pow >= 0.
	api.AssertIsEqual(api.Add(api.Mul(qo, p), r), api.Add(e.val(v), api.Mul(p, quotientOffset)))
	e.rc.Check(r, bitsRemainer)
	e.rc.Check(api.Sub(p, 1, r), bitsRemainer)
	api.AssertIsBoolean(neg)
	api.AssertIsBoolean(big)
	api.AssertIsEqual(api.Mul(neg, big), 0)
	// neg: -q-1 = 2^28-1-qo >= 0, else q = qo-2^28 >= 0 (both < 2^28).
	e.rc.Check(api.Select(neg, api.Sub(quotientOffset-1, qo), api.Sub(qo, quotientOffset)), bitsQuotient)
	// big: q-128 >= 0, else 127-q >= 0.
	e.rc.Check(api.Select(big, api.Sub(qo, quotientOffset+128), api.Sub(quotientOffset+127, qo)), bitsClamp)
	// 0 if neg, 127 if big, q otherwise.
	relu := api.Mul(api.Sub(1, neg, big), api.Sub(qo, quotientOffset))
	return ov{v: api.Add(relu, api.Mul(big, 127))}
}

func (e *offArith) vals(xs []ov) []frontend.Variable {
	out := make([]frontend.Variable, len(xs))
	for i, x := range xs {
		out[i] = e.val(x)
	}
	return out
}

func (e *offArith) argmax(logits []ov) ov { return ov{v: e.plain.argmax(e.vals(logits))} }

func (e *offArith) maxOf(xs []ov) ov { return ov{v: e.plain.maxOf(e.vals(xs))} }

func (e *offArith) avgFloor(xs []ov, d int64) ov { return ov{v: e.plain.avgFloor(e.vals(xs), d)} }

// sumHint returns the sum of its inputs.
func sumHint(mod *big.Int, in, out []*big.Int) error {
	if len(out) != 1 {
		return fmt.Errorf("sumHint: %d outputs", len(out))
	}
	out[0].SetInt64(0)
	for _, v := range in {
		out[0].Add(out[0], v)
	}
	out[0].Mod(out[0], mod)
	return nil
}

// requantOffHint is requantHint with the quotient returned as q + 2^28.
func requantOffHint(mod *big.Int, in, out []*big.Int) error {
	if err := requantHint(mod, in, out); err != nil {
		return err
	}
	out[0].Add(out[0], big.NewInt(quotientOffset))
	out[0].Mod(out[0], mod)
	return nil
}
