package main

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/veritensor/veritensor/chain"
	"github.com/veritensor/veritensor/chain/node"
)

// TestSubnetCreateTaskCLI: a proof-less task spec goes on chain with
// 'subnet create --task' (no ceremony), and 'task inspect --subnet N
// --node' reads it back, checked against the subnet's task hash.
func TestSubnetCreateTaskCLI(t *testing.T) {
	home := t.TempDir()
	ports := freeTCPPorts(t, 2)
	rpc := fmt.Sprintf("tcp://127.0.0.1:%d", ports[1])
	if out, err := runCLI(t, "init", "--home", home, "--chain-id", "task-cli", "--p2p",
		fmt.Sprintf("tcp://127.0.0.1:%d", ports[0]), "--rpc", rpc); err != nil {
		t.Fatalf("init: %v\n%s", err, out)
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
	spec := filepath.Join(t.TempDir(), "task.json")
	var made taskResult
	out, err := runCLI(t, "task", "init", "--from", "mnist-7x7", "--name", "big-model", "--no-proof", "--out", spec, "-o", "json")
	if err != nil || json.Unmarshal([]byte(out), &made) != nil {
		t.Fatalf("task init: %v\n%s", err, out)
	}
	// A proof-less task names no ceremony.
	if out, err := runCLI(t, "subnet", "create", "--home", home, "--node", rpc, "--from", "validator", "--name", "pl",
		"--task", spec, "--ceremony", "3"); err == nil || !strings.Contains(err.Error(), "no ceremony") {
		t.Fatalf("proof-less task with --ceremony: %v\n%s", err, out)
	}
	if out, err := runCLI(t, "subnet", "create", "--home", home, "--node", rpc, "--from", "validator", "--name", "pl",
		"--task", spec, "--tempo", "50", "--timeout", "60s"); err != nil {
		t.Fatalf("subnet create --task: %v\n%s", err, out)
	}
	var got taskResult
	out, err = runCLI(t, "task", "inspect", "--subnet", "0", "--node", rpc, "-o", "json")
	if err != nil || json.Unmarshal([]byte(out), &got) != nil {
		t.Fatalf("task inspect --subnet: %v\n%s", err, out)
	}
	if got.Hash != made.Hash || got.Spec.Name != "big-model" || got.Spec.RequireProof || !got.OnChain || got.Subnet == nil || *got.Subnet != 0 {
		t.Fatalf("task inspect --subnet 0: %+v, made %+v", got, made)
	}
	var si chain.SubnetInfo
	out, err = runCLI(t, "query", "subnet", "0", "--node", rpc, "-o", "json")
	if err != nil || json.Unmarshal([]byte(out), &si) != nil {
		t.Fatalf("query subnet: %v\n%s", err, out)
	}
	if !si.Task.Proofless || si.Hyper.RequireProof || si.Task.TaskHash == nil || si.Task.TaskHash.String() != made.Hash || len(si.VK) != 0 {
		t.Fatalf("subnet %+v", si)
	}
	out, err = runCLI(t, "task", "inspect", "--subnet", "0", "--node", rpc)
	if err != nil || !strings.Contains(out, "require proof: false") || !strings.Contains(out, "spec on chain") {
		t.Fatalf("task inspect text: %v\n%s", err, out)
	}
	if _, err := runCLI(t, "task", "inspect", "--subnet", "7", "--node", rpc); err == nil {
		t.Fatal("task inspect of a missing subnet succeeded")
	}
}
