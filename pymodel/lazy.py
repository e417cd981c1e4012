"""Modules imported when first used.

pandas takes a large share of a fresh process's start-up (about half a second with what it
loads), and most calls of the model never touch it: a function that returns a table or reads
the shipped data imports it then. ``pd = lazy_module("pandas")`` reads like the import it
replaces; :meth:`LazyModule.loaded` lets a type check (``isinstance(x, pd.Series)``) skip the
import, since nothing can be a pandas object before pandas is imported.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

__all__ = ["LazyModule", "lazy_module"]


class LazyModule:
    """Stands for the module ``name``; the first attribute read imports it."""

    __slots__ = ("_name", "_module")

    def __init__(self, name: str) -> None:
        self._name = name
        self._module = None

    def loaded(self) -> bool:
        """Whether the module is imported (by anyone) in this process."""
        return self._module is not None or self._name in sys.modules

    def __getattr__(self, attr: str) -> Any:
        module = self._module
        if module is None:
            module = self._module = importlib.import_module(self._name)
        return getattr(module, attr)

    def __repr__(self) -> str:
        return f"<lazy module {self._name!r}>"


def lazy_module(name: str) -> LazyModule:
    """``name`` imported at its first use."""
    return LazyModule(name)
