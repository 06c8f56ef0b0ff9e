package chain

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math"
	"strconv"

	"github.com/veritensor/veritensor/scoring"
)

// Weight limits.
const (
	// MaxWeightsLen is the most entries of one weight row.
	MaxWeightsLen = MaxUIDsLimit
	// MaxSaltLen is the longest reveal salt.
	MaxSaltLen = 64
	// CommitDomain starts the preimage of a weights commitment.
	CommitDomain = "veritensor/weights-commit/v1"
)

// WeightsRow is a validator's stored weights: entries strictly increasing by
// UID, the row's maximum scaled to 65535.
type WeightsRow struct {
	UID uint16 `json:"uid"`
	// Epoch is the subnet epoch in which the row was set or revealed; with
	// commit-reveal on, only rows revealed in the epoch being closed count.
	Epoch uint64 `json:"epoch"`
	// Block is the block of the set-weights or reveal.
	Block uint64 `json:"block"`
	// Since is the block the weights were chosen at: the set-weights block,
	// or the block of the commit a reveal opened. Entries for a UID
	// registered at or after Since are dropped from the epoch (they were
	// meant for the UID's previous holder).
	Since   uint64           `json:"since"`
	Weights []scoring.Weight `json:"weights"`
}

// encodeRow is a stored weights row: epoch (u64) | block (u64) | since (u64)
// | weights (u16 count, then u16 uid and u16 value per entry). The UID is in
// the key.
func encodeRow(r WeightsRow) []byte {
	e := NewEncoder(26 + 4*len(r.Weights)).Uint64(r.Epoch).Uint64(r.Block).Uint64(r.Since)
	encodeWeights(e, r.Weights)
	return e.Bytes()
}

func decodeRow(uid uint16, v []byte) (WeightsRow, bool) {
	d := NewDecoder(v)
	r := WeightsRow{UID: uid, Epoch: d.Uint64("epoch"), Block: d.Uint64("block"), Since: d.Uint64("since")}
	r.Weights = decodeWeights(d)
	return r, d.Finish() == nil
}

// WeightsRow returns uid's stored row on subnet id.
func (s *State) WeightsRow(id, uid uint16) (WeightsRow, bool) {
	v, ok := s.Get(uidKey(prefixWeights, id, uid))
	if !ok {
		return WeightsRow{}, false
	}
	return decodeRow(uid, v)
}

// WeightsCommit is a pending commit-weights. Stored under wc/ + id + uid +
// epoch (u64) as hash (32) | block (u64): a UID may hold one commit per
// epoch, each revealed reveal_delay_epochs later.
type WeightsCommit struct {
	UID   uint16 `json:"uid"`
	Hash  Hash32 `json:"hash"`
	Epoch uint64 `json:"epoch"`
	Block uint64 `json:"block"`
}

// WeightsRows returns the stored rows of subnet id in UID order.
func (s *State) WeightsRows(id uint16) []WeightsRow {
	var out []WeightsRow
	prefix := idKey(prefixWeights, id)
	s.Iterate(prefix, func(k string, v []byte) bool {
		if len(k) == len(prefix)+2 {
			if r, ok := decodeRow(binary.BigEndian.Uint16([]byte(k[len(prefix):])), v); ok {
				out = append(out, r)
			}
		}
		return true
	})
	return out
}

func commitKey(id, uid uint16, epoch uint64) string {
	return uidKey(prefixCommit, id, uid) + string(binary.BigEndian.AppendUint64(nil, epoch))
}

func (s *State) iterateCommits(prefix string, fn func(key string, c WeightsCommit)) {
	s.Iterate(prefix, func(k string, v []byte) bool {
		n := len(prefixCommit)
		if len(k) != n+12 || len(v) != 40 {
			return true
		}
		c := WeightsCommit{UID: binary.BigEndian.Uint16([]byte(k[n+2:])), Epoch: binary.BigEndian.Uint64([]byte(k[n+4:])),
			Block: binary.BigEndian.Uint64(v[32:])}
		copy(c.Hash[:], v)
		fn(k, c)
		return true
	})
}

// Commits returns the pending weight commits of subnet id by UID, then epoch.
func (s *State) Commits(id uint16) []WeightsCommit {
	var out []WeightsCommit
	s.iterateCommits(idKey(prefixCommit, id), func(_ string, c WeightsCommit) { out = append(out, c) })
	return out
}

// uidCommits returns uid's pending commits on subnet id by epoch (at most
// reveal_delay_epochs + 1: commit-weights drops the expired ones).
func (s *State) uidCommits(id, uid uint16) []WeightsCommit {
	var out []WeightsCommit
	s.iterateCommits(uidKey(prefixCommit, id, uid), func(_ string, c WeightsCommit) { out = append(out, c) })
	return out
}

// dropCommits deletes every pending commit of uid on subnet id.
func (s *State) dropCommits(id, uid uint16) {
	for _, c := range s.uidCommits(id, uid) {
		s.Delete(commitKey(id, uid, c.Epoch))
	}
}

func encodeWeights(e *Encoder, w []scoring.Weight) {
	e.Uint16(uint16(len(w)))
	for _, x := range w {
		e.Uint16(x.UID).Uint16(x.Value)
	}
}

func decodeWeights(d *Decoder) []scoring.Weight {
	n := int(d.Uint16("weights count"))
	if n > MaxWeightsLen {
		d.Fail(fmt.Errorf("weights: %d entries, at most %d", n, MaxWeightsLen))
		return nil
	}
	raw := d.Fixed(4*n, "weights")
	if raw == nil {
		return nil
	}
	w := make([]scoring.Weight, n)
	for i := range w {
		w[i] = scoring.Weight{UID: uint16(raw[4*i])<<8 | uint16(raw[4*i+1]), Value: uint16(raw[4*i+2])<<8 | uint16(raw[4*i+3])}
	}
	return w
}

// checkWeightsShape: entries strictly increasing by UID, values non-zero.
func checkWeightsShape(w []scoring.Weight) error {
	for i, x := range w {
		if x.Value == 0 {
			return fmt.Errorf("%w: zero weight for uid %d (omit it)", ErrInvalidWeights, x.UID)
		}
		if i > 0 && x.UID <= w[i-1].UID {
			return fmt.Errorf("%w: uids not strictly increasing at entry %d", ErrInvalidWeights, i)
		}
	}
	return nil
}

// checkWeightsState: the row's length is within [min_allowed_weights, n] and
// every target UID exists.
func checkWeightsState(sn *Subnet, w []scoring.Weight) error {
	if len(w) < int(sn.Hyper.MinAllowedWeights) {
		return fmt.Errorf("%w: %d entries, subnet requires at least %d", ErrInvalidWeights, len(w), sn.Hyper.MinAllowedWeights)
	}
	for _, x := range w {
		if x.UID >= sn.N {
			return fmt.Errorf("%w: uid %d does not exist (subnet %d has %d)", ErrInvalidWeights, x.UID, sn.ID, sn.N)
		}
	}
	return nil
}

// normalizeMax scales a row so its largest value is 65535 (floor, at least
// 1 for a non-zero entry).
func normalizeMax(w []scoring.Weight) []scoring.Weight {
	var top uint64
	for _, x := range w {
		top = max(top, uint64(x.Value))
	}
	out := make([]scoring.Weight, len(w))
	for i, x := range w {
		v := uint64(x.Value) * math.MaxUint16 / top
		out[i] = scoring.Weight{UID: x.UID, Value: uint16(max(v, 1))}
	}
	return out
}

// storeWeights writes n's row for the current epoch, chosen at block since,
// and bumps LastUpdate.
func (s *State) storeWeights(sn *Subnet, n *Neuron, w []scoring.Weight, h, since uint64) error {
	s.Set(uidKey(prefixWeights, sn.ID, n.UID), encodeRow(WeightsRow{UID: n.UID, Epoch: sn.Epoch, Block: h, Since: since, Weights: normalizeMax(w)}))
	n.LastUpdate = h
	return s.putNeuron(sn.ID, n)
}

// WeightsCommitHash is the commitment of commit-weights: SHA-256 of
// CommitDomain | 0 | chain ID (u32 length + bytes) | subnet (u16) | hotkey
// address (20) | epoch of the commit (u64) | weights (u16 count, then u16 uid
// and u16 value per entry) | salt (u32 length + bytes). Binding the hotkey and
// epoch stops a validator from re-using another's commit or an old one.
func WeightsCommitHash(chainID string, subnet uint16, hotkey Address, epoch uint64, w []scoring.Weight, salt []byte) Hash32 {
	e := NewEncoder(128 + 4*len(w) + len(salt))
	e.Fixed([]byte(CommitDomain)).Uint8(0).String(chainID).Uint16(subnet).Fixed(hotkey[:]).Uint64(epoch)
	encodeWeights(e, w)
	e.VarBytes(salt)
	return sha256.Sum256(e.Bytes())
}

// MsgSetWeights sets the signer hotkey's weights directly (subnets without
// commit-reveal). Body: subnet (u16) | weights (u16 count, then u16 uid and
// u16 value per entry).
type MsgSetWeights struct {
	Subnet  uint16           `json:"subnet"`
	Weights []scoring.Weight `json:"weights"`
}

// MsgCommitWeights commits to the weights the signer will reveal
// reveal_delay_epochs epochs later.
// Body: subnet (u16) | hash (32 bytes, WeightsCommitHash).
type MsgCommitWeights struct {
	Subnet uint16 `json:"subnet"`
	Hash   Hash32 `json:"hash"`
}

// MsgRevealWeights reveals the weights committed reveal_delay_epochs epochs
// before the current one.
// Body: subnet (u16) | weights | salt (u32 length + bytes, <= MaxSaltLen).
type MsgRevealWeights struct {
	Subnet  uint16           `json:"subnet"`
	Weights []scoring.Weight `json:"weights"`
	Salt    []byte           `json:"salt"`
}

func init() {
	RegisterMsg(TxSetWeights, "set-weights", func(b []byte) (Msg, error) {
		d := NewDecoder(b)
		m := &MsgSetWeights{Subnet: d.Uint16("subnet")}
		m.Weights = decodeWeights(d)
		if err := d.Finish(); err != nil {
			return nil, err
		}
		return m, nil
	})
	RegisterMsg(TxCommitWeights, "commit-weights", func(b []byte) (Msg, error) {
		d := NewDecoder(b)
		m := &MsgCommitWeights{Subnet: d.Uint16("subnet")}
		copy(m.Hash[:], d.Fixed(32, "hash"))
		if err := d.Finish(); err != nil {
			return nil, err
		}
		return m, nil
	})
	RegisterMsg(TxRevealWeights, "reveal-weights", func(b []byte) (Msg, error) {
		d := NewDecoder(b)
		m := &MsgRevealWeights{Subnet: d.Uint16("subnet")}
		m.Weights = decodeWeights(d)
		m.Salt = d.VarBytes(MaxSaltLen, "salt")
		if err := d.Finish(); err != nil {
			return nil, err
		}
		return m, nil
	})
}

// Type implements Msg.
func (m *MsgSetWeights) Type() TxType { return TxSetWeights }

func (m *MsgSetWeights) work() (uint64, uint64) { return uint64(len(m.Weights)), 0 }

func (m *MsgRevealWeights) work() (uint64, uint64) { return uint64(len(m.Weights)), 0 }

// MarshalBody implements Msg.
func (m *MsgSetWeights) MarshalBody() []byte {
	e := NewEncoder(4 + 4*len(m.Weights)).Uint16(m.Subnet)
	encodeWeights(e, m.Weights)
	return e.Bytes()
}

// ValidateBasic checks the row's shape.
func (m *MsgSetWeights) ValidateBasic() error { return checkWeightsShape(m.Weights) }

// Execute stores the row: refused with ErrCommitReveal when the subnet uses
// commit-reveal and ErrRateLimited within weights_rate_limit blocks of the
// previous row.
func (m *MsgSetWeights) Execute(tc *TxContext) error {
	sn, n, err := hotkeySubnet(tc, m.Subnet)
	if err != nil {
		return err
	}
	if sn.Hyper.CommitReveal {
		return fmt.Errorf("%w: subnet %d uses commit-weights/reveal-weights", ErrCommitReveal, sn.ID)
	}
	h := uint64(tc.Block.Height)
	if prev, ok := tc.State.WeightsRow(sn.ID, n.UID); ok && h < prev.Block+sn.Hyper.WeightsRateLimit {
		return fmt.Errorf("%w: last weights at block %d, next allowed at %d", ErrRateLimited, prev.Block, prev.Block+sn.Hyper.WeightsRateLimit)
	}
	if err := checkWeightsState(sn, m.Weights); err != nil {
		return err
	}
	if err := tc.State.storeWeights(sn, n, m.Weights, h, h); err != nil {
		return err
	}
	tc.Emit("set_weights", "subnet", strconv.Itoa(int(sn.ID)), "uid", strconv.Itoa(int(n.UID)),
		"entries", strconv.Itoa(len(m.Weights)))
	return nil
}

// Type implements Msg.
func (m *MsgCommitWeights) Type() TxType { return TxCommitWeights }

// MarshalBody implements Msg.
func (m *MsgCommitWeights) MarshalBody() []byte {
	return NewEncoder(34).Uint16(m.Subnet).Fixed(m.Hash[:]).Bytes()
}

// ValidateBasic rejects the zero hash.
func (m *MsgCommitWeights) ValidateBasic() error {
	if m.Hash.IsZero() {
		return fmt.Errorf("%w: zero commit hash", ErrInvalidMsg)
	}
	return nil
}

// Execute stores the commit for the current epoch, replacing an earlier
// commit of the same UID in the same epoch and dropping its commits too old
// to be revealed. ErrCommitReveal when the subnet does not use
// commit-reveal.
func (m *MsgCommitWeights) Execute(tc *TxContext) error {
	sn, n, err := hotkeySubnet(tc, m.Subnet)
	if err != nil {
		return err
	}
	if !sn.Hyper.CommitReveal {
		return fmt.Errorf("%w: subnet %d takes set-weights", ErrCommitReveal, sn.ID)
	}
	for _, old := range tc.State.uidCommits(sn.ID, n.UID) {
		if old.Epoch+sn.Hyper.revealDelay() < sn.Epoch {
			tc.State.Delete(commitKey(sn.ID, n.UID, old.Epoch))
		}
	}
	tc.State.Set(commitKey(sn.ID, n.UID, sn.Epoch),
		binary.BigEndian.AppendUint64(append([]byte(nil), m.Hash[:]...), uint64(tc.Block.Height)))
	tc.Emit("commit_weights", "subnet", strconv.Itoa(int(sn.ID)), "uid", strconv.Itoa(int(n.UID)),
		"epoch", strconv.FormatUint(sn.Epoch, 10))
	return nil
}

// Type implements Msg.
func (m *MsgRevealWeights) Type() TxType { return TxRevealWeights }

// MarshalBody implements Msg.
func (m *MsgRevealWeights) MarshalBody() []byte {
	e := NewEncoder(8 + 4*len(m.Weights) + len(m.Salt)).Uint16(m.Subnet)
	encodeWeights(e, m.Weights)
	return e.VarBytes(m.Salt).Bytes()
}

// ValidateBasic checks the row's shape.
func (m *MsgRevealWeights) ValidateBasic() error { return checkWeightsShape(m.Weights) }

// Execute checks the reveal against the commit made reveal_delay_epochs
// (d) epochs ago (ErrNoCommit when the UID has none pending,
// ErrRevealWindow when its commits are from other epochs,
// ErrRevealMismatch) and stores the row for this epoch, chosen at the
// commit's block.
func (m *MsgRevealWeights) Execute(tc *TxContext) error {
	s := tc.State
	sn, n, err := hotkeySubnet(tc, m.Subnet)
	if err != nil {
		return err
	}
	if !sn.Hyper.CommitReveal {
		return fmt.Errorf("%w: subnet %d takes set-weights", ErrCommitReveal, sn.ID)
	}
	d := sn.Hyper.revealDelay()
	pending := s.uidCommits(sn.ID, n.UID)
	var c *WeightsCommit
	for i := range pending {
		if pending[i].Epoch+d == sn.Epoch {
			c = &pending[i]
		}
	}
	if c == nil {
		if len(pending) == 0 {
			return fmt.Errorf("%w: uid %d has no pending commit", ErrNoCommit, n.UID)
		}
		return fmt.Errorf("%w: commits of epoch %d and later are revealed %d epoch(s) later; now %d", ErrRevealWindow, pending[0].Epoch, d, sn.Epoch)
	}
	if WeightsCommitHash(s.ChainID(), sn.ID, n.Hotkey, c.Epoch, m.Weights, m.Salt) != c.Hash {
		return fmt.Errorf("%w: weights and salt do not hash to the commit of epoch %d", ErrRevealMismatch, c.Epoch)
	}
	if err := checkWeightsState(sn, m.Weights); err != nil {
		return err
	}
	h := uint64(tc.Block.Height)
	if err := s.storeWeights(sn, n, m.Weights, h, c.Block); err != nil {
		return err
	}
	s.Delete(commitKey(sn.ID, n.UID, c.Epoch))
	tc.Emit("reveal_weights", "subnet", strconv.Itoa(int(sn.ID)), "uid", strconv.Itoa(int(n.UID)),
		"epoch", strconv.FormatUint(sn.Epoch, 10), "entries", strconv.Itoa(len(m.Weights)))
	return nil
}
