package chain

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtcrypto "github.com/cometbft/cometbft/proto/tendermint/crypto"
)

// QueryFunc answers an ABCI query under a registered first path segment. rest
// is the path after "/<segment>/" (may be empty); the result is returned to
// the client as JSON.
type QueryFunc func(s *State, rest string, data []byte) (any, error)

// queries maps the first path segment to its handler; written only from init.
var queries = map[string]QueryFunc{}

// RegisterQuery adds a query route "/<segment>/...". Call it from init.
func RegisterQuery(segment string, fn QueryFunc) {
	if _, dup := queries[segment]; dup {
		panic(fmt.Sprintf("chain: query %q registered twice", segment))
	}
	queries[segment] = fn
}

// NonceInfo answers /nonce/<address>: the nonce the account's next
// transaction must carry, counting transactions waiting in this node's mempool.
type NonceInfo struct {
	Address Address `json:"address"`
	Nonce   uint64  `json:"nonce"`
}

// SupplyInfo answers /supply.
type SupplyInfo struct {
	// Supply is every base unit in existence.
	Supply uint64 `json:"supply"`
	// FeePool is the collected fees held outside accounts.
	FeePool uint64 `json:"fee_pool"`
}

func init() {
	RegisterQuery("account", func(s *State, rest string, _ []byte) (any, error) {
		a, err := ParseAddress(rest)
		if err != nil {
			return nil, err
		}
		return s.Account(a), nil
	})
	RegisterQuery("params", func(s *State, _ string, _ []byte) (any, error) { return s.Params(), nil })
	RegisterQuery("supply", func(s *State, _ string, _ []byte) (any, error) {
		return SupplyInfo{Supply: s.Supply(), FeePool: s.FeePool()}, nil
	})
}

// Query answers JSON queries on the committed state: /account/<address>,
// /params, /supply and the registered routes; /nonce/<address> reads the check
// state instead. /store answers a raw state key (the query data) with an ics23
// proof when prove=true (see prove.go). Heights within the retention window
// (Store.RetainVersions) are served; 0 means the latest.
func (a *App) Query(_ context.Context, req *abci.RequestQuery) (*abci.ResponseQuery, error) {
	if strings.TrimSuffix(req.Path, "/") == StoreQueryPath {
		res, err := a.queryStore(req)
		if err != nil {
			return &abci.ResponseQuery{Code: Code(err), Log: err.Error(), Codespace: Codespace, Height: a.meta.Height}, nil
		}
		return res, nil
	}
	if req.Prove {
		err := fmt.Errorf("%w: proofs are served on %s (data = state key), not %s", ErrNotFound, StoreQueryPath, req.Path)
		return &abci.ResponseQuery{Code: Code(err), Log: err.Error(), Codespace: Codespace, Height: a.meta.Height}, nil
	}
	height := a.meta.Height
	if req.Height != 0 {
		height = req.Height
	}
	v, err := a.query(req)
	if err != nil {
		return &abci.ResponseQuery{Code: Code(err), Log: err.Error(), Codespace: Codespace, Height: height}, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return &abci.ResponseQuery{Code: ErrInternal.Code, Log: err.Error(), Codespace: Codespace}, nil
	}
	return &abci.ResponseQuery{Code: abci.CodeTypeOK, Value: b, Height: height}, nil
}

// rememberCommitted keeps the committed state of the last RetainVersions
// heights for past-height queries (copy-on-write clones share their nodes).
func (a *App) rememberCommitted() {
	if a.history == nil {
		a.history = map[int64]*State{}
	}
	a.history[a.meta.Height] = a.committed
	delete(a.history, a.meta.Height-max(a.store.RetainVersions, 1))
}

// stateAt returns the committed state at height (0: the latest).
func (a *App) stateAt(height int64) (*State, error) {
	if height == 0 || height == a.meta.Height {
		return a.committed, nil
	}
	if s, ok := a.history[height]; ok {
		return s, nil
	}
	return nil, fmt.Errorf("%w: height %d is not retained (latest %d, window %d)", ErrNotFound, height, a.meta.Height, a.store.RetainVersions)
}

// queryStore answers StoreQueryPath: the raw value of the state key in
// req.Data at req.Height (0: the latest), with an ics23 proof against the app
// hash of that height (found in header height+1) when req.Prove.
func (a *App) queryStore(req *abci.RequestQuery) (*abci.ResponseQuery, error) {
	h := req.Height
	if h == 0 {
		h = a.meta.Height
	}
	if h <= 0 || h > a.meta.Height {
		return nil, fmt.Errorf("%w: height %d is not committed (latest %d)", ErrNotFound, h, a.meta.Height)
	}
	if len(req.Data) == 0 {
		return nil, fmt.Errorf("%w: %s wants the state key as query data", ErrNotFound, StoreQueryPath)
	}
	t, err := a.store.tree.GetImmutable(h)
	if err != nil {
		return nil, fmt.Errorf("%w: height %d is not retained (latest %d, window %d): %v", ErrNotFound, h, a.meta.Height, a.store.RetainVersions, err)
	}
	key := req.Data
	v, err := t.Get(key)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInternal, err)
	}
	res := &abci.ResponseQuery{Code: abci.CodeTypeOK, Key: key, Value: v, Height: h}
	if req.Prove {
		op := IAVLProofOp{Key: key}
		if v != nil {
			op.Proof, err = t.GetMembershipProof(key)
		} else {
			op.Proof, err = t.GetNonMembershipProof(key)
		}
		if err != nil {
			return nil, fmt.Errorf("%w: proof: %v", ErrInternal, err)
		}
		res.ProofOps = &cmtcrypto.ProofOps{Ops: []cmtcrypto.ProofOp{op.ProofOp()}}
	}
	return res, nil
}

func (a *App) query(req *abci.RequestQuery) (any, error) {
	st, err := a.stateAt(req.Height)
	if err != nil {
		return nil, err
	}
	path := strings.TrimPrefix(req.Path, "/")
	seg, rest, _ := strings.Cut(path, "/")
	if seg == "nonce" {
		addr, err := ParseAddress(rest)
		if err != nil {
			return nil, err
		}
		return NonceInfo{Address: addr, Nonce: a.check.Account(addr).Nonce}, nil
	}
	fn, ok := queries[seg]
	if !ok {
		return nil, fmt.Errorf("%w: unknown query path %q", ErrNotFound, req.Path)
	}
	return fn(st, rest, req.Data)
}

func txHash(raw []byte) [32]byte { return sha256Sum(raw) }
