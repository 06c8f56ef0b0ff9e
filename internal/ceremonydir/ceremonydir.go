// Package ceremonydir keeps a ceremony transcript (zk/ceremony) in a
// directory: every file is named by its SHA-256 (<hex>.ceremony), written
// atomically, and Load orders the files by their headers' Prev links, so a
// directory can be copied, served over HTTP or merged from several
// contributors without any index file. Sealed keys are written beside them
// as <hex>.pk and <hex>.vk.
package ceremonydir

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/veritensor/veritensor/zk/ceremony"
)

// Extensions of the files in a transcript directory.
const (
	Ext   = ".ceremony"
	PKExt = ".pk"
	VKExt = ".vk"
)

// FileName is the name of a transcript file with hash h.
func FileName(h [32]byte) string { return hex.EncodeToString(h[:]) + Ext }

// Entry is one transcript file.
type Entry struct {
	Hash   [32]byte
	Header ceremony.Header
	Path   string
	Size   int64
}

// Open opens the entry's file.
func (e Entry) Open() ceremony.Opener { return OpenFile(e.Path) }

// OpenFile opens path for ceremony.Verify.
func OpenFile(path string) ceremony.Opener {
	return func() (io.ReadCloser, error) {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		return struct {
			io.Reader
			io.Closer
		}{bufio.NewReaderSize(f, 1<<20), f}, nil
	}
}

// Chain is a transcript directory's files in order. Phase2 holds the phase
// 2 of one circuit (Load's circuit, or the only one present).
type Chain struct {
	Dir     string
	Phase1  []Entry // init, contributions
	Sealed1 *Entry
	Phase2  []Entry // init, contributions
	Sealed2 *Entry
}

// Latest is the file a new contribution builds on: the tip of the open
// phase (phase 2 if it has begun).
func (c *Chain) Latest() (Entry, error) {
	switch {
	case c.Sealed2 != nil:
		return Entry{}, errors.New("the ceremony is sealed: nothing to contribute to")
	case len(c.Phase2) > 0:
		return c.Phase2[len(c.Phase2)-1], nil
	case c.Sealed1 != nil:
		return Entry{}, errors.New("phase 1 is sealed and phase 2 has not begun: run `veritensor ceremony init --phase 2 --arch ...` first")
	case len(c.Phase1) > 0:
		return c.Phase1[len(c.Phase1)-1], nil
	}
	return Entry{}, errors.New("no transcript files: run `veritensor ceremony init` first")
}

// Transcript is the chain as ceremony.Verify reads it.
func (c *Chain) Transcript(beacon1, beacon2 []byte) ceremony.Transcript {
	t := ceremony.Transcript{Beacon1: beacon1, Beacon2: beacon2}
	for _, e := range c.Phase1 {
		t.Phase1 = append(t.Phase1, e.Open())
	}
	if c.Sealed1 != nil {
		t.Phase1 = append(t.Phase1, c.Sealed1.Open())
	}
	for _, e := range c.Phase2 {
		t.Phase2 = append(t.Phase2, e.Open())
	}
	if c.Sealed2 != nil {
		t.Phase2 = append(t.Phase2, c.Sealed2.Open())
	}
	return t
}

// Entries lists every file in order.
func (c *Chain) Entries() []Entry {
	out := append([]Entry{}, c.Phase1...)
	if c.Sealed1 != nil {
		out = append(out, *c.Sealed1)
	}
	out = append(out, c.Phase2...)
	if c.Sealed2 != nil {
		out = append(out, *c.Sealed2)
	}
	return out
}

// Load reads every *.ceremony header in dir and orders the files: the
// phase-1 init, each file whose Prev is the one before, and likewise phase
// 2 from the init built on the sealed phase 1 (for circuitID, if not nil).
// Two files building on the same one (a fork: two contributors raced) are
// an error naming both. A file whose name is not its hash is an error.
func Load(dir string, circuitID *[32]byte) (*Chain, error) {
	names, err := filepath.Glob(filepath.Join(dir, "*"+Ext))
	if err != nil {
		return nil, err
	}
	var all []Entry
	for _, p := range names {
		e, err := readEntry(p)
		if err != nil {
			return nil, err
		}
		all = append(all, e)
	}
	c := &Chain{Dir: dir}
	next := func(prev [32]byte, phase ceremony.Phase, pick func(Entry) bool) (*Entry, error) {
		var found []Entry
		for _, e := range all {
			if e.Header.Prev == prev && e.Header.Phase == phase && (pick == nil || pick(e)) {
				found = append(found, e)
			}
		}
		switch len(found) {
		case 0:
			return nil, nil
		case 1:
			return &found[0], nil
		}
		return nil, fmt.Errorf("ceremonydir: fork in %s: %s and %s both build on %s; remove the one not recorded on chain",
			dir, FileName(found[0].Hash), FileName(found[1].Hash), ceremony.ShortHash(prev))
	}
	var inits []Entry
	for _, e := range all {
		if e.Header.Phase == ceremony.Phase1 && e.Header.Kind == ceremony.KindInit {
			inits = append(inits, e)
		}
	}
	if len(inits) == 0 {
		return c, nil
	}
	if len(inits) > 1 {
		return nil, fmt.Errorf("ceremonydir: %d phase-1 init files in %s", len(inits), dir)
	}
	cur := &inits[0]
	for cur != nil && cur.Header.Kind != ceremony.KindSealed {
		c.Phase1 = append(c.Phase1, *cur)
		if cur, err = next(cur.Hash, ceremony.Phase1, nil); err != nil {
			return nil, err
		}
	}
	if cur == nil {
		return c, nil
	}
	c.Sealed1 = cur
	cur, err = next(cur.Hash, ceremony.Phase2, func(e Entry) bool {
		return e.Header.Kind == ceremony.KindInit && (circuitID == nil || e.Header.CircuitID == *circuitID)
	})
	if err != nil {
		return nil, fmt.Errorf("%w (pass --arch to choose a circuit)", err)
	}
	for cur != nil && cur.Header.Kind != ceremony.KindSealed {
		c.Phase2 = append(c.Phase2, *cur)
		if cur, err = next(cur.Hash, ceremony.Phase2, nil); err != nil {
			return nil, err
		}
	}
	c.Sealed2 = cur
	return c, nil
}

func readEntry(path string) (Entry, error) {
	f, err := os.Open(path)
	if err != nil {
		return Entry{}, err
	}
	defer f.Close()
	hb := make([]byte, ceremony.HeaderSize)
	if _, err := io.ReadFull(f, hb); err != nil {
		return Entry{}, fmt.Errorf("ceremonydir: %s: %w", path, err)
	}
	h, err := ceremony.DecodeHeader(hb)
	if err != nil {
		return Entry{}, fmt.Errorf("ceremonydir: %s: %w", path, err)
	}
	sum := sha256.New()
	sum.Write(hb)
	n, err := io.Copy(sum, f)
	if err != nil {
		return Entry{}, err
	}
	e := Entry{Header: h, Path: path, Size: n + ceremony.HeaderSize}
	sum.Sum(e.Hash[:0])
	if filepath.Base(path) != FileName(e.Hash) {
		return Entry{}, fmt.Errorf("ceremonydir: %s: %w: the content hashes to %s", path, ceremony.ErrHashMismatch, FileName(e.Hash))
	}
	return e, nil
}

// Create writes a new content-addressed file in dir: write streams the
// content; the file is renamed to <sha256><ext> once complete and synced.
// It returns the hash and the path.
func Create(dir, ext string, write func(w io.Writer) error) ([32]byte, string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return [32]byte{}, "", err
	}
	tmp, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return [32]byte{}, "", err
	}
	defer os.Remove(tmp.Name())
	sum := sha256.New()
	bw := bufio.NewWriterSize(io.MultiWriter(tmp, sum), 1<<20)
	err = write(bw)
	if err == nil {
		err = bw.Flush()
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return [32]byte{}, "", err
	}
	var h [32]byte
	sum.(hash.Hash).Sum(h[:0])
	path := filepath.Join(dir, hex.EncodeToString(h[:])+ext)
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return [32]byte{}, "", err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return [32]byte{}, "", err
	}
	return h, path, nil
}

// ParseHash parses a hex SHA-256, optionally with a file extension.
func ParseHash(s string) ([32]byte, error) {
	s = strings.TrimSuffix(filepath.Base(s), Ext)
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 32 {
		return [32]byte{}, fmt.Errorf("ceremonydir: %q is not a SHA-256 in hex", s)
	}
	return [32]byte(b), nil
}
