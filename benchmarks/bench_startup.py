"""Benchmark start-up: ``computecredit`` in a fresh Python process (imports included).

Run from the repository root::

    python benchmarks/bench_startup.py                       # this checkout
    python benchmarks/bench_startup.py --before ../other     # and another checkout, interleaved

Each case runs ``N`` times in a fresh process (``python -m workbook.cli ...`` with the checkout as
the working directory, so its packages are the ones imported); the best and the median wall time
are reported (the best is the least disturbed by other jobs on a shared machine). One more run
with ``python -X importtime`` gives the import breakdown: the time spent importing, by package,
and which of the slow libraries the command loaded at all. The floor is the bare interpreter
with numpy imported, the least any of these commands can take.
"""

from __future__ import annotations

import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _timing import PACKAGES, ROOT, Report, compile_sources, md_table, parser  # noqa: E402

TEMPLATE = "workbook/neocloud_facility.xlsx"
#: Libraries that cost a large share of a cold start; the breakdown says which were loaded.
HEAVY = ("pandas", "scipy.stats", "scipy.optimize", "scipy.special", "openpyxl", "matplotlib",
         "xlwings", "pyarrow")
#: Import time is grouped under these top-level packages (the rest is "other").
GROUPS = ("numpy", "scipy", "pandas", "pyarrow", "formulas", "schedula", "openpyxl", "regex",
          "pymodel", "addin", "workbook")


def _cases(out: str) -> list[tuple[str, list[str]]]:
    return [
        ("computecredit --help", ["-m", "workbook.cli", "--help"]),
        (f"computecredit recalc {Path(TEMPLATE).name}",
         ["-m", "workbook.cli", "recalc", TEMPLATE, "-o", out, "-q"]),
    ]


FLOOR = ("python -c 'import numpy'", ["-c", "import numpy"])


def _wall(cwd: Path, args: list[str], env: dict[str, str] | None = None) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True,
                          env=env)
    wall = time.perf_counter() - t0
    if proc.returncode not in (0, 2) or (args[-1] != "--help" and proc.returncode):
        raise SystemExit(f"{' '.join(args)} failed in {cwd} (exit {proc.returncode}):\n"
                         f"{proc.stderr[-2000:]}")
    return wall


#: Runs the command line given after ``--`` and prints the modules then imported (the
#: importtime log lists only modules imported by an import statement, not importlib's).
_CHILD = """
import json, sys
from workbook.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print("MODULES " + json.dumps(sorted(sys.modules)))
"""


def import_breakdown(cwd: Path, args: list[str]) -> tuple[dict[str, float], set[str]]:
    """Seconds spent importing, by top-level package (self times summed), and every module
    imported, from one ``python -X importtime`` run of ``computecredit args``."""
    proc = subprocess.run([sys.executable, "-X", "importtime", "-c", _CHILD, *args], cwd=cwd,
                          capture_output=True, text=True)
    by_group: dict[str, float] = {}
    modules = set()
    for line in proc.stdout.splitlines():
        if line.startswith("MODULES "):
            modules = set(json.loads(line[len("MODULES "):]))
    for line in proc.stderr.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+\d+ \|\s*(\S+)", line)
        if not m:
            continue
        name = m.group(2)
        top = name.split(".")[0]
        group = top if top in GROUPS else "other"
        by_group[group] = by_group.get(group, 0.0) + int(m.group(1)) / 1e6
    return by_group, modules


def main(argv: list[str] | None = None) -> int:
    ap = parser(__doc__.splitlines()[0])
    ap.add_argument("-n", "--repeat", type=int, default=7, help="fresh processes per case")
    ap.add_argument("--before", metavar="CHECKOUT",
                    help="also time this other checkout (e.g. a worktree of an older commit), "
                         "interleaved with this one")
    args = ap.parse_args(argv)
    roots = {"this checkout": ROOT}
    if args.before:
        roots = {"before": Path(args.before).resolve(), "after": ROOT}
    for root in roots.values():  # as the set-up does, as an installed package is
        compile_sources(root)
    with tempfile.TemporaryDirectory() as tmp:
        cases = _cases(tmp + "/")
        envs: dict[str, dict[str, str] | None] = {"": None}
        times: dict[tuple[str, str], list[float]] = {}
        for _ in range(args.repeat):  # interleaved: a burst of load hits every case alike
            for label, case in [FLOOR, *cases]:
                for suffix, env in envs.items():
                    for tag, root in roots.items():
                        if (label, case) == FLOOR and (tag != next(iter(roots)) or suffix):
                            continue
                        times.setdefault((label, tag + suffix), []).append(
                            _wall(root, case, env))
        breakdown = {tag: import_breakdown(root, cases[1][1][2:]) for tag, root in roots.items()}
        help_modules = {tag: import_breakdown(root, cases[0][1][2:])[1]
                        for tag, root in roots.items()}

    floor = min(times[(FLOOR[0], next(iter(roots)))])
    rows = []
    for label, _ in [FLOOR, *cases]:
        for suffix in envs:
            for tag in roots:
                got = times.get((label, tag + suffix))
                if not got:
                    continue
                shown = tag + suffix if len(roots) > 1 else suffix.lstrip(", ")
                rows.append([f"{label} ({shown})" if shown else label,
                             f"{min(got):.2f}", f"{statistics.median(got):.2f}",
                             f"{min(got) / floor:.1f}x"])
                print(" | ".join(rows[-1]), flush=True)

    report = Report("bench_startup", "Start-up", intro=(
        f"Each command in a fresh Python process, {args.repeat} times (best and median wall "
        f"time, imports included); the floor is the interpreter with numpy imported. The "
        f"import breakdown comes from one more run of `recalc {Path(TEMPLATE).name}` under "
        f"`python -X importtime` (time spent importing each package's own modules; that "
        f"run is slower than the timed ones). What is imported when: "
        f"[architecture](architecture.md#start-up-what-is-imported-when)."
        + f" Each checkout's sources are compiled to bytecode first, as the set-up does "
          f"(`python -m compileall -q {' '.join(PACKAGES)}`, the state of an installed "
          f"package), so no run compiles them again (this machine sets "
          f"`PYTHONDONTWRITEBYTECODE`: without that step every run would compile every "
          f"source file of ours it imports, about 0.8 s of CPU on this machine)."))
    report.table(("Command", "Best (s)", "Median (s)", "Best / floor"), rows,
                 caption="Fresh-process wall time")
    groups = [g for g in (*GROUPS, "other")
              if any(b[0].get(g, 0) >= 0.0005 for b in breakdown.values())]
    brows = [[g, *[f"{breakdown[t][0].get(g, 0):.3f}" for t in roots]] for g in groups]
    brows.append(["total", *[f"{sum(breakdown[t][0].values()):.3f}" for t in roots]])
    report.table(("Package", *[f"Import time, s ({t})" for t in roots]), brows,
                 caption=f"Import breakdown of recalc {Path(TEMPLATE).name}")
    def yes(flag: bool) -> str:
        return "loaded" if flag else "no"
    lrows = [[lib, *[v for t in roots for v in (yes(lib in breakdown[t][1]),
                                                 yes(lib in help_modules[t]))]]
             for lib in HEAVY]
    report.table(("Library", *[f"{c} ({t})" for t in roots for c in ("recalc", "--help")]),
                 lrows, caption="Slow libraries imported by each command")
    print(md_table(("Package", *roots), brows))
    report.publish(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
