#!/usr/bin/python3
"""known_truth.py — checks a finished sweep on a source that knows its truth against what the
quickstart promises (issue 11), and prints every number it checks:

  - every fitted constant's interval (L_inf, E) covers the source's Bayes loss;
  - for each law of N with a constant (power+const on params_nonembed), the fitted reducible
    loss (x0/N)^alpha is within TOL of the measured KL (best_eval_kl) at every fitted size;
  - every exponent's interval (alpha*, beta*) excludes 0;
  - the compute frontier never rises (the sweep's frontier figure table).

usage: known_truth.py SWEEP_DIR [--tol 0.25] [--constants FIT,FIT...]
(--constants: check the constants of these fits only; default every fit's)
Exit status 0 when every check holds, 1 otherwise (the failures are marked FAIL).
"""
import argparse
import csv
import glob
import os
import sys

import yaml


def main():
    ap = argparse.ArgumentParser(description="checks a known-truth sweep")
    ap.add_argument("sweep")
    ap.add_argument("--tol", type=float, default=0.25)
    ap.add_argument("--constants", default=None)
    a = ap.parse_args()
    with open(os.path.join(a.sweep, "results.csv"), newline="") as f:
        runs = {r["run"]: r for r in csv.DictReader(f)}
    bayes = float(next(iter(runs.values()))["bayes_loss"])
    failures = 0

    def check(ok, text):
        nonlocal failures
        failures += not ok
        print("%s %s" % ("PASS" if ok else "FAIL", text))

    print("Bayes loss %.6g" % bayes)
    for path in sorted(glob.glob(os.path.join(a.sweep, "fits", "*", "fit.yaml"))):
        name = os.path.basename(os.path.dirname(path))
        with open(path) as f:
            y = yaml.safe_load(f)
        law, p = y["law"]["name"], y["parameters"]
        const = p.get("L_inf") or p.get("E")
        if const is not None and (a.constants is None or name in a.constants.split(",")):
            lo, hi = (float("-inf") if const["ci"][0] is None else const["ci"][0],
                      float("inf") if const["ci"][1] is None else const["ci"][1])
            check(lo <= bayes <= hi, "%s: constant %.6g [%.6g, %.6g] covers the Bayes loss "
                  "(%+.3f%%)" % (name, const["estimate"], lo, hi,
                                 100 * (const["estimate"] - bayes) / bayes))
        for k, v in p.items():
            if k.startswith("alpha") or k.startswith("beta"):
                lo, hi = v["ci"]
                check(lo is not None and lo > 0, "%s: %s %.4g [%.4g, %.4g] excludes 0"
                      % (name, k, v["estimate"], float("nan") if lo is None else lo,
                         float("nan") if hi is None else hi))
        if law == "power+const" and y["law"]["x"] == ["params_nonembed"]:
            x0, al = p["x0"]["estimate"], p["alpha"]["estimate"]
            for run in y["input"]["runs"]:
                r = runs[run]
                n, kl = float(r["params_nonembed"]), float(r["best_eval_kl"])
                fitted = (x0 / n) ** al
                check(abs(fitted / kl - 1) <= a.tol,
                      "%s: N %d fitted reducible %.4g vs measured KL %.4g: ratio %.3f "
                      "(within %g)" % (name, n, fitted, kl, fitted / kl, a.tol))
    front = os.path.join(a.sweep, "figures", "frontier_frontier.dat")
    if os.path.exists(front):
        with open(front) as f:
            pts = [tuple(map(float, line.split())) for line in f
                   if line.strip() and not line.startswith("#")]
        rises = sum(1 for i in range(1, len(pts)) if pts[i][1] > pts[i - 1][1])
        check(len(pts) > 1 and rises == 0,
              "frontier: %d points, %d of them above the one before" % (len(pts), rises))
    else:
        check(False, "frontier: %s is missing" % front)
    print("%d checks failed" % failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
