"""Speed and accuracy of the loss functions (issue 4). Run: python benchmarks/bench_lgd.py

Prints (median of several repeats):

* the bivariate normal cdf (Genz BVND, :func:`pymodel.bivariate.bvn_cdf`) against
  ``scipy.stats.multivariate_normal.cdf``: time per call, time per point over 100,000 points in
  one call, and the maximum absolute difference from an mpmath quadrature at 30 digits (200
  random points) for both;
* the closed-form LGD (``LGD_CORR``, ``LGD_DOWNTURN``, ``LGD_CAPITAL``) per call through the
  Excel adapter, and over a 10,000-loan tape in one array call;
* the Monte Carlo standard error of the expected LGD against the path count for plain,
  conditional and quasi-random (Sobol) sampling, one lognormal collateral (PD 0.02, coverage
  1.2, vol 0.4, rho 0.5), with its distance to the closed form, and the time per LGD_MC call.
"""

from __future__ import annotations

import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _timing import bench, fmt  # noqa: E402

import mpmath as mp  # noqa: E402
import numpy as np  # noqa: E402
from scipy.stats import multivariate_normal  # noqa: E402

import addin.udfs as x  # noqa: E402
from pymodel import lgd, lgd_mc  # noqa: E402
from pymodel.bivariate import bvn_cdf, phi2_scalar  # noqa: E402


def reference(a, b, r):
    with mp.workdps(30):
        a, b, r = mp.mpf(a), mp.mpf(b), mp.mpf(r)
        s = mp.sqrt(1 - r * r)
        brk = [b / r + k * s for k in (-8, -2, 0, 2, 8)] if r != 0 else []
        pts = [-mp.inf] + sorted(v for v in set(brk + [mp.mpf(0)]) if v < a) + [a]
        return float(mp.quad(lambda t: mp.npdf(t) * mp.ncdf((b - r * t) / s), pts,
                             maxdegree=10))


def bivariate_section():
    print("## Bivariate normal cdf")
    rng = np.random.default_rng(1)
    n = 200
    a, b = rng.uniform(-5, 5, (2, n))
    r = rng.uniform(-0.9999, 0.9999, n)
    ref = np.array([reference(*p) for p in zip(a, b, r)])
    ours = bvn_cdf(a, b, r)
    sp = np.array([multivariate_normal(mean=[0, 0], cov=[[1, ri], [ri, 1]]).cdf([ai, bi])
                   for ai, bi, ri in zip(a, b, r)])
    t_ours = bench(lambda: bvn_cdf(0.3, -1.2, 0.6), 2000)
    mvn = multivariate_normal(mean=[0, 0], cov=[[1, 0.6], [0.6, 1]])
    t_sp = bench(lambda: mvn.cdf([0.3, -1.2]), 50)
    big = rng.uniform(-4, 4, (2, 100_000))
    rr = rng.uniform(-0.99, 0.99, 100_000)
    t_vec = bench(lambda: bvn_cdf(big[0], big[1], rr), 3) / 100_000
    t_vec1 = bench(lambda: bvn_cdf(big[0], big[1], 0.6), 3) / 100_000
    pts = big.T[:10_000].copy()
    t_sp_vec = bench(lambda: mvn.cdf(pts), 1, repeat=3) / 10_000
    print("| | ComputeCredit (Genz BVND) | scipy multivariate_normal.cdf |")
    print("|---|---|---|")
    print(f"| one call (scalar) | {fmt(t_ours)} | {fmt(t_sp)} |")
    t_kernel = bench(lambda: phi2_scalar(0.3, -1.2, 0.6), 5000)
    print(f"| one point, kernel without validation (phi2_scalar) | {fmt(t_kernel)} | - |")
    print(f"| per point, many points at one rho in one call | {fmt(t_vec1)} (100,000) | "
          f"{fmt(t_sp_vec)} (10,000) |")
    print(f"| per point, 100,000 points, a different rho each | {fmt(t_vec)} | "
          "one call per rho |")
    print(f"| max abs error vs mpmath (200 points, |rho| < 1) | {np.abs(ours - ref).max():.1e} "
          f"| {np.abs(sp - ref).max():.1e} |")
    print(f"\nspeed-up per call: {t_sp / t_ours:,.0f}x\n")


def closed_form_section():
    print("## Closed-form LGD")
    args = (0.02, 1.2, 0.4, 1.0, 0.5)
    rows = [("LGD_CORR, one loan (Excel adapter)", bench(lambda: x.LGD_CORR(*args), 2000)),
            ("LGD_DOWNTURN, one loan", bench(lambda: x.LGD_DOWNTURN(*args), 2000)),
            ("LGD_CAPITAL, one loan", bench(lambda: x.LGD_CAPITAL(*args), 2000)),
            ("pymodel.lgd.lgd_corr, one loan", bench(lambda: lgd.lgd_corr(*args), 2000))]
    rng = np.random.default_rng(2)
    n = 10_000
    pd = rng.uniform(0.002, 0.1, n)
    cov = rng.uniform(0.3, 2.0, n)
    vol = rng.uniform(0.2, 0.8, n)
    col = lambda v: [[float(t)] for t in v]  # noqa: E731  (a column range as Excel sends it)
    pd_c, cov_c, vol_c = col(pd), col(cov), col(vol)
    out = x.LGD_CORR(pd_c, cov_c, vol_c, 1.0, 0.5)
    assert len(out) == n and all(isinstance(r_[0], float) for r_ in out)
    rows += [
        ("LGD_CORR, 10,000-loan tape in one array call (Excel adapter)",
         bench(lambda: x.LGD_CORR(pd_c, cov_c, vol_c, 1.0, 0.5), 3)),
        ("LGD_CAPITAL, 10,000-loan tape in one array call",
         bench(lambda: x.LGD_CAPITAL(pd_c, cov_c, vol_c, 1.0, 0.5), 3)),
        ("pymodel.lgd.lgd_corr, 10,000 loans (numpy arrays)",
         bench(lambda: lgd.lgd_corr(pd, cov, vol, 1.0, 0.5), 5)),
    ]
    print("| Call | Time |")
    print("|---|---|")
    for label, t in rows:
        print(f"| {label} | {fmt(t)} |")
    print()


def monte_carlo_section():
    print("## Monte Carlo LGD: standard error against paths")
    block = [("ead", 100.0), ("pd", 0.02), ("asset_corr", 0.2), ("gpu_value", 120.0),
             ("gpu_vol", 0.4), ("gpu_corr_calm", 0.5), ("p_stress", 0.0),
             ("workout_discount_rate", 0.0), ("workout_years", 0.0)]
    cf = lgd.lgd_corr(0.02, 1.2, 0.4, 1.0, 0.5, asset_corr=0.2)
    print(f"closed form expected LGD {cf:.6f}\n")
    print("| paths | plain: s.e. | conditional: s.e. | Sobol: s.e. | "
          "conditional: time per call | Sobol: \\|MC - closed form\\| |")
    print("|---|---|---|---|---|---|")
    for n in (4_000, 16_000, 64_000, 250_000):
        res = {}
        for s in ("plain", "conditional", "sobol"):
            res[s] = lgd_mc.simulate_lgd(block + [("sampling", s), ("n_paths", n)])
        t = bench(lambda: lgd_mc.simulate_lgd(block + [("n_paths", n)]), 1, repeat=3)
        print(f"| {n:,} | {res['plain']['std_error']:.1e} | "
              f"{res['conditional']['std_error']:.1e} | {res['sobol']['std_error']:.1e} | "
              f"{fmt(t)} | {abs(res['sobol']['expected_lgd'] - cf):.1e} |")
    print()
    miner = lgd_mc.sample_inputs("miner")
    for n in (100_000, lgd_mc.MAX_PATHS):  # default and cap
        blk = [[k, v] for k, v in miner] + [["n_paths", n]]
        t = bench(lambda: x.LGD_MC(blk), 1, repeat=3)
        print(f"LGD_MC, sample miner (GPU + BTC, t copula, regimes), {n:,} paths: {fmt(t)}")
    rent = [["gpu_value_model", "rent"], ["gpus", 2000], ["rent0", 2.4],
            ["cash_cost", 0.6], ["ead", 30e6], ["pd", 0.03], ["step_years", "0.5"],
            ["step_downs", "0.1"]]
    t = bench(lambda: x.LGD_MC(rent), 1, repeat=3)
    print(f"LGD_MC, rent-linked GPU value (income approach per path), 100,000 paths: {fmt(t)}")
    print()


def main():
    print(f"Python {platform.python_version()}, numpy {np.__version__}, "
          f"{platform.machine()}, {platform.system()}\n")
    bivariate_section()
    closed_form_section()
    monte_carlo_section()


if __name__ == "__main__":
    main()
