package chain

import (
	"testing"

	"github.com/veritensor/veritensor/scoring"
)

// TestScoringRuleNames pins one name per scoring rule: the chain's strings
// (part of the subnet-create encoding, never renamed) are the names of
// scoring.BondsMode.
func TestScoringRuleNames(t *testing.T) {
	for rule, mode := range map[string]scoring.BondsMode{ScoringYuma: scoring.BondsYuma, ScoringYuma3: scoring.BondsYuma3} {
		if mode.String() != rule {
			t.Errorf("chain scoring rule %q is scoring.BondsMode %q", rule, mode)
		}
	}
	if ScoringYuma != "yuma" || ScoringYuma3 != "yuma3" {
		t.Errorf("on-chain scoring rule strings changed: %q, %q", ScoringYuma, ScoringYuma3)
	}
}
