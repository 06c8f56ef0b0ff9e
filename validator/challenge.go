package validator

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
)

// Challenge is one request the validator sends a miner in a tempo.
type Challenge struct {
	// ID is the request ID: "e<epoch>-u<uid>-<position>"; the position is
	// after shuffling, so it says nothing about grading.
	ID string
	// Input is the int8 model input sent.
	Input []int8
	// Graded: Input is a held-out labelled sample and Label its class;
	// otherwise it is a decoy, only its proof is checked.
	Graded bool
	Label  uint32
}

// Secret is the validator's private challenge key, derived from its hotkey:
// SHA-256("veritensor/validator/challenge-secret" || ed25519 seed). Miners,
// who do not know it, cannot predict which held-out samples a tempo uses,
// the decoys, or their order.
func Secret(hotkey ed25519.PrivateKey) [32]byte {
	h := sha256.New()
	h.Write([]byte("veritensor/validator/challenge-secret"))
	h.Write(hotkey.Seed())
	var s [32]byte
	h.Sum(s[:0])
	return s
}

// TempoSecret is the validator's secret for one tempo:
// SHA-256("veritensor/validator/tempo-secret" || secret || epoch seed ||
// epoch). It keys the tempo's challenge plan (PlanChallenges) and is
// revealed after the tempo (the first half of the reveal's salt), so anyone
// can recompute the challenges; the long-lived Secret stays private.
func TempoSecret(secret, seed [32]byte, epoch uint64) [32]byte {
	h := sha256.New()
	h.Write([]byte("veritensor/validator/tempo-secret"))
	h.Write(secret[:])
	h.Write(seed[:])
	h.Write(binary.BigEndian.AppendUint64(nil, epoch))
	var s [32]byte
	h.Sum(s[:0])
	return s
}

// PlanChallenges returns the challenges for miner uid in an epoch, keyed by
// the tempo's secret (TempoSecret): graded inputs are held-out samples of
// ds drawn with replacement and put through a label-preserving Transform;
// decoys are other held-out samples through the same kind of transform,
// ungraded. A miner sees two draws from one distribution and cannot tell
// them apart, nor find a graded input in the public test set byte for
// byte. All randomness comes from a ChaCha8 stream keyed by
// SHA-256("veritensor/validator/plan" || tempo secret || epoch seed ||
// epoch || uid), so the plan is reproducible by whoever knows the tempo
// secret: the validator during the tempo, everyone after its reveal.
func PlanChallenges(tempoSecret [32]byte, seed [32]byte, epoch uint64, uid uint16, ds Dataset, inputLen, graded, decoys int) ([]Challenge, error) {
	if graded+decoys > 0 && (ds == nil || ds.Len() == 0) {
		return nil, fmt.Errorf("validator: %d challenges but no dataset", graded+decoys)
	}
	h := sha256.New()
	h.Write([]byte("veritensor/validator/plan"))
	h.Write(tempoSecret[:])
	h.Write(seed[:])
	h.Write(binary.BigEndian.AppendUint64(nil, epoch))
	h.Write(binary.BigEndian.AppendUint16(nil, uid))
	var key [32]byte
	h.Sum(key[:0])
	rng := rand.New(rand.NewChaCha8(key))
	out := make([]Challenge, 0, graded+decoys)
	for k := range graded + decoys {
		x, label := ds.Sample(rng.IntN(ds.Len()))
		if len(x) != inputLen {
			return nil, fmt.Errorf("validator: dataset sample has %d values, the task takes %d", len(x), inputLen)
		}
		out = append(out, Challenge{Input: Transform(x, rng), Graded: k < graded, Label: label})
	}
	rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	for i := range out {
		out[i].ID = fmt.Sprintf("e%d-u%d-%d", epoch, uid, i)
		if !out[i].Graded {
			out[i].Label = 0
		}
	}
	return out, nil
}

// Transform returns a copy of the square image x (int8 pixels 0..127, as
// zk.QuantizeImage makes them) moved in ways that keep its label, drawn
// from rng: a shift of up to side/28 pixels each way (1 on 28x28, none on
// 7x7, where one pixel is four of the original), a contrast of 14/16..18/16 and uniform noise of up to +-6 per
// pixel, clamped to 0..127. Integer arithmetic only, so an auditor
// reproduces it bit for bit. Inputs that are not square images get the
// contrast and noise only.
func Transform(x []int8, rng *rand.Rand) []int8 {
	side := 0
	for side*side < len(x) {
		side++
	}
	if side*side != len(x) {
		side = 0
	}
	dx, dy := 0, 0
	if m := side / 28; m > 0 {
		dx, dy = rng.IntN(2*m+1)-m, rng.IntN(2*m+1)-m
	}
	contrast := 14 + rng.IntN(5)
	out := make([]int8, len(x))
	for i := range out {
		src := i
		if side > 0 {
			r, c := i/side-dy, i%side-dx
			src = -1
			if r >= 0 && r < side && c >= 0 && c < side {
				src = r*side + c
			}
		}
		v := 0
		if src >= 0 {
			v = int(x[src]) * contrast / 16
		}
		v += rng.IntN(13) - 6
		out[i] = int8(min(max(v, 0), 127))
	}
	return out
}

// ChallengeSetHash commits to a tempo's challenges: SHA-256 over
// "veritensor/validator/challenge-set" || epoch, then for each miner in UID
// order its UID (u16) and challenge count (u32), and for each challenge its
// ID (u32 length + bytes), graded flag (one byte), label (u32) and input
// (u32 length + bytes). The commit's salt carries it (CommitSalt), so a
// validator cannot change its challenges after the fact.
func ChallengeSetHash(epoch uint64, uids []uint16, plans [][]Challenge) [32]byte {
	h := sha256.New()
	h.Write([]byte("veritensor/validator/challenge-set"))
	h.Write(binary.BigEndian.AppendUint64(nil, epoch))
	for i, uid := range uids {
		h.Write(binary.BigEndian.AppendUint16(nil, uid))
		h.Write(binary.BigEndian.AppendUint32(nil, uint32(len(plans[i]))))
		for _, ch := range plans[i] {
			h.Write(binary.BigEndian.AppendUint32(nil, uint32(len(ch.ID))))
			h.Write([]byte(ch.ID))
			g := byte(0)
			if ch.Graded {
				g = 1
			}
			h.Write([]byte{g})
			h.Write(binary.BigEndian.AppendUint32(nil, ch.Label))
			h.Write(binary.BigEndian.AppendUint32(nil, uint32(len(ch.Input))))
			buf := make([]byte, len(ch.Input))
			for k, b := range ch.Input {
				buf[k] = byte(b)
			}
			h.Write(buf)
		}
	}
	var s [32]byte
	h.Sum(s[:0])
	return s
}

// CommitSalt is the salt of a tempo's commit: the tempo secret followed by
// the challenge-set hash (64 bytes, chain.MaxSaltLen). The secret keeps
// the commit hiding until the reveal; the reveal publishes both, so anyone
// can rebuild the challenges with PlanChallenges and check them against
// the hash.
func CommitSalt(tempoSecret, challengeSet [32]byte) []byte {
	return append(append(make([]byte, 0, 64), tempoSecret[:]...), challengeSet[:]...)
}
