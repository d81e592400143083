# scalefit — the Python interface to scalefit's fitter: scalefit.fit() runs `scalefit fit` in
# this process, through libscalefit (the same C sources as the command, loaded with ctypes; no
# subprocess), on a pandas DataFrame, a dict of columns or a CSV file, and returns its result.
# Standard library, numpy and pandas only. GPL-3.0-or-later.
"""Fit scaling laws with scalefit from Python.

    import scalefit
    r = scalefit.fit("runs.csv", law="power+const", x="params", y="loss")
    r.params["alpha"].estimate, r.params["alpha"].lo, r.params["alpha"].hi
    r.predict(1e9)          # the law and its interval at x = 1e9
    r.entropy, r.reducible(1e9), r.warnings, r.yaml

Every keyword is an option of `scalefit fit` (docs/python.md): `bootstrap=200` is
`--bootstrap 200`, `fix={"E": 1.69}` is `--fix E=1.69`, `rollout=True` is `--rollout`. The
numbers are those of the command's fit.yaml for the same table and options; an error raises
ScalefitError with the message the command prints.
"""
import collections
import csv
import ctypes
import ctypes.util
import io
import math
import os

import numpy as np

__all__ = ["fit", "FitResult", "Estimate", "Param", "Prediction", "ScalefitError"]

Estimate = collections.namedtuple("Estimate", "estimate se lo hi")
Param = collections.namedtuple("Param", "estimate se lo hi fixed at_bound")
Prediction = collections.namedtuple("Prediction", "value lo hi")


class ScalefitError(Exception):
    """A fit that `scalefit fit` would refuse: the message is the command's; status its exit
    status (2 for bad input)."""

    def __init__(self, message, status):
        super().__init__(message)
        self.status = status


# ---- the library ----

_HERE = os.path.dirname(os.path.abspath(__file__))
_REPO = os.path.normpath(os.path.join(_HERE, "..", ".."))
_lib = None


def _find_library():
    """$SCALEFIT_LIB, else the repository's build folders, else the system's library path."""
    env = os.environ.get("SCALEFIT_LIB")
    if env:
        return env
    for build in ("build", "build-dev"):
        path = os.path.join(_REPO, build, "src", "libscalefit.so")
        if os.path.exists(path):
            return path
    found = ctypes.util.find_library("scalefit")
    if found:
        return found
    raise ImportError("libscalefit not found: build scalefit (README) or set SCALEFIT_LIB")


def _load():
    global _lib
    if _lib is not None:
        return _lib
    lib = ctypes.CDLL(_find_library())
    c_dp, c_ip, c_sz = ctypes.POINTER(ctypes.c_double), ctypes.POINTER(ctypes.c_int), ctypes.c_size_t
    h = ctypes.c_void_p
    sigs = {
        "cli_api_fit": (h, [ctypes.c_int, ctypes.POINTER(ctypes.c_char_p), ctypes.c_char_p, c_sz,
                            c_ip, ctypes.POINTER(ctypes.c_void_p)]),
        "cli_api_free": (None, [h]),
        "cli_api_free_text": (None, [ctypes.c_void_p]),
        "cli_api_law": (ctypes.c_char_p, [h]),
        "cli_api_n_params": (c_sz, [h]),
        "cli_api_param_name": (ctypes.c_char_p, [h, c_sz]),
        "cli_api_param": (None, [h, c_sz, c_dp, c_ip]),
        "cli_api_entropy": (None, [h, c_dp]),
        "cli_api_summary": (None, [h, c_dp, c_ip]),
        "cli_api_n_warnings": (c_sz, [h]),
        "cli_api_warning": (ctypes.c_char_p, [h, c_sz]),
        "cli_api_n_vars": (c_sz, [h]),
        "cli_api_var": (ctypes.c_char_p, [h, c_sz]),
        "cli_api_predict": (None, [h, c_dp, c_dp, c_sz, ctypes.c_int, c_dp, c_dp, c_dp]),
        "cli_api_yaml": (ctypes.c_void_p, [h, ctypes.POINTER(ctypes.c_void_p)]),
    }
    for name, (res, args) in sigs.items():
        f = getattr(lib, name)
        f.restype, f.argtypes = res, args
    _lib = lib
    return lib


def _take_text(lib, ptr):
    """A C string the library allocated, as str, freed."""
    if not ptr:
        return ""
    text = ctypes.cast(ptr, ctypes.c_char_p).value.decode("utf-8", "replace")
    lib.cli_api_free_text(ptr)
    return text


# ---- the table and the options ----

def _number(v):
    """A value as the CSV text the command reads: floats in shortest round-trip form."""
    if isinstance(v, (bool, np.bool_)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        return repr(float(v))
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    return str(v)


def _table_text(table):
    """(name, CSV bytes) of a CSV path, a pandas DataFrame or a dict of equal-length columns."""
    if isinstance(table, (str, os.PathLike)):
        path = os.fspath(table)
        with open(path, "rb") as f:
            return path, f.read()
    if hasattr(table, "columns") and hasattr(table, "itertuples"):  # a pandas DataFrame
        names = [str(c) for c in table.columns]
        rows = table.itertuples(index=False, name=None)
    elif isinstance(table, dict):
        names = [str(k) for k in table]
        cols = [list(np.asarray(v).ravel()) if not isinstance(v, (list, tuple)) else list(v)
                for v in table.values()]
        lengths = {len(c) for c in cols}
        if len(lengths) > 1:
            raise ScalefitError("the columns of the table have different lengths (%s)"
                                % ", ".join("%s: %d" % (n, len(c)) for n, c in zip(names, cols)), 2)
        rows = zip(*cols)
    else:
        raise TypeError("table must be a CSV path, a pandas DataFrame or a dict of columns")
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(names)
    for row in rows:
        w.writerow([_number(v) for v in row])
    return "table", out.getvalue().encode("utf-8")


def _options(law, kwargs):
    """The command's options from keywords: k=v is --k v (underscores as dashes), True a flag,
    a dict repeats --k KEY=V, a list repeats --k V; a predict point may be a dict."""
    argv = ["--law", law]
    for key, value in kwargs.items():
        if value is None or value is False:
            continue
        opt = "--" + key.replace("_", "-")
        if value is True:
            argv.append(opt)
        elif isinstance(value, dict):
            for k, v in value.items():
                argv += [opt, "%s=%s" % (k, _number(v))]
        elif isinstance(value, (list, tuple, np.ndarray)):
            for v in value:
                if isinstance(v, dict):
                    v = ",".join("%s=%s" % (k, _number(x)) for k, x in v.items())
                argv += [opt, _number(v)]
        else:
            argv += [opt, _number(value)]
    return argv


# ---- the result ----

class FitResult:
    """A fit: parameters (name -> Param), entropy (Estimate or None), diagnostics, warnings,
    predict() and reducible() with their bands, and fit.yaml's text (yaml)."""

    def __init__(self, lib, handle, messages):
        self._lib, self._h = lib, handle
        self.messages = messages
        self.law = lib.cli_api_law(handle).decode()
        v4, f2 = (ctypes.c_double * 4)(), (ctypes.c_int * 2)()
        self.params = collections.OrderedDict()
        for j in range(lib.cli_api_n_params(handle)):
            lib.cli_api_param(handle, j, v4, f2)
            self.params[lib.cli_api_param_name(handle, j).decode()] = Param(
                v4[0], v4[1], v4[2], v4[3], bool(f2[0]), bool(f2[1]))
        lib.cli_api_entropy(handle, v4)
        self.entropy = None if math.isnan(v4[0]) else Estimate(v4[0], v4[1], v4[2], v4[3])
        v8, i3 = (ctypes.c_double * 8)(), (ctypes.c_int * 3)()
        lib.cli_api_summary(handle, v8, i3)
        (self.objective, self.gradient_norm, self.r2_log, self.rmse_log, self.aic, self.bic,
         self.heldout_rmse_log, self.level) = list(v8)
        self.converged, self.n_points = bool(i3[0]), int(i3[1])
        self.intervals_bootstrap = bool(i3[2])
        self.warnings = [lib.cli_api_warning(handle, i).decode()
                         for i in range(lib.cli_api_n_warnings(handle))]
        self.variables = [lib.cli_api_var(handle, k).decode()
                          for k in range(lib.cli_api_n_vars(handle))]

    def __del__(self):
        if getattr(self, "_h", None):
            self._lib.cli_api_free(self._h)
            self._h = None

    def __repr__(self):
        ps = ", ".join("%s=%.4g" % (k, p.estimate) for k, p in self.params.items())
        return "FitResult(%s: %s)" % (self.law, ps)

    def _curve(self, args, kwargs, reducible):
        if kwargs:
            missing = [v for v in self.variables if v not in kwargs]
            extra = [k for k in kwargs if k not in self.variables]
            if missing or extra or args:
                raise TypeError("give the variables %s, by position or by name" % self.variables)
            args = [kwargs[v] for v in self.variables]
        if len(args) != len(self.variables):
            raise TypeError("%s needs %d variable(s): %s"
                            % (self.law, len(self.variables), ", ".join(self.variables)))
        scalar = np.ndim(args[0]) == 0
        cols = [np.ascontiguousarray(np.atleast_1d(np.asarray(a, dtype=float))) for a in args]
        cols = np.broadcast_arrays(*cols)
        cols = [np.ascontiguousarray(c, dtype=float) for c in cols]
        n = cols[0].size
        out = [np.empty(n) for _ in range(3)]
        dp = ctypes.POINTER(ctypes.c_double)
        ptr = lambda a: a.ctypes.data_as(dp)
        self._lib.cli_api_predict(self._h, ptr(cols[0]), ptr(cols[1]) if len(cols) > 1 else None,
                                  n, int(reducible), *[ptr(o) for o in out])
        if scalar:
            return Prediction(float(out[0][0]), float(out[1][0]), float(out[2][0]))
        return Prediction(*out)

    def predict(self, *args, **kwargs):
        """The fitted law at the given values of its variables (by position, or by column name),
        with the interval of the fit's level: Prediction(value, lo, hi), arrays for arrays."""
        return self._curve(args, kwargs, False)

    def reducible(self, *args, **kwargs):
        """The reducible part of the loss (less L_inf or E) and its own band, as predict()."""
        if self.entropy is None:
            raise ValueError("%s has no constant: its loss is all reducible" % self.law)
        return self._curve(args, kwargs, True)

    @property
    def yaml(self):
        """fit.yaml's text, as the command writes it for the same table and options."""
        msg = ctypes.c_void_p()
        ptr = self._lib.cli_api_yaml(self._h, ctypes.byref(msg))
        messages = _take_text(self._lib, msg.value)
        if not ptr:
            raise ScalefitError(messages.strip(), 1)
        return _take_text(self._lib, ptr)


def fit(table, law, x=None, y=None, **options):
    """Fits `law` to `table` (a pandas DataFrame, a dict of columns or a CSV path) as
    `scalefit fit` does with the same options, and returns a FitResult. `x` names the variable
    of one-variable laws, `y` the loss column; the others are keywords of the command's options
    (n="params", d="tokens", bootstrap=200, fix={"E": 1.69}, ...). Raises ScalefitError with
    the command's message for bad input."""
    lib = _load()
    name, text = _table_text(table)
    kwargs = dict(options)
    if x is not None:
        kwargs = {"x": x, **kwargs}
    if y is not None:
        kwargs["y"] = y
    # A forecast of a one-variable law may be given as a bare number: at its variable's column.
    pred = kwargs.get("predict")
    if pred is not None:
        pred = list(pred) if isinstance(pred, (list, tuple, np.ndarray)) else [pred]
        var = kwargs.get("x") or kwargs.get("c")
        kwargs["predict"] = [{var: v} if var and not isinstance(v, (dict, str)) else v
                             for v in pred]
    argv = ["fit", name] + _options(law, kwargs)
    arr = (ctypes.c_char_p * (len(argv) + 1))(*[a.encode("utf-8") for a in argv], None)
    status, msg = ctypes.c_int(0), ctypes.c_void_p()
    handle = lib.cli_api_fit(len(argv), arr, text, len(text), ctypes.byref(status),
                             ctypes.byref(msg))
    messages = _take_text(lib, msg.value)
    if not handle:
        raise ScalefitError(messages.strip() or "the fit failed", status.value)
    return FitResult(lib, handle, messages)
