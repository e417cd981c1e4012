"""Generate the deal workbook templates (the descriptions in workbook/templates/ are the source;
the .xlsx are committed).

Run from the repository root::

    python workbook/build.py            # writes workbook/*.xlsx
    python workbook/build.py --out DIR  # somewhere else (tests, benchmarks)

Output is deterministic: fixed document properties and zip timestamps.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from workbook.templates import TEMPLATES as DESCRIPTIONS  # noqa: E402
from workbook.templates import canonical_dump, portfolio, write  # noqa: E402

__all__ = ["TEMPLATES", "build_neocloud", "build_miner", "build_portfolio", "build_all",
           "canonical_dump", "main"]

#: File name -> function writing that template to a path.
TEMPLATES = {name: (lambda path, describe=describe: write(describe(), path))
             for name, describe in DESCRIPTIONS.items()}
build_neocloud = TEMPLATES["neocloud_facility.xlsx"]
build_miner = TEMPLATES["miner_convertible.xlsx"]


def build_portfolio(path: Path, n: int = 60, book: bool = True) -> Path:
    """The portfolio template over a tape of ``n`` facilities (benchmarks vary ``n``); without
    its Portfolio sheet (the Monte Carlo of the whole book) when ``book`` is false."""
    return write(portfolio.template(n, book), path)


def build_all(out_dir: Path) -> list[Path]:
    return [fn(Path(out_dir) / name) for name, fn in TEMPLATES.items()]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent),
                    help="output folder (default: workbook/)")
    ap.add_argument("--only", choices=sorted(TEMPLATES), help="build one template")
    args = ap.parse_args(argv)
    for name, fn in TEMPLATES.items():
        if not args.only or args.only == name:
            print(fn(Path(args.out) / name))
    return 0


if __name__ == "__main__":
    sys.exit(main())
