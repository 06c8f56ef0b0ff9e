// Package ceremonyverify checks, off chain, the setup ceremony a subnet's
// keys come from, before a daemon relies on the subnet: it fetches every
// transcript file the chain recorded (from the ceremony's source: a local
// directory or an http(s) base URL), checks each against its on-chain
// SHA-256, runs the full verification of zk/ceremony once (both phases, both
// beacons as the chain stored them), checks the re-sealed keys against the
// subnet's vk and pk hashes, and caches the verdict machine-wide by the
// transcript's identity, so the nine daemons of a devnet verify once. The
// verified keys are stored in a key cache directory a miner proves from.
//
// It also holds the transcript verdict cache (Cache, transcriptcache.go) that
// `veritensor ceremony verify --cache` uses for a local transcript directory,
// keyed by ceremony.TranscriptID beside the key cache.
package ceremonyverify

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/veritensor/veritensor/chain"
	"github.com/veritensor/veritensor/internal/atomicfile"
	"github.com/veritensor/veritensor/internal/ceremonydir"
	"github.com/veritensor/veritensor/internal/keycache"
	"github.com/veritensor/veritensor/zk"
	"github.com/veritensor/veritensor/zk/ceremony"
)

// ErrUnverified: the subnet's ceremony does not verify (or does not match
// the subnet): the daemon must not work for the subnet.
var ErrUnverified = errors.New("ceremony does not verify")

// ErrFetch: a transcript file could not be fetched, or its bytes do not hash
// to what the chain recorded. Not cached: a later try may succeed.
var ErrFetch = errors.New("ceremony: fetch transcript")

// EnvDir overrides the default cache directory.
const EnvDir = "VERITENSOR_CEREMONY_DIR"

// maxFile bounds a downloaded transcript file (a 2^22 phase 1 is ~800 MB).
const maxFile = 4 << 30

// DefaultDir is $VERITENSOR_CEREMONY_DIR when set, else <user cache
// dir>/veritensor/ceremony.
func DefaultDir() (string, error) {
	if d := os.Getenv(EnvDir); d != "" {
		return d, nil
	}
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("ceremonyverify: no default directory (set %s): %w", EnvDir, err)
	}
	return filepath.Join(base, "veritensor", "ceremony"), nil
}

// Chain is what the check reads from a node (chain/client.Client has it).
type Chain interface {
	Ceremony(ctx context.Context, id uint32) (chain.CeremonyInfo, error)
}

// Options tune a check.
type Options struct {
	// Dir is the machine-wide cache: verdicts/, files/ (downloaded
	// transcript files, by hash) and keys/ (verified keys). "" is DefaultDir.
	Dir string
	// HTTP fetches http(s) sources (http.DefaultClient when nil).
	HTTP *http.Client
	// Progress hears the verification's steps (nil: silent).
	Progress ceremony.Progress
	// Log, if not nil, hears one line per stage.
	Log func(format string, args ...any)
}

// Verified is what a successful check establishes.
type Verified struct {
	Phase1, Phase2 chain.CeremonyInfo
	// ID identifies the verified transcript (the verdict's cache key).
	ID chain.Hash32
	// KeysDir is a key cache directory (internal/keycache) holding the
	// ceremony's keys for the arch: miner.LoadProver(KeysDir, subnet).
	KeysDir string
	// Cached is true when the verdict came from the cache.
	Cached bool
}

// chainVerdict is the cached outcome of Ceremony, in <Dir>/verdicts/.
type chainVerdict struct {
	OK         bool   `json:"ok"`
	Error      string `json:"error,omitempty"`
	Arch       string `json:"arch"`
	Phase1     uint32 `json:"phase1"`
	Phase2     uint32 `json:"phase2"`
	VKHash     string `json:"vk_sha256"`
	PKHash     string `json:"pk_sha256"`
	Transcript string `json:"transcript"`
}

// transcriptID hashes everything the verification depends on: both phases'
// recorded hashes and beacons, the circuit and the sealed key hashes.
func transcriptID(p1, p2 chain.CeremonyInfo) chain.Hash32 {
	e := chain.NewEncoder(1024).Fixed([]byte("veritensor/ceremony-verdict/v1"))
	for _, c := range []chain.CeremonyInfo{p1, p2} {
		e.Uint8(c.Phase).Uint8(c.Power).String(c.Arch).Fixed(c.CircuitID[:])
		hs := c.Transcript()
		e.Uint32(uint32(len(hs)))
		for _, h := range hs {
			e.Fixed(h[:])
		}
		e.Fixed(c.Output[:]).Fixed(c.Beacon[:]).Fixed(c.VKHash[:]).Fixed(c.PKHash[:])
	}
	return sha256.Sum256(e.Bytes())
}

// Subnet checks the ceremony of subnet si (see the package comment). Errors
// wrap ErrUnverified (the ceremony is bad: the message names the first bad
// file and, for a contribution, its contributor; the verdict is cached) or
// ErrFetch (try again later), or come from the chain client.
func Subnet(ctx context.Context, c Chain, si chain.SubnetInfo, o Options) (*Verified, error) {
	v, err := Ceremony(ctx, c, si.Task.Ceremony, o)
	if err != nil {
		return nil, fmt.Errorf("subnet %d: %w", si.ID, err)
	}
	p2 := v.Phase2
	if p2.CircuitID != si.Task.CircuitID || p2.VKHash != si.Task.VKHash || p2.PKHash != si.Task.PKHash {
		return nil, fmt.Errorf("%w: subnet %d's task (circuit %x, vk %x, pk %x) is not ceremony %d's (circuit %x, vk %x, pk %x)",
			ErrUnverified, si.ID, si.Task.CircuitID[:6], si.Task.VKHash[:6], si.Task.PKHash[:6], p2.ID, p2.CircuitID[:6], p2.VKHash[:6], p2.PKHash[:6])
	}
	if got := chain.Hash32(sha256.Sum256(si.VK)); len(si.VK) > 0 && got != p2.VKHash {
		return nil, fmt.Errorf("%w: subnet %d's verifying key hashes to %x, ceremony %d sealed %x", ErrUnverified, si.ID, got[:6], p2.ID, p2.VKHash[:6])
	}
	return v, nil
}

// Ceremony checks sealed phase-2 ceremony id and the phase 1 it builds on.
func Ceremony(ctx context.Context, c Chain, id uint32, o Options) (*Verified, error) {
	logf := func(format string, args ...any) {
		if o.Log != nil {
			o.Log(format, args...)
		}
	}
	dir := o.Dir
	if dir == "" {
		d, err := DefaultDir()
		if err != nil {
			return nil, err
		}
		dir = d
	}
	p2, err := c.Ceremony(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("ceremony %d: %w", id, err)
	}
	if p2.Phase != chain.CeremonyPhase2 || !p2.Sealed {
		return nil, fmt.Errorf("%w: ceremony %d is not a sealed phase 2 (phase %d, sealed %v)", ErrUnverified, id, p2.Phase, p2.Sealed)
	}
	p1, err := c.Ceremony(ctx, p2.Phase1)
	if err != nil {
		return nil, fmt.Errorf("ceremony %d: phase 1 %d: %w", id, p2.Phase1, err)
	}
	if p1.Phase != chain.CeremonyPhase1 || !p1.Sealed {
		return nil, fmt.Errorf("%w: ceremony %d's phase 1 (%d) is not a sealed phase 1", ErrUnverified, id, p1.ID)
	}
	arch, err := zk.ParseArch(p2.Arch)
	if err != nil {
		return nil, fmt.Errorf("%w: ceremony %d arch %q: %v", ErrUnverified, id, p2.Arch, err)
	}
	// The phase 2's circuit is a single-inference circuit of arch under
	// one proof scheme (the chain's ceremony-open rule); its keys are
	// cached under that scheme (keycache.StoreScheme), where the daemons
	// load them (miner.LoadProver).
	scheme, err := zk.SchemeOf(arch, p2.CircuitID)
	if err != nil {
		return nil, fmt.Errorf("%w: ceremony %d: %v", ErrUnverified, id, err)
	}
	tid := transcriptID(p1, p2)
	v := &Verified{Phase1: p1, Phase2: p2, ID: tid, KeysDir: filepath.Join(dir, "keys", tid.String())}
	vpath := filepath.Join(dir, "verdicts", tid.String()+".json")
	if err := os.MkdirAll(filepath.Dir(vpath), 0o755); err != nil {
		return nil, fmt.Errorf("ceremonyverify: %w", err)
	}
	if ok, err := readVerdict(vpath, v, scheme, arch); ok || err != nil {
		if err == nil {
			logf("ceremony %d: verdict cached (%s): verified", id, vpath)
		}
		return v, err
	}
	unlock, err := keycache.Lock(vpath+".lock", func() { logf("ceremony %d: another process verifies it; waiting for %s", id, vpath+".lock") })
	if err != nil {
		return nil, err
	}
	defer unlock()
	if ok, err := readVerdict(vpath, v, scheme, arch); ok || err != nil {
		return v, err
	}

	// Fetch and hash-check every file.
	open := func(ci chain.CeremonyInfo) ([]ceremony.Opener, error) {
		var out []ceremony.Opener
		for _, h := range append(ci.Transcript(), ci.Output) {
			path, err := fetch(ctx, o.HTTP, dir, ci.Source, h)
			if err != nil {
				return nil, fmt.Errorf("ceremony %d: %w", ci.ID, err)
			}
			out = append(out, func() (io.ReadCloser, error) { return os.Open(path) })
		}
		return out, nil
	}
	logf("ceremony %d: fetching %d + %d transcript files", id, len(p1.Contributions)+2, len(p2.Contributions)+2)
	f1, err := open(p1)
	if err != nil {
		return nil, err
	}
	f2, err := open(p2)
	if err != nil {
		return nil, err
	}
	logf("ceremony %d: verifying (%s, phase 1 2^%d, %d + %d contributions)", id, arch, p1.Power, len(p1.Contributions), len(p2.Contributions))
	circuit, err := ceremony.CompileSchemeCircuit(scheme, arch)
	if err != nil {
		return nil, err
	}
	res, verr := ceremony.Verify(circuit, ceremony.Transcript{Phase1: f1, Phase2: f2, Beacon1: p1.Beacon[:], Beacon2: p2.Beacon[:]}, o.Progress)
	if verr == nil {
		verr = matchChain(res, p1, p2)
	}
	vd := chainVerdict{OK: verr == nil, Arch: arch.String(), Phase1: p1.ID, Phase2: p2.ID, Transcript: tid.String(),
		VKHash: p2.VKHash.String(), PKHash: p2.PKHash.String()}
	if verr != nil {
		var fe *ceremony.Error
		if !errors.As(verr, &fe) && !errors.Is(verr, ErrUnverified) && !isCeremonySentinel(verr) {
			return nil, verr // not a verdict about the transcript
		}
		vd.Error = whose(verr, p1, p2) + verr.Error()
	} else {
		kc, err := keycache.New(v.KeysDir)
		if err != nil {
			return nil, err
		}
		if _, err := kc.StoreScheme(scheme, arch, res.Keys.PK, res.Keys.VK); err != nil {
			return nil, err
		}
	}
	b, _ := json.MarshalIndent(vd, "", "  ")
	if err := atomicfile.Write(vpath, b); err != nil {
		return nil, fmt.Errorf("ceremonyverify: %w", err)
	}
	if !vd.OK {
		if errors.Is(verr, ErrUnverified) {
			return nil, verr
		}
		return nil, fmt.Errorf("%w: %s%w", ErrUnverified, whose(verr, p1, p2), verr)
	}
	logf("ceremony %d: verified; keys in %s", id, v.KeysDir)
	return v, nil
}

// isCeremonySentinel: err is a zk/ceremony verdict about the transcript. The
// files were hash-checked against the chain's record after the fetch, so a
// malformed file or a hash mismatch is a verdict here too.
func isCeremonySentinel(err error) bool {
	return isVerdict(err) || errors.Is(err, ceremony.ErrMalformed) || errors.Is(err, ceremony.ErrHashMismatch)
}

// matchChain compares what verification established with the chain's record.
func matchChain(res *ceremony.Result, p1, p2 chain.CeremonyInfo) error {
	eq := func(a [][32]byte, b []chain.Hash32) bool {
		if len(a) != len(b) {
			return false
		}
		for i := range a {
			if a[i] != [32]byte(b[i]) {
				return false
			}
		}
		return true
	}
	switch {
	case !eq(res.Phase1, p1.Transcript()) || res.Sealed1 != [32]byte(p1.Output):
		return fmt.Errorf("%w: the verified phase-1 files are not ceremony %d's record", ErrUnverified, p1.ID)
	case !eq(res.Phase2, p2.Transcript()) || res.Sealed2 != [32]byte(p2.Output):
		return fmt.Errorf("%w: the verified phase-2 files are not ceremony %d's record", ErrUnverified, p2.ID)
	case res.CircuitID != [32]byte(p2.CircuitID):
		return fmt.Errorf("%w: the transcript is for circuit %x, ceremony %d for %x", ErrUnverified, res.CircuitID[:6], p2.ID, p2.CircuitID[:6])
	case res.Keys.VKHash != [32]byte(p2.VKHash):
		return fmt.Errorf("%w: re-sealing the transcript gives verifying key %x, ceremony %d sealed %x: the owner sealed a key the transcript does not produce",
			ErrUnverified, res.Keys.VKHash[:6], p2.ID, p2.VKHash[:6])
	case res.Keys.PKHash != [32]byte(p2.PKHash):
		return fmt.Errorf("%w: re-sealing the transcript gives proving key %x, ceremony %d sealed %x", ErrUnverified, res.Keys.PKHash[:6], p2.ID, p2.PKHash[:6])
	}
	return nil
}

// whose names the failing file's ceremony and, for a contribution, who
// made it (a prefix for the engine's error, which names the file).
func whose(err error, p1, p2 chain.CeremonyInfo) string {
	var fe *ceremony.Error
	if !errors.As(err, &fe) {
		return ""
	}
	ci := p1
	if fe.Phase == ceremony.Phase2 {
		ci = p2
	}
	if fe.Index >= 1 && fe.Index <= len(ci.Contributions) && fe.Kind == ceremony.KindContribution {
		k := ci.Contributions[fe.Index-1]
		return fmt.Sprintf("contribution %d of ceremony %d by %s (file %s, block %d): ", fe.Index, ci.ID, k.Contributor, k.Hash, k.Height)
	}
	return fmt.Sprintf("ceremony %d (phase %d) %s file %d: ", ci.ID, fe.Phase, fe.Kind, fe.Index)
}

// readVerdict loads a cached verdict: (true, nil) verified with keys
// present, (false, err) a cached failure, (false, nil) none.
func readVerdict(path string, v *Verified, scheme zk.Scheme, arch zk.Arch) (bool, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("ceremonyverify: %w", err)
	}
	var vd chainVerdict
	if json.Unmarshal(b, &vd) != nil || vd.Transcript != v.ID.String() {
		return false, nil // unreadable: verify again
	}
	if !vd.OK {
		v.Cached = true
		return false, fmt.Errorf("%w (cached verdict %s): %s", ErrUnverified, path, vd.Error)
	}
	kc, err := keycache.New(v.KeysDir)
	if err != nil {
		return false, err
	}
	k, err := kc.LoadScheme(scheme, arch)
	if err != nil || k.VKHash != [32]byte(v.Phase2.VKHash) || k.PKHash != [32]byte(v.Phase2.PKHash) {
		return false, nil // keys missing or damaged: verify again
	}
	v.Cached = true
	return true, nil
}

// fetch returns a local path holding the file with SHA-256 h: directly in a
// local source directory, or downloaded from an http(s) source into
// <dir>/files/. Either way its bytes are hashed and must equal h.
func fetch(ctx context.Context, hc *http.Client, dir, source string, h chain.Hash32) (string, error) {
	name := ceremonydir.FileName(h)
	if strings.HasPrefix(source, "/") {
		path := filepath.Join(source, name)
		if err := checkFile(path, h); err != nil {
			return "", err
		}
		return path, nil
	}
	path := filepath.Join(dir, "files", name)
	if checkFile(path, h) == nil {
		return path, nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return "", fmt.Errorf("%w: %v", ErrFetch, err)
	}
	if hc == nil {
		hc = http.DefaultClient
	}
	url := strings.TrimSuffix(source, "/") + "/" + name
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", fmt.Errorf("%w: %s: %v", ErrFetch, url, err)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return "", fmt.Errorf("%w: %s: %v", ErrFetch, url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("%w: %s: HTTP %s", ErrFetch, url, resp.Status)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), name+".*.part")
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrFetch, err)
	}
	defer os.Remove(tmp.Name())
	hs := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, hs), io.LimitReader(resp.Body, maxFile+1))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", fmt.Errorf("%w: %s: %v", ErrFetch, url, err)
	}
	if n > maxFile {
		return "", fmt.Errorf("%w: %s: larger than %d bytes", ErrFetch, url, int64(maxFile))
	}
	if got := hs.Sum(nil); !bytes.Equal(got, h[:]) {
		return "", fmt.Errorf("%w: %s: bytes hash to %s, the chain recorded %s", ErrFetch, url, hex.EncodeToString(got), name)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return "", fmt.Errorf("%w: %v", ErrFetch, err)
	}
	return path, nil
}

func checkFile(path string, h chain.Hash32) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrFetch, err)
	}
	defer f.Close()
	hs := sha256.New()
	if _, err := io.Copy(hs, f); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrFetch, path, err)
	}
	if got := hs.Sum(nil); !bytes.Equal(got, h[:]) {
		return fmt.Errorf("%w: %s hashes to %s, the chain recorded %s", ErrFetch, path, hex.EncodeToString(got), h)
	}
	return nil
}
