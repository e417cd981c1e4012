"""``computecredit audit``: find the straight-line assumptions in an existing deal spreadsheet.

The workbook is opened only through the checked reader (:func:`workbook.engine.package.
open_package`: no external links, size limits, no DTDs; the macro parts of a macro-enabled
``.xlsm`` are neither read nor run, and the report says they were there), its cells read with
the engine's sheet parser, and its formulas with the engine's tokenizer; nothing in it is run and
the file is never changed. Formula cells the file holds no value for are computed with the
headless engine first (``--no-values`` skips that).

Output: a table on the terminal, ``--json`` (to standard output) for machines, ``--html FILE``
for a credit officer. Exit status 0 when the workbook was read (with or without findings), 2
when it was refused.

Modules: :mod:`.detect` (the analysis), :mod:`.axes` (time axes and series),
:mod:`.labels` (the words), :mod:`.formula` (formula trees), :mod:`.mapping` (the proposed and
the user's field-to-cell mapping), :mod:`.render` (table, JSON, HTML).
"""

from __future__ import annotations

import argparse
import os
import sys

__all__ = ["audit_file", "add_arguments", "run", "AuditRefused"]


class AuditRefused(Exception):
    """The file cannot be audited; ``str(exc)`` is one plain line."""


def audit_file(path: str, values: bool = True):
    """The :class:`~.detect.Audit` of one workbook. Raises :class:`AuditRefused`."""
    from ..engine.cellmap import fill_values, read_cellmap
    from ..engine.package import WorkbookRefused, open_package
    from .detect import analyse
    try:
        pkg = open_package(path, macros="skip")
    except WorkbookRefused as exc:
        raise AuditRefused(str(exc)) from None
    try:
        cm = read_cellmap(pkg)
        if values:
            fill_values(pkg, cm)
        audit = analyse(cm, path)
        if pkg.macros:
            audit.notes.append(macro_note(pkg.macros))
        return audit
    except WorkbookRefused as exc:
        raise AuditRefused(str(exc)) from None
    except MemoryError:
        raise AuditRefused("out of memory while reading the workbook") from None
    except RecursionError:
        raise AuditRefused("the workbook's formulas nest too deeply to read") from None
    finally:
        pkg.close()


def macro_note(parts: list[str]) -> str:
    """What the report says of a macro-enabled workbook's macro parts."""
    shown = ", ".join(parts[:3]) + (f" and {len(parts) - 3} more" if len(parts) > 3 else "")
    return (f"the workbook holds macros or ActiveX ({shown}): nothing in them was run or "
            f"parsed; only its cells were audited. computecredit retrofit and recalc need it "
            f"saved as .xlsx without macros")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="DEAL.xlsx", help="the deal workbook (never modified)")
    parser.add_argument("--json", action="store_true", help="print the findings as JSON")
    parser.add_argument("--html", metavar="FILE", help="also write a self-contained HTML page "
                                                       "for a credit officer")
    parser.add_argument("--no-values", action="store_true",
                        help="do not run the formula engine on formula cells the file "
                             "holds no value for (plain arithmetic is still followed)")


def run(args: argparse.Namespace) -> int:
    from .render import html_report, json_report, safe, text_report
    try:
        audit = audit_file(args.file, values=not args.no_values)
    except AuditRefused as exc:
        print(f"{safe(args.file)}: refused: {safe(exc)}", file=sys.stderr)
        return 2
    except Exception as exc:  # never a traceback for a user's file
        print(f"{safe(args.file)}: refused: unexpected {type(exc).__name__}: "
              f"{safe(str(exc), 160)}", file=sys.stderr)
        return 2
    if args.html:
        if os.path.abspath(args.html) == os.path.abspath(args.file):
            print("audit: --html would overwrite the workbook; choose another file",
                  file=sys.stderr)
            return 2
        folder = os.path.dirname(os.path.abspath(args.html))
        os.makedirs(folder, exist_ok=True)
        with open(args.html, "w", encoding="utf-8") as fh:
            fh.write(html_report(audit))
    if args.json:
        sys.stdout.write(json_report(audit) + "\n")
    else:
        sys.stdout.write(text_report(audit))
        if args.html:
            print(f"HTML report: {safe(args.html)}")
    return 0
