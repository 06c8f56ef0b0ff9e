package chain

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/cosmos/iavl"
	"github.com/dgraph-io/badger/v4"
)

// Badger key layout. State keys live under "s"; the commit record under "m";
// the IAVL tree's nodes (the state commitment, see apphash.go) under "t".
var (
	storeStatePrefix   = []byte("s")
	storeTreePrefix    = []byte("t")
	storeKeyHeight     = []byte("m/height")
	storeKeyAppHash    = []byte("m/apphash")
	storeKeyPending    = []byte("m/pending")
	storePendingChunks = []byte("m/pendchunk/")
)

// pendingChunkBytes bounds one piece of a large change set's pending record.
const pendingChunkBytes = 8 << 20

// DefaultRetainVersions is how many recent heights the store keeps in the
// tree for proofs and past-height queries.
const DefaultRetainVersions = 100

// treeCacheNodes is the IAVL node cache size.
const treeCacheNodes = 200_000

// Meta is the commit record stored with every block's changes.
type Meta struct {
	// Height is the last committed block height (0 before the first block).
	Height int64 `json:"height"`
	// AppHash is the app hash after that block.
	AppHash []byte `json:"app_hash"`
}

// Store persists committed state in badger, which stays the source of truth:
// every state key is a badger key under "s". Beside it, in the same database,
// an IAVL tree over the same keys and values (nodes under "t") is the state
// commitment whose root is the app hash; it is updated per block in
// O(changes · log n) and keeps the last RetainVersions versions for proofs.
//
// Each Commit first saves the tree's new version, then writes the block's
// change set together with its Meta atomically (the commit point). A change set
// too big for one badger transaction is written as a pending record in bounded
// pieces first; Load finishes such a commit. Load rolls the tree back to the
// committed height (a crash after the tree was saved but before the Meta) and
// checks that the tree's leaves equal the state keys and its root equals the
// committed app hash, so a deleted or altered key is found at start-up.
type Store struct {
	db   *badger.DB
	tdb  *treeDB
	tree *iavl.MutableTree
	// RetainVersions is how many heights the tree keeps (at least 1).
	RetainVersions int64
	firstVersion   int64 // oldest retained tree version (0: unknown, read on demand)
}

// OpenStore opens (or creates) the badger database in dir with small caches
// and synchronous writes.
func OpenStore(dir string) (*Store, error) {
	opts := badger.DefaultOptions(dir).
		WithLogger(nil).
		WithSyncWrites(true).
		WithMemTableSize(32 << 20).
		WithNumMemtables(2).
		WithNumLevelZeroTables(2).
		WithNumLevelZeroTablesStall(4).
		WithBlockCacheSize(8 << 20).
		WithValueLogFileSize(64 << 20).
		WithNumCompactors(2)
	db, err := badger.Open(opts)
	if err != nil {
		return nil, fmt.Errorf("open badger %s: %w", dir, err)
	}
	st := &Store{db: db, tdb: &treeDB{db: db, prefix: storeTreePrefix}, RetainVersions: DefaultRetainVersions}
	st.tree = st.newTree()
	return st, nil
}

func (st *Store) newTree() *iavl.MutableTree {
	return iavl.NewMutableTree(st.tdb, treeCacheNodes, true, iavl.NewNopLogger(),
		iavl.FlushThresholdOption(pendingChunkBytes))
}

// Close closes the database.
func (st *Store) Close() error { return st.db.Close() }

func stateKey(k []byte) []byte { return append(append([]byte{}, storeStatePrefix...), k...) }

// SetInitialHeight makes the first saved tree version h (the chain's initial
// height). Call it before the first Stage of a new chain.
func (st *Store) SetInitialHeight(h int64) {
	if h > 1 {
		st.tree.SetInitialVersion(uint64(h))
	}
}

// Stage applies changes to the tree's working version and returns its root
// hash: the app hash the next Commit must carry. Nothing is written.
func (st *Store) Stage(changes []Change) ([]byte, error) {
	for _, c := range changes {
		var err error
		if c.Delete {
			_, _, err = st.tree.Remove(c.Key)
		} else {
			v := c.Value
			if v == nil {
				v = []byte{}
			}
			_, err = st.tree.Set(c.Key, v)
		}
		if err != nil {
			return nil, fmt.Errorf("stage: %w", err)
		}
	}
	return st.tree.WorkingHash(), nil
}

// Commit saves the staged tree version m.Height, whose root must be
// m.AppHash, then writes the changes and meta. changes must be what was staged
// since the last Commit.
func (st *Store) Commit(m Meta, changes []Change) error {
	hash, v, err := st.tree.SaveVersion()
	if err != nil {
		return fmt.Errorf("commit height %d: save tree: %w", m.Height, err)
	}
	if v != m.Height || !bytes.Equal(hash, m.AppHash) {
		return fmt.Errorf("%w: commit height %d hash %X, tree saved version %d hash %X", ErrInternal, m.Height, m.AppHash, v, hash)
	}
	if err := st.writeState(m, changes); err != nil {
		return err
	}
	if keep := st.RetainVersions; keep > 0 && m.Height-keep >= 1 {
		if st.firstVersion == 0 {
			if vs := st.tree.AvailableVersions(); len(vs) > 0 {
				st.firstVersion = int64(vs[0])
			}
		}
		if st.firstVersion != 0 && st.firstVersion <= m.Height-keep {
			if err := st.tree.DeleteVersionsTo(m.Height - keep); err != nil {
				return fmt.Errorf("commit height %d: prune tree: %w", m.Height, err)
			}
			st.firstVersion = m.Height - keep + 1
		}
	}
	return nil
}

// writeState writes the changes and meta in one badger transaction. A change
// set too big for one transaction is first written as a pending record in
// chunks of at most pendingChunkBytes, made valid by one small marker write
// (the commit point), then applied in pieces; Load finishes such a commit if
// the process died half way.
func (st *Store) writeState(m Meta, changes []Change) error {
	txn := st.db.NewTransaction(true)
	defer txn.Discard()
	err := writeChanges(txn, m, changes)
	if err == nil {
		return txn.Commit()
	}
	if !errors.Is(err, badger.ErrTxnTooBig) {
		return fmt.Errorf("commit height %d: %w", m.Height, err)
	}
	txn.Discard()
	chunks := encodePendingChunks(changes)
	wb := st.db.NewWriteBatch()
	for i, c := range chunks {
		if err := wb.Set(pendingChunkKey(i), c); err != nil {
			wb.Cancel()
			return fmt.Errorf("commit height %d: write pending: %w", m.Height, err)
		}
	}
	if err := wb.Flush(); err != nil {
		return fmt.Errorf("commit height %d: write pending: %w", m.Height, err)
	}
	marker := NewEncoder(80).Uint64(uint64(m.Height)).VarBytes(m.AppHash).Uint32(uint32(len(chunks))).Bytes()
	if err := st.db.Update(func(t *badger.Txn) error { return t.Set(storeKeyPending, marker) }); err != nil {
		return fmt.Errorf("commit height %d: write pending: %w", m.Height, err)
	}
	return st.applyPending(m, changes, len(chunks))
}

func pendingChunkKey(i int) []byte {
	return binary.BigEndian.AppendUint32(bytes.Clone(storePendingChunks), uint32(i))
}

func writeChanges(txn *badger.Txn, m Meta, changes []Change) error {
	for _, c := range changes {
		var err error
		if c.Delete {
			err = txn.Delete(stateKey(c.Key))
		} else {
			err = txn.Set(stateKey(c.Key), c.Value)
		}
		if err != nil {
			return err
		}
	}
	if err := txn.Set(storeKeyHeight, binary.BigEndian.AppendUint64(nil, uint64(m.Height))); err != nil {
		return err
	}
	return txn.Set(storeKeyAppHash, m.AppHash)
}

func (st *Store) applyPending(m Meta, changes []Change, nChunks int) error {
	wb := st.db.NewWriteBatch()
	for _, c := range changes {
		var err error
		if c.Delete {
			err = wb.Delete(stateKey(c.Key))
		} else {
			err = wb.Set(stateKey(c.Key), c.Value)
		}
		if err != nil {
			wb.Cancel()
			return fmt.Errorf("apply pending height %d: %w", m.Height, err)
		}
	}
	if err := wb.Flush(); err != nil {
		return fmt.Errorf("apply pending height %d: %w", m.Height, err)
	}
	return st.db.Update(func(t *badger.Txn) error {
		if err := writeChanges(t, m, nil); err != nil {
			return err
		}
		for i := 0; i < nChunks; i++ {
			if err := t.Delete(pendingChunkKey(i)); err != nil {
				return err
			}
		}
		return t.Delete(storeKeyPending)
	})
}

// encodePendingChunks splits the change set into encoded pieces of about
// pendingChunkBytes each (a single change larger than that is one piece).
func encodePendingChunks(changes []Change) [][]byte {
	var out [][]byte
	var e *Encoder
	n := 0
	flush := func() {
		if e != nil {
			out = append(out, NewEncoder(4+len(e.Bytes())).Uint32(uint32(n)).Fixed(e.Bytes()).Bytes())
		}
		e, n = nil, 0
	}
	for _, c := range changes {
		if e == nil {
			e = NewEncoder(1 << 16)
		}
		e.VarBytes(c.Key).Bool(c.Delete).VarBytes(c.Value)
		n++
		if len(e.Bytes()) >= pendingChunkBytes {
			flush()
		}
	}
	flush()
	return out
}

func decodePendingChunk(b []byte, into []Change) ([]Change, error) {
	d := NewDecoder(b)
	n := d.Uint32("count")
	for i := uint32(0); i < n && d.err == nil; i++ {
		c := Change{Key: d.VarBytes(1<<20, "key")}
		c.Delete = d.Bool("delete")
		c.Value = d.VarBytes(1<<30, "value")
		into = append(into, c)
	}
	return into, d.Finish()
}

// finishPending applies a pending record whose marker was written, or drops
// the pieces of one whose marker never was (that block was not committed).
func (st *Store) finishPending() error {
	var marker []byte
	var chunks [][]byte
	err := st.db.View(func(t *badger.Txn) error {
		it, err := t.Get(storeKeyPending)
		if errors.Is(err, badger.ErrKeyNotFound) {
			return nil
		} else if err != nil {
			return err
		}
		if marker, err = it.ValueCopy(nil); err != nil {
			return err
		}
		d := NewDecoder(marker)
		d.Uint64("height")
		d.VarBytes(64, "app hash")
		n := int(d.Uint32("chunks"))
		if err := d.Finish(); err != nil {
			return fmt.Errorf("pending record: %w", err)
		}
		for i := 0; i < n; i++ {
			it, err := t.Get(pendingChunkKey(i))
			if err != nil {
				return fmt.Errorf("pending record chunk %d: %w", i, err)
			}
			c, err := it.ValueCopy(nil)
			if err != nil {
				return err
			}
			chunks = append(chunks, c)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("load: %w", err)
	}
	if marker == nil {
		return st.db.DropPrefix(storePendingChunks)
	}
	d := NewDecoder(marker)
	m := Meta{Height: int64(d.Uint64("height")), AppHash: d.VarBytes(64, "app hash")}
	var cs []Change
	for i, c := range chunks {
		if cs, err = decodePendingChunk(c, cs); err != nil {
			return fmt.Errorf("load: pending record chunk %d: %w", i, err)
		}
	}
	return st.applyPending(m, cs, len(chunks))
}

// ErrCorrupt reports a store whose state does not match its commitment.
var ErrCorrupt = errors.New("store corrupt")

// Load finishes any interrupted large commit, then reads the committed state
// and its Meta, loads the tree at the committed height and verifies it against
// the state (ErrCorrupt on any difference). A new database gives an empty
// state and height 0.
func (st *Store) Load() (*State, Meta, error) {
	if err := st.finishPending(); err != nil {
		return nil, Meta{}, err
	}
	s := NewState()
	var m Meta
	err := st.db.View(func(t *badger.Txn) error {
		if it, err := t.Get(storeKeyHeight); err == nil {
			v, err := it.ValueCopy(nil)
			if err != nil {
				return err
			}
			if len(v) != 8 {
				return fmt.Errorf("height record has %d bytes", len(v))
			}
			m.Height = int64(binary.BigEndian.Uint64(v))
		} else if !errors.Is(err, badger.ErrKeyNotFound) {
			return err
		}
		if it, err := t.Get(storeKeyAppHash); err == nil {
			if m.AppHash, err = it.ValueCopy(nil); err != nil {
				return err
			}
		} else if !errors.Is(err, badger.ErrKeyNotFound) {
			return err
		}
		opts := badger.DefaultIteratorOptions
		opts.Prefix = storeStatePrefix
		iter := t.NewIterator(opts)
		defer iter.Close()
		for iter.Rewind(); iter.Valid(); iter.Next() {
			item := iter.Item()
			v, err := item.ValueCopy(nil)
			if err != nil {
				return err
			}
			k := string(item.Key()[len(storeStatePrefix):])
			s.kv.tree.ReplaceOrInsert(kvItem{key: k, val: v})
		}
		return nil
	})
	if err != nil {
		return nil, Meta{}, fmt.Errorf("load: %w", err)
	}
	s.kv.base = s.kv.tree.Clone()
	if err := st.loadTree(m, s); err != nil {
		return nil, Meta{}, err
	}
	return s, m, nil
}

// loadTree loads the tree at the committed height, dropping newer versions,
// and checks it against the state.
func (st *Store) loadTree(m Meta, s *State) error {
	st.tree, st.firstVersion = st.newTree(), 0
	if m.Height == 0 {
		if len(st.tree.AvailableVersions()) > 0 {
			if err := st.tdb.dropAll(); err != nil {
				return fmt.Errorf("load: reset tree: %w", err)
			}
			st.tree = st.newTree()
		}
		if s.Len() != 0 {
			return fmt.Errorf("%w: %d state keys before the first commit", ErrCorrupt, s.Len())
		}
		return nil
	}
	if err := st.tree.LoadVersionForOverwriting(m.Height); err != nil {
		return fmt.Errorf("%w: load tree version %d: %v", ErrCorrupt, m.Height, err)
	}
	if got := st.tree.Hash(); !bytes.Equal(got, m.AppHash) {
		return fmt.Errorf("%w: tree root %X at height %d, committed app hash %X", ErrCorrupt, got, m.Height, m.AppHash)
	}
	return verifyLeaves(st.tree, s)
}

// verifyLeaves checks that the tree's leaves are exactly the state's keys and
// values, in one ordered pass over both.
func verifyLeaves(tree *iavl.MutableTree, s *State) error {
	it, err := tree.Iterator(nil, nil, true)
	if err != nil {
		return fmt.Errorf("load: %w", err)
	}
	defer it.Close()
	var bad error
	s.Iterate("", func(k string, v []byte) bool {
		if !it.Valid() {
			bad = fmt.Errorf("%w: state key %q is not in the committed tree", ErrCorrupt, k)
			return false
		}
		tk, tv := it.Key(), it.Value()
		switch c := bytes.Compare(tk, []byte(k)); {
		case c < 0:
			bad = fmt.Errorf("%w: committed key %q is missing from the state", ErrCorrupt, tk)
			return false
		case c > 0:
			bad = fmt.Errorf("%w: state key %q is not in the committed tree", ErrCorrupt, k)
			return false
		case !bytes.Equal(tv, v):
			bad = fmt.Errorf("%w: state key %q differs from its committed value", ErrCorrupt, k)
			return false
		}
		it.Next()
		return true
	})
	if bad != nil {
		return bad
	}
	if it.Valid() {
		return fmt.Errorf("%w: committed key %q is missing from the state", ErrCorrupt, it.Key())
	}
	return it.Error()
}
