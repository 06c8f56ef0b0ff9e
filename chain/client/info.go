package client

import (
	"context"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/veritensor/veritensor/chain"
)

// TxInfo is a committed transaction as the CLI shows it.
type TxInfo struct {
	Hash   string        `json:"hash"`
	Height int64         `json:"height"`
	Index  uint32        `json:"index"`
	Code   uint32        `json:"code"`
	Log    string        `json:"log,omitempty"`
	Type   string        `json:"type"`
	Sender chain.Address `json:"sender"`
	Nonce  uint64        `json:"nonce"`
	Fee    uint64        `json:"fee"`
	Events []chain.Event `json:"events,omitempty"`
}

// Tx returns the committed transaction with hash; chain.ErrNotFound (wrapped)
// if the node does not know it (yet).
func (c *Client) Tx(ctx context.Context, hash [32]byte) (*TxInfo, error) {
	res, err := c.rpc.Tx(ctx, hash[:], false)
	if err != nil {
		if strings.Contains(err.Error(), "not found") {
			return nil, fmt.Errorf("tx %X: %w", hash, chain.ErrNotFound)
		}
		return nil, fmt.Errorf("tx %X: %w", hash, err)
	}
	info := &TxInfo{Hash: strings.ToUpper(hex.EncodeToString(hash[:])), Height: res.Height, Index: res.Index,
		Code: res.TxResult.Code, Log: res.TxResult.Log}
	if tx, err := chain.DecodeTx(res.Tx); err == nil {
		info.Type, info.Sender, info.Nonce, info.Fee = chain.TypeName(tx.Type), tx.Sender(), tx.Nonce, tx.Fee
	}
	for _, e := range res.TxResult.Events {
		ev := chain.Event{Type: e.Type}
		for _, a := range e.Attributes {
			ev.Attrs = append(ev.Attrs, chain.Attr{Key: a.Key, Value: a.Value})
		}
		info.Events = append(info.Events, ev)
	}
	return info, nil
}

// BlockInfo is a block header summary with its transaction hashes.
type BlockInfo struct {
	Height   int64     `json:"height"`
	Hash     string    `json:"hash"`
	Time     time.Time `json:"time"`
	ChainID  string    `json:"chain_id"`
	AppHash  string    `json:"app_hash"`
	Proposer string    `json:"proposer"`
	NumTxs   int       `json:"num_txs"`
	TxHashes []string  `json:"tx_hashes"`
}

// Block returns the block at height, or the latest when height is 0.
func (c *Client) Block(ctx context.Context, height int64) (*BlockInfo, error) {
	var hp *int64
	if height > 0 {
		hp = &height
	}
	res, err := c.rpc.Block(ctx, hp)
	if err != nil {
		return nil, fmt.Errorf("block %d: %w", height, err)
	}
	b := res.Block
	info := &BlockInfo{Height: b.Height, Hash: res.BlockID.Hash.String(), Time: b.Time, ChainID: b.ChainID,
		AppHash: b.AppHash.String(), Proposer: b.ProposerAddress.String(), NumTxs: len(b.Txs), TxHashes: []string{}}
	for _, tx := range b.Txs {
		info.TxHashes = append(info.TxHashes, strings.ToUpper(hex.EncodeToString(tx.Hash())))
	}
	return info, nil
}

// AppHashAt returns the app hash the node's application reported after
// executing height (from the stored FinalizeBlock response).
func (c *Client) AppHashAt(ctx context.Context, height int64) ([]byte, error) {
	res, err := c.rpc.BlockResults(ctx, &height)
	if err != nil {
		return nil, fmt.Errorf("block results %d: %w", height, err)
	}
	return res.AppHash, nil
}
