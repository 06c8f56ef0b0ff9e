package chain

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync/atomic"
)

// ProofFailureLimit is how many submit-proof transactions of one hotkey on one
// subnet may fail with ErrProofInvalid in this node's CheckTx during one epoch.
// After that CheckTx refuses the hotkey's further proofs for that epoch with
// ErrProofRateLimited, before any signature or Groth16 verification. An honest
// miner sends one valid proof per epoch, so 3 leaves room for bugs and retries.
const ProofFailureLimit = 3

// maxProofFailures bounds the failure counters a node keeps (one entry per
// hotkey, subnet and epoch that failed at least once; about 100 bytes each).
// Only a registered, served, funded hotkey whose signed proof reached the
// verifier creates an entry, and entries of past epochs are dropped at every
// Commit, so the bound is only hit by an attacker holding more than this many
// registrations at once; then new hotkeys are not tracked (the ones already
// blocked stay blocked) until the epoch turns.
const maxProofFailures = 1 << 17

// proofFailKey identifies the proofs whose failures are counted together.
type proofFailKey struct {
	signer Address
	subnet uint16
	epoch  uint64
}

// proofFilter is the mempool admission policy for submit-proof transactions.
// It is local to one node and used only by CheckTx: it never runs in
// PrepareProposal, ProcessProposal or FinalizeBlock, so it cannot change a
// block's results or the app hash. It remembers, per (hotkey, subnet, epoch),
// how many of the hotkey's proofs failed verification in CheckTx.
type proofFilter struct {
	limit uint32
	max   int
	fails map[proofFailKey]uint32

	checked, invalid, refused atomic.Uint64
	tracked                   atomic.Int64
}

func newProofFilter() *proofFilter {
	return &proofFilter{limit: ProofFailureLimit, max: maxProofFailures, fails: map[proofFailKey]uint32{}}
}

// ProofAdmissionStats counts what CheckTx did with submit-proof transactions
// since the app started. It is this node's local view (not consensus state).
type ProofAdmissionStats struct {
	// Checked is the submit-proof transactions CheckTx ran through
	// State.ExecTx; each can cost one Groth16 verification (~1.7 ms).
	Checked uint64
	// Invalid is those of Checked rejected with ErrProofInvalid.
	Invalid uint64
	// Refused is the submit-proof transactions CheckTx refused with
	// ErrProofRateLimited without running ExecTx (no verification).
	Refused uint64
	// Tracked is the number of (hotkey, subnet, epoch) failure counters held.
	Tracked int
}

// ProofAdmission returns the CheckTx counters of submit-proof transactions.
// It is safe to call from any goroutine (metrics).
func (a *App) ProofAdmission() ProofAdmissionStats {
	f := a.proofs
	return ProofAdmissionStats{Checked: f.checked.Load(), Invalid: f.invalid.Load(),
		Refused: f.refused.Load(), Tracked: int(f.tracked.Load())}
}

// peekTxType reads the type field of an encoded transaction without decoding
// the rest; ok is false when raw is too short to hold it.
func peekTxType(raw []byte) (TxType, bool) {
	if len(raw) < 5 {
		return 0, false
	}
	n := uint64(binary.BigEndian.Uint32(raw[1:5]))
	if n > MaxChainIDLen || uint64(len(raw)) < 5+n+2 {
		return 0, false
	}
	return TxType(binary.BigEndian.Uint16(raw[5+n:])), true
}

// proofKey decodes raw as a submit-proof transaction and returns the key its
// failures are counted under; ok is false for anything else.
func proofKey(raw []byte) (proofFailKey, bool) {
	tx, err := DecodeTx(raw)
	if err != nil || tx.Type != TxSubmitProof {
		return proofFailKey{}, false
	}
	msg, err := DecodeMsg(tx.Type, tx.Body)
	if err != nil {
		return proofFailKey{}, false
	}
	m, ok := msg.(*MsgSubmitProof)
	if !ok {
		return proofFailKey{}, false
	}
	return proofFailKey{signer: tx.Sender(), subnet: m.Subnet, epoch: m.Epoch}, true
}

// admit returns ErrProofRateLimited (wrapped) when raw is a submit-proof
// transaction whose hotkey already failed limit times on that subnet in the
// epoch the proof names. A proof naming another epoch is not refused here: it
// fails ExecTx's epoch check, which is cheap and is never counted.
func (f *proofFilter) admit(raw []byte) error {
	if len(f.fails) == 0 {
		return nil
	}
	k, ok := proofKey(raw)
	if !ok {
		return nil
	}
	if n := f.fails[k]; n >= f.limit {
		f.refused.Add(1)
		return fmt.Errorf("%w: hotkey %s already sent %d invalid proofs for subnet %d epoch %d to this node; "+
			"its proofs are refused here until the next epoch", ErrProofRateLimited, k.signer, n, k.subnet, k.epoch)
	}
	return nil
}

// record counts the outcome of ExecTx for a submit-proof transaction that
// admit let through. Only ErrProofInvalid counts: it is returned after the
// signature verified and the hotkey, epoch, duplicate and serve checks passed,
// so nobody can make another hotkey's proofs refused, and a proof for the
// wrong epoch or a duplicate (cheap rejections) costs no strike.
func (f *proofFilter) record(raw []byte, err error) {
	f.checked.Add(1)
	if !errors.Is(err, ErrProofInvalid) {
		return
	}
	f.invalid.Add(1)
	k, ok := proofKey(raw)
	if !ok {
		return
	}
	if _, seen := f.fails[k]; !seen && len(f.fails) >= f.max {
		return
	}
	f.fails[k]++
	f.tracked.Store(int64(len(f.fails)))
}

// prune drops the counters of epochs that are over on s (the new committed
// state) and of subnets that no longer exist. Map iteration order does not
// matter here: every stale entry is deleted and nothing else is touched.
func (f *proofFilter) prune(s *State) {
	if len(f.fails) == 0 {
		return
	}
	current := map[uint16]uint64{}
	gone := map[uint16]bool{}
	for k := range f.fails {
		if gone[k.subnet] {
			delete(f.fails, k)
			continue
		}
		e, ok := current[k.subnet]
		if !ok {
			sn, err := s.Subnet(k.subnet)
			if err != nil {
				gone[k.subnet] = true
				delete(f.fails, k)
				continue
			}
			e = sn.Epoch
			current[k.subnet] = e
		}
		if k.epoch < e {
			delete(f.fails, k)
		}
	}
	f.tracked.Store(int64(len(f.fails)))
}
