package validator

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/veritensor/veritensor/internal/keycache"
	"github.com/veritensor/veritensor/miner/api"
	"github.com/veritensor/veritensor/zk"
)

// Batch queries: when the validator has the batch circuit's verifying key for
// a miner's number of challenges (Config.BatchVerifiers), it sends them all in
// one POST /v2/infer, graded and decoys mixed in the plan's shuffled order,
// and verifies one batch proof for all of them.

// BatchID is the request ID of a miner's batch in a tempo: the first
// challenge's ID with "-b<k>" appended.
func BatchID(chs []Challenge) string { return fmt.Sprintf("%s-b%d", chs[0].ID, len(chs)) }

// ExpectedBatchPublic rebuilds the public inputs an honest miner's batch
// proof must have: the on-chain model commitment, the hash of the inputs
// in the order sent, the classes answered, the miner's hotkey hash, the
// epoch asked for.
func ExpectedBatchPublic(n Neuron, chs []Challenge, classes []uint32, epoch uint64) zk.BatchPublic {
	inputs := make([][]int8, len(chs))
	for i, ch := range chs {
		inputs[i] = ch.Input
	}
	return zk.BatchPublic{ModelCommitment: n.ModelCommitment, InputsHash: zk.BatchInputsHash(inputs), Outputs: classes,
		HotkeyHash: zk.HotkeyHash(n.Hotkey[:]), Epoch: epoch}
}

// CheckBatchAnswer checks a 200 answer to the batch chs sent to n for
// epoch: the echoed ID and epoch, one class in range per challenge, then
// the proof against ExpectedBatchPublic with ver (whose batch size must be
// len(chs)). nil means every answer is Valid.
func CheckBatchAnswer(ver *zk.BatchVerifier, n Neuron, chs []Challenge, epoch uint64, outputs int, resp api.BatchInferResponse) error {
	switch {
	case resp.ID != BatchID(chs):
		return fmt.Errorf("%w: id %.64q, sent %q", ErrBadAnswer, resp.ID, BatchID(chs))
	case resp.Epoch != epoch:
		return fmt.Errorf("%w: epoch %d, asked %d", ErrBadAnswer, resp.Epoch, epoch)
	case len(resp.Classes) != len(chs):
		return fmt.Errorf("%w: %d classes for %d inputs", ErrBadAnswer, len(resp.Classes), len(chs))
	case len(resp.Proof) == 0:
		return ErrNoProof
	}
	for i, c := range resp.Classes {
		if c >= uint32(outputs) {
			return fmt.Errorf("%w: class %d of input %d, the task has %d", ErrBadAnswer, c, i, outputs)
		}
	}
	return ver.Verify(resp.Proof, ExpectedBatchPublic(n, chs, resp.Classes, epoch))
}

// queryMinerBatch sends n all its challenges in one batch within the
// miner's time budget and checks the answer: all of them Valid, or all
// with the batch's outcome (Failed, also when not answered by the close of
// the tempo's window; Invalid; Skipped when too little of the window is
// left to send it, or the daemon is stopping: window.go). Every answer's
// Latency is the batch's round trip over k, the time per inference: a
// batch is proved at once, and scoring it as k waits of the whole round
// trip would punish the cheaper way to answer.
func (v *Validator) queryMinerBatch(ctx context.Context, ver *zk.BatchVerifier, n Neuron, chs []Challenge, epoch uint64, outputs int) []Answer {
	out := make([]Answer, len(chs))
	for i, ch := range chs {
		out[i].Graded = ch.Graded
	}
	all := func(o Outcome, err error) []Answer {
		for i := range out {
			out[i].Outcome, out[i].Err = o, err
		}
		return out
	}
	if skip := v.windowSkip(ctx, true); skip != nil {
		return all(Skipped, skip)
	}
	c := &api.Client{BaseURL: n.Endpoint, Miner: n.Hotkey, Signer: v.signer, HTTP: v.http, MaxResponse: v.cfg.MaxResponse}
	rctx, cancel := context.WithTimeout(ctx, v.cfg.MinerTimeout)
	defer cancel()
	req := api.BatchInferRequest{ID: BatchID(chs), Epoch: epoch, Inputs: make([][]int8, len(chs))}
	for i, ch := range chs {
		req.Inputs[i] = ch.Input
	}
	start := v.cfg.Now()
	resp, err := c.InferBatch(rctx, req)
	lat := v.cfg.Now().Sub(start)
	for i := range out {
		out[i].Latency = lat / time.Duration(len(chs))
	}
	if err != nil && shutdown(ctx) {
		return all(Skipped, fmt.Errorf("cut off: the validator is stopping: %w", context.Cause(ctx)))
	}
	if err != nil && ctx.Err() != nil {
		// Sent in the window and not answered by its close (window.go).
		err = fmt.Errorf("no answer %s after it was sent, when the tempo's challenge window closed: %w", lat.Round(time.Millisecond), err)
	}
	v.metrics.latency.Observe(lat.Seconds())
	if err != nil {
		if errors.Is(err, api.ErrBadJSON) {
			return all(Invalid, err)
		}
		return all(Failed, err)
	}
	vstart := time.Now()
	err = CheckBatchAnswer(ver, n, chs, epoch, outputs, resp)
	v.metrics.verify.Observe(time.Since(vstart).Seconds())
	if err != nil {
		return all(Invalid, err)
	}
	for i, ch := range chs {
		out[i].Outcome, out[i].Class = Valid, resp.Classes[i]
		out[i].Correct = ch.Graded && resp.Classes[i] == ch.Label
	}
	return out
}

// loadBatchVerifier reads the verifying key of the subnet's batch circuit
// for graded+decoys inputs from the key cache in dc.KeysDir (stored there
// from the batch circuit's ceremony: `veritensor ceremony verify --batch K
// --store`). A miss is an error: batches are what the operator asked for.
func loadBatchVerifier(snap Snapshot, dc DaemonConfig) (map[int]*zk.BatchVerifier, error) {
	arch, err := zk.ParseArch(snap.Subnet.Arch)
	if err != nil {
		return nil, fmt.Errorf("%w: subnet %d architecture %q: %w", ErrConfig, snap.Subnet.ID, snap.Subnet.Arch, err)
	}
	k := dc.Graded + dc.Decoys
	kc, err := keycache.New(dc.KeysDir)
	if err != nil {
		return nil, err
	}
	keys, err := kc.LoadBatch(arch, k)
	if err != nil {
		return nil, fmt.Errorf("%w: batch: no verifying key of the %s batch circuit for %d inputs in %s "+
			"(verify its ceremony with `veritensor ceremony verify --arch %s --batch %d --store`): %w",
			ErrConfig, arch, k, kc.BatchPath(arch, k), arch, k, err)
	}
	bv, err := zk.NewBatchVerifier(keys.VK, k)
	if err != nil {
		return nil, fmt.Errorf("%w: batch: %s: %w", ErrConfig, kc.BatchPath(arch, k), err)
	}
	return map[int]*zk.BatchVerifier{k: bv}, nil
}
