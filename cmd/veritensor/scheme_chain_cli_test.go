package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/veritensor/veritensor/chain"
	"github.com/veritensor/veritensor/chain/keys"
	"github.com/veritensor/veritensor/chain/node"
	"github.com/veritensor/veritensor/internal/keycache"
	"github.com/veritensor/veritensor/zk"
)

// TestCommitSchemeCLIOnChain runs a commit-scheme subnet through the CLI on
// a one-node chain: `tx ceremony-open --scheme commit` (the phase 2's
// circuit is the commit circuit, which `query ceremony` and `query subnet`
// name), the ceremony sealed with commit-circuit keys, `subnet create`,
// `tx serve --model` registering the model point made with the subnet's
// key from --keys-dir (what `model inspect --scheme commit` prints), and
// `tx submit-proof` proving with the commit circuit: the chain accepts it.
// Without the subnet's key in --keys-dir, serve says why it needs it.
func TestCommitSchemeCLIOnChain(t *testing.T) {
	if testing.Short() {
		t.Skip("real node")
	}
	home := t.TempDir()
	ports := freeTCPPorts(t, 2)
	rpc := fmt.Sprintf("tcp://127.0.0.1:%d", ports[1])
	if out, err := runCLI(t, "init", "--home", home, "--chain-id", "scheme-cli", "--p2p",
		fmt.Sprintf("tcp://127.0.0.1:%d", ports[0]), "--rpc", rpc, "--ceremony-beacon-delay", "3"); err != nil {
		t.Fatalf("init: %v\n%s", err, out)
	}
	out, err := runCLI(t, "keys", "add", "--home", home, "-o", "json", "hot")
	var hot keys.Info
	if err != nil || json.Unmarshal([]byte(out), &hot) != nil {
		t.Fatalf("keys add: %q %v", out, err)
	}
	n, err := node.New(home, node.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(); err != nil {
		t.Fatal(err)
	}
	defer n.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := n.WaitHeight(ctx, 1); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) string {
		t.Helper()
		out, err := runCLI(t, args...)
		if err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(args[:2], " "), err, out)
		}
		return out
	}
	tx := func(args ...string) string {
		return run(append(append([]string{"tx"}, args...), "--home", home, "--node", rpc, "-o", "json")...)
	}
	q := func(out any, args ...string) {
		t.Helper()
		s := run(append(append([]string{"query"}, args...), "--node", rpc, "-o", "json")...)
		if err := json.Unmarshal([]byte(s), out); err != nil {
			t.Fatalf("query %v: %q: %v", args, s, err)
		}
	}
	model := filepath.Join(t.TempDir(), "m.vtm")
	keysDir := filepath.Join(t.TempDir(), "keys")
	writeTestModel(t, schemeCLIArch, model)
	kc, _ := keycache.New(keysDir)
	arch, _ := zk.ParseArch(schemeCLIArch)
	ks, err := kc.GetScheme(zk.SchemeCommit, arch, nil)
	if err != nil {
		t.Fatal(err)
	}
	vkFile := filepath.Join(t.TempDir(), "vk")
	if err := os.WriteFile(vkFile, ks.VK, 0o644); err != nil {
		t.Fatal(err)
	}
	tx("transfer", "--from", "validator", "--to", hot.Address.String(), "--amount", "1000000")
	hx := func(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }
	for i, phase := range []string{"1", "2"} {
		open := []string{"ceremony-open", "--from", "validator", "--phase", phase, "--init", hx("init" + phase), "--source", "/srv/c"}
		if phase == "1" {
			open = append(open, "--power", "12")
		} else {
			open = append(open, "--arch", schemeCLIArch, "--scheme", "commit", "--phase1", "0")
		}
		tx(open...)
		id := strconv.Itoa(i)
		tx("ceremony-contribute", "--from", "validator", "--ceremony", id, "--hash", hx("a"+phase))
		tx("ceremony-contribute", "--from", "hot", "--ceremony", id, "--hash", hx("b"+phase))
		var ci chain.CeremonyInfo
		for ci.Beacon.IsZero() {
			time.Sleep(300 * time.Millisecond)
			q(&ci, "ceremony", id)
		}
		seal := []string{"ceremony-seal", "--from", "validator", "--ceremony", id, "--sealed", hx("sealed" + phase)}
		if phase == "2" {
			seal = append(seal, "--vk", vkFile, "--pk-hash", hex.EncodeToString(ks.PKHash[:]))
		}
		tx(seal...)
	}
	var ci chain.CeremonyInfo
	q(&ci, "ceremony", "1")
	if id := zk.CommitCircuitID(arch); ci.CircuitID != chain.Hash32(id) || !ci.Sealed {
		t.Fatalf("ceremony %+v, want the commit circuit %x", ci, id[:8])
	}
	if out := run("query", "ceremony", "1", "--node", rpc); !strings.Contains(out, schemeCLIArch+" commit") {
		t.Fatalf("query ceremony text:\n%s", out)
	}
	run("subnet", "create", "--home", home, "--node", rpc, "--from", "validator", "--name", "commit-cli",
		"--arch", schemeCLIArch, "--ceremony", "1", "--tempo", "50",
		"--commit-reveal=false", "--weights-rate-limit", "1", "--min-validator-stake", "0", "--timeout", "60s")
	if out := run("query", "subnet", "0", "--node", rpc); !strings.Contains(out, "scheme commit") {
		t.Fatalf("query subnet text:\n%s", out)
	}
	tx("register", "--from", "validator", "--hotkey", hot.Address.String(), "--subnet", "0")
	if _, err := runCLI(t, "tx", "serve", "--home", home, "--node", rpc, "--from", "hot", "--subnet", "0", "--endpoint", "http://127.0.0.1:9",
		"--model", model, "--keys-dir", t.TempDir()); err == nil || !strings.Contains(err.Error(), "depends on its proving key") {
		t.Fatalf("serve without the subnet's key: %v", err)
	}
	tx("serve", "--from", "hot", "--subnet", "0", "--endpoint", "http://127.0.0.1:9", "--model", model, "--hardware", "cpu", "--keys-dir", keysDir)
	tx("submit-proof", "--from", "hot", "--subnet", "0", "--model", model, "--keys-dir", keysDir, "--timeout", "60s")

	var mg chain.Metagraph
	q(&mg, "metagraph", "0")
	var insp inspectModelResult
	if err := json.Unmarshal([]byte(run("model", "inspect", "--model", model, "--scheme", "commit", "--keys-dir", keysDir, "-o", "json")), &insp); err != nil {
		t.Fatal(err)
	}
	if len(mg.Neurons) != 1 || mg.Neurons[0].ModelCommitment.String() != insp.Commitment || !mg.Neurons[0].ProofOK {
		t.Fatalf("metagraph %+v, want the model point %s and an accepted proof", mg.Neurons, insp.Commitment)
	}
}
