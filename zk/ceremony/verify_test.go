package ceremony

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
)

const toyLog2 = 5

// copyPoint overwrites the point at dst with the (valid, different) point at
// src: a tampered file that still decodes.
func copyPoint(f []byte, dst, src, size int) []byte {
	f = bytes.Clone(f)
	copy(f[dst:dst+size], f[src:src+size])
	return f
}

// evalsA returns the offset of the first two distinct A points of a phase-2
// init file.
func evalsA(t *testing.T, init []byte) (int, int) {
	body := init[HeaderSize:]
	n := int(binary.BigEndian.Uint64(body))
	off := HeaderSize + 8 + n + 4
	count := int(binary.BigEndian.Uint32(init[off-4:]))
	for j := 1; j < count; j++ {
		if !bytes.Equal(init[off:off+g1Size], init[off+j*g1Size:off+(j+1)*g1Size]) {
			return off, off + j*g1Size
		}
	}
	t.Fatal("no two distinct A points")
	return 0, 0
}

func TestVerifyRejects(t *testing.T) {
	c := compileToy(t, "toy", &toyCircuit{})
	r := newRun(t, c, toyLog2, 3, 3)
	good := r.transcript()
	if _, err := Verify(c, good, nil); err != nil {
		t.Fatalf("the honest transcript: %v", err)
	}
	l := layout1(1 << toyLog2)

	// A dishonest second contributor breaks the powers (τ³ := τ²) and keeps
	// valid proofs; the third builds on it honestly.
	bad1 := copyPoint(r.p1[2], HeaderSize+int(l.tau1)+2*g1Size, HeaderSize+int(l.tau1)+g1Size, g1Size)
	malformedChain := append([][]byte{}, r.p1[:2]...)
	malformedChain = append(malformedChain, bad1, contribute(t, bad1))

	other := newRun(t, c, toyLog2, 1, 1)
	otherCircuit := compileToy(t, "toy-other", &toyCircuit{})
	a0, a1 := evalsA(t, r.p2[0])

	with := func(f func(tr *Transcript)) Transcript {
		tr := r.transcript()
		f(&tr)
		return tr
	}
	cases := []struct {
		name    string
		c       *Circuit
		tr      Transcript
		want    error
		phase   Phase
		index   int
		message string
	}{
		{"tampered phase-1 contribution", c, with(func(tr *Transcript) {
			tr.Phase1[3] = BytesOpener(copyPoint(r.p1[3], HeaderSize+int(l.tau1), HeaderSize+int(l.tau1)+g1Size, g1Size))
		}), ErrBadContribution, Phase1, 3, "τ"},
		{"tampered phase-1 middle contribution", c, with(func(tr *Transcript) {
			tr.Phase1[2] = BytesOpener(copyPoint(r.p1[2], HeaderSize+int(l.alphaTau), HeaderSize+int(l.betaTau), g1Size))
		}), ErrBadContribution, Phase1, 2, "α"},
		{"dishonest contributor under an honest one", c, with(func(tr *Transcript) {
			tr.Phase1 = openers(malformedChain) // no sealed file: regenerated
			tr.Phase2 = openers(r.p2)
		}), ErrBadContribution, Phase1, 2, "powers"},
		{"tampered phase-2 contribution", c, with(func(tr *Transcript) {
			tr.Phase2[2] = BytesOpener(copyPoint(r.p2[2], HeaderSize+2, HeaderSize+2+g1Size+4, g1Size))
		}), ErrBadContribution, Phase2, 2, "δ"},
		{"tampered phase-2 init", c, with(func(tr *Transcript) {
			tr.Phase2[0] = BytesOpener(copyPoint(r.p2[0], a0, a1, g1Size))
		}), ErrWrongCircuit, Phase2, 0, "A evaluations"},
		{"reordered phase 2", c, with(func(tr *Transcript) {
			tr.Phase2[1], tr.Phase2[2] = tr.Phase2[2], tr.Phase2[1]
		}), ErrBrokenLink, Phase2, 1, "index 2 at position 1"},
		{"reordered phase 1", c, with(func(tr *Transcript) {
			tr.Phase1[2], tr.Phase1[3] = tr.Phase1[3], tr.Phase1[2]
		}), ErrBrokenLink, Phase1, 2, "reordered"},
		{"dropped contribution", c, with(func(tr *Transcript) {
			tr.Phase2 = append(tr.Phase2[:2:2], tr.Phase2[3:]...)
		}), ErrBrokenLink, Phase2, 2, "index 3 at position 2"},
		{"transcript of another circuit", otherCircuit, good, ErrWrongCircuit, Phase2, 0, "phase 2 is for circuit"},
		{"phase 2 on another phase 1", c, with(func(tr *Transcript) {
			tr.Phase1 = other.transcript().Phase1
			tr.Beacon1 = other.beacon1
		}), ErrBrokenLink, Phase2, 0, "builds on phase 1"},
		{"phase-2 seal with another beacon", c, with(func(tr *Transcript) {
			tr.Beacon2 = Beacon("test", 1, Phase2, []byte("another block"))
		}), ErrSealMismatch, Phase2, 4, "sealed with beacon"},
		{"phase-1 seal with another beacon", c, with(func(tr *Transcript) {
			tr.Beacon1 = Beacon("test", 1, Phase1, []byte("another block"))
		}), ErrSealMismatch, Phase1, 4, "sealed with beacon"},
		{"phase-2 sealed file of another seal", c, with(func(tr *Transcript) {
			tr.Phase2[4] = BytesOpener(other.sealed2)
		}), ErrBrokenLink, Phase2, 4, "index 2 at position 4"},
		{"tampered phase-1 init", c, with(func(tr *Transcript) {
			tr.Phase1[0] = BytesOpener(copyPoint(r.p1[0], HeaderSize+int(l.tau1), HeaderSize, g1Size))
		}), ErrBadInit, Phase1, 0, "deterministic"},
		{"no phase-2 contribution", c, with(func(tr *Transcript) {
			tr.Phase2 = tr.Phase2[:1]
		}), ErrEmpty, 0, 0, ""},
		{"truncated file", c, with(func(tr *Transcript) {
			tr.Phase2[1] = BytesOpener(r.p2[1][:len(r.p2[1])-1])
		}), ErrMalformed, Phase2, 1, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Verify(tc.c, tc.tr, nil)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if tc.phase == 0 {
				return
			}
			var fe *Error
			if !errors.As(err, &fe) {
				t.Fatalf("%v is not an *Error", err)
			}
			if fe.Phase != tc.phase || fe.Index != tc.index {
				t.Fatalf("blames phase %d file %d, want phase %d file %d: %v", fe.Phase, fe.Index, tc.phase, tc.index, err)
			}
			if !strings.Contains(err.Error(), tc.message) || !strings.Contains(err.Error(), ShortHash(fe.Hash)) {
				t.Fatalf("message %q does not say %q and name the file", err, tc.message)
			}
			t.Log(err)
		})
	}
}
