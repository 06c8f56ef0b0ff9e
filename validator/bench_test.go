package validator

import (
	"context"
	"encoding/binary"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/veritensor/veritensor/internal/task"
	"github.com/veritensor/veritensor/miner/api"
	"github.com/veritensor/veritensor/zk"
)

// BenchmarkVerify measures what the validator does per answer (CheckAnswer:
// rebuild the public inputs, hash the input and hotkey, verify the Groth16
// proof), on every GOMAXPROCS goroutine at once; verifications/s is the
// throughput. Groth16 verification costs the same for every architecture
// (three pairings plus one per public input), so the small test circuit
// stands for 784-64-10 up to the input hash.
func BenchmarkVerify(b *testing.B) {
	f := getFixture(b)
	hk := pub(key(1))
	x := f.data.Inputs[0]
	proof, pubIn, err := f.prover.Prove(f.good, x, zk.Binding{HotkeyHash: zk.HotkeyHash(hk[:]), Epoch: 7})
	if err != nil {
		b.Fatal(err)
	}
	n := Neuron{UID: 1, Hotkey: hk, ModelCommitment: f.good.Commitment()}
	ch := Challenge{ID: "e7-u1-0", Input: x}
	resp := api.InferResponse{ID: ch.ID, Epoch: 7, Class: pubIn.Output, Proof: proof}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := CheckAnswer(f.verifier, n, ch, 7, 10, resp); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "verifications/s")
}

// cachedProver proves each distinct (input, epoch) once, bound to its
// hotkey, and answers repeats from its cache: the benchmark then measures
// the validator, not the miners' proving.
type cachedProver struct {
	f     *fixture
	hk    [32]byte
	mu    sync.Mutex
	cache map[[40]byte][3][]byte
}

func (c *cachedProver) Prove(_ context.Context, in []int8, epoch uint64) (uint32, []byte, []byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var k [40]byte
	h := zk.InputHash(in)
	copy(k[:32], h[:])
	binary.BigEndian.PutUint64(k[32:], epoch)
	if e, ok := c.cache[k]; ok {
		return uint32(e[0][0]), e[1], e[2], nil
	}
	proof, p, err := c.f.prover.Prove(c.f.good, in, zk.Binding{HotkeyHash: zk.HotkeyHash(c.hk[:]), Epoch: epoch})
	if err != nil {
		return 0, nil, nil, err
	}
	pb, _ := p.MarshalBinary()
	c.cache[k] = [3][]byte{{byte(p.Output)}, proof, pb}
	return p.Output, proof, pb, nil
}

// BenchmarkTempo measures one validator challenging and scoring N miners
// in a tempo (4 challenges each, every answer's proof verified): signing,
// HTTP to a real miner server on loopback, verification, scoring, EMA,
// weights and the state write. All UIDs share one miner server and hotkey
// and every iteration replays the same epoch, so the (transformed) inputs
// repeat: each distinct input is proved once, in the warm-up step, and the
// miners' proving time is left out of the measurement.
func BenchmarkTempo(b *testing.B) {
	for _, n := range []int{16, 256} {
		b.Run(fmt.Sprintf("miners=%d", n), func(b *testing.B) {
			f := getFixture(b)
			vk := pub(key(100))
			hk := pub(key(1))
			one := &task.Samples{Inputs: f.data.Inputs[:1], Labels: f.data.Labels[:1]}
			endpoint := startMiner(b, key(1), &cachedProver{f: f, hk: hk, cache: map[[40]byte][3][]byte{}}, vk)
			neurons := []Neuron{{UID: 0, Hotkey: vk, ValidatorPermit: true}}
			for i := 1; i <= n; i++ {
				neurons = append(neurons, Neuron{UID: uint16(i), Hotkey: hk, ModelCommitment: f.good.Commitment(), Endpoint: endpoint})
			}
			c := newFakeChain(f, neurons, true)
			v, err := New(Config{ChainID: testChain, Subnet: testNet, Hotkey: key(100), Home: b.TempDir(), Chain: c,
				Submitter: submitter{c: c, hk: vk}, Dataset: one, Graded: 4, Decoys: 0, BlockTime: time.Hour, Endpoints: EndpointPolicy{AllowLoopback: true}})
			if err != nil {
				b.Fatal(err)
			}
			// Warm the miner's cache and the connections.
			if _, err := v.Step(context.Background()); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for b.Loop() {
				c.mu.Lock()
				c.snap.Height++ // same epoch: same cached proof
				c.mu.Unlock()
				v.st.Scored = false
				v.st.Records = nil
				rep, err := v.Step(context.Background())
				if err != nil || rep.Miners[n-1].Valid != 4 {
					b.Fatalf("%v %+v", err, rep.Miners[n-1])
				}
			}
			b.ReportMetric(float64(4*n*b.N)/b.Elapsed().Seconds(), "answers/s")
		})
	}
}
