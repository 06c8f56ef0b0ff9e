package client

import (
	"time"

	"github.com/veritensor/veritensor/chain"
)

// Options tune a Session: the fees, waits and retries the miner and validator
// daemons share. Zero values take the defaults listed.
type Options struct {
	// Fee of each transaction in base units (chain.DefaultParams().MinFee
	// when 0).
	Fee uint64
	// TxTimeout bounds the wait for one transaction to land in a block (60 s
	// when 0). A transaction not seen by then is an ambiguous, transient
	// error: the caller checks the chain before it sends again.
	TxTimeout time.Duration
	// Retries is how many times a failed read is retried (3 when 0; -1:
	// never), waiting RetryBackoff, then twice that, and so on (200 ms when
	// 0). Definitive answers of the chain (a query error code, a
	// *chain.TxError) are not retried.
	Retries      int
	RetryBackoff time.Duration
	// StaleAfter closes a block subscription that delivered nothing for this
	// long, so its user polls and subscribes again (60 s when 0).
	StaleAfter time.Duration
}

// WithDefaults returns o with every zero field set to its default (and
// Retries -1 to 0).
func (o Options) WithDefaults() Options {
	if o.Fee == 0 {
		o.Fee = chain.DefaultParams().MinFee
	}
	if o.TxTimeout <= 0 {
		o.TxTimeout = time.Minute
	}
	switch {
	case o.Retries == 0:
		o.Retries = 3
	case o.Retries < 0:
		o.Retries = 0
	}
	if o.RetryBackoff <= 0 {
		o.RetryBackoff = 200 * time.Millisecond
	}
	if o.StaleAfter <= 0 {
		o.StaleAfter = time.Minute
	}
	return o
}
