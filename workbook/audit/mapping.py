"""The mapping of the model's fields to a deal spreadsheet's own cells.

A mapping says, for each field of the parameter schema the retrofit needs (the deal block's
fields, :data:`pymodel.dscr.deal.DEAL_FIELDS`, and the loss inputs of ``LGD_CORR``), where the
deal holds it: a cell (``Inputs!B3``), a defined name (``gpu_cost``), a number, a text option
(``annuity``) or a formula over the deal's cells (``=1-Inputs!B9``). Four more keys name the
sheet's own straight-line results to compare with (:data:`THEIRS`).

:func:`propose` drafts one from an audit (labels, the arguments of ``SLN`` and its kin, the
shapes of the rows, defined names); :func:`write_draft` writes it as TOML, YAML or CSV for a
person to review; :func:`read_mapping` reads a mapping back (TOML, YAML, CSV, or a two-column
sheet of an .xlsx) and checks every key against the schema.
"""

from __future__ import annotations

import csv
import difflib
import io
import json
import math
import os
import re
from dataclasses import dataclass, field
from typing import Any

from . import formula as fx
from .labels import field_for_label, normalise

__all__ = ["Entry", "Proposal", "propose", "write_draft", "read_mapping", "MappingError",
           "THEIRS", "LOSS_FIELDS", "deal_field_names", "known_fields", "DRAFT_FORMATS"]

#: The sheet's own results compared with the model's, row by row.
THEIRS = {
    "their_book_value": "their straight-line value path (a row or column; per GPU or for the "
                        "fleet)",
    "their_rent": "their rent per GPU-hour per period (a row or column)",
    "their_dscr": "their DSCR per period (a row or column)",
    "their_ltv": "their LTV per period (a row or column)",
    "their_llcr": "their LLCR per period (a row or column)",
}

#: Loss fields of the schema used next to their fixed recovery (LGD_CORR and its coverage).
LOSS_FIELDS = ("pd", "lgd", "ead", "gpu_haircut", "collateral_vol", "horizon_years",
               "rho_collateral", "asset_corr", "theta")

#: Schema fields whose value is a share or rate in decimals (a cell holding 85 means 85%).
_DECIMALS = {"utilization", "contracted_share", "tax_rate", "tenant_pd", "debt_rate",
             "balloon_share", "discount_rate", "pd", "lgd", "gpu_haircut", "deflation",
             "collateral_vol", "rho_collateral", "asset_corr", "theta"}
_HOURS = {"month": 8760 / 12, "year": 8760.0, "day": 24.0, "week": 168.0}

DRAFT_FORMATS = (".toml", ".yaml", ".yml", ".csv")


class MappingError(ValueError):
    """A mapping that cannot be used; ``str(exc)`` names the field and the cell."""


def deal_field_names() -> list[str]:
    from pymodel.dscr.deal import DEAL_FIELDS
    return DEAL_FIELDS.names()


def known_fields() -> dict[str, str]:
    """Every key a mapping may hold: field -> group (deal, loss, theirs)."""
    out = {name: "deal" for name in deal_field_names()}
    out["target"] = "deal"
    out.update({name: "loss" for name in LOSS_FIELDS})
    out.update({name: "theirs" for name in THEIRS})
    return out


@dataclass
class Entry:
    field: str
    expr: Any                 # cell/name text, "=formula", number, text option, or None
    source: str = ""          # how the audit found it
    value: Any = None         # what it reads now
    note: str = ""
    score: int = 0

    @property
    def group(self) -> str:
        return known_fields().get(self.field, "deal")


@dataclass
class Proposal:
    entries: dict[str, Entry] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)      # required fields not found
    defaults: dict[str, Any] = field(default_factory=dict)  # fields left to the schema
    defaults_note: str = ""   # what the sheet itself assumes for a defaulted field
    alternatives: dict[str, Entry] = field(default_factory=dict)  # offered as comments only
    findings: int = 0        # open findings of the audit that proposed it
    notes: list[str] = field(default_factory=list)   # said when the draft is written

    def offer(self, e: Entry) -> None:
        old = self.entries.get(e.field)
        if old is None or e.score > old.score:
            self.entries[e.field] = e

    def cell_of(self, name: str) -> str | None:
        """What the map would give ``name``: a cell, a name, a formula or a typed value."""
        e = self.entries.get(name)
        if e is None or e.expr is None:
            return None
        if isinstance(e.expr, (int, float)) and not isinstance(e.expr, bool):
            return f"{e.expr:g}"
        return str(e.expr)

    def as_dict(self) -> dict[str, Any]:
        return {"fields": {k: {"map": e.expr, "source": e.source, "value": _plain(e.value),
                               "note": e.note} for k, e in self.entries.items()},
                "missing_required": list(self.missing),
                "defaults": {k: _plain(v) for k, v in self.defaults.items()}}


def _plain(v: Any) -> Any:
    if isinstance(v, tuple):
        return list(v)
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v if isinstance(v, (int, float, str, bool, list, type(None))) else str(v)


# --------------------------------------------------------------------------------------------
# proposing

def propose(audit: Any, book: Any) -> Proposal:
    """A draft mapping from an audit (see the module docstring)."""
    p = Proposal()
    _from_findings(p, audit, book)
    _from_labels(p, book)
    _from_names(p, book)
    _derived(p, audit, book)
    _prefer_names(p, book)
    _units(p, book)
    own = p.entries.pop("deflation", None)
    if own is not None:
        # their growth rate is the assumption the model replaces: offered as a comment, the
        # map keeps the model's market deflation
        p.alternatives["deflation"] = own
        p.defaults_note = (f"their sheet's own rate is {own.expr} ({own.source}); the model "
                           f"uses the market's deflation")
    from pymodel.schema import SCHEMA, load_all
    load_all()
    from pymodel.dscr.deal import DEAL_FIELDS
    for f in DEAL_FIELDS.fields.values():
        if f.name in p.entries:
            continue
        if f.param.required and not f.when:
            p.missing.append(f.name)
        else:
            p.defaults[f.name] = f.param.default
    for name in ("collateral_vol", "rho_collateral", "horizon_years"):
        if name not in p.entries:
            p.defaults[name] = _LOSS_DEFAULTS[name][0]
    if "pd" not in p.entries and any(e.field == "lgd" for e in p.entries.values()):
        p.missing.append("pd")
    return p


#: Loss inputs LGD_CORR requires that a deal sheet rarely holds: the schema's documented
#: defaults of the same quantities in the Monte Carlo LGD (calm regime) and the workout time.
_LOSS_DEFAULTS = {
    "collateral_vol": (0.4, "gpu_vol"),
    "rho_collateral": (0.4, "gpu_corr_calm"),
    "horizon_years": (1.0, "horizon_years"),
}


def loss_default(name: str) -> tuple[float, str]:
    """(value, schema parameter it comes from) of a loss input left out of a mapping."""
    from pymodel.schema import SCHEMA, load_all
    load_all()
    _, source = _LOSS_DEFAULTS[name]
    p = SCHEMA[source]
    return float(p.default), f"{source}: {p.source}"


def _cell_expr(inp: Any) -> str | None:
    return inp.cell if inp is not None and inp.cell else None


def _from_findings(p: Proposal, audit: Any, book: Any) -> None:
    roles = {"cost": "gpu_cost", "salvage": "salvage", "life": "book_life_years",
             "rent": "rent0", "utilisation": "utilization", "gpus": "gpus",
             "cash cost": "cash_cost"}
    for f in audit.findings:
        for inp in f.inputs:
            name = roles.get(inp.role)
            if name is None:
                continue
            node = fx.parse(inp.text) if inp.text else None
            if isinstance(node, fx.Name) and book.cm.name(node.name, node.sheet or f.sheet):
                expr = inp.text          # their defined name reads better than its address
            else:
                expr = _cell_expr(inp)
            if expr is None:
                if isinstance(inp.value, float):
                    expr = inp.value
                elif inp.text and fx.parse(inp.text) is not None:
                    expr = "=" + fx.render(fx.parse(inp.text), host=f.sheet)
                else:
                    continue
            where = f"{f.title} at {f.where}"
            p.offer(Entry(name, expr, f"{inp.role} used by {where}", inp.value, score=5))
        if f.kind == "utilisation_fixed":
            v = f.detail.get("utilisation")
            first = f.where if ":" not in f.ref else \
                f"{fx.quote_sheet(f.sheet)}!{f.ref.split(':')[0]}"
            p.offer(Entry("utilization", first, f"{f.title} at {f.where}", v, score=4))
        if f.kind == "rent_flat" or f.kind == "rent_constant_growth" or f.kind == "rent_linear":
            if not any(i.role == "rent" for i in f.inputs):
                first = f"{fx.quote_sheet(f.sheet)}!{f.ref.split(':')[0]}"
                p.offer(Entry("rent0", first, f"first period of {f.title.lower()} at "
                                              f"{f.where}", f.values[0] if f.values else None,
                              score=2))
        if f.kind in ("rent_flat", "rent_constant_growth", "rent_linear") and \
                ":" in f.ref:
            p.offer(Entry("their_rent", f.where, f"{f.title} ({f.label or 'no label'})",
                          score=5))
        if f.kind in ("rent_constant_growth", "revenue_constant_growth"):
            ser = next((s for s in audit.series if s.sheet == f.sheet and s.where() == f.ref),
                       None)
            if ser is not None and len(ser.cells) >= 2:
                from ..engine.sheetxml import coord
                a = f"{fx.quote_sheet(f.sheet)}!{coord(*ser.cells[0])}"
                b = f"{fx.quote_sheet(f.sheet)}!{coord(*ser.cells[1])}"
                freq = ser.freq
                expr = f"=1-({b}/{a})" + (f"^{freq}" if freq != 1 else "")
                g = f.detail.get("growth_per_year")
                p.offer(Entry("deflation", expr, f"annual decline of {f.title.lower()} at "
                                                 f"{f.where} (their growth {g:+.1%} a year)"
                              if isinstance(g, float) else f.where,
                              -g if isinstance(g, float) else None, score=7 if
                              f.kind.startswith("rent") else 2))
        if f.kind == "rent_growth_fixed":
            first = f"{fx.quote_sheet(f.sheet)}!{f.ref.split(':')[0]}"
            g = f.detail.get("growth")
            p.offer(Entry("deflation", f"=-{first}", f"their rent growth at {f.where}, sign "
                                                     f"reversed", -g if isinstance(g, float)
                          else None, score=4))
        first_cell = f.where if ":" not in f.ref else \
            f"{fx.quote_sheet(f.sheet)}!{f.ref.split(':')[0]}"
        raw = f.values[0] if f.values else None
        if f.kind == "fixed_recovery":
            pct = isinstance(raw, float) and raw > 1
            p.offer(Entry("lgd", f"=1-{first_cell}" + ("/100" if pct else ""),
                          f"their fixed recovery rate at {f.where}", f.detail.get("lgd"),
                          score=5, note="their cell holds a percentage" if pct else ""))
        elif f.kind == "fixed_lgd":
            p.offer(Entry("lgd", first_cell, f"their fixed LGD at {f.where}", raw, score=5))
        elif f.kind == "fixed_haircut":
            p.offer(Entry("gpu_haircut", f.where if ":" not in f.ref else
                          f"{fx.quote_sheet(f.sheet)}!{f.ref.split(':')[0]}",
                          f"their fixed haircut at {f.where}", f.values[0] if f.values
                          else f.detail.get("haircut"), score=4))
        theirs = {"dscr": "their_dscr", "ltv": "their_ltv", "llcr": "their_llcr"}.get(f.kind)
        if theirs:
            p.offer(Entry(theirs, f.where, f"{f.title} ({f.label or 'no label'})",
                          score=5 if f.detail.get("detected_by") == "label" else 4))
            if f.kind == "dscr" and f.frequency and f.detail.get("frequency_known", True):
                p.offer(Entry("payments_per_year", f.frequency,
                              f"periods a year of their DSCR row ({f.where})", f.frequency,
                              score=3))
        if f.category == "depreciation" and f.kind in ("straight_line_value",
                                                       "straight_line_declining"):
            score = 5 if "book" in normalise(f.label) or "value" in normalise(f.label) else 4
            p.offer(Entry("their_book_value", f.where, f"{f.title} ({f.label or 'no label'})",
                          score=score))


def _plausible(name: str, value: Any) -> bool:
    from pymodel.schema import SCHEMA, load_all
    load_all()
    if name not in SCHEMA:
        return True
    par = SCHEMA[name]
    if par.kind in ("float", "int"):
        if not isinstance(value, float):
            return False
        if name in _DECIMALS and 1 < value <= 100:
            value = value / 100
        if par.kind == "int" and not par.choices and not float(value).is_integer():
            return False
        try:
            par.check(value if par.kind == "float" else int(value) if not par.choices
                      else value)
        except Exception:
            return False
        return True
    if par.kind == "choice":
        return isinstance(value, str) and value.strip().lower() in {str(c).lower()
                                                                     for c in par.choices}
    return True


def _from_labels(p: Proposal, book: Any) -> None:
    for s in book.cm.sheets:
        for (r, c), cell in sorted(s.cells.items()):
            key = (s.name, r, c)
            if book.series_of.get(key) is not None or cell.formula is None and \
                    cell.value is None or isinstance(cell.value, bool) or cell.date:
                continue
            if not isinstance(cell.value, (float, str)):
                continue
            if isinstance(cell.value, str) and cell.value.strip().lower() not in \
                    ("annuity", "linear", "bullet", "sculpted"):
                continue
            lab = normalise(book.label(s.name, r, c))
            name = field_for_label(lab)
            if name is None or name in THEIRS or not _plausible(name, cell.value):
                continue
            p.offer(Entry(name, book.where(s.name, r, c), f"label '{_short(book.label(s.name, r, c))}'",
                          cell.value, score=3))


def _from_names(p: Proposal, book: Any) -> None:
    fields = known_fields()
    for dn in book.cm.names:
        if dn.name.startswith("_xlnm") or dn.scope is not None:
            continue
        node = fx.parse(dn.text)
        refs = book.refs(node, "") if node is not None else []
        if len(refs) != 1 or not refs[0][1].is_cell:
            continue
        s, ref = refs[0]
        cell = book.cell(s, ref.r1, ref.c1)
        if cell is None:
            continue
        plain = dn.name.lower()
        for prefix in ("deal_", "cc_", "in_", "inp_", "input_"):
            if plain.startswith(prefix) and plain[len(prefix):] in fields:
                plain = plain[len(prefix):]
        if plain in fields and fields[plain] != "theirs":
            name, score = plain, 6
        else:
            name, score = field_for_label(normalise(dn.name.replace("_", " "))), 4
        if name is None or name in THEIRS or not _plausible(name, cell.value):
            continue
        p.offer(Entry(name, dn.name, f"defined name {dn.name}", cell.value, score=score))


def _prefer_names(p: Proposal, book: Any) -> None:
    """A cell the workbook names is mapped by its (workbook-level) name."""
    for e in p.entries.values():
        if not isinstance(e.expr, str) or e.expr.startswith("="):
            continue
        node = fx.parse(e.expr)
        if not isinstance(node, fx.Ref) or not node.is_cell or node.sheet is None:
            continue
        sheet = book.sheet(node.sheet)
        if sheet is None:
            continue
        names = [n.name for n in book.names_of(sheet.name, node.r1, node.c1)
                 if n.scope is None and not n.name.startswith("_xlnm")]
        if names:
            e.source = f"{e.source} ({e.expr})"
            e.expr = names[0]


def _derived(p: Proposal, audit: Any, book: Any) -> None:
    """Fields the sheet states by its structure: tenor and frequency of the DSCR row, the
    repayment profile, no tax line, flat rents."""
    dscr = next((f for f in audit.findings if f.kind == "dscr"), None)
    if "debt_years" not in p.entries and dscr is not None and dscr.frequency:
        n = len(dscr.values)
        p.offer(Entry("debt_years", n / dscr.frequency, f"{n} periods of their DSCR row "
                                                        f"({dscr.where})", n / dscr.frequency,
                      score=1))
    if "payments_per_year" not in p.entries:
        axes = [a for a in audit.axes if a.freq_known]
        if axes:
            p.offer(Entry("payments_per_year", axes[0].freq, f"time axis at "
                          f"{fx.quote_sheet(axes[0].sheet)}!{axes[0].where()}", axes[0].freq,
                          score=1))
    pmt = None
    for (sheet, r, c), node in book.nodes.items():
        if node is not None and any(x.name == "PMT" for x in fx.calls_in(node)):
            pmt = book.where(sheet, r, c)
            break
    if pmt and "amortization" not in p.entries:
        p.offer(Entry("amortization", "annuity", f"PMT at {pmt}", "annuity", score=2))
    if "tax_rate" not in p.entries:
        taxed = any(isinstance(cell.value, str) and re.search(r"\btax", normalise(cell.value))
                    for _, _, _, cell in book.cm.iter_cells())
        if not taxed:
            p.offer(Entry("tax_rate", 0.0, "no tax line anywhere in the workbook: their "
                                           "coverage is before tax, so is the model's", 0.0,
                          score=1, note="the model's default is 0.21"))
    if "deflation" not in p.entries:
        flat = next((f for f in audit.findings if f.kind in ("rent_flat", "revenue_flat")),
                    None)
        if flat is not None:
            p.defaults_note = (f"their sheet holds rents flat ({flat.where}); the model "
                               f"applies the market's deflation")


def _units(p: Proposal, book: Any) -> None:
    """Percentages and rents per month or year, converted in the mapping's formula."""
    for name, e in list(p.entries.items()):
        if not isinstance(e.expr, str) or e.expr.startswith("="):
            continue
        v = e.value
        if name in _DECIMALS:
            # what the cell holds (a finding may have read 88 as 0.88 already)
            held = _cell_value(book, e)
            v = held if isinstance(held, float) else v
        if not isinstance(v, float):
            continue
        if name == "deflation":
            _deflation_units(e)
        elif name in _DECIMALS and 1 < v <= 100:
            e.expr, e.note = f"={e.expr}/100", "their cell holds a percentage"
            e.value = v / 100
        elif name in ("rent0", "cash_cost", "contract_rate"):
            lab = _label_of(book, e)
            if re.search(r"\bhours?\b|\bhourly\b|\bhrs?\b|/ ?(gpu ?)?h\b|gpu ?h\b", lab):
                continue          # per hour already
            for word, hours in _HOURS.items():
                if re.search(rf"\b{word}|\b{word[:2]}\b|{word}ly", lab) and word != "day" or \
                        word == "day" and re.search(r"\bday|\bdaily", lab):
                    e.expr = f"={e.expr}/{hours:g}"
                    e.note = f"their figure is per {word}; the model wants per GPU-hour"
                    e.value = v / hours
                    break
            else:
                if v > 50:
                    e.note = "check the unit: the model wants currency per GPU-hour"
        elif name in ("debt_years", "book_life_years", "contract_years") and \
                re.search(r"\bmonths?\b", _label_of(book, e)):
            e.expr, e.note = f"={e.expr}/12", "their figure is in months"
            e.value = v / 12
    sal, cost = p.entries.get("salvage"), p.entries.get("gpu_cost")
    if sal and cost and isinstance(sal.value, float) and 0 <= sal.value <= 1 and \
            isinstance(sal.expr, str) and not sal.expr.startswith("=") and \
            _ref_text(cost.expr) and re.search(r"%|\bof (cost|purchase|price)|\bshare\b|"
                                               r"\bpercent", _label_of(book, sal)):
        # a residual value given as a share of the cost: the model wants currency per GPU
        sal.expr = f"={_ref_text(cost.expr)}*{sal.expr}"
        sal.note = "their salvage is a share of the cost; the model wants currency per GPU"
        if isinstance(cost.value, float):
            sal.value = cost.value * sal.value
    gpus = p.entries.get("gpus")
    cost = p.entries.get("gpu_cost")
    if gpus and cost and isinstance(gpus.value, float) and gpus.value >= 2 and \
            isinstance(cost.value, float) and isinstance(cost.expr, str) and \
            not cost.expr.startswith("=") and cost.value / gpus.value >= 500 and \
            cost.value > 1_000_000 and _ref_text(gpus.expr):
        cost.expr = f"={cost.expr}/{_ref_text(gpus.expr)}"
        cost.note = "their cost is for the fleet; the model wants it per GPU"
        cost.value = cost.value / gpus.value
        sal = p.entries.get("salvage")
        if sal and isinstance(sal.value, float) and isinstance(sal.expr, str) and \
                not sal.expr.startswith("=") and sal.value > 50_000:
            sal.expr = f"={sal.expr}/{_ref_text(gpus.expr)}"
            sal.note = "their salvage is for the fleet; the model wants it per GPU"
            sal.value = sal.value / gpus.value


def _cell_value(book: Any, e: Entry) -> Any:
    """The value of the one cell an entry maps, or None."""
    node = fx.parse(e.expr) if isinstance(e.expr, str) else None
    refs = book.refs(node, "") if node is not None else []
    if len(refs) == 1 and refs[0][1].is_cell:
        cell = book.cell(refs[0][0], refs[0][1].r1, refs[0][1].c1)
        return None if cell is None else cell.value
    return None


def _label_of(book: Any, e: Entry) -> str:
    """The normalised label of the cell an entry maps (what its unit is read from): not its
    whole source text, which names sheets ("Monthly!B3") that say nothing about the unit."""
    node = fx.parse(e.expr) if isinstance(e.expr, str) else None
    refs = book.refs(node, "") if node is not None else []
    if len(refs) == 1 and refs[0][1].is_cell:
        s, ref = refs[0]
        text = book.label(s, ref.r1, ref.c1)
        if text:
            return normalise(text)
    m = re.match(r"label '(.*)'", e.source)
    return normalise(m.group(1) if m else re.sub(r" at \S+$", "", e.source))


def _deflation_units(e: Entry) -> None:
    """Their growth or decline rate, per year or per period, as the model's annual decline."""
    lab = normalise(e.source + " " + str(e.expr).replace("_", " "))
    v = e.value
    if 1 < abs(v) <= 100:
        ref, v = f"{e.expr}/100", v / 100
    else:
        ref = e.expr
    growth = not re.search(r"declin|deflat|decay|erosion|decrease|fall|drop", lab)
    freq = 4 if re.search(r"\bq\b|quarter|qtr", lab) else 12 if re.search(
        r"\bm\b|month", lab) else 2 if re.search(r"\bh\b|half|semi", lab) else 1
    inner = f"(1+{ref})" if growth else f"(1-{ref})"
    if freq == 1:
        e.expr = f"=-{ref}" if growth else (f"={ref}" if ref != e.expr else e.expr)
        e.value = -v if growth else v
    else:
        e.expr = f"=1-{inner}^{freq}"
        e.value = 1 - (1 + v) ** freq if growth else 1 - (1 - v) ** freq
    words = "growth" if growth else "decline"
    per = {1: "a year", 2: "a half-year", 4: "a quarter", 12: "a month"}[freq]
    e.note = f"their {words} rate {per}, as the model's annual decline"


def _ref_text(expr: Any) -> str | None:
    return expr if isinstance(expr, str) and not expr.startswith("=") else None


def _short(text: str, n: int = 60) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[:n - 3] + "..."


# --------------------------------------------------------------------------------------------
# writing a draft

def _comment(text: str) -> str:
    """Text safe inside a one-line comment (line breaks and terminal controls escaped)."""
    from ..engine.report import safe
    return safe(text, 200)


def _toml_str(s: str) -> str:
    return json.dumps(s, ensure_ascii=False)  # a JSON string is a valid TOML basic string


def write_draft(p: Proposal, path: str, source_name: str) -> str:
    """Write the draft mapping to ``path`` (.toml, .yaml/.yml or .csv); return the text."""
    ext = os.path.splitext(path)[1].lower()
    if ext not in DRAFT_FORMATS:
        raise MappingError(f"the draft map must be .toml, .yaml or .csv (got {path!r})")
    text = {".toml": _toml, ".yaml": _yaml, ".yml": _yaml, ".csv": _csv}[ext](p, source_name)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write(text)
    return text


def _header(source_name: str, mark: str) -> list[str]:
    return [f"{mark} ComputeCredit retrofit map for {_comment(source_name)}: our field = their "
            f"cell.",
            f"{mark} Proposed by the audit from labels, formulas and defined names: review "
            f"every line.",
            f"{mark} A value is a cell (\"Inputs!B3\"), a defined name, a number, a text option "
            f"or a formula",
            f"{mark} over the deal's cells (\"=1-Inputs!B9\"). Fields left out take the "
            f"model's documented default.",
            f"{mark} Field names, units and defaults: DEAL_FIELDS() in Excel, docs/retrofit.md."]


def _lines(p: Proposal) -> list[tuple[str, str, list[tuple[str, Any, str]]]]:
    """(group, title, [(field, value, comment)]) in the order the sheet uses."""
    from pymodel.schema import SCHEMA, load_all
    load_all()
    fields = known_fields()
    groups = []
    for group, title in (("deal", "the deal block (DEAL_FIELDS)"),
                         ("loss", "loss inputs next to their fixed recovery (LGD_CORR)"),
                         ("theirs", "their straight-line results, compared period by period")):
        rows = []
        order = [n for n in fields if fields[n] == group]
        for name in order:
            e = p.entries.get(name)
            if e is None:
                continue
            unit = SCHEMA[name].unit if name in SCHEMA else ""
            parts = [e.source]
            if isinstance(e.value, float):
                parts.append(f"now {e.value:g}")
            if e.note:
                parts.append(e.note)
            if unit:
                parts.append(f"unit: {unit}")
            elif name in THEIRS:
                parts.append(THEIRS[name])
            rows.append((name, e.expr, "; ".join(parts)))
        groups.append((group, title, rows))
    return groups


def _default_lines(p: Proposal, mark: str, assign: str) -> list[str]:
    from pymodel.dscr.deal import DEAL_FIELDS
    from pymodel.schema import SCHEMA, REQUIRED, load_all
    load_all()
    out = []
    if p.missing:
        out.append(f"{mark} Required, not found in the workbook: give a cell, a name or a "
                   f"number.")
        for name in p.missing:
            unit = SCHEMA[name].unit if name in SCHEMA else ""
            out.append(f"{mark} {name}{assign}\"\"    {mark} {unit}")
    if p.defaults:
        out.append(f"{mark} Left to the model's default (uncomment a line to use the deal's "
                   f"own cell):")
        for name, v in p.defaults.items():
            par = SCHEMA[name]
            fld = DEAL_FIELDS.fields.get(name)
            if name in _LOSS_DEFAULTS:
                v, why = loss_default(name)
            elif fld is not None and fld.when:
                v, why = None, f"needed when {fld.when} ({par.unit})"
            elif v is REQUIRED:
                v, why = None, f"required ({par.unit})"
            elif v is None or (isinstance(v, tuple) and not v):
                v, why = None, f"empty: {par.empty or 'none'}"
            else:
                why = f"default: {par.source}"
            if name == "deflation" and p.defaults_note:
                why += f"; {p.defaults_note}"
            shown = _value_text(v) if v is not None else '""'
            out.append(f"{mark} {name}{assign}{shown}    {mark} {_comment(why)}")
            alt = p.alternatives.get(name)
            if alt is not None:
                out.append(f"{mark} {name}{assign}{_value_text(alt.expr)}    {mark} their own "
                           f"assumption: {_comment(alt.source)}")
    return out


def _value_text(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return f"{v:g}" if not float(v).is_integer() or abs(v) >= 1e15 else str(int(v))
    return _toml_str(str(v))


def _toml(p: Proposal, source_name: str) -> str:
    return _text(p, source_name, "[{group}]  # {title}", "{name} = {value}    # {comment}",
                 " = ")


def _yaml(p: Proposal, source_name: str) -> str:
    return _text(p, source_name, "{group}:  # {title}", "  {name}: {value}    # {comment}",
                 ": ")


def _text(p: Proposal, source_name: str, group_line: str, field_line: str, assign: str
          ) -> str:
    """A TOML or YAML draft (the same shape: groups of field lines with comments)."""
    out = _header(source_name, "#")
    for group, title, rows in _lines(p):
        if not rows:
            continue
        out += ["", group_line.format(group=group, title=title)]
        for name, v, comment in rows:
            out.append(field_line.format(name=name, value=_value_text(v),
                                         comment=_comment(comment)))
    tail = _default_lines(p, "#", assign)
    if tail:
        out += [""] + tail
    return "\n".join(out) + "\n"


def _csv(p: Proposal, source_name: str) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["field", "their cell", "found by"])
    for _, _, rows in _lines(p):
        for name, v, comment in rows:
            w.writerow([name, _value_text(v).strip('"') if isinstance(v, str) else
                        _value_text(v), _comment(comment)])
    for name in p.missing:
        w.writerow([name, "", "required: not found in the workbook"])
    return buf.getvalue()


# --------------------------------------------------------------------------------------------
# reading a mapping

def read_mapping(path: str, deal_path: str | None = None) -> dict[str, Any]:
    """Read a mapping file: field -> value (cell text, name, number, option or "=formula").

    Accepts TOML (tables are only grouping), YAML (the same shape), CSV (two columns) and an
    .xlsx whose first sheet (or a sheet named "map") holds field names and cells in two
    columns. Keys must be schema fields (or a ``their_*`` comparison key); an unknown key is
    an error naming the nearest known one."""
    if not os.path.isfile(path):
        raise MappingError(f"the map {path!r} does not exist")
    ext = os.path.splitext(path)[1].lower()
    if os.path.getsize(path) > 1_000_000 and ext != ".xlsx":
        raise MappingError(f"the map {path!r} is larger than 1 MB; a mapping is a few lines")
    try:
        if ext == ".toml":
            import tomllib
            with open(path, "rb") as fh:
                raw = tomllib.load(fh)
        elif ext in (".yaml", ".yml"):
            raw = _read_yaml(path)
        elif ext == ".csv":
            raw = _read_csv(path)
        elif ext == ".xlsx":
            raw = _read_sheet(path)
        else:
            raise MappingError(f"the map must be .toml, .yaml, .csv or .xlsx (got {path!r})")
    except MappingError:
        raise
    except UnicodeDecodeError:
        raise MappingError(f"the map {path!r} is not UTF-8 text") from None
    except Exception as exc:
        first = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
        raise MappingError(f"the map {path!r} cannot be read: {first}") from None
    return _check_keys(_flatten(raw, path), path)


def _read_yaml(path: str) -> Any:
    try:
        import yaml
    except ImportError:
        raise MappingError("reading a YAML map needs PyYAML (pip install PyYAML); or write "
                           "the map as TOML") from None
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def _read_csv(path: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    with open(path, encoding="utf-8-sig", newline="") as fh:
        for i, row in enumerate(csv.reader(fh)):
            if not row or not row[0].strip() or row[0].strip().startswith("#"):
                continue
            if i == 0 and row[0].strip().lower() in ("field", "our field", "name"):
                continue
            out[row[0].strip()] = _scalar(row[1] if len(row) > 1 else "")
    return out


def _read_sheet(path: str) -> dict[str, Any]:
    from ..engine.cellmap import read_cellmap
    from ..engine.package import WorkbookRefused, open_package
    try:
        pkg = open_package(path)
    except WorkbookRefused as exc:
        raise MappingError(f"the map {path!r} was refused: {exc}") from None
    try:
        cm = read_cellmap(pkg)
    finally:
        pkg.close()
    sheet = next((s for s in cm.sheets if "map" in s.name.lower()), cm.sheets[0])
    out: dict[str, Any] = {}
    fields = known_fields()
    for r in sheet.rows():
        row = sorted((c, cell) for (rr, c), cell in sheet.cells.items() if rr == r)
        for k, (c, cell) in enumerate(row):
            if isinstance(cell.value, str) and cell.value.strip().lower() in fields:
                nxt = next((x for cc, x in row[k + 1:] if cc == c + 1), None)
                if nxt is not None and nxt.formula is not None:
                    v = "=" + nxt.formula   # a formula over the deal's cells, as typed
                else:
                    v = None if nxt is None else nxt.value
                out[cell.value.strip()] = _scalar(v) if isinstance(v, str) else v
                break
    return out


def _scalar(v: Any) -> Any:
    if not isinstance(v, str):
        return v
    t = v.strip()
    if not t:
        return None
    try:
        x = float(t)
        return x if math.isfinite(x) else t
    except ValueError:
        return t


def _flatten(raw: Any, path: str) -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise MappingError(f"the map {path!r} must be field = value lines (optionally under "
                           f"[deal], [loss] and [theirs])")
    out: dict[str, Any] = {}
    for k, v in raw.items():
        if isinstance(v, dict):
            for kk, vv in v.items():
                if isinstance(vv, dict):
                    raise MappingError(f"the map {path!r}: {k}.{kk} is a table; a mapping "
                                       f"has one level of grouping")
                if str(kk) in out:
                    raise MappingError(f"the map {path!r} gives {kk} twice")
                out[str(kk)] = vv
        else:
            if str(k) in out:
                raise MappingError(f"the map {path!r} gives {k} twice")
            out[str(k)] = v
    return out


def _check_keys(m: dict[str, Any], path: str) -> dict[str, Any]:
    from pymodel.dscr.deal import DEAL_FIELDS
    fields = known_fields()
    renamed = dict(getattr(DEAL_FIELDS, "renamed", {}) or {})
    out: dict[str, Any] = {}
    for key, v in m.items():
        name = key.strip().lower()
        if name in renamed:
            name = renamed[name]
        if name not in fields:
            near = difflib.get_close_matches(name, list(fields), n=1, cutoff=0.6)
            hint = f"; did you mean {near[0]!r}?" if near else ""
            raise MappingError(f"the map names {key!r}, which is not a field of the model"
                               f"{hint} (fields: DEAL_FIELDS(), the loss inputs "
                               f"{', '.join(LOSS_FIELDS)}, and {', '.join(THEIRS)})")
        if isinstance(v, str) and not v.strip():
            v = None
        if v is None:
            continue
        if isinstance(v, (list, dict)):
            raise MappingError(f"{name}: give one cell, name, number or formula (got a list)")
        if name in out:
            raise MappingError(f"the map gives {name} twice")
        out[name] = v
    return out
