"""ComputeCredit model library: credit analytics for debt secured on AI compute.

Pure numpy/scipy/pandas code (never xlwings). Conventions (binding everywhere):

* rates, probabilities, correlations, shares, utilisation, LGD and deflation are decimals
  (0.30 = 30%);
* time is in years; H = 8,760 hours a year;
* rents and cash costs are in currency per GPU-hour; values per GPU;
* discount rates are annual effective; debt rates are nominal annual.

Sub-modules: :mod:`pymodel.errors` (the error catalogue), :mod:`pymodel.defaults` (parameter
defaults, units, domains and sources), :mod:`pymodel.validation` (checks at the public boundary),
:mod:`pymodel.fields` (field/value input tables), and one module per model family.
"""

__version__ = "0.1.0"

HOURS_PER_YEAR = 8760.0
