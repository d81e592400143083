#!/usr/bin/python3
"""model_distill_ref.py — the distillation objectives and their gradients with PyTorch's autograd
in double precision, run live by tests/model/test_distill.c.

IN (little-endian): i64 N, i64 V, f64 lambda, then f32 logits[N, V], f32 teacher[N, V] and
i32 mask[N] (negative: the row does not count).
OUT: for each objective k (0 forward KL, 1 reverse KL, 2 Jensen-Shannon, 3 the mix
lambda*forward + (1 - lambda)*reverse) the lines "loss k i value" for every row and
"grad k i j value" for every entry: the gradient of the sum of the counted rows' losses with
respect to the logits. Written from the definitions: q = softmax(logits), m = (p + q)/2,
KL(a||b) = sum a*(log a - log b) over a > 0; the teacher's log is taken of max(p, FLT_MIN) in the
reverse KL, as the engine documents.
"""
import struct
import sys

import torch

FLT_MIN = 1.1754943508222875e-38


def kl(a, b_log, a_log):
    mask = a > 0
    return torch.where(mask, a * (a_log - b_log), torch.zeros_like(a)).sum(-1)


def main():
    data = open(sys.argv[1], "rb").read()
    N, V = struct.unpack_from("<2q", data, 0)
    (lam,) = struct.unpack_from("<d", data, 16)
    off = 24
    logits = torch.tensor(struct.unpack_from("<%df" % (N * V), data, off), dtype=torch.float64).view(N, V)
    off += 4 * N * V
    p = torch.tensor(struct.unpack_from("<%df" % (N * V), data, off), dtype=torch.float64).view(N, V)
    off += 4 * N * V
    mask = torch.tensor(struct.unpack_from("<%di" % N, data, off))
    with open(sys.argv[2], "w") as out:
        for k in range(4):
            z = logits.clone().requires_grad_(True)
            lq = torch.log_softmax(z, -1)
            q = lq.exp()
            lp = torch.log(torch.clamp(p, min=FLT_MIN))
            lp_safe = torch.where(p > 0, torch.log(torch.where(p > 0, p, torch.ones_like(p))), torch.zeros_like(p))
            fwd = kl(p, lq, lp_safe)
            rev = (q * (lq - lp)).sum(-1)
            m = 0.5 * (p + q)
            lm = torch.log(m)
            js = 0.5 * kl(p, lm, lp_safe) + 0.5 * (q * (lq - lm)).sum(-1)
            loss = [fwd, rev, js, lam * fwd + (1 - lam) * rev][k]
            loss = torch.where(mask >= 0, loss, torch.zeros_like(loss))
            loss.sum().backward()
            for i in range(N):
                out.write("loss %d %d %.17g\n" % (k, i, loss[i].item()))
                for j in range(V):
                    out.write("grad %d %d %d %.17g\n" % (k, i, j, z.grad[i, j].item()))


if __name__ == "__main__":
    main()
