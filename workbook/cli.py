"""The ``computecredit`` console command: dispatch only.

Sub-commands are declared in :data:`COMMANDS` as ``name -> (module, help)``; each module has
``add_arguments(parser)`` and ``run(args) -> int`` (the exit code). A module is imported only when
its command is given, so ``computecredit --help`` imports none of them.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import sys

COMMANDS: dict[str, tuple[str, str]] = {
    "sample": ("workbook.sample", "run the main job on the shipped sample deal"),
    "recalc": ("workbook.engine.recalc", "recalculate deal workbooks without Excel"),
    "fidelity": ("workbook.engine.fidelity", "compare the headless recalculation with the values "
                                             "Excel saved in workbooks"),
    "lite-bundle": ("addin.packaging.lite", "write main.py and requirements.txt for xlwings Lite"),
    "backtest": ("workbook.backtest", "backtest the rent and value forecasts on the shipped "
                                      "market evidence (table, plots, HTML report)"),
    "addin": ("addin.packaging.install", "install, uninstall or show the Excel add-in (XLSTART "
                                         "and the per-user config)"),
    "doctor": ("addin.packaging.doctor", "check that this machine is set up for the Excel add-in"),
    "audit": ("workbook.audit", "find the straight-line assumptions in an existing deal "
                                "spreadsheet (table, JSON, HTML)"),
    "retrofit": ("workbook.retrofit", "put the model beside the straight line assumptions "
                                      "of a deal spreadsheet, in a copy with a ComputeCredit "
                                      "sheet"),
    "scenarios": ("workbook.scenarios", "evaluate a loan book over a scenario grid (tables, "
                                        "heatmaps, HTML report; local or on Dask)"),
}


class _Version(argparse.Action):
    """``--version``: the package version, read only when asked for."""

    def __init__(self, option_strings: list[str], dest: str = argparse.SUPPRESS,
                 **kwargs: object) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS,
                         help="show the version and exit")

    def __call__(self, parser: argparse.ArgumentParser, *args: object) -> None:
        import pymodel
        print(pymodel.__version__)
        parser.exit()


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser; only ``command``'s module (if any) is imported to add its arguments."""
    parser = argparse.ArgumentParser(prog="computecredit",
                                     description="ComputeCredit: credit analytics for debt "
                                                 "secured on AI compute.")
    parser.add_argument("--version", action=_Version)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(_module=module)
        if name == command:
            importlib.import_module(module).add_arguments(p)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = next((a for a in argv if not a.startswith("-")), None)
    parser = build_parser(command if command in COMMANDS else None)
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    return int(importlib.import_module(args._module).run(args) or 0)


def console() -> None:
    """The ``computecredit`` command (the console script and ``python -m workbook.cli``): run
    :func:`main` and exit with its code.

    The process ends there, so what the command built is left to the operating system: the
    cyclic garbage collector's last pass at exit would otherwise traverse and free the tens
    of thousands of objects an evaluated workbook leaves, many in reference cycles (0.1-0.15 s
    of CPU after recalculating the neo-cloud template, measured on the development machine).
    ``gc.freeze()`` moves every object out of its reach; files are closed and outputs
    written before, by the command itself, and exit handlers (``atexit``, temporary folders)
    still run."""
    code = main()
    sys.stdout.flush()
    gc.freeze()
    sys.exit(code)


if __name__ == "__main__":  # pragma: no cover
    console()
