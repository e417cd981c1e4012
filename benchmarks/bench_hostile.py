"""Benchmark hostile inputs of ``computecredit recalc``: time and peak memory per attack file.

Run from the repository root::

    python benchmarks/bench_hostile.py                  # tiny-file attacks and the formula limit
    python benchmarks/bench_hostile.py --formulas 20000 # a smaller formula-limit case

Every attack file is built at run time by the same builders the tests use
(``tests/workbook/engine/hostile/attacks.py``), then recalculated in a fresh Python process so
the peak resident memory (``ru_maxrss`` of the child) is that run's alone. Reported per file:
its size, the outcome (OK, or the first words of the refusal), the wall time of the whole
process (start-up and imports included) and its peak resident memory. The formula-limit case
is a sheet of filled-down formulas at the limit (100,000 by default): it must end, computed or
refused by the evaluation budget, in bounded time and memory.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.workbook.engine.hostile import attacks  # noqa: E402

_CHILD = """
import json, resource, sys, time
from workbook.engine import recalc
t0 = time.perf_counter()
res = recalc.recalc_file(sys.argv[1], sys.argv[2])
print(json.dumps({"refused": res.refused, "exit": res.exit_code, "formulas": res.n_formulas,
                  "seconds": time.perf_counter() - t0,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def _run(path: Path, out: Path) -> dict:
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", _CHILD, str(path), str(out)], cwd=ROOT,
                          capture_output=True, text=True)
    wall = time.perf_counter() - t0
    try:
        got = json.loads(proc.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        got = {"refused": f"crashed: {proc.stderr.strip().splitlines()[-1:]}", "exit": None,
               "peak_mb": None}
    got["wall"] = wall
    return got


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--formulas", type=int, default=100_000,
                    help="formula cells of the formula-limit case (default 100,000)")
    args = ap.parse_args(argv)
    print(f"# hostile inputs: Python {platform.python_version()}, {platform.machine()}, "
          f"{os.cpu_count()} cores, {time.strftime('%Y-%m-%d %H:%M')}\n")
    print("| attack | file size (KB) | outcome | time (s) | peak memory (MB) |")
    print("|---|---:|---|---:|---:|")
    cases = list(attacks.tiny_attacks().items())
    cases.sort(key=lambda kv: kv[0])
    cases.append((f"{args.formulas:,} formulas filled down (the formula limit)",
                  attacks.many_formulas(args.formulas)))
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for k, (name, kw) in enumerate(cases):
            src = attacks.build(tmp / f"attack{k}.xlsx", **kw)
            got = _run(src, tmp / f"out{k}.xlsx")
            outcome = "OK" if got.get("exit") == 0 else (
                "refused: " + (got.get("refused") or "")[:70] if got.get("refused")
                else f"exit {got.get('exit')}")
            peak = f"{got['peak_mb']:,.0f}" if got["peak_mb"] else "n/a"
            print(f"| {name} | {src.stat().st_size / 1024:,.1f} | {outcome} | "
                  f"{got['wall']:.1f} | {peak} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
