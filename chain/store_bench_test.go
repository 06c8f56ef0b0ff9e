package chain

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"sort"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
)

func benchKeyN(i int) []byte {
	return binary.BigEndian.AppendUint64([]byte("acct/bench/"), uint64(i)*0x9E3779B97F4A7C15)
}

// filledStore commits n keys of 40-byte values in blocks of 100,000 changes.
func filledStore(b *testing.B, n int) (*Store, int64) {
	b.Helper()
	st, err := OpenStore(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	val := make([]byte, 40)
	h := int64(0)
	for i := 0; i < n; {
		var cs []Change
		for j := 0; j < 100_000 && i < n; j, i = j+1, i+1 {
			binary.BigEndian.PutUint64(val, uint64(i))
			cs = append(cs, Change{Key: benchKeyN(i), Value: append([]byte(nil), val...)})
		}
		sortChanges(cs)
		h++
		hash, err := st.Stage(cs)
		if err != nil {
			b.Fatal(err)
		}
		if err := st.Commit(Meta{Height: h, AppHash: hash}, cs); err != nil {
			b.Fatal(err)
		}
	}
	return st, h
}

// BenchmarkAppHashPerBlock: the state commitment's cost per block (Stage:
// tree updates and root; Commit: tree version and badger writes) for a block
// changing 1,000 existing keys of a state of 10^5 or 10^6 keys.
func BenchmarkAppHashPerBlock(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		b.Run(fmt.Sprintf("keys=%d/changes=1000", n), func(b *testing.B) {
			st, h := filledStore(b, n)
			defer st.Close()
			val := make([]byte, 40)
			b.ResetTimer()
			for it := 0; it < b.N; it++ {
				cs := make([]Change, 0, 1000)
				for j := 0; j < 1000; j++ {
					k := (it*7919 + j*104729) % n
					binary.BigEndian.PutUint64(val, uint64(it)<<32|uint64(j))
					cs = append(cs, Change{Key: benchKeyN(k), Value: append([]byte(nil), val...)})
				}
				sortChanges(cs)
				h++
				hash, err := st.Stage(cs)
				if err != nil {
					b.Fatal(err)
				}
				if err := st.Commit(Meta{Height: h, AppHash: hash}, cs); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkStateSyncRestore: exporting a snapshot of a 10^5-key state and
// restoring it (chunk checks, tree import, state keys, root check, reload)
// into an empty app: the app side of joining by state sync.
func BenchmarkStateSyncRestore(b *testing.B) {
	st, h := filledStore(b, 100_000)
	defer st.Close()
	a, err := NewApp(st, Hooks{})
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	if err := a.EnableSnapshots(SnapshotConfig{Dir: dir, Interval: 1}); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ResetTimer()
	for it := 0; it < b.N; it++ {
		if err := st.WriteSnapshot(dir, a.LastCommit(), 4<<20); err != nil {
			b.Fatal(err)
		}
		list, _ := a.ListSnapshots(ctx, &abci.RequestListSnapshots{})
		snap := list.Snapshots[len(list.Snapshots)-1]
		fresh, err := OpenStore(b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		f, err := NewApp(fresh, Hooks{})
		if err != nil {
			b.Fatal(err)
		}
		if r, _ := f.OfferSnapshot(ctx, &abci.RequestOfferSnapshot{Snapshot: snap, AppHash: a.LastCommit().AppHash}); r.Result != abci.ResponseOfferSnapshot_ACCEPT {
			b.Fatal(r.Result)
		}
		for i := uint32(0); i < snap.Chunks; i++ {
			c, _ := a.LoadSnapshotChunk(ctx, &abci.RequestLoadSnapshotChunk{Height: snap.Height, Format: snap.Format, Chunk: i})
			if r, _ := f.ApplySnapshotChunk(ctx, &abci.RequestApplySnapshotChunk{Index: i, Chunk: c.Chunk}); r.Result != abci.ResponseApplySnapshotChunk_ACCEPT {
				b.Fatal(r.Result)
			}
		}
		if f.LastCommit().Height != h || f.Committed().Len() != 100_000 {
			b.Fatalf("restored height %d, %d keys", f.LastCommit().Height, f.Committed().Len())
		}
		b.ReportMetric(float64(snap.Chunks), "chunks")
		fresh.Close()
	}
}

func sortChanges(cs []Change) {
	sort.Slice(cs, func(i, j int) bool { return bytes.Compare(cs[i].Key, cs[j].Key) < 0 })
}
