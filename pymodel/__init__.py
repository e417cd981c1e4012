"""ComputeCredit model library: credit analytics for debt secured on AI compute.

Pure numpy/scipy/pandas code (never xlwings). Conventions (binding everywhere):

* rates, probabilities, correlations, shares, utilisation, LGD and deflation are decimals
  (0.30 = 30%);
* time is in years; H = 8,760 hours a year;
* rents and cash costs are in currency per GPU-hour; values per GPU;
* discount rates are annual effective; debt rates are nominal annual.

Sub-modules: :mod:`pymodel.errors` (the error catalogue), :mod:`pymodel.schema` (the one
parameter schema: every quantity's name, meaning, unit, domain, default or required, and source,
declared by the module whose maths uses it), :mod:`pymodel.validation` (checks at the public
boundary), :mod:`pymodel.fields` (field/value input tables), :mod:`pymodel.breakeven` (the one
breakeven solver), and one module or package per model family.
"""

__version__ = "0.1.0"

HOURS_PER_YEAR = 8760.0
