// Package ceremonyrun runs a whole setup ceremony (phase 1 and phase 2)
// with several local contributors against a real chain: it computes each
// transcript file with zk/ceremony, stores it content-addressed in a
// directory (the ceremony's recorded source), records every contribution on
// chain signed by its contributor, waits for the chain's beacons, seals, and
// returns the sealed phase 2's ID and keys. The devnet and the end-to-end
// tests use it; real ceremonies run `veritensor ceremony ...` by hand, one
// contributor per machine.
//
// Phase-1 contributions do not depend on the chain (only its seal does), so
// Run reuses a phase-1 transcript it finds complete in Phase1Dir (recorded
// in a small manifest named by size and contributors): a second devnet run
// records the same files again, under the same contributors' signatures,
// and only re-seals phase 1 with the new chain's beacon. Phase 2 is built
// on that seal, so it is redone every time.
package ceremonyrun

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	"github.com/veritensor/veritensor/chain"
	"github.com/veritensor/veritensor/chain/client"
	"github.com/veritensor/veritensor/internal/atomicfile"
	"github.com/veritensor/veritensor/internal/ceremonydir"
	"github.com/veritensor/veritensor/internal/keycache"
	"github.com/veritensor/veritensor/zk"
	"github.com/veritensor/veritensor/zk/ceremony"
)

// Spec is one ceremony to run.
type Spec struct {
	// Arch is the circuit's architecture.
	Arch zk.Arch
	// Scheme is the proof scheme of the single-inference circuit the
	// phase 2 is for (zk.SchemeHash, the zero value, or zk.SchemeCommit):
	// the ceremony opens with it, so the subnet created from it runs
	// Scheme.CircuitID(Arch). Phase 1's size follows that circuit's
	// constraints (2^16 for the commit circuit of 784-64-10, 2^18 for the
	// hash one).
	Scheme zk.Scheme
	// Owner opens and seals both phases (and pays their fees).
	Owner ed25519.PrivateKey
	// Contributors contribute in this order to both phases; each signs its
	// own contribution transaction (it needs a balance for the fee).
	Contributors []ed25519.PrivateKey
	// Phase1Dir holds phase-1 files (content-addressed) and the reuse
	// manifests; it is the phase-1 ceremony's source. Absolute.
	Phase1Dir string
	// Phase2Dir holds phase-2 files; the phase-2 ceremony's source. Absolute.
	Phase2Dir string
	// Fee of every transaction.
	Fee uint64
	// Say, if not nil, hears one line per step.
	Say func(format string, args ...any)
}

// Result is a sealed ceremony.
type Result struct {
	Phase1, Phase2 chain.CeremonyInfo
	// Keys are the sealed keys.
	Keys *keycache.Keys
	// Phase1Reused is true when the phase-1 contributions came from
	// Phase1Dir instead of being computed.
	Phase1Reused bool
}

func (s *Spec) say(f string, a ...any) {
	if s.Say != nil {
		s.Say(f, a...)
	}
}

// store writes b to dir/<hex sha256> and returns the hash.
func store(dir string, b []byte) (chain.Hash32, error) {
	h := sha256.Sum256(b)
	path := filepath.Join(dir, ceremonydir.FileName(h))
	if fi, err := os.Stat(path); err == nil && fi.Size() == int64(len(b)) {
		return h, nil
	}
	if err := atomicfile.Write(path, b); err != nil {
		return h, err
	}
	return h, nil
}

func load(dir string, h chain.Hash32) ([]byte, error) {
	b, err := os.ReadFile(filepath.Join(dir, ceremonydir.FileName(h)))
	if err != nil {
		return nil, err
	}
	if sha256.Sum256(b) != h {
		return nil, fmt.Errorf("ceremonyrun: %s/%s is damaged", dir, h)
	}
	return b, nil
}

func opener(dir string, h chain.Hash32) ceremony.Opener {
	return func() (io.ReadCloser, error) { return os.Open(filepath.Join(dir, ceremonydir.FileName(h))) }
}

func addr(k ed25519.PrivateKey) chain.Address {
	return chain.AddressFromPubKey(k.Public().(ed25519.PublicKey))
}

// manifest records a complete phase-1 transcript for reuse.
type manifest struct {
	Log2         uint8          `json:"log2"`
	Contributors []string       `json:"contributors"`
	Files        []chain.Hash32 `json:"files"` // init, then one per contributor
}

func (s *Spec) manifestPath(log2 uint8) string {
	h := sha256.New()
	for _, k := range s.Contributors {
		a := addr(k)
		h.Write(a[:])
	}
	return filepath.Join(s.Phase1Dir, fmt.Sprintf("phase1-2^%d-%x.json", log2, h.Sum(nil)[:8]))
}

// phase1Files returns init + one contribution per contributor, reused from
// the manifest when every file is there, else computed.
func (s *Spec) phase1Files(log2 uint8) ([]chain.Hash32, bool, error) {
	mp := s.manifestPath(log2)
	if b, err := os.ReadFile(mp); err == nil {
		var m manifest
		if json.Unmarshal(b, &m) == nil && m.Log2 == log2 && len(m.Files) == len(s.Contributors)+1 {
			ok := true
			for _, h := range m.Files {
				if _, err := load(s.Phase1Dir, h); err != nil {
					ok = false
					break
				}
			}
			if ok {
				return m.Files, true, nil
			}
		}
	}
	var buf bytes.Buffer
	if _, err := ceremony.InitPhase1(&buf, log2); err != nil {
		return nil, false, err
	}
	prev := bytes.Clone(buf.Bytes())
	h, err := store(s.Phase1Dir, prev)
	if err != nil {
		return nil, false, err
	}
	files := []chain.Hash32{h}
	for i := range s.Contributors {
		s.say("phase 1 (2^%d): contribution %d of %d", log2, i+1, len(s.Contributors))
		buf.Reset()
		if _, err := ceremony.Contribute(&buf, bytes.NewReader(prev), nil); err != nil {
			return nil, false, err
		}
		prev = bytes.Clone(buf.Bytes())
		if h, err = store(s.Phase1Dir, prev); err != nil {
			return nil, false, err
		}
		files = append(files, h)
	}
	m := manifest{Log2: log2, Files: files}
	for _, k := range s.Contributors {
		m.Contributors = append(m.Contributors, addr(k).String())
	}
	b, _ := json.MarshalIndent(m, "", "  ")
	return files, false, atomicfile.Write(mp, b)
}

// record opens a ceremony, records the contributions (each signed by its
// contributor), waits for the beacon and returns the ceremony.
func (s *Spec) record(ctx context.Context, c *client.Client, m *chain.MsgCeremonyOpen, contribs []chain.Hash32) (chain.CeremonyInfo, error) {
	for _, k := range s.Contributors {
		m.Allowed = append(m.Allowed, addr(k))
	}
	sort.Slice(m.Allowed, func(i, j int) bool { return bytes.Compare(m.Allowed[i][:], m.Allowed[j][:]) < 0 })
	m.Allowed = dedup(m.Allowed)
	id, _, err := c.OpenCeremony(ctx, s.Owner, m, s.Fee)
	if err != nil {
		return chain.CeremonyInfo{}, fmt.Errorf("ceremonyrun: open phase %d: %w", m.Phase, err)
	}
	prev := m.Init
	for i, h := range contribs {
		if _, err := c.Contribute(ctx, s.Contributors[i], id, prev, h, s.Fee); err != nil {
			return chain.CeremonyInfo{}, fmt.Errorf("ceremonyrun: record contribution %d of ceremony %d: %w", i+1, id, err)
		}
		prev = h
	}
	s.say("ceremony %d (phase %d): %d contributions recorded; waiting for the beacon", id, m.Phase, len(contribs))
	return c.WaitBeacon(ctx, id)
}

func dedup(a []chain.Address) []chain.Address {
	out := a[:0]
	for i, x := range a {
		if i == 0 || x != a[i-1] {
			out = append(out, x)
		}
	}
	return out
}

// Run runs the ceremony (see the package comment).
func Run(ctx context.Context, c *client.Client, s Spec) (*Result, error) {
	if len(s.Contributors) == 0 {
		return nil, errors.New("ceremonyrun: no contributors")
	}
	for _, d := range []string{s.Phase1Dir, s.Phase2Dir} {
		if !filepath.IsAbs(d) {
			return nil, fmt.Errorf("ceremonyrun: %q is not an absolute directory", d)
		}
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
	}
	if !s.Scheme.Valid() {
		return nil, fmt.Errorf("ceremonyrun: unknown proof scheme %d", uint8(s.Scheme))
	}
	circuit, err := ceremony.CompileSchemeCircuit(s.Scheme, s.Arch)
	if err != nil {
		return nil, err
	}
	log2 := circuit.Log2
	res := &Result{}

	// Phase 1: reuse or compute the contributions; record; seal.
	unlock, err := keycache.Lock(filepath.Join(s.Phase1Dir, "phase1.lock"), func() { s.say("waiting for another run's phase 1") })
	if err != nil {
		return nil, err
	}
	p1files, reused, err := s.phase1Files(log2)
	unlock()
	if err != nil {
		return nil, err
	}
	res.Phase1Reused = reused
	p1, err := s.record(ctx, c, &chain.MsgCeremonyOpen{Phase: chain.CeremonyPhase1, Power: log2, Init: p1files[0],
		Source: s.Phase1Dir}, p1files[1:])
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	var ops []ceremony.Opener
	for _, h := range p1files {
		ops = append(ops, opener(s.Phase1Dir, h))
	}
	s.say("ceremony %d: sealing phase 1 with beacon %s", p1.ID, p1.Beacon)
	if _, err := ceremony.SealPhase1(&buf, ops, p1.Beacon[:], nil); err != nil {
		return nil, err
	}
	sealed1 := bytes.Clone(buf.Bytes())
	s1, err := store(s.Phase1Dir, sealed1)
	if err != nil {
		return nil, err
	}
	if _, err := c.SealCeremony(ctx, s.Owner, &chain.MsgCeremonySeal{Ceremony: p1.ID, Head: p1.Head, Output: s1}, s.Fee); err != nil {
		return nil, fmt.Errorf("ceremonyrun: seal ceremony %d: %w", p1.ID, err)
	}

	// Phase 2: init on the sealed phase 1, contributions, record, seal.
	what := s.Arch.String()
	if s.Scheme != zk.SchemeHash {
		what += ", " + s.Scheme.String() + " scheme"
	}
	p2files, err := s.phase2Files(circuit, sealed1, what)
	if err != nil {
		return nil, err
	}
	init2 := p2files[0]
	p2, err := s.record(ctx, c, &chain.MsgCeremonyOpen{Phase: chain.CeremonyPhase2, Arch: s.Arch.String(), Scheme: s.Scheme, Phase1: p1.ID,
		Init: init2, Source: s.Phase2Dir}, p2files[1:])
	if err != nil {
		return nil, err
	}
	s.say("ceremony %d: sealing phase 2 with beacon %s", p2.ID, p2.Beacon)
	s2, keys, err := s.seal2(circuit, sealed1, p2files, p2.Beacon)
	if err != nil {
		return nil, err
	}
	if _, err := c.SealCeremony(ctx, s.Owner, &chain.MsgCeremonySeal{Ceremony: p2.ID, Head: p2.Head, Output: s2,
		PKHash: keys.PKHash, VK: keys.VK}, s.Fee); err != nil {
		return nil, fmt.Errorf("ceremonyrun: seal ceremony %d: %w", p2.ID, err)
	}
	if res.Phase1, err = c.Ceremony(ctx, p1.ID); err != nil {
		return nil, err
	}
	if res.Phase2, err = c.Ceremony(ctx, p2.ID); err != nil {
		return nil, err
	}
	res.Keys = &keycache.Keys{Arch: s.Arch, Scheme: s.Scheme, CircuitID: s.Scheme.CircuitID(s.Arch), PK: keys.PK, VK: keys.VK, PKHash: keys.PKHash, VKHash: keys.VKHash}
	return res, nil
}

// phase2Files computes circuit's phase-2 init on sealed1 and one
// contribution per contributor, stores them in Phase2Dir and returns their
// hashes, init first.
func (s *Spec) phase2Files(circuit *ceremony.Circuit, sealed1 []byte, what string) ([]chain.Hash32, error) {
	s.say("phase 2 (%s): init on the sealed phase 1 (%d constraints; the slow step)", what, circuit.NbConstraints)
	var buf bytes.Buffer
	if _, err := ceremony.InitPhase2(&buf, circuit, bytes.NewReader(sealed1), nil); err != nil {
		return nil, err
	}
	prev := bytes.Clone(buf.Bytes())
	init2, err := store(s.Phase2Dir, prev)
	if err != nil {
		return nil, err
	}
	files := []chain.Hash32{init2}
	for i := range s.Contributors {
		s.say("phase 2 (%s): contribution %d of %d", what, i+1, len(s.Contributors))
		buf.Reset()
		if _, err := ceremony.Contribute(&buf, bytes.NewReader(prev), nil); err != nil {
			return nil, err
		}
		prev = bytes.Clone(buf.Bytes())
		h, err := store(s.Phase2Dir, prev)
		if err != nil {
			return nil, err
		}
		files = append(files, h)
	}
	return files, nil
}

// seal2 seals circuit's phase 2 (files in Phase2Dir) with beacon, stores
// the sealed file and returns its hash and the keys.
func (s *Spec) seal2(circuit *ceremony.Circuit, sealed1 []byte, files []chain.Hash32, beacon chain.Hash32) (chain.Hash32, *ceremony.Keys, error) {
	var ops []ceremony.Opener
	for _, h := range files {
		ops = append(ops, opener(s.Phase2Dir, h))
	}
	var buf bytes.Buffer
	_, keys, err := ceremony.SealPhase2(&buf, circuit, ceremony.BytesOpener(sealed1), ops, beacon[:], nil)
	if err != nil {
		return chain.Hash32{}, nil, err
	}
	h, err := store(s.Phase2Dir, buf.Bytes())
	return h, keys, err
}
