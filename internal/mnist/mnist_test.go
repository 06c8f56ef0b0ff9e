package mnist

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
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

// TestFetchInstallsVerifiedCopy: Fetch copies the pinned files into the
// default directory (where Locate then finds them first), keeps a verified
// copy, and replaces a corrupted one; a missing data set's error names the
// fetch command.
func TestFetchInstallsVerifiedCopy(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	t.Setenv(EnvDir, "")
	res, err := Fetch(t.Context(), "")
	if err != nil || res.Present || res.Dir != DefaultDir() || len(res.Files) != 4 {
		t.Fatalf("fetch: %+v %v", res, err)
	}
	if d, err := Locate(""); err != nil || d != DefaultDir() {
		t.Fatalf("Locate after fetch: %q %v, want %s", d, err, DefaultDir())
	}
	if res, err := Fetch(t.Context(), ""); err != nil || !res.Present {
		t.Fatalf("second fetch: %+v %v", res, err)
	}
	p := filepath.Join(DefaultDir(), testLabels)
	if err := os.WriteFile(p, []byte("corrupt"), 0o644); err != nil {
		t.Fatal(err)
	}
	if res, err := Fetch(t.Context(), ""); err != nil || res.Present || verify(DefaultDir()) != nil {
		t.Fatalf("fetch over a corrupt file: %+v %v", res, err)
	}
	if _, err := Locate(t.TempDir()); err == nil || !strings.Contains(err.Error(), FetchCommand) || !strings.Contains(err.Error(), EnvDir) {
		t.Fatalf("not-found error does not name the fix: %v", err)
	}
}
