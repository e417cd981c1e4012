"""Test package (lets tests/addin and tests/pymodel hold modules of the same name)."""
