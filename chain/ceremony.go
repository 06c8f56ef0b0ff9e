package chain

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"

	"github.com/veritensor/veritensor/zk"
)

// The Groth16 setup ceremony on chain (docs/protocol.md, "Ceremonies").
//
// A ceremony is one phase of gnark's MPC setup: phase 1 (powers of tau of
// size 2^Power, shared by every circuit up to that size) or phase 2 (one
// circuit, built on a sealed phase-1 ceremony). The chain cannot verify a
// transcript (that takes seconds to minutes of pairings); it records who
// contributed what, in which order, and fixes the beacon:
//
//   - ceremony-open records the hash of the initial transcript file, where
//     the files can be fetched, and fixes the beacon height: the open block
//     plus Params.CeremonyBeaconDelay. Nobody chooses it.
//   - ceremony-contribute records the SHA-256 of the next transcript file,
//     which must name the current head as its predecessor; the signer is
//     the contributor. Contributions are accepted only below the beacon
//     height, so no contributor can know the beacon.
//   - at the end of the beacon block, the chain derives the beacon from that
//     block's hash (CeremonyBeacon) and stores it.
//   - ceremony-seal (the opener, after the beacon height) records the hash
//     of the sealed output and, for phase 2, the verifying key and the
//     proving key's hash. The chain refuses to seal below
//     Params.CeremonyMinContributors distinct contributors.
//
// subnet-create names a sealed phase-2 ceremony; the subnet's verifying key
// is the ceremony's. Everyone who relies on a subnet (miners, validators,
// auditors) verifies the whole transcript off chain against these hashes.

// Envelope types of the ceremony messages.
const (
	TxCeremonyOpen       TxType = 40
	TxCeremonyContribute TxType = 41
	TxCeremonySeal       TxType = 42
)

// Ceremony phases.
const (
	CeremonyPhase1 uint8 = 1
	CeremonyPhase2 uint8 = 2
)

// Limits of ceremony fields.
const (
	// MaxCeremonyPower is the largest phase-1 size, log2 (BN254's scalar
	// field has 2-adicity 28).
	MaxCeremonyPower = 28
	// MaxCeremonyContributions caps the contributions of one ceremony (and
	// the allow-list of ceremony-open).
	MaxCeremonyContributions = 64
	// MaxCeremonySourceLen bounds the transcript location.
	MaxCeremonySourceLen = 256
)

// BeaconDomain separates the ceremony beacon from every other hash.
const BeaconDomain = "veritensor/ceremony/beacon/v1"

// CeremonyBeacon derives the beacon of a ceremony of the given phase from
// the hash of the block at its beacon height:
//
//	SHA-256(BeaconDomain | u16 len(chain_id) | chain_id | u64 ceremony ID |
//	        u8 phase | u16 len(block hash) | block hash)
//
// integers big-endian; byte for byte zk/ceremony.Beacon, which sealers and
// verifiers call. Binding the chain and the ceremony keeps two ceremonies
// from sharing a beacon.
func CeremonyBeacon(chainID string, id uint32, phase uint8, blockHash []byte) Hash32 {
	e := NewEncoder(96).Fixed([]byte(BeaconDomain)).Uint16(uint16(len(chainID))).Fixed([]byte(chainID)).
		Uint64(uint64(id)).Uint8(phase).Uint16(uint16(len(blockHash))).Fixed(blockHash)
	return sha256.Sum256(e.Bytes())
}

// Contribution is one recorded contribution.
type Contribution struct {
	// Contributor is the signer of ceremony-contribute.
	Contributor Address `json:"contributor"`
	// Hash is SHA-256 of the transcript file after this contribution.
	Hash Hash32 `json:"hash"`
	// Height is the block it landed in.
	Height uint64 `json:"height"`
}

// Ceremony is one ceremony's stored record.
type Ceremony struct {
	ID    uint32  `json:"id"`
	Phase uint8   `json:"phase"`
	Owner Address `json:"owner"`
	// Power is log2 of the phase-1 size (phase 1 only).
	Power uint8 `json:"power,omitempty"`
	// Arch and CircuitID name the circuit (phase 2 only).
	Arch      string `json:"arch,omitempty"`
	CircuitID Hash32 `json:"circuit_id"`
	// Phase1 is the sealed phase-1 ceremony a phase 2 builds on.
	Phase1 uint32 `json:"phase1,omitempty"`
	// Source is where transcript files are fetched: an absolute directory
	// or an http(s) base URL; a file is <Source>/<hex SHA-256>.ceremony (internal/ceremonydir).
	Source string `json:"source"`
	// Init is SHA-256 of the initial transcript file (before any
	// contribution).
	Init Hash32 `json:"init"`
	// Allowed, when not empty, lists the only addresses that may contribute.
	Allowed []Address `json:"allowed,omitempty"`
	// Contributions in order; each builds on the previous (the first on Init).
	Contributions []Contribution `json:"contributions"`
	// OpenedAt is the block of ceremony-open.
	OpenedAt uint64 `json:"opened_at"`
	// BeaconHeight is OpenedAt + CeremonyBeaconDelay: contributions land
	// below it, the seal above it.
	BeaconHeight uint64 `json:"beacon_height"`
	// BeaconBlockHash is the hash of block BeaconHeight (zero until then).
	BeaconBlockHash Hash32 `json:"beacon_block_hash"`
	// Beacon is CeremonyBeacon(chain ID, ID, Phase, BeaconBlockHash).
	Beacon Hash32 `json:"beacon"`
	// Sealed is set by ceremony-seal, at block SealedAt.
	Sealed   bool   `json:"sealed"`
	SealedAt uint64 `json:"sealed_at,omitempty"`
	// Output is SHA-256 of the sealed output file (phase 1: the SRS
	// commons; phase 2: the proving and verifying keys).
	Output Hash32 `json:"output"`
	// VKHash and PKHash are SHA-256 of the sealed verifying and proving keys
	// (phase 2); the verifying key is stored under cervk/<id>.
	VKHash Hash32 `json:"vk_hash"`
	PKHash Hash32 `json:"pk_hash"`
}

// Head is the hash the next contribution must build on (Init before any).
func (c *Ceremony) Head() Hash32 {
	if n := len(c.Contributions); n > 0 {
		return c.Contributions[n-1].Hash
	}
	return c.Init
}

// Contributors is the number of distinct contributors.
func (c *Ceremony) Contributors() int {
	seen := make([]Address, 0, len(c.Contributions))
	for _, k := range c.Contributions {
		dup := false
		for _, a := range seen {
			if a == k.Contributor {
				dup = true
				break
			}
		}
		if !dup {
			seen = append(seen, k.Contributor)
		}
	}
	return len(seen)
}

// Transcript lists the file hashes in order: Init, then each contribution.
func (c *Ceremony) Transcript() []Hash32 {
	out := []Hash32{c.Init}
	for _, k := range c.Contributions {
		out = append(out, k.Hash)
	}
	return out
}

// State keys of ceremonies (docs/protocol.md).
const (
	prefixCeremony       = "cer/"     // + id u32 -> JSON Ceremony
	prefixCeremonyVK     = "cervk/"   // + id u32 -> verifying key bytes
	prefixCeremonyBeacon = "cerbcn/"  // + height u64 + id u32 -> empty: beacon due at that height
	keyCeremonyNext      = "cer_next" // u64: the next ceremony ID
)

func ceremonyKey(prefix string, id uint32) string {
	return prefix + string(binary.BigEndian.AppendUint32(nil, id))
}

func beaconKey(height uint64, id uint32) string {
	b := binary.BigEndian.AppendUint64(nil, height)
	return prefixCeremonyBeacon + string(binary.BigEndian.AppendUint32(b, id))
}

// Ceremony returns the ceremony with id, or ErrCeremonyNotFound.
func (s *State) Ceremony(id uint32) (*Ceremony, error) {
	var c Ceremony
	if !s.getJSON(ceremonyKey(prefixCeremony, id), &c) {
		return nil, fmt.Errorf("%w: %d", ErrCeremonyNotFound, id)
	}
	return &c, nil
}

// CeremonyVK returns a sealed phase-2 ceremony's verifying key.
func (s *State) CeremonyVK(id uint32) []byte {
	v, _ := s.Get(ceremonyKey(prefixCeremonyVK, id))
	return v
}

func (s *State) putCeremony(c *Ceremony) error {
	return s.putJSON(ceremonyKey(prefixCeremony, c.ID), c)
}

// Ceremonies returns every ceremony in ID order.
func (s *State) Ceremonies() []*Ceremony {
	var out []*Ceremony
	s.Iterate(prefixCeremony, func(k string, v []byte) bool {
		var c Ceremony
		if len(k) == len(prefixCeremony)+4 && s.getJSONBytes(v, &c) {
			out = append(out, &c)
		}
		return true
	})
	return out
}

// checkUsable reports whether c is a sealed ceremony of the given phase
// with enough distinct contributors to be relied on.
func (s *State) checkUsable(c *Ceremony, phase uint8) error {
	if c.Phase != phase {
		return fmt.Errorf("%w: ceremony %d is phase %d, want phase %d", ErrCeremonyState, c.ID, c.Phase, phase)
	}
	if !c.Sealed {
		return fmt.Errorf("%w: ceremony %d is not sealed", ErrCeremonyState, c.ID)
	}
	if min := s.Params().CeremonyMinContributors; uint64(c.Contributors()) < min {
		return fmt.Errorf("%w: ceremony %d has %d distinct contributors, the chain requires %d",
			ErrCeremonyContributors, c.ID, c.Contributors(), min)
	}
	return nil
}

// UsableCircuitCeremony returns the sealed phase-2 ceremony id for arch with
// its sealed phase 1, checking both are usable (subnet-create's rule).
func (s *State) UsableCircuitCeremony(id uint32, arch zk.Arch) (*Ceremony, error) {
	c, err := s.Ceremony(id)
	if err != nil {
		return nil, err
	}
	if err := s.checkUsable(c, CeremonyPhase2); err != nil {
		return nil, err
	}
	if cid := Hash32(arch.CircuitID()); c.CircuitID != cid {
		return nil, fmt.Errorf("%w: ceremony %d is for %s (circuit %x), the subnet's arch %s is circuit %x",
			ErrCeremonyMismatch, c.ID, c.Arch, c.CircuitID[:8], arch, cid[:8])
	}
	p1, err := s.Ceremony(c.Phase1)
	if err != nil {
		return nil, err
	}
	if err := s.checkUsable(p1, CeremonyPhase1); err != nil {
		return nil, fmt.Errorf("phase 1 of ceremony %d: %w", c.ID, err)
	}
	return c, nil
}

// validSource accepts an absolute directory path or an http(s) base URL,
// printable ASCII without spaces.
func validSource(src string) error {
	if src == "" || len(src) > MaxCeremonySourceLen || !printable(src) || strings.ContainsAny(src, " \\") {
		return fmt.Errorf("%w: transcript source %q: want an absolute path or an http(s) URL of printable ASCII without spaces, <= %d bytes",
			ErrInvalidMsg, src, MaxCeremonySourceLen)
	}
	if !strings.HasPrefix(src, "/") && !strings.HasPrefix(src, "http://") && !strings.HasPrefix(src, "https://") {
		return fmt.Errorf("%w: transcript source %q: want an absolute path or an http(s) URL", ErrInvalidMsg, src)
	}
	return nil
}

// MsgCeremonyOpen opens a ceremony owned by the signer. Body: phase (u8) |
// power (u8) | arch (string) | phase1 (u32) | init (32) | source (string) |
// allowed count (u16) | allowed addresses (20 each, strictly increasing).
// Phase 1 sets power (1..MaxCeremonyPower) and leaves arch empty and phase1
// zero; phase 2 sets arch and phase1 and leaves power zero.
type MsgCeremonyOpen struct {
	Phase   uint8     `json:"phase"`
	Power   uint8     `json:"power"`
	Arch    string    `json:"arch"`
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
	RegisterEndBlocker("ceremonies", ceremoniesEndBlock)
}

func decodeCeremonyOpen(body []byte) (Msg, error) {
	d := NewDecoder(body)
	var m MsgCeremonyOpen
	m.Phase = d.Uint8("phase")
	m.Power = d.Uint8("power")
	m.Arch = d.String(MaxArchLen, "arch")
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
	e.Uint8(m.Phase).Uint8(m.Power).String(m.Arch).Uint32(m.Phase1).Fixed(m.Init[:]).String(m.Source).
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
		if m.Power < 1 || m.Power > MaxCeremonyPower || m.Arch != "" || m.Phase1 != 0 {
			return fmt.Errorf("%w: phase 1 wants power in 1..%d, no arch and no phase1 (power %d, arch %q, phase1 %d)",
				ErrInvalidMsg, MaxCeremonyPower, m.Power, m.Arch, m.Phase1)
		}
	case CeremonyPhase2:
		if m.Power != 0 {
			return fmt.Errorf("%w: phase 2 takes no power (the phase-1 ceremony fixes it)", ErrInvalidMsg)
		}
		if _, err := zk.ParseArch(m.Arch); err != nil {
			return fmt.Errorf("%w: %v", ErrInvalidMsg, err)
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
		c.Arch, c.CircuitID, c.Phase1 = arch.String(), arch.CircuitID(), m.Phase1
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
// ErrInvalidMsg for a verifying key that does not parse. The chain cannot
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
		if _, err := cachedVerifier(m.VK); err != nil {
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

// ceremoniesEndBlock derives and stores the beacon of every ceremony whose
// beacon height is this block.
func ceremoniesEndBlock(s *State, ctx BlockContext) ([]Event, error) {
	prefix := beaconKey(uint64(ctx.Height), 0)
	prefix = prefix[:len(prefix)-4]
	var due []string
	s.Iterate(prefix, func(k string, _ []byte) bool {
		due = append(due, k)
		return true
	})
	var evs []Event
	for _, k := range due {
		s.Delete(k)
		id := binary.BigEndian.Uint32([]byte(k[len(prefix):]))
		c, err := s.Ceremony(id)
		if err != nil {
			continue
		}
		copy(c.BeaconBlockHash[:], ctx.Hash)
		c.Beacon = CeremonyBeacon(s.ChainID(), c.ID, c.Phase, ctx.Hash)
		if err := s.putCeremony(c); err != nil {
			return nil, err
		}
		evs = append(evs, Event{Type: "ceremony_beacon", Attrs: []Attr{
			{"ceremony", strconv.FormatUint(uint64(id), 10)}, {"beacon", c.Beacon.String()}}})
	}
	return evs, nil
}
