"""Modules imported at first use (pymodel.lazy) behave as the module itself."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import numpy as np
import pandas as pd

from pymodel import deflation
from pymodel.lazy import lazy_module


def test_a_lazy_module_reads_as_the_module():
    m = lazy_module("json")
    assert m.loaded()  # pytest imported json long ago
    assert m.dumps([1]) == "[1]" and m.JSONDecodeError is sys.modules["json"].JSONDecodeError
    assert "json" in repr(m)


def test_a_lazy_module_is_imported_by_its_first_attribute_read():
    code = ("import sys\nfrom pymodel.lazy import lazy_module\n"
            "m = lazy_module('wave')\nassert not m.loaded() and 'wave' not in sys.modules\n"
            "m.Error\nassert m.loaded() and 'wave' in sys.modules\n")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_excel_epoch_is_the_same_timestamp_and_day_numbers_unchanged():
    assert deflation.EXCEL_EPOCH == pd.Timestamp("1899-12-30")
    assert isinstance(deflation.EXCEL_EPOCH, pd.Timestamp)
    days = np.array(["2024-01-31", "1900-03-01"], dtype="datetime64[D]")
    assert deflation.to_day_numbers("dates", days).tolist() == [45322.0, 61.0]
    mixed = [pd.Timestamp("2024-01-31"), dt.date(2024, 1, 31), "2024-01-31", 45322]
    assert deflation.to_day_numbers("dates", mixed).tolist() == [45322.0] * 4
    assert deflation.to_day_numbers("dates", pd.Series(mixed)).tolist() == [45322.0] * 4
