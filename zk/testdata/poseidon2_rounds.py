#!/usr/bin/env python3
"""Round numbers of Poseidon2 over BN254 for width t = 16, x^5, 128 bits.

A re-implementation (standard library only) of the round-number search the
Poseidon2 authors ship with their reference parameters (HorizenLabs
poseidon2, poseidon2_rust_params.sage: sat_inequiv_alpha and
find_FD_round_numbers), itself the Poseidon search (eprint 2019/458,
hadeshash calc_round_numbers.py) plus the bound of eprint 2023/537. For
each even R_F and each R_P it checks

  statistical    R_F >= 6 (10 if M > (floor(log2 p) - (alpha-1)/2) (t+1))
  interpolation  R_F >= 1 + ceil(log_alpha(2) min(M, n)) + ceil(log_alpha t) - R_P
  Groebner 1     R_F >= log_alpha(2) min(M, log2 p) - R_P
  Groebner 2     R_F >= t - 1 + log_alpha(2) min(M/(t+1), log2(p)/2) - R_P
  Groebner 3     R_F >= (t - 2 + M / (2 log2 alpha) - R_P) / (t - 1)
  2023/537       2 log2 binom((R_F-1) t + 2 R_P + r + r R_F/2 + alpha,
                              r R_F/2 + R_P + alpha) >= M,  r = floor(t/3)

takes the secure pair of least S-box cost t R_F + R_P, then adds the
authors' security margin: R_F + 2 and R_P * 1.075 rounded up. Run:

    python3 zk/testdata/poseidon2_rounds.py
"""

from math import ceil, comb, floor, log

P = 0x30644E72E131A029B85045B68181585D2833E84879B9709143E1F593F0000001


def secure(p, t, rf, rp, alpha, m):
    n = ceil(log(p, 2))
    stat = 6 if m <= (floor(log(p, 2) - (alpha - 1) / 2.0)) * (t + 1) else 10
    interp = 1 + ceil(log(2, alpha) * min(m, n)) + ceil(log(t, alpha)) - rp
    gb1 = log(2, alpha) * min(m, log(p, 2)) - rp
    gb2 = t - 1 + log(2, alpha) * min(m / float(t + 1), log(p, 2) / 2.0) - rp
    gb3 = (t - 2 + m / float(2 * log(alpha, 2)) - rp) / float(t - 1)
    rf_min = max(ceil(stat), ceil(interp), ceil(gb1), ceil(gb2), ceil(gb3))
    r = t // 3
    over = (rf - 1) * t + rp + r + r * (rf // 2) + rp + alpha
    under = r * (rf // 2) + rp + alpha
    gb4 = ceil(2 * log(comb(over, under), 2))
    return rf >= rf_min and gb4 >= m


def round_numbers(p, t, alpha, m, margin=True):
    best = None
    for rp in range(1, 500):
        for rf in range(4, 100, 2):
            if not secure(p, t, rf, rp, alpha, m):
                continue
            f, q = (rf + 2, int(ceil(rp * 1.075))) if margin else (rf, rp)
            cost = t * f + q
            if best is None or cost < best[0] or (cost == best[0] and f < best[1]):
                best = (cost, f, q)
    return best[1], best[2]


if __name__ == "__main__":
    for t in (3, 16):
        bare = round_numbers(P, t, 5, 128, margin=False)
        rf, rp = round_numbers(P, t, 5, 128)
        print("t=%2d alpha=5 M=128 BN254: secure without margin R_F=%d R_P=%d; with the authors' margin R_F=%d R_P=%d" % (t, bare[0], bare[1], rf, rp))
