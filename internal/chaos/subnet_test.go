package chaos

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"testing"

	"github.com/veritensor/veritensor/internal/devnet"
)

// TestComparePayouts: honest and weak miners and validators must be paid in
// both runs, cheaters in neither; a difference is a named failure.
func TestComparePayouts(t *testing.T) {
	free := &devnet.Result{
		Miners: []devnet.MinerResult{{UID: 2, Behavior: devnet.Honest, Emission: 10}, {UID: 3, Behavior: devnet.Lazy},
			{UID: 4, Behavior: devnet.Weak, Emission: 3}},
		Validators: []devnet.ValidatorResult{{UID: 0, Emission: 5}},
	}
	same := &devnet.Result{
		Miners: []devnet.MinerResult{{UID: 2, Behavior: devnet.Honest, Emission: 7}, {UID: 3, Behavior: devnet.Lazy},
			{UID: 4, Behavior: devnet.Weak, Emission: 1}},
		Validators: []devnet.ValidatorResult{{UID: 0, Emission: 4}},
	}
	rows, fails := comparePayouts(free, same, nil)
	if len(fails) != 0 || len(rows) != 4 {
		t.Fatalf("rows %+v fails %v", rows, fails)
	}
	bad := &devnet.Result{
		Miners: []devnet.MinerResult{{UID: 2, Behavior: devnet.Honest}, {UID: 3, Behavior: devnet.Lazy, Emission: 1},
			{UID: 4, Behavior: devnet.Weak, Emission: 1}},
		Validators: []devnet.ValidatorResult{{UID: 0}},
	}
	_, fails = comparePayouts(free, bad, nil)
	if len(fails) != 3 {
		t.Fatalf("want 3 failures (unpaid honest miner, paid cheater, unpaid validator), got %v", fails)
	}
}

// TestChaosSubnet runs the subnet-level schedule (two devnets with proofs:
// several minutes on 2 cores), so only when VERITENSOR_CHAOS_SUBNET=1
// (`make chaos-subnet` runs the same through the CLI).
func TestChaosSubnet(t *testing.T) {
	if os.Getenv("VERITENSOR_CHAOS_SUBNET") == "" {
		t.Skip("set VERITENSOR_CHAOS_SUBNET=1: two devnet runs, several minutes")
	}
	var log bytes.Buffer
	rep, err := RunSubnet(context.Background(), SubnetOptions{Seed: 1, Log: &log})
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	var text bytes.Buffer
	_ = rep.WriteText(&text)
	t.Logf("progress:\n%s\nreport:\n%s", log.String(), text.String())
	if !rep.Pass {
		t.Fatalf("%d checks failed: %v", len(rep.Failures), rep.Failures)
	}
	if _, err := json.Marshal(rep); err != nil {
		t.Fatal(err)
	}
}
