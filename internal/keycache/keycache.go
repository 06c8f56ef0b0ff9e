package keycache

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/veritensor/veritensor/internal/atomicfile"
	"github.com/veritensor/veritensor/zk"
)

// Errors of the cache.
var (
	// ErrMiss: no complete key set for the circuit is cached.
	ErrMiss = errors.New("keycache: miss")
	// ErrCorrupt: a cached file does not match the hash in its manifest, or
	// the manifest does not match the requested circuit.
	ErrCorrupt = errors.New("keycache: corrupt entry")
)

const (
	pkFile       = "proving.key"
	vkFile       = "verifying.key"
	manifestFile = "manifest.json"
)

// Cache is a key directory: <Dir>/<circuit ID hex>/{proving.key,
// verifying.key, manifest.json}.
type Cache struct {
	Dir string
}

// EnvDir names the environment variable that overrides the default key
// directory (for CI, devnets and test runs that share one set of keys).
const EnvDir = "VERITENSOR_KEYS_DIR"

// DefaultDir is the machine-wide key directory: $VERITENSOR_KEYS_DIR when
// set and not empty, else <user cache dir>/veritensor/keys
// (~/.cache/veritensor/keys on Linux).
func DefaultDir() (string, error) {
	if d := os.Getenv(EnvDir); d != "" {
		return d, nil
	}
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("keycache: no default directory (set %s): %w", EnvDir, err)
	}
	return filepath.Join(base, "veritensor", "keys"), nil
}

// New opens a cache under dir; "" means DefaultDir().
func New(dir string) (*Cache, error) {
	if dir == "" {
		d, err := DefaultDir()
		if err != nil {
			return nil, err
		}
		dir = d
	}
	return &Cache{Dir: dir}, nil
}

// Keys is one architecture's key pair with its content hashes.
type Keys struct {
	Arch zk.Arch
	// Scheme is the proof scheme of a single circuit's keys (zk.SchemeHash
	// for a batch circuit's).
	Scheme zk.Scheme
	// Batch is the batch size of a batch circuit's keys (zk.BatchCircuit),
	// 0 for the single circuit.
	Batch     int
	CircuitID [32]byte
	PK, VK    []byte
	PKHash    [32]byte // zk.KeyHash(PK)
	VKHash    [32]byte // zk.KeyHash(VK)
}

// manifest is written last; its presence marks a complete entry.
type manifest struct {
	Arch           string `json:"arch"`
	CircuitID      string `json:"circuit_id"`
	CircuitVersion int    `json:"circuit_version"`
	// Scheme is the single circuit's proof scheme, "" for zk.SchemeHash
	// (entries written before schemes existed have none).
	Scheme   string `json:"scheme,omitempty"`
	Batch    int    `json:"batch,omitempty"`
	PKSHA256 string `json:"proving_key_sha256"`
	VKSHA256 string `json:"verifying_key_sha256"`
	PKBytes  int    `json:"proving_key_bytes"`
	VKBytes  int    `json:"verifying_key_bytes"`
}

// Path is the directory of a's entry (its single circuit under
// zk.SchemeHash).
func (c *Cache) Path(a zk.Arch) string { return c.entryPath(a, single(zk.SchemeHash)) }

// PathScheme is the directory of the entry of a's single circuit under s,
// named by s.CircuitID(a).
func (c *Cache) PathScheme(s zk.Scheme, a zk.Arch) string { return c.entryPath(a, single(s)) }

// Load reads a's keys and checks their hashes. It returns ErrMiss when the
// entry is absent or incomplete, ErrCorrupt when it does not check out.
func (c *Cache) Load(a zk.Arch) (*Keys, error) { return c.load(a, single(zk.SchemeHash)) }

// LoadScheme is Load for a's single circuit under s.
func (c *Cache) LoadScheme(s zk.Scheme, a zk.Arch) (*Keys, error) {
	if err := checkScheme(s); err != nil {
		return nil, err
	}
	return c.load(a, single(s))
}

// entry names one kind of entry of an architecture: its single circuit
// under a scheme (batch 0), or its batch circuit of batch inputs (whose
// scheme is always zk.SchemeHash: batch proofs bind the Poseidon2
// commitment).
type entry struct {
	scheme zk.Scheme
	batch  int
}

func single(s zk.Scheme) entry { return entry{scheme: s} }

func checkScheme(s zk.Scheme) error {
	if !s.Valid() {
		return fmt.Errorf("keycache: unknown proof scheme %d", uint8(s))
	}
	return nil
}

// id is the circuit ID of e for a.
func (e entry) id(a zk.Arch) [32]byte {
	if e.batch > 0 {
		return zk.BatchCircuitID(a, e.batch)
	}
	return e.scheme.CircuitID(a)
}

// version is the circuit version its manifest records.
func (e entry) version() int {
	switch {
	case e.batch > 0:
		return zk.BatchCircuitVersion
	case e.scheme == zk.SchemeCommit:
		return zk.CommitCircuitVersion
	}
	return zk.CircuitVersion
}

// schemeName is the manifest's scheme: "" for zk.SchemeHash.
func (e entry) schemeName() string {
	if e.scheme == zk.SchemeHash {
		return ""
	}
	return e.scheme.String()
}

// entryPath is the directory of a's entry e.
func (c *Cache) entryPath(a zk.Arch, e entry) string {
	id := e.id(a)
	return filepath.Join(c.Dir, hex.EncodeToString(id[:]))
}

func (c *Cache) load(a zk.Arch, e entry) (*Keys, error) {
	dir := c.entryPath(a, e)
	mb, err := os.ReadFile(filepath.Join(dir, manifestFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s (%s)", ErrMiss, a, dir)
	}
	if err != nil {
		return nil, fmt.Errorf("keycache: %w", err)
	}
	var man manifest
	if err := json.Unmarshal(mb, &man); err != nil {
		return nil, fmt.Errorf("%w: %s: manifest: %w", ErrCorrupt, dir, err)
	}
	id := e.id(a)
	if man.CircuitID != hex.EncodeToString(id[:]) || man.Arch != a.String() || man.Batch != e.batch || man.Scheme != e.schemeName() {
		return nil, fmt.Errorf("%w: %s: manifest is for %s (%s)", ErrCorrupt, dir, man.Arch, man.CircuitID)
	}
	k := &Keys{Arch: a, Scheme: e.scheme, Batch: e.batch, CircuitID: id}
	for _, f := range []struct {
		name string
		want string
		dst  *[]byte
		hash *[32]byte
	}{{pkFile, man.PKSHA256, &k.PK, &k.PKHash}, {vkFile, man.VKSHA256, &k.VK, &k.VKHash}} {
		b, err := os.ReadFile(filepath.Join(dir, f.name))
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrCorrupt, dir, err)
		}
		h := zk.KeyHash(b)
		if hex.EncodeToString(h[:]) != f.want {
			return nil, fmt.Errorf("%w: %s: %s hash %x, manifest says %s", ErrCorrupt, dir, f.name, h, f.want)
		}
		*f.dst, *f.hash = b, h
	}
	return k, nil
}

// Store writes a key pair for a atomically and returns it.
func (c *Cache) Store(a zk.Arch, pk, vk []byte) (*Keys, error) {
	return c.store(a, single(zk.SchemeHash), pk, vk)
}

// StoreScheme is Store for a's single circuit under s (keys from that
// circuit's ceremony).
func (c *Cache) StoreScheme(s zk.Scheme, a zk.Arch, pk, vk []byte) (*Keys, error) {
	if err := checkScheme(s); err != nil {
		return nil, err
	}
	return c.store(a, single(s), pk, vk)
}

func (c *Cache) store(a zk.Arch, e entry, pk, vk []byte) (*Keys, error) {
	dir := c.entryPath(a, e)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("keycache: %w", err)
	}
	id := e.id(a)
	k := &Keys{Arch: a, Scheme: e.scheme, Batch: e.batch, CircuitID: id, PK: pk, VK: vk, PKHash: zk.KeyHash(pk), VKHash: zk.KeyHash(vk)}
	man := manifest{Arch: a.String(), CircuitID: hex.EncodeToString(id[:]), CircuitVersion: e.version(), Scheme: e.schemeName(), Batch: e.batch,
		PKSHA256: hex.EncodeToString(k.PKHash[:]), VKSHA256: hex.EncodeToString(k.VKHash[:]), PKBytes: len(pk), VKBytes: len(vk)}
	mb, err := json.MarshalIndent(man, "", "  ")
	if err != nil {
		return nil, err
	}
	// The manifest goes last: a crash before it leaves a miss, never a
	// half-written hit.
	for _, f := range []struct {
		name string
		b    []byte
	}{{pkFile, pk}, {vkFile, vk}, {manifestFile, mb}} {
		if err := writeAtomic(filepath.Join(dir, f.name), f.b); err != nil {
			return nil, err
		}
	}
	return k, nil
}

// LockPath is the lock file that serialises setups of a's circuit:
// <Dir>/<circuit ID hex>.lock, beside the entry directory.
func (c *Cache) LockPath(a zk.Arch) string { return c.Path(a) + ".lock" }

// Get returns a's keys from the cache, or runs zk.Setup (reporting its
// stages to progress) and stores them on a miss. A corrupt entry is an error,
// not a silent re-setup: new keys would not match a verifying key already
// published on chain.
//
// On a miss, Get holds an exclusive advisory lock on LockPath (flock on
// Unix; released by the kernel if the process dies) while it sets up, and
// loads again once it holds the lock. So concurrent callers for the same
// circuit, in this process or in others (parallel test binaries, a devnet's
// nodes), wait for the first setup and then load its keys instead of each
// running their own; progress hears "wait for <lock path>" while it waits.
func (c *Cache) Get(a zk.Arch, progress func(stage string)) (*Keys, error) {
	return c.get(a, single(zk.SchemeHash), progress)
}

// GetScheme is Get for a's single circuit under s: on a miss it runs
// zk.SetupScheme (zk.Setup for zk.SchemeHash), a single-party setup.
func (c *Cache) GetScheme(s zk.Scheme, a zk.Arch, progress func(stage string)) (*Keys, error) {
	if err := checkScheme(s); err != nil {
		return nil, err
	}
	return c.get(a, single(s), progress)
}

func (c *Cache) get(a zk.Arch, e entry, progress func(stage string)) (*Keys, error) {
	k, err := c.load(a, e)
	if err == nil || !errors.Is(err, ErrMiss) {
		return k, err
	}
	if err := os.MkdirAll(c.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("keycache: %w", err)
	}
	lock := c.entryPath(a, e) + ".lock"
	unlock, err := lockFile(lock, func() {
		if progress != nil {
			progress("wait for " + lock)
		}
	})
	if err != nil {
		return nil, err
	}
	defer unlock()
	k, err = c.load(a, e)
	if err == nil || !errors.Is(err, ErrMiss) {
		return k, err
	}
	var pk, vk []byte
	switch {
	case e.batch > 0:
		if progress != nil {
			progress("setup")
		}
		pk, vk, err = zk.SetupBatch(a, e.batch)
	case e.scheme == zk.SchemeHash:
		pk, vk, err = zk.Setup(a, progress)
	default:
		if progress != nil {
			progress("setup")
		}
		pk, vk, err = zk.SetupScheme(e.scheme, a)
	}
	if err != nil {
		return nil, err
	}
	if progress != nil {
		progress("write " + c.entryPath(a, e))
	}
	return c.store(a, e, pk, vk)
}

// writeAtomic writes b over path through atomicfile.Write.
func writeAtomic(path string, b []byte) error {
	if err := atomicfile.Write(path, b); err != nil {
		return fmt.Errorf("keycache: %w", err)
	}
	return nil
}
