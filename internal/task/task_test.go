package task

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/veritensor/veritensor/zk"
)

func TestBuiltinsValidAndCanonical(t *testing.T) {
	seen := map[[32]byte]string{}
	for _, name := range Builtins() {
		s, err := Builtin(name)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Validate(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		b, err := s.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		got, canonical, err := Parse(b)
		if err != nil || !canonical {
			t.Fatalf("%s: canonical encoding does not parse as canonical: %v", name, err)
		}
		h1, _ := s.Hash()
		h2, _ := got.Hash()
		if h1 != h2 {
			t.Fatalf("%s: hash changed over a round trip", name)
		}
		if prev, dup := seen[h1]; dup {
			t.Fatalf("%s and %s share a hash", prev, name)
		}
		seen[h1] = name
	}
}

// TestHashIgnoresFormatting: the content address is the canonical
// encoding's, so indentation does not change it, while any field does.
func TestHashIgnoresFormatting(t *testing.T) {
	s, _ := Builtin("mnist-cnn")
	h, _ := s.Hash()
	pretty, _ := json.MarshalIndent(s, "", "  ")
	p, canonical, err := Parse(pretty)
	if err != nil {
		t.Fatal(err)
	}
	if canonical {
		t.Fatal("indented file reported canonical")
	}
	if ph, _ := p.Hash(); ph != h {
		t.Fatal("formatting changed the hash")
	}
	s.RequireProof = false
	if h2, _ := s.Hash(); h2 == h {
		t.Fatal("require_proof not in the hash")
	}
}

func TestValidateRejects(t *testing.T) {
	for _, tc := range []struct {
		field string
		edit  func(*Spec)
	}{
		{"version", func(s *Spec) { s.Version = 2 }},
		{"name", func(s *Spec) { s.Name = "a b" }},
		{"input.source", func(s *Spec) { s.Input.Source = "cifar10" }},
		{"input.preprocess", func(s *Spec) { s.Input.Preprocess = "pool2x2" }},
		{"input.shape", func(s *Spec) { s.Input.Shape = []int{1, 7, 7} }},
		{"labels.classes", func(s *Spec) { s.Labels.Classes = 9 }},
		{"labels.names", func(s *Spec) { s.Labels.Names = []string{"zero"} }},
		{"dataset", func(s *Spec) { s.Dataset.Split = "train" }},
		{"model.arch", func(s *Spec) { s.Model.Arch = "49-16-10" }},
		{"model.arch", func(s *Spec) { s.Model.Arch = "28x28-c8k5s1-mp2-c16k5-mp2-10" }},
		{"model.arch", func(s *Spec) { s.Model.Arch = "784-64-9" }},
		{"model.circuit_id", func(s *Spec) { s.Model.CircuitID = strings.Repeat("0", 64) }},
		{"model.circuit_id", func(s *Spec) { s.Model.CircuitID = "" }},
		{"model.circuit_id", func(s *Spec) { s.Model.CircuitID = strings.ToUpper(s.Model.CircuitID) }},
		{"model.circuit_id", func(s *Spec) { s.Model.CircuitID = "zz" }},
		{"model.circuit_id", func(s *Spec) { // the commit circuit of another arch
			id := zk.CommitCircuitID(mustArch(t, "784-64-10"))
			s.Model.CircuitID = hex.EncodeToString(id[:])
		}},
		{"metric", func(s *Spec) { s.Metric = "f1" }},
	} {
		s, _ := Builtin("mnist-cnn")
		tc.edit(&s)
		err := s.Validate()
		if !errors.Is(err, ErrBadSpec) || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("%s: got %v", tc.field, err)
		}
	}
	// The commit scheme's circuit of the arch is a valid circuit ID (the
	// spec then declares a commit-scheme subnet, docs/zk.md "Proof schemes").
	cs, _ := Builtin("mnist-7x7")
	cid := zk.CommitCircuitID(mustArch(t, cs.Model.Arch))
	cs.Model.CircuitID = hex.EncodeToString(cid[:])
	if err := cs.Validate(); err != nil {
		t.Fatalf("commit circuit ID: %v", err)
	}
	// A proof-less task may leave the circuit ID out.
	s, _ := Builtin("mnist")
	s.RequireProof, s.Model.CircuitID = false, ""
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Parse([]byte(`{"version":1,"nmae":"x"}`)); !errors.Is(err, ErrBadSpec) {
		t.Fatalf("unknown field: %v", err)
	}
	b, _ := s.Marshal()
	if _, _, err := Parse(append(b, b...)); !errors.Is(err, ErrBadSpec) {
		t.Fatalf("trailing data: %v", err)
	}
}

func TestForArch(t *testing.T) {
	for arch, want := range map[string]string{"784-64-10": "mnist", "49-16-10": "mnist-7x7", "49-8-10": "mnist-7x7",
		"28x28-c8k5-mp2-c16k5-mp2-10": "mnist-cnn", "28x28-c4k5s2-mp2-10": "mnist-cnn"} {
		s, err := ForArch(arch)
		if err != nil || s.Name != want || s.Model.Arch != arch {
			t.Errorf("ForArch(%s) = %s %s, %v; want %s", arch, s.Name, s.Model.Arch, err, want)
		}
		if err := s.Validate(); err != nil {
			t.Errorf("ForArch(%s): %v", arch, err)
		}
	}
	if _, err := ForArch("64-8-10"); !errors.Is(err, ErrBadSpec) {
		t.Fatalf("64 inputs: %v", err)
	}
}

func TestPool4x4(t *testing.T) {
	img := make([]byte, 784)
	for i := range img {
		img[i] = byte(i % 251)
	}
	p, err := Preprocess(PrePool4x4, img)
	if err != nil || len(p) != 49 {
		t.Fatal(err)
	}
	s := 0
	for r := range 4 {
		for c := range 4 {
			s += int(img[r*28+c])
		}
	}
	if p[0] != byte(s/16) {
		t.Fatalf("p[0] = %d, want %d", p[0], s/16)
	}
	if q, _ := Preprocess(PreNone, img); !bytes.Equal(q, img) {
		t.Fatal("none changed the image")
	}
	if _, err := Preprocess("x", img); err == nil {
		t.Fatal("unknown preprocessing accepted")
	}
	_ = zk.CircuitVersion
}

func FuzzParse(f *testing.F) {
	for _, n := range Builtins() {
		s, _ := Builtin(n)
		b, _ := s.Marshal()
		f.Add(b)
	}
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, canonical, err := Parse(data)
		if err != nil {
			return
		}
		b, err := s.Marshal()
		if err != nil {
			t.Fatalf("parsed spec does not marshal: %v", err)
		}
		if canonical != bytes.Equal(b, data) {
			t.Fatal("canonical flag wrong")
		}
	})
}

func mustArch(t *testing.T, name string) zk.Arch {
	t.Helper()
	a, err := zk.ParseArch(name)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
