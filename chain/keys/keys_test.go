package keys

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestKeyringAddGetList(t *testing.T) {
	home := t.TempDir()
	r := Open(home)
	a, err := r.Add("alice")
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(home, "keys", "alice.json"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, %v", st.Mode(), err)
	}
	if _, err := r.Add("alice"); !errors.Is(err, ErrExists) {
		t.Fatalf("duplicate add: %v", err)
	}
	got, err := r.Get("alice")
	if err != nil || !got.Private.Equal(a.Private) || got.Address() != a.Address() {
		t.Fatalf("get: %v", err)
	}
	if _, err := r.Get("nobody"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing key: %v", err)
	}
	for _, bad := range []string{"", "../x", "a/b", string(make([]byte, 65))} {
		if _, err := r.Add(bad); err == nil {
			t.Errorf("name %q accepted", bad)
		}
	}
	if _, err := r.Add("bob"); err != nil {
		t.Fatal(err)
	}
	ks, err := r.List()
	if err != nil || len(ks) != 2 || ks[0].Name != "alice" || ks[1].Name != "bob" {
		t.Fatalf("list: %v %v", ks, err)
	}
	// A tampered file (address not matching the seed) is refused.
	p := filepath.Join(home, "keys", "bob.json")
	b, _ := os.ReadFile(p)
	b[len(b)-10] ^= 1
	os.WriteFile(p, b, 0o600)
	if _, err := r.Get("bob"); err == nil {
		t.Fatal("tampered key file accepted")
	}
}
