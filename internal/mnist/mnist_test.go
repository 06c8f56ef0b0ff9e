package mnist

import (
	"errors"
	"testing"
)

func TestLoadRealMNIST(t *testing.T) {
	train, test, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	if train.Len() != 60000 || test.Len() != 10000 {
		t.Fatalf("got %d train and %d test samples", train.Len(), test.Len())
	}
	var counts [10]int
	for i, img := range test.Images {
		if len(img) != 784 {
			t.Fatalf("image %d has %d pixels", i, len(img))
		}
		counts[test.Labels[i]]++
	}
	// The real MNIST test set has between 892 (digit 5) and 1135 (digit 1) of each digit.
	if counts[1] != 1135 || counts[5] != 892 {
		t.Fatalf("label counts %v are not MNIST's", counts)
	}
}

func TestLocateOrder(t *testing.T) {
	d, err := Locate("")
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(EnvDir, d)
	if got, err := Locate(""); err != nil || got != d {
		t.Fatalf("env: got %q, %v", got, err)
	}
	if _, err := Locate(t.TempDir()); !errors.Is(err, ErrNotFound) {
		t.Fatalf("explicit empty dir: %v, want ErrNotFound", err)
	}
	t.Setenv(EnvDir, t.TempDir())
	if _, err := Locate(""); !errors.Is(err, ErrNotFound) {
		t.Fatalf("env empty dir: %v, want ErrNotFound", err)
	}
}
