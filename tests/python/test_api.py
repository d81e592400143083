#!/usr/bin/python3
# test_api.py — the Python interface (python/scalefit/) against the command: for the same table
# and options, scalefit.fit() gives the numbers of `scalefit fit`'s fit.yaml (parameters, errors,
# intervals, entropy, predictions, warnings) and the same fit.yaml but for the recorded command
# line; a DataFrame and a dict of columns give the same fit as the CSV file; bad input raises
# ScalefitError with the command's own message and exit status. Run by the `python` suite with
# SCALEFIT (the command), SCALEFIT_LIB (libscalefit) and SCALEFIT_ROOT (the source tree).
import csv
import math
import os
import subprocess
import sys
import tempfile

import numpy as np
import pandas as pd
import yaml

ROOT = os.environ["SCALEFIT_ROOT"]
EXE = os.environ["SCALEFIT"]
sys.path.insert(0, os.path.join(ROOT, "python"))
os.chdir(ROOT)  # the command and the module read the same relative paths
import scalefit  # noqa: E402

failures = 0


def check(ok, what):
    global failures
    print("%s: %s" % ("PASS" if ok else "FAIL", what))
    failures += not ok
    return ok


def command(args, out=None):
    """Runs the command; returns (exit status, stderr, fit.yaml as a dict or None)."""
    argv = [EXE, "fit"] + args + (["--out", out, "--no-plot"] if out else [])
    p = subprocess.run(argv, capture_output=True, text=True)
    doc = None
    if out and p.returncode == 0:
        with open(os.path.join(out, "fit.yaml")) as f:
            doc = yaml.safe_load(f)
    return p.returncode, p.stderr, doc


def same(a, b):
    """Equal numbers (NaN equal to NaN, None to NaN), or equal values."""
    if a is None:
        a = math.nan
    if b is None:
        b = math.nan
    if isinstance(a, float) or isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or a == b
    return a == b


def compare(label, path, law, argv, kwargs, points):
    tmp = tempfile.mkdtemp()
    rc, err, doc = command([path, "--law", law] + argv, tmp)
    if not check(rc == 0, "%s: the command fits (%s)" % (label, err.strip())):
        return None
    r = scalefit.fit(path, law=law, **kwargs)
    ps = doc["parameters"]
    ok = list(ps) == list(r.params) and all(
        same(ps[k]["estimate"], p.estimate) and same(ps[k]["se"], p.se)
        and same(ps[k]["ci"][0], p.lo) and same(ps[k]["ci"][1], p.hi)
        and ps[k]["fixed"] == p.fixed and ps[k]["at_bound"] == p.at_bound
        for k, p in r.params.items())
    check(ok, "%s: parameters, standard errors, intervals and flags equal fit.yaml's" % label)
    e = doc.get("entropy")
    check((e is None) == (r.entropy is None) and (
        e is None or (same(e["estimate"], r.entropy.estimate) and same(e["ci"][0], r.entropy.lo)
                      and same(e["ci"][1], r.entropy.hi))),
          "%s: the entropy equals fit.yaml's (or neither has one)" % label)
    check((doc["diagnostics"]["warnings"] or []) == r.warnings,
          "%s: the warnings equal fit.yaml's (%d)" % (label, len(r.warnings)))
    check(same(doc["objective"]["value"], r.objective) and doc["objective"]["converged"] == r.converged,
          "%s: the objective equals fit.yaml's" % label)
    for fc, pt in zip(doc.get("forecasts", []), points):
        pr = r.predict(**pt) if isinstance(pt, dict) else r.predict(pt)
        check(same(fc["loss"], pr.value) and same(fc["ci"][0], pr.lo) and same(fc["ci"][1], pr.hi),
              "%s: predict(%s) equals fit.yaml's forecast" % (label, pt))
    mine = yaml.safe_load(r.yaml)
    for d in (mine, doc):
        d.pop("scalefit")
    check(mine == doc, "%s: fit.yaml's text equals the command's but for the command line" % label)
    return r


d = "tests/data/fit/"
compare("power+const", d + "powerconst_synth.csv", "power+const",
        ["--x", "params", "--bootstrap", "300", "--predict", "params=1e9", "--predict", "params=3e12"],
        dict(x="params", bootstrap=300, predict=[1e9, 3e12]), [1e9, 3e12])
compare("chinchilla, Huber, --fix, --where, --holdout-where", "data/gadre2024_overtraining_losses.csv",
        "chinchilla",
        ["--n", "params", "--d", "tokens", "--y", "loss_c4_val_full", "--where", "dataset=rpj",
         "--holdout-where", "params>=1e9", "--fix", "beta=0.3", "--bootstrap", "100",
         "--predict", "params=7e10,tokens=1.4e12"],
        dict(n="params", d="tokens", y="loss_c4_val_full", where={"dataset": "rpj"},
             holdout_where="params>=1e9", fix={"beta": 0.3}, bootstrap=100,
             predict=[{"params": 7e10, "tokens": 1.4e12}]),
        [{"params": 7e10, "tokens": 1.4e12}])
compare("kaplan-ns", d + "kaplan_ns_curves.csv", "kaplan-ns",
        ["--n", "params", "--step", "step", "--bootstrap", "50"],
        dict(n="params", step="step", bootstrap=50), [])
r = compare("frontier", d + "frontier_curves.csv", "frontier",
            ["--run", "run", "--c", "flops", "--n", "params", "--bootstrap", "50", "--predict", "flops=1e21"],
            dict(run="run", c="flops", n="params", bootstrap=50, predict=[1e21]), [1e21])

# The same table as a DataFrame and as a dict: the same fit as the file.
path = os.path.join(ROOT, d + "powerconst_synth.csv")
ref = scalefit.fit(path, law="power+const", x="params", bootstrap=200)
df = pd.read_csv(path, comment="#", float_precision="round_trip")
with open(path) as f:
    rows = list(csv.reader(l for l in f if not l.startswith("#")))
cols = {name: np.array([float(r[j]) for r in rows[1:]]) for j, name in enumerate(rows[0])}
for label, table in (("a DataFrame", df), ("a dict of arrays", cols)):
    t = scalefit.fit(table, law="power+const", x="params", bootstrap=200)
    check(t.params == ref.params and t.entropy == ref.entropy,
          "%s gives the same fit as the CSV file" % label)
band = ref.predict(np.array([1e5, 1e7, 1e9]))
check(band.value.shape == (3,) and np.all(band.lo < band.value) and np.all(band.value < band.hi),
      "predict() on an array: values inside their intervals")
red = ref.reducible(1e9)
check(math.isclose(red.value, ref.predict(1e9).value - ref.entropy.estimate, rel_tol=1e-12),
      "reducible() is the prediction less L_inf")

# Bad input: the command's message and status.
bad = [
    ([d + "powerconst_synth.csv", "--law", "power+const", "--x", "paramz"],
     (d + "powerconst_synth.csv", "power+const", dict(x="paramz"))),
    ([d + "powerconst_synth.csv", "--law", "power+const", "--x", "params", "--bootstrapp", "3"],
     (d + "powerconst_synth.csv", "power+const", dict(x="params", bootstrapp=3))),
    ([d + "powerconst_synth.csv", "--law", "power+const", "--x", "params", "--fix", "alpa=0.3"],
     (d + "powerconst_synth.csv", "power+const", dict(x="params", fix={"alpa": 0.3}))),
    ([d + "powerconst_synth.csv", "--law", "chinchila", "--x", "params"],
     (d + "powerconst_synth.csv", "chinchila", dict(x="params"))),
]
for argv, (p, law, kw) in bad:
    rc, err, _ = command(argv, tempfile.mkdtemp())
    try:
        scalefit.fit(p, law=law, **kw)
        check(False, "%s: raises" % " ".join(argv))
    except scalefit.ScalefitError as e:
        check(str(e) == err.strip() and e.status == rc == 2,
              "%s: raises the command's message, status %d (%s)" % (" ".join(argv[2:]), rc, e))
try:
    scalefit.fit(pd.DataFrame({"params": [1e6, 1e7], "loss": [3.0, math.nan]}), law="power", x="params")
    check(False, "a NaN loss raises")
except scalefit.ScalefitError as e:
    check(e.status == 2 and str(e).startswith("scalefit: table:3:2: error:"),
          "a NaN loss in a DataFrame raises at its row and column (%s)" % e)

print("%d failed" % failures)
sys.exit(1 if failures else 0)
