package devnet

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"github.com/veritensor/veritensor/chain"
	"github.com/veritensor/veritensor/chain/client"
	"github.com/veritensor/veritensor/internal/ceremonyrun"
	"github.com/veritensor/veritensor/internal/ceremonyverify"
	"github.com/veritensor/veritensor/internal/keycache"
	"github.com/veritensor/veritensor/miner"
	"github.com/veritensor/veritensor/validator"
	"github.com/veritensor/veritensor/zk"
)

// The devnet's setup ceremony stage (before subnet-create): the subnet
// owner and both scoring validators' owners contribute to phase 1 and phase
// 2 (3 contributions each, plus the chain's beacons), and the subnet is
// created from the sealed phase 2. Every daemon then verifies the whole
// transcript before it works (the same check as `veritensor miner|validator
// run`), once per machine: the verdict and the verified keys are cached in
// ceremonyverify.DefaultDir, and the nine daemons wait on one lock.
//
// What is cached between runs, and why it is sound: phase-1 contributions
// depend on nothing but the previous file, so the first run's three phase-1
// files (content-addressed, in <ceremony dir>/devnet-phase1) are recorded
// again on every new chain, signed by the same deterministic keys that made
// them; only the phase-1 seal, which needs the new chain's beacon, is
// redone. Phase 2 builds on that seal, so its files (in <home>/ceremony)
// are new each run. A resumed devnet (same --home) reuses its subnet and
// ceremony and finds the verdict cached.

// devnetParams are the devnet's chain parameters: the defaults with a
// beacon delay that leaves room for recording the contributions (the files
// are computed before each ceremony is opened).
func devnetParams() *chain.Params {
	p := chain.DefaultParams()
	p.CeremonyBeaconDelay = 8
	return &p
}

// ceremonyDir is the machine-wide ceremony cache.
func ceremonyDir() (string, error) {
	d, err := ceremonyverify.DefaultDir()
	if err != nil {
		return "", err
	}
	return filepath.Abs(d)
}

// ensureCeremony runs the devnet's ceremony and returns its phase-2 ID.
func ensureCeremony(ctx context.Context, c *client.Client, s *state, home string, say func(string, ...any)) (uint32, error) {
	arch, err := zk.ParseArch(s.Arch)
	if err != nil {
		return 0, err
	}
	dir, err := ceremonyDir()
	if err != nil {
		return 0, err
	}
	abs, err := filepath.Abs(home)
	if err != nil {
		return 0, err
	}
	start := time.Now()
	owner := subnetOwnerKey()
	say("setup ceremony for %s (%s scheme): the subnet owner and both validators contribute", arch, s.Scheme)
	spec := ceremonyrun.Spec{Arch: arch, Scheme: s.Scheme, Owner: owner,
		Contributors: []ed25519.PrivateKey{owner, validatorOwnerKey(0), validatorOwnerKey(1)},
		Phase1Dir:    filepath.Join(dir, "devnet-phase1"), Phase2Dir: filepath.Join(abs, "ceremony"), Fee: fee,
		Say: func(f string, a ...any) {
			say("  %7s  "+f, append([]any{time.Since(start).Round(10 * time.Millisecond)}, a...)...)
		}}
	res, err := ceremonyrun.Run(ctx, c, spec)
	if err != nil {
		return 0, fmt.Errorf("devnet: setup ceremony: %w", err)
	}
	who := map[chain.Address]string{addr(owner): "subnet owner", addr(validatorOwnerKey(0)): "validator 0", addr(validatorOwnerKey(1)): "validator 1"}
	for _, ci := range []chain.CeremonyInfo{res.Phase1, res.Phase2} {
		what := fmt.Sprintf("phase 1 (2^%d)", ci.Power)
		if ci.Phase == chain.CeremonyPhase2 {
			what = "phase 2 (" + ci.Arch + ", " + s.Scheme.String() + " scheme)"
		}
		say("ceremony %d, %s, files in %s:", ci.ID, what, ci.Source)
		say("  init          %s", ci.Init)
		for i, k := range ci.Contributions {
			say("  contribution %d %s  by %s (%s)", i+1, k.Hash, who[k.Contributor], k.Contributor)
		}
		say("  beacon        %s  (hash of block %d)", ci.Beacon, ci.BeaconHeight)
		say("  sealed        %s", ci.Output)
	}
	reused := "computed"
	if res.Phase1Reused {
		reused = "reused from " + filepath.Join(dir, "devnet-phase1")
	}
	say("ceremony sealed in %v (phase-1 contributions %s): vk %s, pk %s", time.Since(start).Round(10*time.Millisecond),
		reused, res.Phase2.VKHash, res.Phase2.PKHash)
	if s.Batch != 0 {
		if err := batchCeremony(spec, s.Batch, res, dir, abs, say); err != nil {
			return 0, err
		}
	}
	return res.Phase2.ID, nil
}

// batchCeremony sets up the batch circuit of k inputs for the validators'
// batches (Options.Batch): its own ceremony off chain, by the same three
// contributors, sealed with the beacons the chain drew for the subnet's
// ceremony (ceremonyrun.RunBatch). Its keys are kept machine-wide in
// <ceremony dir>/devnet-batch and reused by later devnets, as the phase-1
// contributions are (a batch circuit's phase 1 is 2^15 for k = 16: four
// times the 49-16-10 circuit's, minutes of CPU on 2 cores), then copied
// into the devnet's own key cache, <home>/batch-keys, where its miners and
// validators load them.
func batchCeremony(spec ceremonyrun.Spec, k int, res *ceremonyrun.Result, dir, home string, say func(string, ...any)) error {
	start := time.Now()
	br, err := ceremonyrun.RunBatch(ceremonyrun.BatchSpec{Spec: spec, K: k, Dir: filepath.Join(dir, "devnet-batch"),
		Beacon1: res.Phase1.Beacon, Beacon2: res.Phase2.Beacon})
	if err != nil {
		return fmt.Errorf("devnet: batch ceremony: %w", err)
	}
	src, err := keycache.New(br.Dir)
	if err != nil {
		return err
	}
	keys, err := src.LoadBatch(spec.Arch, k)
	if err != nil {
		return fmt.Errorf("devnet: batch keys: %w", err)
	}
	dst, err := keycache.New(batchKeysDir(home))
	if err != nil {
		return err
	}
	if _, err := dst.StoreBatch(spec.Arch, k, keys.PK, keys.VK); err != nil {
		return fmt.Errorf("devnet: store the batch keys: %w", err)
	}
	how := fmt.Sprintf("set up in %v", time.Since(start).Round(10*time.Millisecond))
	if br.Reused {
		how = "reused from " + br.Dir + " (set up by an earlier devnet on this machine)"
	}
	say("batch circuit of %d inputs (%s, off chain, the same 3 contributors): %s", k, spec.Arch, how)
	say("  phase 1 (2^%d) files: %s; beacon %s", br.Log2, shortHashes(br.Phase1), br.Beacon1.String()[:16])
	say("  phase 2 files:        %s; beacon %s", shortHashes(br.Phase2), br.Beacon2.String()[:16])
	say("  keys in %s: vk %s, pk %s", dst.BatchPath(spec.Arch, k), br.VKHash, br.PKHash)
	return nil
}

func shortHashes(hs []chain.Hash32) string {
	var out []string
	for _, h := range hs {
		out = append(out, h.String()[:12])
	}
	return strings.Join(out, " ")
}

// setupChecks are the daemons' "verify the ceremony before work" hooks.
func setupChecks(node string, log *slog.Logger) (miner.SetupCheck, validator.SetupCheck) {
	verify := func(ctx context.Context, si chain.SubnetInfo) (string, error) {
		cl, err := client.New(node)
		if err != nil {
			return "", err
		}
		dir, err := ceremonyDir()
		if err != nil {
			return "", err
		}
		v, err := ceremonyverify.Subnet(ctx, cl, si, ceremonyverify.Options{Dir: dir,
			Log: func(f string, a ...any) { log.Info(fmt.Sprintf(f, a...)) }})
		if err != nil {
			return "", err
		}
		return v.KeysDir, nil
	}
	return verify, func(ctx context.Context, si chain.SubnetInfo) error { _, err := verify(ctx, si); return err }
}

// CeremonySummary is the subnet's setup ceremony in the devnet's result.
type CeremonySummary struct {
	// Phase1 and Phase2 are the ceremony IDs.
	Phase1 uint32 `json:"phase1"`
	Phase2 uint32 `json:"phase2"`
	// Phase1Files and Phase2Files are the recorded transcript hashes: init,
	// each contribution, the sealed file.
	Phase1Files []chain.Hash32 `json:"phase1_files"`
	Phase2Files []chain.Hash32 `json:"phase2_files"`
	// Beacon1 and Beacon2 are the beacons the chain derived.
	Beacon1 chain.Hash32 `json:"beacon1"`
	Beacon2 chain.Hash32 `json:"beacon2"`
	// Contributors of phase 2, in order.
	Contributors []chain.Address `json:"contributors"`
	VKHash       chain.Hash32    `json:"vk_hash"`
	PKHash       chain.Hash32    `json:"pk_hash"`
}

// ceremonySummary reads the subnet's ceremony from the chain.
func ceremonySummary(ctx context.Context, c *client.Client, subnet uint16) (*CeremonySummary, error) {
	si, err := c.Subnet(ctx, subnet)
	if err != nil {
		return nil, err
	}
	p2, err := c.Ceremony(ctx, si.Task.Ceremony)
	if err != nil {
		return nil, err
	}
	p1, err := c.Ceremony(ctx, p2.Phase1)
	if err != nil {
		return nil, err
	}
	cs := &CeremonySummary{Phase1: p1.ID, Phase2: p2.ID, Phase1Files: append(p1.Transcript(), p1.Output),
		Phase2Files: append(p2.Transcript(), p2.Output), Beacon1: p1.Beacon, Beacon2: p2.Beacon, VKHash: p2.VKHash, PKHash: p2.PKHash}
	for _, k := range p2.Contributions {
		cs.Contributors = append(cs.Contributors, k.Contributor)
	}
	return cs, nil
}

// writeText prints the summary (part of Result.WriteText).
func (cs *CeremonySummary) writeText(w io.Writer) {
	fmt.Fprintf(w, "setup ceremony: phase 1 #%d, phase 2 #%d, %d contributors, vk %s, pk %s\n", cs.Phase1, cs.Phase2,
		len(cs.Contributors), cs.VKHash, cs.PKHash)
	for i, ph := range [][]chain.Hash32{cs.Phase1Files, cs.Phase2Files} {
		beacon := cs.Beacon1
		if i == 1 {
			beacon = cs.Beacon2
		}
		fmt.Fprintf(w, "  phase %d files:", i+1)
		for _, h := range ph {
			fmt.Fprintf(w, " %s", h.String()[:16])
		}
		fmt.Fprintf(w, "  beacon %s\n", beacon.String()[:16])
	}
}
