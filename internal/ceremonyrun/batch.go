package ceremonyrun

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/veritensor/veritensor/chain"
	"github.com/veritensor/veritensor/internal/atomicfile"
	"github.com/veritensor/veritensor/internal/keycache"
	"github.com/veritensor/veritensor/zk/ceremony"
)

// The chain records one circuit per subnet (the single circuit's ceremony
// above); a batch circuit's keys come from a ceremony of its own, off
// chain (`veritensor ceremony ... --batch K` by hand, docs/zk.md). RunBatch
// is that ceremony with the same local contributors: a phase 1 of the
// batch circuit's size (contributions reused from Phase1Dir as Run's), a
// phase 2 of the batch circuit, both sealed with beacons the caller takes
// from the chain (the single ceremony's, drawn after every contribution
// recorded there, so no contributor knew them). The sealed keys, the
// transcript's hashes and the beacons are kept in Dir; a later RunBatch
// with the same Dir, circuit and contributors reuses them (the devnet's
// batch keys are set up once per machine, as its phase-1 contributions).

// BatchResult is a batch circuit's off-chain ceremony.
type BatchResult struct {
	// K is the batch size; Log2 the phase-1 size.
	K    int   `json:"k"`
	Log2 uint8 `json:"log2"`
	// Phase1 and Phase2 are the files' hashes: init, one contribution per
	// contributor, the sealed file (phase 1 in Phase1Dir, phase 2 in Dir).
	Phase1 []chain.Hash32 `json:"phase1"`
	Phase2 []chain.Hash32 `json:"phase2"`
	// Beacon1 and Beacon2 sealed them.
	Beacon1 chain.Hash32 `json:"beacon1"`
	Beacon2 chain.Hash32 `json:"beacon2"`
	// VKHash and PKHash are the keys' SHA-256.
	VKHash chain.Hash32 `json:"vk_hash"`
	PKHash chain.Hash32 `json:"pk_hash"`
	// Dir is the key cache (internal/keycache) holding the keys.
	Dir string `json:"-"`
	// Reused is true when the keys were set up by an earlier RunBatch.
	Reused bool `json:"-"`
}

// BatchSpec is one batch circuit's off-chain ceremony.
type BatchSpec struct {
	// Spec gives the arch, the contributors, Phase1Dir and Say (Owner, Fee
	// and Phase2Dir are not used).
	Spec
	// K is the batch size.
	K int
	// Dir holds the phase-2 files, the keys (a keycache directory) and
	// the record of the ceremony. Absolute.
	Dir string
	// Beacon1 and Beacon2 seal phase 1 and phase 2.
	Beacon1, Beacon2 chain.Hash32
}

func (b *BatchSpec) recordPath() string {
	return filepath.Join(b.Dir, fmt.Sprintf("batch-ceremony-%s-k%d.json", b.Arch, b.K))
}

// RunBatch runs (or reuses, see above) the batch circuit's ceremony.
func RunBatch(b BatchSpec) (*BatchResult, error) {
	if len(b.Contributors) == 0 {
		return nil, errors.New("ceremonyrun: no contributors")
	}
	for _, d := range []string{b.Phase1Dir, b.Dir} {
		if !filepath.IsAbs(d) {
			return nil, fmt.Errorf("ceremonyrun: %q is not an absolute directory", d)
		}
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
	}
	kc, err := keycache.New(b.Dir)
	if err != nil {
		return nil, err
	}
	unlock, err := keycache.Lock(filepath.Join(b.Dir, "batch.lock"), func() { b.say("waiting for another run's batch ceremony") })
	if err != nil {
		return nil, err
	}
	defer unlock()
	if r, err := os.ReadFile(b.recordPath()); err == nil {
		var res BatchResult
		if json.Unmarshal(r, &res) == nil && res.K == b.K {
			if keys, err := kc.LoadBatch(b.Arch, b.K); err == nil && keys.VKHash == res.VKHash && keys.PKHash == res.PKHash {
				res.Dir, res.Reused = b.Dir, true
				return &res, nil
			}
		}
	}
	circuit, err := ceremony.CompileBatchCircuit(b.Arch, b.K)
	if err != nil {
		return nil, err
	}
	res := &BatchResult{K: b.K, Log2: circuit.Log2, Beacon1: b.Beacon1, Beacon2: b.Beacon2, Dir: b.Dir}
	un1, err := keycache.Lock(filepath.Join(b.Phase1Dir, "phase1.lock"), func() { b.say("waiting for another run's phase 1") })
	if err != nil {
		return nil, err
	}
	p1files, _, err := b.phase1Files(circuit.Log2)
	un1()
	if err != nil {
		return nil, err
	}
	var ops []ceremony.Opener
	for _, h := range p1files {
		ops = append(ops, opener(b.Phase1Dir, h))
	}
	b.say("batch circuit of %d: sealing its phase 1 (2^%d) with beacon %s", b.K, circuit.Log2, b.Beacon1)
	var buf bytes.Buffer
	if _, err := ceremony.SealPhase1(&buf, ops, b.Beacon1[:], nil); err != nil {
		return nil, err
	}
	sealed1 := bytes.Clone(buf.Bytes())
	s1, err := store(b.Phase1Dir, sealed1)
	if err != nil {
		return nil, err
	}
	res.Phase1 = append(p1files, s1)
	s2 := b.Spec
	s2.Phase2Dir = b.Dir
	p2files, err := s2.phase2Files(circuit, sealed1, fmt.Sprintf("%s, batch of %d", b.Arch, b.K))
	if err != nil {
		return nil, err
	}
	b.say("batch circuit of %d: sealing its phase 2 with beacon %s", b.K, b.Beacon2)
	h, keys, err := s2.seal2(circuit, sealed1, p2files, b.Beacon2)
	if err != nil {
		return nil, err
	}
	res.Phase2 = append(p2files, h)
	stored, err := kc.StoreBatch(b.Arch, b.K, keys.PK, keys.VK)
	if err != nil {
		return nil, err
	}
	res.VKHash, res.PKHash = stored.VKHash, stored.PKHash
	rec, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return nil, err
	}
	return res, atomicfile.Write(b.recordPath(), rec)
}
