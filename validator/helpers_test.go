package validator

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/veritensor/veritensor/internal/mnist"
	"github.com/veritensor/veritensor/internal/task"
	"github.com/veritensor/veritensor/miner/hw"
	"github.com/veritensor/veritensor/miner/server"
	"github.com/veritensor/veritensor/scoring"
	"github.com/veritensor/veritensor/zk"
	"github.com/veritensor/veritensor/zk/train"
)

// The tests run the real Groth16 circuit on a small architecture, 49-16-10,
// over MNIST pooled 4x4 to 7x7 (the 784-64-10 setup takes minutes on this
// machine); the gadgets, hashes and verifier are the production ones.
const (
	testArch  = "49-16-10"
	testChain = "vt-validator-test"
	testNet   = uint16(1)
)

func poolSet(s mnist.Set, n int) train.Data {
	s = s.Head(n)
	d := train.Data{Images: make([][]byte, s.Len()), Labels: s.Labels}
	for i, img := range s.Images {
		d.Images[i] = task.Pool4x4(img)
	}
	return d
}

// fixture is built once per test binary: keys, three models and the
// held-out data set.
type fixture struct {
	arch     zk.Arch
	pk, vk   []byte
	prover   *zk.Prover
	verifier *zk.Verifier
	good     *zk.Model     // trained: high accuracy
	weak     *zk.Model     // barely trained: low accuracy
	other    *zk.Model     // another trained model (the "other weights" cheater)
	data     *task.Samples // pooled MNIST test images, quantized
}

var (
	fixOnce sync.Once
	fix     *fixture
	fixErr  error
)

func getFixture(t testing.TB) *fixture {
	t.Helper()
	fixOnce.Do(func() { fix, fixErr = buildFixture() })
	if fixErr != nil {
		t.Fatal(fixErr)
	}
	return fix
}

func buildFixture() (*fixture, error) {
	a, err := zk.ParseArch(testArch)
	if err != nil {
		return nil, err
	}
	tr, te, err := mnist.Load("")
	if err != nil {
		return nil, err
	}
	trd := poolSet(tr, 20000)
	model := func(seed uint64, steps int) (*zk.Model, error) {
		m, err := train.Train(train.Config{Arch: a, Seed: seed, Steps: steps}, trd, nil)
		if err != nil {
			return nil, err
		}
		return train.Quantize(m, train.Data{Images: trd.Images[:1000], Labels: trd.Labels[:1000]})
	}
	f := &fixture{arch: a}
	if f.good, err = model(1, 800); err != nil {
		return nil, err
	}
	if f.weak, err = model(2, 2); err != nil {
		return nil, err
	}
	if f.other, err = model(3, 800); err != nil {
		return nil, err
	}
	ted := poolSet(te, 2000)
	f.data = &task.Samples{Inputs: make([][]int8, len(ted.Images)), Labels: make([]uint32, len(ted.Images))}
	for i, img := range ted.Images {
		f.data.Inputs[i] = zk.QuantizeImage(img)
		f.data.Labels[i] = uint32(ted.Labels[i])
	}
	if f.pk, f.vk, err = zk.Setup(a, nil); err != nil {
		return nil, err
	}
	if f.prover, err = zk.NewProver(a, f.pk); err != nil {
		return nil, err
	}
	if f.verifier, err = zk.NewVerifier(f.vk); err != nil {
		return nil, err
	}
	return f, nil
}

func key(n byte) ed25519.PrivateKey { return ed25519.NewKeyFromSeed(bytes.Repeat([]byte{n}, 32)) }

func pub(k ed25519.PrivateKey) [32]byte {
	var p [32]byte
	copy(p[:], k.Public().(ed25519.PublicKey))
	return p
}

// zkProver is a miner's prover over the real circuit. An honest miner
// proves its committed model bound to its own hotkey and the requested
// epoch; the cheaters change one of the three.
type zkProver struct {
	p          *zk.Prover
	m          *zk.Model
	hotkey     [32]byte // whose hotkey hash the proof binds
	epochShift uint64
}

func (z *zkProver) Prove(_ context.Context, in []int8, epoch uint64) (uint32, []byte, []byte, error) {
	proof, pubIn, err := z.p.Prove(z.m, in, zk.Binding{HotkeyHash: zk.HotkeyHash(z.hotkey[:]), Epoch: epoch + z.epochShift})
	if err != nil {
		return 0, nil, nil, err
	}
	b, _ := pubIn.MarshalBinary()
	return pubIn.Output, proof, b, nil
}

// garbageProver answers a random class with random bytes for a proof.
type garbageProver struct {
	mu  sync.Mutex
	rng *rand.Rand
	nil bool // send no proof at all
}

func (g *garbageProver) Prove(context.Context, []int8, uint64) (uint32, []byte, []byte, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.nil {
		return uint32(g.rng.IntN(10)), nil, nil, nil
	}
	proof := make([]byte, 196)
	for i := range proof {
		proof[i] = byte(g.rng.Uint32())
	}
	return uint32(g.rng.IntN(10)), proof, make([]byte, zk.PublicSize), nil
}

// stallProver never finishes: it waits until the request is abandoned.
type stallProver struct{}

func (stallProver) Prove(ctx context.Context, _ []int8, _ uint64) (uint32, []byte, []byte, error) {
	<-ctx.Done()
	return 0, nil, nil, ctx.Err()
}

// slowProver answers as p does, d later: an honest but slow miner.
type slowProver struct {
	p interface {
		Prove(context.Context, []int8, uint64) (uint32, []byte, []byte, error)
	}
	d time.Duration
}

func (s slowProver) Prove(ctx context.Context, x []int8, epoch uint64) (uint32, []byte, []byte, error) {
	select {
	case <-time.After(s.d):
	case <-ctx.Done():
		return 0, nil, nil, ctx.Err()
	}
	return s.p.Prove(ctx, x, epoch)
}

// firstThenStall proves its first request with p and stalls on every
// later one until it is abandoned.
type firstThenStall struct {
	p interface {
		Prove(context.Context, []int8, uint64) (uint32, []byte, []byte, error)
	}
	n atomic.Int64
}

func (s *firstThenStall) Prove(ctx context.Context, x []int8, epoch uint64) (uint32, []byte, []byte, error) {
	if s.n.Add(1) == 1 {
		return s.p.Prove(ctx, x, epoch)
	}
	<-ctx.Done()
	return 0, nil, nil, ctx.Err()
}

// startMiner runs a real miner server (miner/server) for hotkey k on a
// loopback port and returns its endpoint.
func startMiner(t testing.TB, k ed25519.PrivateKey, p server.Prover, validators ...[32]byte) string {
	t.Helper()
	permits := map[[32]byte]uint64{}
	for _, v := range validators {
		permits[v] = 1000
	}
	s, err := server.New(server.Config{
		ChainID: testChain, Miner: pub(k), Subnet: testNet, InputLen: 49,
		Prover: p, Permits: server.NewPermitSet(permits), QueueCap: 1024,
		RequestTimeout: 2 * time.Minute, CallerRate: 1e6, CallerBurst: 1e6, IPRate: 1e6, IPBurst: 1e6, Workers: 4,
		Hardware: func() hw.Summary { return hw.Summary{CPUCores: 1, CPUOnly: true} },
	})
	if err != nil {
		t.Fatal(err)
	}
	return serve(t, s.Handler(), func(ctx context.Context) { _ = s.Shutdown(ctx) }, s.Serve)
}

// startRaw runs an HTTP handler standing in for a broken or hostile miner.
func startRaw(t testing.TB, h http.Handler) string {
	t.Helper()
	hs := &http.Server{Handler: h}
	return serve(t, h, func(ctx context.Context) { hs.Close() }, hs.Serve)
}

func serve(t testing.TB, _ http.Handler, stop func(context.Context), run func(net.Listener) error) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		if err := run(l); err != nil && !errors.Is(err, http.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
			t.Logf("server: %v", err)
		}
	}()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		stop(ctx)
	})
	return "http://" + l.Addr().String()
}

// deadEndpoint is a loopback address nothing listens on.
func deadEndpoint(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

// fakeChain serves a fixed metagraph and keeps pending commits, checking
// reveals with the chain's own commit hash (chain.WeightsCommitHash through
// CommitHash). It stands in for the node until the real-chain test lands.
type fakeChain struct {
	mu       sync.Mutex
	snap     Snapshot
	commits  map[[32]byte]Commit // by hotkey
	revealed map[uint64][]scoring.Weight
	set      [][]scoring.Weight
	nCommit  int
	nReveal  int
	// failCommit makes the next CommitWeights calls fail after landing
	// (an ambiguous error) while > 0.
	ambiguousCommits int
	failHead         int
}

func (c *fakeChain) Head(context.Context) (Head, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.failHead > 0 {
		c.failHead--
		return Head{}, errors.New("rpc: connection refused")
	}
	return c.snap.Head, nil
}

func (c *fakeChain) Snapshot(context.Context) (Snapshot, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.snap
	s.Neurons = append([]Neuron(nil), c.snap.Neurons...)
	return s, nil
}

func (c *fakeChain) SubscribeBlocks(context.Context) (<-chan uint64, error) {
	return nil, errors.New("no websocket in the fake")
}

func (c *fakeChain) PendingCommit(_ context.Context, hk [32]byte) (Commit, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cm, ok := c.commits[hk]
	return cm, ok, nil
}

// advance starts the next epoch with a new seed.
func (c *fakeChain) advance() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.snap.Epoch++
	c.snap.Height += c.snap.Subnet.Tempo
	c.snap.NextEpochHeight = c.snap.Height + c.snap.Subnet.Tempo
	c.snap.Seed[0]++
}

// submitter is the fake chain's WeightsSubmitter for one validator hotkey.
type submitter struct {
	c  *fakeChain
	hk [32]byte
}

func (s submitter) CommitWeights(_ context.Context, hash [32]byte) error {
	c := s.c
	c.mu.Lock()
	defer c.mu.Unlock()
	c.nCommit++
	c.commits[s.hk] = Commit{Hash: hash, Epoch: c.snap.Epoch}
	if c.ambiguousCommits > 0 {
		c.ambiguousCommits--
		return errors.New("broadcast: timed out waiting for the block (the tx may still land)")
	}
	return nil
}

func (s submitter) RevealWeights(_ context.Context, w []scoring.Weight, salt []byte) error {
	c := s.c
	c.mu.Lock()
	defer c.mu.Unlock()
	c.nReveal++
	cm, ok := c.commits[s.hk]
	switch {
	case !ok:
		return ErrRejected
	case cm.Epoch+1 != c.snap.Epoch:
		return ErrRejected
	case CommitHash(testChain, testNet, s.hk, cm.Epoch, w, salt) != cm.Hash:
		return ErrRejected
	}
	delete(c.commits, s.hk)
	c.revealed[cm.Epoch] = w
	return nil
}

func (s submitter) SetWeights(_ context.Context, w []scoring.Weight) error {
	c := s.c
	c.mu.Lock()
	defer c.mu.Unlock()
	c.set = append(c.set, w)
	for i := range c.snap.Neurons {
		if c.snap.Neurons[i].Hotkey == s.hk {
			c.snap.Neurons[i].LastUpdate = c.snap.Height + 1
		}
	}
	return nil
}

func newFakeChain(f *fixture, neurons []Neuron, commitReveal bool) *fakeChain {
	return &fakeChain{
		snap: Snapshot{
			Head: Head{Height: 100, Epoch: 1, Seed: [32]byte{42}, NextEpochHeight: 110},
			Subnet: Subnet{ID: testNet, Arch: testArch, VerifyingKey: f.vk, Tempo: 10, MaxWeightLimit: 65535,
				MinAllowedWeights: 1, CommitReveal: commitReveal, WeightsRateLimit: 5},
			Neurons: neurons,
		},
		commits:  map[[32]byte]Commit{},
		revealed: map[uint64][]scoring.Weight{},
	}
}
