"""What one file's recalculation found (:class:`RecalcResult`), built from the evaluation, and
how it is printed: a status line, the Summary sheet, error cells and FALSE checks."""

from __future__ import annotations

import csv
import io
import os
import re
import sys
import tempfile
from dataclasses import dataclass, field
from typing import Any, TextIO

from .sheetxml import ErrorValue, col_letters, range_bounds, split_coord

__all__ = ["RecalcResult", "build_report", "print_result", "write_errors_csv", "fmt", "safe",
           "EXIT_OK", "EXIT_FINDINGS", "EXIT_REFUSED", "EXIT_PARTIAL", "MAX_LISTED",
           "CHECKS_SHEET", "SUMMARY_SHEET"]

#: Exit status: 0 every formula recomputed, no error cell, every check TRUE; 1 some error cell
#: or FALSE check; 2 refused or unreadable; 3 partial: some cells kept Excel's saved values
#: (1 and 2 take precedence over 3).
EXIT_OK, EXIT_FINDINGS, EXIT_REFUSED, EXIT_PARTIAL = 0, 1, 2, 3
CHECKS_SHEET = "Checks"
SUMMARY_SHEET = "Summary"
#: Sheets whose checks are one column of a block (the label in column A): sheet -> column.
CHECK_COLUMNS = {"computecredit": "B"}
MAX_LISTED = 30  # error cells / FALSE checks printed per file (all are in RecalcResult)


@dataclass
class RecalcResult:
    """What one file's recalculation found (picklable: returned by worker processes)."""
    path: str
    out: str | None = None
    refused: str | None = None                                  # one-line reason
    errors: list[tuple[str, str, str, str]] = field(default_factory=list)  # sheet, cell, code, msg
    false_checks: list[tuple[str, str, str]] = field(default_factory=list)  # sheet, cell, label
    summary: list[tuple[str, Any]] = field(default_factory=list)
    n_formulas: int = 0
    seconds: float = 0.0
    pngs: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)      # facts the reader should know
    warnings: list[str] = field(default_factory=list)   # what failed without spoiling the copy
    kept: list[tuple[str, str, str]] = field(default_factory=list)  # sheet, cell, why kept

    @property
    def exit_code(self) -> int:
        if self.refused:
            return EXIT_REFUSED
        if self.errors or self.false_checks:
            return EXIT_FINDINGS
        return EXIT_PARTIAL if self.kept else EXIT_OK


#: Characters that could forge or hide report lines on a terminal: controls (newline, carriage
#: return, escape), line and paragraph separators, bidirectional overrides, lone surrogates.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069"
                     "\ud800-\udfff]")


def safe(text: Any, limit: int = 300) -> str:
    """Text from a workbook or a file name, fit for one line of the report: every character
    that could start a new line or drive the terminal is shown as an escape (``\\x1b``)."""
    text = str(text)
    if len(text) > limit:
        text = text[:limit - 3] + "..."
    return _UNSAFE.sub(lambda m: f"\\x{ord(m.group(0)):02x}" if ord(m.group(0)) < 256
                       else f"\\u{ord(m.group(0)):04x}", text)


def build_report(res: RecalcResult, sheets: list[str], ev: Any) -> None:
    """Fill ``res`` from an evaluation: error cells, FALSE checks, the Summary sheet."""
    n = 0
    for name in sheets:
        cells = ev.formulas[name]
        n += len(cells)
        for cc in sorted(_findings(name, cells, ev.values), key=split_coord):
            v = ev.values.get((name, cc))
            if isinstance(v, ErrorValue):
                res.errors.append((name, cc, v.code, v.message))
            elif v is False and (name.lower() == CHECKS_SHEET.lower() or
                                 cc.rstrip("0123456789") == CHECK_COLUMNS.get(name.lower())):
                row = split_coord(cc)[0]
                label = ev.values.get((name, f"A{row}"))
                res.false_checks.append((name, cc, str(label) if label else ""))
    for (sheet, cc) in ev.missing:
        res.errors.append((sheet, cc, "#N/A", "not evaluated by the headless engine"))
    order = {name: i for i, name in enumerate(sheets)}
    for (sheet, cc), why in sorted(getattr(ev, "kept", {}).items(),
                                   key=lambda kv: (order.get(kv[0][0], 0),
                                                   split_coord(kv[0][1]))):
        res.kept.append((sheet, cc, why))
    res.n_formulas = n
    res.notes += list(getattr(ev, "notes", []))
    summary = next((s for s in sheets if s.lower() == SUMMARY_SHEET.lower()), None)
    if summary:
        rows = sorted({split_coord(c)[0] for c in ev.formulas[summary] if c.startswith("B")})
        for r in rows[:40]:
            label, value = ev.values.get((summary, f"A{r}")), ev.values.get((summary, f"B{r}"))
            unit = ev.values.get((summary, f"C{r}"))
            if isinstance(label, str) and label and value is not None and value != "":
                res.summary.append((label + (f" ({unit})" if isinstance(unit, str) and unit
                                             else ""), value))


def _findings(name: str, cells: dict[str, Any], values: dict[tuple[str, str], Any]) -> set[str]:
    """The formula cells of sheet ``name`` (the whole range of an array formula or data
    table) whose value is an error or FALSE."""
    found = set()
    get = values.get
    for c in cells.values():
        if c.kind in ("array", "dataTable") and c.ref:
            r1, c1, r2, c2 = range_bounds(c.ref)
            rows = range(r1, r2 + 1)
            for col in range(c1, c2 + 1):
                a = col_letters(col)
                found.update(cc for cc in [f"{a}{r}" for r in rows]
                             if (v := get((name, cc))) is False or isinstance(v, ErrorValue))
        elif (v := get((name, c.coord))) is False or isinstance(v, ErrorValue):
            found.add(c.coord)
    return found


def fmt(v: Any) -> str:
    """A value as the report shows it."""
    if isinstance(v, ErrorValue):
        return safe(v.message or v.code)
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, float):
        if abs(v) >= 1000:
            return f"{v:,.0f}"
        if v != 0 and abs(v) < 1e-3:
            return f"{v:.4g}"
        return f"{v:,.4f}".rstrip("0").rstrip(".") if abs(v) < 100 else f"{v:,.2f}"
    return safe(v)


def print_result(res: RecalcResult, quiet: bool, out: TextIO | None = None,
                 err: TextIO | None = None) -> None:
    """Print one file's result: refusals on stderr (one line), the rest on stdout."""
    out = out or sys.stdout
    err = err or sys.stderr
    path = safe(res.path)
    if res.refused:
        print(f"{path}: refused: {safe(res.refused, 600)}", file=err)
        return
    status = {EXIT_OK: "OK", EXIT_PARTIAL: "PARTIAL"}.get(res.exit_code, "FINDINGS")
    print(f"{path}: {status}: {res.n_formulas} formulas in {res.seconds:.2f} s"
          + (f" -> {safe(res.out)}" if res.out else ""), file=out)
    for note in res.notes:
        print(f"  NOTE {safe(note, 600)}", file=out)
    for warning in res.warnings:
        print(f"  WARNING {safe(warning, 600)}", file=out)
    if not quiet:
        labels = [safe(k, 80) for k, _ in res.summary]
        width = max((len(k) for k in labels), default=0)
        for label, (_, value) in zip(labels, res.summary):
            print(f"  {label:<{width}}  {fmt(value)}", file=out)
        for p in res.pngs:
            print(f"  chart: {safe(p)}", file=out)
    for sheet, cell, code, msg in res.errors[:MAX_LISTED]:
        print(f"  ERROR {safe(sheet, 40)}!{cell}: {safe(msg or code)}", file=out)
    if len(res.errors) > MAX_LISTED:
        print(f"  ... and {len(res.errors) - MAX_LISTED} more error cells", file=out)
    for sheet, cell, label in res.false_checks[:MAX_LISTED]:
        print(f"  CHECK FALSE {safe(sheet, 40)}!{cell}: {safe(label)}", file=out)
    if len(res.false_checks) > MAX_LISTED:
        print(f"  ... and {len(res.false_checks) - MAX_LISTED} more FALSE checks", file=out)
    _print_kept(res, out)


def _print_kept(res: RecalcResult, out: TextIO) -> None:
    """The cells that kept Excel's saved values, grouped by reason: how many, which, why."""
    if not res.kept:
        return
    n = len(res.kept)
    print(f"  KEPT {n} formula cell{'s' if n > 1 else ''} at the values Excel saved (not "
          f"recomputed; exit status 3):", file=out)
    groups: dict[str, list[str]] = {}
    for sheet, cell, why in res.kept:
        groups.setdefault(why, []).append(f"{safe(sheet, 40)}!{cell}")
    for i, (why, cells) in enumerate(groups.items()):
        if i == MAX_LISTED:
            print(f"    ... and {len(groups) - MAX_LISTED} more reasons", file=out)
            break
        shown = ", ".join(cells[:6]) + (f" and {len(cells) - 6} more" if len(cells) > 6
                                        else "")
        print(f"    {shown}: {safe(why, 600)}", file=out)


ERRORS_CSV_HEADER = ("file", "sheet", "cell", "error", "reason")


def write_errors_csv(results: list[RecalcResult], path: str) -> None:
    """Every error cell of every file (none left out) with its reason, one row each, written to
    a temporary file and renamed into place. Raises OSError if it cannot be written."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(ERRORS_CSV_HEADER)
    for res in results:
        if res.refused:
            w.writerow((res.path, "", "", "refused", res.refused))
        for sheet, cell, code, msg in res.errors:
            w.writerow((res.path, sheet, cell, code, msg))
        for sheet, cell, why in res.kept:
            w.writerow((res.path, sheet, cell, "kept (not recomputed)", why))
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".errors.", suffix=".csv", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(buf.getvalue())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
