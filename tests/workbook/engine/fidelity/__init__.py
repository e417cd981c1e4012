"""The fidelity corpus: workbooks built by code at test time, each with values derived
independently of the engine (by hand, numpy-financial, closed forms, LibreOffice where
installed), for ``computecredit recalc`` to reproduce."""
