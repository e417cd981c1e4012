"""Benchmark ``computecredit recalc``: time per template and for loan tapes of growing size.

Run from the repository root::

    python benchmarks/bench_recalc.py                 # templates + tapes of 50, 500, 5000
    python benchmarks/bench_recalc.py --sizes 50 500  # smaller run

Each workbook is generated with the same builder as the shipped templates (workbook/build.py),
then recalculated in this process (imports and the engine's function table are warmed up first,
so the figures are per file, not per Python start-up). Reported: formulas, cells evaluated, the
time to evaluate only and the time to evaluate and write the recalculated copy (best of
``--repeat`` runs), and the output size.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from workbook.engine import recalc  # noqa: E402


def _builder():
    spec = importlib.util.spec_from_file_location("workbook_build", ROOT / "workbook" / "build.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _time(path: Path, out: Path | None, repeat: int) -> tuple[float, recalc.RecalcResult]:
    best, res = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        res = recalc.recalc_file(str(path), str(out) if out else None)
        best = min(best, time.perf_counter() - t0)
        if res.refused:
            raise SystemExit(f"{path}: {res.refused}")
    return best, res


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="*", default=[50, 500, 5000])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-templates", action="store_true")
    args = ap.parse_args(argv)
    build = _builder()
    print(f"# recalc benchmark: Python {platform.python_version()}, {platform.machine()}, "
          f"{os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        warm = build.build_neocloud(tmp / "warm.xlsx")
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "workbook.cli", "recalc", str(warm), "-o",
                        str(tmp / "cold.xlsx"), "-q"], cwd=ROOT, check=True,
                       capture_output=True)
        print(f"`computecredit recalc neocloud_facility.xlsx` in a fresh process (Python "
              f"start-up and imports included): {time.perf_counter() - t0:.2f} s\n")
        recalc.recalc_file(str(warm), None)  # warm up this process
        print("| workbook | formulas | evaluate only (s) | evaluate + write (s) | "
              "output size (KB) | findings |")
        print("|---|---:|---:|---:|---:|---|")
        jobs = []
        if not args.no_templates:
            jobs += [(name, fn) for name, fn in build.TEMPLATES.items()]
        for n in args.sizes:
            jobs.append((f"portfolio tape, {n:,} facilities",
                         lambda p, n=n: build.build_portfolio(p, n)))
        for label, fn in jobs:
            src = fn(tmp / "in.xlsx")
            out = tmp / "out.xlsx"
            repeat = args.repeat if "5,000" not in label else 1
            t_eval, res = _time(src, None, repeat)
            t_full, res = _time(src, out, repeat)
            print(f"| {label} | {res.n_formulas:,} | {t_eval:.2f} | {t_full:.2f} | "
                  f"{out.stat().st_size / 1024:,.0f} | "
                  f"{'none' if res.exit_code == 0 else res.exit_code} |", flush=True)
        if not args.no_templates:
            srcs = [str(build.TEMPLATES[name](tmp / name)) for name in build.TEMPLATES]
            for jobs in (1, 2):
                ns = argparse.Namespace(files=srcs, output=str(tmp / f"batch{jobs}"), png=None,
                                        jobs=jobs, quiet=True)
                t0 = time.perf_counter()
                with open(os.devnull, "w") as null:
                    old_out, old_err = sys.stdout, sys.stderr
                    sys.stdout = sys.stderr = null
                    try:
                        recalc.run(ns)
                    finally:
                        sys.stdout, sys.stderr = old_out, old_err
                print(f"\nthe three templates in one `recalc` call, {jobs} process(es): "
                      f"{time.perf_counter() - t0:.2f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
