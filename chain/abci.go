package chain

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"strconv"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	cmttypes "github.com/cometbft/cometbft/types"
)

// AppVersion is the application protocol version reported in Info. 2: IAVL
// app hash, economics and cost bounds, min validator stake, setup
// ceremonies (tx types 40-42) and subnet-create naming a ceremony
// (docs/protocol.md, "Versions"). 3: subnets carry their task spec
// (subnet-create-task, tx type 20; sntask/ keys; TaskSpec task_hash and
// proofless) and proof-less subnets. 4: proof schemes: ceremony-open (tx
// type 40) carries a scheme byte, a subnet's circuit may be the commit
// circuit (zk.SchemeCommit), and serve and submit-proof check the model
// commitment and the proof under the subnet's scheme (the app hash
// definition, AppHashVersion 3, is unchanged).
const AppVersion uint64 = 4

// Codespace is the ABCI codespace of every non-zero code (see errors.go).
const Codespace = "veritensor"

// maxSigCache bounds the signature cache (entries of 32 bytes).
const maxSigCache = 1 << 18

// Hooks are test seams called at fixed points of the block lifecycle. They
// must not change the state. Crash-recovery tests use them to kill the process
// between FinalizeBlock and Commit.
type Hooks struct {
	// AfterFinalizeBlock runs after FinalizeBlock computed the app hash of
	// height, before returning it to CometBFT (nothing is persisted yet).
	AfterFinalizeBlock func(height int64)
	// AfterCommit runs after the store durably wrote height.
	AfterCommit func(height int64)
}

// App is the ABCI 2.0 adapter: it keeps the committed state, the check state
// (committed state plus the mempool's transactions, reset at every Commit) and
// the state of the block being finalised, and persists each block through
// Store. All transaction validation happens in State.ExecTx, called by
// CheckTx, PrepareProposal, ProcessProposal and FinalizeBlock alike (runTx).
//
// CometBFT's local client serialises calls, so App has no lock of its own; it
// must be used with proxy.NewLocalClientCreator (one mutex for all
// connections).
type App struct {
	abci.BaseApplication

	store     *Store
	meta      Meta   // last committed height and app hash
	lastHash  []byte // app hash the next block chains onto (genesis hash before block 1)
	committed *State
	check     *State

	block       *State   // state after FinalizeBlock, before Commit
	blockMeta   Meta     // height and hash of block
	unpersisted []Change // genesis and block changes not yet in the store

	proposal *proposal // last accepted ProcessProposal, reused by FinalizeBlock

	sigCache map[[32]byte]struct{}
	proofs   *proofFilter // CheckTx-only admission policy for submit-proof txs
	hooks    Hooks

	// Storage layer: past-height queries (query.go) and state sync (snapshot.go).
	history     map[int64]*State // recent committed states
	snapshots   *SnapshotConfig  // nil: no snapshots taken or served
	restoring   *restore         // state sync in progress
	snapshotErr error
	metrics     *Metrics // nil: none (metrics.go)
}

type proposal struct {
	hash    []byte
	state   *State
	results []*TxResult
}

// NewApp loads the committed state from store.
func NewApp(store *Store, hooks Hooks) (*App, error) {
	st, m, err := store.Load()
	if err != nil {
		return nil, err
	}
	a := &App{store: store, meta: m, lastHash: m.AppHash, committed: st, check: st.Clone(),
		sigCache: map[[32]byte]struct{}{}, proofs: newProofFilter(), hooks: hooks}
	a.rememberCommitted()
	return a, nil
}

// Committed returns the last committed state. Callers must not write to it.
func (a *App) Committed() *State { return a.committed }

// LastCommit returns the last committed height and app hash.
func (a *App) LastCommit() Meta { return a.meta }

// verify checks a signature once per transaction hash: a transaction verified
// in CheckTx is not verified again in the proposal or the block.
func (a *App) verify(tx *Tx, hash [32]byte) error {
	if _, ok := a.sigCache[hash]; ok {
		return nil
	}
	if err := tx.VerifySignature(); err != nil {
		return err
	}
	if len(a.sigCache) >= maxSigCache {
		a.sigCache = map[[32]byte]struct{}{}
	}
	a.sigCache[hash] = struct{}{}
	return nil
}

// runTx is the single validation path shared by every ABCI method.
func (a *App) runTx(st *State, ctx BlockContext, raw []byte) (*TxResult, error) {
	return st.ExecTx(ctx, raw, a.verify)
}

// Info reports the last committed height and app hash, so that after a crash
// CometBFT replays exactly the blocks the store lacks.
func (a *App) Info(context.Context, *abci.RequestInfo) (*abci.ResponseInfo, error) {
	return &abci.ResponseInfo{Data: "veritensor", Version: strconv.FormatUint(AppVersion, 10), AppVersion: AppVersion,
		LastBlockHeight: a.meta.Height, LastBlockAppHash: a.meta.AppHash}, nil
}

// InitChain writes the genesis state from app_state. It is kept in memory and
// persisted together with the first block, so a crash before that block just
// runs InitChain again.
func (a *App) InitChain(_ context.Context, req *abci.RequestInitChain) (*abci.ResponseInitChain, error) {
	g, err := ParseGenesis(req.AppStateBytes)
	if err != nil {
		return nil, err
	}
	st := NewState()
	if err := st.InitGenesis(req.ChainId, g); err != nil {
		return nil, err
	}
	if err := st.InitValidators(g.ValidatorAuthority, req.Validators); err != nil {
		return nil, err
	}
	changes := st.ChangeSet()
	a.store.SetInitialHeight(req.InitialHeight)
	if a.lastHash, err = a.store.Stage(changes); err != nil {
		return nil, err
	}
	a.unpersisted = changes
	a.committed, a.check = st, st.Clone()
	return &abci.ResponseInitChain{AppHash: a.lastHash}, nil
}

// CheckTx validates and applies tx to the check state, so several transactions
// from one account with consecutive nonces can wait in the mempool together.
// Submit-proof transactions first pass this node's admission policy (see
// proofFilter): a hotkey whose proofs failed verification ProofFailureLimit
// times this epoch is refused with ErrProofRateLimited before any
// verification. The policy is local and CheckTx-only; blocks never consult it.
func (a *App) CheckTx(_ context.Context, req *abci.RequestCheckTx) (*abci.ResponseCheckTx, error) {
	err := a.proofs.admit(req.Tx)
	if err == nil {
		_, err = a.runTx(a.check, BlockContext{Height: a.meta.Height + 1}, req.Tx)
		if t, ok := peekTxType(req.Tx); ok && t == TxSubmitProof {
			a.proofs.record(req.Tx, err)
		}
	}
	if err != nil {
		a.metrics.checkTx(err)
		return &abci.ResponseCheckTx{Code: Code(err), Log: err.Error(), Codespace: Codespace}, nil
	}
	return &abci.ResponseCheckTx{Code: abci.CodeTypeOK}, nil
}

// PrepareProposal keeps, in mempool order, the transactions that still apply
// on top of the committed state, within MaxTxBytes counted the way CometBFT
// checks it: each transaction protobuf-framed (ComputeProtoSizeForTxs: a
// field tag and a length prefix on top of its bytes).
func (a *App) PrepareProposal(_ context.Context, req *abci.RequestPrepareProposal) (*abci.ResponsePrepareProposal, error) {
	st := a.committed.Clone()
	ctx := BlockContext{Height: req.Height, Time: req.Time, Proposer: req.ProposerAddress}
	txs := make([][]byte, 0, len(req.Txs))
	var size int64
	for _, tx := range req.Txs {
		framed := cmttypes.ComputeProtoSizeForTxs([]cmttypes.Tx{tx})
		if size+framed > req.MaxTxBytes {
			break
		}
		if _, err := a.runTx(st, ctx, tx); err != nil {
			continue
		}
		size += framed
		txs = append(txs, tx)
	}
	return &abci.ResponsePrepareProposal{Txs: txs}, nil
}

// ProcessProposal rejects a block holding any transaction that fails.
func (a *App) ProcessProposal(_ context.Context, req *abci.RequestProcessProposal) (*abci.ResponseProcessProposal, error) {
	st := a.committed.Clone()
	ctx := BlockContext{Height: req.Height, Time: req.Time, Hash: req.Hash, Proposer: req.ProposerAddress}
	results := make([]*TxResult, len(req.Txs))
	for i, tx := range req.Txs {
		r, err := a.runTx(st, ctx, tx)
		if err != nil {
			return &abci.ResponseProcessProposal{Status: abci.ResponseProcessProposal_REJECT}, nil
		}
		results[i] = r
	}
	a.proposal = &proposal{hash: bytes.Clone(req.Hash), state: st, results: results}
	return &abci.ResponseProcessProposal{Status: abci.ResponseProcessProposal_ACCEPT}, nil
}

// FinalizeBlock executes the block (reusing the work of ProcessProposal when it
// saw the same block), runs EndBlock and computes the app hash. Nothing is
// persisted until Commit.
func (a *App) FinalizeBlock(_ context.Context, req *abci.RequestFinalizeBlock) (*abci.ResponseFinalizeBlock, error) {
	ctx := BlockContext{Height: req.Height, Time: req.Time, Hash: req.Hash, Proposer: req.ProposerAddress}
	res := make([]*abci.ExecTxResult, len(req.Txs))
	var st *State
	if p := a.proposal; p != nil && len(req.Hash) > 0 && bytes.Equal(p.hash, req.Hash) && len(p.results) == len(req.Txs) {
		st = p.state
		for i, r := range p.results {
			res[i] = execResult(r, nil)
		}
	} else {
		st = a.committed.Clone()
		for i, tx := range req.Txs {
			r, err := a.runTx(st, ctx, tx)
			res[i] = execResult(r, err)
		}
	}
	a.proposal = nil
	for _, tx := range req.Txs {
		delete(a.sigCache, txHash(tx))
	}
	st.RecordMisbehavior(req.Height, req.Misbehavior)
	endStart := time.Now() // metrics only
	evs, err := st.EndBlock(ctx)
	if err != nil {
		return nil, err
	}
	a.metrics.block(req.Txs, res, time.Since(endStart))
	valUpdates := st.TakeValidatorUpdates()
	changes := st.ChangeSet()
	hash, err := a.store.Stage(changes)
	if err != nil {
		return nil, err
	}
	a.block, a.blockMeta = st, Meta{Height: req.Height, AppHash: hash}
	a.unpersisted = mergeChanges(a.unpersisted, changes)
	if a.hooks.AfterFinalizeBlock != nil {
		a.hooks.AfterFinalizeBlock(req.Height)
	}
	return &abci.ResponseFinalizeBlock{TxResults: res, Events: abciEvents(evs), AppHash: hash, ValidatorUpdates: valUpdates}, nil
}

// Commit writes the block's changes, height and app hash to badger in one
// atomic batch, then resets the check state to the new committed state.
func (a *App) Commit(context.Context, *abci.RequestCommit) (*abci.ResponseCommit, error) {
	if a.block == nil {
		return nil, fmt.Errorf("%w: commit without finalize block", ErrInternal)
	}
	start := time.Now() // metrics only
	if err := a.store.Commit(a.blockMeta, a.unpersisted); err != nil {
		return nil, err
	}
	a.meta, a.lastHash = a.blockMeta, a.blockMeta.AppHash
	a.committed, a.block, a.unpersisted = a.block, nil, nil
	a.check = a.committed.Clone()
	a.rememberCommitted()
	a.snapshotErr = a.maybeSnapshot()
	a.metrics.committed(a, time.Since(start))
	a.proofs.prune(a.committed)
	if a.hooks.AfterCommit != nil {
		a.hooks.AfterCommit(a.meta.Height)
	}
	return &abci.ResponseCommit{}, nil
}

// mergeChanges returns a followed by b with b winning on equal keys, sorted by
// key. In the common case a is empty and b is returned as is.
func mergeChanges(a, b []Change) []Change {
	if len(a) == 0 {
		return b
	}
	byKey := make(map[string]Change, len(a)+len(b))
	for _, c := range a {
		byKey[string(c.Key)] = c
	}
	for _, c := range b {
		byKey[string(c.Key)] = c
	}
	out := make([]Change, 0, len(byKey))
	for _, c := range byKey {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return bytes.Compare(out[i].Key, out[j].Key) < 0 })
	return out
}

func execResult(r *TxResult, err error) *abci.ExecTxResult {
	if err != nil {
		return &abci.ExecTxResult{Code: Code(err), Log: err.Error(), Codespace: Codespace}
	}
	return &abci.ExecTxResult{Code: abci.CodeTypeOK, Events: abciEvents(r.Events)}
}

func abciEvents(evs []Event) []abci.Event {
	if len(evs) == 0 {
		return nil
	}
	out := make([]abci.Event, len(evs))
	for i, e := range evs {
		attrs := make([]abci.EventAttribute, len(e.Attrs))
		for j, at := range e.Attrs {
			attrs[j] = abci.EventAttribute{Key: at.Key, Value: at.Value, Index: indexed(e, at.Key)}
		}
		out[i] = abci.Event{Type: e.Type, Attributes: attrs}
	}
	return out
}

func indexed(e Event, key string) bool {
	if e.Index == nil {
		return true
	}
	for _, k := range e.Index {
		if k == key {
			return true
		}
	}
	return false
}
