"""Field/value input tables: a deal sheet's input block as a typed, validated mapping.

Deal-level functions (DSCR, LGD Monte Carlo) take a two-column block of field name and value.
A :class:`FieldSet` lists the fields as declared parameters of the schema
(:class:`~pymodel.schema.Param`), so each field has one name, unit, domain and default. It
parses a block (names matched case-insensitively; unknown names are an error naming the nearest
valid one; a missing required field is an error naming it and its unit; missing optional fields
take their defaults), and lists itself for ``DEAL_FIELDS()``-style functions, required fields
marked.

A field may be required only in some deals (:class:`Field` with ``when``: the contract rent
when part of the fleet is contracted). A renamed field keeps its old name for one release: the
block is read as if the new name were used, a :class:`DeprecationWarning` says so, and the
listing has a row for the old name saying what replaced it.
"""

from __future__ import annotations

import difflib
import re
import warnings
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence

import numpy as np

from .errors import InputTypeError
from .schema import SCHEMA, Param

__all__ = ["Field", "FieldSet", "field_set", "parse_number_list", "RENAMED_UNTIL"]

#: Version in which old field names stop being accepted (they are read, with a note, before).
RENAMED_UNTIL = "0.3.0"

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


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


@dataclass(frozen=True)
class Field:
    """A parameter used as a field of a block.

    Parameters
    ----------
    param : Param
        The declared parameter (name, unit, meaning, domain, default or required).
    when : str, optional
        For a required parameter needed only in some blocks: the condition as text
        (``"contracted_share > 0"``); ``needed`` tests it on the parsed values. Where it does
        not hold, the field may be left empty (its value is then ``None``).
    needed : callable, optional
        ``values -> bool``.
    note : str, optional
        How this block uses the parameter, appended to its description in the listing.
    """

    param: Param
    when: str = ""
    needed: Callable[[Mapping[str, Any]], bool] | None = None
    note: str = ""

    def __post_init__(self) -> None:
        if bool(self.when) != (self.needed is not None):
            raise ValueError(f"field {self.param.name}: give both `when` and `needed`")

    @property
    def name(self) -> str:
        return self.param.name

    def default_cell(self) -> Any:
        """The default as a listing shows it: "required", "required when ...", a number, a
        text option, or "(none)" (nothing: an empty list, or empty with a meaning)."""
        p = self.param
        if self.when:
            return f"required when {self.when}"
        if p.required:
            return "required"
        d = p.default
        if d is None or (isinstance(d, tuple) and not d):
            return "(none)"
        if isinstance(d, tuple):
            return "; ".join(f"{v:g}" for v in d)
        return d

    def description(self) -> str:
        """Meaning, allowed values and the meaning of an empty value (the unit has its own
        column in the listing)."""
        p = self.param
        text = p.doc.rstrip(".") + "."
        if self.note:
            text += " " + self.note.rstrip(".") + "."
        if p.bound():
            text += " Must be " + p.bound() + "."
        if p.default is None:
            text += " Empty: " + p.empty.rstrip(".") + "."
        return text


class FieldSet:
    """An ordered set of fields with parsing and listing.

    Parameters
    ----------
    label : str
        How the whole block is named in messages (e.g. ``"deal_inputs"``).
    fields : sequence of Param or Field
    renamed : mapping, optional
        Old field name -> new name, accepted (with a note) until :data:`RENAMED_UNTIL`.
    """

    def __init__(self, label: str, fields: Sequence[Param | Field],
                 renamed: Mapping[str, str] | None = None):
        self.label = label
        self.fields: dict[str, Field] = {}
        for f in fields:
            f = f if isinstance(f, Field) else Field(f)
            if f.name in self.fields:
                raise ValueError(f"duplicate field {f.name}")
            self.fields[f.name] = f
        self.renamed = dict(renamed or {})
        for old, new in self.renamed.items():
            if new not in self.fields or old in self.fields:
                raise ValueError(f"renamed field {old} -> {new}: {new} must be a field and "
                                 f"{old} must not")

    def __iter__(self) -> Iterator[Param]:
        """The fields' parameters, in order."""
        return (f.param for f in self.fields.values())

    def __getitem__(self, name: str) -> Param:
        return self.fields[name].param

    def names(self) -> list[str]:
        return list(self.fields)

    def required(self) -> list[str]:
        """Fields every block must give (not those required only under a condition)."""
        return [n for n, f in self.fields.items() if f.param.required and not f.when]

    def defaults(self) -> dict[str, Any]:
        """Every field at its default (``None`` where there is none)."""
        return {n: (f.param.default if f.param.has_default else None)
                for n, f in self.fields.items()}

    def _key(self, raw_name: Any, value: Any) -> str | None:
        """The field a block row names (None for an empty row)."""
        if raw_name is None or (isinstance(raw_name, str) and not raw_name.strip()):
            if _blank(value):
                return None
            raise InputTypeError(self.label, value=value, key="unnamed_value")
        if not isinstance(raw_name, str):
            raise InputTypeError(self.label, value=raw_name, key="unknown_field",
                                 hint=" (field names are text)")
        key = raw_name.strip().lower()
        if key in self.renamed:
            new = self.renamed[key]
            warnings.warn(f"{self.label}: field '{key}' is renamed '{new}'; the old name is "
                          f"read as '{new}' until version {RENAMED_UNTIL}", DeprecationWarning,
                          stacklevel=4)
            return new
        if key not in self.fields:
            near = difflib.get_close_matches(key, self.names() + list(self.renamed), n=1,
                                             cutoff=0.5)
            near = [self.renamed.get(n, n) for n in near]
            hint = f"; did you mean '{near[0]}'?" if near else \
                "; see the list of fields for valid names"
            raise InputTypeError(self.label, value=raw_name, key="unknown_field", hint=hint,
                                 formatted=f"'{raw_name.strip()}'")
        return key

    def parse(self, block: Mapping[str, Any] | Iterable[tuple[Any, Any]]) -> dict[str, Any]:
        """Parse a block of (field name, value) pairs into a complete dict of typed values.

        Names are matched case-insensitively after trimming; blank names with blank values are
        skipped (empty rows); an empty value counts as not given. Missing optional fields take
        their defaults.

        Raises
        ------
        InputTypeError
            Unknown names (naming the nearest valid field), duplicates, text where a number
            is needed, and missing required fields: ``deal_inputs: 'debt' is required
            (currency)``, then any other missing ones.
        DomainError
            A value outside its domain.
        """
        pairs = block.items() if isinstance(block, Mapping) else block
        out = self.defaults()
        seen: dict[str, Any] = {}
        for raw_name, value in pairs:
            key = self._key(raw_name, value)
            if key is None:
                continue
            raw = str(raw_name).strip()
            if key in seen:
                other = seen[key]
                also = f" (also given as '{other}')" if other.lower() != raw.lower() else ""
                raise InputTypeError(self.label, value=raw_name, key="duplicate_field",
                                     formatted=f"'{raw}'{also}")
            seen[key] = raw
            p = self.fields[key].param
            if _blank(value):  # empty: the default (or the error for a required field)
                continue
            if p.kind in ("float", "int") and np.ndim(value) != 0:
                # a field holds one value (a vectorised check would pass an array through)
                raise InputTypeError(p.name, value=value, key="not_number")
            out[key] = p.check(value)
        missing = [f for f in self.fields.values() if f.param.required and out[f.name] is None
                   and (not f.when or f.needed(out))]
        if missing:
            raise self._missing(missing)
        return out

    def _missing(self, fields: list[Field]) -> InputTypeError:
        """``label: 'name' is required [when ...] (unit)``, then the other missing fields
        (those required in every block first)."""
        fields = sorted(fields, key=lambda f: bool(f.when))  # stable: table order otherwise
        first = fields[0]
        err = first.param.required_error(self.label)
        text = err.message
        if first.when:
            text = text.replace(" is required (", f" is required when {first.when} (", 1)
        if len(fields) > 1:
            text += "; also missing: " + ", ".join(f"'{f.name}'" for f in fields[1:])
        err.args = (text,)
        err.message = text
        return err

    def table(self) -> list[list[Any]]:
        """Rows for a FIELDS() listing: header, then field, default ("required", "required
        when ..." or the value), unit, description, source; then one row per renamed field."""
        rows: list[list[Any]] = [["field", "default", "unit", "description", "source"]]
        for f in self.fields.values():
            p = f.param
            rows.append([p.name, f.default_cell(), p.unit or "-", f.description(),
                         p.source or "-"])
        for old, new in self.renamed.items():
            rows.append([old, "renamed", "-", f"Renamed '{new}': the old name is read as "
                         f"'{new}' until version {RENAMED_UNTIL}.", "-"])
        return rows


def field_set(label: str, fields: Sequence[Param | Field], *, doc: str,
              renamed: Mapping[str, str] | None = None) -> FieldSet:
    """Declare a field table: the block parameter ``label`` (kind "block", meaning ``doc``)
    in the schema, and the table itself (found again with ``SCHEMA.field_set(label)``)."""
    fs = FieldSet(label, fields, renamed)
    SCHEMA.declare(Param(label, "", doc, kind="block"), module=_caller())
    SCHEMA.register_field_set(fs)
    return fs


def _caller() -> str:
    import sys
    return sys._getframe(2).f_globals.get("__name__", "")
