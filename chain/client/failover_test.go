package client_test

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/veritensor/veritensor/chain"
	"github.com/veritensor/veritensor/chain/client"
	"github.com/veritensor/veritensor/chain/node"
	"github.com/veritensor/veritensor/chain/testnet"
)

// nodeEnv makes the test binary a node process (the same node.New/Start as
// `veritensor start`).
const nodeEnv = "VERITENSOR_CLIENT_TEST_NODE"

func TestMain(m *testing.M) {
	if home := os.Getenv(nodeEnv); home != "" {
		n, err := node.New(home, node.Options{})
		if err == nil {
			err = n.Start()
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		select {} // until killed
	}
	os.Exit(m.Run())
}

func TestSplitAddrs(t *testing.T) {
	got := client.SplitAddrs(" 127.0.0.1:1, http://h:2 ,,tcp://x:3")
	want := []string{"tcp://127.0.0.1:1", "http://h:2", "tcp://x:3"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	if _, err := client.New(" , "); err == nil {
		t.Fatal("an empty address list was accepted")
	}
}

// TestFailoverRealNodes: a client given three of four real nodes' addresses
// (after a dead one) sends transfers through the first node that answers,
// keeps working when that node's process is killed (the next address takes over), and
// does not move on when a node answers with an error (a transaction it does
// not know).
func TestFailoverRealNodes(t *testing.T) {
	if testing.Short() {
		t.Skip("starts 4 in-process nodes")
	}
	nw, err := testnet.Generate(t.TempDir(), testnet.Options{Validators: 4,
		Config: node.Config{TimeoutCommit: node.Duration(200 * time.Millisecond), CreateEmptyBlocks: true,
			TimeoutPropose: node.Duration(time.Second)}})
	if err != nil {
		t.Fatal(err)
	}
	// Each node is its own process (this test binary, see TestMain), so
	// stopping one is a SIGKILL: its RPC connections die with it, as on a
	// real host.
	var procs []*exec.Cmd
	for _, home := range nw.Homes {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), nodeEnv+"="+home)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		procs = append(procs, cmd)
	}
	defer func() {
		for _, p := range procs {
			_ = p.Process.Kill()
			_, _ = p.Process.Wait()
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	for i := range nw.Homes {
		ci, err := client.New(nw.RPCAddress(i))
		if err != nil {
			t.Fatal(err)
		}
		if err := ci.WaitHeight(ctx, 2); err != nil {
			t.Fatalf("node %d: %v", i, err)
		}
	}
	// A port nothing listens on: connection refused.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := l.Addr().String()
	l.Close()
	addrs := []string{dead, nw.RPCAddress(0), nw.RPCAddress(1), nw.RPCAddress(2)}
	c, err := client.New(strings.Join(addrs, ","))
	if err != nil {
		t.Fatal(err)
	}
	alice := nw.Keys[3].Private
	_, bobPriv, _ := ed25519.GenerateKey(nil)
	bob := chain.AddressFromPubKey(bobPriv.Public().(ed25519.PublicKey))
	fee := nw.Genesis.Params.MinFee

	if _, err := c.Transfer(ctx, alice, bob, 1, fee); err != nil {
		t.Fatalf("transfer past a dead address: %v", err)
	}
	if got := c.Addr(); got != client.SplitAddrs(nw.RPCAddress(0))[0] {
		t.Fatalf("client is on %s, want node 0 %s", got, nw.RPCAddress(0))
	}
	// An answer is not a failure: an unknown transaction stays on node 0.
	if _, err := c.Tx(ctx, [32]byte{1}); !errors.Is(err, chain.ErrNotFound) {
		t.Fatalf("unknown tx: %v, want ErrNotFound", err)
	}
	if got := c.Addr(); got != client.SplitAddrs(nw.RPCAddress(0))[0] {
		t.Fatalf("an error answer moved the client to %s", got)
	}

	if err := procs[0].Process.Kill(); err != nil {
		t.Fatal(err)
	}
	for i := 2; i <= 4; i++ {
		info, err := c.Transfer(ctx, alice, bob, uint64(i), fee)
		if err != nil {
			for k := 1; k < 4; k++ {
				ck, _ := client.New(nw.RPCAddress(k))
				h, herr := ck.Height(context.Background())
				t.Logf("node %d height %d %v", k, h, herr)
			}
			t.Fatalf("transfer %d after node 0 was killed (client on %s; node 0 %s): %v", i, c.Addr(), nw.RPCAddress(0), err)
		}
		if info.Code != 0 {
			t.Fatalf("transfer %d: code %d", i, info.Code)
		}
	}
	if got := c.Addr(); got == client.SplitAddrs(nw.RPCAddress(0))[0] {
		t.Fatalf("client still on stopped node 0")
	}
	acct, err := c.Account(ctx, bob)
	if err != nil {
		t.Fatal(err)
	}
	if acct.Balance != 1+2+3+4 {
		t.Fatalf("bob has %d, want 10", acct.Balance)
	}
	// Every address down: one error naming them.
	c2, _ := client.New(dead + "," + nw.RPCAddress(0))
	_, err = c2.Height(ctx)
	if err == nil || !strings.Contains(err.Error(), "no node answered") {
		t.Fatalf("all down: %v", err)
	}
}
