package chain

import (
	"crypto/sha256"
	"fmt"
	"strconv"

	"github.com/veritensor/veritensor/zk"
)

// The ceremony transactions (see ceremony.go for the record and the rules).

// MsgCeremonyOpen opens a ceremony owned by the signer. Body: phase (u8) |
// power (u8) | arch (string) | scheme (u8) | phase1 (u32) | init (32) |
// source (string) | allowed count (u16) | allowed addresses (20 each,
// strictly increasing). Phase 1 sets power (1..MaxCeremonyPower) and leaves
// arch empty and scheme and phase1 zero; phase 2 sets arch, scheme (a
// zk.Scheme: the circuit is Scheme.CircuitID(arch)) and phase1 and leaves
// power zero.
type MsgCeremonyOpen struct {
	Phase   uint8     `json:"phase"`
	Power   uint8     `json:"power"`
	Arch    string    `json:"arch"`
	Scheme  zk.Scheme `json:"scheme"`
	Phase1  uint32    `json:"phase1"`
	Init    Hash32    `json:"init"`
	Source  string    `json:"source"`
	Allowed []Address `json:"allowed"`
}

// MsgCeremonyContribute records a contribution signed by its contributor.
// Body: ceremony (u32) | prev (32) | hash (32). prev must be the ceremony's
// head: a contribution that does not build on the last recorded one (out of
// order, or racing another) is refused.
type MsgCeremonyContribute struct {
	Ceremony uint32 `json:"ceremony"`
	Prev     Hash32 `json:"prev"`
	Hash     Hash32 `json:"hash"`
}

// MsgCeremonySeal seals a ceremony (its owner only) after its beacon height.
// Body: ceremony (u32) | head (32) | output (32) | pk_hash (32) | vk (bytes,
// <= zk.MaxVerifyingKeySize). head must be the last recorded hash (the
// transcript the seal applies the beacon to). Phase 1 leaves pk_hash zero
// and vk empty; phase 2 sets both.
type MsgCeremonySeal struct {
	Ceremony uint32 `json:"ceremony"`
	Head     Hash32 `json:"head"`
	Output   Hash32 `json:"output"`
	PKHash   Hash32 `json:"pk_hash"`
	VK       []byte `json:"vk"`
}

func init() {
	RegisterMsg(TxCeremonyOpen, "ceremony-open", decodeCeremonyOpen)
	RegisterMsg(TxCeremonyContribute, "ceremony-contribute", decodeCeremonyContribute)
	RegisterMsg(TxCeremonySeal, "ceremony-seal", decodeCeremonySeal)
}

func decodeCeremonyOpen(body []byte) (Msg, error) {
	d := NewDecoder(body)
	var m MsgCeremonyOpen
	m.Phase = d.Uint8("phase")
	m.Power = d.Uint8("power")
	m.Arch = d.String(MaxArchLen, "arch")
	m.Scheme = zk.Scheme(d.Uint8("scheme"))
	m.Phase1 = d.Uint32("phase1")
	copy(m.Init[:], d.Fixed(32, "init"))
	m.Source = d.String(MaxCeremonySourceLen, "source")
	n := d.Uint16("allowed count")
	if d.err == nil && n > MaxCeremonyContributions {
		d.Fail(fmt.Errorf("allowed count %d exceeds %d", n, MaxCeremonyContributions))
	}
	for i := 0; i < int(n) && d.err == nil; i++ {
		var a Address
		copy(a[:], d.Fixed(AddressLen, "allowed address"))
		m.Allowed = append(m.Allowed, a)
	}
	if err := d.Finish(); err != nil {
		return nil, err
	}
	return &m, nil
}

// Type implements Msg.
func (m *MsgCeremonyOpen) Type() TxType { return TxCeremonyOpen }

// MarshalBody implements Msg.
func (m *MsgCeremonyOpen) MarshalBody() []byte {
	e := NewEncoder(80 + len(m.Arch) + len(m.Source) + AddressLen*len(m.Allowed))
	e.Uint8(m.Phase).Uint8(m.Power).String(m.Arch).Uint8(uint8(m.Scheme)).Uint32(m.Phase1).Fixed(m.Init[:]).String(m.Source).
		Uint16(uint16(len(m.Allowed)))
	for _, a := range m.Allowed {
		e.Fixed(a[:])
	}
	return e.Bytes()
}

// ValidateBasic checks the phase's fields, the source and the allow-list.
func (m *MsgCeremonyOpen) ValidateBasic() error {
	switch m.Phase {
	case CeremonyPhase1:
		if m.Power < 1 || m.Power > MaxCeremonyPower || m.Arch != "" || m.Scheme != 0 || m.Phase1 != 0 {
			return fmt.Errorf("%w: phase 1 wants power in 1..%d, no arch, scheme or phase1 (power %d, arch %q, scheme %d, phase1 %d)",
				ErrInvalidMsg, MaxCeremonyPower, m.Power, m.Arch, m.Scheme, m.Phase1)
		}
	case CeremonyPhase2:
		if m.Power != 0 {
			return fmt.Errorf("%w: phase 2 takes no power (the phase-1 ceremony fixes it)", ErrInvalidMsg)
		}
		if _, err := zk.ParseArch(m.Arch); err != nil {
			return fmt.Errorf("%w: %v", ErrInvalidMsg, err)
		}
		if !m.Scheme.Valid() {
			return fmt.Errorf("%w: unknown proof scheme %d (want 0 hash or 1 commit)", ErrInvalidMsg, m.Scheme)
		}
	default:
		return fmt.Errorf("%w: phase %d (want 1 or 2)", ErrInvalidMsg, m.Phase)
	}
	if m.Init.IsZero() {
		return fmt.Errorf("%w: zero initial transcript hash", ErrInvalidMsg)
	}
	if err := validSource(m.Source); err != nil {
		return err
	}
	for i := 1; i < len(m.Allowed); i++ {
		if string(m.Allowed[i-1][:]) >= string(m.Allowed[i][:]) {
			return fmt.Errorf("%w: allowed contributors must be strictly increasing", ErrInvalidMsg)
		}
	}
	return nil
}

// Execute stores the ceremony and schedules its beacon. A phase 2 must build
// on a usable (sealed, enough contributors) phase-1 ceremony.
func (m *MsgCeremonyOpen) Execute(tc *TxContext) error {
	s := tc.State
	p := s.Params()
	h := uint64(tc.Block.Height)
	c := &Ceremony{Phase: m.Phase, Owner: tc.Signer, Power: m.Power, Source: m.Source, Init: m.Init,
		Allowed: m.Allowed, Contributions: []Contribution{}, OpenedAt: h}
	if m.Phase == CeremonyPhase2 {
		arch, _ := zk.ParseArch(m.Arch)
		p1, err := s.Ceremony(m.Phase1)
		if err != nil {
			return err
		}
		if err := s.checkUsable(p1, CeremonyPhase1); err != nil {
			return err
		}
		c.Arch, c.CircuitID, c.Phase1 = arch.String(), m.Scheme.CircuitID(arch), m.Phase1
	}
	next := s.getU64(keyCeremonyNext)
	if next > 0xffffffff {
		return fmt.Errorf("%w: ceremony IDs exhausted", ErrOverflow)
	}
	bh, err := addU64(h, p.CeremonyBeaconDelay)
	if err != nil {
		return err
	}
	c.ID, c.BeaconHeight = uint32(next), bh
	if err := s.putCeremony(c); err != nil {
		return err
	}
	s.Set(beaconKey(bh, c.ID), nil)
	s.setU64(keyCeremonyNext, next+1)
	tc.Emit("ceremony_open", "ceremony", strconv.FormatUint(uint64(c.ID), 10), "phase", strconv.Itoa(int(c.Phase)),
		"owner", tc.Signer.String(), "beacon_height", strconv.FormatUint(bh, 10))
	return nil
}

func decodeCeremonyContribute(body []byte) (Msg, error) {
	d := NewDecoder(body)
	var m MsgCeremonyContribute
	m.Ceremony = d.Uint32("ceremony")
	copy(m.Prev[:], d.Fixed(32, "prev"))
	copy(m.Hash[:], d.Fixed(32, "hash"))
	if err := d.Finish(); err != nil {
		return nil, err
	}
	return &m, nil
}

// Type implements Msg.
func (m *MsgCeremonyContribute) Type() TxType { return TxCeremonyContribute }

// MarshalBody implements Msg.
func (m *MsgCeremonyContribute) MarshalBody() []byte {
	return NewEncoder(68).Uint32(m.Ceremony).Fixed(m.Prev[:]).Fixed(m.Hash[:]).Bytes()
}

// ValidateBasic refuses a zero hash and a contribution that repeats its
// predecessor.
func (m *MsgCeremonyContribute) ValidateBasic() error {
	if m.Hash.IsZero() || m.Hash == m.Prev {
		return fmt.Errorf("%w: contribution hash is zero or equals its predecessor", ErrInvalidMsg)
	}
	return nil
}

// Execute appends the contribution. Errors: ErrCeremonyState (sealed),
// ErrCeremonyClosed (at or past the beacon height), ErrUnauthorized (not on
// the allow-list), ErrCeremonyOrder (prev is not the head, or the hash is
// already in the transcript), ErrCeremonyState (full).
func (m *MsgCeremonyContribute) Execute(tc *TxContext) error {
	s := tc.State
	c, err := s.Ceremony(m.Ceremony)
	if err != nil {
		return err
	}
	if c.Sealed {
		return fmt.Errorf("%w: ceremony %d is sealed", ErrCeremonyState, c.ID)
	}
	if h := uint64(tc.Block.Height); h >= c.BeaconHeight {
		return fmt.Errorf("%w: ceremony %d closed for contributions at its beacon height %d (block %d)",
			ErrCeremonyClosed, c.ID, c.BeaconHeight, h)
	}
	if len(c.Allowed) > 0 {
		ok := false
		for _, a := range c.Allowed {
			ok = ok || a == tc.Signer
		}
		if !ok {
			return fmt.Errorf("%w: %s is not an allowed contributor of ceremony %d", ErrUnauthorized, tc.Signer, c.ID)
		}
	}
	if head := c.Head(); m.Prev != head {
		return fmt.Errorf("%w: contribution builds on %x, ceremony %d's last recorded transcript is %x",
			ErrCeremonyOrder, m.Prev[:8], c.ID, head[:8])
	}
	for _, h := range c.Transcript() {
		if h == m.Hash {
			return fmt.Errorf("%w: transcript %x is already recorded in ceremony %d", ErrCeremonyOrder, m.Hash[:8], c.ID)
		}
	}
	if len(c.Contributions) >= MaxCeremonyContributions {
		return fmt.Errorf("%w: ceremony %d has the maximum %d contributions", ErrCeremonyState, c.ID, MaxCeremonyContributions)
	}
	c.Contributions = append(c.Contributions, Contribution{Contributor: tc.Signer, Hash: m.Hash, Height: uint64(tc.Block.Height)})
	if err := s.putCeremony(c); err != nil {
		return err
	}
	tc.Emit("ceremony_contribute", "ceremony", strconv.FormatUint(uint64(c.ID), 10), "contributor", tc.Signer.String(),
		"index", strconv.Itoa(len(c.Contributions)), "hash", m.Hash.String())
	return nil
}

func decodeCeremonySeal(body []byte) (Msg, error) {
	d := NewDecoder(body)
	var m MsgCeremonySeal
	m.Ceremony = d.Uint32("ceremony")
	copy(m.Head[:], d.Fixed(32, "head"))
	copy(m.Output[:], d.Fixed(32, "output"))
	copy(m.PKHash[:], d.Fixed(32, "pk_hash"))
	m.VK = d.VarBytes(zk.MaxVerifyingKeySize, "vk")
	if err := d.Finish(); err != nil {
		return nil, err
	}
	return &m, nil
}

// Type implements Msg.
func (m *MsgCeremonySeal) Type() TxType { return TxCeremonySeal }

// MarshalBody implements Msg.
func (m *MsgCeremonySeal) MarshalBody() []byte {
	return NewEncoder(104 + len(m.VK)).Uint32(m.Ceremony).Fixed(m.Head[:]).Fixed(m.Output[:]).Fixed(m.PKHash[:]).VarBytes(m.VK).Bytes()
}

// ValidateBasic checks lengths only; the verifying key is parsed in Execute,
// after the signature, nonce and fee have been paid for.
func (m *MsgCeremonySeal) ValidateBasic() error {
	if m.Output.IsZero() {
		return fmt.Errorf("%w: zero output hash", ErrInvalidMsg)
	}
	if (len(m.VK) == 0) != m.PKHash.IsZero() {
		return fmt.Errorf("%w: a phase-2 seal sets both vk and pk_hash, a phase-1 seal neither", ErrInvalidMsg)
	}
	return nil
}

// Execute seals the ceremony. Errors: ErrUnauthorized (not the owner),
// ErrCeremonyState (sealed, or vk/pk_hash do not fit the phase),
// ErrCeremonyBeacon (the beacon block has not ended yet), ErrCeremonyOrder
// (head is not the last recorded hash), ErrCeremonyContributors, and
// ErrInvalidMsg for a verifying key that does not parse as a key of the
// ceremony's circuit's scheme (Ceremony.Scheme). The chain cannot
// tell whether the key is the transcript's: every daemon checks that off
// chain before relying on the ceremony.
func (m *MsgCeremonySeal) Execute(tc *TxContext) error {
	s := tc.State
	c, err := s.Ceremony(m.Ceremony)
	if err != nil {
		return err
	}
	if c.Owner != tc.Signer {
		return fmt.Errorf("%w: ceremony %d is owned by %s", ErrUnauthorized, c.ID, c.Owner)
	}
	if c.Sealed {
		return fmt.Errorf("%w: ceremony %d is already sealed", ErrCeremonyState, c.ID)
	}
	if (c.Phase == CeremonyPhase2) != (len(m.VK) > 0) {
		return fmt.Errorf("%w: phase %d seal: a phase-2 seal carries the verifying key and pk hash, a phase-1 seal neither", ErrCeremonyState, c.Phase)
	}
	if h := uint64(tc.Block.Height); h <= c.BeaconHeight || c.Beacon.IsZero() {
		return fmt.Errorf("%w: ceremony %d's beacon is the hash of block %d; seal after it (block %d)",
			ErrCeremonyBeacon, c.ID, c.BeaconHeight, h)
	}
	if head := c.Head(); m.Head != head {
		return fmt.Errorf("%w: seal of %x, ceremony %d's last recorded transcript is %x", ErrCeremonyOrder, m.Head[:8], c.ID, head[:8])
	}
	if min := s.Params().CeremonyMinContributors; uint64(c.Contributors()) < min {
		return fmt.Errorf("%w: ceremony %d has %d distinct contributors, the chain requires %d",
			ErrCeremonyContributors, c.ID, c.Contributors(), min)
	}
	if len(m.VK) > 0 {
		scheme, err := c.Scheme()
		if err != nil {
			return fmt.Errorf("%w: ceremony %d: %v", ErrInternal, c.ID, err)
		}
		if _, err := cachedVerifier(scheme, m.VK); err != nil {
			return fmt.Errorf("%w: verifying key: %v", ErrInvalidMsg, err)
		}
		c.VKHash, c.PKHash = sha256.Sum256(m.VK), m.PKHash
		s.Set(ceremonyKey(prefixCeremonyVK, c.ID), m.VK)
	}
	c.Sealed, c.SealedAt, c.Output = true, uint64(tc.Block.Height), m.Output
	if err := s.putCeremony(c); err != nil {
		return err
	}
	tc.Emit("ceremony_seal", "ceremony", strconv.FormatUint(uint64(c.ID), 10), "output", c.Output.String(),
		"beacon", c.Beacon.String())
	return nil
}
