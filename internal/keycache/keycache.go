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
	Batch          int    `json:"batch,omitempty"`
	PKSHA256       string `json:"proving_key_sha256"`
	VKSHA256       string `json:"verifying_key_sha256"`
	PKBytes        int    `json:"proving_key_bytes"`
	VKBytes        int    `json:"verifying_key_bytes"`
}

// Path is the directory of a's entry.
func (c *Cache) Path(a zk.Arch) string {
	id := a.CircuitID()
	return filepath.Join(c.Dir, hex.EncodeToString(id[:]))
}

// Load reads a's keys and checks their hashes. It returns ErrMiss when the
// entry is absent or incomplete, ErrCorrupt when it does not check out.
func (c *Cache) Load(a zk.Arch) (*Keys, error) { return c.load(a, 0) }

// circuitID is the ID of a's single circuit (batch 0) or batch circuit.
func circuitID(a zk.Arch, batch int) [32]byte {
	if batch > 0 {
		return zk.BatchCircuitID(a, batch)
	}
	return a.CircuitID()
}

// entryPath is the directory of a's single (batch 0) or batch circuit.
func (c *Cache) entryPath(a zk.Arch, batch int) string {
	id := circuitID(a, batch)
	return filepath.Join(c.Dir, hex.EncodeToString(id[:]))
}

func (c *Cache) load(a zk.Arch, batch int) (*Keys, error) {
	dir := c.entryPath(a, batch)
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
	id := circuitID(a, batch)
	if man.CircuitID != hex.EncodeToString(id[:]) || man.Arch != a.String() || man.Batch != batch {
		return nil, fmt.Errorf("%w: %s: manifest is for %s (%s)", ErrCorrupt, dir, man.Arch, man.CircuitID)
	}
	k := &Keys{Arch: a, Batch: batch, CircuitID: id}
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
func (c *Cache) Store(a zk.Arch, pk, vk []byte) (*Keys, error) { return c.store(a, 0, pk, vk) }

func (c *Cache) store(a zk.Arch, batch int, pk, vk []byte) (*Keys, error) {
	dir := c.entryPath(a, batch)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("keycache: %w", err)
	}
	id := circuitID(a, batch)
	version := zk.CircuitVersion
	if batch > 0 {
		version = zk.BatchCircuitVersion
	}
	k := &Keys{Arch: a, Batch: batch, CircuitID: id, PK: pk, VK: vk, PKHash: zk.KeyHash(pk), VKHash: zk.KeyHash(vk)}
	man := manifest{Arch: a.String(), CircuitID: hex.EncodeToString(id[:]), CircuitVersion: version, Batch: batch,
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
	return c.get(a, 0, progress)
}

func (c *Cache) get(a zk.Arch, batch int, progress func(stage string)) (*Keys, error) {
	k, err := c.load(a, batch)
	if err == nil || !errors.Is(err, ErrMiss) {
		return k, err
	}
	if err := os.MkdirAll(c.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("keycache: %w", err)
	}
	lock := c.entryPath(a, batch) + ".lock"
	unlock, err := lockFile(lock, func() {
		if progress != nil {
			progress("wait for " + lock)
		}
	})
	if err != nil {
		return nil, err
	}
	defer unlock()
	k, err = c.load(a, batch)
	if err == nil || !errors.Is(err, ErrMiss) {
		return k, err
	}
	var pk, vk []byte
	if batch > 0 {
		if progress != nil {
			progress("setup")
		}
		pk, vk, err = zk.SetupBatch(a, batch)
	} else {
		pk, vk, err = zk.Setup(a, progress)
	}
	if err != nil {
		return nil, err
	}
	if progress != nil {
		progress("write " + c.entryPath(a, batch))
	}
	return c.store(a, batch, pk, vk)
}

// writeAtomic writes b over path through atomicfile.Write.
func writeAtomic(path string, b []byte) error {
	if err := atomicfile.Write(path, b); err != nil {
		return fmt.Errorf("keycache: %w", err)
	}
	return nil
}
