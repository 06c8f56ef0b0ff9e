package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
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

// writeTestModel writes a valid random model of arch to a .vtm file.
func writeTestModel(t *testing.T, arch string, path string) *zk.Model {
	t.Helper()
	a, err := zk.ParseArch(arch)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(5, 5))
	m := &zk.Model{Arch: a, Layers: make([]zk.Layer, a.Layers())}
	for l := range m.Layers {
		ly := zk.Layer{Weights: make([]int8, a.Sizes[l]*a.Sizes[l+1]), Biases: make([]int32, a.Sizes[l+1])}
		for i := range ly.Weights {
			ly.Weights[i] = int8(r.IntN(256) - 128)
		}
		if l < len(m.Layers)-1 {
			ly.Shift = 7
		}
		m.Layers[l] = ly
	}
	b, err := m.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestProtocolCommands drives the subnet protocol through the CLI against a
// real single-validator node: subnet create (with a small circuit's setup),
// register, stake, serve, set-weights, submit-proof, and the queries in
// JSON; a bad transaction fails with its code.
func TestProtocolCommands(t *testing.T) {
	home := t.TempDir()
	ports := freeTCPPorts(t, 2)
	rpc := fmt.Sprintf("tcp://127.0.0.1:%d", ports[1])
	if out, err := runCLI(t, "init", "--home", home, "--chain-id", "proto-cli", "--p2p",
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
		// Flags after the positional arguments, as the docs write them.
		s := run(append(append([]string{"query"}, args...), "--node", rpc, "-o", "json")...)
		if err := json.Unmarshal([]byte(s), out); err != nil {
			t.Fatalf("query %v: %q: %v", args, s, err)
		}
	}
	model := filepath.Join(t.TempDir(), "m.vtm")
	keysDir := filepath.Join(t.TempDir(), "keys")
	m := writeTestModel(t, "16-8-4", model)

	// The ceremony's transactions through the CLI: two contributors
	// (validator and hot), stand-in transcript hashes (the chain records
	// hashes only) and the keys of a local setup as the sealed keys.
	kc, err := keycache.New(keysDir)
	if err != nil {
		t.Fatal(err)
	}
	arch, _ := zk.ParseArch("16-8-4")
	ks, err := kc.Get(arch, nil)
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
			open = append(open, "--arch", "16-8-4", "--phase1", "0")
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
	if !ci.Sealed || ci.DistinctContributors != 2 || ci.PKHash != chain.Hash32(ks.PKHash) || len(ci.VK) == 0 {
		t.Fatalf("ceremony %+v", ci)
	}
	run("subnet", "create", "--home", home, "--node", rpc, "--from", "validator", "--name", "cli",
		"--arch", "16-8-4", "--ceremony", "1", "--tempo", "50",
		"--commit-reveal=false", "--weights-rate-limit", "1", "--min-validator-stake", "0", "--timeout", "60s")
	// Key arguments take a name or an address on every command.
	tx("register", "--from", "validator", "--hotkey", hot.Address.String(), "--subnet", "0")
	tx("stake", "--from", "validator", "--subnet", "0", "--hotkey", "hot", "--amount", "700")
	tx("stake", "--from", "validator", "--subnet", "0", "--hotkey", hot.Address.String(), "--amount", "77")
	tx("serve", "--from", hot.Address.String(), "--subnet", "0", "--endpoint", "http://127.0.0.1:9", "--model", model, "--hardware", "cpu")
	tx("set-weights", "--from", "hot", "--subnet", "0", "--weights", "0:100")
	// Keys from another setup of the same circuit do not match the
	// verifying key on chain: refused.
	_, err = runCLI(t, "tx", "submit-proof", "--home", home, "--node", rpc, "--from", "hot", "--subnet", "0",
		"--model", model, "--keys-dir", filepath.Join(t.TempDir(), "other"), "--timeout", "60s")
	if err == nil || !strings.Contains(err.Error(), "proof_invalid") {
		t.Fatalf("proof with another setup's key: %v", err)
	}
	tx("submit-proof", "--from", "hot", "--subnet", "0", "--model", model, "--keys-dir", keysDir, "--timeout", "60s")

	var subnets chain.SubnetsInfo
	q(&subnets, "subnets")
	if len(subnets.Subnets) != 1 || subnets.Subnets[0].Task.Arch != "16-8-4" || subnets.Subnets[0].Hyper.CommitReveal {
		t.Fatalf("subnets %+v", subnets)
	}
	var mg chain.Metagraph
	q(&mg, "metagraph", "0")
	if len(mg.Neurons) != 1 || mg.Neurons[0].Hotkey != hot.Address || mg.Neurons[0].Stake != 777 ||
		mg.Neurons[0].ModelCommitment != chain.Hash32(m.Commitment()) || !mg.Neurons[0].ProofOK || !mg.Neurons[0].ValidatorPermit {
		t.Fatalf("metagraph %+v", mg.Neurons)
	}
	var ni chain.NeuronInfo
	q(&ni, "neuron", "0", hot.Address.String())
	if ni.UID != 0 || ni.Endpoint != "http://127.0.0.1:9" {
		t.Fatalf("neuron %+v", ni)
	}
	var wi chain.WeightsInfo
	q(&wi, "weights", "0")
	if len(wi.Rows) != 1 || wi.Rows[0].Weights[0].Value != 65535 {
		t.Fatalf("weights %+v", wi)
	}
	var ep chain.EpochInfo
	q(&ep, "epoch", "0")
	if ep.Seed.IsZero() || ep.NextEpochHeight != ep.StartHeight+50 {
		t.Fatalf("epoch %+v", ep)
	}
	// JSON prints keys and byte strings in hex, never base64.
	var raw struct {
		Subnet  struct{ VK string } `json:"subnet"`
		Neurons []struct {
			HotkeyPub string `json:"hotkey_pub"`
		} `json:"neurons"`
	}
	q(&raw, "metagraph", "0")
	if _, err := hex.DecodeString(raw.Neurons[0].HotkeyPub); err != nil || len(raw.Neurons[0].HotkeyPub) != 64 {
		t.Fatalf("hotkey_pub %q is not 64 hex digits", raw.Neurons[0].HotkeyPub)
	}
	var sub struct{ VK string }
	q(&sub, "subnet", "0")
	if _, err := hex.DecodeString(sub.VK); err != nil || sub.VK == "" {
		t.Fatalf("vk %.40q... is not hex", sub.VK)
	}
	if out := run("query", "subnet", "0", "--node", rpc); !strings.Contains(out, "tempo") || !strings.Contains(out, "50 blocks") ||
		strings.Contains(out, "{Tempo:") {
		t.Fatalf("query subnet text:\n%s", out)
	}
	var ni2 chain.NeuronInfo
	q(&ni2, "neuron", "0", "hot", "--home", home)
	if ni2.Hotkey != hot.Address {
		t.Fatalf("neuron by key name: %+v", ni2)
	}
	// A query the node refuses says why, not "tx rejected".
	if _, err := runCLI(t, "query", "emissions", "0", "--node", rpc); err == nil || strings.Contains(err.Error(), "tx rejected") ||
		!strings.Contains(err.Error(), "not_found") || !errors.Is(err, chain.ErrNotFound) {
		t.Fatalf("query emissions before the first epoch end: %v", err)
	}
	var tk chain.Tokenomics
	q(&tk, "tokenomics")
	if tk.TotalStake != 777 || tk.Burned == 0 {
		t.Fatalf("tokenomics %+v", tk)
	}
	// A duplicate proof is refused with its code.
	_, err = runCLI(t, "tx", "submit-proof", "--home", home, "--node", rpc, "--from", "hot", "--subnet", "0",
		"--model", model, "--keys-dir", keysDir, "--timeout", "60s")
	if err == nil || !strings.Contains(err.Error(), "proof_duplicate") {
		t.Fatalf("duplicate proof: %v", err)
	}
	if _, err := runCLI(t, "tx", "unstake", "--home", home, "--node", rpc, "--from", "validator", "--subnet", "0",
		"--hotkey", hot.Address.String(), "--amount", "778"); err == nil || !strings.Contains(err.Error(), "stake_underflow") {
		t.Fatalf("unstake too much: %v", err)
	}
}
