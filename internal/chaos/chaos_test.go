package chaos

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
	"testing"
	"time"

	"github.com/veritensor/veritensor/chain/node"
)

// nodeEnv makes the test binary a node process: the runner starts this same
// binary with it set, so the test needs no separately built veritensor (the
// node code is the same `veritensor start` runs).
const nodeEnv = "VERITENSOR_CHAOS_TEST_NODE"

func TestMain(m *testing.M) {
	if home := os.Getenv(nodeEnv); home != "" {
		os.Exit(runNode(home))
	}
	os.Exit(m.Run())
}

func runNode(home string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	n, err := node.New(home, node.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := n.Start(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		n.Stop()
		return 1
	}
	<-ctx.Done()
	if err := n.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

func testNodeCommand(home string) *exec.Cmd {
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), nodeEnv+"="+home)
	return cmd
}

// TestChaosShort runs a short seeded schedule on 4 node processes: a kill, a
// pause and both partitions (what fits in well under 2 minutes on 2 cores),
// and requires every check to pass.
func TestChaosShort(t *testing.T) {
	if testing.Short() {
		t.Skip("starts 4 node processes for about a minute")
	}
	var log bytes.Buffer
	rep, err := Run(context.Background(), Options{
		Nodes: 4, Seed: 1, Duration: 30 * time.Second, Hold: 3 * time.Second, Baseline: 6 * time.Second,
		Faults:      []string{Kill, Pause, Partition13, Partition22},
		NodeCommand: testNodeCommand, Log: &log, Senders: 16, Rate: 100, Depth: 8,
	})
	if err != nil {
		t.Fatal(err)
	}
	var text bytes.Buffer
	_ = rep.WriteText(&text)
	t.Logf("progress:\n%s\nreport:\n%s", log.String(), text.String())
	if !rep.Pass {
		t.Fatalf("%d checks failed: first: %s", len(rep.Failures), rep.Failures[0])
	}
	if len(rep.Schedule) < 3 {
		t.Errorf("only %d faults applied in 30 s", len(rep.Schedule))
	}
	if rep.TxsAcked == 0 || rep.HeightsChecked < 10 {
		t.Errorf("no load or no heights checked: %d acked, %d heights", rep.TxsAcked, rep.HeightsChecked)
	}
	if _, err := json.Marshal(rep); err != nil {
		t.Fatal(err)
	}
}

// TestOptionsRejectUnknownFault: a misspelt fault is an error before any
// node starts.
func TestOptionsRejectUnknownFault(t *testing.T) {
	_, err := Run(context.Background(), Options{Faults: []string{"meteor"}})
	if err == nil {
		t.Fatal("unknown fault accepted")
	}
}
