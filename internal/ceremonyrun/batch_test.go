package ceremonyrun

import (
	"crypto/ed25519"
	"path/filepath"
	"testing"

	"github.com/veritensor/veritensor/chain"
	"github.com/veritensor/veritensor/chain/testnet"
	"github.com/veritensor/veritensor/internal/ceremonyverify"
	"github.com/veritensor/veritensor/internal/keycache"
	"github.com/veritensor/veritensor/zk"
)

// TestRunBatch runs a batch circuit's off-chain ceremony (49-16-10, k = 1:
// the smallest batch circuit, a 2^13 phase 1 whose contributions are
// cached machine-wide as the devnet's) with three contributors and given
// beacons: its keys prove and verify a batch bound to a hotkey; a second
// run with the same directory reuses them (same hashes, nothing
// recomputed), and a run for another batch size does not take them.
func TestRunBatch(t *testing.T) {
	if testing.Short() {
		t.Skip("a real (small) ceremony")
	}
	arch, err := zk.ParseArch("49-16-10")
	if err != nil {
		t.Fatal(err)
	}
	key := func(i int) ed25519.PrivateKey { return testnet.DeterministicKey("ceremony-batch", i) }
	cdir, err := ceremonyverify.DefaultDir()
	if err != nil {
		t.Fatal(err)
	}
	p1dir, err := filepath.Abs(filepath.Join(cdir, "test-phase1"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	spec := BatchSpec{Spec: Spec{Arch: arch, Contributors: []ed25519.PrivateKey{key(0), key(1), key(2)}, Phase1Dir: p1dir, Say: t.Logf},
		K: 1, Dir: dir, Beacon1: chain.Hash32{1}, Beacon2: chain.Hash32{2}}
	res, err := RunBatch(spec)
	if err != nil {
		t.Fatal(err)
	}
	if res.Reused || res.K != 1 || len(res.Phase1) != 5 || len(res.Phase2) != 5 || res.Beacon2 != (chain.Hash32{2}) {
		t.Fatalf("first run: %+v", res)
	}
	kc, err := keycache.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := kc.LoadBatch(arch, 1)
	if err != nil || keys.VKHash != res.VKHash || keys.CircuitID != zk.BatchCircuitID(arch, 1) {
		t.Fatalf("stored keys: %v", err)
	}
	p, err := zk.NewBatchProver(arch, 1, keys.PK)
	if err != nil {
		t.Fatal(err)
	}
	v, err := zk.NewBatchVerifier(keys.VK, 1)
	if err != nil {
		t.Fatal(err)
	}
	m, err := zk.RandomModel(arch, 3)
	if err != nil {
		t.Fatal(err)
	}
	hot := [32]byte{7}
	proof, pub, err := p.Prove(m, [][]int8{zk.ChallengeInput([32]byte{1}, 1, 49)}, zk.Binding{HotkeyHash: zk.HotkeyHash(hot[:]), Epoch: 5})
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Verify(proof, pub); err != nil {
		t.Fatalf("a proof with the ceremony's key: %v", err)
	}
	pub.HotkeyHash = zk.HotkeyHash([]byte("another hotkey"))
	if err := v.Verify(proof, pub); err == nil {
		t.Fatal("the proof verifies for another hotkey")
	}

	again, err := RunBatch(spec)
	if err != nil || !again.Reused || again.VKHash != res.VKHash || again.PKHash != res.PKHash {
		t.Fatalf("second run: %+v %v", again, err)
	}
	other := spec
	other.K = 4
	rec := other.recordPath()
	if rec == spec.recordPath() {
		t.Fatal("batch sizes share a record")
	}
	if _, err := kc.LoadBatch(arch, 4); err == nil {
		t.Fatal("keys for k = 4 before its ceremony")
	}
}
