package chain

import (
	"fmt"
	"strconv"
)

// CeremonyInfo answers /ceremony/<id> and is one entry of /ceremonies.
type CeremonyInfo struct {
	Ceremony
	// Head is the hash the next contribution must build on.
	Head Hash32 `json:"head"`
	// DistinctContributors counts distinct contributor addresses.
	DistinctContributors int `json:"distinct_contributors"`
	// MinContributors is the chain's CeremonyMinContributors.
	MinContributors uint64 `json:"min_contributors"`
	// Scheme is the proof scheme of a phase-2 ceremony's circuit
	// (Ceremony.Scheme): "hash" or "commit"; empty for phase 1.
	Scheme string `json:"scheme,omitempty"`
	// VK is the sealed verifying key (phase 2, only in /ceremony/<id>).
	VK []byte `json:"vk,omitempty"`
}

// CeremoniesInfo answers /ceremonies.
type CeremoniesInfo struct {
	Ceremonies []CeremonyInfo `json:"ceremonies"`
}

func init() {
	RegisterQuery("ceremonies", func(s *State, _ string, _ []byte) (any, error) {
		out := CeremoniesInfo{Ceremonies: []CeremonyInfo{}}
		for _, c := range s.Ceremonies() {
			out.Ceremonies = append(out.Ceremonies, s.ceremonyInfo(c, false))
		}
		return out, nil
	})
	RegisterQuery("ceremony", func(s *State, rest string, _ []byte) (any, error) {
		id, err := strconv.ParseUint(rest, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("%w: ceremony id %q", ErrMalformed, rest)
		}
		c, err := s.Ceremony(uint32(id))
		if err != nil {
			return nil, err
		}
		return s.ceremonyInfo(c, true), nil
	})
}

func (s *State) ceremonyInfo(c *Ceremony, withVK bool) CeremonyInfo {
	ci := CeremonyInfo{Ceremony: *c, Head: c.Head(), DistinctContributors: c.Contributors(),
		MinContributors: s.Params().CeremonyMinContributors}
	if c.Phase == CeremonyPhase2 {
		if scheme, err := c.Scheme(); err == nil {
			ci.Scheme = scheme.String()
		}
	}
	if withVK {
		ci.VK = s.CeremonyVK(c.ID)
	}
	return ci
}
