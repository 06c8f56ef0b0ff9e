package client

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	dbm "github.com/cometbft/cometbft-db"
	"github.com/cometbft/cometbft/libs/log"
	"github.com/cometbft/cometbft/light"
	"github.com/cometbft/cometbft/light/provider"
	lighthttp "github.com/cometbft/cometbft/light/provider/http"
	lightdb "github.com/cometbft/cometbft/light/store/db"
	rpcclient "github.com/cometbft/cometbft/rpc/client"

	"github.com/veritensor/veritensor/chain"
)

// Trust is the light client's root of trust: a header hash the user got from a
// source they trust (a block explorer, another operator, their own node), at a
// height within the trusting period.
type Trust struct {
	Height int64
	Hash   []byte
	// Period is the trusting period (default 168h; it must be shorter than the
	// chain's unbonding period on a proof-of-stake chain).
	Period time.Duration
}

// Verifier checks query answers with CometBFT's light client: it verifies the
// header of height H+1 (which carries the app hash after H) from Trust by
// validator signatures, then the answer's ics23 proof against that app hash.
type Verifier struct {
	lc *light.Client
}

func lightAddr(a string) string {
	if !strings.Contains(a, "://") {
		return "tcp://" + a
	}
	return a
}

// NewVerifier builds a light client for chainID whose primary is the node at
// primary and whose witnesses (cross-checked for forks) are witnesses; with
// none, the primary is its own witness, which detects no fork.
func NewVerifier(ctx context.Context, chainID, primary string, witnesses []string, t Trust) (*Verifier, error) {
	if t.Height <= 0 || len(t.Hash) == 0 {
		return nil, errors.New("light client: a trusted height and header hash are required")
	}
	if t.Period == 0 {
		t.Period = 168 * time.Hour
	}
	p, err := lighthttp.New(chainID, lightAddr(primary))
	if err != nil {
		return nil, fmt.Errorf("light client primary %s: %w", primary, err)
	}
	if len(witnesses) == 0 {
		witnesses = []string{primary}
	}
	var ws []provider.Provider
	for _, w := range witnesses {
		wp, err := lighthttp.New(chainID, lightAddr(w))
		if err != nil {
			return nil, fmt.Errorf("light client witness %s: %w", w, err)
		}
		ws = append(ws, wp)
	}
	lc, err := light.NewClient(ctx, chainID, light.TrustOptions{Period: t.Period, Height: t.Height, Hash: t.Hash},
		p, ws, lightdb.New(dbm.NewMemDB(), chainID), light.Logger(log.NewNopLogger()), light.MaxRetryAttempts(3))
	if err != nil {
		return nil, fmt.Errorf("light client: %w", err)
	}
	return &Verifier{lc: lc}, nil
}

// AppHashAt returns the app hash after height h, from the header of h+1
// verified by the light client.
func (v *Verifier) AppHashAt(ctx context.Context, h int64) ([]byte, error) {
	lb, err := v.lc.VerifyLightBlockAtHeight(ctx, h+1, time.Now())
	if err != nil {
		return nil, fmt.Errorf("light client: verify header %d: %w", h+1, err)
	}
	return lb.AppHash, nil
}

// Proven is a state record whose value (or absence) was verified.
type Proven struct {
	// Key is the state key.
	Key []byte `json:"key"`
	// Value is the stored value; nil when the key is absent.
	Value []byte `json:"value"`
	// Height is the state's height.
	Height int64 `json:"height"`
	// AppHash is the app hash after Height, from the verified header Height+1.
	AppHash []byte `json:"app_hash"`
	// Verified is always true (an unverified answer is an error).
	Verified bool `json:"verified"`
}

// QueryProven reads the state key at height (0: the latest height whose next
// header exists) with a proof and verifies it with v. Any mismatch — a value,
// key or height that is not what the proof and the signed header commit to —
// is an error wrapping chain.ErrProof or the light client's error.
func (c *Client) QueryProven(ctx context.Context, v *Verifier, key []byte, height int64) (*Proven, error) {
	if height == 0 {
		latest, err := c.Height(ctx)
		if err != nil {
			return nil, err
		}
		height = max(latest-1, 1)
	}
	res, err := c.rpc.ABCIQueryWithOptions(ctx, chain.StoreQueryPath, key, rpcclient.ABCIQueryOptions{Height: height, Prove: true})
	if err != nil {
		return nil, fmt.Errorf("query %s: %w", chain.StoreQueryPath, err)
	}
	r := res.Response
	if r.Code != 0 {
		return nil, fmt.Errorf("query %s: %w", chain.StoreQueryPath, &chain.TxError{Code: r.Code, Log: r.Log})
	}
	if r.Height != height || !bytes.Equal(r.Key, key) {
		return nil, fmt.Errorf("%w: answer for key %X at height %d, asked %X at %d", chain.ErrProof, r.Key, r.Height, key, height)
	}
	if err := c.WaitHeight(ctx, height+1); err != nil {
		return nil, err
	}
	appHash, err := v.AppHashAt(ctx, height)
	if err != nil {
		return nil, err
	}
	var value []byte
	if len(r.Value) > 0 { // the chain never stores an empty value
		value = r.Value
	}
	if err := chain.VerifyStoreProof(r.ProofOps, appHash, key, value); err != nil {
		return nil, err
	}
	return &Proven{Key: key, Value: value, Height: height, AppHash: appHash, Verified: true}, nil
}
