package chain

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
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

// Scheme is the proof scheme of a phase-2 ceremony's circuit (zk.SchemeOf
// its Arch and CircuitID): what its verifying key is parsed as and how the
// subnets using it bind models.
func (c *Ceremony) Scheme() (zk.Scheme, error) {
	a, err := zk.ParseArch(c.Arch)
	if err != nil {
		return 0, err
	}
	return zk.SchemeOf(a, c.CircuitID)
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
		if len(k) == len(prefixCeremony)+4 && json.Unmarshal(v, &c) == nil {
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

// UsableCircuitCeremony returns the sealed phase-2 ceremony id for a
// single-inference circuit of arch (of any zk.Scheme; its CircuitID becomes
// the subnet's) with its sealed phase 1, checking both are usable
// (subnet-create's rule).
func (s *State) UsableCircuitCeremony(id uint32, arch zk.Arch) (*Ceremony, error) {
	c, err := s.Ceremony(id)
	if err != nil {
		return nil, err
	}
	if err := s.checkUsable(c, CeremonyPhase2); err != nil {
		return nil, err
	}
	if _, err := zk.SchemeOf(arch, c.CircuitID); err != nil {
		cid := Hash32(arch.CircuitID())
		return nil, fmt.Errorf("%w: ceremony %d is for %s (circuit %x), the subnet's arch %s is circuit %x (hash scheme) or %x (commit scheme)",
			ErrCeremonyMismatch, c.ID, c.Arch, c.CircuitID[:8], arch, cid[:8], zk.CommitCircuitID(arch))
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
