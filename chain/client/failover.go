package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/cometbft/cometbft/libs/bytes"
	rpcclient "github.com/cometbft/cometbft/rpc/client"
	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	ctypes "github.com/cometbft/cometbft/rpc/core/types"
	jsonrpcclient "github.com/cometbft/cometbft/rpc/jsonrpc/client"
	rpctypes "github.com/cometbft/cometbft/rpc/jsonrpc/types"
	"github.com/cometbft/cometbft/types"
)

// AttemptTimeout bounds one request to one node when a Client has several
// addresses: a node that does not answer within it (stopped, partitioned,
// overloaded) counts as down and the request goes to the next address. A
// caller's own shorter deadline still applies.
const AttemptTimeout = 5 * time.Second

// SplitAddrs splits a comma-separated list of node RPC addresses ("a,b,c"),
// trimming spaces and dropping empty entries, and adds tcp:// where an address
// has no scheme.
func SplitAddrs(s string) []string {
	var out []string
	for _, a := range strings.Split(s, ",") {
		a = strings.TrimSpace(a)
		if a == "" {
			continue
		}
		if !strings.Contains(a, "://") {
			a = "tcp://" + a
		}
		out = append(out, a)
	}
	return out
}

// failover is a CometBFT RPC client over several nodes of one chain. Every
// request goes to the current node; when that node's transport fails (the
// connection is refused or reset, or the node does not answer within
// AttemptTimeout) the request is retried on the next address, which becomes
// the current one. An answer from a node, an error answer included (a
// transaction that is not found, a query the app rejects), is returned as is:
// only an unreachable node moves the client on. The service methods
// (Start, Stop, ...) and websocket subscriptions use the first address (a
// subscriber that wants the current node opens its own, at Addr).
type failover struct {
	rpcclient.Client // the current node's, for the methods not wrapped below

	addrs   []string
	clients []rpcclient.Client

	mu  sync.Mutex
	cur int
}

func newFailover(addrs []string) (*failover, error) {
	f := &failover{addrs: addrs}
	for _, a := range addrs {
		// One connection per request: a node that stops is found out at
		// the next request, even one whose process stays up with its RPC
		// listener closed (an in-process node, a node being shut down)
		// and would otherwise keep answering on a kept-alive connection.
		hc, err := jsonrpcclient.DefaultHTTPClient(a)
		if err != nil {
			return nil, fmt.Errorf("rpc client %s: %w", a, err)
		}
		if t, ok := hc.Transport.(*http.Transport); ok {
			t.DisableKeepAlives = true
		}
		h, err := rpchttp.NewWithClient(a, "/websocket", hc)
		if err != nil {
			return nil, fmt.Errorf("rpc client %s: %w", a, err)
		}
		f.clients = append(f.clients, h)
	}
	f.Client = f.clients[0]
	return f, nil
}

func (f *failover) current() (int, rpcclient.Client) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.cur, f.clients[f.cur]
}

// next moves past node i (unless another request already did).
func (f *failover) next(i int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.cur == i {
		f.cur = (i + 1) % len(f.clients)
	}
}

// Addr returns the address requests go to now.
func (f *failover) Addr() string {
	i, _ := f.current()
	return f.addrs[i]
}

// unreachable tells a transport failure (try the next node) from an answer.
func unreachable(err error) bool {
	var rpcErr *rpctypes.RPCError
	return err != nil && !errors.As(err, &rpcErr)
}

// do runs one request on the current node and, while the node is
// unreachable and the caller's context is alive, on the next ones (each
// address at most once per request).
func do[T any](ctx context.Context, f *failover, call func(context.Context, rpcclient.Client) (T, error)) (T, error) {
	var (
		res  T
		err  error
		errs []string
	)
	for range f.clients {
		i, c := f.current()
		actx, cancel := context.WithTimeout(ctx, AttemptTimeout)
		res, err = call(actx, c)
		cancel()
		if !unreachable(err) || ctx.Err() != nil {
			return res, err
		}
		errs = append(errs, fmt.Sprintf("%s: %v", f.addrs[i], err))
		f.next(i)
	}
	return res, fmt.Errorf("no node answered: %s", strings.Join(errs, "; "))
}

func (f *failover) ABCIInfo(ctx context.Context) (*ctypes.ResultABCIInfo, error) {
	return do(ctx, f, func(ctx context.Context, c rpcclient.Client) (*ctypes.ResultABCIInfo, error) { return c.ABCIInfo(ctx) })
}

func (f *failover) ABCIQuery(ctx context.Context, path string, data bytes.HexBytes) (*ctypes.ResultABCIQuery, error) {
	return do(ctx, f, func(ctx context.Context, c rpcclient.Client) (*ctypes.ResultABCIQuery, error) {
		return c.ABCIQuery(ctx, path, data)
	})
}

func (f *failover) ABCIQueryWithOptions(ctx context.Context, path string, data bytes.HexBytes, o rpcclient.ABCIQueryOptions) (*ctypes.ResultABCIQuery, error) {
	return do(ctx, f, func(ctx context.Context, c rpcclient.Client) (*ctypes.ResultABCIQuery, error) {
		return c.ABCIQueryWithOptions(ctx, path, data, o)
	})
}

func (f *failover) BroadcastTxCommit(ctx context.Context, tx types.Tx) (*ctypes.ResultBroadcastTxCommit, error) {
	// Not retried elsewhere after a timeout: the commit wait itself can be
	// longer than AttemptTimeout.
	_, c := f.current()
	return c.BroadcastTxCommit(ctx, tx)
}

func (f *failover) BroadcastTxAsync(ctx context.Context, tx types.Tx) (*ctypes.ResultBroadcastTx, error) {
	return do(ctx, f, func(ctx context.Context, c rpcclient.Client) (*ctypes.ResultBroadcastTx, error) {
		return c.BroadcastTxAsync(ctx, tx)
	})
}

func (f *failover) BroadcastTxSync(ctx context.Context, tx types.Tx) (*ctypes.ResultBroadcastTx, error) {
	return do(ctx, f, func(ctx context.Context, c rpcclient.Client) (*ctypes.ResultBroadcastTx, error) {
		return c.BroadcastTxSync(ctx, tx)
	})
}

func (f *failover) Block(ctx context.Context, height *int64) (*ctypes.ResultBlock, error) {
	return do(ctx, f, func(ctx context.Context, c rpcclient.Client) (*ctypes.ResultBlock, error) {
		return c.Block(ctx, height)
	})
}

func (f *failover) BlockByHash(ctx context.Context, hash []byte) (*ctypes.ResultBlock, error) {
	return do(ctx, f, func(ctx context.Context, c rpcclient.Client) (*ctypes.ResultBlock, error) {
		return c.BlockByHash(ctx, hash)
	})
}

func (f *failover) BlockResults(ctx context.Context, height *int64) (*ctypes.ResultBlockResults, error) {
	return do(ctx, f, func(ctx context.Context, c rpcclient.Client) (*ctypes.ResultBlockResults, error) {
		return c.BlockResults(ctx, height)
	})
}

func (f *failover) Header(ctx context.Context, height *int64) (*ctypes.ResultHeader, error) {
	return do(ctx, f, func(ctx context.Context, c rpcclient.Client) (*ctypes.ResultHeader, error) {
		return c.Header(ctx, height)
	})
}

func (f *failover) HeaderByHash(ctx context.Context, hash bytes.HexBytes) (*ctypes.ResultHeader, error) {
	return do(ctx, f, func(ctx context.Context, c rpcclient.Client) (*ctypes.ResultHeader, error) {
		return c.HeaderByHash(ctx, hash)
	})
}

func (f *failover) Commit(ctx context.Context, height *int64) (*ctypes.ResultCommit, error) {
	return do(ctx, f, func(ctx context.Context, c rpcclient.Client) (*ctypes.ResultCommit, error) {
		return c.Commit(ctx, height)
	})
}

func (f *failover) Validators(ctx context.Context, height *int64, page, perPage *int) (*ctypes.ResultValidators, error) {
	return do(ctx, f, func(ctx context.Context, c rpcclient.Client) (*ctypes.ResultValidators, error) {
		return c.Validators(ctx, height, page, perPage)
	})
}

func (f *failover) Tx(ctx context.Context, hash []byte, prove bool) (*ctypes.ResultTx, error) {
	return do(ctx, f, func(ctx context.Context, c rpcclient.Client) (*ctypes.ResultTx, error) { return c.Tx(ctx, hash, prove) })
}

func (f *failover) TxSearch(ctx context.Context, query string, prove bool, page, perPage *int, orderBy string) (*ctypes.ResultTxSearch, error) {
	return do(ctx, f, func(ctx context.Context, c rpcclient.Client) (*ctypes.ResultTxSearch, error) {
		return c.TxSearch(ctx, query, prove, page, perPage, orderBy)
	})
}

func (f *failover) BlockSearch(ctx context.Context, query string, page, perPage *int, orderBy string) (*ctypes.ResultBlockSearch, error) {
	return do(ctx, f, func(ctx context.Context, c rpcclient.Client) (*ctypes.ResultBlockSearch, error) {
		return c.BlockSearch(ctx, query, page, perPage, orderBy)
	})
}

func (f *failover) Genesis(ctx context.Context) (*ctypes.ResultGenesis, error) {
	return do(ctx, f, func(ctx context.Context, c rpcclient.Client) (*ctypes.ResultGenesis, error) { return c.Genesis(ctx) })
}

func (f *failover) GenesisChunked(ctx context.Context, id uint) (*ctypes.ResultGenesisChunk, error) {
	return do(ctx, f, func(ctx context.Context, c rpcclient.Client) (*ctypes.ResultGenesisChunk, error) {
		return c.GenesisChunked(ctx, id)
	})
}

func (f *failover) BlockchainInfo(ctx context.Context, minHeight, maxHeight int64) (*ctypes.ResultBlockchainInfo, error) {
	return do(ctx, f, func(ctx context.Context, c rpcclient.Client) (*ctypes.ResultBlockchainInfo, error) {
		return c.BlockchainInfo(ctx, minHeight, maxHeight)
	})
}

func (f *failover) Status(ctx context.Context) (*ctypes.ResultStatus, error) {
	return do(ctx, f, func(ctx context.Context, c rpcclient.Client) (*ctypes.ResultStatus, error) { return c.Status(ctx) })
}

func (f *failover) NetInfo(ctx context.Context) (*ctypes.ResultNetInfo, error) {
	return do(ctx, f, func(ctx context.Context, c rpcclient.Client) (*ctypes.ResultNetInfo, error) { return c.NetInfo(ctx) })
}

func (f *failover) DumpConsensusState(ctx context.Context) (*ctypes.ResultDumpConsensusState, error) {
	return do(ctx, f, func(ctx context.Context, c rpcclient.Client) (*ctypes.ResultDumpConsensusState, error) {
		return c.DumpConsensusState(ctx)
	})
}

func (f *failover) ConsensusState(ctx context.Context) (*ctypes.ResultConsensusState, error) {
	return do(ctx, f, func(ctx context.Context, c rpcclient.Client) (*ctypes.ResultConsensusState, error) {
		return c.ConsensusState(ctx)
	})
}

func (f *failover) ConsensusParams(ctx context.Context, height *int64) (*ctypes.ResultConsensusParams, error) {
	return do(ctx, f, func(ctx context.Context, c rpcclient.Client) (*ctypes.ResultConsensusParams, error) {
		return c.ConsensusParams(ctx, height)
	})
}

func (f *failover) Health(ctx context.Context) (*ctypes.ResultHealth, error) {
	return do(ctx, f, func(ctx context.Context, c rpcclient.Client) (*ctypes.ResultHealth, error) { return c.Health(ctx) })
}

func (f *failover) UnconfirmedTxs(ctx context.Context, limit *int) (*ctypes.ResultUnconfirmedTxs, error) {
	return do(ctx, f, func(ctx context.Context, c rpcclient.Client) (*ctypes.ResultUnconfirmedTxs, error) {
		return c.UnconfirmedTxs(ctx, limit)
	})
}

func (f *failover) NumUnconfirmedTxs(ctx context.Context) (*ctypes.ResultUnconfirmedTxs, error) {
	return do(ctx, f, func(ctx context.Context, c rpcclient.Client) (*ctypes.ResultUnconfirmedTxs, error) {
		return c.NumUnconfirmedTxs(ctx)
	})
}

func (f *failover) CheckTx(ctx context.Context, tx types.Tx) (*ctypes.ResultCheckTx, error) {
	return do(ctx, f, func(ctx context.Context, c rpcclient.Client) (*ctypes.ResultCheckTx, error) {
		return c.CheckTx(ctx, tx)
	})
}

func (f *failover) BroadcastEvidence(ctx context.Context, ev types.Evidence) (*ctypes.ResultBroadcastEvidence, error) {
	return do(ctx, f, func(ctx context.Context, c rpcclient.Client) (*ctypes.ResultBroadcastEvidence, error) {
		return c.BroadcastEvidence(ctx, ev)
	})
}
