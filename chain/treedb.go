package chain

import (
	"bytes"
	"errors"

	iavldb "github.com/cosmos/iavl/db"
	"github.com/dgraph-io/badger/v4"
)

// treeDB stores the IAVL tree's nodes in the app's badger database under a
// key prefix, implementing iavl/db.DB. Batches are badger WriteBatches, which
// split themselves into as many badger transactions as needed, so a version of
// any size is written in bounded pieces.
type treeDB struct {
	db     *badger.DB
	prefix []byte
}

var _ iavldb.DB = (*treeDB)(nil)

func (t *treeDB) key(k []byte) []byte {
	out := make([]byte, 0, len(t.prefix)+len(k))
	return append(append(out, t.prefix...), k...)
}

func (t *treeDB) Get(k []byte) ([]byte, error) {
	var v []byte
	err := t.db.View(func(txn *badger.Txn) error {
		it, err := txn.Get(t.key(k))
		if errors.Is(err, badger.ErrKeyNotFound) {
			return nil
		} else if err != nil {
			return err
		}
		v, err = it.ValueCopy(nil)
		return err
	})
	return v, err
}

func (t *treeDB) Has(k []byte) (bool, error) {
	v, err := t.Get(k)
	return v != nil, err
}

func (t *treeDB) Iterator(start, end []byte) (iavldb.Iterator, error) {
	return t.newIterator(start, end, false), nil
}

func (t *treeDB) ReverseIterator(start, end []byte) (iavldb.Iterator, error) {
	return t.newIterator(start, end, true), nil
}

// Close does nothing: the Store owns the badger database.
func (t *treeDB) Close() error { return nil }

func (t *treeDB) NewBatch() iavldb.Batch { return &treeBatch{db: t, wb: t.db.NewWriteBatch()} }

func (t *treeDB) NewBatchWithSize(int) iavldb.Batch { return t.NewBatch() }

// dropAll deletes every tree node (used when the tree holds only versions
// newer than the committed height 0).
func (t *treeDB) dropAll() error { return t.db.DropPrefix(t.prefix) }

type treeBatch struct {
	db   *treeDB
	wb   *badger.WriteBatch
	size int
	done bool
}

func (b *treeBatch) Set(k, v []byte) error {
	if b.done {
		return errors.New("tree batch: already written")
	}
	if len(k) == 0 {
		return errors.New("tree batch: empty key")
	}
	if v == nil {
		return errors.New("tree batch: nil value")
	}
	b.size += len(k) + len(v)
	// IAVL reuses its buffers after Set returns: copy.
	return b.wb.Set(b.db.key(k), bytes.Clone(v))
}

func (b *treeBatch) Delete(k []byte) error {
	if b.done {
		return errors.New("tree batch: already written")
	}
	b.size += len(k)
	return b.wb.Delete(b.db.key(k))
}

func (b *treeBatch) Write() error {
	if b.done {
		return errors.New("tree batch: already written")
	}
	b.done = true
	return b.wb.Flush()
}

func (b *treeBatch) WriteSync() error { return b.Write() }

func (b *treeBatch) Close() error {
	if !b.done {
		b.done = true
		b.wb.Cancel()
	}
	return nil
}

func (b *treeBatch) GetByteSize() (int, error) { return b.size, nil }

// treeIter iterates [start, end) of the tree's keys in one badger read
// transaction (a consistent snapshot).
type treeIter struct {
	db         *treeDB
	txn        *badger.Txn
	it         *badger.Iterator
	start, end []byte
	lo, hi     []byte // prefixed bounds; hi nil when unbounded
	reverse    bool
	val        []byte
	err        error
}

func (t *treeDB) newIterator(start, end []byte, reverse bool) *treeIter {
	txn := t.db.NewTransaction(false)
	opts := badger.DefaultIteratorOptions
	opts.PrefetchValues = false
	opts.Prefix = t.prefix
	opts.Reverse = reverse
	i := &treeIter{db: t, txn: txn, it: txn.NewIterator(opts), start: start, end: end, reverse: reverse}
	i.lo = t.key(start)
	if end != nil {
		i.hi = t.key(end)
	}
	if !reverse {
		i.it.Seek(i.lo)
	} else {
		if i.hi != nil {
			i.it.Seek(i.hi)
			if i.it.ValidForPrefix(t.prefix) && bytes.Equal(i.it.Item().Key(), i.hi) {
				i.it.Next()
			}
		} else {
			// The largest key with the prefix: seek past every such key.
			i.it.Seek(append(bytes.Clone(t.prefix), bytes.Repeat([]byte{0xff}, 64)...))
		}
	}
	return i
}

func (i *treeIter) Domain() ([]byte, []byte) { return i.start, i.end }

func (i *treeIter) Valid() bool {
	if i.err != nil || !i.it.ValidForPrefix(i.db.prefix) {
		return false
	}
	k := i.it.Item().Key()
	if i.hi != nil && bytes.Compare(k, i.hi) >= 0 {
		return false
	}
	return bytes.Compare(k, i.lo) >= 0
}

func (i *treeIter) Next() { i.val = nil; i.it.Next() }

func (i *treeIter) Key() []byte {
	return bytes.Clone(i.it.Item().Key()[len(i.db.prefix):])
}

func (i *treeIter) Value() []byte {
	if i.val == nil {
		v, err := i.it.Item().ValueCopy(nil)
		if err != nil {
			i.err = err
			return nil
		}
		i.val = v
	}
	return i.val
}

func (i *treeIter) Error() error { return i.err }

func (i *treeIter) Close() error {
	i.it.Close()
	i.txn.Discard()
	return nil
}
