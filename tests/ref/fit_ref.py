#!/usr/bin/python3
# fit_ref.py - the independent reference for `scalefit fit`: fits a scaling law to a CSV table
# with numpy and scipy only (multi-start L-BFGS-B from a full grid, Hoffmann et al. 2022's way,
# then a tight polish to a stationary point) and writes the golden YAML the C tests compare
# against. It shares no code with src/fit. Run with Debian's interpreter, /usr/bin/python3.
#
#   fit_ref.py CSV --law LAW [--x COL | --n COL --d COL] [--y COL] [--weight COL]
#              [--space log|linear] [--loss squares|huber] [--delta D]
#              [--where COL=VALUE]... [--min COL=V]... [--max COL=V]...
#              [--where-max COL=V]... [--where-min COL=V]...
#              [--holdout-min COL=V | --holdout-where 'COL OP V']
#              [--starts all|K] [--refine M] [--out GOLDEN.yaml] [--quiet]
#   fit_ref.py CSV --law frontier --run COL --c COL --y COL [--n COL] [filters] [--starts ...]
#   fit_ref.py --make-goldens [--only SUBSTRING]...      (regenerates tests/data/fit/golden/)
#   fit_ref.py --self-test           (gradients, the Huber objective, exact recovery; ~10 s)
#
# Objective (the same as src/fit's): residuals r_i = ln Lhat_i - ln L_i (space log, default) or
# Lhat_i - L_i (space linear); squares: sum_i w_i r_i^2; huber: sum_i w_i h(r_i) with
# h(r) = r^2/2 for |r| <= delta and delta*(|r| - delta/2) otherwise. Summed, never averaged.
#
# Internal parameterisation (log-coefficients plus exponents, as Hoffmann et al.), with x, N, D
# the input columns and ln the natural logarithm:
#   power        theta = (a, alpha):            ln L = a - alpha ln x;   x0 = exp(a/alpha)
#   power+const  theta = (e, a, alpha):         ln L = LSE(e, a - alpha ln x);
#                                               L_inf = exp(e), x0 = exp(a/alpha)
#   chinchilla   theta = (e, a, alpha, b, beta): ln L = LSE(e, a - alpha ln N, b - beta ln D);
#                                               E = exp(e), A = exp(a), B = exp(b)
#   kaplan-nd    theta = (a, alpha_N, b, alpha_D):
#                ln L = alpha_D LSE((a - alpha_N ln N)/alpha_D, b/alpha_D - ln D);
#                N_c = exp(a/alpha_N), D_c = exp(b/alpha_D)   (a and b are the log-coefficients
#                of the one-variable limits (N_c/N)^alpha_N and (D_c/D)^alpha_D)
#   log          theta = (a, c):                ln L = a + ln(ln x - c);
#                                               lambda = exp(a), N_c = exp(c)  (x > N_c)
#   kaplan-ns    theta = (a, alpha_N, b, alpha_S): ln L = LSE(a - alpha_N ln N, b - alpha_S ln S);
#                N_c = exp(a/alpha_N), S_c = exp(b/alpha_S)  (S, the training step, is --d's column)
#   kaplan-ns+const  theta = (e, a, alpha_N, b, alpha_S): chinchilla's function of (N, S);
#                E = exp(e), N_c and S_c as kaplan-ns
#   data-constrained  theta = (e, a, alpha, b, beta, ln R_D*, ln R_N*) of (N, D, U) (--u):
#                ln L = LSE(e, a - alpha ln N', b - beta ln D'), Muennighoff et al. 2023
#   broken1, broken2  theta = (la, lb, c0, then c_i, ld_i (broken2's second: u2 with
#                ld2 = ld1 + exp(u2)), lf_i per break): ln y = LSE(la, lb - c0 ln x
#                - sum_i c_i f_i softplus((ln x - ld_i)/f_i)) (Caballero et al. 2022)
# LSE is log-sum-exp, computed after subtracting the maximum.
#
# Start grids (full Cartesian products; start k is the k-th element of itertools.product over
# the axes in the order listed, the last axis varying fastest; --starts K takes the first K):
#   chinchilla   e in {-1,-0.5,...,1} x a in {0,5,...,25} x alpha in {0,0.5,...,2}
#                x b in {0,5,...,25} x beta in {0,0.5,...,2}           = 4500 (Hoffmann's grid)
#   power        a in {0,5,...,25} x alpha in {0,0.5,...,2}            = 30
#   power+const  e in {-1,-0.5,...,1} x a in {0,5,...,25} x alpha in {0,0.5,...,2} = 150
#   kaplan-nd    a in {0,5,...,25} x alpha_N in {0,0.5,...,2} x b in {0,5,...,25}
#                x alpha_D in {0.05,0.5,1,1.5,2}                       = 900
#                (alpha_D = 0 is outside the law, so its lowest node is 0.05)
#   log          a in {-3,-2,...,1} x c in {-10,-7.5,...,5}              = 35
#   kaplan-ns    a in {0,5,...,25} x alpha_N in {0,0.5,...,2} x b in {0,5,...,25}
#                x alpha_S in {0,0.5,...,2}                             = 900
#   kaplan-ns+const  chinchilla's grid over (e, a, alpha_N, b, alpha_S)  = 4500
#   data-constrained  e {0,0.5,1} x a {5,7} x alpha {0.3,0.5} x b {5,7} x beta {0.3,0.5}
#                x lrd {ln 5, ln 20} x lrn {ln 2, ln 10}                   = 192
#   broken1      la {-1,0,1} x lb {0,2,4} x c0 {0.1,0.3,0.6} x c1 {-0.3,0.3} x ld1 {4,9,14}
#                x lf1 {ln 0.5, 0}                                      = 324
#   broken2      la {-1,0,1} x lb {0,2,4} x c0 {0.1,0.4} x c1 {-0.3,0.3} x ld1 {6,12}
#                x lf1 {0} x c2 {-0.3,0.3} x u2 {1,2} x lf2 {0}          = 288
# Every start runs scipy's L-BFGS-B with an analytic gradient and scipy's default options
# (ftol 2.2e-9, gtol 1e-5, maxiter 15000), unbounded except alpha_D >= 1e-3 for kaplan-nd.
# The best endpoint is `grid_lbfgs`. The M (default 8) best distinct endpoints are then
# polished: scipy least_squares (trf, ftol = xtol = gtol = 1e-15, analytic Jacobian, loss
# 'huber' with f_scale = delta for unit-weight Huber), then Newton steps on the objective (its
# analytic gradient, Hessian by central differences of that gradient) with a backtracking line
# search until no step lowers the objective. The best polished point is `refined`; its
# gradient_norm is the Euclidean norm of the objective's gradient with respect to theta.
#
# Row selection: --where COL=VALUE keeps rows whose text in COL equals VALUE (repeatable: OR
# within a column, AND across columns); --min/--max COL=V keep V <= COL / COL <= V; --where-max
# COL=V keeps COL < V and --where-min COL=V keeps COL >= V. Of the kept rows, --holdout-min
# COL=V (the same as --holdout-where 'COL>=V'; >, <= and < also work) leaves those out of the fit
# and reports predictions at them. Rows are otherwise used in file order.
#
# Frontier (law `frontier`, see the issue): the envelope, hull and both fits are computed as
# specified in frontier_fit() below.
import argparse
import csv
import itertools
import math
import os
import sys
import time

import numpy as np
from scipy.optimize import least_squares, minimize

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
GOLDEN_DIR = os.path.join(REPO, "tests", "data", "fit", "golden")

LBFGS_OPTIONS = {"ftol": 2.220446049250313e-09, "gtol": 1e-05, "maxiter": 15000}
LSQ_TOL = 1e-15
NEWTON_MAX_ITER = 200
HESS_STEP = 1e-5
NEWTON_STEP_REL = 1e-15
# Relative tolerance of the hull's collinearity test (lower_hull).
HULL_REL = 1e-9
# A run's point this close (in ln C) to a grid point is that grid point's, not a corner.
CORNER_GAP = 1e-9
DEDUPE_TOL = 1e-4
# At the optimum the objective is flat to its rounding noise (the residuals themselves carry
# errors of a few ulps of ln L): a step that raises it by no more than this (relative, far
# below the 1e-9 the C tests use) still counts as progress when it lowers the gradient norm.
FLAT_REL = 1e-13
# "Near the refined optimum" for the grid statistics: relative 1e-6, absolute 1e-18 (exact data).
NEAR_REL, NEAR_ABS = 1e-6, 1e-18


def axis(lo, hi, step):
    n = int(round((hi - lo) / step)) + 1
    return [lo + step * i for i in range(n)]


def lse_weights(cols):
    """Row-wise log-sum-exp of the columns of cols (n, k) and the softmax weights (n, k)."""
    m = np.max(cols, axis=1, keepdims=True)
    ex = np.exp(cols - m)
    s = np.sum(ex, axis=1, keepdims=True)
    return (m + np.log(s))[:, 0], ex / s


# ---- laws: ln Lhat and its Jacobian with respect to theta ----

class Law:
    name = ""
    theta_names = ()
    canonical_names = ()
    nvars = 1
    grid_axes = ()
    bounds = None

    def grid(self):
        return [np.array(p, dtype=float) for p in itertools.product(*self.grid_axes)]

    def grid_text(self):
        parts = []
        for nm, ax in zip(self.theta_names, self.grid_axes):
            parts.append("%s {%s}" % (nm, ",".join(repr(v) for v in ax)))
        return " x ".join(parts)


class PowerLaw(Law):
    name = "power"
    theta_names = ("a", "alpha")
    canonical_names = ("x0", "alpha")
    parameterization = "ln L = a - alpha ln x; x0 = exp(a/alpha)"
    grid_axes = (axis(0, 25, 5), axis(0, 2, 0.5))

    def lnpred(self, th, X):
        lx = X[0]
        f = th[0] - th[1] * lx
        J = np.empty((len(lx), 2))
        J[:, 0] = 1.0
        J[:, 1] = -lx
        return f, J

    def canonical(self, th):
        return {"x0": math.exp(th[0] / th[1]) if th[1] != 0 else math.inf, "alpha": th[1]}


class PowerConstLaw(Law):
    name = "power+const"
    theta_names = ("e", "a", "alpha")
    canonical_names = ("L_inf", "x0", "alpha")
    parameterization = "ln L = LSE(e, a - alpha ln x); L_inf = exp(e), x0 = exp(a/alpha)"
    grid_axes = (axis(-1, 1, 0.5), axis(0, 25, 5), axis(0, 2, 0.5))

    def lnpred(self, th, X):
        lx = X[0]
        cols = np.stack([np.full_like(lx, th[0]), th[1] - th[2] * lx], axis=1)
        f, p = lse_weights(cols)
        J = np.empty((len(lx), 3))
        J[:, 0] = p[:, 0]
        J[:, 1] = p[:, 1]
        J[:, 2] = -p[:, 1] * lx
        return f, J

    def canonical(self, th):
        return {"L_inf": math.exp(th[0]),
                "x0": math.exp(th[1] / th[2]) if th[2] != 0 else math.inf, "alpha": th[2]}


class ChinchillaLaw(Law):
    name = "chinchilla"
    nvars = 2
    theta_names = ("e", "a", "alpha", "b", "beta")
    canonical_names = ("E", "A", "alpha", "B", "beta")
    parameterization = ("ln L = LSE(e, a - alpha ln N, b - beta ln D); "
                        "E = exp(e), A = exp(a), B = exp(b)")
    grid_axes = (axis(-1, 1, 0.5), axis(0, 25, 5), axis(0, 2, 0.5), axis(0, 25, 5),
                 axis(0, 2, 0.5))

    def lnpred(self, th, X):
        ln_n, ln_d = X
        cols = np.stack([np.full_like(ln_n, th[0]), th[1] - th[2] * ln_n,
                         th[3] - th[4] * ln_d], axis=1)
        f, p = lse_weights(cols)
        J = np.empty((len(ln_n), 5))
        J[:, 0] = p[:, 0]
        J[:, 1] = p[:, 1]
        J[:, 2] = -p[:, 1] * ln_n
        J[:, 3] = p[:, 2]
        J[:, 4] = -p[:, 2] * ln_d
        return f, J

    def canonical(self, th):
        return {"E": math.exp(th[0]), "A": math.exp(th[1]), "alpha": th[2],
                "B": math.exp(th[3]), "beta": th[4]}


class KaplanLaw(Law):
    name = "kaplan-nd"
    nvars = 2
    theta_names = ("a", "alpha_N", "b", "alpha_D")
    canonical_names = ("N_c", "alpha_N", "D_c", "alpha_D")
    parameterization = ("ln L = alpha_D LSE((a - alpha_N ln N)/alpha_D, b/alpha_D - ln D); "
                        "N_c = exp(a/alpha_N), D_c = exp(b/alpha_D)")
    grid_axes = (axis(0, 25, 5), axis(0, 2, 0.5), axis(0, 25, 5), [0.05, 0.5, 1.0, 1.5, 2.0])
    bounds = [(None, None), (None, None), (None, None), (1e-3, None)]

    def lnpred(self, th, X):
        ln_n, ln_d = X
        a, an, b, ad = th
        u = (a - an * ln_n) / ad
        v = b / ad - ln_d
        s, p = lse_weights(np.stack([u, v], axis=1))
        J = np.empty((len(ln_n), 4))
        J[:, 0] = p[:, 0]
        J[:, 1] = -p[:, 0] * ln_n
        J[:, 2] = p[:, 1]
        J[:, 3] = s - p[:, 0] * u - p[:, 1] * (b / ad)
        return ad * s, J

    def canonical(self, th):
        return {"N_c": math.exp(th[0] / th[1]) if th[1] != 0 else math.inf, "alpha_N": th[1],
                "D_c": math.exp(th[2] / th[3]), "alpha_D": th[3]}


class LogLaw(Law):
    name = "log"
    theta_names = ("a", "c")
    canonical_names = ("lambda", "N_c")
    parameterization = "ln L = a + ln(ln x - c); lambda = exp(a), N_c = exp(c)"
    grid_axes = (axis(-3, 1, 1), axis(-10, 5, 2.5))

    def lnpred(self, th, X):
        lx = X[0]
        u = lx - th[1]
        with np.errstate(invalid="ignore", divide="ignore"):
            f = np.where(u > 0, th[0] + np.log(np.where(u > 0, u, 1.0)), np.nan)
        J = np.empty((len(lx), 2))
        J[:, 0] = 1.0
        J[:, 1] = -1.0 / u
        return f, J

    def canonical(self, th):
        return {"lambda": math.exp(th[0]), "N_c": math.exp(th[1])}


class KaplanNSLaw(Law):
    """Kaplan's learning-curve law; the second column is the training step S."""
    name = "kaplan-ns"
    nvars = 2
    theta_names = ("a", "alpha_N", "b", "alpha_S")
    canonical_names = ("N_c", "alpha_N", "S_c", "alpha_S")
    parameterization = ("ln L = LSE(a - alpha_N ln N, b - alpha_S ln S); "
                        "N_c = exp(a/alpha_N), S_c = exp(b/alpha_S)")
    grid_axes = (axis(0, 25, 5), axis(0, 2, 0.5), axis(0, 25, 5), axis(0, 2, 0.5))

    def lnpred(self, th, X):
        ln_n, ln_s = X
        f, p = lse_weights(np.stack([th[0] - th[1] * ln_n, th[2] - th[3] * ln_s], axis=1))
        J = np.empty((len(ln_n), 4))
        J[:, 0] = p[:, 0]
        J[:, 1] = -p[:, 0] * ln_n
        J[:, 2] = p[:, 1]
        J[:, 3] = -p[:, 1] * ln_s
        return f, J

    def canonical(self, th):
        return {"N_c": math.exp(th[0] / th[1]) if th[1] != 0 else math.inf, "alpha_N": th[1],
                "S_c": math.exp(th[2] / th[3]) if th[3] != 0 else math.inf, "alpha_S": th[3]}


class KaplanNSConstLaw(Law):
    name = "kaplan-ns+const"
    nvars = 2
    theta_names = ("e", "a", "alpha_N", "b", "alpha_S")
    canonical_names = ("E", "N_c", "alpha_N", "S_c", "alpha_S")
    parameterization = ("ln L = LSE(e, a - alpha_N ln N, b - alpha_S ln S); E = exp(e), "
                        "N_c = exp(a/alpha_N), S_c = exp(b/alpha_S)")
    grid_axes = (axis(-1, 1, 0.5), axis(0, 25, 5), axis(0, 2, 0.5), axis(0, 25, 5),
                 axis(0, 2, 0.5))

    def lnpred(self, th, X):
        return ChinchillaLaw().lnpred(th, X)

    def canonical(self, th):
        c = KaplanNSLaw().canonical(th[1:])
        c.update(E=math.exp(th[0]))
        return {k: c[k] for k in self.canonical_names}


class BrokenLaw(Law):
    """Caballero et al.'s broken power law, y = a + b x^-c0 prod_i (1 + (x/d_i)^(1/f_i))^(-c_i f_i),
    with theta (ln a, ln b, c0, then c_i, ln d_i, ln f_i per break; the second break's ln d is
    the first's plus e^u, u its entry)."""
    breaks = 1

    def place(self, th, i):
        return th[4] if i == 0 else th[4] + np.exp(th[7])

    def lnpred(self, th, X):
        with np.errstate(over="ignore", invalid="ignore"):
            return self._lnpred(th, X)

    def _lnpred(self, th, X):
        lx = X[0]
        t = th[1] - th[2] * lx
        dt = np.zeros((len(lx), len(th)))
        dt[:, 1] = 1.0
        dt[:, 2] = -lx
        for i in range(self.breaks):
            c, ld, f = th[3 + 3 * i], self.place(th, i), np.exp(th[5 + 3 * i])
            g = (lx - ld) / f
            s = np.logaddexp(0.0, g)
            sg = 0.5 * (1 + np.tanh(0.5 * g))
            t = t - c * f * s
            dt[:, 3 + 3 * i] = -f * s
            dt[:, 5 + 3 * i] = -c * f * (s - sg * g)
            dt[:, 4] += c * sg
            if i == 1:
                dt[:, 7] = c * sg * np.exp(th[7])
        f, p = lse_weights(np.stack([np.full_like(lx, th[0]), t], axis=1))
        J = p[:, 1:2] * dt
        J[:, 0] = p[:, 0]
        return f, J

    def canonical(self, th):
        out = {"a": math.exp(th[0]), "b": math.exp(th[1]), "c0": th[2]}
        for i in range(self.breaks):
            out["c%d" % (i + 1)] = th[3 + 3 * i]
            out["d%d" % (i + 1)] = math.exp(self.place(th, i))
            out["f%d" % (i + 1)] = math.exp(th[5 + 3 * i])
        return out


class Broken1Law(BrokenLaw):
    name = "broken1"
    breaks = 1
    theta_names = ("la", "lb", "c0", "c1", "ld1", "lf1")
    canonical_names = ("a", "b", "c0", "c1", "d1", "f1")
    parameterization = ("ln y = LSE(la, lb - c0 ln x - c1 f1 softplus((ln x - ld1)/f1)); "
                        "a = exp(la), b = exp(lb), d1 = exp(ld1), f1 = exp(lf1)")
    grid_axes = (axis(-1, 1, 1), axis(0, 4, 2), [0.1, 0.3, 0.6], [-0.3, 0.3],
                 [4.0, 9.0, 14.0], [math.log(0.5), 0.0])


class Broken2Law(BrokenLaw):
    name = "broken2"
    breaks = 2
    theta_names = ("la", "lb", "c0", "c1", "ld1", "lf1", "c2", "u2", "lf2")
    canonical_names = ("a", "b", "c0", "c1", "d1", "f1", "c2", "d2", "f2")
    parameterization = ("ln y = LSE(la, lb - c0 ln x - sum_i c_i f_i softplus((ln x - ld_i)/f_i)) "
                        "with ld2 = ld1 + exp(u2)")
    grid_axes = (axis(-1, 1, 1), axis(0, 4, 2), [0.1, 0.4], [-0.3, 0.3], [6.0, 12.0], [0.0],
                 [-0.3, 0.3], [1.0, 2.0], [0.0])


class DataconLaw(Law):
    """Muennighoff et al.'s data-constrained law of (N, D, U): theta = (e, a, alpha, b, beta,
    ln R_D*, ln R_N*), ln L = LSE(e, a - alpha ln N', b - beta ln D') with D', N' as PAPERS.md
    writes them; the gradient is carried through N_opt(U_D) by the chain rule here."""
    name = "data-constrained"
    nvars = 3
    theta_names = ("e", "a", "alpha", "b", "beta", "lrd", "lrn")
    canonical_names = ("E", "A", "alpha", "B", "beta", "R_D*", "R_N*")
    parameterization = ("ln L = LSE(e, a - alpha ln N', b - beta ln D'); D' = U_D (1 + R_D* (1 - "
                        "exp(-R_D/R_D*))), N' likewise from U_N = min(N_opt(U_D), N); "
                        "R_D* = exp(lrd), R_N* = exp(lrn)")
    grid_axes = ([0.0, 0.5, 1.0], [5.0, 7.0], [0.3, 0.5], [5.0, 7.0], [0.3, 0.5],
                 [math.log(5.0), math.log(20.0)], [math.log(2.0), math.log(10.0)])

    @staticmethod
    def effective(r, rs):
        """ln(1 + rs (1 - e^(-r/rs))) and its derivatives in ln rs and in r."""
        q = r / rs
        e = np.exp(-q)
        k = 1 + rs * (1 - e)
        return np.log(k), rs * ((1 - e) - q * e) / k, e / k

    def lnpred(self, th, X):
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            return self._lnpred(th, X)

    def _lnpred(self, th, X):
        ln_n, ln_d = X[0], X[1]
        ln_u = X[2] if len(X) > 2 else np.full_like(ln_d, np.inf)
        e, a, al, b, be, lrd, lrn = th
        lud = np.minimum(ln_u, ln_d)
        fd, fd_lrs, _ = self.effective(np.expm1(ln_d - lud), math.exp(lrd))
        ldp = lud + fd
        s, r = al + be, be / al
        lg = (math.log(al) + a - math.log(be) - b) / s if al > 0 and be > 0 else math.nan
        lnopt = (1 + r) * lg + r * lud
        cap = ln_n > lnopt
        rn = np.where(cap, np.expm1(ln_n - lnopt), 0.0)
        fn, fn_lrs, fn_r = self.effective(rn, math.exp(lrn))
        lnp = np.where(cap, lnopt + fn, ln_n)
        dn_lun = np.where(cap, 1 - fn_r * (rn + 1), 0.0)
        fn_lrs = np.where(cap, fn_lrs, 0.0)
        f, p = lse_weights(np.stack([np.full_like(ln_n, e), a - al * lnp, b - be * ldp], axis=1))
        # d ln N_opt / d theta, then d ln N' = dn_lun d ln N_opt
        dlg = {"a": 1 / s, "b": -1 / s, "al": (1 / al - lg) / s, "be": (-1 / be - lg) / s}
        dn_a = dn_lun * (1 + r) * dlg["a"]
        dn_b = dn_lun * (1 + r) * dlg["b"]
        dn_al = dn_lun * (-be / al ** 2 * (lg + lud) + (1 + r) * dlg["al"])
        dn_be = dn_lun * (1 / al * (lg + lud) + (1 + r) * dlg["be"])
        J = np.empty((len(ln_n), 7))
        J[:, 0] = p[:, 0]
        J[:, 1] = p[:, 1] * (1 - al * dn_a)
        J[:, 2] = p[:, 1] * (-lnp - al * dn_al)
        J[:, 3] = p[:, 2] - p[:, 1] * al * dn_b
        J[:, 4] = -p[:, 2] * ldp - p[:, 1] * al * dn_be
        J[:, 5] = -p[:, 2] * be * fd_lrs
        J[:, 6] = -p[:, 1] * al * fn_lrs
        return f, J

    def canonical(self, th):
        return {"E": math.exp(th[0]), "A": math.exp(th[1]), "alpha": th[2],
                "B": math.exp(th[3]), "beta": th[4], "R_D*": math.exp(th[5]),
                "R_N*": math.exp(th[6])}


LAWS = {c.name: c for c in (PowerLaw, PowerConstLaw, ChinchillaLaw, KaplanLaw, LogLaw,
                            KaplanNSLaw, KaplanNSConstLaw, Broken1Law, Broken2Law, DataconLaw)}


# ---- objective ----

class Objective:
    """Summed (weighted) squares or Huber of log- or linear-space residuals."""

    def __init__(self, law, X, y, w, space, loss, delta):
        self.law, self.X, self.y, self.w = law, X, y, w
        self.space, self.loss, self.delta = space, loss, delta
        self.lny = np.log(y)
        self.unit_w = bool(np.all(w == 1.0))

    def residuals(self, th):
        f, J = self.law.lnpred(th, self.X)
        if self.space == "log":
            return f - self.lny, J
        lhat = np.exp(f)
        return lhat - self.y, J * lhat[:, None]

    def rho(self, r):
        if self.loss == "squares":
            return r * r, 2.0 * r
        d = self.delta
        ar = np.abs(r)
        val = np.where(ar <= d, 0.5 * r * r, d * (ar - 0.5 * d))
        return val, np.clip(r, -d, d)

    def rho2(self, r):
        """Second derivative of rho (Huber's is taken as 1 at |r| = delta)."""
        if self.loss == "squares":
            return np.full_like(r, 2.0)
        return (np.abs(r) <= self.delta).astype(float)

    def value(self, th):
        with np.errstate(over="ignore", invalid="ignore"):
            r, _ = self.residuals(th)
            v, _ = self.rho(r)
            out = float(np.sum(self.w * v))
        return out if math.isfinite(out) else math.inf

    def value_grad(self, th):
        with np.errstate(over="ignore", invalid="ignore"):
            r, dr = self.residuals(th)
            v, dv = self.rho(r)
            val = float(np.sum(self.w * v))
            g = (self.w * dv) @ dr
        if not math.isfinite(val) or not np.all(np.isfinite(g)):
            return 1e300, np.zeros_like(th)
        return val, g

    def grad(self, th):
        return self.value_grad(th)[1]


# ---- search and polish ----

def lbfgs_grid(obj, starts, quiet):
    """Plain L-BFGS-B from every start; returns a list of (objective, theta, index, nit, ok)."""
    out = []
    t0 = time.time()
    for k, s in enumerate(starts):
        res = minimize(obj.value_grad, s, jac=True, method="L-BFGS-B", bounds=obj.law.bounds,
                       options=LBFGS_OPTIONS)
        val = obj.value(res.x)
        out.append((val, np.array(res.x), k, int(res.nit), bool(res.success)))
        if not quiet and (k + 1) % 500 == 0:
            print("  %d/%d starts, %.1f s" % (k + 1, len(starts), time.time() - t0),
                  file=sys.stderr)
    return out


def hessian(obj, th):
    """Hessian of the objective: sum_i w_i [rho''(r_i) grad r_i grad r_i^T + rho'(r_i) hess r_i].
    The first term is exact; hess r_i comes from central differences of the analytic residual
    Jacobian, which is smooth (differencing the gradient itself would straddle Huber's kinks)."""
    p = len(th)
    with np.errstate(over="ignore", invalid="ignore"):
        r, dr = obj.residuals(th)
    _, d1 = obj.rho(r)
    d2 = obj.rho2(r)
    H = dr.T @ ((obj.w * d2)[:, None] * dr)
    c = obj.w * d1
    for j in range(p):
        h = HESS_STEP * max(1.0, abs(th[j]))
        tp = th.copy()
        tm = th.copy()
        tp[j] += h
        tm[j] -= h
        with np.errstate(over="ignore", invalid="ignore"):
            drp = obj.residuals(tp)[1]
            drm = obj.residuals(tm)[1]
        H[:, j] += c @ ((drp - drm) / (2.0 * h))
    return 0.5 * (H + H.T)


def newton_polish(obj, th):
    """Newton steps with backtracking until no step lowers the objective (or, with the
    objective unchanged to rounding, the gradient norm), the step is below rounding, or
    three steps in a row make no real progress (objective down by more than its rounding, or
    gradient norm halved)."""
    f, g = obj.value_grad(th)
    gn = float(np.linalg.norm(g))
    iters = 0
    stall = 0
    for iters in range(1, NEWTON_MAX_ITER + 1):
        H = hessian(obj, th)
        lam, V = np.linalg.eigh(H)
        floor = max(1e-12 * max(abs(lam).max(), 1e-300), 1e-300)
        lam = np.maximum(np.abs(lam), floor)
        step = -(V @ ((V.T @ g) / lam))
        if np.max(np.abs(step) / np.maximum(1.0, np.abs(th))) < NEWTON_STEP_REL:
            break
        accepted = False
        t = 1.0
        for _ in range(60):
            tn = th + t * step
            fn, gnv = obj.value_grad(tn)
            gnn = float(np.linalg.norm(gnv))
            if fn < f or (fn <= f + FLAT_REL * abs(f) and gnn < gn):
                progress = (f - fn > FLAT_REL * abs(f)) or gnn < 0.5 * gn
                th, f, g, gn = tn, fn, gnv, gnn
                accepted = True
                break
            t *= 0.5
        if not accepted:
            break
        stall = 0 if progress else stall + 1
        if stall >= 3:
            break
    return th, f, gn, iters


def lsq_polish(obj, th):
    """Stage 1 of the polish: scipy least_squares on the residual vector."""
    if obj.loss == "huber" and not obj.unit_w:
        return th
    sw = np.sqrt(obj.w)

    def fun(t):
        with np.errstate(over="ignore", invalid="ignore"):
            r, _ = obj.residuals(t)
        return sw * r

    def jac(t):
        with np.errstate(over="ignore", invalid="ignore"):
            _, dr = obj.residuals(t)
        return dr * sw[:, None]

    kw = dict(jac=jac, method="trf", ftol=LSQ_TOL, xtol=LSQ_TOL, gtol=LSQ_TOL, max_nfev=20000,
              x_scale="jac")
    if obj.law.bounds is not None:
        lo = [b[0] if b[0] is not None else -np.inf for b in obj.law.bounds]
        hi = [b[1] if b[1] is not None else np.inf for b in obj.law.bounds]
        th = np.clip(th, lo, hi)
        kw["bounds"] = (lo, hi)
    if obj.loss == "huber":
        kw.update(loss="huber", f_scale=obj.delta)
    try:
        res = least_squares(fun, th, **kw)
    except ValueError:
        return th
    return res.x if obj.value(res.x) <= obj.value(th) else th


def distinct_best(results, m):
    order = sorted(range(len(results)), key=lambda i: (results[i][0], i))
    picked = []
    for i in order:
        if not math.isfinite(results[i][0]):
            break
        th = results[i][1]
        if all(np.max(np.abs(th - results[j][1]) / np.maximum(1.0, np.abs(th))) > DEDUPE_TOL
               for j in picked):
            picked.append(i)
        if len(picked) >= m:
            break
    return picked


def distinct_optima(refined):
    """Objectives of the polished candidates, sorted, with repeats (relative 1e-9) removed:
    more than one entry means the grid led to several local minima."""
    out = []
    for f in sorted(r[0] for r in refined):
        if not out or f - out[-1] > 1e-9 * abs(out[-1]) + NEAR_ABS:
            out.append(f)
    return out


def fit_law(law, X, y, w, space, loss, delta, nstarts, nrefine, quiet):
    obj = Objective(law, X, y, w, space, loss, delta)
    starts = law.grid()
    if nstarts is not None:
        starts = starts[:nstarts]
    t0 = time.time()
    results = lbfgs_grid(obj, starts, quiet)
    t_grid = time.time() - t0
    best_i = min(range(len(results)), key=lambda i: (results[i][0], i))
    picked = distinct_best(results, nrefine)
    if best_i not in picked:
        picked.insert(0, best_i)
    refined = []
    for i in picked:
        th = lsq_polish(obj, results[i][1])
        th, f, gn, nit = newton_polish(obj, th)
        refined.append((f, gn, th, i))
    rbest = min(refined, key=lambda r: (r[0], r[1]))
    t_total = time.time() - t0
    f_ref = rbest[0]
    near = sum(1 for r in results
               if math.isfinite(r[0]) and r[0] - f_ref <= NEAR_REL * abs(f_ref) + NEAR_ABS)
    return {
        "obj": obj, "starts": len(starts), "results": results, "best": results[best_i],
        "refined": rbest, "near": near, "t_grid": t_grid, "t_total": t_total,
        "refined_all": refined,
    }


# ---- input ----

def read_table(path):
    """Returns (header, rows, lines): rows are lists of strings, lines the physical line numbers
    (1-based). Lines whose first character is '#' are comments."""
    header, rows, lines = None, [], []
    with open(path, newline="") as f:
        physical = 0
        buf = []
        for raw in f:
            physical += 1
            if raw.startswith("#") or raw.strip() == "":
                continue
            rec = next(csv.reader([raw]))
            if header is None:
                header = rec
                continue
            rows.append(rec)
            lines.append(physical)
    if header is None:
        raise SystemExit("fit_ref: %s: empty file" % path)
    return header, rows, lines


def parse_cv(text, flag):
    if "=" not in text:
        raise SystemExit("fit_ref: %s: expected COL=VALUE, got %r" % (flag, text))
    c, v = text.split("=", 1)
    return c, v


def parse_holdout(expr):
    for op in (">=", "<=", ">", "<"):
        if op in expr:
            c, v = expr.split(op, 1)
            return c.strip(), op, float(v), v.strip()
    raise SystemExit("fit_ref: --holdout-where: expected COL>=V, COL>V, COL<=V or COL<V")


def compare(x, op, v):
    return {">=": x >= v, ">": x > v, "<=": x <= v, "<": x < v}[op]


def select_rows(args, header, rows):
    col = {name: i for i, name in enumerate(header)}

    def idx(name):
        if name not in col:
            raise SystemExit("fit_ref: no column %r" % name)
        return col[name]

    keep = [True] * len(rows)
    where = {}
    for text in args.where:
        c, v = parse_cv(text, "--where")
        where.setdefault(c, []).append(v)
    for c, vals in where.items():
        j = idx(c)
        keep = [k and rows[i][j] in vals for i, k in enumerate(keep)]
    numeric = ([(t, "<=") for t in args.max] + [(t, ">=") for t in args.min]
               + [(t, "<") for t in args.where_max] + [(t, ">=") for t in args.where_min])
    for text, op in numeric:
        c, v = parse_cv(text, "filter")
        j = idx(c)
        keep = [k and compare(float(rows[i][j]), op, float(v)) for i, k in enumerate(keep)]
    held = [False] * len(rows)
    hold = None
    if args.holdout_min is not None:
        c, v = parse_cv(args.holdout_min, "--holdout-min")
        hold = (c, ">=", float(v), v)
    if args.holdout_where is not None:
        hold = parse_holdout(args.holdout_where)
    if hold is not None:
        j = idx(hold[0])
        held = [compare(float(rows[i][j]), hold[1], hold[2]) for i in range(len(rows))]
    fit_idx = [i for i in range(len(rows)) if keep[i] and not held[i]]
    out_idx = [i for i in range(len(rows)) if keep[i] and held[i]]
    desc = {"where": ["%s=%s" % (c, v) for c, vals in where.items() for v in vals],
            "filters": ["%s%s%s" % (parse_cv(t, "f")[0], op, parse_cv(t, "f")[1])
                        for t, op in numeric]}
    if hold is not None:
        inverse = {">=": "<", ">": "<=", "<=": ">", "<": ">="}[hold[1]]
        desc["fit_rows"] = "%s%s%s" % (hold[0], inverse, hold[3])
        desc["holdout_rows"] = "%s%s%s" % (hold[0], hold[1], hold[3])
    else:
        desc["fit_rows"] = "all"
        desc["holdout_rows"] = None
    return fit_idx, out_idx, desc


def column(header, rows, name, index, positive=True):
    if name not in header:
        raise SystemExit("fit_ref: no column %r" % name)
    j = header.index(name)
    v = np.array([float(rows[i][j]) for i in index])
    if not np.all(np.isfinite(v)) or (positive and np.any(v <= 0)):
        raise SystemExit("fit_ref: column %r has a non-finite or non-positive value" % name)
    return v


# ---- YAML output (by hand: flow style, shortest round-trip numbers) ----

def num(v):
    v = float(v)
    if math.isnan(v):
        return ".nan"
    if math.isinf(v):
        return ".inf" if v > 0 else "-.inf"
    return repr(v)


def yscalar(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        return num(v)
    s = str(v)
    safe = s and all(ch.isalnum() or ch in "._-+/" for ch in s) and not s[0] in "-+." \
        and s not in ("null", "true", "false", "yes", "no", "on", "off")
    if safe:
        try:
            float(s)
            safe = False
        except ValueError:
            pass
    return s if safe else '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def yflow(v):
    if isinstance(v, dict):
        return "{" + ", ".join("%s: %s" % (k, yflow(x)) for k, x in v.items()) + "}"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(yflow(x) for x in v) + "]"
    return yscalar(v)


def yaml_doc(items):
    out = ["# produced by tests/ref/fit_ref.py - regenerate, do not edit"]
    for k, v in items:
        out.append("%s: %s" % (k, yflow(v)))
    return "\n".join(out) + "\n"


def yaml_list_block(key, entries):
    """A block sequence of flow items, one per line (long lists stay readable)."""
    if not entries:
        return "%s: []\n" % key
    return "%s:\n" % key + "".join("  - %s\n" % yflow(e) for e in entries)


def rel_fixture(path):
    ap = os.path.abspath(path)
    rp = os.path.relpath(ap, REPO)
    return rp if not rp.startswith("..") else os.path.basename(ap)


# ---- one law ----

def run_law(args):
    law = LAWS[args.law]()
    header, rows, lines = read_table(args.csv)
    fit_idx, out_idx, desc = select_rows(args, header, rows)
    if law.nvars == 1:
        xcols = [args.x or "params"]
    else:
        xcols = [args.n or "params", args.d or "tokens"]
        if law.nvars == 3:
            xcols.append(args.u or "unique")
    X = [np.log(column(header, rows, c, fit_idx)) for c in xcols]
    y = column(header, rows, args.y, fit_idx)
    w = column(header, rows, args.weight, fit_idx) if args.weight else np.ones(len(y))
    npar = len(law.theta_names)
    if len(y) < npar + 1:
        raise SystemExit("fit_ref: %d rows selected, the law needs at least %d"
                         % (len(y), npar + 1))
    nstarts = None if args.starts == "all" else int(args.starts)
    res = fit_law(law, X, y, w, args.space, args.loss, args.delta, nstarts, args.refine,
                  args.quiet)
    obj = res["obj"]
    f_best, th_best, k_best, nit_best, ok_best = res["best"]
    f_ref, gn_ref, th_ref, from_i = res["refined"]
    pred = np.exp(law.lnpred(th_ref, X)[0])
    if out_idx:
        Xo = [np.log(column(header, rows, c, out_idx)) for c in xcols]
        pred_out = np.exp(law.lnpred(th_ref, Xo)[0])
    else:
        pred_out = np.array([])
    canon_best = law.canonical(th_best)
    canon_ref = law.canonical(th_ref)
    # Squares only; not for exact data, whose residuals (and so errors) are rounding noise.
    ses = standard_errors(obj, law, th_ref) if args.loss == "squares" and f_ref > 1e-20 else None
    if not args.quiet:
        print("fit_ref: %s on %s: %d rows (+%d held out), %d starts; grid best %.17g "
              "(start %d), refined %.17g, |grad| %.3g; %d starts within 1e-6 of it; "
              "grid %.1f s, total %.1f s; distinct polished optima %s"
              % (law.name, os.path.basename(args.csv), len(y), len(out_idx), res["starts"],
                 f_best, k_best, f_ref, gn_ref, res["near"], res["t_grid"], res["t_total"],
                 distinct_optima(res["refined_all"])),
              file=sys.stderr)
    items = [
        ("format", "scalefit-fit-golden"), ("version", 1),
        ("fixture", os.path.basename(args.csv)), ("fixture_path", rel_fixture(args.csv)),
        ("command", command_text(args)),
        ("law", law.name),
        ("columns", {"x": xcols, "y": args.y}),
        ("selection", desc),
        ("rows", {"read": len(rows), "fit": len(fit_idx), "held_out": len(out_idx)}),
        ("fit_lines", [lines[i] for i in fit_idx]),
        ("heldout_lines", [lines[i] for i in out_idx]),
        ("space", args.space), ("loss", args.loss),
        ("delta", args.delta if args.loss == "huber" else None),
        ("weights", args.weight),
        ("starts", res["starts"]),
        ("grid", law.grid_text()),
        ("parameterization", law.parameterization),
        ("lbfgs_options", LBFGS_OPTIONS),
        ("grid_lbfgs", {"objective": f_best, "start": k_best, "iterations": nit_best,
                        "success": ok_best, "starts_within_1e-6_of_refined": res["near"],
                        "theta": dict(zip(law.theta_names, map(float, th_best))),
                        "parameters": canon_best}),
        ("refined", {"objective": f_ref, "gradient_norm": gn_ref,
                     "from_start": res["results"][from_i][2],
                     "theta": dict(zip(law.theta_names, map(float, th_ref))),
                     "parameters": canon_ref}),
        ("refined_candidates", distinct_optima(res["refined_all"])),
        ("standard_errors", ses),
        ("predictions", [float(v) for v in pred]),
        ("heldout_predictions", [float(v) for v in pred_out]),
    ]
    emit(args, yaml_doc(items))
    return 0


def standard_errors(obj, law, th):
    """Squares: the covariance s^2 (J'WJ)^-1 of theta at the optimum (J the Jacobian of the
    residuals in the fit's space, s^2 = sum w r^2 / (n - p)), carried to the reported parameters
    by central differences of law.canonical (step 1e-6 relative)."""
    th = np.array(th, dtype=float)
    r, J = obj.residuals(th)
    n, p = J.shape
    s2 = float(np.sum(obj.w * r * r)) / (n - p)
    cov = s2 * np.linalg.inv((J * obj.w[:, None]).T @ J)
    names = law.canonical_names
    grad = np.zeros((len(names), p))
    for j in range(p):
        h = 1e-6 * max(1.0, abs(th[j]))
        up, down = th.copy(), th.copy()
        up[j] += h
        down[j] -= h
        cu, cd = law.canonical(up), law.canonical(down)
        for k, name in enumerate(names):
            grad[k, j] = (cu[name] - cd[name]) / (2 * h)
    return {name: float(math.sqrt(grad[k] @ cov @ grad[k])) for k, name in enumerate(names)}


def command_text(args):
    parts = ["tests/ref/fit_ref.py", rel_fixture(args.csv), "--law", args.law]
    for flag, val in (("--x", args.x), ("--n", args.n), ("--d", args.d), ("--run", args.run),
                      ("--c", args.c), ("--u", args.u)):
        if val:
            parts += [flag, val]
    parts += ["--y", args.y]
    if args.weight:
        parts += ["--weight", args.weight]
    parts += ["--space", args.space, "--loss", args.loss]
    if args.loss == "huber":
        parts += ["--delta", repr(args.delta)]
    for flag, vals in (("--where", args.where), ("--min", args.min), ("--max", args.max),
                       ("--where-max", args.where_max), ("--where-min", args.where_min)):
        for v in vals:
            parts += [flag, v]
    if args.holdout_min:
        parts += ["--holdout-min", args.holdout_min]
    if args.holdout_where:
        parts += ["--holdout-where", "'%s'" % args.holdout_where]
    parts += ["--starts", str(args.starts)]
    return " ".join(parts)


def emit(args, text):
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        tmp = args.out + ".tmp"
        with open(tmp, "w", newline="\n") as f:
            f.write(text)
        os.replace(tmp, args.out)
    else:
        sys.stdout.write(text)


# ---- frontier ----

def frontier_envelope(runs):
    """runs: list of (name, lnC array, lnL array, N) in order of first appearance, each sorted
    by C with C strictly increasing and at least 2 points. The frontier is the running minimum
    f(x) = min over runs of (the lowest loss of the run's points at ln C <= x, and the run's
    linear interpolation at x where it covers x), evaluated at every point of the log-spaced
    grid and at every run's point that is f's value there and below f at the event before (a
    corner; points within CORNER_GAP of a grid point belong to the grid point). Returns the points' ln C, ln L
    and owning run (the run whose value is f there), the grid size, the smallest margin between
    owner and runner-up, and n_front: the points up to the last fall (the flat tail after it is
    neither fitted nor part of the hull)."""
    lo = min(r[1][0] for r in runs)
    hi = max(r[1][-1] for r in runs)
    n = max(2, int(math.ceil(16.0 * math.log10(math.exp(hi - lo)))) + 1)
    grid = np.array([lo + (hi - lo) * k / (n - 1) for k in range(n)])
    grid[0], grid[-1] = lo, hi

    def run_value(r, x):
        _, lc, ll, _ = r
        seen = ll[lc <= x]
        v = float(seen.min()) if len(seen) else math.inf
        if lc[0] <= x <= lc[-1]:
            j = int(np.searchsorted(lc, x, side="right")) - 1
            if j >= len(lc) - 1:
                v = min(v, float(ll[-1]))
            else:
                v = min(v, float(ll[j] + (ll[j + 1] - ll[j]) * (x - lc[j]) / (lc[j + 1] - lc[j])))
        return v

    # events: (ln C, 0 for a run's point / 1 for a grid point, its run, its ln L); points come
    # first at equal C
    events = [(float(x), 1, -1, math.inf) for x in grid]
    for ri, r in enumerate(runs):
        events += [(float(x), 0, ri, float(y)) for x, y in zip(r[1], r[2])]
    events.sort()
    xs, ls, owner = [], [], []
    prev = math.inf
    gap = math.inf
    for x, is_grid, ri, y in events:
        vals = [run_value(r, x) for r in runs]
        k = int(np.argmin(vals))
        f = vals[k]
        near = np.min(np.abs(grid - x)) <= CORNER_GAP
        # a corner: the run's own point is the frontier's value there, and the frontier fell
        if not is_grid and y == f:
            k = ri
        if is_grid or (y == f and f < prev and not near):
            xs.append(x)
            ls.append(f)
            owner.append(k)
            if is_grid:
                rest = sorted(vals)
                gap = min(gap, rest[1] - rest[0]) if len(rest) > 1 else gap
        prev = min(prev, f)
    last = 0
    for i in range(1, len(ls)):
        if ls[i] < ls[i - 1]:
            last = i
    return np.array(xs), np.array(ls), np.array(owner), n, gap, last + 1


def hull_turn(xs, ys, o, a, b):
    """Cross product (a - o) x (b - o) and its scale, the sum of the magnitudes of its two
    products: the turn o -> a -> b is counter-clockwise when cross > HULL_REL * scale."""
    p1 = (xs[a] - xs[o]) * (ys[b] - ys[o])
    p2 = (ys[a] - ys[o]) * (xs[b] - xs[o])
    return p1 - p2, abs(p1) + abs(p2)


def lower_hull(xs, ys):
    """Lower convex hull by the monotone chain (x increasing). Collinear points are dropped:
    grid points on one linear piece of one run's curve are collinear in exact arithmetic, and
    their computed cross products are rounding noise of either sign, so a turn counts only
    when cross > HULL_REL * scale (see hull_turn). Returns the indices of the vertices."""
    h = []
    for i in range(len(xs)):
        while len(h) >= 2:
            cross, scale = hull_turn(xs, ys, h[-2], h[-1], i)
            if cross <= HULL_REL * scale:
                h.pop()
            else:
                break
        h.append(i)
    return h


def hull_margins(xs, ys, hull):
    """The smallest relative turn at a kept vertex, and the largest relative turn a point
    off the hull would make between its two neighbouring vertices (negative: it lies above
    the hull; near zero: it was dropped as collinear). Reported so a reader can see how far
    the hull decisions are from the tolerance."""
    turns = []
    for o, a, b in zip(hull, hull[1:], hull[2:]):
        c, sc = hull_turn(xs, ys, o, a, b)
        turns.append(c / sc)
    off = []
    hs = set(hull)
    for i in range(len(xs)):
        if i in hs:
            continue
        o = max(k for k in hull if k < i)
        b = min(k for k in hull if k > i)
        c, sc = hull_turn(xs, ys, o, i, b)
        off.append(c / sc)
    return (min(turns) if turns else None), (max(off) if off else None)


def run_frontier(args):
    header, rows, lines = read_table(args.csv)
    fit_idx, out_idx, desc = select_rows(args, header, rows)
    if out_idx:
        raise SystemExit("fit_ref: frontier takes no holdout")
    run_col = header.index(args.run)
    cv = column(header, rows, args.c, fit_idx)
    lv = column(header, rows, args.y, fit_idx)
    nv = column(header, rows, args.n, fit_idx) if args.n else None
    order, data = [], {}
    for k, i in enumerate(fit_idx):
        name = rows[i][run_col]
        if name not in data:
            order.append(name)
            data[name] = []
        data[name].append((cv[k], lv[k], nv[k] if nv is not None else None))
    runs = []
    for name in order:
        pts = sorted(data[name], key=lambda p: p[0])
        cs = np.array([p[0] for p in pts])
        if np.any(np.diff(cs) <= 0):
            raise SystemExit("fit_ref: run %s: C does not strictly increase" % name)
        if len(pts) < 2:
            continue
        ns = set(p[2] for p in pts)
        if len(ns) != 1:
            raise SystemExit("fit_ref: run %s has several values of N" % name)
        runs.append((name, np.log(cs), np.log(np.array([p[1] for p in pts])), pts[0][2]))
    pts, env, owner, n, owner_gap, n_front = frontier_envelope(runs)
    cgrid, lenv = np.exp(pts), np.exp(env)
    law = PowerConstLaw()
    nstarts = None if args.starts == "all" else int(args.starts)
    fx, fy = pts[:n_front], lenv[:n_front]
    res = fit_law(law, [fx], fy, np.ones(n_front), "log", "squares", None, nstarts,
                  args.refine, args.quiet)
    f_best, th_best, k_best, nit_best, ok_best = res["best"]
    f_ref, gn_ref, th_ref, from_i = res["refined"]
    pc_best = law.canonical(th_best)
    pc_ref = law.canonical(th_ref)
    hull = lower_hull(pts[:n_front], env[:n_front])
    turn_min, off_max = hull_margins(pts[:n_front], env[:n_front], hull)
    items_hull = [{"C": float(cgrid[i]), "L": float(lenv[i]), "owner": runs[owner[i]][0],
                   "N": runs[owner[i]][3]} for i in hull]
    opt = None
    if args.n:
        # the optimal size at the points L(C) is fitted to (here every point before the tail)
        xs = np.array([pts[i] for i in range(n_front)])
        ys = np.log(np.array([runs[owner[i]][3] for i in range(n_front)]))
        if len(xs) >= 2:
            A = np.stack([xs, np.ones_like(xs)], axis=1)
            coef, _, _, _ = np.linalg.lstsq(A, ys, rcond=None)
            slope, icpt = float(coef[0]), float(coef[1])
            resid = ys - (slope * xs + icpt)
            opt = {"objective": float(resid @ resid), "points": len(xs),
                   "slope": slope, "intercept": icpt,
                   "parameters": {"C_n": math.exp(-icpt / slope), "beta_opt": slope}}
    if not args.quiet:
        print("fit_ref: frontier on %s: %d runs, %d grid points, %d frontier points (%d before "
              "the tail), %d hull vertices; power+const grid best %.17g, refined %.17g |grad| "
              "%.3g; %.1f s"
              % (os.path.basename(args.csv), len(runs), n, len(pts), n_front, len(hull), f_best,
                 f_ref, gn_ref,
                 res["t_total"]), file=sys.stderr)
    params = {"L_inf": pc_ref["L_inf"], "C0": pc_ref["x0"], "alpha_C": pc_ref["alpha"]}
    if opt:
        params.update(opt["parameters"])
    cols = {"run": args.run, "c": args.c, "y": args.y}
    if args.n:
        cols["n"] = args.n
    items = [
        ("format", "scalefit-fit-golden"), ("version", 1),
        ("fixture", os.path.basename(args.csv)), ("fixture_path", rel_fixture(args.csv)),
        ("command", command_text(args)),
        ("law", "frontier"),
        ("columns", cols),
        ("selection", desc),
        ("rows", {"read": len(rows), "fit": len(fit_idx), "held_out": 0}),
        ("runs", [r[0] for r in runs]),
        ("space", "log"), ("loss", "squares"), ("delta", None), ("weights", None),
        ("envelope_grid", {"points": n, "ln_C_lo": float(pts[0]), "ln_C_hi": float(pts[-1]),
                           "spacing": "ln C_k = ln C_lo + (ln C_hi - ln C_lo) k/(n-1), "
                                      "ends exact; plus the runs' points where the running "
                                      "minimum falls",
                           "frontier_points": len(pts), "before_tail": n_front}),
        ("robustness", {"min_owner_gap_lnL": owner_gap, "hull_tolerance_rel": HULL_REL,
                        "min_vertex_turn_rel": turn_min, "max_offhull_turn_rel": off_max}),
    ]
    text = yaml_doc(items)
    text += yaml_list_block("envelope", [{"C": float(cgrid[k]), "L": float(lenv[k]),
                                          "owner": runs[owner[k]][0]} for k in range(len(pts))])
    text += yaml_list_block("hull", items_hull)
    tail = [
        ("starts", res["starts"]),
        ("grid", law.grid_text()),
        ("parameterization", "ln L = LSE(e, a - alpha_C ln C); L_inf = exp(e), "
         "C0 = exp(a/alpha_C)"),
        ("lbfgs_options", LBFGS_OPTIONS),
        ("power_const", {
            "grid_lbfgs": {"objective": f_best, "start": k_best, "iterations": nit_best,
                           "success": ok_best,
                           "starts_within_1e-6_of_refined": res["near"],
                           "parameters": {"L_inf": pc_best["L_inf"], "C0": pc_best["x0"],
                                          "alpha_C": pc_best["alpha"]}},
            "refined": {"objective": f_ref, "gradient_norm": gn_ref,
                        "theta": dict(zip(law.theta_names, map(float, th_ref))),
                        "parameters": {"L_inf": pc_ref["L_inf"], "C0": pc_ref["x0"],
                                       "alpha_C": pc_ref["alpha"]}},
            "predictions": [float(v) for v in np.exp(law.lnpred(th_ref, [fx])[0])]}),
        ("optimal_size", opt),
        ("parameters", params),
    ]
    text += "\n".join("%s: %s" % (k, yflow(v)) for k, v in tail) + "\n"
    emit(args, text)
    return 0


# ---- goldens ----

GADRE = "data/gadre2024_overtraining_losses.csv"
FIT = "tests/data/fit/"


def golden_jobs():
    jobs = []
    for stem, law in (("power_synth", "power"), ("exact_power", "power"),
                      ("powerconst_synth", "power+const"), ("exact_powerconst", "power+const"),
                      ("chinchilla_synth", "chinchilla"), ("exact_chinchilla", "chinchilla"),
                      ("kaplan_synth", "kaplan-nd"), ("exact_kaplan", "kaplan-nd"),
                      ("log_synth", "log")):
        jobs.append(("%s.%s.squares.yaml" % (stem, law.replace("+", "_")),
                     [FIT + stem + ".csv", "--law", law]))
    jobs.append(("chinchilla_synth.chinchilla.huber.yaml",
                 [FIT + "chinchilla_synth.csv", "--law", "chinchilla", "--loss", "huber",
                  "--delta", "1e-3"]))
    jobs.append(("bench_chinchilla_240.chinchilla.huber.yaml",
                 [FIT + "bench_chinchilla_240.csv", "--law", "chinchilla", "--loss", "huber",
                  "--delta", "1e-3"]))
    jobs.append(("powerconst_weighted.power_const.squares.yaml",
                 [FIT + "powerconst_weighted.csv", "--law", "power+const", "--weight", "weight"]))
    for stem, law, x in (("chinchilla_synth", "chinchilla", []), ("kaplan_synth", "kaplan-nd", []),
                         ("broken1_synth", "broken1", ["--x", "params"])):
        jobs.append(("%s.%s.linear.yaml" % (stem, law.replace("+", "_")),
                     [FIT + stem + ".csv", "--law", law, "--space", "linear"] + x))
    jobs.append(("datacon_synth.data-constrained.squares.yaml",
                 [FIT + "datacon_synth.csv", "--law", "data-constrained", "--n", "params", "--d",
                  "tokens", "--u", "unique"]))
    for stem, law in (("broken1_synth", "broken1"), ("broken2_synth", "broken2")):
        jobs.append(("%s.%s.squares.yaml" % (stem, law), [FIT + stem + ".csv", "--law", law,
                                                         "--x", "params"]))
    for stem, law in (("kaplan_ns_curves", "kaplan-ns"), ("kaplan_ns_const_curves", "kaplan-ns+const")):
        jobs.append(("%s.%s.squares.yaml" % (stem, law.replace("+", "_")),
                     [FIT + stem + ".csv", "--law", law, "--n", "params", "--d", "step"]))
    jobs.append(("frontier_curves.frontier.yaml",
                 [FIT + "frontier_curves.csv", "--law", "frontier", "--run", "run",
                  "--c", "flops", "--y", "loss", "--n", "params"]))
    for ds in ("c4_original", "rpj", "rw_original"):
        jobs.append(("gadre_%s.chinchilla.huber.yaml" % ds,
                     [GADRE, "--law", "chinchilla", "--n", "params", "--d", "tokens",
                      "--y", "loss_c4_val_full", "--where", "dataset=" + ds, "--loss", "huber",
                      "--delta", "1e-3", "--holdout-min", "params=1e9"]))
    return jobs


def make_goldens(only):
    parser = build_parser()
    for name, argv in golden_jobs():
        if only and not any(s in name for s in only):
            continue
        argv = list(argv)
        argv[0] = os.path.join(REPO, argv[0])
        args = parser.parse_args(argv + ["--out", os.path.join(GOLDEN_DIR, name)])
        t0 = time.time()
        dispatch(args)
        print("fit_ref: wrote golden/%s in %.1f s" % (name, time.time() - t0), file=sys.stderr)
    return 0


# ---- self-test ----

def self_test():
    """Checks of the reference itself: analytic gradients against central differences, the
    Huber objective against its formula and against scipy's least_squares cost, and recovery
    of the noiseless fixtures' true parameters. Returns the number of failures."""
    fails = 0

    def check(ok, what):
        nonlocal fails
        print("%s %s" % ("PASS" if ok else "FAIL", what))
        fails += 0 if ok else 1

    rng = np.random.default_rng(7)
    n = 40
    ln_n = np.log(np.logspace(7, 10, n))
    ln_d = np.log(np.logspace(8, 12, n)[rng.permutation(n)])
    cases = [(PowerLaw(), [ln_n], [2.385, 0.0731]),
             (PowerConstLaw(), [ln_n], [1.137, 1.2, 0.247]),
             (ChinchillaLaw(), [ln_n, ln_d], [0.52, 6.01, 0.341, 6.02, 0.279]),
             (KaplanLaw(), [ln_n, ln_d], [2.41, 0.0761, 3.14, 0.1032])]
    for law, X, th in cases:
        th = np.array(th)
        y = np.exp(law.lnpred(th, X)[0] + 0.02 * rng.standard_normal(n))
        w = rng.uniform(0.5, 2.0, n)
        for space, loss in (("log", "squares"), ("log", "huber"), ("linear", "squares"),
                            ("linear", "huber")):
            obj = Objective(law, X, y, w, space, loss, 0.01)
            t1 = th * (1 + 0.01 * rng.standard_normal(len(th)))
            _, g = obj.value_grad(t1)
            fd = np.empty_like(g)
            for j in range(len(th)):
                h = 1e-6 * max(1.0, abs(t1[j]))
                e = np.zeros_like(t1)
                e[j] = h
                fd[j] = (obj.value(t1 + e) - obj.value(t1 - e)) / (2 * h)
            err = np.max(np.abs(fd - g)) / max(np.max(np.abs(g)), 1e-300)
            check(err < 1e-6, "%s %s %s: gradient vs central differences, max rel %.2g"
                  % (law.name, space, loss, err))
        # Huber: the formula, then scipy's least_squares cost (unit weights, f_scale = delta).
        obj = Objective(law, X, y, np.ones(n), "log", "huber", 0.01)
        r = obj.residuals(th)[0]
        formula = sum(0.5 * v * v if abs(v) <= 0.01 else 0.01 * (abs(v) - 0.005) for v in r)
        # One step of least_squares: .cost is scipy's Huber cost at the point it returns.
        res = least_squares(lambda t: obj.residuals(t)[0], th, loss="huber", f_scale=0.01,
                            max_nfev=1)
        cost_at, mine_at = res.cost, obj.value(res.x)
        check(abs(obj.value(th) - formula) <= 1e-14 * formula and
              abs(cost_at - mine_at) <= 1e-12 * mine_at,
              "%s: Huber objective %.17g = formula %.17g; least_squares cost %.17g = %.17g"
              % (law.name, obj.value(th), formula, cost_at, mine_at))
    # Recovery of the noiseless fixtures.
    truth = read_true()
    for stem, law in (("exact_power", "power"), ("exact_powerconst", "power+const"),
                      ("exact_chinchilla", "chinchilla"), ("exact_kaplan", "kaplan-nd")):
        path = os.path.join(REPO, FIT + stem + ".csv")
        L = LAWS[law]()
        header, rows, _ = read_table(path)
        idx = list(range(len(rows)))
        X = [np.log(column(header, rows, c, idx))
             for c in (["params"] if L.nvars == 1 else ["params", "tokens"])]
        y = column(header, rows, "loss", idx)
        t0 = time.time()
        res = fit_law(L, X, y, np.ones(len(y)), "log", "squares", None,
                      SELF_TEST_STARTS.get(law), 8, True)
        got = L.canonical(res["refined"][2])
        want = truth[stem + ".csv"]
        err = max(abs(got[k] / want[k] - 1) for k in want)
        check(err < 1e-8, "%s: recovered the true parameters, max rel error %.2g (%d starts, "
              "%.1f s)" % (stem, err, res["starts"], time.time() - t0))
    print("%d failed" % fails)
    return 1 if fails else 0


# Starts the self-test uses per law (None: the full grid).
SELF_TEST_STARTS = {"chinchilla": 300}


def read_true():
    """The true parameters from TRUE.yaml (written by fit_fixtures.py; one flow map a line)."""
    out, name = {}, None
    with open(os.path.join(REPO, FIT + "TRUE.yaml")) as f:
        for line in f:
            if line.startswith("  ") and not line.startswith("    ") and line.rstrip().endswith(":"):
                name = line.strip()[:-1]
            elif line.strip().startswith("parameters:") and name:
                body = line.split("{", 1)[1].rsplit("}", 1)[0]
                out[name] = {k.strip(): float(v) for k, v in
                             (kv.split(":") for kv in body.split(","))}
    return out


def build_parser():
    p = argparse.ArgumentParser(prog="fit_ref.py")
    p.add_argument("csv", nargs="?")
    p.add_argument("--law", choices=sorted(LAWS) + ["frontier"])
    p.add_argument("--x")
    p.add_argument("--n")
    p.add_argument("--d")
    p.add_argument("--u")
    p.add_argument("--y", default="loss")
    p.add_argument("--weight")
    p.add_argument("--run")
    p.add_argument("--c")
    p.add_argument("--space", choices=("log", "linear"), default="log")
    p.add_argument("--loss", choices=("squares", "huber"), default="squares")
    p.add_argument("--delta", type=float, default=1e-3)
    p.add_argument("--where", action="append", default=[])
    p.add_argument("--min", action="append", default=[])
    p.add_argument("--max", action="append", default=[])
    p.add_argument("--where-max", action="append", default=[])
    p.add_argument("--where-min", action="append", default=[])
    p.add_argument("--holdout-min")
    p.add_argument("--holdout-where")
    p.add_argument("--starts", default="all")
    p.add_argument("--refine", type=int, default=8)
    p.add_argument("--out")
    p.add_argument("--quiet", action="store_true")
    p.add_argument("--make-goldens", action="store_true")
    p.add_argument("--only", action="append", default=[])
    p.add_argument("--self-test", action="store_true")
    return p


def dispatch(args):
    if args.starts != "all":
        try:
            if int(args.starts) < 1:
                raise ValueError
        except ValueError:
            raise SystemExit("fit_ref: --starts takes 'all' or a positive integer")
    if args.delta <= 0:
        raise SystemExit("fit_ref: --delta must be positive")
    if args.law == "frontier":
        if not (args.run and args.c):
            raise SystemExit("fit_ref: frontier needs --run and --c")
        return run_frontier(args)
    return run_law(args)


def main(argv):
    args = build_parser().parse_args(argv)
    if args.make_goldens:
        return make_goldens(args.only)
    if args.self_test:
        return self_test()
    if not args.csv or not args.law:
        raise SystemExit("fit_ref: give CSV and --law (or --make-goldens)")
    return dispatch(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
