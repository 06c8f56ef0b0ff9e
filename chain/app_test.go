package chain

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
)

// testBlocks builds nBlocks blocks of transfers among nKeys funded accounts,
// with a few failing transactions mixed in (they are recorded as failed and
// change nothing).
func testBlocks(nBlocks, perBlock, nKeys int) [][][]byte {
	nonces := make([]uint64, nKeys)
	var blocks [][][]byte
	for b := 0; b < nBlocks; b++ {
		var txs [][]byte
		for i := 0; i < perBlock; i++ {
			from := (b*perBlock + i) % nKeys
			to := (from*5 + i + 1) % nKeys
			if i%10 == 9 { // replayed nonce: fails in FinalizeBlock
				txs = append(txs, transferTx(testKey(byte(from)), addrOf(testKey(byte(to))), 1, nonces[from]+5, 100))
				continue
			}
			txs = append(txs, transferTx(testKey(byte(from)), addrOf(testKey(byte(to))), uint64(1+i*13), nonces[from], 100))
			nonces[from]++
		}
		blocks = append(blocks, txs)
	}
	return blocks
}

func testGenesisJSON(t testing.TB, nKeys int) []byte {
	g := DefaultGenesis()
	for i := 0; i < nKeys; i++ {
		g.Accounts = append(g.Accounts, GenesisAccount{Address: addrOf(testKey(byte(i))), Balance: 1_000_000})
	}
	b, err := json.Marshal(g)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func openApp(t testing.TB, dir string) (*App, *Store) {
	t.Helper()
	st, err := OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	app, err := NewApp(st, Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	return app, st
}

func blockHash(h int64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(h))
	s := sha256.Sum256(b[:])
	return s[:]
}

func finalize(t testing.TB, app *App, h int64, txs [][]byte) *abci.ResponseFinalizeBlock {
	t.Helper()
	res, err := app.FinalizeBlock(context.Background(), &abci.RequestFinalizeBlock{
		Height: h, Txs: txs, Hash: blockHash(h), Time: time.Unix(1_700_000_000+h, 0)})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// runBlocks executes blocks[from-1:to] at heights from..to and returns the app
// hash after each height (index = height).
func runBlocks(t testing.TB, app *App, blocks [][][]byte, from, to int64, hashes map[int64][]byte) {
	t.Helper()
	for h := from; h <= to; h++ {
		res := finalize(t, app, h, blocks[h-1])
		if _, err := app.Commit(context.Background(), &abci.RequestCommit{}); err != nil {
			t.Fatal(err)
		}
		hashes[h] = res.AppHash
	}
}

func initChain(t testing.TB, app *App, genesis []byte) []byte {
	res, err := app.InitChain(context.Background(), &abci.RequestInitChain{ChainId: testChainID, AppStateBytes: genesis, InitialHeight: 1})
	if err != nil {
		t.Fatal(err)
	}
	return res.AppHash
}

// TestDeterministicReplay: the same blocks replayed into fresh apps (fresh
// badger stores) give identical app hashes at every height, including an app
// restarted from its store half way and one that "crashed" between
// FinalizeBlock and Commit.
func TestDeterministicReplay(t *testing.T) {
	const nKeys, nBlocks = 16, 20
	genesis := testGenesisJSON(t, nKeys)
	blocks := testBlocks(nBlocks, 30, nKeys)

	want := map[int64][]byte{}
	a, sa := openApp(t, t.TempDir())
	want[0] = initChain(t, a, genesis)
	runBlocks(t, a, blocks, 1, nBlocks, want)
	defer sa.Close()
	if err := a.Committed().CheckSupply(); err != nil {
		t.Fatal(err)
	}
	failed := 0
	for _, r := range finalize(t, a, nBlocks+1, blocks[0]).TxResults {
		if r.Code != 0 {
			failed++
		}
	}
	if failed != len(blocks[0]) {
		t.Fatalf("re-running block 1 after block %d: %d of %d txs failed, want all (replay)", nBlocks, failed, len(blocks[0]))
	}

	t.Run("fresh app", func(t *testing.T) {
		b, sb := openApp(t, t.TempDir())
		defer sb.Close()
		got := map[int64][]byte{0: initChain(t, b, genesis)}
		runBlocks(t, b, blocks, 1, nBlocks, got)
		for h := int64(0); h <= nBlocks; h++ {
			if !bytes.Equal(got[h], want[h]) {
				t.Fatalf("height %d: %X vs %X", h, got[h], want[h])
			}
		}
	})

	t.Run("restart and crash between FinalizeBlock and Commit", func(t *testing.T) {
		dir := t.TempDir()
		c, sc := openApp(t, dir)
		got := map[int64][]byte{0: initChain(t, c, genesis)}
		runBlocks(t, c, blocks, 1, 10, got)
		finalize(t, c, 11, blocks[10]) // no Commit: the process dies here
		sc.Close()

		c, sc = openApp(t, dir)
		defer sc.Close()
		info, _ := c.Info(context.Background(), &abci.RequestInfo{})
		if info.LastBlockHeight != 10 || !bytes.Equal(info.LastBlockAppHash, want[10]) {
			t.Fatalf("Info after crash: height %d hash %X, want 10 %X", info.LastBlockHeight, info.LastBlockAppHash, want[10])
		}
		runBlocks(t, c, blocks, 11, nBlocks, got)
		for h := int64(0); h <= nBlocks; h++ {
			if !bytes.Equal(got[h], want[h]) {
				t.Fatalf("height %d: %X vs %X", h, got[h], want[h])
			}
		}
		if err := c.Committed().CheckSupply(); err != nil {
			t.Fatal(err)
		}
	})
}

func TestProposalsRejectInvalidTxs(t *testing.T) {
	app, st := openApp(t, t.TempDir())
	defer st.Close()
	initChain(t, app, testGenesisJSON(t, 2))
	good := transferTx(testKey(0), addrOf(testKey(1)), 5, 0, 100)
	good2 := transferTx(testKey(0), addrOf(testKey(1)), 5, 1, 100)
	bad := transferTx(testKey(0), addrOf(testKey(1)), 5, 7, 100)
	ctx := context.Background()

	prep, err := app.PrepareProposal(ctx, &abci.RequestPrepareProposal{Height: 1, MaxTxBytes: 1 << 20, Txs: [][]byte{good, bad, good2, []byte("junk")}})
	if err != nil {
		t.Fatal(err)
	}
	if len(prep.Txs) != 2 || !bytes.Equal(prep.Txs[0], good) || !bytes.Equal(prep.Txs[1], good2) {
		t.Fatalf("PrepareProposal kept %d txs", len(prep.Txs))
	}
	for name, txs := range map[string][][]byte{"bad nonce": {good, bad}, "junk": {[]byte("junk")}} {
		res, _ := app.ProcessProposal(ctx, &abci.RequestProcessProposal{Height: 1, Hash: blockHash(1), Txs: txs})
		if res.Status != abci.ResponseProcessProposal_REJECT {
			t.Errorf("%s: block accepted", name)
		}
	}
	res, _ := app.ProcessProposal(ctx, &abci.RequestProcessProposal{Height: 1, Hash: blockHash(1), Txs: prep.Txs})
	if res.Status != abci.ResponseProcessProposal_ACCEPT {
		t.Fatal("valid block rejected")
	}
	// CheckTx: consecutive nonces accepted from the check state; a gap is not.
	for i, tc := range []struct {
		raw  []byte
		code uint32
	}{{good, 0}, {good2, 0}, {bad, ErrNonce.Code}, {good, ErrNonce.Code}} {
		r, _ := app.CheckTx(ctx, &abci.RequestCheckTx{Tx: tc.raw})
		if r.Code != tc.code || (tc.code != 0 && r.Log == "") {
			t.Errorf("CheckTx %d: code %d log %q, want %d", i, r.Code, r.Log, tc.code)
		}
	}
	fin := finalize(t, app, 1, prep.Txs)
	for _, r := range fin.TxResults {
		if r.Code != 0 {
			t.Fatalf("tx failed: %s", r.Log)
		}
	}
	if _, err := app.Commit(ctx, &abci.RequestCommit{}); err != nil {
		t.Fatal(err)
	}
	q, _ := app.Query(ctx, &abci.RequestQuery{Path: "/account/" + addrOf(testKey(1)).String()})
	var acct Account
	if err := json.Unmarshal(q.Value, &acct); err != nil || acct.Balance != 1_000_010 {
		t.Fatalf("query: %s %v %+v", q.Log, err, acct)
	}
	q, _ = app.Query(ctx, &abci.RequestQuery{Path: "/nope"})
	if q.Code != ErrNotFound.Code {
		t.Fatalf("unknown path code %d", q.Code)
	}
}
