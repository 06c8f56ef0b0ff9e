// Package scoring computes Veritensor's Yuma-style epoch consensus and the
// score helpers validators use to turn measurements into weights.
//
// Everything here is a pure function of its arguments: no I/O, no clock, no
// floating point, no goroutines, no randomness and no map iteration in
// results, so every chain node computes bit-identical rewards. Fractions are
// unsigned Q32.32 fixed-point values (type Fixed) with 64x64->128-bit
// intermediates from math/bits; amounts are uint64 base units and every
// integer split pays out exactly what it was given (see Split for the
// remainder rule).
//
// The chain calls Epoch once per subnet every tempo. The algorithm, the
// fixed-point representation, the remainder rule and the JSON metagraph
// format read by `veritensor scoring epoch` are specified in docs/scoring.md.
package scoring
