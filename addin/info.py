"""Information functions: model version and function list."""

from __future__ import annotations

import pymodel

from .registry import CAT_INFO, REGISTRY, udf

__all__ = ["COMPUTECREDIT_VERSION", "COMPUTECREDIT_FUNCTIONS"]


@udf(category=CAT_INFO)
def COMPUTECREDIT_VERSION():
    """Version of the ComputeCredit model library, to quote in credit papers (text, e.g. 0.1.0)."""
    return pymodel.__version__


@udf(category=CAT_INFO)
def COMPUTECREDIT_FUNCTIONS():
    """Lists every ComputeCredit Excel function with its category and description (spills)."""
    rows = [["function", "category", "description"]]
    rows += [[s.name, s.category, s.doc] for s in sorted(REGISTRY.values(), key=lambda s: s.name)]
    return rows
