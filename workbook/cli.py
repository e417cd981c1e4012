"""The ``computecredit`` console command.

Sub-commands are declared in :data:`COMMANDS` as ``name -> (module, help)``; each module has
``add_arguments(parser)`` and ``run(args) -> int`` (the exit code). Modules are imported only when
their command runs, so ``computecredit --help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys

COMMANDS: dict[str, tuple[str, str]] = {
    "sample": ("workbook.sample", "run the main job on the shipped sample deal"),
    "recalc": ("workbook.engine.recalc", "recalculate deal workbooks without Excel"),
    "lite-bundle": ("addin.packaging.lite", "write main.py and requirements.txt for xlwings Lite"),
    "backtest": ("workbook.backtest", "backtest the rent and value forecasts on the shipped "
                                      "market evidence (table, plots, HTML report)"),
    "addin": ("addin.packaging.install", "install, uninstall or show the Excel add-in (XLSTART "
                                         "and the per-user config)"),
    "doctor": ("addin.packaging.doctor", "check that this machine is set up for the Excel add-in"),
}


def build_parser() -> argparse.ArgumentParser:
    import pymodel
    parser = argparse.ArgumentParser(prog="computecredit",
                                     description="ComputeCredit: credit analytics for debt "
                                                 "secured on AI compute.")
    parser.add_argument("--version", action="version", version=pymodel.__version__)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        mod = importlib.import_module(module)
        mod.add_arguments(p)
        p.set_defaults(_module=mod)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    return int(args._module.run(args) or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
