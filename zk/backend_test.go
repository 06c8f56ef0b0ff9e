package zk

import (
	"errors"
	"strings"
	"testing"

	"github.com/consensys/gnark/backend/groth16"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	icicle "github.com/consensys/gnark/backend/groth16/bn254/icicle"
	"github.com/consensys/gnark/constraint"
	csbn254 "github.com/consensys/gnark/constraint/bn254"
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

// TestProverGPUIcicleBuild (only with -tags icicle): WithGPU either proves
// on the GPU, and the proof verifies with the ordinary verifier, or, on a
// machine without a usable CUDA device or ICICLE backend, fails with
// ErrNoGPU; it never panics, and asking again gives the same answer.
func TestProverGPUIcicleBuild(t *testing.T) {
	if !GPUBuild {
		t.Skip("built without -tags icicle")
	}
	k := smallSetup(t)
	p, err := NewProver(k.arch, k.pk, WithGPU())
	if err != nil {
		if !errors.Is(err, ErrNoGPU) {
			t.Fatalf("WithGPU: %v, want ErrNoGPU or success", err)
		}
		t.Logf("no GPU here: %v", err)
		if _, err2 := NewProver(k.arch, k.pk, WithGPU()); !errors.Is(err2, ErrNoGPU) {
			t.Fatalf("second WithGPU: %v, want ErrNoGPU again", err2)
		}
		return
	}
	if p.Backend() != BackendIcicleGPU {
		t.Fatalf("backend %q", p.Backend())
	}
	m := randomModel(t, k.arch, 4)
	x := ChallengeInput([32]byte{4}, 9, k.arch.Inputs())
	proof, pub, err := p.Prove(m, x, Binding{HotkeyHash: HotkeyHash([]byte("gpu")), Epoch: 3})
	if err != nil {
		t.Fatal(err)
	}
	if err := k.ver.Verify(proof, pub); err != nil {
		t.Fatalf("GPU proof rejected: %v", err)
	}
	if class, _, _ := m.Infer(x); pub.Output != class {
		t.Fatalf("GPU proof output %d, native %d", pub.Output, class)
	}
}

// testSetup is groth16.Setup for any curve, on the CPU for BN254 even under
// the icicle tag (where gnark's own would warm up, or panic without, a GPU).
func testSetup(ccs constraint.ConstraintSystem) (groth16.ProvingKey, groth16.VerifyingKey, error) {
	if _, ok := ccs.(*csbn254.R1CS); ok {
		return nativeSetup(ccs)
	}
	return groth16.Setup(ccs)
}
