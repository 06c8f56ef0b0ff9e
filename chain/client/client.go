package client

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	rpcclient "github.com/cometbft/cometbft/rpc/client"
	rpchttp "github.com/cometbft/cometbft/rpc/client/http"

	"github.com/veritensor/veritensor/chain"
)

// Client is safe for concurrent use.
type Client struct {
	rpc rpcclient.Client
	// PollInterval is how often WaitTx and WaitHeight poll (default 50 ms).
	PollInterval time.Duration
	// NonceRetries is how many times Send rebuilds a transaction after a
	// nonce mismatch (default 3).
	NonceRetries int

	mu      sync.Mutex
	chainID string
	params  *chain.Params
	signers map[chain.Address]*sync.Mutex
}

// New connects to a node's RPC address ("tcp://127.0.0.1:26657" or
// "http://..."). A comma-separated list of addresses of nodes of the same
// chain ("tcp://a:26657,tcp://b:26657") gives a client that fails over: a
// request whose node is unreachable or does not answer within
// AttemptTimeout goes to the next address (failover.go).
func New(addr string) (*Client, error) {
	addrs := SplitAddrs(addr)
	switch len(addrs) {
	case 0:
		return nil, fmt.Errorf("rpc client: no node address in %q", addr)
	case 1:
		h, err := rpchttp.New(addrs[0], "/websocket")
		if err != nil {
			return nil, fmt.Errorf("rpc client %s: %w", addrs[0], err)
		}
		return NewWithRPC(h), nil
	}
	f, err := newFailover(addrs)
	if err != nil {
		return nil, err
	}
	return NewWithRPC(f), nil
}

// Addr returns the RPC address requests go to now (with several addresses,
// the one the client failed over to); "" for a client made by NewWithRPC.
func (c *Client) Addr() string {
	switch r := c.rpc.(type) {
	case *failover:
		return r.Addr()
	case *rpchttp.HTTP:
		return r.Remote()
	}
	return ""
}

// NewWithRPC wraps any CometBFT RPC client (HTTP or in-process local).
func NewWithRPC(c rpcclient.Client) *Client {
	return &Client{rpc: c, PollInterval: 50 * time.Millisecond, NonceRetries: 3,
		signers: map[chain.Address]*sync.Mutex{}}
}

// RPC returns the underlying CometBFT client.
func (c *Client) RPC() rpcclient.Client { return c.rpc }

// ChainID returns the node's chain ID (cached after the first call).
func (c *Client) ChainID(ctx context.Context) (string, error) {
	c.mu.Lock()
	id := c.chainID
	c.mu.Unlock()
	if id != "" {
		return id, nil
	}
	st, err := c.rpc.Status(ctx)
	if err != nil {
		return "", fmt.Errorf("status: %w", err)
	}
	c.mu.Lock()
	c.chainID = st.NodeInfo.Network
	c.mu.Unlock()
	return st.NodeInfo.Network, nil
}

// Height returns the node's latest block height.
func (c *Client) Height(ctx context.Context) (int64, error) {
	st, err := c.rpc.Status(ctx)
	if err != nil {
		return 0, fmt.Errorf("status: %w", err)
	}
	return st.SyncInfo.LatestBlockHeight, nil
}

// WaitHeight polls until the node reaches height h or ctx ends.
func (c *Client) WaitHeight(ctx context.Context, h int64) error {
	for {
		got, err := c.Height(ctx)
		if err == nil && got >= h {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for height %d (at %d): %w", h, got, ctx.Err())
		case <-time.After(c.PollInterval):
		}
	}
}

// Query runs an ABCI query and decodes its JSON answer into out. A non-zero
// code comes back as *chain.TxError (errors.Is works with the chain sentinels).
func (c *Client) Query(ctx context.Context, path string, data []byte, out any) error {
	res, err := c.rpc.ABCIQuery(ctx, path, data)
	if err != nil {
		return fmt.Errorf("query %s: %w", path, err)
	}
	if res.Response.Code != 0 {
		return fmt.Errorf("query %s: %w", path, &chain.TxError{Code: res.Response.Code, Log: res.Response.Log})
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(res.Response.Value, out); err != nil {
		return fmt.Errorf("query %s: decode: %w", path, err)
	}
	return nil
}

// Account returns the committed account at addr.
func (c *Client) Account(ctx context.Context, addr chain.Address) (chain.Account, error) {
	var a chain.Account
	err := c.Query(ctx, "/account/"+addr.String(), nil, &a)
	return a, err
}

// PendingNonce returns the nonce addr's next transaction must carry, counting
// transactions in the node's mempool.
func (c *Client) PendingNonce(ctx context.Context, addr chain.Address) (uint64, error) {
	var n chain.NonceInfo
	err := c.Query(ctx, "/nonce/"+addr.String(), nil, &n)
	return n.Nonce, err
}

// Params returns the chain parameters.
func (c *Client) Params(ctx context.Context) (chain.Params, error) {
	var p chain.Params
	err := c.Query(ctx, "/params", nil, &p)
	return p, err
}

// Supply returns the total supply and fee pool.
func (c *Client) Supply(ctx context.Context) (chain.SupplyInfo, error) {
	var s chain.SupplyInfo
	err := c.Query(ctx, "/supply", nil, &s)
	return s, err
}

// BroadcastTx submits raw to the node's mempool and returns its hash once
// CheckTx accepted it; a rejection is a *chain.TxError.
func (c *Client) BroadcastTx(ctx context.Context, raw []byte) ([32]byte, error) {
	var hash [32]byte
	res, err := c.rpc.BroadcastTxSync(ctx, raw)
	if err != nil {
		return hash, fmt.Errorf("broadcast: %w", err)
	}
	if res.Code != 0 {
		return hash, &chain.TxError{Code: res.Code, Log: res.Log}
	}
	copy(hash[:], res.Hash)
	return hash, nil
}

func (c *Client) signerLock(a chain.Address) *sync.Mutex {
	c.mu.Lock()
	defer c.mu.Unlock()
	m, ok := c.signers[a]
	if !ok {
		m = &sync.Mutex{}
		c.signers[a] = m
	}
	return m
}

// requiredFee is chain.RequiredFee for msg under the node's parameters
// (fetched once: they are fixed at genesis).
func (c *Client) requiredFee(ctx context.Context, msg chain.Msg) (uint64, error) {
	c.mu.Lock()
	p := c.params
	c.mu.Unlock()
	if p == nil {
		q, err := c.Params(ctx)
		if err != nil {
			return 0, err
		}
		c.mu.Lock()
		c.params = &q
		c.mu.Unlock()
		p = &q
	}
	return chain.RequiredFee(*p, msg), nil
}

// SendAsync signs msg with the signer's next nonce (asked of the node) and
// broadcasts it, rebuilding it if another transaction took the nonce first.
// It returns once the node's mempool accepted it. fee is raised to the
// message's required fee (chain.RequiredFee: the minimum fee plus the fees
// for weight entries and proof verifications) when it is below it.
func (c *Client) SendAsync(ctx context.Context, priv ed25519.PrivateKey, msg chain.Msg, fee uint64) ([32]byte, error) {
	chainID, err := c.ChainID(ctx)
	if err != nil {
		return [32]byte{}, err
	}
	req, err := c.requiredFee(ctx, msg)
	if err != nil {
		return [32]byte{}, err
	}
	fee = max(fee, req)
	addr := chain.AddressFromPubKey(priv.Public().(ed25519.PublicKey))
	lock := c.signerLock(addr)
	lock.Lock()
	defer lock.Unlock()
	for attempt := 0; ; attempt++ {
		nonce, err := c.PendingNonce(ctx, addr)
		if err != nil {
			return [32]byte{}, err
		}
		raw := chain.NewTx(chainID, msg, priv, nonce, fee).Marshal()
		hash, err := c.BroadcastTx(ctx, raw)
		if errors.Is(err, chain.ErrNonce) && attempt < c.NonceRetries {
			continue
		}
		return hash, err
	}
}

// Send is SendAsync followed by WaitTx: it returns the committed result, or
// an error if the transaction failed.
func (c *Client) Send(ctx context.Context, priv ed25519.PrivateKey, msg chain.Msg, fee uint64) (*TxInfo, error) {
	hash, err := c.SendAsync(ctx, priv, msg, fee)
	if err != nil {
		return nil, err
	}
	info, err := c.WaitTx(ctx, hash)
	if err != nil {
		return nil, err
	}
	if info.Code != 0 {
		return info, &chain.TxError{Code: info.Code, Log: info.Log}
	}
	return info, nil
}

// Transfer sends amount base units from priv's account to to and waits for
// the commit.
func (c *Client) Transfer(ctx context.Context, priv ed25519.PrivateKey, to chain.Address, amount, fee uint64) (*TxInfo, error) {
	return c.Send(ctx, priv, &chain.MsgTransfer{To: to, Amount: amount}, fee)
}

// WaitTx polls until the transaction with hash is in a block or ctx ends.
func (c *Client) WaitTx(ctx context.Context, hash [32]byte) (*TxInfo, error) {
	for {
		info, err := c.Tx(ctx, hash)
		if err == nil {
			return info, nil
		}
		if !errors.Is(err, chain.ErrNotFound) {
			return nil, err
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("waiting for tx %X: %w", hash, ctx.Err())
		case <-time.After(c.PollInterval):
		}
	}
}

// ParseHash parses a 64-hex-digit transaction hash.
func ParseHash(s string) ([32]byte, error) {
	var h [32]byte
	b, err := hex.DecodeString(strings.TrimPrefix(strings.ToLower(s), "0x"))
	if err != nil || len(b) != 32 {
		return h, fmt.Errorf("%w: tx hash %q is not 32 hex bytes", chain.ErrMalformed, s)
	}
	copy(h[:], b)
	return h, nil
}
