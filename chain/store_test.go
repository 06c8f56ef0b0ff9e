package chain

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/dgraph-io/badger/v4"
)

func stageCommit(t testing.TB, st *Store, h int64, cs []Change) Meta {
	t.Helper()
	hash, err := st.Stage(cs)
	if err != nil {
		t.Fatal(err)
	}
	m := Meta{Height: h, AppHash: hash}
	if err := st.Commit(m, cs); err != nil {
		t.Fatal(err)
	}
	return m
}

func reopen(t testing.TB, st *Store, dir string) (*Store, *State, Meta, error) {
	t.Helper()
	st.Close()
	st, err := OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	s, m, err := st.Load()
	return st, s, m, err
}

// TestStoreLargeCommit: a change set over 64 MiB (more than badger's value-log
// file, so more than one badger value or transaction can hold) commits in
// bounded pieces and reloads with a matching tree.
func TestStoreLargeCommit(t *testing.T) {
	if testing.Short() {
		t.Skip("writes ~150 MiB")
	}
	dir := t.TempDir()
	st, err := OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	var cs []Change
	val := bytes.Repeat([]byte{7}, 1<<20)
	const n = 70 // 70 MiB
	for i := 0; i < n; i++ {
		var k [8]byte
		binary.BigEndian.PutUint64(k[:], uint64(i))
		cs = append(cs, Change{Key: append([]byte("big/"), k[:]...), Value: val})
	}
	m := stageCommit(t, st, 1, cs)
	st, s, got, err := reopen(t, st, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if got.Height != 1 || !bytes.Equal(got.AppHash, m.AppHash) || s.Len() != n {
		t.Fatalf("height %d, %d keys", got.Height, s.Len())
	}
}

// TestStoreFinishesInterruptedCommit: a pending record whose marker was
// written by a process that died before applying it is applied on the next
// Load; pieces without a marker are dropped.
func TestStoreFinishesInterruptedCommit(t *testing.T) {
	dir := t.TempDir()
	st, err := OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	stageCommit(t, st, 1, []Change{{Key: []byte("x"), Value: []byte("1")}, {Key: []byte("y"), Value: []byte("1")}})
	cs2 := []Change{{Key: []byte("x"), Delete: true}, {Key: []byte("z"), Value: []byte("2")}}
	hash, err := st.Stage(cs2)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.tree.SaveVersion(); err != nil {
		t.Fatal(err)
	}
	chunks := encodePendingChunks(cs2)
	marker := NewEncoder(80).Uint64(2).VarBytes(hash).Uint32(uint32(len(chunks))).Bytes()
	if err := st.db.Update(func(txn *badger.Txn) error {
		for i, c := range chunks {
			if err := txn.Set(pendingChunkKey(i), c); err != nil {
				return err
			}
		}
		return txn.Set(storeKeyPending, marker)
	}); err != nil {
		t.Fatal(err)
	}
	st, s, m, err := reopen(t, st, dir) // "crash" before the pieces were applied
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	_, hasX := s.Get("x")
	z, _ := s.Get("z")
	if m.Height != 2 || !bytes.Equal(m.AppHash, hash) || hasX || string(z) != "2" || s.Len() != 2 {
		t.Fatalf("after recovery: meta %+v, x %v, z %q, %d keys", m, hasX, z, s.Len())
	}
}

// TestStoreRollsBackUncommittedTree: a tree version saved by a process that
// died before writing the block's state and meta is dropped on Load, and the
// block can be committed again.
func TestStoreRollsBackUncommittedTree(t *testing.T) {
	dir := t.TempDir()
	st, err := OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	m1 := stageCommit(t, st, 1, []Change{{Key: []byte("a"), Value: []byte("1")}})
	cs := []Change{{Key: []byte("b"), Value: []byte("2")}}
	h2, _ := st.Stage(cs)
	if _, _, err := st.tree.SaveVersion(); err != nil {
		t.Fatal(err)
	}
	st, s, m, err := reopen(t, st, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { st.Close() }()
	if m.Height != 1 || !bytes.Equal(m.AppHash, m1.AppHash) || s.Len() != 1 {
		t.Fatalf("after crash: %+v, %d keys", m, s.Len())
	}
	if got := stageCommit(t, st, 2, cs); !bytes.Equal(got.AppHash, h2) {
		t.Fatalf("recommitted hash %X, first try %X", got.AppHash, h2)
	}
}

// TestCorruptStoreDetected: deleting or altering one state key in one node's
// badger (the attack of issue 14: before, the node kept the healthy app hash)
// makes Load fail with ErrCorrupt, so the node does not start with a state its
// app hash does not commit to.
func TestCorruptStoreDetected(t *testing.T) {
	genesis := testGenesisJSON(t, 4)
	blocks := testBlocks(3, 5, 4)
	victim := stateKey([]byte(accountKey(addrOf(testKey(2)))))
	for name, corrupt := range map[string]func(*badger.Txn) error{
		"delete": func(txn *badger.Txn) error { return txn.Delete(victim) },
		"alter": func(txn *badger.Txn) error {
			it, err := txn.Get(victim)
			if err != nil {
				return err
			}
			v, _ := it.ValueCopy(nil)
			v[len(v)-1] ^= 1
			return txn.Set(victim, v)
		},
		"add": func(txn *badger.Txn) error { return txn.Set(stateKey([]byte("zz/extra")), []byte("1")) },
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			app, st := openApp(t, dir)
			initChain(t, app, genesis)
			runBlocks(t, app, blocks, 1, 3, map[int64][]byte{})
			if err := st.db.Update(func(txn *badger.Txn) error { return corrupt(txn) }); err != nil {
				t.Fatal(err)
			}
			st.Close()
			st, err := OpenStore(dir)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			if _, err := NewApp(st, Hooks{}); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("NewApp on corrupted store: %v, want ErrCorrupt", err)
			}
		})
	}
}

// TestAppHashIsTreeRoot: the app hash FinalizeBlock reports is the root of the
// committed tree, and two apps fed the same blocks agree on it.
func TestAppHashIsTreeRoot(t *testing.T) {
	app, st := openApp(t, t.TempDir())
	defer st.Close()
	initChain(t, app, testGenesisJSON(t, 3))
	hs := map[int64][]byte{}
	runBlocks(t, app, testBlocks(2, 4, 3), 1, 2, hs)
	if !bytes.Equal(st.tree.Hash(), hs[2]) {
		t.Fatalf("tree root %X, app hash %X", st.tree.Hash(), hs[2])
	}
	info, _ := app.Info(context.Background(), &abci.RequestInfo{})
	if !bytes.Equal(info.LastBlockAppHash, hs[2]) {
		t.Fatal("Info hash differs")
	}
}

// TestStorePrunesOldVersions: only the last RetainVersions heights stay
// provable, also across a restart.
func TestStorePrunesOldVersions(t *testing.T) {
	dir := t.TempDir()
	st, err := OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	st.RetainVersions = 2
	for h := int64(1); h <= 4; h++ {
		stageCommit(t, st, h, []Change{{Key: []byte("k"), Value: []byte{byte(h)}}})
	}
	st, _, _, err = reopen(t, st, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { st.Close() }()
	st.RetainVersions = 2
	stageCommit(t, st, 5, []Change{{Key: []byte("k"), Value: []byte{5}}})
	for h := int64(1); h <= 5; h++ {
		_, err := st.tree.GetImmutable(h)
		if (err == nil) != (h >= 4) {
			t.Fatalf("version %d retained: %v", h, err == nil)
		}
	}
}
