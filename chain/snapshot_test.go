package chain

import (
	"bytes"
	"context"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
)

// TestSnapshotRestore: a fresh app restored from another app's snapshot (in
// small chunks) reports the same height and app hash, serves the same state,
// and then follows the same blocks to the same app hashes. A corrupted chunk
// is refetched from another sender; a snapshot whose root is not the trusted
// app hash is rejected.
func TestSnapshotRestore(t *testing.T) {
	ctx := context.Background()
	const nKeys = 16
	genesis := testGenesisJSON(t, nKeys)
	blocks := testBlocks(12, 20, nKeys)

	a, sa := openApp(t, t.TempDir())
	defer sa.Close()
	snapDir := t.TempDir()
	if err := a.EnableSnapshots(SnapshotConfig{Dir: snapDir, Interval: 4, Keep: 2, ChunkBytes: 512}); err != nil {
		t.Fatal(err)
	}
	want := map[int64][]byte{}
	initChain(t, a, genesis)
	runBlocks(t, a, blocks, 1, 10, want)
	if a.SnapshotError() != nil {
		t.Fatal(a.SnapshotError())
	}
	list, _ := a.ListSnapshots(ctx, &abci.RequestListSnapshots{})
	if len(list.Snapshots) != 2 || list.Snapshots[0].Height != 4 || list.Snapshots[1].Height != 8 {
		t.Fatalf("snapshots %+v, want heights 4 and 8", list.Snapshots)
	}
	snap := list.Snapshots[1]
	if snap.Chunks < 3 {
		t.Fatalf("%d chunks, want several", snap.Chunks)
	}
	chunk := func(i uint32) []byte {
		c, _ := a.LoadSnapshotChunk(ctx, &abci.RequestLoadSnapshotChunk{Height: snap.Height, Format: snap.Format, Chunk: i})
		if len(c.Chunk) == 0 || len(c.Chunk) > 512+64 {
			t.Fatalf("chunk %d: %d bytes", i, len(c.Chunk))
		}
		return c.Chunk
	}

	t.Run("wrong app hash", func(t *testing.T) {
		b, sb := openApp(t, t.TempDir())
		defer sb.Close()
		offer, _ := b.OfferSnapshot(ctx, &abci.RequestOfferSnapshot{Snapshot: snap, AppHash: want[7]})
		if offer.Result != abci.ResponseOfferSnapshot_ACCEPT {
			t.Fatal(offer.Result)
		}
		var last abci.ResponseApplySnapshotChunk_Result
		for i := uint32(0); i < snap.Chunks; i++ {
			r, _ := b.ApplySnapshotChunk(ctx, &abci.RequestApplySnapshotChunk{Index: i, Chunk: chunk(i), Sender: "p"})
			last = r.Result
		}
		if last != abci.ResponseApplySnapshotChunk_REJECT_SNAPSHOT || b.LastCommit().Height != 0 {
			t.Fatalf("restore against a wrong app hash: %v, height %d", last, b.LastCommit().Height)
		}
	})

	b, sb := openApp(t, t.TempDir())
	defer sb.Close()
	offer, _ := b.OfferSnapshot(ctx, &abci.RequestOfferSnapshot{Snapshot: snap, AppHash: want[8]})
	if offer.Result != abci.ResponseOfferSnapshot_ACCEPT {
		t.Fatal(offer.Result)
	}
	for i := uint32(0); i < snap.Chunks; i++ {
		if i == 1 { // a lying peer
			bad := bytes.Clone(chunk(i))
			bad[0] ^= 1
			r, _ := b.ApplySnapshotChunk(ctx, &abci.RequestApplySnapshotChunk{Index: i, Chunk: bad, Sender: "liar"})
			if r.Result != abci.ResponseApplySnapshotChunk_RETRY || len(r.RejectSenders) != 1 || r.RejectSenders[0] != "liar" {
				t.Fatalf("corrupted chunk: %+v", r)
			}
		}
		r, _ := b.ApplySnapshotChunk(ctx, &abci.RequestApplySnapshotChunk{Index: i, Chunk: chunk(i), Sender: "good"})
		if r.Result != abci.ResponseApplySnapshotChunk_ACCEPT {
			t.Fatalf("chunk %d: %v", i, r.Result)
		}
	}
	if m := b.LastCommit(); m.Height != 8 || !bytes.Equal(m.AppHash, want[8]) {
		t.Fatalf("restored %d %X, want 8 %X", m.Height, m.AppHash, want[8])
	}
	if err := b.Committed().CheckSupply(); err != nil {
		t.Fatal(err)
	}
	got := map[int64][]byte{}
	runBlocks(t, b, blocks, 9, 10, got)
	for h := int64(9); h <= 10; h++ {
		if !bytes.Equal(got[h], want[h]) {
			t.Fatalf("height %d after restore: %X, want %X", h, got[h], want[h])
		}
	}
	// A restored node that restarts loads and verifies its store.
	sb.Close()
	st, err := OpenStore(sb.tdb.db.Opts().Dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, m, err := st.Load(); err != nil || m.Height != 10 {
		t.Fatalf("reload after restore: %v, height %d", err, m.Height)
	}
}
