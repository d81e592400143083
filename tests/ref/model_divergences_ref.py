#!/usr/bin/python3
"""model_divergences_ref.py — the divergences of a model's q from a source's p with numpy in
double precision, run live by tests/model/test_divergences.c.

IN (little-endian): i64 n (distributions), i64 V, then f64 p[n, V] and f32 logits[n, V].
OUT: one line per distribution, "i kl rkl js tv h2 cs", each in nats, with q = softmax(logits)
computed from the float logits in double; rkl is inf where some p(x) = 0. Definitions as in
shared/PAPERS.md, written from them directly (scipy's special functions are not used):
KL(p||q) = sum p log(p/q), RKL = sum q log(q/p), JS = KL(p||m)/2 + KL(q||m)/2 with m = (p+q)/2,
TV = sum |p - q| / 2, H2 = 1 - sum sqrt(p q), CS = -log((sum p q)^2 / (sum p^2 * sum q^2)).
"""
import struct
import sys

import numpy as np


def xlogy_ratio(a, b):
    """sum of a*log(a/b) over a > 0 (0 log 0 = 0); inf when some a > 0 meets b = 0."""
    mask = a > 0
    if np.any(b[mask] == 0):
        return np.inf
    return float(np.sum(a[mask] * (np.log(a[mask]) - np.log(b[mask]))))


def main():
    data = open(sys.argv[1], "rb").read()
    n, V = struct.unpack_from("<2q", data, 0)
    off = 16
    p = np.frombuffer(data, dtype="<f8", count=n * V, offset=off).reshape(n, V)
    off += 8 * n * V
    logits = np.frombuffer(data, dtype="<f4", count=n * V, offset=off).reshape(n, V)
    with open(sys.argv[2], "w") as out:
        for i in range(n):
            z = logits[i].astype(np.float64)
            z = z - z.max()
            q = np.exp(z) / np.sum(np.exp(z))
            pi = p[i]
            m = 0.5 * (pi + q)
            kl = xlogy_ratio(pi, q)
            rkl = xlogy_ratio(q, pi)
            js = 0.5 * xlogy_ratio(pi, m) + 0.5 * xlogy_ratio(q, m)
            tv = 0.5 * float(np.sum(np.abs(pi - q)))
            h2 = 1.0 - float(np.sum(np.sqrt(pi * q)))
            cs = -float(np.log(np.sum(pi * q) ** 2 / (np.sum(pi * pi) * np.sum(q * q))))
            out.write("%d %.17g %.17g %.17g %.17g %.17g %.17g\n" % (i, kl, rkl, js, tv, h2, cs))


if __name__ == "__main__":
    main()
