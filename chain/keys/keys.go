// Package keys is the on-disk account keyring: one JSON file per ed25519 key
// under <home>/keys/<name>.json, readable only by its owner (0600).
package keys

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/veritensor/veritensor/chain"
)

// ErrNotFound is returned for a key name with no file.
var ErrNotFound = errors.New("key not found")

// ErrExists is returned when adding a name that is taken.
var ErrExists = errors.New("key already exists")

var nameRE = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

// Key is a named ed25519 account key.
type Key struct {
	Name    string
	Private ed25519.PrivateKey
}

// Public returns the public key.
func (k Key) Public() ed25519.PublicKey { return k.Private.Public().(ed25519.PublicKey) }

// Address returns the account address of the key.
func (k Key) Address() chain.Address { return chain.AddressFromPubKey(k.Public()) }

// Info is the public part of a key, as `keys list|show` print it.
type Info struct {
	Name    string        `json:"name"`
	Address chain.Address `json:"address"`
	PubKey  string        `json:"pub_key"`
}

// Info returns the public description of k.
func (k Key) Info() Info {
	return Info{Name: k.Name, Address: k.Address(), PubKey: hex.EncodeToString(k.Public())}
}

type keyFile struct {
	Name    string        `json:"name"`
	Address chain.Address `json:"address"`
	PubKey  string        `json:"pub_key"`
	// Seed is the 32-byte ed25519 seed, hex.
	Seed string `json:"seed"`
}

// Keyring is a directory of key files.
type Keyring struct{ Dir string }

// Open returns the keyring of a node or client home (<home>/keys).
func Open(home string) *Keyring { return &Keyring{Dir: filepath.Join(home, "keys")} }

func (r *Keyring) path(name string) (string, error) {
	if !nameRE.MatchString(name) {
		return "", fmt.Errorf("key name %q: use 1-64 letters, digits, '.', '_' or '-'", name)
	}
	return filepath.Join(r.Dir, name+".json"), nil
}

// Add generates a new key and stores it; it never overwrites.
func (r *Keyring) Add(name string) (Key, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return Key{}, err
	}
	return r.Import(name, priv)
}

// Import stores priv under name; it never overwrites.
func (r *Keyring) Import(name string, priv ed25519.PrivateKey) (Key, error) {
	p, err := r.path(name)
	if err != nil {
		return Key{}, err
	}
	if err := os.MkdirAll(r.Dir, 0o700); err != nil {
		return Key{}, err
	}
	k := Key{Name: name, Private: priv}
	b, err := json.MarshalIndent(keyFile{Name: name, Address: k.Address(),
		PubKey: hex.EncodeToString(k.Public()), Seed: hex.EncodeToString(priv.Seed())}, "", "  ")
	if err != nil {
		return Key{}, err
	}
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return Key{}, fmt.Errorf("%w: %s", ErrExists, name)
	} else if err != nil {
		return Key{}, err
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return Key{}, err
	}
	return k, f.Close()
}

// Get loads the key called name.
func (r *Keyring) Get(name string) (Key, error) {
	p, err := r.path(name)
	if err != nil {
		return Key{}, err
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		return Key{}, fmt.Errorf("%w: %s in %s", ErrNotFound, name, r.Dir)
	} else if err != nil {
		return Key{}, err
	}
	var kf keyFile
	if err := json.Unmarshal(b, &kf); err != nil {
		return Key{}, fmt.Errorf("key file %s: %w", p, err)
	}
	seed, err := hex.DecodeString(kf.Seed)
	if err != nil || len(seed) != ed25519.SeedSize {
		return Key{}, fmt.Errorf("key file %s: bad seed", p)
	}
	k := Key{Name: name, Private: ed25519.NewKeyFromSeed(seed)}
	if k.Address() != kf.Address {
		return Key{}, fmt.Errorf("key file %s: address does not match seed", p)
	}
	return k, nil
}

// List returns every key in name order.
func (r *Keyring) List() ([]Key, error) {
	ents, err := os.ReadDir(r.Dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	var out []Key
	for _, e := range ents {
		name, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok || e.IsDir() {
			continue
		}
		k, err := r.Get(name)
		if err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}
