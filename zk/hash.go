package zk

import (
	"crypto/sha256"
	"encoding/binary"
	"math/big"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
)

// The hash used for every commitment is a sponge over the BN254 scalar field
// with the width-16 Poseidon2 permutation of poseidon2.go: rate 15, capacity
// 1 (lane 15). At 576 constraints per permutation it costs ~38 R1CS
// constraints per absorbed field element, against 120 for the width-3 sponge
// of circuit version 1 (see docs/benchmarks.md).
const spongeRate = p2Width - 1

// Domain tags separate the hashes (they enter the capacity lane with the
// length, so inputs of different lengths or kinds never collide).
const (
	domainModel  = 1
	domainInput  = 2
	domainHotkey = 3
)

// Packing: bytes are packed 31 to a field element, little-endian (byte i of a
// chunk has weight 256^i); biases 7 to a field element as u32 values
// (bias + 2^31), little-endian in 32-bit limbs.
const (
	bytesPerElem  = 31
	biasesPerElem = 7
	biasOffset    = 1 << 31
)

// spongeIV is the initial capacity value: domain*2^32 + number of absorbed
// elements.
func spongeIV(domain uint64, n int) uint64 { return domain<<32 | uint64(n) }

// sponge hashes elems: the state starts as [0, ..., 0, IV] (IV in lane 15);
// each block of 15 elements is added to lanes 0..14 (missing elements of the
// last block count as 0) and the permutation applied; the digest is lane 0
// after the last permutation (one permutation over the bare IV when elems is
// empty).
func sponge(domain uint64, elems []fr.Element) fr.Element {
	var st [p2Width]fr.Element
	st[spongeRate].SetUint64(spongeIV(domain, len(elems)))
	for i := 0; i < len(elems) || i == 0; i += spongeRate {
		for j := 0; j < spongeRate && i+j < len(elems); j++ {
			st[j].Add(&st[j], &elems[i+j])
		}
		p2Permute(&st)
	}
	return st[0]
}

// packBytes packs b 31 bytes to an element, little-endian.
func packBytes(b []byte) []fr.Element {
	out := make([]fr.Element, 0, (len(b)+bytesPerElem-1)/bytesPerElem)
	for i := 0; i < len(b); i += bytesPerElem {
		end := min(i+bytesPerElem, len(b))
		var e, base fr.Element
		base.SetUint64(256)
		for j := end - 1; j >= i; j-- { // Horner from the most significant byte
			var d fr.Element
			d.SetUint64(uint64(b[j]))
			e.Mul(&e, &base).Add(&e, &d)
		}
		out = append(out, e)
	}
	return out
}

// packBiases packs biases 7 to an element as u32 (bias + 2^31), little-endian.
func packBiases(bs []int32) []fr.Element {
	out := make([]fr.Element, 0, (len(bs)+biasesPerElem-1)/biasesPerElem)
	for i := 0; i < len(bs); i += biasesPerElem {
		end := min(i+biasesPerElem, len(bs))
		var e, base fr.Element
		base.SetUint64(1 << 32)
		for j := end - 1; j >= i; j-- {
			var d fr.Element
			d.SetUint64(uint64(int64(bs[j]) + biasOffset))
			e.Mul(&e, &base).Add(&e, &d)
		}
		out = append(out, e)
	}
	return out
}

// int8Bytes maps int8 values to bytes v+128 (0..255).
func int8Bytes(x []int8) []byte {
	b := make([]byte, len(x))
	for i, v := range x {
		b[i] = byte(int(v) + 128)
	}
	return b
}

// archElem packs the layer sizes into one element: sum of size_i * 2^(16 i).
// A CNN's element is archElemCNN.
func archElem(a Arch) fr.Element {
	if a.IsCNN() {
		return archElemCNN(a)
	}
	var e, base, d fr.Element
	base.SetUint64(1 << 16)
	for i := len(a.Sizes) - 1; i >= 0; i-- {
		d.SetUint64(uint64(a.Sizes[i]))
		e.Mul(&e, &base).Add(&e, &d)
	}
	return e
}

// shiftsElem packs the requantization shifts (every conv layer's, then every
// hidden dense layer's): sum of shift_l * 32^l.
func shiftsElem(shifts []uint8) fr.Element {
	var e, base, d fr.Element
	base.SetUint64(32)
	for l := len(shifts) - 1; l >= 0; l-- {
		d.SetUint64(uint64(shifts[l]))
		e.Mul(&e, &base).Add(&e, &d)
	}
	return e
}

// elemBytes is the 32-byte big-endian encoding of a field element.
func elemBytes(e fr.Element) [32]byte { return e.Bytes() }

// InputHash is the Poseidon2 hash of an input vector, equal to the in-circuit
// hash: sponge(domain 2, packBytes(x_i + 128)). Returned as a big-endian field
// element.
func InputHash(x []int8) [32]byte {
	return elemBytes(sponge(domainInput, packBytes(int8Bytes(x))))
}

// HotkeyHash maps a hotkey public key to a field element (big-endian):
// sponge(domain 3, packBytes(pubkey)).
func HotkeyHash(pubkey []byte) [32]byte {
	return elemBytes(sponge(domainHotkey, packBytes(pubkey)))
}

// ChallengeInput derives a deterministic pseudo-random input of n values in
// 0..127 (the range of a quantized image) from an epoch seed and a miner UID:
// byte j is the low 7 bits of byte j of SHA-256("veritensor/challenge" ||
// seed || uid (u32 BE) || counter (u32 BE)) blocks, counter from 0.
func ChallengeInput(seed [32]byte, uid uint32, n int) []int8 {
	if n < 0 {
		n = 0
	}
	out := make([]int8, 0, n)
	for ctr := uint32(0); len(out) < n; ctr++ {
		h := sha256.New()
		h.Write([]byte("veritensor/challenge"))
		h.Write(seed[:])
		h.Write(binary.BigEndian.AppendUint32(nil, uid))
		h.Write(binary.BigEndian.AppendUint32(nil, ctr))
		for _, b := range h.Sum(nil) {
			if len(out) == n {
				break
			}
			out = append(out, int8(b&0x7f))
		}
	}
	return out
}

// QuantizeImage maps MNIST pixels 0..255 to the int8 input 0..127 (p >> 1);
// the float model is trained on (p >> 1) / 128, so the input scale is 2^-7.
func QuantizeImage(pixels []byte) []int8 {
	x := make([]int8, len(pixels))
	for i, p := range pixels {
		x[i] = int8(p >> 1)
	}
	return x
}

// isCanonical reports whether b (big-endian) is < the BN254 scalar modulus.
func isCanonical(b [32]byte) bool {
	return new(big.Int).SetBytes(b[:]).Cmp(fr.Modulus()) < 0
}
