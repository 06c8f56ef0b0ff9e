package chain

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/dgraph-io/badger/v4"
)

// Badger key layout. State keys live under "s"; the commit record under "m".
var (
	storeStatePrefix = []byte("s")
	storeKeyHeight   = []byte("m/height")
	storeKeyAppHash  = []byte("m/apphash")
	storeKeyPending  = []byte("m/pending")
)

// Meta is the commit record stored with every block's changes.
type Meta struct {
	// Height is the last committed block height (0 before the first block).
	Height int64 `json:"height"`
	// AppHash is the app hash after that block.
	AppHash []byte `json:"app_hash"`
}

// Store persists committed state in badger. Each Commit writes one block's
// change set together with its Meta atomically, so after a crash at any point
// Load returns exactly the state, height and app hash of the last completed
// Commit.
type Store struct{ db *badger.DB }

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
	return &Store{db: db}, nil
}

// Close closes the database.
func (st *Store) Close() error { return st.db.Close() }

func stateKey(k []byte) []byte { return append(append([]byte{}, storeStatePrefix...), k...) }

// Commit writes the changes and meta in one badger transaction. A change set
// too big for one transaction is first written whole as a pending record (one
// small atomic write), then applied in pieces; Load finishes such a commit if
// the process died half way.
func (st *Store) Commit(m Meta, changes []Change) error {
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
	blob := encodePending(m, changes)
	if err := st.db.Update(func(t *badger.Txn) error { return t.Set(storeKeyPending, blob) }); err != nil {
		return fmt.Errorf("commit height %d: write pending: %w", m.Height, err)
	}
	return st.applyPending(m, changes)
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

func (st *Store) applyPending(m Meta, changes []Change) error {
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
		return t.Delete(storeKeyPending)
	})
}

func encodePending(m Meta, changes []Change) []byte {
	e := NewEncoder(64)
	e.Uint64(uint64(m.Height)).VarBytes(m.AppHash).Uint64(uint64(len(changes)))
	for _, c := range changes {
		e.VarBytes(c.Key).Bool(c.Delete).VarBytes(c.Value)
	}
	return e.Bytes()
}

func decodePending(b []byte) (Meta, []Change, error) {
	d := NewDecoder(b)
	m := Meta{Height: int64(d.Uint64("height")), AppHash: d.VarBytes(64, "app hash")}
	n := d.Uint64("count")
	var cs []Change
	for i := uint64(0); i < n && d.err == nil; i++ {
		c := Change{Key: d.VarBytes(1<<20, "key")}
		c.Delete = d.Bool("delete")
		c.Value = d.VarBytes(1<<30, "value")
		cs = append(cs, c)
	}
	return m, cs, d.Finish()
}

// Load finishes any interrupted large commit, then reads the committed state
// and its Meta. A new database gives an empty state and height 0.
func (st *Store) Load() (*State, Meta, error) {
	var pending []byte
	err := st.db.View(func(t *badger.Txn) error {
		it, err := t.Get(storeKeyPending)
		if errors.Is(err, badger.ErrKeyNotFound) {
			return nil
		} else if err != nil {
			return err
		}
		pending, err = it.ValueCopy(nil)
		return err
	})
	if err != nil {
		return nil, Meta{}, fmt.Errorf("load: %w", err)
	}
	if pending != nil {
		m, cs, err := decodePending(pending)
		if err != nil {
			return nil, Meta{}, fmt.Errorf("load: pending record: %w", err)
		}
		if err := st.applyPending(m, cs); err != nil {
			return nil, Meta{}, err
		}
	}

	s := NewState()
	var m Meta
	err = st.db.View(func(t *badger.Txn) error {
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
	return s, m, nil
}
