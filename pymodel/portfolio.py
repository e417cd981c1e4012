"""Portfolio credit loss of a lender's GPU book: one credit factor, common GPU-price factors per
SKU family, a BTC factor; Gaussian or Student-t copula; defaults and collateral drawn jointly.

Model (docs/portfolio.md has the full statement; symbols as in docs/model.md §8).

* Factors per path: the credit factor X, one GPU-price factor G_f per SKU family f, the BTC
  factor B, jointly standard normal with correlation matrix Sigma (order X, G_1..G_K, B): every
  G_f has correlation ``gpu_credit_corr`` with X, ``gpu_family_corr`` with another family and
  ``gpu_btc_corr`` with B; B has ``btc_credit_corr`` with X (or a full matrix ``factor_corr``).
  Sampled as X = Z_0, (G, B) = Sigma_r0 X + C Z_r with C C' = Sigma_rr - Sigma_r0 Sigma_0r.
* Borrower b: A_b = sqrt(R_b) X + sqrt(1 - R_b) xi_b; all its loans default when
  A_b < Phi^-1(PD_b) (Gaussian copula). Student-t copula: every normal above is divided by one
  shared s = sqrt(W/nu), W ~ chi2(nu); default when A_b / s < t_nu^-1(PD_b), and collateral
  scores are mapped back to normal scores Phi^-1(t_nu(z/s)) so the marginals do not change
  (the conventions of :mod:`pymodel.lgd_mc`).
* Collateral of loan i at the horizon T (``horizon_years``): value V_i split into GPUs
  V_i (1 - btc_share_i) (by SKU mix w_if) and BTC V_i btc_share_i (1 - btc_drawdown):
  GPU_i = V_i (1 - b_i) sum_f w_if exp(sigma_i sqrt(T) y_if - sigma_i^2 T/2),
  y_if = score(beta G_f + sqrt(1 - beta^2) eta_i) with beta = ``collateral_loading`` and eta_i
  the loan's idiosyncratic collateral noise; BTC_i = V_i b_i (1 - d) exp(sigma_B sqrt(T) y_B -
  sigma_B^2 T/2), y_B = score(B). So E[collateral] = the tape value.
* Recovery (LGD_MC conventions): net proceeds max(0, GPU_i (1 - gpu_haircut) -
  gpu_liquidation_cost_i) + max(0, BTC_i (1 - btc_haircut)); available to the loan after
  ``prior_claims`` (claims ranking ahead: second liens); unsecured loans have none. Recovery
  = [min(EAD, available) + unsecured_recovery (EAD - min(EAD, available))] (1 + r)^-T_w;
  LGD = 1 - recovery / EAD; loss = EAD LGD on default.
* ``common_factors = "off"``: the parts of G and B not explained by X are drawn per loan
  instead of per path: only the credit factor is common (the single-factor, ASRF view).

Estimators.

* Main run (loss distribution): defensive importance sampling with the balance heuristic: every
  second path has the credit factor's normal shifted by mu (``is_shift``, default
  Phi^-1(0.001)); weight w = 1 / (1/2 + 1/2 exp(mu X - mu^2/2)) <= 2, so every estimate is
  unbiased and the 99.9% tail is sampled about 250 times as often as plainly. VaR_a from the
  weighted empirical distribution; ES_a = E[L | L >= VaR_a] with the atom at VaR_a split
  (Acerbi-Tasche), written as sum_j omega_j L_j with tail weights omega_j; the Euler
  contribution of loan i is sum_j omega_j L_ij, so the contributions add up to ES exactly.
  Standard errors by sectioning (16 interleaved sections of the paths).
* Loan batch (per loan): E[loss_i] = EAD_i E[p_i(X, s) LGD_i] with the conditional default
  probability p_i (conditional sampling: no default indicator noise); expected LGD =
  E[p LGD] / E[p]; downturn LGD and the single-loan (fine-grained, ASRF) capital
  EAD_i E[p_i LGD_i | X = x_q] - EL_i at x_q = Phi^-1(0.001), as LGD_MC's downturn batch.
* Diversification factor = (VaR_0.999 - EL) / sum_i single-loan capital_i.

Random numbers: a numpy SeedSequence from the seed and a SHA-256 digest (never Python's
``hash``), with a spawn key per (stream, path chunk, loan chunk). Chunk sizes are constants
(:data:`PATH_CHUNK`, :data:`LOAN_CHUNK`), so the result depends on the seed and the tape only,
never on how the chunks are executed (serially, in processes or on a Dask cluster), and memory
is bounded by one chunk per task (the loan batch's LGDs by blocks of :data:`ROW_BLOCK` paths
within it). :func:`simulate_portfolio` keeps its last few results by a digest of their inputs:
PORTFOLIO_LOSS and PORTFOLIO_CONTRIB over the same tape and settings simulate once. The tasks
keep the collateral's normal scores of their draws (bounded by :data:`SCORE_MEMORY`) by a digest
of exactly what those depend on, so a simulation differing only in collateral values,
volatilities, haircuts, claims or workout terms, and the contribution pass after the loss run,
compute only the LGDs (bit for bit what computing the scores again gives).
"""

from __future__ import annotations

import difflib
import hashlib
import itertools
import math
import re
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence

import numpy as np
from scipy.special import gammaincinv, ndtr, ndtri, stdtrit

from . import catalogue
from .errors import DomainError, InputError, InputTypeError, format_value
from .fields import Field, FieldSet
from .irb import _basel_corr
from .lazy import lazy_module
from .schema import CORR, NONNEG, SCHEMA, UNIT, Param, declare, param
from .lgd_mc import _normal_score
from .validation import Interval

pd = lazy_module("pandas")  # imported at first use (slow to load)

__all__ = ["TAPE_COLUMNS", "SETTINGS", "OUTPUTS", "CONTRIB_COLUMNS", "PATH_CHUNK",
           "LOAN_CHUNK", "Book", "Model", "PortfolioResult", "parse_tape", "prepare",
           "simulate_portfolio", "simulate_many", "serial_map", "factor_labels",
           "portfolio_loss_block", "contribution_table", "fields_table", "clear_memo"]

#: Paths per chunk and loans per chunk: constants, so results never depend on the executor.
PATH_CHUNK = 4096
LOAN_CHUNK = 1024
#: Most paths per block of the loan batch's LGDs within a chunk, and about the most (path,
#: loan) cells of a block (fewer paths for a chunk of many loans, so that a block's
#: temporaries stay within the processor's caches): bounds the temporaries, never changes a
#: draw or a result (the blocks are the chunk's stream in order).
ROW_BLOCK = 512
BLOCK_CELLS = 2 ** 17
#: Sections for the standard errors of quantiles and ES (batching; Glasserman 2004, 4.5).
SECTIONS = 16
MAX_LOANS = 200_000
MAX_FAMILIES = 50
_FUNCTION_ID = "PORTFOLIO"


# --------------------------------------------------------------------------------------------
# declarations: tape columns and settings
# --------------------------------------------------------------------------------------------

def _corr(name: str, default: float, what: str, src: str = "D: docs/model.md §8.8") -> Param:
    return Param(name, "decimal", what, CORR, default=default, source=src)


#: Parameters of the portfolio model not declared by other models.
P = declare(
    Param("tape", "", "Loan tape: a header row (ead, pd, collateral_value required; see "
          "PORTFOLIO_FIELDS) and one row per facility; money in one currency", kind="range"),
    Param("loan_id", "", "Facility identifier", default=None, kind="text",
          empty="L1, L2, ... by tape row"),
    Param("borrower", "", "Obligor; the loans of one borrower default together", default=None,
          kind="text", empty="the loan_id (one borrower per loan)"),
    Param("sector", "", "Borrower sector, e.g. neo-cloud or miner (concentration report)",
          default="-", source="D: none given", kind="text"),
    Param("tenant", "", "Main tenant or offtaker whose contract backs the facility "
          "(concentration report)", default="-", source="D: none given", kind="text"),
    Param("sku_mix", "", "GPU SKU family of the collateral, or a mix such as 'H100: 0.6; "
          "B200: 0.4' (shares add up to 1); catalogue aliases are recognised; a tape column "
          "headed sku is read as sku_mix", default="GPU",
          source="D: one family for the whole book", kind="text"),
    Param("collateral_value", "currency", "Expected collateral value at the horizon (GPUs plus "
          "BTC), same currency as EAD", NONNEG),
    Param("btc_share", "decimal", "Share of the collateral value held in BTC", UNIT,
          default=0.0, source="D: none"),
    Param("seniority", "", "Rank on the collateral: senior, subordinated (behind prior_claims) "
          "or unsecured (no collateral)", default="senior", source="D: first lien",
          kind="choice", choices=("senior", "subordinated", "unsecured")),
    Param("prior_claims", "currency", "Claims ranking ahead of the loan on the same collateral "
          "(second liens)", NONNEG, default=0.0, source="D: none"),
    _corr("gpu_credit_corr", 0.4, "Correlation of every GPU-price factor with the credit factor "
          "(calm 0.4, stress 0.7)"),
    _corr("btc_credit_corr", 0.3, "Correlation of the BTC factor with the credit factor (calm "
          "0.3, stress 0.7)"),
    _corr("gpu_btc_corr", 0.2, "Correlation of every GPU-price factor with the BTC factor (calm "
          "0.2, stress 0.6)"),
    _corr("gpu_family_corr", 0.8, "Correlation between the price factors of two SKU families",
          "D: no published estimate"),
    Param("collateral_loading", "decimal", "Correlation of a facility's GPU value with its SKU "
          "family's price factor (the rest is the facility's own noise)", UNIT, default=0.9,
          source="D: no published estimate"),
    Param("common_factors", "", "on: the GPU and BTC factors are common to all loans; off: only "
          "the credit factor is (the single-factor view)", default="on",
          source="D: the book's concentration", kind="choice", choices=("on", "off")),
    Param("btc_drawdown", "decimal", "Fall of the BTC price before the horizon (a scenario): "
          "BTC collateral times (1 - drawdown)", Interval(0, 1, hi_closed=False), default=0.0,
          source="D: none"),
    Param("unsecured_recovery", "decimal", "Recovery on the part of EAD the collateral does "
          "not cover (0: collateral only, as LGD_MC)", UNIT, default=0.0,
          source="D: as LGD_MC"),
    Param("es_level", "decimal", "Confidence level of the expected shortfall and its Euler "
          "contributions", Interval(0.5, 1, hi_closed=False), default=0.999,
          source="P: Basel II para 272 (99.9%)"),
    Param("tail_sampling", "", "importance (half the paths with the credit factor shifted, "
          "balance heuristic) or plain", default="importance", source="D: lower tail error",
          kind="choice", choices=("importance", "plain")),
    Param("is_shift", "standard deviations", "Shift of the credit factor in the "
          "importance-sampled half of the paths", Interval(-8, 0), default=None,
          empty="Phi^-1(0.001) = -3.09"),
    Param("factor_corr", "decimal", "Full correlation matrix of the factors credit, gpu:<SKU "
          "family>..., btc (labelled rows and columns)", CORR, default=None, kind="range",
          empty="built from gpu_credit_corr, btc_credit_corr, gpu_btc_corr, gpu_family_corr"),
    Param("loss_paths", "paths", "Monte Carlo paths of the portfolio loss distribution",
          Interval(1000, 2_000_000), default=20_000, source="D: about a second for 60 loans",
          kind="int"),
    Param("loan_paths", "paths", "Paths of the per-loan batch (expected and downturn LGD, "
          "single-loan capital)", Interval(1000, 1_000_000), default=10_000,
          source="D: per-loan LGD to about 0.01", kind="int"),
)

#: The loan tape's columns (one row per facility); parsed by :func:`parse_tape`.
TAPE_COLUMNS = FieldSet("tape", [
    param("loan_id"), param("borrower"), param("sector"), param("tenant"), param("sku_mix"),
    param("ead"), param("pd"), param("asset_corr"), param("collateral_value"),
    Field(param("collateral_vol"), note="In a tape: empty takes the setting gpu_vol"),
    param("btc_share"), param("seniority"), param("prior_claims"),
    param("gpu_liquidation_cost"),
])
REQUIRED_COLUMNS = ("ead", "pd", "collateral_value")
#: Header aliases of tape columns (normalised header -> column).
COLUMN_ALIASES = {"sku": "sku_mix"}

#: Portfolio settings (a two-column block of field name and value, as LGD_MC's inputs).
SETTINGS = FieldSet("settings", [
    param("copula"), param("nu"), param("gpu_credit_corr"), param("btc_credit_corr"),
    param("gpu_btc_corr"), param("gpu_family_corr"), param("collateral_loading"),
    param("common_factors"),
    Field(param("gpu_vol"), note="Portfolio: for facilities whose tape row has no "
          "collateral_vol"),
    param("btc_vol"), param("btc_drawdown"), param("horizon_years"), param("gpu_haircut"),
    param("btc_haircut"), param("unsecured_recovery"), param("workout_years"),
    param("workout_discount_rate"), param("es_level"), param("tail_sampling"),
    param("is_shift"), param("loss_paths"), param("loan_paths"), param("seed"),
])
declare(Param("settings", "", "Two-column range of portfolio setting name and value (copula, "
              "correlations, loss_paths, seed...; see PORTFOLIO_FIELDS)", default=None,
              kind="block", empty="every setting at its default"))
SCHEMA.register_field_set(SETTINGS)

#: The label/value block of PORTFOLIO_LOSS, in order.
OUTPUTS = ("expected_loss", "loss_q99", "loss_q999", "expected_shortfall", "capital",
           "sum_single_capital", "diversification_factor", "fine_grained_loss_q999",
           "expected_loss_std_error", "loss_q999_std_error", "expected_shortfall_std_error",
           "es_level", "total_ead", "n_loans", "n_borrowers", "hhi_borrower", "hhi_sku",
           "hhi_tenant", "largest_borrower_es_share", "largest_sku_es_share",
           "largest_tenant_es_share", "loss_paths", "loan_paths")
#: Columns of the per-loan table (PORTFOLIO_CONTRIB).
CONTRIB_COLUMNS = ("loan_id", "borrower", "tenant", "sku", "ead", "pd", "asset_corr",
                   "expected_lgd", "downturn_lgd", "expected_loss", "single_capital",
                   "es_contribution", "es_capital", "es_share")
#: Settings that only change how the estimate is computed, not the model.
_SAMPLER_FIELDS = ("tail_sampling", "is_shift", "loss_paths", "loan_paths", "seed")


# --------------------------------------------------------------------------------------------
# tape parsing
# --------------------------------------------------------------------------------------------

def _norm_col(name: Any) -> str:
    return re.sub(r"[^a-z0-9]+", "_", str(name).strip().lower()).strip("_")


def _blank(v: Any) -> bool:
    if v is None:
        return True
    if isinstance(v, str):
        return not v.strip()
    if isinstance(v, float) and math.isnan(v):
        return True
    return False


def _as_columns(tape: Any) -> tuple[list[str], list[list[Any]]]:
    """(header, rows) from a DataFrame, a mapping of columns, or rows with a header row."""
    if pd.loaded() and isinstance(tape, pd.DataFrame):
        header = [str(c) for c in tape.columns]
        rows = tape.astype(object).where(tape.notna(), None).to_numpy().tolist()
        return header, rows
    if isinstance(tape, Mapping):
        header = [str(k) for k in tape]
        cols = [list(np.ravel(np.asarray(v, dtype=object))) for v in tape.values()]
        n = {len(c) for c in cols}
        if len(n) > 1:
            raise InputTypeError("tape", value=None, key="not_number",
                                 formatted="columns of different lengths")
        return header, [list(r) for r in zip(*cols)]
    if isinstance(tape, np.ndarray):
        tape = tape.tolist()
    if not isinstance(tape, (list, tuple)) or not tape or \
            not all(isinstance(r, (list, tuple)) for r in tape):
        raise InputTypeError("tape", "a range with a header row and one row per loan", None,
                             formatted=format_value(tape if not isinstance(tape, (list, tuple))
                                                    else "a single cell or row"))
    header = ["" if _blank(h) else _text(h) for h in tape[0]]
    if not any(header):
        raise InputError("tape", "a range with a header row and one row per loan", None)
    rows = [list(r) for r in tape[1:]]
    return header, rows


def _text(v: Any) -> str:
    if isinstance(v, float) and v == int(v):
        return str(int(v))
    return str(v).strip()


def _parse_mix(text: str, where: str) -> list[tuple[str, float]]:
    """'H100: 0.6; B200 40%' -> [(family, share)]; a single name -> [(name, 1.0)]."""
    parts = [p for p in re.split(r"[;,|+]", text) if p.strip()]
    out: list[tuple[str, float]] = []
    for p in parts:
        m = re.match(r"^\s*(.*?)\s*[:=]?\s*([0-9]*\.?[0-9]+)\s*(%?)\s*$", p)
        if len(parts) == 1 and (m is None or not m.group(1)):
            return [(_family(p), 1.0)]
        if len(parts) == 1 and m is not None and not re.search(r"[:=%]", p):
            return [(_family(p), 1.0)]      # e.g. 'H100 SXM5' (digits are part of the name)
        if m is None or not m.group(1):
            raise InputTypeError(where, value=text, key="not_text",
                                 formatted=f"text '{text}' (write a mix as 'H100: 0.6; "
                                           f"B200: 0.4')")
        share = float(m.group(2)) / (100.0 if m.group(3) else 1.0)
        out.append((_family(m.group(1)), share))
    total = sum(s for _, s in out)
    if not out or abs(total - 1.0) > 1e-6 or any(s <= 0 for _, s in out):
        raise DomainError(where, "a mix of positive shares adding up to 1", None,
                          formatted=f"'{text}' (shares add up to {total:g})")
    merged: dict[str, float] = {}
    for f, s in out:
        merged[f] = merged.get(f, 0.0) + s
    return list(merged.items())


def _family(name: str) -> str:
    """The SKU family: the catalogue's canonical SKU for a known name or alias, else the name."""
    name = name.strip()
    try:
        return catalogue.find_sku(name)
    except InputError:
        return re.sub(r"\s+", " ", name)


def _fkey(family: str) -> str:
    return re.sub(r"[^a-z0-9]", "", family.lower())


@dataclass(frozen=True)
class Book:
    """A validated loan tape: one entry per loan (arrays), loans ordered as in the tape."""

    loan_id: tuple
    borrower: tuple
    sector: tuple
    tenant: tuple
    sku: tuple
    ead: np.ndarray
    pd: np.ndarray
    asset_corr: np.ndarray
    collateral_value: np.ndarray
    collateral_vol: np.ndarray          # NaN where the tape left it empty (setting gpu_vol)
    btc_share: np.ndarray
    secured: np.ndarray                 # bool
    prior_claims: np.ndarray
    gpu_liquidation_cost: np.ndarray
    families: tuple                     # SKU families, factor order
    mix: np.ndarray                     # (loans, families) shares
    borrower_index: np.ndarray          # int, position in borrowers()
    extra: pd.DataFrame = field(repr=False, default=None)   # other tape columns, raw

    @property
    def n(self) -> int:
        return int(self.ead.size)

    def borrowers(self) -> list[str]:
        out: dict[str, None] = {}
        for b in self.borrower:
            out.setdefault(b, None)
        return list(out)

    def replace(self, **changes: Any) -> "Book":
        return replace(self, **changes)


def _row_label(r: int, loan: str | None) -> str:
    return f"tape row {r}" + (f" (loan '{loan}')" if loan else "")


def parse_tape(tape: Any) -> Book:
    """Validate a loan tape into a :class:`Book`.

    Parameters
    ----------
    tape : DataFrame, mapping of column -> values, or list of rows with a header row
        One row per facility; columns of :data:`TAPE_COLUMNS` (names matched case-insensitively,
        spaces and punctuation as ``_``); ``ead``, ``pd`` and ``collateral_value`` are required.
        Other columns are kept in ``Book.extra`` (the scenario grid reads rents and debt terms
        from them); a column whose name is a near miss of a tape column is an error.

    Returns
    -------
    Book

    Raises
    ------
    InputTypeError, DomainError
        A missing required column, a misspelt column, a value outside its domain, a bad SKU mix,
        loans of one borrower with different PDs or asset correlations: the message names the
        tape row (1 = first loan), the loan and the column. Nothing is computed on part of a
        tape.
    """
    header, rows = _as_columns(tape)
    names = [COLUMN_ALIASES.get(_norm_col(h), _norm_col(h)) for h in header]
    known = set(TAPE_COLUMNS.names()) | set(COLUMN_ALIASES)
    index: dict[str, int] = {}
    for j, (raw, n) in enumerate(zip(header, names)):
        if not n:
            continue
        if n in index:
            raise InputTypeError("tape", value=raw, key="duplicate_field",
                                 formatted=f"column '{raw}'")
        if n not in known:
            near = difflib.get_close_matches(n, sorted(known), n=1, cutoff=0.85)
            if near:
                raise InputTypeError("tape", value=raw, key="unknown_field",
                                     formatted=f"column '{raw}'",
                                     hint=f"; did you mean '{near[0]}'?")
        index[n] = j
    missing = [c for c in REQUIRED_COLUMNS if c not in index]
    if missing:
        found = ", ".join(h for h in header if h) or "none"
        raise InputError("tape", "", None, key="missing_column",
                         formatted=", ".join(missing), found=found)
    rows = [r for r in rows if not all(_blank(v) for v in r)]
    if not rows:
        raise InputError("tape", "at least one loan row", None, key="too_few", limit=1, n=0)
    if len(rows) > MAX_LOANS:
        raise InputTypeError("tape", value=None, key="too_many", limit=MAX_LOANS, n=len(rows))
    ids = []
    for r, row in enumerate(rows, start=1):
        v = row[index["loan_id"]] if "loan_id" in index else None
        ids.append(f"L{r}" if _blank(v) else _text(v))
    cols: dict[str, list[Any]] = {}
    for p in TAPE_COLUMNS:
        default = None if p.required else p.default      # optional in a tape (see notes)
        if p.name not in index:
            cols[p.name] = [default] * len(rows)
            continue
        if p.kind == "float":   # fast path: a clean numeric column inside its domain
            raw_col = [row[index[p.name]] for row in rows]
            if all(type(v) in (float, int) or isinstance(v, (np.floating, np.integer))
                   for v in raw_col):
                arr = np.asarray(raw_col, dtype=float)
                if (p.domain or Interval()).contains(arr).all():
                    cols[p.name] = arr.tolist()
                    continue
        vals = []
        for r, row in enumerate(rows, start=1):
            raw = row[index[p.name]]
            where = f"{_row_label(r, ids[r - 1])}, column {p.name}"
            if _blank(raw):
                if p.name in REQUIRED_COLUMNS:
                    raise InputError(where, key="required")
                vals.append(default)
                continue
            if isinstance(raw, str) and raw.strip().upper().startswith("#"):
                raise InputTypeError(where, value=raw, key="error_cell",
                                     formatted=raw.strip())
            vals.append(_text(raw) if p.kind == "text" else p.check(raw, label=where))
        cols[p.name] = vals
    cols["loan_id"] = ids
    cols["borrower"] = [b if b is not None else i for b, i in zip(cols["borrower"], ids)]
    if len(set(ids)) != len(ids):
        seen: dict[str, int] = {}
        for r, i in enumerate(ids, start=1):
            if i in seen:
                raise InputTypeError(f"{_row_label(r, i)}, column loan_id", value=i,
                                     key="repeats", formatted=f"'{i}'",
                                     other=f"tape row {seen[i]}")
            seen[i] = r
    ead = np.asarray(cols["ead"], dtype=float)
    pd_ = np.asarray(cols["pd"], dtype=float)
    ac = np.asarray([np.nan if v is None else v for v in cols["asset_corr"]], dtype=float)
    ac = np.where(np.isnan(ac), _basel_corr(pd_, "corporate", None), ac)
    secured = np.asarray([s != "unsecured" for s in cols["seniority"]])
    prior = np.asarray(cols["prior_claims"], dtype=float)
    for r in range(len(rows)):
        if cols["seniority"][r] == "subordinated" and prior[r] <= 0:
            raise DomainError(f"{_row_label(r + 1, ids[r])}, column prior_claims",
                              "> 0 for a subordinated loan (the claims ranking ahead)",
                              prior[r])
    # borrowers: one PD and one asset correlation each
    b_index: dict[str, int] = {}
    first: dict[str, int] = {}
    bidx = np.empty(len(rows), dtype=np.int64)
    for r, b in enumerate(cols["borrower"]):
        if b not in b_index:
            b_index[b] = len(b_index)
            first[b] = r
        else:
            f0 = first[b]
            for name, arr in (("pd", pd_), ("asset_corr", ac)):
                if abs(arr[r] - arr[f0]) > 1e-12:
                    raise DomainError(
                        f"{_row_label(r + 1, ids[r])}, column {name}",
                        f"the same for every loan of borrower '{b}' (tape row {f0 + 1} has "
                        f"{arr[f0]:g})", arr[r])
        bidx[r] = b_index[b]
    # SKU mixes
    memo: dict[str, list[tuple[str, float]]] = {}
    mixes = []
    for r, text in enumerate(cols["sku_mix"]):
        if text not in memo:   # the first row with this text is the one an error names
            memo[text] = _parse_mix(text, f"{_row_label(r + 1, ids[r])}, column sku")
        mixes.append(memo[text])
    fams: dict[str, str] = {}    # case- and punctuation-blind key -> first spelling
    for m in mixes:
        for f, _ in m:
            fams.setdefault(_fkey(f), f)
    families = tuple(fams.values())
    if len(families) > MAX_FAMILIES:
        raise InputTypeError("tape column sku", value=None, key="too_many", limit=MAX_FAMILIES,
                             n=len(families))
    mix = np.zeros((len(rows), len(families)))
    fpos = {_fkey(f): k for k, f in enumerate(families)}
    for r, m in enumerate(mixes):
        for f, share in m:
            mix[r, fpos[_fkey(f)]] += share
    vol = np.asarray([np.nan if v is None else v for v in cols["collateral_vol"]], dtype=float)
    others = [h for h, n in zip(header, names) if n and n not in known]
    extra = pd.DataFrame({h: [row[header.index(h)] for row in rows] for h in others})
    return Book(
        loan_id=tuple(ids), borrower=tuple(cols["borrower"]), sector=tuple(cols["sector"]),
        tenant=tuple(cols["tenant"]), sku=tuple(_mix_text(m) for m in mixes), ead=ead,
        pd=pd_, asset_corr=ac, collateral_value=np.asarray(cols["collateral_value"], float),
        collateral_vol=vol, btc_share=np.asarray(cols["btc_share"], dtype=float),
        secured=secured, prior_claims=prior,
        gpu_liquidation_cost=np.asarray(cols["gpu_liquidation_cost"], dtype=float),
        families=families, mix=mix, borrower_index=bidx, extra=extra)


def _mix_text(m: list[tuple[str, float]]) -> str:
    if len(m) == 1:
        return m[0][0]
    return "; ".join(f"{f}: {s:g}" for f, s in m)


# --------------------------------------------------------------------------------------------
# factor correlation
# --------------------------------------------------------------------------------------------

def factor_labels(families: Sequence[str]) -> list[str]:
    """Names of the factors in order: credit, gpu:<family> ..., btc."""
    return ["credit"] + [f"gpu:{f}" for f in families] + ["btc"]


def _settings_corr(s: Mapping[str, Any], k: int) -> np.ndarray:
    n = k + 2
    c = np.eye(n)
    c[0, 1:k + 1] = c[1:k + 1, 0] = s["gpu_credit_corr"]
    c[0, -1] = c[-1, 0] = s["btc_credit_corr"]
    c[1:k + 1, -1] = c[-1, 1:k + 1] = s["gpu_btc_corr"]
    for a in range(1, k + 1):
        for b in range(1, k + 1):
            if a != b:
                c[a, b] = s["gpu_family_corr"]
    return c


def _check_corr(c: np.ndarray, labels: list[str], source: str) -> None:
    """Symmetric, unit diagonal, entries in [-1, 1], positive semi-definite."""
    n = len(labels)
    if c.shape != (n, n):
        raise InputTypeError(source, value=None, key="not_number",
                             formatted=f"a {c.shape[0]}x{c.shape[1] if c.ndim > 1 else 1} "
                                       f"matrix (needs {n}x{n}: {', '.join(labels)})")
    for i in range(n):
        for j in range(n):
            v = c[i, j]
            where = f"{source} row {labels[i]}, column {labels[j]}"
            if not math.isfinite(v) or abs(v) > 1:
                raise DomainError(where, "in [-1, 1]", v)
            if i == j and abs(v - 1) > 1e-12:
                raise DomainError(where, "1 (a correlation matrix has a unit diagonal)", v)
            if abs(v - c[j, i]) > 1e-12:
                raise DomainError(where, f"equal to row {labels[j]}, column {labels[i]} "
                                  f"({c[j, i]:g}): the matrix must be symmetric", v)
    w, vec = np.linalg.eigh(c)
    if w[0] < -1e-10:
        top = np.argsort(-np.abs(vec[:, 0]))[:3]
        names = ", ".join(labels[i] for i in sorted(top))
        raise DomainError(source, "a positive semi-definite correlation matrix", None,
                          formatted=f"a matrix with smallest eigenvalue {w[0]:.4g} (the "
                                    f"correlations among {names} cannot hold together)")


def _corr_matrix(s: Mapping[str, Any], families: Sequence[str],
                 factor_corr: Any = None) -> np.ndarray:
    labels = factor_labels(families)
    if factor_corr is None:
        c = _settings_corr(s, len(families))
        try:
            _check_corr(c, labels, "factor correlation")
        except DomainError:
            shown = ", ".join(f"{n} {s[n]:g}" for n in ("gpu_credit_corr", "btc_credit_corr",
                                                        "gpu_btc_corr", "gpu_family_corr"))
            w = np.linalg.eigvalsh(c)[0]
            raise DomainError("settings", "correlations that form a positive semi-definite "
                              "matrix of the credit, GPU-family and BTC factors", None,
                              formatted=f"{shown} (smallest eigenvalue {w:.4g} with "
                                        f"{len(families)} SKU families)") from None
        return c
    if pd.loaded() and isinstance(factor_corr, pd.DataFrame):
        rows = [str(x) for x in factor_corr.index]
        colsl = [str(x) for x in factor_corr.columns]
        if sorted(rows) != sorted(labels) or sorted(colsl) != sorted(labels):
            miss = sorted(set(labels) - set(rows)) or sorted(set(labels) - set(colsl))
            extra = sorted(set(rows) - set(labels))
            raise InputTypeError("factor_corr", value=None, key="not_number",
                                 formatted="a matrix whose rows and columns do not match the "
                                           f"factors {labels}" + (f" (missing {miss})" if miss
                                                                  else "")
                                           + (f" (unknown {extra})" if extra else ""))
        c = factor_corr.loc[labels, labels].to_numpy(dtype=float)
    else:
        try:
            c = np.asarray(factor_corr, dtype=float)
        except (TypeError, ValueError):
            raise InputTypeError("factor_corr", value=None, key="not_number",
                                 formatted="a matrix with text in it") from None
    _check_corr(c, labels, "factor_corr")
    return c


def _psd_factor(m: np.ndarray) -> np.ndarray:
    w, v = np.linalg.eigh((m + m.T) / 2.0)
    return v * np.sqrt(np.clip(w, 0.0, None))


# --------------------------------------------------------------------------------------------
# the prepared model (picklable; what every task receives)
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Model:
    """A validated book with settings and factor structure, split into loan chunks."""

    book: Book
    settings: dict
    corr: np.ndarray
    load: np.ndarray            # Sigma_r0: loadings of (G_1..G_K, B) on X
    resid: np.ndarray           # C with C C' = Sigma_rr - Sigma_r0 Sigma_0r
    threshold: np.ndarray       # per borrower: Phi^-1(PD) or t_nu^-1(PD)
    borrower_r: np.ndarray      # per borrower asset correlation
    vol: np.ndarray             # per loan GPU vol (tape or setting)
    chunks: tuple               # tuple of (loan index array, borrower index array)
    nu: float | None
    loan_shift: float = 0.0     # importance-sampling shift of the loan batch's credit factor

    @property
    def n_factors(self) -> int:
        return self.corr.shape[0]


def _chunks(book: Book) -> tuple:
    """Loan chunks of about LOAN_CHUNK loans that never split a borrower."""
    order = np.argsort(book.borrower_index, kind="stable")
    out, start = [], 0
    bi = book.borrower_index[order]
    n = order.size
    while start < n:
        stop = min(start + LOAN_CHUNK, n)
        while stop < n and bi[stop] == bi[stop - 1]:
            stop += 1
        loans = np.sort(order[start:stop])
        out.append((loans, np.unique(book.borrower_index[loans])))
        start = stop
    return tuple(out)


def parse_settings(settings: Any = None) -> dict[str, Any]:
    """Parse a settings block (mapping or (field, value) pairs) against :data:`SETTINGS`."""
    if isinstance(settings, Mapping):
        settings = list(settings.items())
    return SETTINGS.parse(settings or [])


def prepare(tape: Any, settings: Any = None, *, factor_corr: Any = None) -> Model:
    """Validate a tape and settings into a :class:`Model` (nothing is simulated).

    ``tape`` as :func:`parse_tape` (or a :class:`Book`); ``settings`` a mapping or (field,
    value) pairs of :data:`SETTINGS`; ``factor_corr`` an optional full correlation matrix of
    the factors (a DataFrame labelled by :func:`factor_labels`, or an array in that order)
    instead of the four correlation settings.
    """
    book = tape if isinstance(tape, Book) else parse_tape(tape)
    s = settings if isinstance(settings, dict) and set(settings) == set(SETTINGS.names()) \
        else parse_settings(settings)
    corr = _corr_matrix(s, book.families, factor_corr)
    load = corr[1:, 0].copy()
    resid = _psd_factor(corr[1:, 1:] - np.outer(load, load))
    nu = float(s["nu"]) if s["copula"] == "t" else None
    nb = len(book.borrowers())
    bpd = np.empty(nb)
    br = np.empty(nb)
    bpd[book.borrower_index] = book.pd
    br[book.borrower_index] = book.asset_corr
    thr = stdtrit(nu, bpd) if nu else ndtri(bpd)
    vol = np.where(np.isnan(book.collateral_vol), s["gpu_vol"], book.collateral_vol)
    return Model(book, dict(s), corr, load, resid, np.asarray(thr, float), br, vol,
                 _chunks(book), nu, _loan_shift(book, s))


def _loan_shift(book: Book, s: Mapping[str, Any]) -> float:
    """Shift of the loan batch's credit factor: the mode of phi(x) p(x) for the EAD-weighted
    average loan (where E[p(X) LGD] gets its mass), 0 for plain sampling."""
    if s["tail_sampling"] != "importance" or book.ead.sum() <= 0:
        return 0.0
    w = book.ead / book.ead.sum()
    pd_, r = float(w @ book.pd), float(w @ book.asset_corr)
    x = np.linspace(-5.0, 0.0, 501)
    dens = -0.5 * x * x + np.log(np.maximum(
        ndtr((ndtri(pd_) - math.sqrt(r) * x) / math.sqrt(1.0 - r)), 1e-300))
    return float(x[int(np.argmax(dens))])


# --------------------------------------------------------------------------------------------
# random streams
# --------------------------------------------------------------------------------------------

def _rng(seed: int, *key: int) -> np.random.Generator:
    """Generator for (seed, stream, chunk ...): SeedSequence from the seed and a SHA-256 digest
    of the function name, spawn key = the stream and chunk indices."""
    digest = hashlib.sha256(f"{seed}|{_FUNCTION_ID}".encode("utf-8")).digest()
    ss = np.random.SeedSequence([int(seed), int.from_bytes(digest[:16], "little")],
                                spawn_key=tuple(int(k) for k in key))
    return np.random.default_rng(ss)


_MAIN_SYS, _MAIN_IDIO, _MAIN_OFF, _LOAN_SYS, _LOAN_IDIO = range(5)


def _is_shift(s: Mapping[str, Any]) -> float:
    if s["tail_sampling"] != "importance":
        return 0.0
    return float(ndtri(0.001)) if s["is_shift"] is None else float(s["is_shift"])


@dataclass
class _Systematic:
    x: np.ndarray           # (P,) credit factor (normal, before the t division)
    rest: np.ndarray        # (P, K+1) GPU family and BTC factors, common part
    zr: np.ndarray          # (P, K+1) independent normals behind the residual part
    s: np.ndarray           # (P,) t mixing scale (ones for Gaussian)
    w: np.ndarray           # (P,) importance weights


def _main_systematic(m: Model, p: int, n_paths: int) -> _Systematic:
    lo = p * PATH_CHUNK
    size = min(PATH_CHUNK, n_paths - lo)
    g = _rng(m.settings["seed"], _MAIN_SYS, p)
    z = g.standard_normal((size, m.n_factors))
    u = np.clip(g.random(size), 1e-16, 1 - 1e-16)
    mu = _is_shift(m.settings)
    x = z[:, 0].copy()
    if mu != 0.0:
        shifted = (np.arange(lo, lo + size) % 2) == 1
        x[shifted] += mu
        w = 1.0 / (0.5 + 0.5 * np.exp(mu * x - 0.5 * mu * mu))
    else:
        w = np.ones(size)
    s = _scale(m.nu, u)
    zr = z[:, 1:]
    rest = x[:, None] * m.load[None, :] + zr @ m.resid.T
    return _Systematic(x, rest, zr, s, w)


def _scale(nu: float | None, u: np.ndarray) -> np.ndarray:
    if nu is None:
        return np.ones_like(u)
    return np.sqrt(2.0 * gammaincinv(nu / 2.0, u) / nu)


# --------------------------------------------------------------------------------------------
# kernels
# --------------------------------------------------------------------------------------------

def _pick(a: np.ndarray, sub: np.ndarray | None) -> np.ndarray:
    """``a`` restricted to ``sub`` along the last (loan or pair) axis; broadcast axes stay."""
    if sub is None or np.ndim(a) == 0 or a.shape[-1] == 1:
        return a
    return a[..., sub]


def _scores(m: Model, loans: np.ndarray, fac: np.ndarray, eta: np.ndarray,
            s: np.ndarray) -> tuple:
    """The copula's normal scores of the collateral of (path, loan) pairs, in the layouts of
    :func:`_lgd`: ``(shape, y, yb)`` with ``y[f]`` the scores of SKU family f for the loans
    holding it (None when none does) and ``yb`` those of the BTC (None when no loan holds
    BTC). They depend on the draws and the dependence (correlations, collateral_loading, the
    copula) only, never on collateral values, volatilities, haircuts or terms."""
    b = m.book
    k = len(b.families)
    beta = m.settings["collateral_loading"]
    shape = np.broadcast_shapes(np.shape(eta), np.shape(s))
    idio = math.sqrt(max(1.0 - beta * beta, 0.0)) * eta
    y: list[np.ndarray | None] = []
    for f in range(k):
        on = b.mix[loans, f] > 0
        n_on = int(on.sum())
        if n_on == 0:
            y.append(None)
            continue
        sub = None if n_on == on.size else np.flatnonzero(on)
        z = beta * _pick(fac[..., f], sub) + _pick(idio, sub)
        y.append(_normal_score(z, _pick(s, sub), m.nu))
    on = b.btc_share[loans] > 0
    n_on = int(on.sum())
    yb = None
    if n_on:
        sub = None if n_on == on.size else np.flatnonzero(on)
        yb = _normal_score(_pick(fac[..., k], sub), _pick(s, sub), m.nu)
    return shape, y, yb


def _select_scores(m: Model, loans: np.ndarray, scores: tuple, sel: np.ndarray) -> tuple:
    """The scores of the pairs ``sel`` (a boolean mask) of pairs of loans ``loans``."""
    b = m.book
    (n,), y, yb = scores
    ys = [None if v is None else v[sel[b.mix[loans, f] > 0]] for f, v in enumerate(y)]
    ys = [None if v is None or v.size == 0 else v for v in ys]
    ybs = None if yb is None else yb[sel[b.btc_share[loans] > 0]]
    ybs = None if ybs is None or ybs.size == 0 else ybs
    return (int(sel.sum()),), ys, ybs


def _lgd_of_scores(m: Model, loans: np.ndarray, scores: tuple) -> np.ndarray:
    """LGD per (path, loan) pair from the collateral's normal scores (:func:`_scores`): the
    collateral values, volatilities, haircuts, claims and workout terms."""
    st, b = m.settings, m.book
    shape, y, yb = scores
    k = len(b.families)
    t = st["horizon_years"]
    sig = m.vol[loans] * math.sqrt(t)
    cv = b.collateral_value[loans]
    bs = b.btc_share[loans]
    gpu = np.zeros(shape)
    for f in range(k):
        if y[f] is None:
            continue
        wf = b.mix[loans, f]
        on = wf > 0
        n_on = int(on.sum())
        sub = None if n_on == wf.size else np.flatnonzero(on)
        sg = _pick(sig, sub)
        term = sg * y[f]
        term -= 0.5 * sg * sg
        np.exp(term, out=term)
        term *= _pick(wf, sub)
        if sub is None:
            gpu += term
        else:
            gpu[..., sub] += term
    gpu *= cv * (1.0 - bs)
    net = np.maximum(gpu * (1.0 - st["gpu_haircut"]) - b.gpu_liquidation_cost[loans], 0.0)
    if yb is not None:
        on = bs > 0
        n_on = int(on.sum())
        sub = None if n_on == bs.size else np.flatnonzero(on)
        sb = st["btc_vol"] * math.sqrt(t)
        btc = _pick(cv * bs, sub) * (1.0 - st["btc_drawdown"]) * np.exp(sb * yb - 0.5 * sb * sb)
        btc = btc * (1.0 - st["btc_haircut"])
        if sub is None:
            net = net + btc
        else:
            net[..., sub] += btc
    avail = np.where(b.secured[loans], np.maximum(net - b.prior_claims[loans], 0.0), 0.0)
    ead = b.ead[loans]
    covered = np.minimum(ead, avail)
    df = (1.0 + st["workout_discount_rate"]) ** (-st["workout_years"])
    rec = (covered + st["unsecured_recovery"] * (ead - covered)) * df
    safe = np.where(ead > 0, ead, 1.0)
    lgd = np.where(ead > 0, 1.0 - rec / safe, 0.0)
    return np.clip(lgd, 0.0, 1.0)


def _lgd(m: Model, loans: np.ndarray, fac: np.ndarray, eta: np.ndarray,
         s: np.ndarray) -> np.ndarray:
    """LGD per (path, loan) pair, broadcast over two layouts:

    * pairs: ``loans`` (n,) loan indices, ``fac`` (n, K+1) GPU family and BTC factor values,
      ``eta`` (n,) idiosyncratic collateral normals, ``s`` (n,) t scales;
    * grid: ``loans`` (L,), ``fac`` (P, 1, K+1), ``eta`` (P, L), ``s`` (P, 1).
    """
    return _lgd_of_scores(m, loans, _scores(m, loans, fac, eta, s))


# --------------------------------------------------------------------------------------------
# what the tasks remember: the draws' normal scores
# --------------------------------------------------------------------------------------------

#: Bytes of normal scores (and default indicators) the tasks keep, by a digest of exactly
#: what they depend on (:func:`_task_key`): a simulation whose draws, dependence and default
#: thresholds are those of a recent one (a collateral value, a volatility, a haircut or a
#: workout term changed; pass 2 after pass 1) computes only the LGDs from them. Results are
#: those of computing the scores again (the same arithmetic on the same numbers).
SCORE_MEMORY = 64 * 2 ** 20
_SCORES: OrderedDict[bytes, tuple[Any, int]] = OrderedDict()


def _digest(*parts: Any) -> bytes:
    """SHA-256 of values and arrays (values, dtypes and shapes)."""
    h = hashlib.sha256()
    for v in parts:
        if isinstance(v, np.ndarray):
            a = np.ascontiguousarray(v)
            h.update(f"{a.dtype.str}{a.shape}".encode())
            h.update(a.tobytes())
        else:
            h.update(repr(v).encode("utf-8"))
        h.update(b"\x00")
    return h.digest()


def _task_key(m: Model, kind: str, p: int, c: int, n_paths: int) -> bytes:
    """Everything the draws, default indicators and scores of a task depend on."""
    b, s = m.book, m.settings
    loans, borrowers = m.chunks[c]
    common = (kind, PATH_CHUNK, _block_rows(loans.size), s["seed"], p, n_paths, m.nu,
              m.load, m.resid, s["collateral_loading"], len(b.families), loans,
              b.mix[loans] > 0, b.btc_share[loans] > 0)
    if kind == "main":
        return _digest(*common, _is_shift(s), s["common_factors"], borrowers,
                       b.borrower_index[loans], m.threshold[borrowers],
                       m.borrower_r[borrowers])
    # the loan batch's scores: not its PDs and asset correlations (its default
    # probabilities are kept apart, :func:`_task_loans`)
    return _digest(*common, m.loan_shift)


def _nbytes(v: Any) -> int:
    if isinstance(v, np.ndarray):
        return v.nbytes
    if isinstance(v, (tuple, list)):
        return sum(_nbytes(x) for x in v)
    return 0


def _frozen(v: Any) -> Any:
    if isinstance(v, np.ndarray):
        v.flags.writeable = False
    elif isinstance(v, (tuple, list)):
        for x in v:
            _frozen(x)
    return v


def _score_bytes() -> int:
    return sum(v[1] for v in list(_SCORES.values()))


def _recall(key: bytes) -> Any:
    hit = _SCORES.get(key)
    if hit is None:
        return None
    try:
        _SCORES.move_to_end(key)
    except KeyError:        # forgotten meanwhile by a task in another thread
        pass
    return hit[0]


def _remember(key: bytes, value: Any) -> None:
    size = _nbytes(value)
    if size > SCORE_MEMORY:
        return
    _SCORES[key] = (_frozen(value), size)
    while _score_bytes() > SCORE_MEMORY:     # the oldest go first
        try:
            _SCORES.popitem(last=False)
        except KeyError:
            break


def _forget_scores() -> None:
    _SCORES.clear()


# --------------------------------------------------------------------------------------------
# tasks
# --------------------------------------------------------------------------------------------

def _main_chunk_defaults(m: Model, p: int, c: int, n_paths: int
                         ) -> tuple[_Systematic, np.ndarray, np.ndarray, np.ndarray]:
    """Systematic draws, defaulted (path, loan) pairs (path index, loan position in the chunk)
    and their idiosyncratic collateral normals for one (path chunk, loan chunk) task.

    The collateral normals are drawn for the defaulted pairs only, in (path, loan) order, so
    their cost is proportional to the defaults; the draws depend on which pairs default (the
    seed, PDs and asset correlations), never on collateral, correlation or LGD inputs."""
    sysd = _main_systematic(m, p, n_paths)
    loans, borrowers = m.chunks[c]
    size = sysd.x.size
    g = _rng(m.settings["seed"], _MAIN_IDIO, p, c)
    xi = g.standard_normal((size, borrowers.size))
    r = m.borrower_r[borrowers]
    bound = (m.threshold[borrowers][None, :] * sysd.s[:, None]
             - np.sqrt(r)[None, :] * sysd.x[:, None]) / np.sqrt(1.0 - r)[None, :]
    dflt = xi < bound
    if borrowers.size != loans.size or not np.array_equal(
            m.book.borrower_index[loans], borrowers):
        dflt = dflt[:, np.searchsorted(borrowers, m.book.borrower_index[loans])]
    jj, ii = np.nonzero(dflt)
    eta = g.standard_normal(jj.size)
    return sysd, jj, ii, eta


def _main_pairs(m: Model, p: int, c: int, n_paths: int) -> tuple:
    """``(w, jj, ii, scores)`` of a main-run task: the paths' importance weights, the defaulted
    pairs (path, loan position in the chunk) and their collateral's scores (remembered)."""
    key = _task_key(m, "main", p, c, n_paths)
    hit = _recall(key)
    if hit is not None:
        return hit
    loans = m.chunks[c][0]
    sysd, jj, ii, eta = _main_chunk_defaults(m, p, c, n_paths)
    fac = sysd.rest[jj] if jj.size else np.zeros((0, m.n_factors - 1))
    if m.settings["common_factors"] == "off":
        # the part of each GPU/BTC factor not explained by X is the loan's own, not the path's
        go = _rng(m.settings["seed"], _MAIN_OFF, p, c)
        eps = go.standard_normal((jj.size, m.n_factors - 1))
        fac = sysd.x[jj, None] * m.load[None, :] + eps @ m.resid.T
    out = (sysd.w, jj, ii, _scores(m, loans[ii], fac, eta, sysd.s[jj]))
    _remember(key, out)
    return out


def _task_main(m: Model, p: int, c: int, n_paths: int) -> tuple[np.ndarray, np.ndarray]:
    """Pass 1: per-path loss of the chunk's loans, and the paths' importance weights."""
    w, jj, ii, scores = _main_pairs(m, p, c, n_paths)
    li = m.chunks[c][0][ii]
    loss = m.book.ead[li] * _lgd_of_scores(m, li, scores)
    return np.bincount(jj, weights=loss, minlength=w.size), w


def _task_contrib(m: Model, p: int, c: int, n_paths: int, omega: np.ndarray) -> np.ndarray:
    """Pass 2: sum_j omega_j L_ij for the chunk's loans (omega: tail weights of the paths)."""
    loans = m.chunks[c][0]
    _w, jj, ii, scores = _main_pairs(m, p, c, n_paths)
    sel = omega[jj] > 0
    li = loans[ii[sel]]
    loss = m.book.ead[li] * _lgd_of_scores(m, li, _select_scores(m, loans[ii], scores, sel))
    return np.bincount(ii[sel], weights=omega[jj[sel]] * loss, minlength=loans.size)


def _loan_pd_terms(m: Model, loans: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Default threshold, sqrt(R) and sqrt(1 - R) of the loans' borrowers."""
    bi = m.book.borrower_index[loans]
    return m.threshold[bi], np.sqrt(m.borrower_r[bi]), np.sqrt(1.0 - m.borrower_r[bi])


def _pdef_block(ww: np.ndarray, ss: np.ndarray, xx: np.ndarray, r: slice,
                terms: tuple[np.ndarray, np.ndarray, np.ndarray]) -> np.ndarray:
    """Conditional default probabilities (times the importance weights) of paths ``r``."""
    thr, sr, sr1 = terms
    return ww[r, None] * ndtr((thr[None, :] * ss[r, None] - sr[None, :] * xx[r, None])
                              / sr1[None, :])


def _loan_blocks(m: Model, p: int, c: int, n_paths: int, systematic: list
                 ) -> Iterator[tuple]:
    """The loan batch's draws in the generator's order: ``(pass, rows, p, scores)`` per block
    of :func:`_block_rows` paths, pass 0 (unconditional) then pass 1 (downturn), with p the
    conditional default probabilities (times the importance weights) and the collateral's
    scores of the block's (path, loan) grid; ``systematic`` receives each pass's credit
    factor, t scale and importance weight per path."""
    lo = p * PATH_CHUNK
    size = min(PATH_CHUNK, n_paths - lo)
    seed = m.settings["seed"]
    loans = m.chunks[c][0]
    b = m.book
    g = _rng(seed, _LOAN_SYS, p)
    z = g.standard_normal((size, m.n_factors))
    u = np.clip(g.random(size), 1e-16, 1 - 1e-16)
    zd = g.standard_normal((size, m.n_factors - 1))
    ud = np.clip(g.random(size), 1e-16, 1 - 1e-16)
    gi = _rng(seed, _LOAN_IDIO, p, c)
    terms = _loan_pd_terms(m, loans)
    x = z[:, 0].copy()
    mu = m.loan_shift
    if mu != 0.0:   # defensive importance sampling of the credit factor, as the main run
        x[(np.arange(lo, lo + size) % 2) == 1] += mu
        wx = 1.0 / (0.5 + 0.5 * np.exp(mu * x - 0.5 * mu * mu))
    else:
        wx = np.ones(size)
    s = _scale(m.nu, u)
    rest = x[:, None] * m.load[None, :] + z[:, 1:] @ m.resid.T
    # downturn: the credit factor's normal score at x_q (as LGD_MC's downturn batch)
    x_q = float(ndtri(0.001))
    if m.nu:
        t_x = float(stdtrit(m.nu, ndtr(x_q)))
        s_d = np.sqrt(2.0 * gammaincinv((m.nu + 1.0) / 2.0, ud) / (m.nu + t_x * t_x))
        x_d = t_x * s_d
    else:
        s_d = np.ones(size)
        x_d = np.full(size, x_q)
    rest_d = x_d[:, None] * m.load[None, :] + zd @ m.resid.T
    # the unconditional pass draws its collateral normals first, then the downturn pass: the
    # order of the generator's stream
    rows = _block_rows(loans.size)
    passes = ((x, s, rest, wx), (x_d, s_d, rest_d, np.ones(size)))
    systematic.extend((xx, ss, ww) for xx, ss, _rr, ww in passes)
    for tag, (xx, ss, rr, ww) in enumerate(passes):
        for r0 in range(0, size, rows):
            r = slice(r0, min(r0 + rows, size))
            ee = gi.standard_normal((r.stop - r.start, loans.size))
            yield (tag, r, _pdef_block(ww, ss, xx, r, terms),
                   _scores(m, loans, rr[r, None, :], ee, ss[r, None]))


def _block_rows(n_loans: int) -> int:
    """Paths per block of the loan batch for a chunk of ``n_loans`` loans."""
    return max(16, min(ROW_BLOCK, BLOCK_CELLS // max(n_loans, 1)))


def _loan_score_bytes(m: Model, c: int, size: int) -> int:
    """Bytes the loan batch's blocks of one task hold (both passes)."""
    b = m.book
    loans = m.chunks[c][0]
    held = int((b.mix[loans] > 0).sum()) + int((b.btc_share[loans] > 0).sum())
    return 2 * size * (loans.size + held) * 8


def _task_loans(m: Model, p: int, c: int, n_paths: int) -> dict[str, np.ndarray]:
    """Loan batch: per-loan sums of p LGD and p (unconditional and at x_q) and per-path EL.

    Conditional sampling: the default indicator is replaced by its conditional probability
    p_i(X, s) given the factors (collateral does not depend on the borrower's own xi).
    The collateral normals are drawn and the LGDs computed :func:`_block_rows` paths at a time
    (the generator's stream in order, so the draws are those of one whole-chunk draw), which
    bounds the temporaries of the LGD to a block while the sums stay those of the chunk. The
    blocks' scores (with the paths' credit factor, t scale and weight) and, apart, their
    default probabilities are remembered when they fit in :data:`SCORE_MEMORY`: a new PD or
    asset correlation computes the probabilities again, not the scores."""
    size = min(PATH_CHUNK, n_paths - p * PATH_CHUNK)
    loans = m.chunks[c][0]
    rows = _block_rows(loans.size)
    ead = m.book.ead[loans]
    key = _task_key(m, "loans", p, c, n_paths)
    pkey = _digest(key, "p", m.threshold[m.book.borrower_index[loans]],
                   m.borrower_r[m.book.borrower_index[loans]])
    kept = _recall(key)
    keep: list | None = None            # scores to remember
    keep_p: list | None = None          # default probabilities to remember
    systematic: list = []
    if kept is None:
        if _loan_score_bytes(m, c, size) <= SCORE_MEMORY:
            keep, keep_p = [], []
        blocks: Iterable[tuple] = _loan_blocks(m, p, c, n_paths, systematic)
    else:
        systematic, kept_blocks = kept
        pdefs = _recall(pkey)
        if pdefs is None:
            keep_p = []
            terms = _loan_pd_terms(m, loans)
            pdefs = (_pdef_block(systematic[tag][2], systematic[tag][1], systematic[tag][0],
                                 r, terms) for tag, r, _sc in kept_blocks)
        blocks = ((tag, r, pb, sc) for (tag, r, sc), pb in zip(kept_blocks, pdefs))
    out = {}
    for tag, group in itertools.groupby(blocks, key=lambda blk: blk[0]):
        name = ("", "_d")[tag]
        pdef = np.empty((size, loans.size))
        pl = np.empty((size, loans.size))
        for _t, r, pb, sc in group:
            if keep is not None:
                keep.append((_t, r, sc))
            if keep_p is not None:
                keep_p.append(pb)
            pdef[r] = pb
            pl[r] = pb * _lgd_of_scores(m, loans, sc)
        out["pl" + name] = pl.sum(0)
        out["p" + name] = pdef.sum(0)
        # residual of the ratio estimator EL_i = EAD_i PD_i sum(p LGD) / sum(p), per path
        # (task-local LGD as the plug-in): its spread gives the standard error of EL
        with np.errstate(divide="ignore", invalid="ignore"):
            loc = np.where(out["p" + name] > 0, out["pl" + name] / out["p" + name], 0.0)
        res = np.empty(size)
        for r0 in range(0, size, rows):
            r = slice(r0, min(r0 + rows, size))
            res[r] = (pl[r] - loc[None, :] * pdef[r]) @ ead
        out["path_res" + name] = res
        del pdef, pl
    if keep is not None:
        _remember(key, (tuple(systematic), keep))
    if keep_p is not None:
        _remember(pkey, keep_p)
    return out


# --------------------------------------------------------------------------------------------
# estimators
# --------------------------------------------------------------------------------------------

def _descending(loss: np.ndarray) -> np.ndarray:
    """Indices of the losses from the largest, ties in path order (a stable sort)."""
    return np.argsort(-loss, kind="stable")


def _tail_weights(loss: np.ndarray, w: np.ndarray, level: float,
                  order: np.ndarray | None = None) -> tuple[float, float, np.ndarray]:
    """VaR and ES at ``level`` of the weighted sample, and the tail weights omega (sum_j omega_j
    L_j = ES; the atom at VaR is split so the tail has probability exactly 1 - level);
    ``order``: :func:`_descending` of the losses when already known."""
    n = loss.size
    tail = 1.0 - level
    if order is None:
        order = _descending(loss)
    ls, ws = loss[order], w[order] / n
    cum = np.cumsum(ws)
    k = int(np.searchsorted(cum, tail * (1 - 1e-12)))
    k = min(k, n - 1)
    var = float(ls[k])
    above = loss > var
    at = loss == var
    mass_above = float(w[above].sum() / n)
    omega = np.zeros(n)
    omega[above] = w[above] / n / tail
    at_mass = float(w[at].sum() / n)
    if at_mass > 0:
        omega[at] = (w[at] / n) * max(tail - mass_above, 0.0) / (tail * at_mass)
    es = float(omega @ loss)
    return var, es, omega


def _quantile(loss: np.ndarray, w: np.ndarray, level: float,
              order: np.ndarray | None = None) -> float:
    return _tail_weights(loss, w, level, order)[0]


def _sectioned_se(loss: np.ndarray, w: np.ndarray, level: float, full: tuple[float, float],
                  order: np.ndarray | None = None) -> tuple[float, float]:
    """Standard errors of VaR and ES by sectioning (paths j with j mod 16 = k); a section's
    order is the whole sample's (``order``) restricted to it, which is its own stable sort."""
    idx = (np.arange(loss.size) // 2) % SECTIONS   # pairs of paths: one plain, one shifted
    if order is None:
        order = _descending(loss)
    v, e = [], []
    for k in range(SECTIONS):
        sel = idx == k
        rank = np.cumsum(sel) - 1                 # position of a path within its section
        vk, ek, _ = _tail_weights(loss[sel], w[sel], level, rank[order[sel[order]]])
        v.append(vk)
        e.append(ek)
    v, e = np.asarray(v), np.asarray(e)
    denom = SECTIONS * (SECTIONS - 1)
    return (float(np.sqrt(((v - full[0]) ** 2).sum() / denom)),
            float(np.sqrt(((e - full[1]) ** 2).sum() / denom)))


def _hhi(shares: np.ndarray) -> float:
    return float((shares ** 2).sum())


@dataclass
class PortfolioResult:
    """What :func:`simulate_portfolio` returns.

    Attributes
    ----------
    summary : dict
        :data:`OUTPUTS` in order (currency in the tape's EAD currency, decimals otherwise).
    loans : DataFrame
        One row per loan, :data:`CONTRIB_COLUMNS`.
    concentration : dict of DataFrame
        By ``borrower``, ``sku`` (EAD and contributions split by collateral composition, BTC as
        its own group), ``tenant`` and ``sector``: ead, ead_share, expected_loss,
        es_contribution, es_share.
    losses, weights : ndarray
        Portfolio loss per path of the main run and its importance weight.
    """

    summary: dict
    loans: pd.DataFrame
    concentration: dict
    losses: np.ndarray = field(repr=False)
    weights: np.ndarray = field(repr=False)


def serial_map(fn: Callable[..., Any], args: Iterable[tuple]) -> list[Any]:
    """The default executor: run the tasks here, in order."""
    return [fn(*a) for a in args]


def _path_chunks(n: int) -> int:
    return (n + PATH_CHUNK - 1) // PATH_CHUNK


def simulate_many(models: Sequence[Model], map_fn: Callable[..., list] = serial_map
                  ) -> list[PortfolioResult]:
    """Simulate several prepared models (scenarios) with two calls of ``map_fn``.

    ``map_fn(fn, args_list)`` must return ``[fn(*a) for a in args_list]`` in order; it may run
    the tasks anywhere (processes, a Dask cluster): each task is a pure function of its
    arguments, so the result is the same for every executor.
    """
    first = []
    for si, m in enumerate(models):
        n, nl = m.settings["loss_paths"], m.settings["loan_paths"]
        for p in range(_path_chunks(n)):
            for c in range(len(m.chunks)):
                first.append(("main", si, p, c, (m, p, c, n)))
        for p in range(_path_chunks(nl)):
            for c in range(len(m.chunks)):
                first.append(("loans", si, p, c, (m, p, c, nl)))
    res1 = map_fn(_dispatch, [(kind, *args) for kind, _si, _p, _c, args in first])
    # reduce pass 1
    acc: list[dict[str, Any]] = []
    for m in models:
        n, nl = m.settings["loss_paths"], m.settings["loan_paths"]
        acc.append({"loss": np.zeros(n), "w": np.ones(n), "pl": np.zeros(m.book.n),
                    "p": np.zeros(m.book.n), "pl_d": np.zeros(m.book.n),
                    "p_d": np.zeros(m.book.n), "path_res": np.zeros(nl),
                    "path_res_d": np.zeros(nl)})
    for (kind, si, p, c, _), r in zip(first, res1):
        a, m = acc[si], models[si]
        lo = p * PATH_CHUNK
        if kind == "main":
            loss, w = r
            a["loss"][lo:lo + loss.size] += loss
            a["w"][lo:lo + w.size] = w
        else:
            loans = m.chunks[c][0]
            for key in ("pl", "p", "pl_d", "p_d"):
                a[key][loans] += r[key]
            for key in ("path_res", "path_res_d"):
                a[key][lo:lo + r[key].size] += r[key]
    # tail weights, then pass 2
    second = []
    for si, (m, a) in enumerate(zip(models, acc)):
        lvl = m.settings["es_level"]
        a["order"] = _descending(a["loss"])
        var, es, omega = _tail_weights(a["loss"], a["w"], lvl, a["order"])
        a.update(var_es=(var, es), omega=omega)
        n = m.settings["loss_paths"]
        for p in range(_path_chunks(n)):
            om = omega[p * PATH_CHUNK:(p + 1) * PATH_CHUNK]
            if not om.any():
                continue
            for c in range(len(m.chunks)):
                second.append((si, c, (m, p, c, n, om)))
    res2 = map_fn(_dispatch, [("contrib", *args) for _si, _c, args in second])
    for m, a in zip(models, acc):
        a["contrib"] = np.zeros(m.book.n)
    for (si, c, _), r in zip(second, res2):
        acc[si]["contrib"][models[si].chunks[c][0]] += r
    return [_finish(m, a) for m, a in zip(models, acc)]


def _dispatch(kind: str, *args: Any) -> Any:
    """One task: ``kind`` "main", "loans" or "contrib" with its (model, path chunk, loan chunk,
    paths[, tail weights]) arguments (flat, so an executor can swap the model for a handle)."""
    if kind == "main":
        return _task_main(*args)
    if kind == "loans":
        return _task_loans(*args)
    return _task_contrib(*args)


def _finish(m: Model, a: dict[str, Any]) -> PortfolioResult:
    b, s = m.book, m.settings
    n, nl = s["loss_paths"], s["loan_paths"]
    loss, w = a["loss"], a["w"]
    var_es, es = a["var_es"][0], a["var_es"][1]
    lvl = s["es_level"]
    order = a["order"]
    q99 = _quantile(loss, w, 0.99, order)
    q999, _es999, _ = _tail_weights(loss, w, 0.999, order)
    se_q999, _ = _sectioned_se(loss, w, 0.999, (q999, _es999), order)
    _, se_es = _sectioned_se(loss, w, lvl, (var_es, es), order)
    with np.errstate(divide="ignore", invalid="ignore"):
        el_i = b.ead * b.pd * np.where(a["p"] > 0, a["pl"] / np.where(a["p"] > 0, a["p"], 1.0),
                                       0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        elgd = np.where(a["p"] > 0, a["pl"] / np.where(a["p"] > 0, a["p"], 1.0), np.nan)
        dlgd = np.where(a["p_d"] > 0, a["pl_d"] / np.where(a["p_d"] > 0, a["p_d"], 1.0),
                        np.nan)
    el_q_i = b.ead * a["pl_d"] / nl
    single = el_q_i - el_i
    el = float(el_i.sum())
    se_el = float(np.sqrt((a["path_res"] ** 2).sum()) / nl)
    contrib = a["contrib"]
    es_total = es
    capital = q999 - el
    sum_single = float(single.sum())
    loans = pd.DataFrame({
        "loan_id": list(b.loan_id), "borrower": list(b.borrower), "tenant": list(b.tenant),
        "sku": list(b.sku), "ead": b.ead, "pd": b.pd, "asset_corr": b.asset_corr,
        "expected_lgd": elgd, "downturn_lgd": dlgd, "expected_loss": el_i,
        "single_capital": single, "es_contribution": contrib, "es_capital": contrib - el_i,
        "es_share": contrib / es_total if es_total > 0 else np.zeros(b.n)})
    conc = _concentration(m, el_i, contrib, es_total)
    total_ead = float(b.ead.sum())

    def largest(df: pd.DataFrame) -> float:
        return float(df["es_share"].max()) if len(df) else 0.0

    summary = {
        "expected_loss": el, "loss_q99": q99, "loss_q999": q999, "expected_shortfall": es,
        "capital": capital, "sum_single_capital": sum_single,
        "diversification_factor": capital / sum_single if sum_single > 0 else float("nan"),
        "fine_grained_loss_q999": float(el_q_i.sum()),
        "expected_loss_std_error": se_el, "loss_q999_std_error": se_q999,
        "expected_shortfall_std_error": se_es, "es_level": lvl, "total_ead": total_ead,
        "n_loans": float(b.n), "n_borrowers": float(len(b.borrowers())),
        "hhi_borrower": _hhi(conc["borrower"]["ead_share"].to_numpy()),
        "hhi_sku": _hhi(conc["sku"]["ead_share"].to_numpy()),
        "hhi_tenant": _hhi(conc["tenant"]["ead_share"].to_numpy()),
        "largest_borrower_es_share": largest(conc["borrower"]),
        "largest_sku_es_share": largest(conc["sku"]),
        "largest_tenant_es_share": largest(conc["tenant"]),
        "loss_paths": float(n), "loan_paths": float(nl),
    }
    return PortfolioResult({k: summary[k] for k in OUTPUTS}, loans, conc, loss, w)


def _concentration(m: Model, el_i: np.ndarray, contrib: np.ndarray, es: float
                   ) -> dict[str, pd.DataFrame]:
    b = m.book
    total = float(b.ead.sum())
    out = {}
    for dim in ("borrower", "tenant", "sector"):
        keys = pd.Series(getattr(b, dim), name=dim)
        out[dim] = _group(keys, b.ead, el_i, contrib, total, es)
    # SKU: split each loan by its collateral composition (GPU families and BTC)
    share = b.mix * (1.0 - b.btc_share)[:, None]
    labels = list(b.families) + ["BTC"]
    share = np.concatenate([share, b.btc_share[:, None]], axis=1)
    rows = []
    for k, lab in enumerate(labels):
        wk = share[:, k]
        if not (wk > 0).any():
            continue
        rows.append({"sku": lab, "loans": int((wk > 0).sum()), "ead": float(wk @ b.ead),
                     "expected_loss": float(wk @ el_i), "es_contribution": float(wk @ contrib)})
    df = pd.DataFrame(rows, columns=["sku", "loans", "ead", "expected_loss", "es_contribution"])
    df.insert(3, "ead_share", df["ead"] / total if total > 0 else 0.0)
    df["es_share"] = df["es_contribution"] / es if es > 0 else 0.0
    out["sku"] = df.sort_values("es_contribution", ascending=False, kind="stable") \
        .reset_index(drop=True)
    return out


def _group(keys: pd.Series, ead, el, contrib, total, es) -> pd.DataFrame:
    df = pd.DataFrame({keys.name: keys, "loans": 1, "ead": ead, "expected_loss": el,
                       "es_contribution": contrib})
    g = df.groupby(keys.name, sort=False).sum().reset_index()
    g.insert(3, "ead_share", g["ead"] / total if total > 0 else 0.0)
    g["es_share"] = g["es_contribution"] / es if es > 0 else 0.0
    return g.sort_values("es_contribution", ascending=False, kind="stable") \
        .reset_index(drop=True)


def simulate_portfolio(tape: Any, settings: Any = None, *, factor_corr: Any = None,
                       map_fn: Callable[..., list] = serial_map) -> PortfolioResult:
    """Loss distribution of a loan book with common credit, GPU-price and BTC factors.

    Parameters
    ----------
    tape : DataFrame, mapping, list of rows with a header row, or Book
        The loan tape (:data:`TAPE_COLUMNS`; see :func:`parse_tape`). Money in one currency.
    settings : mapping or list of (field, value), optional
        :data:`SETTINGS` (``SETTINGS.table()`` lists them); missing fields take defaults.
    factor_corr : DataFrame or array, optional
        Full correlation matrix of the factors :func:`factor_labels` instead of the four
        correlation settings; checked for symmetry, unit diagonal, bounds and positive
        semi-definiteness (messages name the row and column).
    map_fn : callable, optional
        Executor ``map_fn(fn, args_list) -> list`` (default: here, serially). The result does
        not depend on it.

    Returns
    -------
    PortfolioResult
        ``summary`` (:data:`OUTPUTS`), ``loans`` (:data:`CONTRIB_COLUMNS`), ``concentration``.

    Notes
    -----
    EL = sum_i EAD_i E[p_i(X, s) LGD_i]; VaR_a = inf{l : P(L > l) <= 1 - a};
    ES_a = E[L | L >= VaR_a] (atom split); Euler contribution C_i = E[L_i | L >= VaR_a],
    sum_i C_i = ES_a; single-loan capital_i = EAD_i E[p_i LGD_i | X = x_q] - EL_i with
    x_q = Phi^-1(0.001); diversification factor = (VaR_0.999 - EL) / sum_i capital_i.
    See the module docstring and docs/portfolio.md.

    References
    ----------
    Glasserman, P. and Li, J. (2005), "Importance sampling for portfolio credit risk",
    Management Science 51(11); Veach, E. and Guibas, L. (1995), "Optimally combining sampling
    techniques for Monte Carlo rendering" (balance heuristic); Tasche, D. (1999), "Risk
    contributions and performance measurement"; Acerbi, C. and Tasche, D. (2002), "On the
    coherence of expected shortfall", Journal of Banking and Finance 26(7); Pykhtin, M.
    (2003), "Unexpected recovery risk", Risk 16(8); Demarta, S. and McNeil, A. (2005), "The t
    copula and related copulas".
    """
    model = prepare(tape, settings, factor_corr=factor_corr)
    key = _model_digest(model)
    hit = _MEMO.get(key)
    if hit is None:
        hit = simulate_many([model], map_fn)[0]
        _MEMO[key] = hit
        while len(_MEMO) > MEMO_SIZE:
            _MEMO.popitem(last=False)
    else:
        _MEMO.move_to_end(key)
    return _copy_result(hit)


#: Results of the last :data:`MEMO_SIZE` simulations, keyed by a digest of everything they
#: depend on (the validated tape, the settings with the seed, the factor correlations): the
#: result is a function of these alone, so a formula reading the summary (PORTFOLIO_LOSS)
#: and one reading the loans (PORTFOLIO_CONTRIB) of the same tape and settings simulate once.
MEMO_SIZE = 4
_MEMO: OrderedDict[bytes, PortfolioResult] = OrderedDict()


def clear_memo() -> None:
    """Forget every remembered simulation and score (the next call simulates as the first call
    of a process does)."""
    _MEMO.clear()
    _forget_scores()


def _model_digest(m: Model) -> bytes:
    """SHA-256 of the inputs of a simulation: the book's columns (values, dtypes, shapes), the
    settings and the factor correlation matrix (the rest of a Model derives from these)."""
    b = m.book
    columns = [getattr(b, name) for name in (
        "loan_id", "borrower", "sector", "tenant", "sku", "ead", "pd", "asset_corr",
        "collateral_value", "collateral_vol", "btc_share", "secured", "prior_claims",
        "gpu_liquidation_cost", "families", "mix", "borrower_index")]
    return _digest(*columns, sorted((k, repr(v)) for k, v in m.settings.items()), m.corr)


def _copy_result(r: PortfolioResult) -> PortfolioResult:
    """A copy the caller may change without changing the memo."""
    return PortfolioResult(dict(r.summary), r.loans.copy(),
                           {k: v.copy() for k, v in r.concentration.items()},
                           r.losses.copy(), r.weights.copy())


def portfolio_loss_block(tape: Any, settings: Any = None) -> list[list[Any]]:
    """Label/value rows of :data:`OUTPUTS` (what PORTFOLIO_LOSS spills)."""
    res = simulate_portfolio(tape, settings)
    return [[k, v] for k, v in res.summary.items()]


def contribution_table(tape: Any, settings: Any = None) -> pd.DataFrame:
    """The per-loan table :data:`CONTRIB_COLUMNS` (what PORTFOLIO_CONTRIB spills)."""
    return simulate_portfolio(tape, settings).loans


def fields_table() -> list[list[Any]]:
    """Rows for PORTFOLIO_FIELDS: header, then every tape column and setting (kind, name,
    default, unit, description, source)."""
    rows: list[list[Any]] = [["kind", "field", "default", "unit", "description", "source"]]
    for label, fs in (("tape column", TAPE_COLUMNS), ("setting", SETTINGS)):
        for r in fs.table()[1:]:
            name = r[0]
            default = r[1]
            if label == "tape column" and name not in REQUIRED_COLUMNS and default == "required":
                default = "(none)"
            rows.append([label, name, default] + list(r[2:5]))
    return rows
