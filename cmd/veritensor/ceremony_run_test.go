package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cmtcfg "github.com/cometbft/cometbft/config"

	"github.com/veritensor/veritensor/chain"
	"github.com/veritensor/veritensor/chain/keys"
	"github.com/veritensor/veritensor/chain/node"
	"github.com/veritensor/veritensor/internal/ceremonydir"
)

// TestCeremonyRunCommand: `veritensor ceremony run` runs a whole two-phase
// ceremony for a small circuit against a real node with two contributors
// from the keyring, writes the transcript into --dir, and prints IDs that
// `subnet create --ceremony` accepts; `ceremony verify --subnet` then
// verifies the recorded transcript from that directory. Too few distinct
// contributors is refused before anything is opened.
func TestCeremonyRunCommand(t *testing.T) {
	home := t.TempDir()
	ports := freeTCPPorts(t, 2)
	rpc := fmt.Sprintf("tcp://127.0.0.1:%d", ports[1])
	if out, err := runCLI(t, "init", "--home", home, "--chain-id", "ceremony-run", "--p2p",
		fmt.Sprintf("tcp://127.0.0.1:%d", ports[0]), "--rpc", rpc, "--ceremony-beacon-delay", "5"); err != nil {
		t.Fatalf("init: %v\n%s", err, out)
	}
	out, err := runCLI(t, "keys", "add", "--home", home, "-o", "json", "alice")
	var alice keys.Info
	if err != nil || json.Unmarshal([]byte(out), &alice) != nil {
		t.Fatalf("keys add: %q %v", out, err)
	}
	// Short blocks: the run waits ceremony_beacon_delay blocks twice.
	n, err := node.New(home, node.Options{Override: func(c *cmtcfg.Config) { c.Consensus.TimeoutCommit = 200 * time.Millisecond }})
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
	if out, err := runCLI(t, "tx", "transfer", "--home", home, "--node", rpc, "--from", "validator", "--to", "alice", "--amount", "1000000"); err != nil {
		t.Fatalf("transfer: %v\n%s", err, out)
	}
	dir := filepath.Join(t.TempDir(), "ceremony")

	// One distinct contributor (named twice) is refused up front.
	_, err = runCLI(t, "ceremony", "run", "--home", home, "--node", rpc, "--from", "validator", "--arch", "16-8-4",
		"--contributors", "alice,alice", "--dir", dir)
	if err == nil || !strings.Contains(err.Error(), "ceremony_min_contributors") {
		t.Fatalf("one distinct contributor: %v", err)
	}

	out, err = runCLI(t, "ceremony", "run", "--home", home, "--node", rpc, "--from", "validator", "--arch", "16-8-4",
		"--contributors", "validator,alice", "--dir", dir, "-o", "json")
	if err != nil {
		t.Fatalf("ceremony run: %v\n%s", err, out)
	}
	// Progress lines go to the error writer (here the same buffer); the
	// JSON is the last thing printed.
	if !strings.Contains(out, "waiting for the beacon") {
		t.Errorf("no progress lines in %q", out)
	}
	var res ceremonyRunOut
	if err := json.Unmarshal([]byte(out[strings.LastIndex(out, "\n{")+1:]), &res); err != nil {
		t.Fatalf("ceremony run -o json: %v\n%s", err, out)
	}
	if res.Phase1 != 0 || res.Phase2 != 1 || res.Arch != "16-8-4" || len(res.Contributors) != 2 || res.Contributors[1] != alice.Address || res.VKHash.IsZero() {
		t.Fatalf("result %+v", res)
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.ceremony"))
	if err != nil || len(files) != 8 { // per phase: init, 2 contributions, sealed
		t.Fatalf("transcript files %v %v", files, err)
	}
	var ci chain.CeremonyInfo
	out, err = runCLI(t, "query", "ceremony", "1", "--node", rpc, "-o", "json")
	if err != nil || json.Unmarshal([]byte(out), &ci) != nil {
		t.Fatalf("query ceremony: %v %q", err, out)
	}
	if !ci.Sealed || ci.DistinctContributors != 2 || ci.Source != dir || ci.VKHash != res.VKHash {
		t.Fatalf("ceremony %+v", ci)
	}
	if _, err := os.Stat(filepath.Join(dir, ceremonydir.FileName(ci.Output))); err != nil {
		t.Fatal(err)
	}
	if out, err := runCLI(t, "subnet", "create", "--home", home, "--node", rpc, "--from", "validator", "--name", "run",
		"--arch", "16-8-4", "--ceremony", "1", "--tempo", "50", "--timeout", "60s"); err != nil {
		t.Fatalf("subnet create: %v\n%s", err, out)
	}
	if out, err := runCLI(t, "ceremony", "verify", "--subnet", "0", "--node", rpc); err != nil {
		t.Fatalf("ceremony verify --subnet 0: %v\n%s", err, out)
	}

	// The commit scheme: a second run with a phase 2 of the commit
	// circuit; the subnet created on it proves under
	// the commit scheme, and its ceremony verifies (internal/ceremonyverify
	// compiles the commit circuit and caches its keys under that scheme).
	out, err = runCLI(t, "ceremony", "run", "--home", home, "--node", rpc, "--from", "validator", "--arch", "16-8-4",
		"--scheme", "commit", "--contributors", "validator,alice", "--dir", dir, "-o", "json")
	if err != nil {
		t.Fatalf("ceremony run --scheme commit: %v\n%s", err, out)
	}
	var cres ceremonyRunOut
	if err := json.Unmarshal([]byte(out[strings.LastIndex(out, "\n{")+1:]), &cres); err != nil {
		t.Fatalf("ceremony run -o json: %v\n%s", err, out)
	}
	if cres.Scheme != "commit" || cres.Phase2 <= res.Phase2 {
		t.Fatalf("commit run %+v", cres)
	}
	if out, err := runCLI(t, "subnet", "create", "--home", home, "--node", rpc, "--from", "validator", "--name", "run-commit",
		"--arch", "16-8-4", "--ceremony", fmt.Sprint(cres.Phase2), "--tempo", "50", "--timeout", "60s"); err != nil {
		t.Fatalf("subnet create on the commit ceremony: %v\n%s", err, out)
	}
	var si chain.SubnetInfo
	out, err = runCLI(t, "query", "subnet", "1", "--node", rpc, "-o", "json")
	if err != nil || json.Unmarshal([]byte(out), &si) != nil || si.Scheme != "commit" {
		t.Fatalf("query subnet 1: %v %q", err, out)
	}
	if out, err := runCLI(t, "ceremony", "verify", "--subnet", "1", "--node", rpc, "-o", "json"); err != nil || !strings.Contains(out, `"verified": true`) {
		t.Fatalf("ceremony verify --subnet 1: %v\n%s", err, out)
	}
}
