package validator

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/rand/v2"

	"github.com/veritensor/veritensor/zk"
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

// PlanChallenges returns the challenges for miner uid in an epoch: graded
// samples drawn from ds (with replacement) and decoys, zk.ChallengeInput of a
// seed private to the validator (SHA-256("veritensor/validator/decoy" ||
// secret || epoch seed || k)), shuffled. All randomness comes from a ChaCha8
// stream keyed by SHA-256(secret || epoch seed || epoch || uid), so the plan
// is reproducible by the validator (for audits) and by no one else.
//
// Decoys look like noise where held-out MNIST samples look like digits, so
// the shuffle hides the order, not the kind; what keeps a miner honest on
// every item is the proof, which binds each answer to its committed model.
func PlanChallenges(secret [32]byte, seed [32]byte, epoch uint64, uid uint16, ds Dataset, inputLen, graded, decoys int) ([]Challenge, error) {
	if graded > 0 && (ds == nil || ds.Len() == 0) {
		return nil, fmt.Errorf("validator: %d graded challenges but no dataset", graded)
	}
	h := sha256.New()
	h.Write([]byte("veritensor/validator/plan"))
	h.Write(secret[:])
	h.Write(seed[:])
	h.Write(binary.BigEndian.AppendUint64(nil, epoch))
	h.Write(binary.BigEndian.AppendUint16(nil, uid))
	var key [32]byte
	h.Sum(key[:0])
	rng := rand.New(rand.NewChaCha8(key))
	out := make([]Challenge, 0, graded+decoys)
	for range graded {
		x, label := ds.Sample(rng.IntN(ds.Len()))
		if len(x) != inputLen {
			return nil, fmt.Errorf("validator: dataset sample has %d values, the task takes %d", len(x), inputLen)
		}
		out = append(out, Challenge{Input: x, Graded: true, Label: label})
	}
	for k := range decoys {
		d := sha256.New()
		d.Write([]byte("veritensor/validator/decoy"))
		d.Write(secret[:])
		d.Write(seed[:])
		d.Write(binary.BigEndian.AppendUint32(nil, uint32(k)))
		var ds [32]byte
		d.Sum(ds[:0])
		out = append(out, Challenge{Input: zk.ChallengeInput(ds, uint32(uid), inputLen)})
	}
	rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	for i := range out {
		out[i].ID = fmt.Sprintf("e%d-u%d-%d", epoch, uid, i)
	}
	return out, nil
}
