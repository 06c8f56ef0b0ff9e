package chain

import (
	"bytes"
	"sort"
	"strings"

	"github.com/google/btree"
)

type kvItem struct {
	key string
	val []byte
}

func lessItem(a, b kvItem) bool { return a.key < b.key }

// Change is one entry of a block's change set: the key's new value, or its
// deletion.
type Change struct {
	Key    []byte
	Value  []byte // nil when Delete
	Delete bool
}

// kv is the sorted in-memory key-value view behind State: a copy-on-write
// B-tree (so cloning the committed state for CheckTx or a proposal is O(1)),
// the set of keys written since the block began, a snapshot of the tree at that
// point (to compute the change set) and an undo journal for the transaction in
// progress. Stored values are never mutated in place.
type kv struct {
	tree    *btree.BTreeG[kvItem]
	base    *btree.BTreeG[kvItem]
	dirty   map[string]struct{}
	journal []undo
	inTx    bool
}

type undo struct {
	key string
	old []byte
	had bool
}

const btreeDegree = 32

func newKV() *kv {
	t := btree.NewG[kvItem](btreeDegree, lessItem)
	return &kv{tree: t, base: t.Clone(), dirty: map[string]struct{}{}}
}

// clone returns an independent view with the same contents whose change set
// starts empty (its base is the current contents).
func (s *kv) clone() *kv {
	t := s.tree.Clone()
	return &kv{tree: t, base: t.Clone(), dirty: map[string]struct{}{}}
}

func (s *kv) get(key string) ([]byte, bool) {
	it, ok := s.tree.Get(kvItem{key: key})
	return it.val, ok
}

func (s *kv) record(key string) {
	s.dirty[key] = struct{}{}
	if s.inTx {
		old, had := s.tree.Get(kvItem{key: key})
		s.journal = append(s.journal, undo{key: key, old: old.val, had: had})
	}
}

func (s *kv) set(key string, val []byte) {
	s.record(key)
	s.tree.ReplaceOrInsert(kvItem{key: key, val: bytes.Clone(val)})
}

func (s *kv) del(key string) {
	s.record(key)
	s.tree.Delete(kvItem{key: key})
}

// iterate calls fn for each key with the prefix, in ascending key order, until
// fn returns false. fn must not write to the view.
func (s *kv) iterate(prefix string, fn func(key string, val []byte) bool) {
	s.tree.AscendGreaterOrEqual(kvItem{key: prefix}, func(it kvItem) bool {
		if !strings.HasPrefix(it.key, prefix) {
			return false
		}
		return fn(it.key, it.val)
	})
}

func (s *kv) beginTx() { s.inTx, s.journal = true, s.journal[:0] }

func (s *kv) commitTx() { s.inTx, s.journal = false, s.journal[:0] }

func (s *kv) rollbackTx() {
	for i := len(s.journal) - 1; i >= 0; i-- {
		u := s.journal[i]
		if u.had {
			s.tree.ReplaceOrInsert(kvItem{key: u.key, val: u.old})
		} else {
			s.tree.Delete(kvItem{key: u.key})
		}
	}
	s.inTx, s.journal = false, s.journal[:0]
}

// changeSet returns the keys whose value differs from the base, sorted by key,
// and then makes the current contents the new base.
func (s *kv) changeSet() []Change {
	keys := make([]string, 0, len(s.dirty))
	for k := range s.dirty {
		keys = append(keys, k)
	}
	sort.Strings(keys) // the map is only used as a set; order comes from here
	var out []Change
	for _, k := range keys {
		nv, nok := s.tree.Get(kvItem{key: k})
		ov, ook := s.base.Get(kvItem{key: k})
		switch {
		case nok && (!ook || !bytes.Equal(nv.val, ov.val)):
			out = append(out, Change{Key: []byte(k), Value: nv.val})
		case !nok && ook:
			out = append(out, Change{Key: []byte(k), Delete: true})
		}
	}
	s.base = s.tree.Clone()
	s.dirty = map[string]struct{}{}
	return out
}

func (s *kv) len() int { return s.tree.Len() }
