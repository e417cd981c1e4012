"""Write the recalculated copy: cached values into the worksheet parts, ``calcPr`` marked as
calculated by current Excel, every other part copied byte for byte, replaced atomically."""

from __future__ import annotations

import os
import tempfile

from .evaluate import Evaluation
from .package import Package
from .sheetxml import cells_of_range, element_tags, set_attribute, write_values

__all__ = ["write_output", "calc_pr", "EXCEL_CALC_ID"]

#: calcId of current Excel (365/2019+). A file with an older calcId is recalculated on open,
#: which without the add-in would replace our cached values with #NAME?.
EXCEL_CALC_ID = "191029"


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
    """The new bytes of every worksheet part that holds formulas, and of workbook.xml."""
    replaced = {}
    for name, part in pkg.sheets:
        cells = ev.formulas[name]
        if not cells:
            continue
        vals, styles = {}, {}
        for c in cells.values():
            if c.kind == "array" and c.ref and ":" in c.ref:
                for cc in cells_of_range(c.ref):
                    if (name, cc) in ev.values:
                        vals[cc] = ev.values[(name, cc)]
                        if c.style:
                            styles[cc] = c.style
            elif (name, c.coord) in ev.values:
                vals[c.coord] = ev.values[(name, c.coord)]
        replaced[part] = write_values(pkg.read(part), vals, styles)
    replaced["xl/workbook.xml"] = calc_pr(pkg.read("xl/workbook.xml"))
    return replaced


def write_output(pkg: Package, ev: Evaluation, out: str) -> None:
    """Write the recalculated copy of ``pkg`` to ``out`` atomically (a temporary file in the
    same folder, renamed over ``out`` once complete)."""
    replaced = sheet_parts(pkg, ev)
    folder = os.path.dirname(os.path.abspath(out))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".recalc-", suffix=".xlsx.tmp", dir=folder)
    os.close(fd)
    try:
        pkg.write_copy(tmp, replaced)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; the copy is an ordinary file
        os.replace(tmp, out)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
