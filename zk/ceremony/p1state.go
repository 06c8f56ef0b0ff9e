package ceremony

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
	"runtime"
	"sync"
	"sync/atomic"

	curve "github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	cmpc "github.com/consensys/gnark-crypto/ecc/bn254/mpcsetup"
	"github.com/consensys/gnark/backend/groth16/bn254/mpcsetup"
)

// p1State is a phase-1 state, byte-for-byte the layout of gnark's
// mpcsetup.Phase1 (WriteTo/ReadFrom), with the same Contribute, Verify and
// Seal. It exists because gnark's Phase1 updates and decodes its 5*2^Log2
// points on one core and keeps its parameters unexported; here both run on
// every core and report progress. TestPhase1MatchesGnark checks that gnark
// accepts these contributions and seals to the same parameters.
//
// Body layout (compressed points): 3 update proofs (τ, α, β; G1 32 + G2 64
// bytes each), N (u64), [β]₂, [τ¹..τ²ᴺ⁻²]₁, [τ¹..τᴺ⁻¹]₂, [βτ⁰..βτᴺ⁻¹]₁,
// [ατ⁰..ατᴺ⁻¹]₁, challenge (u8 length + bytes: SHA-256 of the previous
// state's body).
type p1State struct {
	proofs    [3]cmpc.UpdateProof // τ, α, β
	c         mpcsetup.SrsCommons
	challenge []byte
}

// Offsets in a phase-1 body of domain n.
type p1Layout struct {
	n                                        int64
	beta2, tau1, tau2, betaTau, alphaTau, ch int64
}

// layout1 is the layout of a state body; layoutCommons of a sealed
// file's parameters (the same without the proofs and challenge).
func layout1(n int64) p1Layout { return layoutAt(n, 3*proofSize) }

func layoutCommons(n int64) p1Layout { return layoutAt(n, 0) }

func layoutAt(n, base int64) p1Layout {
	l := p1Layout{n: n, beta2: base + 8}
	l.tau1 = l.beta2 + g2Size
	l.tau2 = l.tau1 + (2*n-2)*g1Size
	l.betaTau = l.tau2 + (n-1)*g2Size
	l.alphaTau = l.betaTau + n*g1Size
	l.ch = l.alphaTau + n*g1Size
	return l
}

func newP1(n int) *p1State {
	s := &p1State{}
	s.c.G1.Tau = make([]curve.G1Affine, 2*n-1)
	s.c.G2.Tau = make([]curve.G2Affine, n)
	s.c.G1.AlphaTau = make([]curve.G1Affine, n)
	s.c.G1.BetaTau = make([]curve.G1Affine, n)
	_, _, g1, g2 := curve.Generators()
	fill(s.c.G1.Tau, g1)
	fill(s.c.G2.Tau, g2)
	fill(s.c.G1.AlphaTau, g1)
	fill(s.c.G1.BetaTau, g1)
	s.c.G2.Beta = g2
	return s
}

func fill[T any](s []T, v T) {
	for i := range s {
		s[i] = v
	}
}

// parallel runs f over [0, n) in chunks on every core; done, if not nil,
// counts the items finished.
func parallel(n int, f func(start, end int), done *counter) {
	workers := runtime.GOMAXPROCS(0)
	chunk := max(256, n/(workers*16))
	var wg sync.WaitGroup
	next := atomic.Int64{}
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				start := int(next.Add(int64(chunk))) - chunk
				if start >= n {
					return
				}
				end := min(start+chunk, n)
				f(start, end)
				done.add(end - start)
			}
		}()
	}
	wg.Wait()
}

// counter reports the progress of a parallel step: progress is called with
// the step's name and the items done so far after every chunk, one call at
// a time (no clock here: the caller throttles what it draws).
type counter struct {
	mu          sync.Mutex
	p           Progress
	step        string
	done, total int
}

func newCounter(p Progress, step string, total int) *counter {
	if p == nil {
		return nil
	}
	p(step, 0, total)
	return &counter{p: p, step: step, total: total}
}

func (c *counter) add(n int) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.done += n
	c.p(c.step, c.done, c.total)
}

// encode writes the body in gnark's layout.
func (s *p1State) encode(progress Progress) []byte {
	n := int64(len(s.c.G2.Tau))
	l := layout1(n)
	b := make([]byte, l.ch+1+int64(len(s.challenge)))
	off := 0
	for i := range s.proofs {
		w := sliceWriter{b: b[off:off]}
		s.proofs[i].WriteTo(&w)
		off += proofSize
	}
	binary.BigEndian.PutUint64(b[3*proofSize:], uint64(n))
	putG2(b[l.beta2:], &s.c.G2.Beta)
	parallel(int(n), func(start, end int) {
		for i := start; i < end; i++ {
			if i > 0 {
				putG1(b[l.tau1+int64(i-1)*g1Size:], &s.c.G1.Tau[i])
				putG2(b[l.tau2+int64(i-1)*g2Size:], &s.c.G2.Tau[i])
			}
			if j := int(n) + i; j < len(s.c.G1.Tau) {
				putG1(b[l.tau1+int64(j-1)*g1Size:], &s.c.G1.Tau[j])
			}
			putG1(b[l.betaTau+int64(i)*g1Size:], &s.c.G1.BetaTau[i])
			putG1(b[l.alphaTau+int64(i)*g1Size:], &s.c.G1.AlphaTau[i])
		}
	}, newCounter(progress, "encode", int(n)))
	b[l.ch] = byte(len(s.challenge))
	copy(b[l.ch+1:], s.challenge)
	return b
}

// encodeCommons writes sealed parameters as SrsCommons.WriteTo does.
func encodeCommons(c *mpcsetup.SrsCommons, progress Progress) []byte {
	s := p1State{c: *c}
	b := s.encode(progress)
	return b[3*proofSize : len(b)-1]
}

func decodeCommons(log2 uint8, b []byte, progress Progress) (*mpcsetup.SrsCommons, error) {
	n := int64(1) << log2
	if want := commonsSize(n); int64(len(b)) != want {
		return nil, fmt.Errorf("%w: sealed parameters of %d bytes, want %d for 2^%d", ErrMalformed, len(b), want, log2)
	}
	if got := binary.BigEndian.Uint64(b); got != uint64(n) {
		return nil, fmt.Errorf("%w: parameters of size %d in a file of size 2^%d", ErrMalformed, got, log2)
	}
	l := layoutCommons(n)
	s := &p1State{}
	if err := getG2(&s.c.G2.Beta, b[l.beta2:]); err != nil {
		return nil, fmt.Errorf("%w: [β]₂: %w", ErrMalformed, err)
	}
	if err := s.decodePoints(b, l, progress); err != nil {
		return nil, err
	}
	return &s.c, nil
}

func newByteReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }

type sliceWriter struct{ b []byte }

func (w *sliceWriter) Write(p []byte) (int, error) { w.b = append(w.b, p...); return len(p), nil }

func putG1(dst []byte, p *curve.G1Affine) { c := p.Bytes(); copy(dst, c[:]) }
func putG2(dst []byte, p *curve.G2Affine) { c := p.Bytes(); copy(dst, c[:]) }

func getG1(p *curve.G1Affine, b []byte) error {
	_, err := p.SetBytes(b[:g1Size:g1Size])
	return err
}

func getG2(p *curve.G2Affine, b []byte) error {
	_, err := p.SetBytes(b[:g2Size:g2Size])
	return err
}

// checkBody1 checks a phase-1 body's length and N for domain 2^log2 and
// whether it carries a challenge.
func checkBody1(log2 uint8, body []byte, withChallenge bool) error {
	n := int64(1) << log2
	ch := 0
	if withChallenge {
		ch = hashSize
	}
	if want := phase1BodySize(n, ch); int64(len(body)) != want {
		return fmt.Errorf("%w: phase-1 state of %d bytes, want %d for 2^%d", ErrMalformed, len(body), want, log2)
	}
	if got := binary.BigEndian.Uint64(body[3*proofSize:]); got != uint64(n) {
		return fmt.Errorf("%w: state of size %d in a file of size 2^%d", ErrMalformed, got, log2)
	}
	if int(body[len(body)-1-ch]) != ch {
		return fmt.Errorf("%w: challenge of %d bytes, want %d", ErrMalformed, body[len(body)-1-ch], ch)
	}
	return nil
}

// decodeP1 parses a whole body (checked by checkBody1), decompressing and
// subgroup-checking every point on every core.
func decodeP1(log2 uint8, body []byte, progress Progress) (*p1State, error) {
	n := int64(1) << log2
	l := layout1(n)
	s := &p1State{}
	if err := s.decodeHead(body, l); err != nil {
		return nil, err
	}
	if err := s.decodePoints(body, l, progress); err != nil {
		return nil, err
	}
	return s, nil
}

// decodePoints decodes the parameters at l (everything but [β]₂).
func (s *p1State) decodePoints(body []byte, l p1Layout, progress Progress) error {
	n := l.n
	s.c.G1.Tau = make([]curve.G1Affine, 2*n-1)
	s.c.G2.Tau = make([]curve.G2Affine, n)
	s.c.G1.AlphaTau = make([]curve.G1Affine, n)
	s.c.G1.BetaTau = make([]curve.G1Affine, n)
	_, _, s.c.G1.Tau[0], s.c.G2.Tau[0] = curve.Generators()
	var bad atomic.Pointer[error]
	parallel(int(n), func(start, end int) {
		for i := start; i < end; i++ {
			var err error
			if i > 0 {
				err = errors.Join(getG1(&s.c.G1.Tau[i], body[l.tau1+int64(i-1)*g1Size:]),
					getG2(&s.c.G2.Tau[i], body[l.tau2+int64(i-1)*g2Size:]))
			}
			if j := int(n) + i; j < len(s.c.G1.Tau) {
				err = errors.Join(err, getG1(&s.c.G1.Tau[j], body[l.tau1+int64(j-1)*g1Size:]))
			}
			err = errors.Join(err, getG1(&s.c.G1.BetaTau[i], body[l.betaTau+int64(i)*g1Size:]),
				getG1(&s.c.G1.AlphaTau[i], body[l.alphaTau+int64(i)*g1Size:]))
			if err != nil {
				e := fmt.Errorf("%w: point %d: %w", ErrMalformed, i, err)
				bad.CompareAndSwap(nil, &e)
				return
			}
		}
	}, newCounter(progress, "decode", int(n)))
	if e := bad.Load(); e != nil {
		return *e
	}
	return nil
}

// decodeHead parses the proofs, [β]₂ and the challenge, and the first
// points an update proof refers to ([τ¹]₁, [α]₁, [β]₁): all a contribution's
// proofs need when its successor is checked in full.
func (s *p1State) decodeHead(body []byte, l p1Layout) error {
	for i := range s.proofs {
		b := body[i*proofSize : (i+1)*proofSize]
		if err := func() (err error) {
			defer func() {
				if r := recover(); r != nil {
					err = fmt.Errorf("%v", r)
				}
			}()
			_, err = s.proofs[i].ReadFrom(newByteReader(b))
			return err
		}(); err != nil {
			return fmt.Errorf("%w: update proof %d: %w", ErrMalformed, i, err)
		}
	}
	if err := getG2(&s.c.G2.Beta, body[l.beta2:]); err != nil {
		return fmt.Errorf("%w: [β]₂: %w", ErrMalformed, err)
	}
	s.challenge = append([]byte(nil), body[l.ch+1:]...)
	return nil
}

// p1Head is the part of a phase-1 state its successor's proofs refer to.
type p1Head struct {
	proofs              [3]cmpc.UpdateProof
	tau1, alpha, beta   curve.G1Affine
	beta2               curve.G2Affine
	challenge, bodyHash []byte
}

func decodeHead1(log2 uint8, body []byte) (*p1Head, error) {
	n := int64(1) << log2
	l := layout1(n)
	var s p1State
	if err := s.decodeHead(body, l); err != nil {
		return nil, err
	}
	h := &p1Head{proofs: s.proofs, beta2: s.c.G2.Beta, challenge: s.challenge}
	if err := errors.Join(getG1(&h.tau1, body[l.tau1:]), getG1(&h.beta, body[l.betaTau:]), getG1(&h.alpha, body[l.alphaTau:])); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	sum := sha256.Sum256(body)
	h.bodyHash = sum[:]
	return h, nil
}

func (s *p1State) head(bodyHash []byte) *p1Head {
	return &p1Head{proofs: s.proofs, tau1: s.c.G1.Tau[1], alpha: s.c.G1.AlphaTau[0], beta: s.c.G1.BetaTau[0], beta2: s.c.G2.Beta, challenge: s.challenge, bodyHash: bodyHash}
}

// verifyProofs checks next's update proofs against prev (gnark's
// Phase1.Verify without the structure check): the challenge is the hash of
// prev's body, and [τ¹]₁, [α]₁, ([β]₁, [β]₂) were each multiplied by a value
// whose knowledge next proves.
func verifyProofs(prev, next *p1Head) error {
	if string(next.challenge) != string(prev.bodyHash) {
		return errors.New("the challenge is not the hash of the previous state")
	}
	if err := next.proofs[0].Verify(prev.bodyHash, mpcsetup.DST_TAU, cmpc.ValueUpdate{Previous: &prev.tau1, Next: &next.tau1}); err != nil {
		return fmt.Errorf("contribution to τ: %w", err)
	}
	if err := next.proofs[1].Verify(prev.bodyHash, mpcsetup.DST_ALPHA, cmpc.ValueUpdate{Previous: prev.alpha, Next: next.alpha}); err != nil {
		return fmt.Errorf("contribution to α: %w", err)
	}
	if err := next.proofs[2].Verify(prev.bodyHash, mpcsetup.DST_BETA,
		cmpc.ValueUpdate{Previous: &prev.beta, Next: &next.beta},
		cmpc.ValueUpdate{Previous: &prev.beta2, Next: &next.beta2}); err != nil {
		return fmt.Errorf("contribution to β: %w", err)
	}
	return nil
}

// verifyStructure checks that s holds powers of one τ, with α and β
// (gnark's SameRatioMany, one multi-scalar multiplication per group).
func (s *p1State) verifyStructure() error {
	return verifyStep(func() error {
		return cmpc.SameRatioMany(s.c.G1.Tau, s.c.G2.Tau, s.c.G1.AlphaTau, s.c.G1.BetaTau)
	})
}

// contribute adds fresh randomness (crypto/rand, inside UpdateValues).
func (s *p1State) contribute(prevBodyHash []byte, progress Progress) {
	s.challenge = append([]byte(nil), prevBodyHash...)
	var tau, alpha, beta fr.Element
	s.proofs[0] = cmpc.UpdateValues(&tau, s.challenge, mpcsetup.DST_TAU)
	s.proofs[1] = cmpc.UpdateValues(&alpha, s.challenge, mpcsetup.DST_ALPHA)
	s.proofs[2] = cmpc.UpdateValues(&beta, s.challenge, mpcsetup.DST_BETA)
	s.update(&tau, &alpha, &beta, "contribute", progress)
	tau.SetZero()
	alpha.SetZero()
	beta.SetZero()
}

// seal applies the beacon as gnark's Phase1.Seal does and returns the
// parameters.
func (s *p1State) seal(bodyHash, beacon []byte, progress Progress) *mpcsetup.SrsCommons {
	c := cmpc.BeaconContributions(bodyHash, []byte("Groth16 MPC Setup - Phase 1"), beacon, 3)
	s.update(&c[0], &c[1], &c[2], "seal", progress)
	return &s.c
}

// update multiplies [τⁱ] by τ'ⁱ, [ατⁱ] by α'τ'ⁱ, [βτⁱ] by β'τ'ⁱ and [β]₂
// by β', exactly as gnark's SrsCommons.update, on every core.
func (s *p1State) update(tau, alpha, beta *fr.Element, step string, progress Progress) {
	var coeff big.Int
	s.c.G2.Beta.ScalarMultiplication(&s.c.G2.Beta, beta.BigInt(&coeff))
	n := len(s.c.G2.Tau)
	var tauN fr.Element
	tauN.Exp(*tau, big.NewInt(int64(n)))
	parallel(n, func(start, end int) {
		var pow, scaled, pj fr.Element
		var k big.Int
		pow.Exp(*tau, big.NewInt(int64(start)))
		for i := start; i < end; i++ {
			if i > 0 {
				pow.BigInt(&k)
				s.c.G1.Tau[i].ScalarMultiplication(&s.c.G1.Tau[i], &k)
				s.c.G2.Tau[i].ScalarMultiplication(&s.c.G2.Tau[i], &k)
			}
			scaled.Mul(&pow, alpha)
			s.c.G1.AlphaTau[i].ScalarMultiplication(&s.c.G1.AlphaTau[i], scaled.BigInt(&k))
			scaled.Mul(&pow, beta)
			s.c.G1.BetaTau[i].ScalarMultiplication(&s.c.G1.BetaTau[i], scaled.BigInt(&k))
			if j := n + i; j < len(s.c.G1.Tau) {
				pj.Mul(&tauN, &pow)
				s.c.G1.Tau[j].ScalarMultiplication(&s.c.G1.Tau[j], pj.BigInt(&k))
			}
			pow.Mul(&pow, tau)
		}
	}, newCounter(progress, step, n))
}
