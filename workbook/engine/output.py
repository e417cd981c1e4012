"""Write the recalculated copy: cached values into the worksheet parts, ``calcPr`` marked as
calculated by current Excel, every other part copied byte for byte; each written part is
parsed before the copy replaces the output file, atomically.

The copy is first written next to the output as ``.computecredit-<pid>-<random>.xlsx.tmp``.
It is removed when the run fails, is interrupted or gets SIGTERM (see :func:`cleanup_on_signals`);
after a hard kill, the next run writing into the same folder removes the temporary files whose
process is gone.
"""

from __future__ import annotations

import errno
import os
import re
import signal
import tempfile
import xml.parsers.expat as expat
from typing import Any, Callable

from .evaluate import Evaluation
from .package import Package, WorkbookRefused
from .sheetxml import (FormulaCell, col_letters, element_tags, new_parser, range_bounds,
                       set_attribute, split_coord, write_rows)

__all__ = ["write_output", "calc_pr", "sheet_parts", "EXCEL_CALC_ID", "TEMP_PREFIX",
           "remove_stale_temporaries", "cleanup_on_signals"]

#: calcId of current Excel (365/2019+). A file with an older calcId is recalculated on open,
#: which without the add-in would replace our cached values with #NAME?.
EXCEL_CALC_ID = "191029"
TEMP_PREFIX = ".computecredit-"
_TEMP = re.compile(r"^\.computecredit-(\d+)-[A-Za-z0-9_]+\.xlsx\.tmp$")


def calc_pr(xml: bytes) -> bytes:
    """workbook.xml with calcPr saying "already calculated by current Excel"."""
    spans = element_tags(xml, ("workbook", "calcPr"))
    if not spans:
        return xml
    start, end = spans[0]
    tag = set_attribute(xml[start:end], "fullCalcOnLoad", None)
    tag = set_attribute(tag, "calcId", EXCEL_CALC_ID)
    return xml[:start] + tag + xml[end:]


def sheet_parts(pkg: Package, ev: Evaluation) -> dict[str, bytes]:
    """The new bytes of every worksheet part that holds formulas or a value typed in by a
    session (:attr:`~.evaluate.Evaluation.edited`), and of workbook.xml."""
    replaced = {}
    edited: dict[str, dict[str, Any]] = {}
    for (name, cc), v in getattr(ev, "edited", {}).items():
        edited.setdefault(name, {})[cc] = v
    for name, part in pkg.sheets:
        cells = ev.formulas[name]
        if not cells and name not in edited:
            continue
        rows, style_of = _sheet_values(name, cells, edited.get(name, {}), ev.values)
        layout = ev.layouts.get(name)
        replaced[part] = write_rows(layout.data if layout is not None else
                                    pkg.xml_bytes(part), rows, style_of, layout)
    replaced["xl/workbook.xml"] = calc_pr(pkg.xml_bytes("xl/workbook.xml"))
    return replaced


_ABSENT = object()


def _sheet_values(name: str, cells: dict[str, FormulaCell], edited: dict[str, Any],
                  values: dict[tuple[str, str], Any]
                  ) -> tuple[dict[int, dict[int, Any]], Callable[[int, int], str | None]]:
    """The values to write into sheet ``name`` (row -> column -> value): the cells typed in,
    then every formula cell and the whole range of an array formula or data table, as far as
    ``values`` has them (a later formula's value over an earlier's); and the style of a cell
    inserted (the anchor's, of the last array range over it with a style)."""
    rows: dict[int, dict[int, Any]] = {}
    blocks = []
    for cc, v in edited.items():
        r, col = split_coord(cc)
        rows.setdefault(r, {})[col] = v
    for c in cells.values():
        if c.kind in ("array", "dataTable") and c.ref and ":" in c.ref:
            r1, c1, r2, c2 = range_bounds(c.ref)
            if c.style:
                blocks.append((r1, c1, r2, c2, c.style))
            span = range(r1, r2 + 1)
            for col in range(c1, c2 + 1):
                a = col_letters(col)
                got = [values.get((name, f"{a}{r}"), _ABSENT) for r in span]
                for r, v in zip(span, got):
                    if v is not _ABSENT:
                        row = rows.get(r)
                        if row is None:
                            row = rows[r] = {}
                        row[col] = v
        elif (name, c.coord) in values:
            r, col = split_coord(c.coord)
            rows.setdefault(r, {})[col] = values[(name, c.coord)]
    styles: dict[tuple[int, int], str] | None = None

    def style_of(r: int, col: int) -> str | None:
        nonlocal styles
        if styles is None:   # built when first needed (most files hold every cell written)
            styles = {(i, j): s for r1, c1, r2, c2, s in blocks
                      for i in range(r1, r2 + 1) for j in range(c1, c2 + 1)}
        return styles.get((r, col))
    return rows, style_of


def _check_parses(parts: dict[str, bytes]) -> None:
    for name, data in parts.items():
        p = new_parser()
        try:
            p.Parse(data, True)
        except (expat.ExpatError, ValueError) as exc:
            raise WorkbookRefused(f"the recalculated part {name} would not be valid XML "
                                  f"({exc}); nothing was written") from None


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_temporaries(folder: str) -> list[str]:
    """Remove our temporary copies in ``folder`` left by runs that were killed (their process
    is gone; only files owned by this user). Returns the names removed."""
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    uid = os.getuid() if hasattr(os, "getuid") else None
    for e in entries:
        m = _TEMP.match(e.name)
        if not m or int(m.group(1)) == os.getpid():
            continue
        try:
            st = e.stat(follow_symlinks=False)
            if not e.is_file(follow_symlinks=False) or (uid is not None and st.st_uid != uid):
                continue
            if not _pid_alive(int(m.group(1))):
                os.unlink(e.path)
                removed.append(e.name)
        except OSError:
            continue
    return removed


def _plain_os_error(exc: OSError, folder: str) -> str:
    reasons = {errno.EACCES: "permission denied", errno.EPERM: "permission denied",
               errno.ENOSPC: "the disk is full", errno.EROFS: "the file system is read-only",
               errno.ENOTDIR: "a file stands where a folder is needed",
               errno.EDQUOT: "the disk quota is exceeded"}
    why = reasons.get(exc.errno or 0, exc.strerror or "the system refused")
    return f"cannot write the output into {folder}: {why}"


def write_output(pkg: Package, ev: Evaluation, out: str) -> None:
    """Write the recalculated copy of ``pkg`` to ``out`` atomically (a temporary file in the
    same folder, checked and renamed over ``out`` once complete)."""
    replaced = sheet_parts(pkg, ev)
    _check_parses(replaced)
    folder = os.path.dirname(os.path.abspath(out))
    tmp = None
    try:
        os.makedirs(folder, exist_ok=True)
        remove_stale_temporaries(folder)
        fd, tmp = tempfile.mkstemp(prefix=f"{TEMP_PREFIX}{os.getpid()}-", suffix=".xlsx.tmp",
                                   dir=folder)
        os.close(fd)
        pkg.write_copy(tmp, replaced)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; the copy is an ordinary file
        os.replace(tmp, out)
        tmp = None
    except OSError as exc:
        raise WorkbookRefused(_plain_os_error(exc, os.path.dirname(out) or ".")) from None
    finally:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)


class _Terminated(BaseException):
    """Raised in the main thread on SIGTERM/SIGHUP so that cleanup code runs."""


def _raise_terminated(signum: int, frame: Any) -> None:
    raise _Terminated(signum)


def cleanup_on_signals() -> None:
    """Turn SIGTERM and SIGHUP into an exception in this process, so that a run being stopped
    removes its temporary copy (``finally`` blocks run) before it exits. Call from the main
    thread of a command-line process (the ``recalc`` command and its worker processes)."""
    for sig in (getattr(signal, "SIGTERM", None), getattr(signal, "SIGHUP", None)):
        if sig is not None:
            signal.signal(sig, _raise_terminated)
