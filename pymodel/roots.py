"""Brent's root finder for one bracket, the model's one scalar root solver.

Every scalar root of the model (breakevens, the refinancing threshold z*, the implied
deflation of a few rows) is found by Brent's method (Brent 1973, "Algorithms for Minimization
without Derivatives", ch. 4): inverse quadratic extrapolation, secant interpolation, and
bisection whenever the interpolated step is not short enough, on a bracket [a, b] with
f(a) f(b) <= 0.

:func:`brentq` takes exactly the steps of scipy's ``scipy.optimize.brentq`` (the same
arithmetic on IEEE doubles, in the same order, the same stopping rule
|x_blk - x_cur| / 2 < (xtol + rtol |x_cur|) / 2), so it returns the same float, bit for bit;
it is written in Python because importing ``scipy.optimize`` costs a fresh process about a
quarter of a second, more than a recalculation's every root takes. The vectorised form for
many brackets at once is :func:`pymodel.implied.brent_vectorised`.

Functions
---------
brentq
    The root of ``f`` in [a, b] (float).
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

__all__ = ["brentq", "XTOL", "RTOL", "MAXITER"]

#: Default absolute tolerance in x (scipy's).
XTOL = 2e-12
#: Smallest (and default) relative tolerance in x: 4 machine epsilons (scipy's).
RTOL = 4 * float(np.finfo(float).eps)
#: Default most iterations (scipy's).
MAXITER = 100


def _value(f: Callable[[float], float], x: float) -> float:
    fx = float(f(x))
    if math.isnan(fx):
        raise ValueError(f"The function value at x={x:.6g} is NaN; solver cannot continue.")
    return fx


def _negative(x: float) -> bool:
    """The sign bit of ``x`` (C's ``signbit``)."""
    return math.copysign(1.0, x) < 0


def _div(num: float, den: float) -> float:
    """num / den as IEEE arithmetic gives it (a division by zero is +-inf or NaN, as in
    scipy's C, where Python would raise)."""
    if den != 0:
        return num / den
    if num == 0 or math.isnan(num):
        return math.nan
    return math.copysign(math.inf, num) * math.copysign(1.0, den)


def brentq(f: Callable[[float], float], a: float, b: float, *, xtol: float = XTOL,
           rtol: float = RTOL, maxiter: int = MAXITER) -> float:
    """Root of ``f`` in the bracket [a, b] by Brent's method.

    Parameters
    ----------
    f : callable
        ``f(x) -> float``, continuous on [a, b]; its value is read as a float.
    a, b : float
        The bracket's ends, with f(a) f(b) <= 0 (same units as the root).
    xtol, rtol : float
        Stop when half the bracket is below (xtol + rtol |x|) / 2; xtol > 0, rtol >= 4
        machine epsilons.
    maxiter : int
        Most iterations (one evaluation of ``f`` each, after the two at the ends).

    Returns
    -------
    float
        The root: the last estimate x with f(x) == 0 or a bracket narrower than the tolerance.

    Raises
    ------
    ValueError
        f(a) and f(b) have the same sign, ``f`` returned NaN, or a tolerance is out of range.
    RuntimeError
        No convergence within ``maxiter`` iterations.
    """
    if xtol <= 0:
        raise ValueError(f"xtol too small ({xtol:g} <= 0)")
    if rtol < RTOL:
        raise ValueError(f"rtol too small ({rtol:g} < {RTOL:g})")
    maxiter = int(maxiter)
    if maxiter < 0:
        raise ValueError("maxiter must be >= 0")
    # x_cur the latest estimate, x_pre the one before, x_blk the end of the bracket opposite
    # x_cur (|f(x_cur)| <= |f(x_blk)| at each step); s_cur and s_pre the last two steps
    xpre, xcur = float(a), float(b)
    fpre, fcur = _value(f, xpre), _value(f, xcur)
    xblk = fblk = spre = scur = 0.0
    if fpre == 0:
        return xpre
    if fcur == 0:
        return xcur
    if _negative(fpre) == _negative(fcur):
        raise ValueError("f(a) and f(b) must have different signs")
    for _ in range(maxiter):
        # signs, not the product (which underflows to 0 for tiny values), as scipy
        if fpre != 0 and fcur != 0 and _negative(fpre) != _negative(fcur):
            # the root lies between x_pre and x_cur: a new far end of the bracket
            xblk, fblk = xpre, fpre
            spre = scur = xcur - xpre
        if abs(fblk) < abs(fcur):    # keep the smaller |f| as the estimate
            xpre, xcur, xblk = xcur, xblk, xcur
            fpre, fcur, fblk = fcur, fblk, fcur
        delta = (xtol + rtol * abs(xcur)) / 2
        sbis = (xblk - xcur) / 2
        if fcur == 0 or abs(sbis) < delta:
            return xcur
        if abs(spre) > delta and abs(fcur) < abs(fpre):
            if xpre == xblk:         # secant through the two estimates
                stry = _div(-fcur * (xcur - xpre), fcur - fpre)
            else:                    # inverse quadratic through the three points
                dpre = _div(fpre - fcur, xpre - xcur)
                dblk = _div(fblk - fcur, xblk - xcur)
                stry = _div(-fcur * (fblk * dblk - fpre * dpre), dblk * dpre * (fblk - fpre))
            bound = 3 * abs(sbis) - delta
            if 2 * abs(stry) < (abs(spre) if abs(spre) < bound else bound):
                spre, scur = scur, stry  # a short step: take it
            else:
                spre = scur = sbis       # too long: bisect
        else:
            spre = scur = sbis
        xpre, fpre = xcur, fcur
        xcur += scur if abs(scur) > delta else (delta if sbis > 0 else -delta)
        fcur = _value(f, xcur)
    raise RuntimeError(f"Failed to converge after {maxiter} iterations, value is {xcur}")
