package main

import (
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/veritensor/veritensor/internal/keycache"
	"github.com/veritensor/veritensor/zk"
)

const schemeCLIArch = "16-8-4"

// TestZKSchemeCommands: zk setup, prove, verify and inspect with --scheme
// commit on a small architecture: the keys land in the commit circuit's
// cache entry; the proof file names its scheme and verifies (zk verify
// reads the scheme from it), not as a hash-scheme proof; model inspect
// --scheme commit prints the proof's model point from the cached key (and
// says it needs the key when none is cached); --batch with the commit
// scheme and an unknown scheme are errors.
func TestZKSchemeCommands(t *testing.T) {
	a, _ := zk.ParseArch(schemeCLIArch)
	keys, dir := t.TempDir(), t.TempDir()
	out, err := runCLI(t, "zk", "setup", "--arch", schemeCLIArch, "--scheme", "commit", "--keys-dir", keys, "-o", "json")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var setup setupResult
	if err := json.Unmarshal([]byte(out), &setup); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	id := zk.CommitCircuitID(a)
	kc, _ := keycache.New(keys)
	if setup.Scheme != "commit" || setup.CircuitID != hex.EncodeToString(id[:]) || setup.Dir != kc.PathScheme(zk.SchemeCommit, a) {
		t.Fatalf("setup %+v", setup)
	}
	m, err := zk.RandomModel(a, 3)
	if err != nil {
		t.Fatal(err)
	}
	mb, _ := m.MarshalBinary()
	model := filepath.Join(dir, "m.vtm")
	if err := os.WriteFile(model, mb, 0o644); err != nil {
		t.Fatal(err)
	}
	proof := filepath.Join(dir, "proof.json")
	out, err = runCLI(t, "zk", "prove", "--model", model, "--input", "challenge:"+strings.Repeat("ab", 32)+":1", "--hotkey", "00",
		"--epoch", "4", "--scheme", "commit", "--keys-dir", keys, "--out", proof, "-o", "json")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var pf proofFile
	if err := json.Unmarshal([]byte(out), &pf); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if pf.Scheme != "commit" || pf.CircuitID != hex.EncodeToString(id[:]) || pf.ModelCommitment == hex.EncodeToString(func() []byte { c := m.Commitment(); return c[:] }()) {
		t.Fatalf("proof file %+v", pf)
	}
	out, err = runCLI(t, "zk", "verify", "--proof", proof, "--keys-dir", keys, "-o", "json")
	if err != nil || !strings.Contains(out, `"scheme": "commit"`) || !strings.Contains(out, `"valid": true`) {
		t.Fatalf("verify: %v\n%s", err, out)
	}
	vk := filepath.Join(dir, "commit.vk")
	k, _ := kc.LoadScheme(zk.SchemeCommit, a)
	os.WriteFile(vk, k.VK, 0o644)
	if out, err := runCLI(t, "zk", "verify", "--proof", proof, "--vk", vk, "--scheme", "hash"); err == nil {
		t.Fatalf("a commit proof verified as a hash-scheme one:\n%s", out)
	}

	out, err = runCLI(t, "zk", "inspect", "--arch", schemeCLIArch, "--scheme", "commit", "--keys-dir", keys, "-o", "json")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var ins inspectResult
	if err := json.Unmarshal([]byte(out), &ins); err != nil {
		t.Fatal(err)
	}
	if ins.Scheme != "commit" || ins.CircuitID != setup.CircuitID || !ins.Cached || len(ins.PublicInputs) != zk.NumCommitPublic {
		t.Fatalf("inspect %+v", ins)
	}

	out, err = runCLI(t, "model", "inspect", "--model", model, "--scheme", "commit", "--keys-dir", keys, "-o", "json")
	if err != nil || !strings.Contains(out, `"model_commitment": "`+pf.ModelCommitment+`"`) || !strings.Contains(out, `"scheme": "commit"`) {
		t.Fatalf("model inspect --scheme commit: %v\n%s (want point %s)", err, out, pf.ModelCommitment)
	}
	pk := filepath.Join(dir, "commit.pk")
	os.WriteFile(pk, k.PK, 0o644)
	out, err = runCLI(t, "model", "inspect", "--model", model, "--scheme", "commit", "--pk", pk, "--keys-dir", t.TempDir())
	if err != nil || !strings.Contains(out, "commitment:  "+pf.ModelCommitment) {
		t.Fatalf("model inspect --pk: %v\n%s", err, out)
	}
	if out, err := runCLI(t, "model", "inspect", "--model", model, "--scheme", "commit", "--keys-dir", t.TempDir()); err == nil ||
		!strings.Contains(err.Error(), "proving key") {
		t.Fatalf("model point without a key: %v\n%s", err, out)
	}

	for _, args := range [][]string{
		{"zk", "setup", "--arch", schemeCLIArch, "--scheme", "commit", "--batch", "4", "--keys-dir", keys},
		{"zk", "inspect", "--arch", schemeCLIArch, "--scheme", "pedersen"},
		{"ceremony", "init", "--phase", "2", "--arch", schemeCLIArch, "--scheme", "commit", "--batch", "4", "--dir", dir},
		{"tx", "ceremony-open", "--phase", "1", "--power", "10", "--scheme", "commit", "--init", strings.Repeat("00", 32),
			"--source", dir, "--from", "nobody", "--home", dir},
	} {
		if out, err := runCLI(t, args...); err == nil {
			t.Errorf("%v: accepted\n%s", args, out)
		} else {
			t.Logf("%v: %v", args[:2], err)
		}
	}
}

// TestCeremonySchemeCommit: a whole phase-1 + phase-2 ceremony of the
// commit circuit through the CLI (init --scheme commit sizes phase 1 for
// it), then verify --scheme commit --store puts the keys in the commit
// circuit's key-cache entry, where they prove and verify.
func TestCeremonySchemeCommit(t *testing.T) {
	a, _ := zk.ParseArch(schemeCLIArch)
	dir, keys := t.TempDir(), t.TempDir()
	base := []string{"--dir", dir, "--arch", schemeCLIArch, "--scheme", "commit"}
	for _, s := range [][]string{
		{"ceremony", "init"},
		{"ceremony", "contribute"},
		{"ceremony", "seal", "--beacon", "0a"},
		{"ceremony", "init", "--phase", "2"},
		{"ceremony", "contribute"},
		{"ceremony", "seal", "--beacon", "0b"},
	} {
		if out, err := runCLI(t, append(s, base...)...); err != nil {
			t.Fatalf("%v: %v\n%s", s, err, out)
		}
	}
	out, err := runCLI(t, append([]string{"ceremony", "verify", "--store", "--keys-dir", keys, "-o", "json"}, base...)...)
	if err != nil {
		t.Fatalf("verify: %v\n%s", err, out)
	}
	id := zk.CommitCircuitID(a)
	if !strings.Contains(out, hex.EncodeToString(id[:])) {
		t.Fatalf("verify names another circuit:\n%s", out)
	}
	kc, _ := keycache.New(keys)
	k, err := kc.LoadScheme(zk.SchemeCommit, a)
	if err != nil {
		t.Fatal(err)
	}
	p, err := zk.NewSingleProver(zk.SchemeCommit, a, k.PK)
	if err != nil {
		t.Fatal(err)
	}
	v, err := zk.NewSingleVerifier(zk.SchemeCommit, k.VK)
	if err != nil {
		t.Fatal(err)
	}
	m, _ := zk.RandomModel(a, 5)
	pr, pub, err := p.Prove(m, zk.ChallengeInput([32]byte{1}, 2, a.Inputs()), zk.Binding{Epoch: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Verify(pr, pub); err != nil {
		t.Fatalf("the ceremony's keys: %v", err)
	}
}
