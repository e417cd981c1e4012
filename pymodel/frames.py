"""The tables the model returns: pandas DataFrames, or plain rows for the add-in.

A function that returns a table builds it with :func:`frame` (the arguments of
``pandas.DataFrame``). For a Python caller that is a DataFrame. The add-in turns every table
into cells at once, so it asks for plain rows instead (:func:`plain_tables` around its call):
the same header and the same values, without importing pandas, which would take longer than
the maths of most calls in a fresh process.
"""

from __future__ import annotations

import contextlib
import contextvars
from dataclasses import dataclass
from typing import Any, Iterator

import numpy as np

from .lazy import lazy_module

pd = lazy_module("pandas")  # imported at first use (slow to load)

__all__ = ["Rows", "frame", "plain_tables"]

_PLAIN: contextvars.ContextVar[bool] = contextvars.ContextVar("plain_tables", default=False)


@dataclass(frozen=True)
class Rows:
    """A table as plain rows: ``columns`` (the header) and ``rows`` (lists of cell values, one
    per column), as ``DataFrame.columns`` and ``DataFrame.to_numpy(dtype=object)`` give them."""

    columns: list[Any]
    rows: list[list[Any]]


@contextlib.contextmanager
def plain_tables() -> Iterator[None]:
    """Within this block (in this thread or task), :func:`frame` returns :class:`Rows`."""
    token = _PLAIN.set(True)
    try:
        yield
    finally:
        _PLAIN.reset(token)


def frame(data: Any, columns: Any = None, dtype: Any = None) -> Any:
    """``pandas.DataFrame(data, columns=columns, dtype=dtype)``; :class:`Rows` of the same
    header and values within :func:`plain_tables` (for the forms the model uses: a 2-D array,
    a list of rows, or a mapping of equal-length columns; any other form is a DataFrame)."""
    if _PLAIN.get():
        rows = _plain(data, columns)
        if rows is not None:
            return rows
    return pd.DataFrame(data, columns=columns, dtype=dtype)


def _plain(data: Any, columns: Any) -> Rows | None:
    if isinstance(data, dict):
        names = list(data) if columns is None else list(columns)
        if set(names) != set(data):
            return None
        cols = [data[n].tolist() if isinstance(data[n], np.ndarray) and data[n].ndim == 1
                else data[n] for n in names]
        if not all(isinstance(c, list) for c in cols) or len({len(c) for c in cols}) > 1:
            return None
        return Rows(names, [list(r) for r in zip(*cols)])
    if columns is None:
        return None
    names = list(columns)
    if isinstance(data, np.ndarray):
        if data.ndim != 2 or data.shape[1] != len(names):
            return None
        return Rows(names, data.tolist())
    if isinstance(data, list) and all(isinstance(r, list) and len(r) == len(names)
                                      for r in data):
        return Rows(names, [list(r) for r in data])
    return None
