#!/usr/bin/python3
"""model_markov_ref.py — an independent computation of a Markov source's entropy facts, run live by
tests/model/test_markov.c.

IN (little-endian): b"SFMK", i64 V, i64 K, i64 T, f64 P[V^K * V] (row c = the last K symbols,
oldest most significant; column x = the next symbol); optionally then i64 n, i32 windows[n, T+1]
and f32 logits[n, T, V] (a model's predictions of each window's tokens 1..T).
OUT: text lines "H <rate>", "Hj <j> <value>" for j = 0..K, "bayes <loss over a window of T>",
and with windows "kl <i> <value>" for each window i: the exact forward KL summed over its T
positions, Σ_t Σ_x p_t(x) log(p_t(x) / q_t(x)), with p_t the in-window Bayes predictive
P(x | w[0..t]) (its last K symbols, or all of them when fewer) and q_t = softmax(logits[i, t]).

Method, deliberately unlike the engine's (power iteration, marginals of the stationary law):
  - the stationary law pi is the left eigenvector of the V^K × V^K context chain for the
    eigenvalue 1 (numpy.linalg.eig);
  - the law of a block of j+1 consecutive symbols is built forwards, by running the chain j+1
    steps from pi and summing out the starting context;
  - H_j = H(block j+1) − H(block j), the rate H = Σ pi(c) H(P[c]), and the window's Bayes loss
    is the mean over t = 0..T−1 of H_min(t+1, K).
"""
import struct
import sys

import numpy as np


def main():
    data = open(sys.argv[1], "rb").read()
    assert data[:4] == b"SFMK"
    V, K, T = struct.unpack_from("<3q", data, 4)
    n = V ** K
    P = np.frombuffer(data, "<f8", n * V, 28).reshape(n, V)
    M = np.zeros((n, n))
    for c in range(n):
        for x in range(V):
            M[c, (c * V + x) % n] += P[c, x]
    w, vecs = np.linalg.eig(M.T)
    k = int(np.argmin(np.abs(w - 1.0)))
    pi = np.real(vecs[:, k])
    pi = pi / pi.sum()

    def entropy(p):
        p = p[p > 0]
        return float(-(p * np.log(p)).sum())

    def block(m):
        """Law of m consecutive symbols of the stationary chain (index: base V, oldest first)."""
        if m == 0:
            return np.ones(1)
        # state: (context, block so far); start from pi with an empty block
        dist = {(c, 0): pi[c] for c in range(n)}
        for _ in range(m):
            nxt = {}
            for (c, b), p in dist.items():
                for x in range(V):
                    key = ((c * V + x) % n, b * V + x)
                    nxt[key] = nxt.get(key, 0.0) + p * P[c, x]
            dist = nxt
        out = np.zeros(V ** m)
        for (c, b), p in dist.items():
            out[b] += p
        return out

    Hj = [entropy(block(j + 1)) - entropy(block(j)) for j in range(K)]
    rate = float(sum(pi[c] * entropy(P[c]) for c in range(n)))
    Hj.append(rate)
    bayes = float(np.mean([Hj[min(t + 1, K)] for t in range(T)]))
    kls = []
    off = 28 + 8 * n * V
    if len(data) > off:
        (n_win,) = struct.unpack_from("<q", data, off)
        off += 8
        win = np.frombuffer(data, "<i4", n_win * (T + 1), off).reshape(n_win, T + 1)
        off += 4 * n_win * (T + 1)
        logits = np.frombuffer(data, "<f4", n_win * T * V, off).reshape(n_win, T, V)
        # The predictive after j < K symbols from the block laws built forwards:
        # P(x | s) = block(j+1)[s, x] / block(j)[s].
        blocks = [block(j) for j in range(K + 1)]
        for i in range(n_win):
            w = [int(x) for x in win[i]]
            total = 0.0
            for t in range(T):
                have = t + 1
                if have >= K:
                    c = 0
                    for x in w[t + 1 - K:t + 1]:
                        c = c * V + x
                    p = P[c]
                else:
                    s = 0
                    for x in w[:have]:
                        s = s * V + x
                    p = blocks[have + 1][s * V:(s + 1) * V] / blocks[have][s]
                l = logits[i, t].astype(np.float64)
                logq = l - l.max() - np.log(np.exp(l - l.max()).sum())
                m = p > 0
                total += float((p[m] * (np.log(p[m]) - logq[m])).sum())
            kls.append(total)
    with open(sys.argv[2], "w") as f:
        f.write("H %.17g\n" % rate)
        for j, h in enumerate(Hj):
            f.write("Hj %d %.17g\n" % (j, h))
        f.write("bayes %.17g\n" % bayes)
        for i, v in enumerate(kls):
            f.write("kl %d %.17g\n" % (i, v))
    return 0


if __name__ == "__main__":
    sys.exit(main())
