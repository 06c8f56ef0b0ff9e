package explorer

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/veritensor/veritensor/chain"
	"github.com/veritensor/veritensor/chain/client"
)

// ErrUnavailable reports that no node answered.
var ErrUnavailable = errors.New("no node reachable")

// Source is what the explorer reads. Pool is the real one (RPC nodes with
// failover); tests and the benchmark use synthetic ones.
type Source interface {
	Status(ctx context.Context) (ChainStatus, error)
	Blocks(ctx context.Context, minH, maxH int64) ([]BlockMeta, error)
	Block(ctx context.Context, height int64) (*Block, error)
	Tx(ctx context.Context, hash [32]byte) (*client.TxInfo, error)
	Subnets(ctx context.Context) (chain.SubnetsInfo, error)
	Subnet(ctx context.Context, id uint16) (chain.SubnetInfo, error)
	Metagraph(ctx context.Context, id uint16) (chain.Metagraph, error)
	Weights(ctx context.Context, id uint16) (chain.WeightsInfo, error)
	Emissions(ctx context.Context, id uint16) (chain.EpochRecord, error)
	Tokenomics(ctx context.Context) (chain.Tokenomics, error)
	// EpochHistory returns up to max past epoch records of a subnet,
	// oldest first (may be partial, see EpochHistoryRecord).
	EpochHistory(ctx context.Context, id uint16, max int) ([]EpochHistoryRecord, error)
	// Nodes reports each node's health as last seen.
	Nodes() []NodeHealth
}

// ChainStatus is the chain page's header.
type ChainStatus struct {
	ChainID     string      `json:"chain_id"`
	Height      int64       `json:"height"`
	BlockTime   time.Time   `json:"block_time"`
	AppHash     string      `json:"app_hash"`
	Node        string      `json:"node"`
	Moniker     string      `json:"moniker"`
	Version     string      `json:"version"`
	CatchingUp  bool        `json:"catching_up"`
	Validators  []Validator `json:"validators"`
	TotalPower  int64       `json:"total_power"`
	AvgInterval float64     `json:"avg_block_interval_s"`
}

// Validator is one CometBFT validator.
type Validator struct {
	Address     string `json:"address"`
	PubKey      string `json:"pub_key"`
	VotingPower int64  `json:"voting_power"`
}

// BlockMeta is a block header summary.
type BlockMeta struct {
	Height   int64     `json:"height"`
	Hash     string    `json:"hash"`
	Time     time.Time `json:"time"`
	NumTxs   int       `json:"num_txs"`
	Proposer string    `json:"proposer"`
}

// Block is a block with its transactions decoded and their results.
type Block struct {
	client.BlockInfo
	Txs    []TxView      `json:"txs"`
	Events []chain.Event `json:"events,omitempty"`
}

// TxView is one decoded transaction with its result.
type TxView struct {
	Hash   string `json:"hash"`
	Height int64  `json:"height"`
	Index  int    `json:"index"`
	Type   string `json:"type"`
	Sender string `json:"sender"`
	Nonce  uint64 `json:"nonce"`
	Fee    uint64 `json:"fee"`
	// Msg is the decoded message (chain.DecodeMsg), long byte fields cut.
	Msg  any    `json:"msg,omitempty"`
	Code uint32 `json:"code"`
	// Error is the chain's error name for a non-zero code.
	Error string `json:"error,omitempty"`
	Log   string `json:"log,omitempty"`
}

// NodeHealth is one RPC node as the pool last saw it.
type NodeHealth struct {
	Address   string    `json:"address"`
	Up        bool      `json:"up"`
	Current   bool      `json:"current"`
	LastError string    `json:"last_error,omitempty"`
	LastSeen  time.Time `json:"last_seen,omitempty"`
}

// Pool reads from RPC nodes, failing over to the next when one does not
// answer. An answer of the chain (a query error code) is not a failure.
type Pool struct {
	// Timeout bounds one request to one node (default 3 s).
	Timeout time.Duration

	addrs   []string
	clients []*client.Client
	mu      sync.Mutex
	cur     int
	health  []NodeHealth
}

// NewPool connects to addrs (each "tcp://host:port" or "host:port").
func NewPool(addrs []string) (*Pool, error) {
	if len(addrs) == 0 {
		return nil, errors.New("explorer: no node address")
	}
	p := &Pool{Timeout: 3 * time.Second}
	for _, a := range addrs {
		c, err := client.New(a)
		if err != nil {
			return nil, err
		}
		p.addrs = append(p.addrs, a)
		p.clients = append(p.clients, c)
		p.health = append(p.health, NodeHealth{Address: a})
	}
	return p, nil
}

// SplitAddrs splits repeated and comma-separated node flags.
func SplitAddrs(flags []string) []string {
	var out []string
	for _, f := range flags {
		for _, a := range strings.Split(f, ",") {
			if a = strings.TrimSpace(a); a != "" {
				out = append(out, a)
			}
		}
	}
	return out
}

// transportError tells a node that did not answer from an answer.
func transportError(err error) bool {
	var te *chain.TxError
	if errors.As(err, &te) || errors.Is(err, chain.ErrNotFound) {
		return false
	}
	return err != nil
}

func (p *Pool) do(ctx context.Context, fn func(context.Context, *client.Client) error) error {
	p.mu.Lock()
	start := p.cur
	p.mu.Unlock()
	var last error
	for i := range p.clients {
		k := (start + i) % len(p.clients)
		cctx, cancel := context.WithTimeout(ctx, p.Timeout)
		err := fn(cctx, p.clients[k])
		cancel()
		p.mu.Lock()
		if !transportError(err) {
			p.cur = k
			p.health[k].Up, p.health[k].LastError, p.health[k].LastSeen = true, "", time.Now()
			p.mu.Unlock()
			return err
		}
		p.health[k].Up, p.health[k].LastError = false, err.Error()
		p.mu.Unlock()
		last = err
		if ctx.Err() != nil {
			break
		}
	}
	return fmt.Errorf("%w: %v", ErrUnavailable, last)
}

// Probe asks every node for its height (each within Timeout), so the
// status page shows the standby nodes' health too.
func (p *Pool) Probe(ctx context.Context) {
	var wg sync.WaitGroup
	for k, c := range p.clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cctx, cancel := context.WithTimeout(ctx, p.Timeout)
			defer cancel()
			_, err := c.Height(cctx)
			p.mu.Lock()
			defer p.mu.Unlock()
			if err != nil {
				p.health[k].Up, p.health[k].LastError = false, err.Error()
				return
			}
			p.health[k].Up, p.health[k].LastError, p.health[k].LastSeen = true, "", time.Now()
		}()
	}
	wg.Wait()
}

// Nodes implements Source.
func (p *Pool) Nodes() []NodeHealth {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := append([]NodeHealth(nil), p.health...)
	out[p.cur].Current = true
	return out
}

// Status implements Source.
func (p *Pool) Status(ctx context.Context) (ChainStatus, error) {
	var st ChainStatus
	err := p.do(ctx, func(ctx context.Context, c *client.Client) error {
		s, err := c.RPC().Status(ctx)
		if err != nil {
			return err
		}
		st = ChainStatus{ChainID: s.NodeInfo.Network, Height: s.SyncInfo.LatestBlockHeight,
			BlockTime: s.SyncInfo.LatestBlockTime, AppHash: s.SyncInfo.LatestAppHash.String(),
			Moniker: s.NodeInfo.Moniker, Version: s.NodeInfo.Version, CatchingUp: s.SyncInfo.CatchingUp}
		h := st.Height
		vs, err := c.RPC().Validators(ctx, &h, nil, nil)
		if err != nil {
			return err
		}
		for _, v := range vs.Validators {
			st.Validators = append(st.Validators, Validator{Address: v.Address.String(),
				PubKey: fmt.Sprintf("%X", v.PubKey.Bytes()), VotingPower: v.VotingPower})
			st.TotalPower += v.VotingPower
		}
		return nil
	})
	p.mu.Lock()
	st.Node = p.addrs[p.cur]
	p.mu.Unlock()
	return st, err
}

// Blocks implements Source: headers of [minH, maxH] newest first (CometBFT
// returns at most 20).
func (p *Pool) Blocks(ctx context.Context, minH, maxH int64) ([]BlockMeta, error) {
	var out []BlockMeta
	err := p.do(ctx, func(ctx context.Context, c *client.Client) error {
		res, err := c.RPC().BlockchainInfo(ctx, minH, maxH)
		if err != nil {
			return err
		}
		out = out[:0]
		for _, m := range res.BlockMetas {
			out = append(out, BlockMeta{Height: m.Header.Height, Hash: m.BlockID.Hash.String(), Time: m.Header.Time,
				NumTxs: m.NumTxs, Proposer: m.Header.ProposerAddress.String()})
		}
		return nil
	})
	return out, err
}

// Block implements Source: the block, its transactions decoded by
// chain.DecodeTx and chain.DecodeMsg, their results, and the block's events.
func (p *Pool) Block(ctx context.Context, height int64) (*Block, error) {
	var out *Block
	err := p.do(ctx, func(ctx context.Context, c *client.Client) error {
		bi, err := c.Block(ctx, height)
		if err != nil {
			return err
		}
		h := bi.Height
		raw, err := c.RPC().Block(ctx, &h)
		if err != nil {
			return err
		}
		res, err := c.RPC().BlockResults(ctx, &h)
		if err != nil {
			return err
		}
		b := &Block{BlockInfo: *bi, Txs: []TxView{}}
		for i, tx := range raw.Block.Txs {
			v := DecodeTx(tx)
			v.Hash, v.Height, v.Index = bi.TxHashes[i], h, i
			if i < len(res.TxsResults) {
				v.Code, v.Log = res.TxsResults[i].Code, res.TxsResults[i].Log
				v.Error = codeName(v.Code)
			}
			b.Txs = append(b.Txs, v)
		}
		for _, e := range res.FinalizeBlockEvents {
			ev := chain.Event{Type: e.Type}
			for _, a := range e.Attributes {
				ev.Attrs = append(ev.Attrs, chain.Attr{Key: a.Key, Value: a.Value})
			}
			b.Events = append(b.Events, ev)
		}
		out = b
		return nil
	})
	return out, err
}

// Tx implements Source.
func (p *Pool) Tx(ctx context.Context, hash [32]byte) (*client.TxInfo, error) {
	var out *client.TxInfo
	err := p.do(ctx, func(ctx context.Context, c *client.Client) (err error) {
		out, err = c.Tx(ctx, hash)
		return err
	})
	return out, err
}

func query[T any](p *Pool, ctx context.Context, fn func(*client.Client, context.Context) (T, error)) (T, error) {
	var out T
	err := p.do(ctx, func(ctx context.Context, c *client.Client) (err error) {
		out, err = fn(c, ctx)
		return err
	})
	return out, err
}

// Subnets implements Source.
func (p *Pool) Subnets(ctx context.Context) (chain.SubnetsInfo, error) {
	return query(p, ctx, (*client.Client).Subnets)
}

// Subnet implements Source.
func (p *Pool) Subnet(ctx context.Context, id uint16) (chain.SubnetInfo, error) {
	return query(p, ctx, func(c *client.Client, ctx context.Context) (chain.SubnetInfo, error) { return c.Subnet(ctx, id) })
}

// Metagraph implements Source.
func (p *Pool) Metagraph(ctx context.Context, id uint16) (chain.Metagraph, error) {
	return query(p, ctx, func(c *client.Client, ctx context.Context) (chain.Metagraph, error) { return c.Metagraph(ctx, id) })
}

// Weights implements Source.
func (p *Pool) Weights(ctx context.Context, id uint16) (chain.WeightsInfo, error) {
	return query(p, ctx, func(c *client.Client, ctx context.Context) (chain.WeightsInfo, error) { return c.Weights(ctx, id) })
}

// Emissions implements Source.
func (p *Pool) Emissions(ctx context.Context, id uint16) (chain.EpochRecord, error) {
	return query(p, ctx, func(c *client.Client, ctx context.Context) (chain.EpochRecord, error) { return c.Emissions(ctx, id) })
}

// Tokenomics implements Source.
func (p *Pool) Tokenomics(ctx context.Context) (chain.Tokenomics, error) {
	return query(p, ctx, (*client.Client).Tokenomics)
}
