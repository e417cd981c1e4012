"""Speed and memory of the portfolio loss model and the scenario grid.

Run: python benchmarks/bench_portfolio.py [--loans 1000 --paths 100000]
                                          [--scenarios 1000 --facilities 5000 --grid-paths 2000]
                                          [--skip-grid] [--skip-portfolio]

Prints, for each workload, wall time and peak memory on three executors of the same run (the
numbers are identical on all three; the script checks it):

* floor: the model called directly in this process (``map_fn`` = serial, no executor);
* local processes (``workers`` = 2, :func:`workbook.executors.local_executor`);
* a 2-worker Dask LocalCluster (:class:`workbook.executors.DaskExecutor`).

Workloads: (1) one book of ``--loans`` loans (SKU mix, BTC share, 2 loans per borrower for a
fifth of the book) with ``--paths`` loss paths and 10,000 per-loan paths; (2) a grid of
``--scenarios`` scenarios (10 deflations x 10 utilisations x 5 BTC drawdowns x 2 regimes for
1,000) over ``--facilities`` facilities, ``--grid-paths`` loss paths and 1,000 per-loan paths per
scenario. Peak memory is the peak resident set size of this process (floor), of the pool's
worker processes, or of each Dask worker (reported by the workers themselves).
"""

from __future__ import annotations

import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _timing import Report, parser  # noqa: E402  (also puts the checkout on sys.path)

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from pymodel import portfolio  # noqa: E402
from workbook import scenarios  # noqa: E402
from workbook.executors import DaskExecutor, local_executor  # noqa: E402


def book(n: int, seed: int = 7) -> pd.DataFrame:
    """A synthetic tape of ``n`` GPU facilities (rents and debt terms for the grid)."""
    rng = np.random.default_rng(seed)
    skus = {"H100 SXM": (28000, 2.1, 0.32), "H200 SXM": (31000, 2.6, 0.33),
            "B200": (40000, 3.6, 0.44), "MI300X": (15000, 1.9, 0.33),
            "H100 SXM: 0.5; B200: 0.5": (34000, 2.8, 0.38)}
    names = list(skus)
    k = rng.integers(len(names), size=n)
    gpus = rng.choice([256, 512, 1024, 2048], size=n)
    cost = np.array([skus[names[i]][0] for i in k])
    miner = rng.random(n) < 0.3
    borrower = np.array([f"B{i // 2}" if i % 5 < 2 else f"B{i}s" for i in range(n)])
    pd_ = rng.choice([0.01, 0.02, 0.03, 0.05], size=n)
    df = pd.DataFrame({
        "loan_id": [f"F{i + 1:05d}" for i in range(n)], "borrower": borrower,
        "sector": np.where(miner, "miner", "neo-cloud"),
        "tenant": rng.choice(["Microsoft", "Meta", "Google", "OpenAI", "-"], size=n),
        "sku": [names[i] for i in k], "gpus": gpus,
        "ead": np.round(gpus * cost * rng.uniform(0.35, 0.7, n), -3), "pd": pd_,
        "rent0": np.round([skus[names[i]][1] * rng.uniform(0.9, 1.1) for i in k], 2),
        "utilization": np.round(rng.uniform(0.7, 0.95, n), 2),
        "cash_cost": [skus[names[i]][2] for i in k],
        "deflation": np.round(rng.uniform(0.15, 0.35, n), 2),
        "collateral_vol": np.round(rng.uniform(0.35, 0.6, n), 2),
        "btc_share": np.where(miner, 0.3, 0.0), "debt_rate": 0.11, "debt_years": 4})
    df["pd"] = df.groupby("borrower")["pd"].transform("first")
    # collateral at about 1.1x EAD (the grid recomputes the GPU part from the rents)
    df["collateral_value"] = np.round(df["ead"] * rng.uniform(0.8, 1.4, n), -3)
    return df


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _children_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0


def _dask_rss(ex: DaskExecutor) -> float:
    def peak() -> float:
        import resource as r
        return r.getrusage(r.RUSAGE_SELF).ru_maxrss / 1024.0
    return max(ex.client.run(peak).values())


def _run(label: str, job, results: list, check: list) -> None:
    t0 = time.perf_counter()
    if label == "floor":
        out = job(portfolio.serial_map)
        mem = _rss_mb()
    elif label == "local processes (2)":
        with local_executor(2) as ex:
            out = job(ex)
        mem = _children_mb()
    else:
        with DaskExecutor("local", 2) as ex:
            t0 = time.perf_counter()     # cluster start-up excluded (reported separately)
            out = job(ex)
            secs = time.perf_counter() - t0
            mem = _dask_rss(ex)
        results.append((label, secs, mem))
        check.append(out)
        return
    results.append((label, time.perf_counter() - t0, mem))
    check.append(out)


def _table(report: Report, title: str, results: list, floor_s: float) -> None:
    report.table(("Executor", "Wall time", "Time / floor", "Peak memory (per process)"),
                 [(label, f"{secs:,.1f} s", f"{secs / floor_s:.2f}x", f"{mem:,.0f} MB")
                  for label, secs, mem in results], caption=title)


def bench_portfolio(report: Report, n_loans: int, n_paths: int) -> None:
    tape = book(n_loans)
    settings = {"loss_paths": n_paths, "loan_paths": 10_000, "seed": 1}
    model = portfolio.prepare(tape, settings)

    def job(map_fn):
        return portfolio.simulate_many([model], map_fn)[0].summary

    results, outs = [], []
    for label in ("floor", "local processes (2)", "Dask LocalCluster (2 workers)"):
        _run(label, job, results, outs)
    assert all(o == outs[0] for o in outs), "executors disagree"
    s = outs[0]
    _table(report, f"Portfolio: {n_loans:,} loans x {n_paths:,} loss paths (+10,000 per-loan "
           "paths)", results, results[0][1])
    report.text(f"99.9% loss {s['loss_q999']:,.0f} (standard error "
                f"{s['loss_q999_std_error']:,.0f}), ES {s['expected_shortfall']:,.0f}, "
                f"diversification factor {s['diversification_factor']:.2f}; the three "
                "executors returned identical numbers.")


def bench_grid(report: Report, n_scen: int, n_fac: int, paths: int) -> None:
    tape = book(n_fac)
    axes = {"deflation": list(np.round(np.linspace(0.1, 0.55, 10), 3)),
            "utilization": list(np.round(np.linspace(0.5, 0.95, 10), 3)),
            "btc_drawdown": [0.0, 0.2, 0.4, 0.6, 0.8], "regime": ["calm", "stress"]}
    total = 1
    keep = {}
    for k, v in axes.items():          # trim the axes to about n_scen scenarios
        room = max(1, n_scen // total)
        keep[k] = v[:min(len(v), room)]
        total *= len(keep[k])
    grid = scenarios.parse_grid({"axes": {k: [float(x) if k != "regime" else x for x in v]
                                          for k, v in keep.items()},
                                 "settings": {"loss_paths": paths, "loan_paths": 1000}})

    def job(map_fn):
        b, f = scenarios.run_grid(tape, grid, map_fn)
        return b.round(12).to_dict("list"), len(f)

    results, outs = [], []
    for label in ("floor", "local processes (2)", "Dask LocalCluster (2 workers)"):
        _run(label, job, results, outs)
    assert all(o == outs[0] for o in outs), "executors disagree"
    _table(report, f"Scenario grid: {total:,} scenarios x {n_fac:,} facilities ({paths:,} loss "
           "paths, 1,000 per-loan paths each)", results, results[0][1])
    report.text(f"{outs[0][1]:,} facility rows; the three executors returned identical "
                "tables. The run time grows linearly with scenarios x facilities x paths.")


def main(argv: list[str] | None = None) -> int:
    ap = parser(__doc__.splitlines()[0])
    ap.add_argument("--loans", type=int, default=1000)
    ap.add_argument("--paths", type=int, default=100_000)
    ap.add_argument("--scenarios", type=int, default=1000)
    ap.add_argument("--facilities", type=int, default=5000)
    ap.add_argument("--grid-paths", type=int, default=2000)
    ap.add_argument("--skip-grid", action="store_true")
    ap.add_argument("--skip-portfolio", action="store_true")
    a = ap.parse_args(argv)
    report = Report("bench_portfolio", "Portfolio loss and scenario grids", intro=(
        "The same run on three executors: the floor (the model called directly in this "
        "process), 2 local processes, and a 2-worker Dask LocalCluster (cluster start-up not "
        "counted). Peak memory is the peak resident set of this process (floor), of the pool's "
        "workers, or of each Dask worker. On a 2-core machine shared with other jobs two "
        "workers cannot beat the floor by much; the figures show the overhead of each "
        "executor and that the numbers do not depend on it."))
    if not a.skip_portfolio:
        bench_portfolio(report, a.loans, a.paths)
    if not a.skip_grid:
        bench_grid(report, a.scenarios, a.facilities, a.grid_paths)
    report.publish(a)
    return 0


if __name__ == "__main__":
    sys.exit(main())
