"""The parameter schema: every quantity of the model declared once.

A :class:`Param` declares one quantity: its name, unit, meaning, domain, default (or
:data:`REQUIRED`) and the source of the default. Each model module declares the parameters its
maths uses, next to that maths, with :func:`declare`::

    P = declare(
        Param("deflation", "decimal per year", "Annual fractional decline g of market rent "
              "(0.30 = -30% a year; negative = rising)", DEFLATION, default=0.30,
              source="P: Epoch AI, hardware 30% cheaper each year at fixed performance"),
    )

and reuses parameters declared elsewhere with :func:`param` (``param("deflation")``). The one
registry, :data:`SCHEMA`, refuses a second declaration of a name with a different meaning, unit,
domain or default: two different quantities never share a name. Everything else derives from
it: validation at the public boundary (:meth:`Param.check`), the field tables of deal blocks
(:mod:`pymodel.fields`), the Excel argument help and the empty-cell defaults of the add-in, and
the generated function reference.

Defaults are conventions and market assumptions only, each with its source (tags as in the model
reference: P primary, S secondary, V vendor, D derived or a design choice). Facts of a deal (its
size and price) are :data:`REQUIRED`. A default of ``None`` means "may be left empty", and
:attr:`Param.empty` says what an empty value means (e.g. "Basel corporate correlation of pd").
:data:`NOT_GIVEN` is the default of a keyword that overrides a value held elsewhere (a stress of
a deal's rent, say): not given means "keep it", which is different from an explicit ``None``.
"""

from __future__ import annotations

import importlib
import math
import pkgutil
from dataclasses import dataclass, field
from typing import Any, Iterator, Mapping

import numpy as np

from .errors import DomainError, InputTypeError, format_value
from .validation import Interval, check, check_choice, check_int

__all__ = ["Param", "Schema", "SCHEMA", "REQUIRED", "NOT_GIVEN", "declare", "param",
           "load_all", "KINDS", "POS", "NONNEG", "UNIT", "OPEN_UNIT", "UNIT_OPEN_HI",
           "DEFLATION", "RATE", "CORR"]


class _Marker:
    """A named singleton (``REQUIRED``, ``NOT_GIVEN``); never equal to a user value."""

    __slots__ = ("_name",)

    def __init__(self, name: str):
        self._name = name

    def __repr__(self) -> str:
        return self._name

    def __reduce__(self):  # pickling keeps the singleton
        return self._name


#: Default of a parameter the caller must give (a fact of the deal, an observation).
REQUIRED = _Marker("REQUIRED")
#: Default of an override keyword: "not given" keeps the value held elsewhere.
NOT_GIVEN = _Marker("NOT_GIVEN")

#: Kinds of value: a real number, a whole number, a text from a fixed list, a list of numbers
#: (a range, or text such as "1.5; 3"), free text, TRUE/FALSE, a two-column field block, a
#: date-like value, a range of values of mixed type.
KINDS = ("float", "int", "choice", "list", "text", "bool", "block", "date", "range")

POS = Interval(0, None, lo_closed=False)        # > 0
NONNEG = Interval(0, None)                      # >= 0
UNIT = Interval(0, 1)                           # [0, 1]
OPEN_UNIT = Interval(0, 1, False, False)        # (0, 1)
UNIT_OPEN_HI = Interval(0, 1, hi_closed=False)  # [0, 1)
DEFLATION = Interval(-1, 1, False, False)       # (-1, 1)
RATE = Interval(-1, None, lo_closed=False)      # > -1 (annual effective rate)
CORR = Interval(-1, 1)                          # [-1, 1]

MAX_HELP = 255  # Excel's limit on an argument description


def _fmt(v: Any) -> str:
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, (list, tuple)):
        return "none" if not v else "; ".join(_fmt(x) for x in v)
    if isinstance(v, float) and math.isfinite(v) and v == int(v) and abs(v) < 1e15:
        return str(int(v))
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


@dataclass(frozen=True)
class Param:
    """One quantity of the model.

    Parameters
    ----------
    name : str
        The one name of the quantity (argument, field and keyword).
    unit : str
        Unit as a credit officer reads it ("decimal per year", "currency per GPU-hour"; "" for
        text options).
    doc : str
        Meaning, one sentence (symbol of the model reference in it where there is one).
    domain : Interval, optional
        Allowed values of a number (list elements for kind "list").
    default : Any, optional
        :data:`REQUIRED` (the default), ``None`` (may be empty: see ``empty``) or the value.
    source : str, optional
        Source of the default (required when there is a default value).
    kind : str, optional
        One of :data:`KINDS` (default "float").
    choices : tuple, optional
        Allowed values of a "choice" (texts) or of an "int" (e.g. 1, 2, 4, 12).
    empty : str, optional
        What an empty value means when the default is ``None``.
    """

    name: str
    unit: str
    doc: str
    domain: Interval | None = None
    default: Any = REQUIRED
    source: str = ""
    kind: str = "float"
    choices: tuple = ()
    empty: str = ""
    module: str = field(default="", compare=False, repr=False)

    def __post_init__(self) -> None:
        problems = []
        if not self.name.isidentifier() or self.name != self.name.lower():
            problems.append("the name must be a lower-case identifier")
        if self.kind not in KINDS:
            problems.append(f"unknown kind {self.kind!r}")
        if not self.doc.strip():
            problems.append("no description")
        if self.default is None and not self.empty:
            problems.append("a default of None needs `empty` (what an empty value means)")
        if self.has_default and self.default is not None and not self.source:
            problems.append("a default needs its source")
        if self.kind == "choice" and not self.choices:
            problems.append("a choice needs its choices")
        if problems:
            raise ValueError(f"parameter {self.name}: " + "; ".join(problems))
        if self.has_default and self.default is not None:
            self.check(self.default)  # the default lies in the domain

    # ------------------------------------------------------------------ properties
    @property
    def required(self) -> bool:
        """True if the caller must give the value."""
        return self.default is REQUIRED

    @property
    def has_default(self) -> bool:
        return self.default is not REQUIRED

    def bound(self) -> str:
        """What is allowed, as messages and help say it (e.g. ``in (-1, 1)``)."""
        if self.choices:
            return "one of " + " | ".join(_fmt(c) for c in self.choices)
        if self.domain is not None:
            return self.domain.describe()
        return ""

    def default_text(self) -> str:
        """The default as a cell or a table shows it."""
        if self.required:
            return "required"
        if self.default is None:
            return "empty"
        return _fmt(self.default)

    def help(self, *, optional: bool | None = None, when: str = "") -> str:
        """Argument help: meaning, unit, allowed values and default (at most 255 characters).

        Parameters
        ----------
        optional : bool, optional
            Whether the argument may be left empty where it is used (default: it may when the
            parameter has a default). A parameter with a default that a function requires
            shows no default.
        when : str, optional
            Condition under which a parameter is required (e.g. "contracted_share > 0").
        """
        optional = self.has_default if optional is None else optional
        parts = [self.doc.rstrip(".") + "."]
        if self.unit:
            parts.append(f"Unit: {self.unit}.")
        if self.choices:
            parts.append("One of " + " | ".join(_fmt(c) for c in self.choices) + ".")
        elif self.domain is not None:
            parts.append("Must be " + self.domain.describe() + ".")
        if when:
            parts.append(f"Required when {when}.")
        elif optional and self.default is None:
            parts.append(f"Empty: {self.empty.rstrip('.')}.")
        elif optional and self.has_default:
            parts.append(f"Default {_fmt(self.default)}.")
        text = " ".join(parts)
        if len(text) > MAX_HELP:
            raise ValueError(f"parameter {self.name}: help has {len(text)} characters "
                             f"(Excel allows {MAX_HELP}): shorten the description")
        return text

    # ------------------------------------------------------------------ validation
    def check(self, value: Any, label: str | None = None) -> Any:
        """Validate one value of this parameter and return it clean.

        Numbers (and arrays of them) are checked against the domain, whole numbers and
        choices against their lists, lists of numbers parsed from ranges or text. ``label``
        names the value in messages (default: the parameter's name).

        Raises
        ------
        InputTypeError
            Wrong type (text for a number, an unknown option).
        DomainError
            A number outside the domain.
        """
        name = label or self.name
        kind = self.kind
        if kind == "float":
            return check(name, value, self.domain or Interval())
        if kind == "int":
            if self.choices:  # a whole number from a list (1, 2, 4, 12): one message
                x = check(name, value)
                if np.ndim(x) != 0 or x not in self.choices:
                    raise DomainError(name, " | ".join(_fmt(c) for c in self.choices), value,
                                      key="choice")
                return int(x)
            return check_int(name, value, self.domain or Interval())
        if kind == "choice":
            return check_choice(name, value, self.choices)
        if kind == "list":
            from .fields import parse_number_list
            vals = parse_number_list(name, value)
            if self.domain is not None and vals:
                check(name, list(vals), self.domain)
            return vals
        if kind == "text":
            if not isinstance(value, str):
                raise InputTypeError(name, value=value, key="not_text")
            return value.strip()
        if kind == "bool":
            if isinstance(value, (bool, np.bool_)):
                return bool(value)
            raise InputTypeError(name, "TRUE or FALSE", value, key="choice")
        return value  # block, date, range: parsed by their own readers

    def required_error(self, label: str) -> InputTypeError:
        """The error for a missing value: ``label: 'name' is required (unit)``."""
        return InputTypeError(label, value=self.name, key="required_field",
                              formatted=f"'{self.name}'", what=self.unit or self.bound())


class SchemaError(ValueError):
    """A second, different declaration of a name (a programming error, not user input)."""


class Schema(Mapping[str, Param]):
    """The registry of every declared :class:`Param` (name -> Param)."""

    def __init__(self) -> None:
        self._params: dict[str, Param] = {}
        self._field_sets: dict[str, Any] = {}

    def declare(self, *params: Param, module: str = "") -> dict[str, Param]:
        """Register parameters; a name already declared must be declared identically.

        Returns the declared parameters by name (for the declaring module's own use).

        Raises
        ------
        SchemaError
            If a name is already declared with a different unit, meaning, domain, default,
            source, kind or choices.
        """
        out = {}
        for p in params:
            if module and not p.module:
                p = _with_module(p, module)
            old = self._params.get(p.name)
            if old is None:
                self._params[p.name] = p
            elif old != p:
                raise SchemaError(
                    f"parameter {p.name!r} is declared twice with different meanings: "
                    f"{old!r} (in {old.module or '?'}) and {p!r} (in {p.module or '?'}); "
                    "give the second quantity its own name")
            out[p.name] = self._params[p.name]
        return out

    def register_field_set(self, field_set: Any) -> None:
        """Record a field table under its label (e.g. ``deal_inputs``)."""
        old = self._field_sets.get(field_set.label)
        if old is not None and old is not field_set:
            raise SchemaError(f"field table {field_set.label!r} is declared twice")
        self._field_sets[field_set.label] = field_set

    def field_set(self, label: str) -> Any:
        """The field table declared under ``label``, or None."""
        return self._field_sets.get(label)

    def field_sets(self) -> dict[str, Any]:
        return dict(self._field_sets)

    def check(self, name: str, value: Any, label: str | None = None) -> Any:
        """Validate ``value`` as the parameter ``name`` (see :meth:`Param.check`)."""
        return self._params[name].check(value, label)

    def defaults(self) -> dict[str, Any]:
        """name -> default for every parameter with a default (``None`` included)."""
        return {n: p.default for n, p in self._params.items() if p.has_default}

    def __getitem__(self, name: str) -> Param:
        try:
            return self._params[name]
        except KeyError:
            raise KeyError(f"parameter {name!r} is not declared in the schema "
                           "(declare it next to the maths that uses it)") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._params)

    def __len__(self) -> int:
        return len(self._params)


def _with_module(p: Param, module: str) -> Param:
    object.__setattr__(p, "module", module)  # provenance only: not part of the meaning
    return p


#: The one registry.
SCHEMA = Schema()


def declare(*params: Param) -> dict[str, Param]:
    """Declare parameters in :data:`SCHEMA` (see :meth:`Schema.declare`); the caller's module
    is recorded as where they are declared."""
    import sys
    frame = sys._getframe(1)
    return SCHEMA.declare(*params, module=frame.f_globals.get("__name__", ""))


def param(name: str) -> Param:
    """The declared parameter ``name``."""
    return SCHEMA[name]


def load_all() -> Schema:
    """Import every module of :mod:`pymodel` so that every parameter is declared; return
    :data:`SCHEMA`."""
    import pymodel
    for m in pkgutil.walk_packages(pymodel.__path__, "pymodel."):
        importlib.import_module(m.name)
    return SCHEMA


def format_default(value: Any) -> str:
    """A default as help text shows it."""
    return format_value(value) if not isinstance(value, (list, tuple)) else _fmt(value)
