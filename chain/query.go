package chain

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	abci "github.com/cometbft/cometbft/abci/types"
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
// state instead. Only the latest height is served.
func (a *App) Query(_ context.Context, req *abci.RequestQuery) (*abci.ResponseQuery, error) {
	v, err := a.query(req)
	if err != nil {
		return &abci.ResponseQuery{Code: Code(err), Log: err.Error(), Codespace: Codespace, Height: a.meta.Height}, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return &abci.ResponseQuery{Code: ErrInternal.Code, Log: err.Error(), Codespace: Codespace}, nil
	}
	return &abci.ResponseQuery{Code: abci.CodeTypeOK, Value: b, Height: a.meta.Height}, nil
}

func (a *App) query(req *abci.RequestQuery) (any, error) {
	if req.Height != 0 && req.Height != a.meta.Height {
		return nil, fmt.Errorf("%w: only the latest height %d is served, asked %d", ErrNotFound, a.meta.Height, req.Height)
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
	return fn(a.committed, rest, req.Data)
}

func txHash(raw []byte) [32]byte { return sha256Sum(raw) }
