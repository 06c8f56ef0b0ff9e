package validator

import (
	"context"
	"fmt"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	cmttypes "github.com/cometbft/cometbft/types"
)

// SubscribeBlocks implements Chain over CometBFT's RPC websocket: it opens
// its own websocket connection to the node, subscribes to
// tm.event='NewBlockHeader' (the header is all the engine needs; a
// NewBlock event would carry every transaction, proofs included) and sends
// each block's height on the returned channel. The channel is closed, and
// the connection stopped, when ctx ends, when the websocket gives up
// reconnecting, or when no block arrived for StaleAfter; the engine then
// polls Head and subscribes again later.
func (cc *ChainClient) SubscribeBlocks(ctx context.Context) (<-chan uint64, error) {
	ws, err := rpchttp.New(cc.Client().Addr(), "/websocket") // the node requests go to now (several addresses fail over)
	if err != nil {
		return nil, fmt.Errorf("validator: websocket client: %w", err)
	}
	if err := ws.Start(); err != nil {
		return nil, fmt.Errorf("validator: websocket: %w", err)
	}
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	events, err := ws.Subscribe(sctx, "veritensor-validator", cmttypes.EventQueryNewBlockHeader.String(), 16)
	cancel()
	if err != nil {
		_ = ws.Stop()
		return nil, fmt.Errorf("validator: subscribe to new blocks: %w", err)
	}
	out := make(chan uint64, 16)
	go func() {
		defer close(out)
		defer func() { _ = ws.Stop() }()
		stale := time.NewTimer(cc.Options().StaleAfter)
		defer stale.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-ws.Quit():
				return
			case <-stale.C:
				return
			case ev := <-events:
				h, ok := ev.Data.(cmttypes.EventDataNewBlockHeader)
				if !ok || h.Header.Height <= 0 {
					continue
				}
				stale.Reset(cc.Options().StaleAfter)
				select {
				case out <- uint64(h.Header.Height):
				default: // the engine is busy: it reads Head when it is back
				}
			}
		}
	}()
	return out, nil
}
