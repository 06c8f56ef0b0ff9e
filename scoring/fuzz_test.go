package scoring

import (
	"encoding/binary"
	"errors"
	"math"
	"testing"
)

// fuzzReader hands out fuzz bytes as integers, zeros once exhausted.
type fuzzReader struct{ b []byte }

func (r *fuzzReader) u8() uint8 {
	if len(r.b) == 0 {
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return v
}

func (r *fuzzReader) u16() uint16 { return uint16(r.u8()) | uint16(r.u8())<<8 }

func (r *fuzzReader) u64() uint64 {
	var buf [8]byte
	for i := range buf {
		buf[i] = r.u8()
	}
	return binary.LittleEndian.Uint64(buf[:])
}

// decodeFuzzInput turns arbitrary bytes into a metagraph of up to 32 UIDs.
// Params are taken raw (so some are invalid), UIDs in rows are drawn
// from 0..n+1 (so some are unknown or out of order) and stakes favour
// extremes near 0 and 2^64.
func decodeFuzzInput(data []byte) Input {
	r := &fuzzReader{b: data}
	p := Params{
		Kappa:              r.u16(),
		BondsMovingAverage: uint32(r.u16()) * 16,
		BondsMode:          BondsMode(r.u8() % 3),
		OwnerCutBps:        r.u16() % 10_200,
		MinerShareBps:      r.u16() % 10_200,
		MaxValidators:      uint16(r.u8()),
		ActivityCutoff:     uint64(r.u16()),
		Emission:           r.u64(),
		Block:              uint64(r.u16()),
		RequireProof:       r.u8()&1 == 1,
	}
	n := int(r.u8() % 33)
	in := Input{Params: p, Neurons: make([]Neuron, n)}
	for i := range in.Neurons {
		flags := r.u8()
		nr := Neuron{UID: uint16(i), LastUpdate: uint64(r.u16()), RegisteredAt: uint64(r.u16()), ProofOK: flags&1 == 1}
		switch flags >> 1 & 3 {
		case 1:
			nr.Stake = uint64(r.u16())
		case 2:
			nr.Stake = math.MaxUint64 - uint64(r.u16())
		case 3:
			nr.Stake = r.u64()
		}
		in.Neurons[i] = nr
	}
	rows := func() []Row {
		var out []Row
		for k := int(r.u8() % 8); k > 0; k-- {
			row := Row{UID: uint16(int(r.u8()) % (n + 2))}
			for e := int(r.u8() % 12); e > 0; e-- {
				row.Weights = append(row.Weights, Weight{UID: uint16(int(r.u8()) % (n + 2)), Value: r.u16()})
			}
			out = append(out, row)
		}
		return out
	}
	in.Weights, in.Bonds = rows(), rows()
	return in
}

// FuzzEpoch decodes fuzz bytes into a metagraph and checks that Epoch
// never panics, fails only with its typed errors, and otherwise conserves
// emission exactly and is deterministic.
func FuzzEpoch(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0xff, 0x7f, 0x10, 0x27, 0, 0x08, 0x07, 0x88, 0x13, 0x40, 0x00, 0x13, 0x88, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15})
	f.Fuzz(func(t *testing.T, data []byte) {
		in := decodeFuzzInput(data)
		res, err := Epoch(in)
		if err != nil {
			for _, want := range []error{ErrParams, ErrNeuronOrder, ErrRowOrder, ErrUnknownUID} {
				if errors.Is(err, want) {
					return
				}
			}
			t.Fatalf("untyped error: %v", err)
		}
		checkConservation(t, in, res)
		again, err := Epoch(in)
		if err != nil || !resultsEqual(res, again) {
			t.Fatalf("second run differs: %v", err)
		}
		// The new bonds are valid input for the next epoch.
		in.Bonds = res.Bonds
		if _, err := Epoch(in); err != nil {
			t.Fatalf("own bonds rejected: %v", err)
		}
	})
}

// FuzzDecodeMetagraph checks that the JSON decoder never panics and that
// what it accepts either runs or is rejected with a typed error.
func FuzzDecodeMetagraph(f *testing.F) {
	f.Add([]byte(`{"neurons":[{"uid":0,"stake":5}]}`))
	f.Add([]byte(`{"params":{"bonds_mode":"yuma3"},"neurons":[{"uid":1},{"uid":0,"stake":18446744073709551615}],"weights":[{"uid":1,"weights":[{"uid":0,"value":65535}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		in, err := DecodeMetagraph(data)
		if err != nil {
			if !errors.Is(err, ErrMetagraph) {
				t.Fatalf("untyped error: %v", err)
			}
			return
		}
		if len(in.Neurons) > 1024 {
			return
		}
		if res, err := Epoch(in); err == nil {
			checkConservation(t, in, res)
		}
	})
}
