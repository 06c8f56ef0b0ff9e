package zk

import (
	"bytes"
	"testing"
)

func TestRandomModelDeterministicAndDistinct(t *testing.T) {
	a, err := ParseArch("16-8-4")
	if err != nil {
		t.Fatal(err)
	}
	m1, err := RandomModel(a, 1)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := RandomModel(a, 1)
	other, _ := RandomModel(a, 2)
	b1, _ := m1.MarshalBinary()
	b2, _ := again.MarshalBinary()
	if !bytes.Equal(b1, b2) {
		t.Fatal("same seed gave different models")
	}
	if m1.Commitment() == other.Commitment() {
		t.Fatal("different seeds gave the same commitment")
	}
	if _, err := RandomModel(Arch{Sizes: []int{4}}, 1); err == nil {
		t.Fatal("an invalid architecture was accepted")
	}
}
