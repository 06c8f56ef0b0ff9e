package validator

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestRestartBetweenCommitAndReveal commits in epoch 1 with an ambiguous
// error (the commit landed but the submitter could not tell), restarts the
// validator from its home, and checks that the new process neither rescored
// nor recommitted epoch 1, and revealed epoch 1's weights in epoch 2 with
// the salt it had only on disk.
func TestRestartBetweenCommitAndReveal(t *testing.T) {
	f := getFixture(t)
	vk := pub(key(100))
	neurons := []Neuron{
		{UID: 0, Hotkey: vk, ValidatorPermit: true},
		{UID: 1, Hotkey: pub(key(1)), ModelCommitment: f.good.Commitment(),
			Endpoint: startMiner(t, key(1), &zkProver{p: f.prover, m: f.good, hotkey: pub(key(1))}, vk)},
	}
	c := newFakeChain(f, neurons, true)
	c.ambiguousCommits = 1
	home := t.TempDir()
	one := func(cfg *Config) { cfg.Graded, cfg.Decoys = 1, 0 }
	v := newValidator(t, home, c, vk, one)
	rep, err := v.Step(context.Background())
	if err == nil || rep == nil || rep.Submit.Status != StatusPrepared {
		t.Fatalf("ambiguous commit: report %+v, err %v", rep, err)
	}
	if c.nCommit != 1 {
		t.Fatalf("%d commits", c.nCommit)
	}
	// Restart: a new engine over the same home, still in epoch 1.
	v = newValidator(t, home, c, vk, one)
	if rep, err := v.Step(context.Background()); rep != nil || err != nil {
		t.Fatalf("restart in the same epoch: %+v %v", rep, err)
	}
	if c.nCommit != 1 {
		t.Fatalf("restart resent the commit: %d commits", c.nCommit)
	}
	st, err := loadState(home, state{Version: stateVersion, ChainID: testChain, Subnet: testNet, Hotkey: vk})
	if err != nil || st.record(1) == nil || st.record(1).Status != StatusCommitted || len(st.record(1).Salt) != 64 {
		t.Fatalf("state after restart: %+v %v", st, err)
	}
	// Restart again, in epoch 2: the reveal uses the salt from disk.
	c.advance()
	v = newValidator(t, home, c, vk, one)
	rep, err = v.Step(context.Background())
	if err != nil || rep == nil || rep.Reveal == nil || rep.Reveal.Status != StatusRevealed {
		t.Fatalf("epoch 2: %+v %v", rep, err)
	}
	if row := c.revealed[1]; len(row) != 1 || row[0].UID != 1 || row[0].Value != 65535 {
		t.Fatalf("revealed %+v", row)
	}
	if c.nCommit != 2 || c.nReveal != 1 {
		t.Fatalf("%d commits, %d reveals", c.nCommit, c.nReveal)
	}
	// The state file refuses another hotkey.
	if _, err := New(Config{ChainID: testChain, Subnet: testNet, Hotkey: key(101), Home: home, Chain: c,
		Submitter: submitter{c: c}, Dataset: f.data}); !errors.Is(err, ErrState) {
		t.Fatalf("foreign state: %v", err)
	}
	// A report was written for the CLI.
	if r, err := ReadReport(home); err != nil || r.Epoch != 2 || r.Miners[0].EMA != rep.Miners[0].EMA {
		t.Fatalf("report file: %+v %v", r, err)
	}
	if _, err := os.Stat(filepath.Join(home, StateFile)); err != nil {
		t.Fatal(err)
	}
}
