package client

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"strconv"
	"time"

	"github.com/veritensor/veritensor/chain"
)

// Ceremonies returns every setup ceremony.
func (c *Client) Ceremonies(ctx context.Context) (chain.CeremoniesInfo, error) {
	var out chain.CeremoniesInfo
	err := c.Query(ctx, "/ceremonies", nil, &out)
	return out, err
}

// Ceremony returns one ceremony with its verifying key (once sealed).
func (c *Client) Ceremony(ctx context.Context, id uint32) (chain.CeremonyInfo, error) {
	var out chain.CeremonyInfo
	err := c.Query(ctx, "/ceremony/"+strconv.FormatUint(uint64(id), 10), nil, &out)
	return out, err
}

// OpenCeremony sends ceremony-open signed by owner and returns the new
// ceremony's ID (from the tx's ceremony_open event).
func (c *Client) OpenCeremony(ctx context.Context, owner ed25519.PrivateKey, m *chain.MsgCeremonyOpen, fee uint64) (uint32, *TxInfo, error) {
	info, err := c.Send(ctx, owner, m, fee)
	if err != nil {
		return 0, info, err
	}
	for _, e := range info.Events {
		if e.Type != "ceremony_open" {
			continue
		}
		for _, a := range e.Attrs {
			if a.Key == "ceremony" {
				id, err := strconv.ParseUint(a.Value, 10, 32)
				return uint32(id), info, err
			}
		}
	}
	return 0, info, fmt.Errorf("ceremony-open %s: no ceremony_open event", info.Hash)
}

// Contribute records a contribution (hash of the new transcript file, on
// top of prev) signed by the contributor.
func (c *Client) Contribute(ctx context.Context, contributor ed25519.PrivateKey, id uint32, prev, hash chain.Hash32, fee uint64) (*TxInfo, error) {
	return c.Send(ctx, contributor, &chain.MsgCeremonyContribute{Ceremony: id, Prev: prev, Hash: hash}, fee)
}

// SealCeremony sends ceremony-seal signed by the owner.
func (c *Client) SealCeremony(ctx context.Context, owner ed25519.PrivateKey, m *chain.MsgCeremonySeal, fee uint64) (*TxInfo, error) {
	return c.Send(ctx, owner, m, fee)
}

// WaitBeacon waits until ceremony id's beacon block has ended (its beacon
// is on chain and a seal can land) and returns the ceremony.
func (c *Client) WaitBeacon(ctx context.Context, id uint32) (chain.CeremonyInfo, error) {
	for {
		ci, err := c.Ceremony(ctx, id)
		if err != nil {
			return ci, err
		}
		if !ci.Beacon.IsZero() {
			return ci, nil
		}
		select {
		case <-ctx.Done():
			return ci, fmt.Errorf("ceremony %d: waiting for the beacon of block %d: %w", id, ci.BeaconHeight, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}
