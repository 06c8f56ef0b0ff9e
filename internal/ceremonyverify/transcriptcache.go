package ceremonyverify

// The transcript verdict cache: what `veritensor ceremony verify --cache`
// uses for a local transcript directory. It remembers, machine-wide, the
// verdict of verifying a ceremony transcript (zk/ceremony.Verify), keyed by
// ceremony.TranscriptID, so that each CLI audit verifies a transcript once.
// Verdicts live beside the key cache: <keycache.DefaultDir()>/ceremonies/
// <transcript ID hex>.json, written atomically. A verdict is deterministic
// in the transcript ID (same bytes, circuit and beacons), so both successes
// and verification failures are cached; I/O errors (a download that failed)
// are not verdicts and are never cached.

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/veritensor/veritensor/internal/atomicfile"
	"github.com/veritensor/veritensor/internal/keycache"
	"github.com/veritensor/veritensor/zk/ceremony"
)

// ErrMiss: no verdict is cached for the transcript.
var ErrMiss = errors.New("ceremonyverify: verdict cache miss")

// Verdict is the outcome of verifying one transcript (a Cache entry).
type Verdict struct {
	// Transcript is the transcript ID (hex).
	Transcript string `json:"transcript"`
	// CircuitID is the circuit the transcript was checked against (hex).
	CircuitID string `json:"circuit_id"`
	// OK says the transcript verified.
	OK bool `json:"ok"`
	// Error is the verification error when not OK: it names the first bad
	// file (phase, index, hash) and what is wrong.
	Error string `json:"error,omitempty"`
	// Phase, Index and File locate the bad file when not OK.
	Phase int    `json:"phase,omitempty"`
	Index int    `json:"index,omitempty"`
	File  string `json:"file,omitempty"`
	// PKHash and VKHash are the SHA-256 of the sealed keys when OK.
	PKHash string `json:"proving_key_sha256,omitempty"`
	VKHash string `json:"verifying_key_sha256,omitempty"`
}

// Err is the verdict as an error: nil when OK.
func (v *Verdict) Err() error {
	if v.OK {
		return nil
	}
	return fmt.Errorf("ceremony transcript %s does not verify (cached verdict): %s", v.Transcript[:12], v.Error)
}

// Cache is a transcript verdict directory.
type Cache struct{ Dir string }

// NewCache opens the transcript verdict cache under dir; "" means
// <keycache.DefaultDir()>/ceremonies.
func NewCache(dir string) (*Cache, error) {
	if dir == "" {
		d, err := keycache.DefaultDir()
		if err != nil {
			return nil, err
		}
		dir = filepath.Join(d, "ceremonies")
	}
	return &Cache{Dir: dir}, nil
}

func (c *Cache) path(id [32]byte) string {
	return filepath.Join(c.Dir, hex.EncodeToString(id[:])+".json")
}

// Load returns the cached verdict for transcript id, or ErrMiss.
func (c *Cache) Load(id [32]byte) (*Verdict, error) {
	b, err := os.ReadFile(c.path(id))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrMiss
	}
	if err != nil {
		return nil, err
	}
	var v Verdict
	if err := json.Unmarshal(b, &v); err != nil || v.Transcript != hex.EncodeToString(id[:]) {
		return nil, ErrMiss // a torn or foreign file: verify again
	}
	return &v, nil
}

// Store records v for transcript id.
func (c *Cache) Store(id [32]byte, v *Verdict) error {
	if err := os.MkdirAll(c.Dir, 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(c.path(id), b)
}

// Verify returns the verdict for the transcript of circuitID made of files
// (the hashes the chain recorded, in ceremony.Result.Hashes order) sealed
// with beacon1 and beacon2: the cached one, or the outcome of run
// (typically a closure calling ceremony.Verify on the downloaded files).
// It caches verdicts only: a success whose file hashes are exactly files,
// or a failure naming one of files; a failure naming another file (a
// corrupt download), or any I/O error, is returned and not cached. The
// returned error is the verdict's (nil when OK) or run's; res is run's
// result (nil on a cache hit: load the keys by their hashes).
func (c *Cache) Verify(circuitID [32]byte, files [][32]byte, beacon1, beacon2 []byte, run func() (*ceremony.Result, error)) (*Verdict, *ceremony.Result, error) {
	id := ceremony.TranscriptID(circuitID, files, beacon1, beacon2)
	if v, err := c.Load(id); err == nil {
		return v, nil, v.Err()
	}
	res, err := run()
	v := &Verdict{Transcript: hex.EncodeToString(id[:]), CircuitID: hex.EncodeToString(circuitID[:])}
	var fe *ceremony.Error
	switch {
	case err == nil && !slices.Equal(res.Hashes(), files):
		return nil, res, fmt.Errorf("%w: the verified files are not the recorded ones", ceremony.ErrHashMismatch)
	case err == nil:
		v.OK = true
		v.PKHash, v.VKHash = hex.EncodeToString(res.Keys.PKHash[:]), hex.EncodeToString(res.Keys.VKHash[:])
	case errors.As(err, &fe) && !slices.Contains(files, fe.Hash):
		return nil, nil, err
	case errors.As(err, &fe):
		v.Error, v.Phase, v.Index, v.File = err.Error(), int(fe.Phase), fe.Index, hex.EncodeToString(fe.Hash[:])
	case isVerdict(err):
		v.Error = err.Error()
	default:
		return nil, nil, err
	}
	if serr := c.Store(id, v); serr != nil {
		return v, res, errors.Join(v.Err(), fmt.Errorf("ceremonyverify: store verdict: %w", serr))
	}
	return v, res, v.Err()
}

// transcriptVerdicts are the zk/ceremony errors Cache.Verify caches as
// verdicts about the transcript; others (ErrMalformed, ErrHashMismatch
// without a recorded file) are returned and not cached.
var transcriptVerdicts = []error{ceremony.ErrBrokenLink, ceremony.ErrBadInit, ceremony.ErrBadContribution,
	ceremony.ErrWrongCircuit, ceremony.ErrSealMismatch, ceremony.ErrEmpty, ceremony.ErrTooLarge}

func isVerdict(err error) bool {
	for _, s := range transcriptVerdicts {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}
