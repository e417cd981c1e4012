"""ComputeCredit Excel layer: xlwings user-defined functions over :mod:`pymodel`.

No model maths lives here. :mod:`addin.registry` is the one adapter (conversion, errors,
result shaping, metadata); :mod:`addin.udfs` is the module Excel loads (``UDF MODULES``).
"""
