#!/usr/bin/python3
"""methods.py — the ways of getting L∞ and the exponents, compared on a finished sweep whose
source knows its truth (issue 11; docs/methodology.md). Each method is a `scalefit fit` of the
sweep's own tables (results.csv: one row per run; curves.csv: the learning curves), and each is
scored against the source's Bayes loss and the measured KL (best_eval_kl):

  L(N), budget T        power+const on each size's best loss at token budget T (each budget)
  L(N), lowest loss     power+const on each size's lowest loss over its budgets
  L(N), converged       the same, on the sizes that are not still improving at their end (the
                        sweep report's test: a drop over the last doubling of tokens above 10%
                        of the reducible loss the previous fit gives at that size)
  frontier, envelope    the running-minimum frontier of the learning curves, every point
  frontier, hull        the same, its lower convex hull (the compute-optimal points)
  approach 1            the frontier of the runs' end points, each size's budgets as one curve
  L(N, D)               Hoffmann's approach 3: chinchilla on every run's end point

Approach 2 (isoFLOP parabolas) needs runs at equal compute and several sizes (`train.flops`);
a sweep with token budgets has none, and this script says so.

usage: methods.py SCALEFIT SWEEP_DIR OUT_DIR
Writes OUT_DIR/methods.md (the table) and each fit into OUT_DIR/fits/<method>.
"""
import csv
import os
import subprocess
import sys

import yaml


def read_csv(path):
    with open(path, newline="") as f:
        return [r for r in csv.DictReader(line for line in f if not line.startswith("#"))]


def write_csv(path, rows, cols):
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=cols, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)


def fit(scalefit, table, out, args):
    cmd = [scalefit, "fit", table, "--out", out, "--no-plot"] + args
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        return None, r.stderr.strip().splitlines()[-1] if r.stderr.strip() else "failed"
    with open(os.path.join(out, "fit.yaml")) as f:
        return yaml.safe_load(f), None


def interval(p):
    lo, hi = p["ci"]
    # A frontier of curves too short to smooth has no noise to resample: say so.
    return "%.5g [%.5g, %.5g]%s" % (p["estimate"], lo, hi, " (zero width)" if lo == hi else "")


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    scalefit, sweep, out = sys.argv[1:]
    os.makedirs(os.path.join(out, "fits"), exist_ok=True)
    runs = [r for r in read_csv(os.path.join(sweep, "results.csv")) if r["status"] == "done"]
    bayes = float(runs[0]["bayes_loss"])
    for r in runs:
        r["N"], r["D"] = float(r["params_nonembed"]), float(r["tokens"])
        r["L"] = float(r["best_eval_loss_cv"])
        # A sweep older than the exact KL: the control-variate difference (noisier) stands in.
        r["KL"] = float(r["best_eval_kl"]) if r.get("best_eval_kl") else r["L"] - bayes
    budgets = sorted({r["D"] for r in runs})
    sizes = sorted({r["N"] for r in runs})
    lowest = []
    for n in sizes:
        mine = [r for r in runs if r["N"] == n]
        lowest.append(min(mine, key=lambda r: r["L"]))
    tab = os.path.join(out, "lowest.csv")
    cols = ["run", "params_nonembed", "tokens", "flops_6n", "best_eval_loss_cv", "best_eval_kl"]
    write_csv(tab, lowest, cols)
    curves = read_csv(os.path.join(sweep, "curves.csv"))
    # The drop of each run's loss over the last doubling of its tokens (curves.csv).
    drop = {}
    for r in lowest:
        pts = sorted(((float(c["tokens"]), float(c["eval_loss_cv"])) for c in curves
                      if c["run"] == r["run"]))
        end_t, end_l = pts[-1]
        half = [l for t, l in pts if t <= end_t / 2]
        drop[r["run"]] = (half[-1] - end_l) if half else float("nan")
    results = os.path.join(sweep, "results.csv")
    rows = []

    def size_law(name, table, args, used):
        y, err = fit(scalefit, table, os.path.join(out, "fits", name), args)
        rows.append((name, y, err, used))
        return y

    for T in budgets:
        used = [r for r in runs if r["D"] == T]
        size_law("L(N), budget %.3g" % T, results,
                 ["--law", "power+const", "--x", "params_nonembed", "--y", "best_eval_loss_cv",
                  "--min", "tokens=%.17g" % T, "--max", "tokens=%.17g" % T], used)
    y = size_law("L(N), lowest loss", tab,
                 ["--law", "power+const", "--x", "params_nonembed", "--y", "best_eval_loss_cv"],
                 lowest)
    if y is not None:
        p = y["parameters"]
        linf, x0, a = (p[k]["estimate"] for k in ("L_inf", "x0", "alpha"))
        conv = [r for r in lowest if not drop[r["run"]] > 0.1 * (x0 / r["N"]) ** a]
        write_csv(os.path.join(out, "converged.csv"), conv, cols)
        if len(conv) >= 4:
            size_law("L(N), converged", os.path.join(out, "converged.csv"),
                     ["--law", "power+const", "--x", "params_nonembed", "--y",
                      "best_eval_loss_cv"], conv)
        else:
            rows.append(("L(N), converged", None,
                         "%d sizes have converged, fewer than the 4 a power+const needs"
                         % len(conv), conv))
    min_tokens = budgets[0] / 8
    for how in ("envelope", "hull"):
        size_law("frontier, " + how, os.path.join(sweep, "curves.csv"),
                 ["--law", "frontier", "--run", "run", "--c", "flops_6n", "--n",
                  "params_nonembed", "--y", "eval_loss_cv", "--min", "tokens=%.17g" % min_tokens,
                  "--frontier-fit", how], None)
    ends = [dict(r, size="N%d" % r["N"]) for r in runs]
    write_csv(os.path.join(out, "ends.csv"), ends, cols + ["size"])
    size_law("approach 1 (end points)", os.path.join(out, "ends.csv"),
             ["--law", "frontier", "--run", "size", "--c", "flops_6n", "--n", "params_nonembed",
              "--y", "best_eval_loss_cv", "--frontier-fit", "hull"], None)
    size_law("L(N, D) (approach 3)", results,
             ["--law", "chinchilla", "--n", "params_nonembed", "--d", "tokens", "--y",
              "best_eval_loss_cv"], runs)

    lines = ["| method | L∞ [95% interval] | error vs Bayes | covers | exponents | "
             "fitted / measured reducible |", "|---|---|---|---|---|---|"]
    for name, y, err, used in rows:
        if y is None:
            lines.append("| %s | not fitted: %s | | | | |" % (name, err))
            continue
        p = y["parameters"]
        c = p.get("L_inf") or p.get("E")
        lo, hi = c["ci"]
        ex = ", ".join("%s %s" % (k, interval(v)) for k, v in p.items()
                       if k.startswith("alpha") or k.startswith("beta"))
        ratio = ""
        if used is not None and "x0" in p:
            rr = [((p["x0"]["estimate"] / r["N"]) ** p["alpha"]["estimate"]) / r["KL"]
                  for r in used]
            ratio = "%.3g to %.3g" % (min(rr), max(rr))
        elif used is not None and "E" in p:
            e, A, B = p["E"]["estimate"], p["A"]["estimate"], p["B"]["estimate"]
            al, be = p["alpha"]["estimate"], p["beta"]["estimate"]
            rr = [(A / r["N"] ** al + B / r["D"] ** be) / r["KL"] for r in used]
            ratio = "%.3g to %.3g" % (min(rr), max(rr))
        lines.append("| %s | %s | %+.3f%% | %s | %s | %s |" % (
            name, interval(c), 100 * (c["estimate"] - bayes) / bayes,
            "yes" if lo <= bayes <= hi else "**no**", ex, ratio))
    lines.append("| approach 2 (isoFLOP) | not fitted: the sweep has no runs of equal compute "
                 "(`train.flops`) | | | | |")
    kl = ("exact KL (best_eval_kl)" if runs[0].get("best_eval_kl")
          else "best_eval_loss_cv − bayes_loss (a sweep older than the exact KL)")
    text = ("Bayes loss %.6g nats/token; %d runs, %d sizes, budgets %s tokens; measured "
            "reducible loss: %s.\n\n"
            % (bayes, len(runs), len(sizes), ", ".join("%.3g" % b for b in budgets), kl)
            + "\n".join(lines) + "\n")
    with open(os.path.join(out, "methods.md"), "w") as f:
        f.write(text)
    print(text, end="")


if __name__ == "__main__":
    main()
