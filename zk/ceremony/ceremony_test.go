package ceremony

import (
	"bytes"
	"errors"
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

func TestThreePartyCeremonyProves(t *testing.T) {
	c := smallCircuit(t)
	t.Logf("49-16-10: %d constraints, 2^%d", c.NbConstraints, c.Log2)
	r := newRun(t, c, c.Log2, 3, 3)
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
