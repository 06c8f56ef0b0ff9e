package server

import "sync"

// PermitSet is a Permits held in memory: the daemon refreshes it from the
// chain's metagraph (Replace) and the server reads it on every request.
type PermitSet struct {
	mu sync.RWMutex
	m  map[[32]byte]uint64
}

// NewPermitSet returns a set holding the given hotkey -> stake entries.
func NewPermitSet(m map[[32]byte]uint64) *PermitSet {
	s := &PermitSet{}
	s.Replace(m)
	return s
}

// Replace swaps in a new validator set (hotkey -> stake in base units); the
// map is copied.
func (s *PermitSet) Replace(m map[[32]byte]uint64) {
	c := make(map[[32]byte]uint64, len(m))
	for k, v := range m {
		c[k] = v
	}
	s.mu.Lock()
	s.m = c
	s.mu.Unlock()
}

// Permit implements Permits.
func (s *PermitSet) Permit(hotkey [32]byte) (uint64, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	stake, ok := s.m[hotkey]
	return stake, ok
}
