#!/usr/bin/python3
# chinchilla_scipy.py - the scipy side of the fit benchmark: fits L = E + A/N^alpha + B/D^beta
# to a table Chinchilla's way (Hoffmann et al. 2022, Approach 3): scipy L-BFGS-B from each of
# the 4500 starts of their grid, objective the summed Huber loss (delta 1e-3) of log-space
# residuals, and keeps the best end point. Prints `scipy_seconds`, `scipy_objective` and
# `scipy_seconds_per_start` (plus the best parameters) for bench/fit_bench.sh.
#
#   /usr/bin/python3 bench/chinchilla_scipy.py [CSV] [--gradient analytic|numeric] [--starts K]
#
# The gradient is analytic by default (the faster and fairer baseline); `numeric` lets scipy
# difference the objective itself, as a plain call without jac= does. Columns: params, tokens,
# loss. Run with Debian's interpreter, which has numpy and scipy.
import argparse
import csv
import itertools
import math
import os
import sys
import time

import numpy as np
from scipy.optimize import minimize

DELTA = 1e-3
DEFAULT_CSV = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data",
                           "fit", "bench_chinchilla_240.csv")


def read(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(line for line in f if not line.startswith("#")))
    head = rows[0]
    cn, cd, cl = head.index("params"), head.index("tokens"), head.index("loss")
    data = np.array([[float(r[cn]), float(r[cd]), float(r[cl])] for r in rows[1:] if r])
    return np.log(data[:, 0]), np.log(data[:, 1]), np.log(data[:, 2])


def make_objective(ln_n, ln_d, ln_l):
    """theta = (e, a, alpha, b, beta); ln Lhat = LSE(e, a - alpha ln N, b - beta ln D)."""

    def value_grad(th):
        e, a, al, b, be = th
        z = np.stack([np.full_like(ln_n, e), a - al * ln_n, b - be * ln_d], axis=1)
        m = z.max(axis=1, keepdims=True)
        ex = np.exp(z - m)
        s = ex.sum(axis=1, keepdims=True)
        p = ex / s
        r = (m + np.log(s))[:, 0] - ln_l
        ar = np.abs(r)
        val = float(np.sum(np.where(ar <= DELTA, 0.5 * r * r, DELTA * (ar - 0.5 * DELTA))))
        c = np.clip(r, -DELTA, DELTA)
        g = np.array([c @ p[:, 0], c @ p[:, 1], -(c * p[:, 1]) @ ln_n, c @ p[:, 2],
                      -(c * p[:, 2]) @ ln_d])
        return val, g

    return value_grad


def hoffmann_grid():
    return [np.array(t) for t in itertools.product(
        [-1.0, -0.5, 0.0, 0.5, 1.0],                 # e = ln E
        [0.0, 5.0, 10.0, 15.0, 20.0, 25.0],          # a = ln A
        [0.0, 0.5, 1.0, 1.5, 2.0],                   # alpha
        [0.0, 5.0, 10.0, 15.0, 20.0, 25.0],          # b = ln B
        [0.0, 0.5, 1.0, 1.5, 2.0])]                  # beta


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("csv", nargs="?", default=DEFAULT_CSV)
    ap.add_argument("--gradient", choices=("analytic", "numeric"), default="analytic")
    ap.add_argument("--starts", type=int, default=0, help="first K starts only (0: all 4500)")
    args = ap.parse_args()
    ln_n, ln_d, ln_l = read(args.csv)
    vg = make_objective(ln_n, ln_d, ln_l)
    starts = hoffmann_grid()
    if args.starts > 0:
        starts = starts[:args.starts]
    if args.gradient == "analytic":
        fun, jac = vg, True
    else:
        fun, jac = (lambda th: vg(th)[0]), None
    best = (math.inf, None)
    t0 = time.perf_counter()
    for s in starts:
        res = minimize(fun, s, jac=jac, method="L-BFGS-B")
        v = vg(res.x)[0]
        if v < best[0]:
            best = (v, res.x)
    t = time.perf_counter() - t0
    e, a, al, b, be = best[1]
    print("scipy_rows %d" % len(ln_l))
    print("scipy_starts %d" % len(starts))
    print("scipy_gradient %s" % args.gradient)
    print("scipy_seconds %.6g" % t)
    print("scipy_objective %.17g" % best[0])
    print("scipy_seconds_per_start %.6g" % (t / len(starts)))
    print("scipy_parameters E %.17g A %.17g alpha %.17g B %.17g beta %.17g"
          % (math.exp(e), math.exp(a), al, math.exp(b), be))
    return 0


if __name__ == "__main__":
    sys.exit(main())
