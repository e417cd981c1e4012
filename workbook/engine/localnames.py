"""Names defined for one sheet (sheet-scoped names), as Excel resolves them.

A defined name with a ``localSheetId`` belongs to one sheet: in a formula on that sheet the
name means the sheet's own definition (before a workbook-wide name of the same spelling), and
anywhere ``Sheet!name`` means that sheet's definition. The engine knows only workbook-wide
names, so :func:`globalise` gives each sheet-scoped name a workbook-wide alias
(``CC_LOCAL_<n>_<name>``) with the same definition, and rewrites the formulas (and the
definitions of other sheet-scoped names) that mean it to the alias. The texts in the file are
left as they are (the recalculated copy and FORMULATEXT show them); only the text the engine
evaluates changes.

Not resolved: a LET or LAMBDA variable spelled like a sheet-scoped name of its sheet (it
would be rewritten as the name), and names built at run time by INDIRECT.
"""

from __future__ import annotations

from typing import Any

from .formulatext import tokens
from .ranges import _prefix_at, _sig

__all__ = ["globalise", "rewrite"]


def rewrite(text: str, sheet: str, local: dict[tuple[str, str], str]) -> str:
    """``text`` (a formula on ``sheet`` or a definition scoped to it) with every use of a
    sheet-scoped name replaced by its alias. ``local`` maps (sheet upper-case, name
    upper-case) to the alias."""
    if not text or not local:
        return text
    toks = list(tokens(text))
    sig = _sig(toks)
    n = len(sig)
    here = sheet.upper()
    edits: list[tuple[int, int, str]] = []

    def plain_name(j: int) -> bool:   # a word that is not a function call or a sheet prefix
        return (j < n and toks[sig[j]].kind == "word"
                and not (j + 1 < n and toks[sig[j + 1]].kind in ("lparen", "bang")))

    k = 0
    while k < n:
        p = _prefix_at(toks, sig, k)
        if p is not None:
            j, _, book, prefix_sheet = p
            if book is None and prefix_sheet is not None and plain_name(j):
                word = toks[sig[j]]
                alias = local.get((prefix_sheet.upper(), word.text.upper()))
                if alias is not None:
                    edits.append((toks[sig[k]].start, word.start + len(word.text), alias))
                k = j + 1
            else:
                k = max(j, k + 1)
            continue
        t = toks[sig[k]]
        if plain_name(k) and not (k and toks[sig[k - 1]].kind == "bang"):
            alias = local.get((here, t.text.upper()))
            if alias is not None:
                edits.append((t.start, t.start + len(t.text), alias))
        k += 1
    for start, end, alias in reversed(edits):
        text = text[:start] + alias + text[end:]
    return text


def globalise(wb: Any) -> None:
    """Give every sheet-scoped defined name of ``wb`` (an engine workbook) a workbook-wide
    alias and rewrite the formulas that use it (in place)."""
    from .book import DefinedName
    taken = {dn.name.upper() for dn in wb.names}
    local: dict[tuple[str, str], str] = {}
    scoped = []
    for dn in wb.names:
        if dn.localSheetId is None or dn.hidden or not dn.value or not dn.scope \
                or dn.name.lower().startswith("_xlnm."):   # print areas and filters
            continue
        n = len(local) + 1
        alias = f"CC_LOCAL_{n}_{dn.name}"
        while alias.upper() in taken:
            n += 1
            alias = f"CC_LOCAL_{n}_{dn.name}"
        taken.add(alias.upper())
        local[(dn.scope.upper(), dn.name.upper())] = alias
        scoped.append((dn, alias))
    if not local:
        return
    for dn, alias in scoped:
        wb.names.append(DefinedName(alias, rewrite(dn.value, dn.scope, local),
                                    label=f"{dn.name} (of sheet {dn.scope})"))
    for f in wb.formulas:
        if f.text:
            f.text = rewrite(f.text, f.sheet, local)
