package ceremonydir

import (
	"bytes"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/veritensor/veritensor/zk/ceremony"
)

func add(t *testing.T, dir string, write func(w io.Writer) error) Entry {
	t.Helper()
	h, path, err := Create(dir, Ext, write)
	if err != nil {
		t.Fatal(err)
	}
	e, err := readEntry(path)
	if err != nil || e.Hash != h {
		t.Fatalf("%v, %x", err, e.Hash)
	}
	return e
}

func contributeOn(t *testing.T, dir string, prev Entry) Entry {
	t.Helper()
	b, err := os.ReadFile(prev.Path)
	if err != nil {
		t.Fatal(err)
	}
	return add(t, dir, func(w io.Writer) error {
		_, err := ceremony.Contribute(w, bytes.NewReader(b), nil)
		return err
	})
}

// TestLoadOrdersByLinksAndRefusesForks: files are ordered by their headers'
// prev hashes, whatever their names; two contributions on the same file
// are refused by name.
func TestLoadOrdersByLinksAndRefusesForks(t *testing.T) {
	dir := t.TempDir()
	init := add(t, dir, func(w io.Writer) error { _, err := ceremony.InitPhase1(w, 2); return err })
	c1 := contributeOn(t, dir, init)
	c2 := contributeOn(t, dir, c1)
	ch, err := Load(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(ch.Phase1) != 3 || ch.Phase1[1].Hash != c1.Hash || ch.Phase1[2].Hash != c2.Hash {
		t.Fatalf("order %v", ch.Entries())
	}
	if latest, err := ch.Latest(); err != nil || latest.Hash != c2.Hash {
		t.Fatalf("latest %v, %v", latest.Hash, err)
	}
	if _, err := ceremony.VerifyPhase1(ch.Transcript(nil, nil).Phase1, []byte("b"), nil); err != nil {
		t.Fatal(err)
	}
	fork := contributeOn(t, dir, c1)
	_, err = Load(dir, nil)
	if err == nil || !strings.Contains(err.Error(), "fork") || !strings.Contains(err.Error(), FileName(fork.Hash)) {
		t.Fatalf("a fork: %v", err)
	}
}
