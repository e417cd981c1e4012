"""The deal templates, each described as data; ``workbook/build.py`` writes them to .xlsx.

A template module (``neocloud_facility``, ``miner_convertible``, ``portfolio``) has a function
``template() -> Template``. A :class:`~.blocks.Template` is a title, model ``sheets``, the
``summary`` rows (the Summary sheet that ``computecredit recalc`` prints) and the ``checks``
(the Checks sheet of TRUE/FALSE formulas; ``all_checks`` names their AND). A
:class:`~.blocks.Sheet` is a title, a note and ``blocks`` stacked from row 4 down with one empty
row between them; ``Beside([...])`` puts blocks side by side, ``Stack([...])`` one below the
other. No block has a cell address: the layout cursor places it.

Blocks (all in :mod:`.blocks`):

- ``Inputs(rows=[Input(name, value, unit, source)], title=, name=, prefix=)``: field | value |
  unit | source rows; each value is the defined name ``prefix + name``; ``name`` names the
  field | value range (``deal_inputs``, read by DSCR_TABLE). A value ``"=..."`` is a formula.
- ``Outputs(rows=[Output(label, formula, unit, name)], title=, span=)``: label | value | unit.
- ``Table(formula, title=, keyed=, extra=[Column(...)], name=, names=)``: one of our table
  functions as ONE array formula; its size comes from evaluating the formula on the
  template's own values, so a table can never be mis-sized. ``keyed``: label | value rows.
- ``Grid(rows, columns, body, corner=, unit=)``: plain formulas over a header row and a first
  column; ``{row}`` / ``{col}`` in ``body`` stand for the cell's row and column header.
- ``Tape(records, inputs=[Column], outputs=[Column(key, header, unit, formula)], prefix=)``: a
  loan tape, one array formula per output column; every column is named ``prefix + key``.
- ``InputTable(columns=[Column(key, unit=)], rows=[[...]], name=)``: a table the user types
  (units row, header row, rows); ``name`` covers the header and the rows (a tenant block).
- ``Note(text)``; ``Chart(title, series=[Series(block_id, selector, title)], categories=...,
  kind="line"|"bar")``.

Formulas use defined names only (an undefined name is a build error). Blocks name parts of
themselves with ``names={"tab_dscr": "dscr[:-1]"}``: a *selector* is a column (``"dscr"``,
by header or key), a row label of a keyed block (``"total"``), Python indices on its rows
(``"dscr[:-1]"``, ``"closing_balance[-2]"``) or ``"[rows, columns]"`` of the body
(``"[0, 0]"``, ``"[:, 1:]"``); ``"rows"`` is a Grid's row headers. Charts select the same way
from a block's ``id``. Number formats come from the unit (``UNIT_FORMATS``; a table's units from
``FUNCTION_UNITS`` of the function it calls); ``fmt=`` overrides one cell. To add a block, add
it to a sheet's ``blocks``; to add a sheet, add it to ``sheets``; then run
``python workbook/build.py`` and commit the .xlsx.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from . import miner_convertible, neocloud_facility, portfolio
from .blocks import Template
from .writer import build, canonical_dump, save

__all__ = ["TEMPLATES", "write", "build", "save", "canonical_dump"]

#: File name -> function returning the template's description.
TEMPLATES: dict[str, Callable[..., Template]] = {
    "neocloud_facility.xlsx": neocloud_facility.template,
    "miner_convertible.xlsx": miner_convertible.template,
    "portfolio.xlsx": portfolio.template,
}


def write(template: Template, path: Path) -> Path:
    """Build ``template`` and save it to ``path`` (deterministic bytes)."""
    return save(build(template), Path(path))
