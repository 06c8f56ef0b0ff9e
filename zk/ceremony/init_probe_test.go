package ceremony

import (
	"os"
	"testing"
	"time"

	"github.com/veritensor/veritensor/zk"
)

func TestProbeInit784(t *testing.T) {
	if os.Getenv("PROBE") == "" {
		t.Skip()
	}
	c, err := CompileCircuit(zk.Arch{Sizes: []int{784, 64, 10}})
	if err != nil {
		t.Fatal(err)
	}
	nbI, nbS, nbP := c.r1cs.GetNbVariables()
	t.Logf("constraints %d log2 %d wires %d", c.NbConstraints, c.Log2, nbI+nbS+nbP)
	s := newP1(1 << c.Log2)
	st := time.Now()
	_, _, err = initPhase2(c, &s.c)
	t.Log("init", time.Since(st), err)
}
