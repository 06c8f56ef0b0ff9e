package ceremonyverify

import (
	"errors"
	"testing"

	"github.com/veritensor/veritensor/zk/ceremony"
)

func TestVerifyCachesVerdictsOnly(t *testing.T) {
	c, err := NewCache(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	circuit := [32]byte{1}
	files := [][32]byte{{2}, {3}}
	runs := 0
	bad := func() (*ceremony.Result, error) {
		runs++
		return nil, &ceremony.Error{Phase: ceremony.Phase2, Kind: ceremony.KindContribution, Index: 1, Hash: files[1], Err: ceremony.ErrBadContribution}
	}
	for range 2 {
		v, _, err := c.Verify(circuit, files, []byte("b1"), []byte("b2"), bad)
		if !errors.Is(err, ceremony.ErrBadContribution) && (v == nil || v.OK || v.Index != 1) {
			t.Fatalf("verdict %+v, %v", v, err)
		}
	}
	if runs != 1 {
		t.Fatalf("ran %d times, want once (cached failure)", runs)
	}
	// A failure naming a file that is not recorded (a corrupt download) is
	// not a verdict.
	other := func() (*ceremony.Result, error) {
		runs++
		return nil, &ceremony.Error{Phase: ceremony.Phase2, Index: 1, Hash: [32]byte{9}, Err: ceremony.ErrMalformed}
	}
	for range 2 {
		if _, _, err := c.Verify(circuit, files, []byte("x"), []byte("b2"), other); !errors.Is(err, ceremony.ErrMalformed) {
			t.Fatal(err)
		}
	}
	if runs != 3 {
		t.Fatalf("ran %d times, want a run per call when not a verdict", runs)
	}
	// Another beacon is another transcript.
	if _, err := c.Load(ceremony.TranscriptID(circuit, files, []byte("b1"), []byte("other"))); !errors.Is(err, ErrMiss) {
		t.Fatal(err)
	}
}
