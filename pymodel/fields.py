"""Field/value input tables: the deal sheet's input block as a typed, validated mapping.

Deal-level functions (DSCR, LGD Monte Carlo) take a two-column block of field name and value.
A :class:`FieldSet` declares the fields once (default, unit, kind, domain, description), parses a
block (unknown names are an error naming the nearest valid one, missing fields take their
defaults), and lists itself for ``DEAL_FIELDS()``-style functions.

Kinds: ``"float"``, ``"int"``, ``"choice"`` (text from a fixed list), ``"list"`` (numbers given
as a range or as text ``"1.5; 3"``), ``"text"``.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from .errors import InputError, InputTypeError
from .validation import Interval, check, check_choice, check_int

__all__ = ["FieldSpec", "FieldSet", "parse_number_list"]

_SPLIT = re.compile(r"[;,\s]+")


def parse_number_list(name: str, value: Any) -> tuple[float, ...]:
    """Parse a list of numbers from text (``"1.5; 3"``, commas or spaces also separate), a
    number, a sequence, or ``None``/empty (the empty list)."""
    if value is None:
        return ()
    if isinstance(value, str):
        parts = [p for p in _SPLIT.split(value.strip()) if p]
        out = []
        for p in parts:
            try:
                out.append(float(p))
            except ValueError:
                raise InputTypeError(name, value=value, key="not_number") from None
        return tuple(out)
    if isinstance(value, bool):
        raise InputTypeError(name, value=value, key="not_number")
    if isinstance(value, (int, float, np.floating, np.integer)):
        return (float(value),)
    flat = []
    for v in np.ravel(np.asarray(value, dtype=object)):
        if v is None or (isinstance(v, str) and not v.strip()):
            continue
        flat.extend(parse_number_list(name, v))
    return tuple(flat)


@dataclass(frozen=True)
class FieldSpec:
    """One input field: name, default (``None`` = optional with no value), unit, kind,
    domain or choices, description and source of the default."""

    name: str
    default: Any
    unit: str
    doc: str
    kind: str = "float"
    domain: Interval | None = None
    choices: tuple[str, ...] = field(default=())
    source: str = "D"

    def parse(self, value: Any) -> Any:
        """Validate one raw value (``None`` means: use the default)."""
        if value is None or (isinstance(value, str) and not value.strip() and self.kind != "text"):
            return self.default
        if self.kind == "float":
            return check(self.name, value, self.domain or Interval())
        if self.kind == "int":
            return check_int(self.name, value, self.domain or Interval())
        if self.kind == "choice":
            return check_choice(self.name, value, self.choices)
        if self.kind == "list":
            vals = parse_number_list(self.name, value)
            if self.domain is not None and vals:
                check(self.name, list(vals), self.domain)
            return vals
        if self.kind == "text":
            if not isinstance(value, str):
                raise InputTypeError(self.name, value=value, key="not_text")
            return value.strip()
        raise ValueError(f"unknown field kind {self.kind}")

    def default_text(self) -> Any:
        """The default as a cell shows it."""
        d = self.default
        if d is None:
            return "(none)"
        if isinstance(d, tuple):
            return "; ".join(f"{v:g}" for v in d) if d else "(none)"
        return d

    def help(self) -> str:
        """Description with unit and allowed values."""
        text = self.doc.rstrip(".") + "."
        if self.choices:
            text += " One of " + " | ".join(self.choices) + "."
        elif self.domain is not None:
            text += " Must be " + self.domain.describe() + "."
        return text


class FieldSet:
    """An ordered set of :class:`FieldSpec` with parsing and listing.

    Parameters
    ----------
    label : str
        How the whole block is named in messages (e.g. ``"deal_inputs"``).
    specs : sequence of FieldSpec
    """

    def __init__(self, label: str, specs: Sequence[FieldSpec]):
        self.label = label
        self.specs: dict[str, FieldSpec] = {}
        for s in specs:
            if s.name in self.specs:
                raise ValueError(f"duplicate field {s.name}")
            self.specs[s.name] = s

    def __iter__(self):
        return iter(self.specs.values())

    def names(self) -> list[str]:
        return list(self.specs)

    def defaults(self) -> dict[str, Any]:
        """Every field at its default."""
        return {n: s.default for n, s in self.specs.items()}

    def parse(self, block: Mapping[str, Any] | Iterable[tuple[Any, Any]]) -> dict[str, Any]:
        """Parse a block of (field name, value) pairs into a complete dict of typed values.

        Names are matched case-insensitively after trimming; blank names with blank values are
        skipped (empty rows). Unknown names raise :class:`InputTypeError` naming the nearest
        valid field; duplicates raise too.
        """
        pairs = block.items() if isinstance(block, Mapping) else block
        out = self.defaults()
        seen: set[str] = set()
        for raw_name, value in pairs:
            if raw_name is None or (isinstance(raw_name, str) and not raw_name.strip()):
                if value is None or (isinstance(value, str) and not value.strip()):
                    continue
                raise InputTypeError(self.label, value=value, key="unnamed_value")
            if not isinstance(raw_name, str):
                raise InputTypeError(self.label, value=raw_name, key="unknown_field",
                                     hint=" (field names are text)")
            shown = f"'{raw_name.strip()}'"
            key = raw_name.strip().lower()
            if key not in self.specs:
                near = difflib.get_close_matches(key, self.names(), n=1, cutoff=0.5)
                hint = f"; did you mean '{near[0]}'?" if near else \
                    "; see the list of fields for valid names"
                raise InputTypeError(self.label, value=raw_name, key="unknown_field", hint=hint,
                                     formatted=shown)
            if key in seen:
                raise InputTypeError(self.label, value=raw_name, key="duplicate_field",
                                     formatted=shown)
            seen.add(key)
            out[key] = self.specs[key].parse(value)
        return out

    def table(self) -> list[list[Any]]:
        """Rows for a FIELDS() listing: header, then field, default, unit, description."""
        rows: list[list[Any]] = [["field", "default", "unit", "description"]]
        for s in self.specs.values():
            rows.append([s.name, s.default_text(), s.unit or "-", s.help()])
        return rows


def require(label: str, values: Mapping[str, Any], names: Iterable[str]) -> None:
    """Raise if a field without default was left empty."""
    for n in names:
        if values.get(n) is None:
            raise InputError(f"{label}.{n}", key="required")
