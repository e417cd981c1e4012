"""pymodel.frames: a table is a DataFrame, or plain rows of the same header and values when
the add-in asks for them."""

from __future__ import annotations

import threading

import numpy as np
import pandas as pd
import pytest

from pymodel.frames import Rows, frame, plain_tables


def _same(rows, df):
    assert rows.columns == list(df.columns)
    assert repr(rows.rows) == repr(df.to_numpy(dtype=object).tolist())  # NaN equal to NaN


def test_frame_is_a_dataframe_outside_plain_tables():
    df = frame({"a": np.arange(3), "b": [0.5, 1.0, np.nan]})
    assert isinstance(df, pd.DataFrame) and list(df.columns) == ["a", "b"]


def test_plain_rows_equal_the_dataframe_for_each_form():
    forms = [
        ({"p": np.arange(1, 4), "y": np.array([0.25, 0.5, np.nan])}, {}),
        ({"b": [1, 2, "maturity"], "a": np.array([1.0, 2.0, 3.0])}, {"columns": ["a", "b"]}),
        ({"p": [1, "maturity"], "v": np.array([1.5, np.inf])}, {"dtype": object}),
        (np.array([[1, 2.5, None], ["x", 3.0, 4.0]], dtype=object),
         {"columns": ["i", "j", "k"]}),
        ([["expected", 1.0, None], ["AI lab", np.float64(0.25), 1.0]],
         {"columns": ["name", "share", "ig"], "dtype": object}),
    ]
    for data, kw in forms:
        with plain_tables():
            rows = frame(data, **kw)
        assert isinstance(rows, Rows)
        _same(rows, pd.DataFrame(data, **kw))


def test_forms_without_a_plain_equivalent_stay_dataframes():
    with plain_tables():
        assert isinstance(frame({"a": np.arange(3), "n": 1}), pd.DataFrame)  # a scalar column
        with pytest.raises(ValueError):                                    # unequal lengths
            frame({"a": [1, 2], "b": [1]})                                # (as pandas says)
        assert isinstance(frame({"a": [1]}, columns=["a", "b"]), pd.DataFrame)
        assert isinstance(frame([[1, 2]]), pd.DataFrame)                   # no header


def test_plain_tables_is_scoped_to_the_block_and_the_thread():
    seen = []
    with plain_tables():
        with plain_tables():
            pass
        assert isinstance(frame({"a": [1]}), Rows)    # the inner block restored, not cleared
        t = threading.Thread(target=lambda: seen.append(frame({"a": [1]})))
        t.start()
        t.join()
    assert isinstance(seen[0], pd.DataFrame)
    assert isinstance(frame({"a": [1]}), pd.DataFrame)
