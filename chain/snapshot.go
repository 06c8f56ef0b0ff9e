package chain

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cosmos/iavl"
	"github.com/dgraph-io/badger/v4"
)

// SnapshotFormat is the only state-sync snapshot format: the IAVL tree of one
// height exported node by node in post-order, each node encoded as
//
//	height u8 | version u64 | len(key) u32 | key | has_value u8 | [len(value) u32 | value]
//
// and packed into chunks of at most SnapshotConfig.ChunkBytes (a node is never
// split). Snapshot.Metadata is the SHA-256 of every chunk in order (32 bytes
// each) and Snapshot.Hash is SHA-256 of Metadata, so each chunk is checked
// before it is applied; the restored tree's root must equal the app hash
// CometBFT's light client verified for that height.
const SnapshotFormat uint32 = 1

// MaxSnapshotChunkBytes bounds a chunk (CometBFT's p2p limit is 16 MB).
const MaxSnapshotChunkBytes = 15 << 20

// SnapshotConfig turns on state-sync snapshots.
type SnapshotConfig struct {
	// Dir holds one directory per snapshot height.
	Dir string
	// Interval: a snapshot every Interval blocks (0: none taken, restore still
	// works).
	Interval int64
	// Keep is how many recent snapshots are kept (default 2).
	Keep int
	// ChunkBytes is the chunk size (default 4 MiB, at most MaxSnapshotChunkBytes).
	ChunkBytes int
}

type snapshotManifest struct {
	Height  int64    `json:"height"`
	Format  uint32   `json:"format"`
	AppHash []byte   `json:"app_hash"`
	Chunks  [][]byte `json:"chunk_hashes"`
}

// EnableSnapshots makes the app take snapshots per c and serve them.
func (a *App) EnableSnapshots(c SnapshotConfig) error {
	if c.Keep <= 0 {
		c.Keep = 2
	}
	if c.ChunkBytes <= 0 {
		c.ChunkBytes = 4 << 20
	}
	if c.ChunkBytes > MaxSnapshotChunkBytes {
		return fmt.Errorf("snapshot chunk size %d over %d", c.ChunkBytes, MaxSnapshotChunkBytes)
	}
	if err := os.MkdirAll(c.Dir, 0o700); err != nil {
		return err
	}
	if c.Interval > 0 && a.store.RetainVersions < 1 {
		a.store.RetainVersions = 1
	}
	a.snapshots = &c
	return nil
}

// SnapshotError is the last snapshot failure (nil when the last one worked).
// A failed snapshot never halts the chain.
func (a *App) SnapshotError() error { return a.snapshotErr }

// maybeSnapshot takes the snapshot of the just committed height when due.
func (a *App) maybeSnapshot() error {
	c := a.snapshots
	if c == nil || c.Interval <= 0 || a.meta.Height%c.Interval != 0 {
		return nil
	}
	if err := a.store.WriteSnapshot(c.Dir, a.meta, c.ChunkBytes); err != nil {
		return fmt.Errorf("snapshot %d: %w", a.meta.Height, err)
	}
	hs, _ := listSnapshotHeights(c.Dir)
	for len(hs) > c.Keep {
		if err := os.RemoveAll(filepath.Join(c.Dir, strconv.FormatInt(hs[0], 10))); err != nil {
			return err
		}
		hs = hs[1:]
	}
	return nil
}

func listSnapshotHeights(dir string) ([]int64, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var hs []int64
	for _, e := range ents {
		if h, err := strconv.ParseInt(e.Name(), 10, 64); err == nil && e.IsDir() {
			if _, err := os.Stat(filepath.Join(dir, e.Name(), "manifest.json")); err == nil {
				hs = append(hs, h)
			}
		}
	}
	sort.Slice(hs, func(i, j int) bool { return hs[i] < hs[j] })
	return hs, nil
}

func encodeExportNode(e *Encoder, n *iavl.ExportNode) {
	e.Uint8(uint8(n.Height)).Uint64(uint64(n.Version)).VarBytes(n.Key).Bool(n.Value != nil)
	if n.Value != nil {
		e.VarBytes(n.Value)
	}
}

// WriteSnapshot exports the tree at m.Height into dir/<height>/ as chunk files
// and a manifest (written last, so a half-written snapshot is never listed).
func (st *Store) WriteSnapshot(dir string, m Meta, chunkBytes int) error {
	t, err := st.tree.GetImmutable(m.Height)
	if err != nil {
		return err
	}
	exp, err := t.Export()
	if err != nil {
		return err
	}
	defer exp.Close()
	sdir := filepath.Join(dir, strconv.FormatInt(m.Height, 10))
	if err := os.RemoveAll(sdir); err != nil {
		return err
	}
	if err := os.MkdirAll(sdir, 0o700); err != nil {
		return err
	}
	man := snapshotManifest{Height: m.Height, Format: SnapshotFormat, AppHash: m.AppHash}
	e := NewEncoder(chunkBytes)
	flush := func() error {
		b := e.Bytes()
		sum := sha256.Sum256(b)
		if err := os.WriteFile(filepath.Join(sdir, strconv.Itoa(len(man.Chunks))), b, 0o600); err != nil {
			return err
		}
		man.Chunks = append(man.Chunks, sum[:])
		e = NewEncoder(chunkBytes)
		return nil
	}
	for {
		n, err := exp.Next()
		if errors.Is(err, iavl.ErrorExportDone) {
			break
		} else if err != nil {
			return err
		}
		size := 1 + 8 + 4 + len(n.Key) + 1 + 4 + len(n.Value)
		if len(e.Bytes()) > 0 && len(e.Bytes())+size > chunkBytes {
			if err := flush(); err != nil {
				return err
			}
		}
		encodeExportNode(e, n)
	}
	if len(e.Bytes()) > 0 || len(man.Chunks) == 0 {
		if err := flush(); err != nil {
			return err
		}
	}
	b, _ := json.Marshal(man)
	return os.WriteFile(filepath.Join(sdir, "manifest.json"), b, 0o600)
}

func readManifest(dir string, h int64) (*snapshotManifest, error) {
	b, err := os.ReadFile(filepath.Join(dir, strconv.FormatInt(h, 10), "manifest.json"))
	if err != nil {
		return nil, err
	}
	var m snapshotManifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	return &m, nil
}

func (m *snapshotManifest) abci() *abci.Snapshot {
	meta := bytes.Join(m.Chunks, nil)
	sum := sha256.Sum256(meta)
	return &abci.Snapshot{Height: uint64(m.Height), Format: m.Format, Chunks: uint32(len(m.Chunks)), Hash: sum[:], Metadata: meta}
}

// ListSnapshots lists the kept snapshots.
func (a *App) ListSnapshots(context.Context, *abci.RequestListSnapshots) (*abci.ResponseListSnapshots, error) {
	res := &abci.ResponseListSnapshots{}
	if a.snapshots == nil {
		return res, nil
	}
	hs, err := listSnapshotHeights(a.snapshots.Dir)
	if err != nil {
		return res, nil
	}
	for _, h := range hs {
		if m, err := readManifest(a.snapshots.Dir, h); err == nil {
			res.Snapshots = append(res.Snapshots, m.abci())
		}
	}
	return res, nil
}

// LoadSnapshotChunk serves one chunk (empty when unknown).
func (a *App) LoadSnapshotChunk(_ context.Context, req *abci.RequestLoadSnapshotChunk) (*abci.ResponseLoadSnapshotChunk, error) {
	if a.snapshots == nil || req.Format != SnapshotFormat {
		return &abci.ResponseLoadSnapshotChunk{}, nil
	}
	b, err := os.ReadFile(filepath.Join(a.snapshots.Dir, strconv.FormatUint(req.Height, 10), strconv.FormatUint(uint64(req.Chunk), 10)))
	if err != nil {
		return &abci.ResponseLoadSnapshotChunk{}, nil
	}
	return &abci.ResponseLoadSnapshotChunk{Chunk: b}, nil
}

// restore is a state sync in progress.
type restore struct {
	height  int64
	appHash []byte
	hashes  [][]byte
	next    int
	imp     *iavl.Importer
	wb      *badger.WriteBatch
}

// OfferSnapshot accepts a snapshot of the known format for an empty node.
func (a *App) OfferSnapshot(_ context.Context, req *abci.RequestOfferSnapshot) (*abci.ResponseOfferSnapshot, error) {
	s := req.Snapshot
	switch {
	case s == nil:
		return &abci.ResponseOfferSnapshot{Result: abci.ResponseOfferSnapshot_REJECT}, nil
	case s.Format != SnapshotFormat:
		return &abci.ResponseOfferSnapshot{Result: abci.ResponseOfferSnapshot_REJECT_FORMAT}, nil
	case a.meta.Height != 0:
		return &abci.ResponseOfferSnapshot{Result: abci.ResponseOfferSnapshot_ABORT}, nil
	case s.Chunks == 0 || len(s.Metadata) != 32*int(s.Chunks) || s.Height == 0 || s.Height > 1<<62:
		return &abci.ResponseOfferSnapshot{Result: abci.ResponseOfferSnapshot_REJECT}, nil
	}
	if sum := sha256.Sum256(s.Metadata); !bytes.Equal(sum[:], s.Hash) {
		return &abci.ResponseOfferSnapshot{Result: abci.ResponseOfferSnapshot_REJECT}, nil
	}
	a.abortRestore()
	r, err := a.store.beginRestore(int64(s.Height))
	if err != nil {
		return nil, err
	}
	r.appHash = bytes.Clone(req.AppHash)
	for i := 0; i < int(s.Chunks); i++ {
		r.hashes = append(r.hashes, s.Metadata[32*i:32*i+32])
	}
	a.restoring = r
	return &abci.ResponseOfferSnapshot{Result: abci.ResponseOfferSnapshot_ACCEPT}, nil
}

func (a *App) abortRestore() {
	if r := a.restoring; r != nil {
		r.imp.Close()
		r.wb.Cancel()
		a.restoring = nil
		_ = a.store.resetAll()
	}
}

// ApplySnapshotChunk checks a chunk against the snapshot's metadata and
// imports it; after the last one the restored root must equal the trusted app
// hash, and the node continues from that height.
func (a *App) ApplySnapshotChunk(_ context.Context, req *abci.RequestApplySnapshotChunk) (*abci.ResponseApplySnapshotChunk, error) {
	r := a.restoring
	if r == nil {
		return &abci.ResponseApplySnapshotChunk{Result: abci.ResponseApplySnapshotChunk_ABORT}, nil
	}
	if int(req.Index) != r.next {
		return &abci.ResponseApplySnapshotChunk{Result: abci.ResponseApplySnapshotChunk_RETRY, RefetchChunks: []uint32{uint32(r.next)}}, nil
	}
	if sum := sha256.Sum256(req.Chunk); !bytes.Equal(sum[:], r.hashes[r.next]) {
		return &abci.ResponseApplySnapshotChunk{Result: abci.ResponseApplySnapshotChunk_RETRY,
			RefetchChunks: []uint32{req.Index}, RejectSenders: []string{req.Sender}}, nil
	}
	if err := r.add(req.Chunk); err != nil {
		a.abortRestore()
		return &abci.ResponseApplySnapshotChunk{Result: abci.ResponseApplySnapshotChunk_REJECT_SNAPSHOT}, nil
	}
	r.next++
	if r.next < len(r.hashes) {
		return &abci.ResponseApplySnapshotChunk{Result: abci.ResponseApplySnapshotChunk_ACCEPT}, nil
	}
	a.restoring = nil
	if err := a.store.finishRestore(r); err != nil {
		_ = a.store.resetAll()
		return &abci.ResponseApplySnapshotChunk{Result: abci.ResponseApplySnapshotChunk_REJECT_SNAPSHOT}, nil
	}
	st, m, err := a.store.Load()
	if err != nil {
		return nil, err
	}
	a.meta, a.lastHash, a.committed, a.check = m, m.AppHash, st, st.Clone()
	a.history = nil
	a.rememberCommitted()
	return &abci.ResponseApplySnapshotChunk{Result: abci.ResponseApplySnapshotChunk_ACCEPT}, nil
}

// beginRestore starts importing a tree of version h into an empty store.
func (st *Store) beginRestore(h int64) (*restore, error) {
	if err := st.resetAll(); err != nil {
		return nil, err
	}
	imp, err := st.tree.Import(h)
	if err != nil {
		return nil, err
	}
	return &restore{height: h, imp: imp, wb: st.db.NewWriteBatch()}, nil
}

// add imports one chunk's nodes; leaves are also written as state keys.
func (r *restore) add(chunk []byte) (err error) {
	defer func() { // the importer must never take a peer down
		if p := recover(); p != nil {
			err = fmt.Errorf("snapshot chunk: %v", p)
		}
	}()
	d := NewDecoder(chunk)
	for d.err == nil && d.off < len(d.buf) {
		n := &iavl.ExportNode{Height: int8(d.Uint8("height")), Version: int64(d.Uint64("version")), Key: d.VarBytes(1<<20, "key")}
		if d.Bool("has value") {
			n.Value = d.VarBytes(MaxSnapshotChunkBytes, "value")
		}
		if d.err != nil {
			break
		}
		if n.Version <= 0 || n.Version > r.height || n.Height < 0 || (n.Height == 0) != (n.Value != nil) {
			return fmt.Errorf("snapshot chunk: bad node (height %d version %d)", n.Height, n.Version)
		}
		if err := r.imp.Add(n); err != nil {
			return err
		}
		if n.Height == 0 && r.wb != nil {
			if err := r.wb.Set(stateKey(n.Key), n.Value); err != nil {
				return err
			}
		}
	}
	return d.Finish()
}

// finishRestore commits the import, checks the root against the trusted app
// hash and writes the state keys and meta.
func (st *Store) finishRestore(r *restore) error {
	if err := r.imp.Commit(); err != nil {
		r.wb.Cancel()
		return err
	}
	if got := st.tree.Hash(); !bytes.Equal(got, r.appHash) {
		r.wb.Cancel()
		return fmt.Errorf("%w: restored root %X, trusted app hash %X", ErrCorrupt, got, r.appHash)
	}
	if err := r.wb.Flush(); err != nil {
		return err
	}
	return st.db.Update(func(t *badger.Txn) error { return writeChanges(t, Meta{Height: r.height, AppHash: r.appHash}, nil) })
}

// resetAll deletes everything in the store (a failed or new restore).
func (st *Store) resetAll() error {
	for _, p := range [][]byte{storeTreePrefix, storeStatePrefix, []byte("m/")} {
		if err := st.db.DropPrefix(p); err != nil {
			return err
		}
	}
	st.tree, st.firstVersion = st.newTree(), 0
	return nil
}
