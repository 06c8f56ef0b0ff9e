#!/usr/bin/env python3
"""Independent Poseidon2 known-answer vectors for zk/poseidon2.go.

Written from the specification in docs/zk.md ("Poseidon2 parameters"), not
from the Go code, and with nothing but the standard library (Keccak-f[1600]
is implemented below, since hashlib only has FIPS SHA3, whose padding
differs from the legacy Keccak-256 the round constants use). Run:

    python3 zk/testdata/poseidon2_kat.py > zk/testdata/poseidon2_kat.json

TestPoseidon2KnownAnswers (zk/poseidon2_kat_test.go) checks the native
permutation and the circuit gadget against the output, so a wrong round
constant, matrix entry, round count or S-box fails a test.

Specification (BN254 scalar field r, state width t = 16, S-box x^5,
R_F = 8 full rounds, R_P = 64 partial rounds):
  * round constants: seed = "Poseidon2-BN254[t=16,rF=8,rP=64,d=5]";
    h_0 = Keccak256(seed); h_{k+1} = Keccak256(h_k); the constants, in
    order, are h_1, h_2, ... read as big-endian integers mod r: 16 per
    first-half full round (4 rounds), 1 per partial round (64), 16 per
    second-half full round (4).
  * external matrix: circ(2*M4, M4, M4, M4) with
    M4 = [[5,7,1,3],[4,6,1,1],[1,3,5,7],[1,1,4,6]]: y = M4 on each chunk of
    4 lanes, then lane i += sum over chunks of lane i mod 4.
  * internal matrix: M_I = J + diag(mu), y_i = mu_i*x_i + sum_j x_j, with
    mu_i = SHA-256("veritensor/poseidon2/bn254/t16/internal-diagonal" ||
    u32be(7) || u8(i)) mod r.
  * permutation: external layer; 4 full rounds (add 16 constants, x^5 on
    every lane, external layer); 64 partial rounds (add the constant to
    lane 0, x^5 on lane 0, internal layer); 4 full rounds.
"""

import hashlib
import json
import struct

R = 0x30644E72E131A029B85045B68181585D2833E84879B9709143E1F593F0000001
T, RF, RP = 16, 8, 64

# --- Keccak-256 (legacy padding 0x01), from the Keccak reference ---------
_RC = [
    0x0000000000000001, 0x0000000000008082, 0x800000000000808A, 0x8000000080008000,
    0x000000000000808B, 0x0000000080000001, 0x8000000080008081, 0x8000000000008009,
    0x000000000000008A, 0x0000000000000088, 0x0000000080008009, 0x000000008000000A,
    0x000000008000808B, 0x800000000000008B, 0x8000000000008089, 0x8000000000008003,
    0x8000000000008002, 0x8000000000000080, 0x000000000000800A, 0x800000008000000A,
    0x8000000080008081, 0x8000000000008080, 0x0000000080000001, 0x8000000080008008,
]
_ROT = [[0, 36, 3, 41, 18], [1, 44, 10, 45, 2], [62, 6, 43, 15, 61], [28, 55, 25, 21, 56], [27, 20, 39, 8, 14]]
M64 = (1 << 64) - 1


def _rol(x, n):
    n %= 64
    return ((x << n) | (x >> (64 - n))) & M64


def _keccak_f(a):
    for rc in _RC:
        c = [a[x][0] ^ a[x][1] ^ a[x][2] ^ a[x][3] ^ a[x][4] for x in range(5)]
        d = [c[(x - 1) % 5] ^ _rol(c[(x + 1) % 5], 1) for x in range(5)]
        a = [[a[x][y] ^ d[x] for y in range(5)] for x in range(5)]
        b = [[0] * 5 for _ in range(5)]
        for x in range(5):
            for y in range(5):
                b[y][(2 * x + 3 * y) % 5] = _rol(a[x][y], _ROT[x][y])
        a = [[b[x][y] ^ ((~b[(x + 1) % 5][y]) & b[(x + 2) % 5][y]) for y in range(5)] for x in range(5)]
        a[0][0] ^= rc
    return a


def keccak256(msg):
    rate = 136
    p = bytearray(msg) + b"\x01"
    while len(p) % rate:
        p += b"\x00"
    p[-1] |= 0x80
    a = [[0] * 5 for _ in range(5)]
    for off in range(0, len(p), rate):
        block = p[off:off + rate]
        for i in range(rate // 8):
            x, y = i % 5, i // 5
            a[x][y] ^= struct.unpack_from("<Q", block, 8 * i)[0]
        a = _keccak_f(a)
    out = b"".join(struct.pack("<Q", a[i % 5][i // 5]) for i in range(4))
    return out


assert keccak256(b"").hex() == "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"

# --- constants ------------------------------------------------------------


def round_constants():
    h = keccak256(("Poseidon2-BN254[t=%d,rF=%d,rP=%d,d=5]" % (T, RF, RP)).encode())
    out = []

    def nxt():
        nonlocal h
        h = keccak256(h)
        return int.from_bytes(h, "big") % R

    for _ in range(RF // 2):
        out.append([nxt() for _ in range(T)])
    for _ in range(RP):
        out.append([nxt()])
    for _ in range(RF // 2):
        out.append([nxt() for _ in range(T)])
    return out


def internal_diag():
    seed = b"veritensor/poseidon2/bn254/t16/internal-diagonal"
    return [int.from_bytes(hashlib.sha256(seed + struct.pack(">I", 7) + bytes([i])).digest(), "big") % R for i in range(T)]


RK = round_constants()
MU = internal_diag()
M4 = [[5, 7, 1, 3], [4, 6, 1, 1], [1, 3, 5, 7], [1, 1, 4, 6]]

# --- permutation ------------------------------------------------------------


def external(s):
    y = []
    for c in range(0, T, 4):
        chunk = s[c:c + 4]
        y += [sum(M4[i][j] * chunk[j] for j in range(4)) % R for i in range(4)]
    sums = [sum(y[k] for k in range(i, T, 4)) % R for i in range(4)]
    return [(y[i] + sums[i % 4]) % R for i in range(T)]


def internal(s):
    tot = sum(s) % R
    return [(MU[i] * s[i] + tot) % R for i in range(T)]


def permute(s):
    s = external([x % R for x in s])
    r = 0
    for _ in range(RF // 2):
        s = external([pow((s[i] + RK[r][i]) % R, 5, R) for i in range(T)])
        r += 1
    for _ in range(RP):
        s = list(s)
        s[0] = pow((s[0] + RK[r][0]) % R, 5, R)
        s = internal(s)
        r += 1
    for _ in range(RF // 2):
        s = external([pow((s[i] + RK[r][i]) % R, 5, R) for i in range(T)])
        r += 1
    return s


def inputs():
    yield "zero", [0] * T
    yield "0..15", list(range(T))
    yield "r-1", [R - 1] * T
    for k in range(3):
        yield "sha256-%d" % k, [int.from_bytes(hashlib.sha256(b"veritensor/poseidon2/kat" + bytes([k, i])).digest(), "big") % R for i in range(T)]


def hexs(v):
    return ["0x%064x" % x for x in v]


if __name__ == "__main__":
    out = {
        "comment": "generated by zk/testdata/poseidon2_kat.py (independent Python implementation); do not edit",
        "width": T, "full_rounds": RF, "partial_rounds": RP, "alpha": 5,
        "first_round_constant": "0x%064x" % RK[0][0],
        "last_round_constant": "0x%064x" % RK[-1][-1],
        "internal_diagonal": hexs(MU),
        "vectors": [{"name": n, "input": hexs(x), "output": hexs(permute(x))} for n, x in inputs()],
    }
    print(json.dumps(out, indent=1))
