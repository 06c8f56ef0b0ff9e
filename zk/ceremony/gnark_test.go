package ceremony

import (
	"bytes"
	"testing"

	"github.com/consensys/gnark/backend/groth16/bn254/mpcsetup"
)

// TestPhase1MatchesGnark: this package's phase-1 state is gnark's, byte for
// byte: the same init, gnark verifies and seals our contributions to the
// same parameters, and we accept gnark's contributions.
func TestPhase1MatchesGnark(t *testing.T) {
	const log2 = 5
	const n = 1 << log2
	var g bytes.Buffer
	if _, err := mpcsetup.NewPhase1(n).WriteTo(&g); err != nil {
		t.Fatal(err)
	}
	init := phase1InitFile(log2)
	if !bytes.Equal(init[HeaderSize:], g.Bytes()) {
		t.Fatal("init state differs from gnark's NewPhase1")
	}
	files := [][]byte{init}
	files = append(files, contribute(t, files[0]))

	// gnark contributes on top of ours.
	gp := new(mpcsetup.Phase1)
	if _, err := gp.ReadFrom(bytes.NewReader(files[1][HeaderSize:])); err != nil {
		t.Fatal(err)
	}
	gp.Contribute()
	h, _ := DecodeHeader(files[1])
	h.Index, h.Prev = 2, FileHash(files[1])
	gf, err := encodeState(h, gp)
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, gf, nil)
	files[3] = contribute(t, files[2])

	beacon := []byte("beacon")
	res, err := VerifyPhase1(openers(files), beacon, nil)
	if err != nil {
		t.Fatal(err)
	}
	var states []*mpcsetup.Phase1
	for _, f := range files[1:] {
		p := new(mpcsetup.Phase1)
		if _, err := p.ReadFrom(bytes.NewReader(f[HeaderSize:])); err != nil {
			t.Fatal(err)
		}
		states = append(states, p)
	}
	commons, err := mpcsetup.VerifyPhase1(n, beacon, states...)
	if err != nil {
		t.Fatalf("gnark rejects our contributions: %v", err)
	}
	var want bytes.Buffer
	if _, err := commons.WriteTo(&want); err != nil {
		t.Fatal(err)
	}
	_, rest, err := splitBeacon(res.Sealed[HeaderSize:])
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(rest, want.Bytes()) {
		t.Fatal("our seal differs from gnark's")
	}
}
