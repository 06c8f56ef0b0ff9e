package node

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/veritensor/veritensor/chain"
	"github.com/veritensor/veritensor/chain/client"
)

// The test binary doubles as the node that gets killed: with
// VERITENSOR_CRASH_HOME set it runs that home's node and SIGKILLs itself at
// the point named by VERITENSOR_CRASH_AT ("finalize:<h>" or "commit:<h>").
func TestMain(m *testing.M) {
	if home := os.Getenv("VERITENSOR_CRASH_HOME"); home != "" {
		os.Exit(crashChild(home, os.Getenv("VERITENSOR_CRASH_AT")))
	}
	os.Exit(m.Run())
}

func crashChild(home, at string) int {
	point, hs, _ := strings.Cut(at, ":")
	height, err := strconv.ParseInt(hs, 10, 64)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bad VERITENSOR_CRASH_AT", at)
		return 2
	}
	kill := func(h int64) {
		if h == height {
			_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {}
		}
	}
	var hooks chain.Hooks
	switch point {
	case "finalize":
		hooks.AfterFinalizeBlock = kill
	case "commit":
		hooks.AfterCommit = kill
	default:
		return 2
	}
	n, err := New(home, Options{Hooks: hooks})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := n.Start(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	time.Sleep(60 * time.Second) // the hook kills us long before
	return 3
}

func freePorts(t *testing.T, n int) []int {
	var out []int
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		out = append(out, l.Addr().(*net.TCPAddr).Port)
	}
	return out
}

// TestKillNineRecovery kills a real node process with SIGKILL between
// FinalizeBlock and Commit, then right after the app's Commit (before
// CometBFT saved its state), while transfers stream in. Each time the node
// restarts from its home; at the end a fresh app replaying every stored block
// must reproduce the app hash the node reported at every height, and balances
// must match the transfers in the blocks.
func TestKillNineRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns node processes")
	}
	home := t.TempDir()
	seed := sha256.Sum256([]byte("alice"))
	alice := ed25519.NewKeyFromSeed(seed[:])
	aliceAddr := chain.AddressFromPubKey(alice.Public().(ed25519.PublicKey))
	carol := chain.Address{0xca, 0x20}
	ports := freePorts(t, 2)
	c := DefaultConfig()
	c.P2PListen = fmt.Sprintf("tcp://127.0.0.1:%d", ports[0])
	c.RPCListen = fmt.Sprintf("tcp://127.0.0.1:%d", ports[1])
	c.TimeoutCommit = Duration(100 * time.Millisecond)
	g := chain.DefaultGenesis()
	g.Accounts = []chain.GenesisAccount{{Address: aliceAddr, Balance: 1_000_000_000}}
	if _, err := InitHome(home, "crash-chain", c, g); err != nil {
		t.Fatal(err)
	}
	cl, err := client.New(c.RPCListen)
	if err != nil {
		t.Fatal(err)
	}
	cl.PollInterval = 20 * time.Millisecond

	for _, at := range []string{"finalize:5", "commit:10"} {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "VERITENSOR_CRASH_HOME="+home, "VERITENSOR_CRASH_AT="+at)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		sent := 0
	stream:
		for {
			select {
			case err = <-done:
				break stream
			case <-time.After(30 * time.Millisecond):
				ctx, cancel := context.WithTimeout(context.Background(), time.Second)
				if _, err := cl.SendAsync(ctx, alice, &chain.MsgTransfer{To: carol, Amount: 3}, 100); err == nil {
					sent++
				}
				cancel()
			case <-time.After(90 * time.Second):
				cmd.Process.Kill()
				t.Fatalf("%s: node did not crash", at)
			}
		}
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
			t.Fatalf("%s: child ended with %v, want SIGKILL; stderr:\n%s", at, err, stderr.String())
		}
		t.Logf("%s: killed after %d transfers accepted", at, sent)
	}

	n, err := New(home, Options{})
	if err != nil {
		t.Fatalf("restart after kill -9: %v", err)
	}
	if err := n.Start(); err != nil {
		t.Fatal(err)
	}
	defer n.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := n.WaitHeight(ctx, 14); err != nil {
		t.Fatal(err)
	}
	if _, err := cl.Transfer(ctx, alice, carol, 3, 100); err != nil {
		t.Fatalf("transfer after recovery: %v", err)
	}
	top := n.Height() - 1

	// Replay every block into a fresh app.
	doc, _, err := ReadGenesis(home)
	if err != nil {
		t.Fatal(err)
	}
	fresh, closer, err := NewChainApp(t.TempDir(), chain.Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	defer closer.Close()
	var vals []abci.ValidatorUpdate // as CometBFT passes them: the genesis validators are state
	for _, v := range doc.Validators {
		vals = append(vals, cmttypes.TM2PB.NewValidatorUpdate(v.PubKey, v.Power))
	}
	if _, err := fresh.InitChain(ctx, &abci.RequestInitChain{ChainId: doc.ChainID, AppStateBytes: doc.AppState, InitialHeight: 1, Validators: vals}); err != nil {
		t.Fatal(err)
	}
	var aliceTxs, carolWant uint64
	bs := n.CometBFT().BlockStore()
	for h := int64(1); h <= top; h++ {
		b := bs.LoadBlock(h)
		res, err := fresh.FinalizeBlock(ctx, &abci.RequestFinalizeBlock{Height: h, Txs: b.Txs.ToSliceOfBytes(),
			Hash: b.Hash(), Time: b.Time, ProposerAddress: b.ProposerAddress})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fresh.Commit(ctx, &abci.RequestCommit{}); err != nil {
			t.Fatal(err)
		}
		reported, err := n.AppHashAt(h)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(res.AppHash, reported) || !bytes.Equal(bs.LoadBlock(h+1).AppHash, reported) {
			t.Fatalf("height %d: replay %X, node reported %X, next header %X", h, res.AppHash, reported, bs.LoadBlock(h+1).AppHash)
		}
		for _, r := range res.TxResults {
			if r.Code != 0 {
				t.Fatalf("height %d: committed tx failed on replay: %s", h, r.Log)
			}
			aliceTxs++
			carolWant += 3
		}
	}
	got := fresh.Committed().Account(carol).Balance
	acct := fresh.Committed().Account(aliceAddr)
	if got != carolWant || acct.Nonce != aliceTxs || aliceTxs == 0 {
		t.Fatalf("carol %d want %d; alice nonce %d want %d", got, carolWant, acct.Nonce, aliceTxs)
	}
	live, err := cl.Account(ctx, carol)
	if err != nil || live.Balance < carolWant {
		t.Fatalf("node: carol %+v %v, replay to %d has %d", live, err, top, carolWant)
	}
	t.Logf("recovered twice; %d blocks replayed identically, %d transfers", top, aliceTxs)
}
