package zk

import (
	"errors"
	"strings"
	"testing"

	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	icicle "github.com/consensys/gnark/backend/groth16/bn254/icicle"
)

// TestProverKeyConstructor checks the proving key that NewProver builds
// through newProvingKey: of the type this build's groth16.Prove asserts
// (a type mismatch there panics inside gnark), and proving a real proof
// that verifies.
func TestProverKeyConstructor(t *testing.T) {
	k := smallSetup(t)
	gk, native, err := newProvingKey(false)
	if err != nil {
		t.Fatal(err)
	}
	switch key := gk.(type) {
	case *groth16bn254.ProvingKey:
		if GPUBuild || key != native {
			t.Fatalf("icicle build %v: native key %p, want the key itself %p", GPUBuild, native, key)
		}
	case *icicle.ProvingKey:
		if !GPUBuild || &key.ProvingKey != native {
			t.Fatalf("icicle key in a build without the icicle tag, or native key %p not inside it", native)
		}
	default:
		t.Fatalf("proving key of type %T", gk)
	}
	p, err := NewProver(k.arch, k.pk)
	if err != nil {
		t.Fatal(err)
	}
	if p.Backend() != BackendCPU {
		t.Fatalf("backend %q, want %q", p.Backend(), BackendCPU)
	}
	m := randomModel(t, k.arch, 3)
	x := ChallengeInput([32]byte{3}, 7, k.arch.Inputs())
	proof, pub, err := p.Prove(m, x, Binding{HotkeyHash: HotkeyHash([]byte("gpu-test")), Epoch: 5})
	if err != nil {
		t.Fatal(err)
	}
	if err := k.ver.Verify(proof, pub); err != nil {
		t.Fatalf("proof from the constructed key rejected: %v", err)
	}
}

// TestProverGPUWithoutIcicle: asking a binary built without the icicle tag
// for the GPU prover is a clear error, not gnark's panic.
func TestProverGPUWithoutIcicle(t *testing.T) {
	if GPUBuild {
		t.Skip("built with -tags icicle: WithGPU may work here")
	}
	k := smallSetup(t)
	p, err := NewProver(k.arch, k.pk, WithGPU())
	if !errors.Is(err, ErrNoGPU) || p != nil {
		t.Fatalf("WithGPU without the icicle tag: %v, %v; want ErrNoGPU", p, err)
	}
	if !strings.Contains(err.Error(), "icicle") || !strings.Contains(err.Error(), "make build-gpu") {
		t.Errorf("error %q does not say how to get a GPU build", err)
	}
}
