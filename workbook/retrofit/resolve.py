"""Resolve a mapping against the deal's cells, and check it before anything is written.

Each value of the mapping becomes the text of a formula on the ComputeCredit sheet (a reference
to their cell with ``$`` anchors, their defined name, or their formula) or a typed value, and the
value it reads now. Every problem is collected and reported together, one line per field,
naming the field and the cell: a sheet or a name that does not exist, an empty cell, text where
a number is needed, a value outside the field's domain, a deal the model cannot run (a tenor that
is not a whole number of payment periods, say).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..audit import formula as fx
from ..audit.mapping import LOSS_FIELDS, THEIRS, MappingError, known_fields, loss_default
from ..engine.cellmap import CellMap
from ..engine.sheetxml import ErrorValue, coord

__all__ = ["Mapped", "Resolution", "resolve"]


@dataclass
class Mapped:
    field: str
    formula: str | None = None       # formula text for our cell (no "=")
    literal: Any = None              # or a typed value
    value: Any = None                # what it reads now
    source: str = ""                 # what the sheet shows in its "from the deal" column
    cells: list[tuple[str, int, int]] = field(default_factory=list)   # theirs: in order
    default: bool = False            # the model's default, not the deal's cell


@dataclass
class Resolution:
    deal: dict[str, Mapped]
    loss: dict[str, Mapped]
    theirs: dict[str, Mapped]
    target: Mapped | None
    values: dict[str, Any]           # the deal's values as parse_deal reads them

    @property
    def has_loss(self) -> bool:
        return "pd" in self.loss and not self.loss["pd"].default


class _Errors(list):
    def add(self, name: str, where: str, text: str) -> None:
        self.append(f"{name} -> {where}: {text}" if where else f"{name}: {text}")


def resolve(mapping: dict[str, Any], cm: CellMap, engine_functions: set[str]) -> Resolution:
    """Check ``mapping`` (field -> value, as :func:`~workbook.audit.mapping.read_mapping`
    returns it) against the deal's cells; raise :class:`MappingError` listing every problem."""
    from pymodel.dscr.deal import DEAL_FIELDS
    from pymodel.schema import SCHEMA, load_all
    load_all()
    errors = _Errors()
    r = _Resolver(cm, errors, engine_functions)
    fields = known_fields()
    deal: dict[str, Mapped] = {}
    loss: dict[str, Mapped] = {}
    theirs: dict[str, Mapped] = {}
    target = None
    for name, v in mapping.items():
        group = fields[name]
        if group == "theirs":
            got = r.series(name, v)
            if got is not None:
                theirs[name] = got
            continue
        got = r.scalar(name, v, SCHEMA[name])
        if got is None:
            continue
        if name == "target":
            target = got
        elif group == "deal":
            deal[name] = got
        else:
            loss[name] = got
    values = {}
    for f in DEAL_FIELDS.fields.values():
        if f.name in deal:
            values[f.name] = deal[f.name].value
        elif f.param.required and not f.when and f.name not in mapping:
            errors.add(f.name, "", f"required ({f.param.unit or f.param.bound()}) and not in "
                                   f"the map: give the deal's cell, a name or a number")
    if errors:
        raise MappingError(_message(errors))
    try:
        import dataclasses

        from pymodel.dscr.deal import parse_deal
        values = dataclasses.asdict(parse_deal(values))   # every field, defaults filled in
    except Exception as exc:  # the model's own message names the field and the bound
        name = getattr(exc, "name", "")
        where = deal[name].source if name in deal else ""
        errors.add(name or "deal", where, _plain(exc))
        raise MappingError(_message(errors)) from None
    if "pd" in loss:
        for name in ("collateral_vol", "rho_collateral", "horizon_years"):
            if name not in loss:
                value, source = loss_default(name)
                loss[name] = Mapped(name, None, value, value, f"default ({source})",
                                    default=True)
    return Resolution(deal, loss, theirs, target, values)


def _plain(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:300]


def _message(errors: list[str]) -> str:
    head = "the map cannot be used (nothing was written):"
    return head + "".join(f"\n  {e}" for e in errors)


class _Resolver:
    def __init__(self, cm: CellMap, errors: _Errors, engine_functions: set[str]):
        self.cm = cm
        self.errors = errors
        self.functions = engine_functions

    # -- references ------------------------------------------------------------------------
    def _sheet(self, name: str | None, field_name: str, text: str) -> str | None:
        if name is None:
            if len(self.cm.sheets) == 1:
                return self.cm.sheets[0].name
            self.errors.add(field_name, text, "give the sheet as well (Sheet!B3): the workbook "
                                              "has more than one sheet")
            return None
        s = self.cm.sheet(name)
        if s is None:
            shown = ", ".join(x.name for x in self.cm.sheets[:8])
            self.errors.add(field_name, text, f"there is no sheet {name!r} (sheets: {shown})")
            return None
        return s.name

    def _refs(self, node: Any, field_name: str, text: str, depth: int = 0
              ) -> list[tuple[str, fx.Ref]] | None:
        """References of a node (names resolved), or None after reporting a problem."""
        out = []
        for n in fx.refs_in(node):
            if isinstance(n, fx.Ref):
                sheet = self._sheet(n.sheet, field_name, text)
                if sheet is None:
                    return None
                out.append((sheet, n))
            else:
                dn = self.cm.name(n.name, n.sheet)
                if dn is None:
                    self.errors.add(field_name, text, f"there is no defined name {n.name!r} "
                                                      f"in the workbook")
                    return None
                sub = fx.parse(dn.text)
                if sub is None or depth > 3:
                    self.errors.add(field_name, text, f"the name {n.name!r} refers to "
                                                      f"{dn.text[:60]!r}, which is not a "
                                                      f"reference we can read")
                    return None
                got = self._refs(sub, field_name, text, depth + 1)
                if got is None:
                    return None
                out += got
        return out

    def _value_of(self, sheet: str, r: int, c: int) -> Any:
        cell = self.cm.sheet(sheet).get(r, c)
        return None if cell is None else cell.value

    def _where(self, sheet: str, r: int, c: int) -> str:
        return f"{fx.quote_sheet(sheet)}!{coord(r, c)}"

    # -- a scalar field ------------------------------------------------------------------------
    def scalar(self, name: str, v: Any, par: Any) -> Mapped | None:
        numeric = par.kind in ("float", "int")
        if isinstance(v, bool):
            self.errors.add(name, str(v), f"a number or a cell is needed ({par.unit})")
            return None
        if isinstance(v, (int, float)):
            return self._check(name, par, Mapped(name, None, float(v), float(v),
                                                 "typed in the map"), f"typed {v:g}")
        if not isinstance(v, str):
            self.errors.add(name, str(v)[:40], "give a cell, a defined name, a number or a "
                                               "formula")
            return None
        text = v.strip()
        if text.startswith("="):
            return self._formula(name, par, text)
        node = fx.parse(text)
        if isinstance(node, (fx.Ref, fx.Name)) and not (isinstance(node, fx.Name) and
                                                        par.kind == "choice" and
                                                        self.cm.name(node.name) is None):
            return self._reference(name, par, node, text)
        if par.kind == "choice":
            return self._check(name, par, Mapped(name, None, text, text, "typed in the map"),
                               text)
        try:
            x = float(text)
        except ValueError:
            self.errors.add(name, text, "not a cell (Sheet!B3), a defined name, a number or a "
                                        "formula (=...)")
            return None
        return self._check(name, par, Mapped(name, None, x, x, "typed in the map"),
                           f"typed {text}")

    def _reference(self, name: str, par: Any, node: Any, text: str) -> Mapped | None:
        refs = self._refs(node, name, text)
        if refs is None:
            return None
        if len(refs) != 1 or not refs[0][1].is_cell:
            self.errors.add(name, text, "refers to a range; give one cell")
            return None
        sheet, ref = refs[0]
        value = self._value_of(sheet, ref.r1, ref.c1)
        where = self._where(sheet, ref.r1, ref.c1)
        shown = text if isinstance(node, fx.Name) else where
        if value is None:
            self.errors.add(name, shown, "the cell is empty (or holds a formula without a "
                                         "value)" if isinstance(node, fx.Ref) else
                            f"the name points at {where}, which is empty")
            return None
        formula = node.name if isinstance(node, fx.Name) and node.sheet is None else \
            fx.render(node, host=sheet, absolute=True)
        label = _label(self.cm, sheet, ref.r1, ref.c1)
        source = f"{shown}" + (f" ({label})" if label else "")
        return self._check(name, par, Mapped(name, formula, None, value, source), shown)

    def _formula(self, name: str, par: Any, text: str) -> Mapped | None:
        node = fx.parse(text[1:])
        if node is None:
            self.errors.add(name, text, "not a formula we can read")
            return None
        for call in fx.calls_in(node):
            if call.name not in self.functions:
                self.errors.add(name, text, f"uses {call.name}, which the headless engine "
                                            f"does not know")
                return None
        refs = self._refs(node, name, text)
        if refs is None:
            return None
        for sheet, ref in refs:
            if ref.size > 10_000:
                self.errors.add(name, text, "refers to a very large range")
                return None
            for rr, cc in ref.cells():
                if self._value_of(sheet, rr, cc) is None and ref.is_cell:
                    self.errors.add(name, text, f"{self._where(sheet, rr, cc)} is empty")
                    return None
        try:
            value = fx.evaluate(node, lambda n: self._lookup(n, name, text))
        except fx.NotComputable:
            value = None
        except _Stop:
            return None
        host = self.cm.sheets[0].name if len(self.cm.sheets) == 1 else None
        formula = _qualify(node, host)
        return self._check(name, par, Mapped(name, formula, None, value, text), text)

    def _lookup(self, n: Any, name: str, text: str) -> Any:
        refs = self._refs(n, name, text)
        if refs is None:
            raise _Stop
        vals = []
        for sheet, ref in refs:
            for rr, cc in ref.cells():
                vals.append(self._value_of(sheet, rr, cc))
        if len(vals) == 1:
            v = vals[0]
            if isinstance(v, ErrorValue):
                raise fx.NotComputable("error cell")
            return v
        return [v for v in vals if isinstance(v, float)]

    def _check(self, name: str, par: Any, m: Mapped, where: str) -> Mapped | None:
        v = m.value
        if isinstance(v, ErrorValue):
            self.errors.add(name, where, f"the cell shows the error {v.code}; fix it in the "
                                         f"deal first")
            return None
        if par.kind in ("float", "int"):
            if isinstance(v, str):
                self.errors.add(name, where, f"holds text {v[:40]!r} where a number is needed "
                                             f"({par.unit or par.bound()})")
                return None
            if isinstance(v, bool):
                self.errors.add(name, where, f"holds TRUE/FALSE where a number is needed "
                                             f"({par.unit})")
                return None
            if v is None:
                if name in ("debt_years", "payments_per_year"):
                    self.errors.add(name, where, "the value cannot be computed before writing "
                                                 "(it sizes the tables): give a cell that holds "
                                                 "a number")
                    return None
                return m
            try:
                m.value = par.check(v)
            except Exception as exc:
                self.errors.add(name, where, _plain(exc) + _percent_hint(par, v, where))
                return None
            if isinstance(m.value, (int, float)) and not isinstance(m.value, bool):
                m.value = float(m.value) if par.kind == "float" else int(m.value)
        elif par.kind == "choice":
            if not isinstance(v, str):
                self.errors.add(name, where, f"must be one of {par.bound()[7:]}; got {v!r}")
                return None
            try:
                m.value = par.check(v)
            except Exception as exc:
                self.errors.add(name, where, _plain(exc))
                return None
        elif par.kind == "list":
            try:
                m.value = par.check(v)
            except Exception as exc:
                self.errors.add(name, where, _plain(exc))
                return None
        return m

    # -- their series ------------------------------------------------------------------------
    def series(self, name: str, v: Any) -> Mapped | None:
        if not isinstance(v, str) or not v.strip():
            self.errors.add(name, str(v)[:40], f"give a row or column of cells "
                                               f"({THEIRS[name]})")
            return None
        text = v.strip().lstrip("=")
        node = fx.parse(text)
        if not isinstance(node, (fx.Ref, fx.Name)):
            self.errors.add(name, text, "not a range such as Model!C18:H18 or a defined name")
            return None
        refs = self._refs(node, name, text)
        if refs is None:
            return None
        if len(refs) != 1:
            self.errors.add(name, text, "give one row or column")
            return None
        sheet, ref = refs[0]
        if ref.r1 != ref.r2 and ref.c1 != ref.c2:
            self.errors.add(name, text, "give one row or column, not a block")
            return None
        if ref.size > 2_000:
            self.errors.add(name, text, f"{ref.size} cells; give the periods of the deal")
            return None
        cells = [(sheet, rr, cc) for rr, cc in ref.cells()]
        nums = [self._value_of(*k) for k in cells]
        if sum(isinstance(x, float) for x in nums) < 2:
            shown = next((x for x in nums if isinstance(x, str)), None)
            err = next((x for x in nums if isinstance(x, ErrorValue)), None)
            if err is not None:
                what = (f"shows {err.code} (an error in the deal, or a formula the headless "
                        f"engine could not compute)")
            elif shown:
                what = f"holds text such as {shown[:30]!r}"
            else:
                what = "holds fewer than two numbers"
            self.errors.add(name, text, f"{what}; numbers per period are needed")
            return None
        where = f"{fx.quote_sheet(sheet)}!{coord(ref.r1, ref.c1)}:{coord(ref.r2, ref.c2)}"
        return Mapped(name, None, None, nums, where, cells)


class _Stop(Exception):
    pass


def _percent_hint(par: Any, v: Any, where: str) -> str:
    """A hint when a cell holds a percentage (85) where the model wants a decimal (0.85)."""
    if not isinstance(v, float) or not 1 < abs(v) <= 100:
        return ""
    try:
        par.check(v / 100)
    except Exception:
        return ""
    if where.startswith("typed"):
        return f" (a percentage? write {v / 100:g})"
    shown = where if not where.startswith("=") else f"({where[1:]})"
    return f" (a percentage? map it as ={shown}/100)"


def _qualify(node: Any, host: str | None) -> str:
    """Formula text with every reference on its sheet (so it reads the same cells from the
    ComputeCredit sheet)."""
    return fx.render(node, host=host, absolute=True)


def _label(cm: CellMap, sheet: str, r: int, c: int) -> str:
    from ..audit.axes import cell_label
    text = cell_label(cm.sheet(sheet), r, c)
    return " ".join(text.split())[:60]


# re-exported for the command's messages
__all__ += ["MappingError", "LOSS_FIELDS"]
