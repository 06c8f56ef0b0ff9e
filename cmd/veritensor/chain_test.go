package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/veritensor/veritensor/chain"
	"github.com/veritensor/veritensor/chain/keys"
	"github.com/veritensor/veritensor/chain/node"
)

func runCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	app := newApp()
	var out bytes.Buffer
	app.Writer, app.ErrWriter = &out, &out
	err := run(app, append([]string{"veritensor"}, args...))
	return out.String(), err
}

func freeTCPPorts(t *testing.T, n int) []int {
	var ports []int
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports
}

// TestChainCommands drives init, keys, tx transfer and query through the CLI
// against a real node started from the home that init wrote.
func TestChainCommands(t *testing.T) {
	home := t.TempDir()
	ports := freeTCPPorts(t, 2)
	rpc := fmt.Sprintf("tcp://127.0.0.1:%d", ports[1])
	if out, err := runCLI(t, "init", "--home", home, "--chain-id", "cli-test", "--p2p",
		fmt.Sprintf("tcp://127.0.0.1:%d", ports[0]), "--rpc", rpc, "--balance", "1000000"); err != nil {
		t.Fatalf("init: %v\n%s", err, out)
	}
	if _, err := runCLI(t, "init", "--home", home, "--chain-id", "cli-test"); err == nil {
		t.Fatal("second init over the same home succeeded")
	}
	out, err := runCLI(t, "keys", "add", "--home", home, "-o", "json", "bob")
	if err != nil {
		t.Fatal(err)
	}
	var bob keys.Info
	if err := json.Unmarshal([]byte(out), &bob); err != nil || bob.Name != "bob" {
		t.Fatalf("keys add -o json: %q %v", out, err)
	}
	st, err := os.Stat(filepath.Join(home, "keys", "bob.json"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v %v", st.Mode(), err)
	}
	out, _ = runCLI(t, "keys", "list", "--home", home)
	if !strings.Contains(out, "bob") || !strings.Contains(out, "validator") {
		t.Fatalf("keys list: %q", out)
	}

	n, err := node.New(home, node.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(); err != nil {
		t.Fatal(err)
	}
	defer n.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := n.WaitHeight(ctx, 1); err != nil {
		t.Fatal(err)
	}

	out, err = runCLI(t, "tx", "transfer", "--home", home, "--node", rpc, "--from", "validator",
		"--to", bob.Address.String(), "--amount", "4321", "-o", "json")
	if err != nil {
		t.Fatalf("tx transfer: %v\n%s", err, out)
	}
	var tx struct {
		Hash   string
		Height int64
		Code   uint32
	}
	if err := json.Unmarshal([]byte(out), &tx); err != nil || tx.Code != 0 || tx.Height == 0 {
		t.Fatalf("tx transfer output %q: %v", out, err)
	}
	// Flags after the positional argument, as the docs write them.
	out, err = runCLI(t, "query", "account", bob.Address.String(), "--node", rpc, "-o", "json")
	var acct chain.Account
	if err != nil || json.Unmarshal([]byte(out), &acct) != nil || acct.Balance != 4321 {
		t.Fatalf("query account: %q %v", out, err)
	}
	if out, err = runCLI(t, "query", "tx", "--node", rpc, tx.Hash); err != nil || !strings.Contains(out, "transfer") {
		t.Fatalf("query tx: %q %v", out, err)
	}
	if out, err = runCLI(t, "query", "block", fmt.Sprint(tx.Height), "--node", rpc); err != nil || !strings.Contains(out, tx.Hash) {
		t.Fatalf("query block: %q %v", out, err)
	}
	var blk struct{ Height int64 }
	if out, err = runCLI(t, "query", "block", fmt.Sprint(tx.Height), "--node", rpc, "-o", "json"); err != nil ||
		json.Unmarshal([]byte(out), &blk) != nil || blk.Height != tx.Height {
		t.Fatalf("query block HEIGHT --node -o json: %q %v", out, err)
	}
	// A rejected transfer is an error with its code, not a panic.
	_, err = runCLI(t, "tx", "transfer", "--home", home, "--node", rpc, "--from", "bob",
		"--to", bob.Address.String(), "--amount", "999999999")
	if err == nil || !strings.Contains(err.Error(), "insufficient_funds") {
		t.Fatalf("overspend: %v", err)
	}
}

func TestTestnetCommandWritesHomes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tn")
	out, err := runCLI(t, "testnet", "--validators", "3", "--output", dir, "--base-port", "40000", "--ceremony-beacon-delay", "7")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	// The ceremony parameters reach the genesis (the trial's short beacon delay).
	var g struct {
		AppState struct {
			Params chain.Params `json:"params"`
		} `json:"app_state"`
	}
	if b, err := os.ReadFile(filepath.Join(dir, "node0", "config", "genesis.json")); err != nil || json.Unmarshal(b, &g) != nil {
		t.Fatalf("genesis: %v", err)
	}
	if p := g.AppState.Params; p.CeremonyBeaconDelay != 7 || p.CeremonyMinContributors != chain.DefaultParams().CeremonyMinContributors {
		t.Errorf("genesis ceremony params: beacon delay %d, min contributors %d", p.CeremonyBeaconDelay, p.CeremonyMinContributors)
	}
	seen := map[string]bool{}
	for i := 0; i < 3; i++ {
		home := filepath.Join(dir, fmt.Sprintf("node%d", i))
		c, err := node.LoadConfig(home)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range []string{c.P2PListen, c.RPCListen} {
			if seen[a] {
				t.Errorf("address %s used twice", a)
			}
			seen[a] = true
		}
		if strings.Count(c.PersistentPeers, "@127.0.0.1:") != 2 {
			t.Errorf("node%d peers %q", i, c.PersistentPeers)
		}
		g0, _ := os.ReadFile(filepath.Join(dir, "node0", "config", "genesis.json"))
		gi, _ := os.ReadFile(filepath.Join(home, "config", "genesis.json"))
		if !bytes.Equal(g0, gi) || len(g0) == 0 {
			t.Errorf("node%d genesis differs", i)
		}
	}
}
