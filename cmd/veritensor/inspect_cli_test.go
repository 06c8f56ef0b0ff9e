package main

import (
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/veritensor/veritensor/miner/hw"
	"github.com/veritensor/veritensor/zk"
)

// TestHWCommand: hw -o json decodes into the summary a miner serves and
// is either CPU-only or lists GPUs (this machine may have none: NVML
// missing must degrade, not crash); the text form prints the same summary.
func TestHWCommand(t *testing.T) {
	out, err := runCLI(t, "hw", "-o", "json")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var s hw.Summary
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatalf("hw -o json: %v\n%s", err, out)
	}
	if s.CPUCores < 1 {
		t.Errorf("cpu_cores %d", s.CPUCores)
	}
	if s.CPUOnly == (len(s.GPUs) > 0) {
		t.Errorf("cpu_only %v with %d GPUs", s.CPUOnly, len(s.GPUs))
	}
	if s.CPUOnly && len(s.Warnings) == 0 {
		t.Log("CPU-only without a warning (NVML present, no device)")
	}
	text, err := runCLI(t, "hw")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"cpu cores:", "serve hw:"} {
		if !strings.Contains(text, want) {
			t.Errorf("hw text lacks %q:\n%s", want, text)
		}
	}
	if s.CPUOnly && !strings.Contains(text, "none (CPU-only)") {
		t.Errorf("CPU-only machine, text says:\n%s", text)
	}
}

const shippedModel = "../../zk/testdata/mnist-784-64-10.vtm"

// TestModelInspect: model inspect reports the architecture, circuit ID and
// the commitment the chain expects (zk.Model.Commitment of the file's model).
func TestModelInspect(t *testing.T) {
	b, err := os.ReadFile(shippedModel)
	if err != nil {
		t.Fatal(err)
	}
	m, err := zk.UnmarshalModel(b)
	if err != nil {
		t.Fatal(err)
	}
	cm, id := m.Commitment(), m.Arch.CircuitID()

	out, err := runCLI(t, "model", "inspect", "--model", shippedModel, "-o", "json")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var res struct {
		Arch       string  `json:"arch"`
		CircuitID  string  `json:"circuit_id"`
		Commitment string  `json:"model_commitment"`
		Weights    int     `json:"weights"`
		Biases     int     `json:"biases"`
		Shifts     []uint8 `json:"shifts"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if res.Arch != "784-64-10" || res.Commitment != hex.EncodeToString(cm[:]) || res.CircuitID != hex.EncodeToString(id[:]) {
		t.Fatalf("inspect %+v, want 784-64-10 commitment %x circuit %x", res, cm, id)
	}
	if res.Weights != 784*64+64*10 || res.Biases != 64+10 || len(res.Shifts) != 1 {
		t.Fatalf("sizes %+v", res)
	}

	text, err := runCLI(t, "model", "inspect", "--model", shippedModel)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"arch:        784-64-10", "commitment:  " + res.Commitment} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}

	// A file that is not a model, and no file at all: errors naming the path.
	junk := filepath.Join(t.TempDir(), "junk.vtm")
	if err := os.WriteFile(junk, []byte("not a model"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{junk, filepath.Join(t.TempDir(), "missing.vtm")} {
		if out, err := runCLI(t, "model", "inspect", "--model", path); err == nil || !strings.Contains(err.Error(), filepath.Base(path)) {
			t.Errorf("inspect %s: %v\n%s", path, err, out)
		}
	}
}

// TestZKInspect: zk inspect compiles a (small) circuit and reports its
// constraints and public inputs; with an empty key cache it says the keys are
// not cached. A bad architecture is an error.
func TestZKInspect(t *testing.T) {
	const arch = "64-8-10"
	a, err := zk.ParseArch(arch)
	if err != nil {
		t.Fatal(err)
	}
	keysDir := t.TempDir()
	out, err := runCLI(t, "zk", "inspect", "--arch", arch, "--keys-dir", keysDir, "-o", "json")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var res struct {
		Arch          string   `json:"arch"`
		CircuitID     string   `json:"circuit_id"`
		Constraints   int      `json:"constraints"`
		PublicInputs  []string `json:"public_inputs"`
		Weights       int      `json:"weights"`
		Cached        bool     `json:"keys_cached"`
		MaxProofBytes int      `json:"max_proof_bytes"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	id := a.CircuitID()
	if res.Arch != arch || res.CircuitID != hex.EncodeToString(id[:]) || res.Weights != 64*8+8*10 {
		t.Fatalf("inspect %+v", res)
	}
	// The circuit has at least one constraint per weight (range checks,
	// products); a count below that means it was not compiled.
	if res.Constraints < res.Weights {
		t.Fatalf("%d constraints for %d weights", res.Constraints, res.Weights)
	}
	if !reflect.DeepEqual(res.PublicInputs, zk.PublicInputNames()) || res.MaxProofBytes != zk.MaxProofSize || res.Cached {
		t.Fatalf("inspect %+v", res)
	}
	text, err := runCLI(t, "zk", "inspect", "--arch", arch, "--keys-dir", keysDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"constraints:", "public inputs: " + strings.Join(zk.PublicInputNames(), ", "), "not cached"} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
	for _, bad := range []string{"abc", "64", "64-0-10"} {
		if out, err := runCLI(t, "zk", "inspect", "--arch", bad, "--keys-dir", keysDir); err == nil {
			t.Errorf("arch %q accepted:\n%s", bad, out)
		}
	}
}
