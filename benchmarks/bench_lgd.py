"""Speed and accuracy of the loss functions. Run: python benchmarks/bench_lgd.py [--no-docs]

Writes its section of docs/benchmarks.md (see benchmarks/_timing.py):

* the closed-form LGD (``LGD_CORR``, ``LGD_DOWNTURN``, ``LGD_CAPITAL``) per call through the
  Excel adapter and over a 10,000-loan tape in one array call, and ``LGD_MC``, each next to its
  floor, the direct ``pymodel`` call;
* the bivariate normal cdf (Genz BVND, :func:`pymodel.bivariate.bvn_cdf`) against
  ``scipy.stats.multivariate_normal.cdf``: time per call, time per point over many points, and
  the largest absolute difference from an mpmath quadrature at 30 digits (200 random points);
* the Monte Carlo standard error of the expected LGD against the path count for plain,
  conditional and quasi-random (Sobol) sampling, one lognormal collateral (PD 0.02, coverage
  1.2, vol 0.4, rho 0.5), with its distance to the closed form.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _timing import Figure, Report, bench, fmt, parser  # noqa: E402

import mpmath as mp  # noqa: E402
import numpy as np  # noqa: E402
from scipy.stats import multivariate_normal  # noqa: E402

import addin.udfs as x  # noqa: E402
from pymodel import lgd, lgd_mc  # noqa: E402
from pymodel.bivariate import bvn_cdf, phi2_scalar  # noqa: E402


def reference(a, b, r):
    """Phi2(a, b; r) by mpmath quadrature at 30 digits (independent of the Genz method)."""
    with mp.workdps(30):
        a, b, r = mp.mpf(a), mp.mpf(b), mp.mpf(r)
        s = mp.sqrt(1 - r * r)
        brk = [b / r + k * s for k in (-8, -2, 0, 2, 8)] if r != 0 else []
        pts = [-mp.inf] + sorted(v for v in set(brk + [mp.mpf(0)]) if v < a) + [a]
        return float(mp.quad(lambda t: mp.npdf(t) * mp.ncdf((b - r * t) / s), pts,
                             maxdegree=10))


def col(v):
    """A column range as Excel sends it."""
    return [[float(t)] for t in v]


def closed_form_and_mc(report):
    args = (0.02, 1.2, 0.4, 1.0, 0.5)
    rng = np.random.default_rng(2)
    n = 10_000
    pd = rng.uniform(0.002, 0.1, n)
    cov = rng.uniform(0.3, 2.0, n)
    vol = rng.uniform(0.2, 0.8, n)
    pd_c, cov_c, vol_c = col(pd), col(cov), col(vol)
    out = x.LGD_CORR(pd_c, cov_c, vol_c, 1.0, 0.5)
    assert len(out) == n and np.allclose([r[0] for r in out], lgd.lgd_corr(pd, cov, vol, 1.0, 0.5))
    miner = [[k, v] for k, v in lgd_mc.sample_inputs("miner")]
    rent = [["gpu_value_model", "rent"], ["gpus", 2000], ["rent0", 2.4],
            ["cash_cost", 0.6], ["ead", 30e6], ["pd", 0.03], ["step_years", "0.5"],
            ["step_downs", "0.1"]]
    cap = miner + [["n_paths", lgd_mc.MAX_PATHS]]
    figures = [
        Figure("LGD_CORR, one loan", bench(lambda: x.LGD_CORR(*args), 2000),
               "`lgd.lgd_corr`, one loan", bench(lambda: lgd.lgd_corr(*args), 2000)),
        Figure("LGD_DOWNTURN, one loan", bench(lambda: x.LGD_DOWNTURN(*args), 2000),
               "`lgd.lgd_downturn`, one loan", bench(lambda: lgd.lgd_downturn(*args), 2000)),
        Figure("LGD_CAPITAL, one loan", bench(lambda: x.LGD_CAPITAL(*args), 2000),
               "`lgd.lgd_capital`, one loan", bench(lambda: lgd.lgd_capital(*args), 2000)),
        Figure("LGD_CORR, 10,000-loan tape in one array call",
               bench(lambda: x.LGD_CORR(pd_c, cov_c, vol_c, 1.0, 0.5), 3),
               "`lgd.lgd_corr` on 10,000-loan arrays",
               bench(lambda: lgd.lgd_corr(pd, cov, vol, 1.0, 0.5), 5), per=n, per_label="loan"),
        Figure("LGD_CAPITAL, 10,000-loan tape in one array call",
               bench(lambda: x.LGD_CAPITAL(pd_c, cov_c, vol_c, 1.0, 0.5), 3),
               "`lgd.lgd_capital` on 10,000-loan arrays",
               bench(lambda: lgd.lgd_capital(pd, cov, vol, 1.0, 0.5), 5), per=n,
               per_label="loan"),
        Figure("LGD_MC, sample miner (GPU + BTC, t copula, regimes), 100,000 paths",
               bench(lambda: x.LGD_MC(miner), 1, repeat=3),
               "`lgd_mc.simulate_lgd`", bench(lambda: lgd_mc.simulate_lgd(miner), 1, repeat=3)),
        Figure(f"LGD_MC, sample miner, {lgd_mc.MAX_PATHS:,} paths (the cap)",
               bench(lambda: x.LGD_MC(cap), 1, repeat=3),
               "`lgd_mc.simulate_lgd`", bench(lambda: lgd_mc.simulate_lgd(cap), 1, repeat=3)),
        Figure("LGD_MC, GPU value from the income approach per path, 100,000 paths",
               bench(lambda: x.LGD_MC(rent), 1, repeat=3),
               "`lgd_mc.simulate_lgd`", bench(lambda: lgd_mc.simulate_lgd(rent), 1, repeat=3)),
    ]
    report.figures(figures, "Closed-form and Monte Carlo LGD (median of 7 repeats for the "
                            "closed forms, 3 for the Monte Carlo)")


def bivariate(report):
    rng = np.random.default_rng(1)
    n = 200
    a, b = rng.uniform(-5, 5, (2, n))
    r = rng.uniform(-0.9999, 0.9999, n)
    ref = np.array([reference(*p) for p in zip(a, b, r)])
    ours = bvn_cdf(a, b, r)
    sp = np.array([multivariate_normal(mean=[0, 0], cov=[[1, ri], [ri, 1]]).cdf([ai, bi])
                   for ai, bi, ri in zip(a, b, r)])
    mvn = multivariate_normal(mean=[0, 0], cov=[[1, 0.6], [0.6, 1]])
    big = rng.uniform(-4, 4, (2, 100_000))
    rr = rng.uniform(-0.99, 0.99, 100_000)
    pts = big.T[:10_000].copy()
    t_ours = bench(lambda: bvn_cdf(0.3, -1.2, 0.6), 2000)
    t_kernel = bench(lambda: phi2_scalar(0.3, -1.2, 0.6), 5000)
    t_sp = bench(lambda: mvn.cdf([0.3, -1.2]), 50)
    t_vec1 = bench(lambda: bvn_cdf(big[0], big[1], 0.6), 3) / 100_000
    t_vec = bench(lambda: bvn_cdf(big[0], big[1], rr), 3) / 100_000
    t_sp_vec = bench(lambda: mvn.cdf(pts), 1, repeat=3) / 10_000
    report.table(
        ("", "ComputeCredit (Genz BVND)", "scipy `multivariate_normal.cdf`"),
        [("one point, validated public call", fmt(t_ours), fmt(t_sp)),
         ("one point, kernel without validation (`phi2_scalar`)", fmt(t_kernel), "-"),
         ("per point, many points at one rho in one call", f"{fmt(t_vec1)} (100,000 points)",
          f"{fmt(t_sp_vec)} (10,000 points)"),
         ("per point, 100,000 points, a different rho each", fmt(t_vec), "one call per rho"),
         ("largest absolute error against mpmath (200 points, |rho| < 1)",
          f"{np.abs(ours - ref).max():.1e}", f"{np.abs(sp - ref).max():.1e}")],
        "Bivariate normal cdf Phi2 (the closed-form LGD needs two per loan)")


def monte_carlo(report):
    block = [("ead", 100.0), ("pd", 0.02), ("asset_corr", 0.2), ("gpu_value", 120.0),
             ("gpu_vol", 0.4), ("gpu_corr_calm", 0.5), ("p_stress", 0.0),
             ("workout_discount_rate", 0.0), ("workout_years", 0.0)]
    cf = lgd.lgd_corr(0.02, 1.2, 0.4, 1.0, 0.5, asset_corr=0.2)
    rows = []
    for n in (4_000, 16_000, 64_000, 250_000):
        res = {s: lgd_mc.simulate_lgd(block + [("sampling", s), ("n_paths", n)])
               for s in ("plain", "conditional", "sobol")}
        t = bench(lambda: lgd_mc.simulate_lgd(block + [("n_paths", n)]), 1, repeat=3)
        rows.append((f"{n:,}", f"{res['plain']['std_error']:.1e}",
                     f"{res['conditional']['std_error']:.1e}",
                     f"{res['sobol']['std_error']:.1e}",
                     f"{abs(res['sobol']['expected_lgd'] - cf):.1e}", fmt(t)))
    report.table(("paths", "plain: s.e.", "conditional on default: s.e.", "Sobol: s.e.",
                  "|Sobol - closed form|", "conditional: time per call"), rows,
                 f"Monte Carlo standard error of the expected LGD (closed form {cf:.6f}; PD "
                 "0.02, coverage 1.2, vol 0.4, rho 0.5, R 0.2)")


def main(argv=None):
    args = parser(__doc__.splitlines()[0]).parse_args(argv)
    report = Report("bench_lgd", "Loss")
    closed_form_and_mc(report)
    bivariate(report)
    monte_carlo(report)
    report.publish(args)


if __name__ == "__main__":
    main()
