"""Pricing against capital: hurdle spread and RAROC, by hand and as inverses of each other."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pymodel import irb, pricing
from pymodel.errors import DomainError, InputTypeError


def test_hurdle_spread_by_hand():
    """PD 2%, LGD 45%: EL = -ln(0.98) 0.45 = 0.0090914; capital 8% at a 12% hurdle adds
    0.0096: 0.0186914. With a 40% cost-income ratio and 50 bp of funding:
    (0.0090914 + 0.005 + 0.0096) / 0.6 = 0.0396523."""
    el = -math.log(0.98) * 0.45
    assert pricing.hurdle_spread(0.02, 0.45, 0.08) == pytest.approx(el + 0.0096, rel=1e-14)
    assert pricing.hurdle_spread(0.02, 0.45, 0.08, cost_ratio=0.4, funding_spread=0.005) == \
        pytest.approx((el + 0.005 + 0.0096) / 0.6, rel=1e-14)
    # no capital and no costs: the EL-only fair spread
    assert pricing.hurdle_spread(0.02, 0.45, 0.0) == pytest.approx(irb.fair_spread(0.02, 0.45))


def test_raroc_by_hand():
    """Margin 6.5% on the same loan: (0.065 - 0.0090914) / 0.08 = 0.69886."""
    el = -math.log(0.98) * 0.45
    assert pricing.raroc(0.02, 0.45, 0.08, 0.065) == pytest.approx((0.065 - el) / 0.08)
    assert pricing.raroc(0.02, 0.45, 0.08, 0.005) < 0  # below expected loss


@settings(max_examples=100, deadline=None)
@given(pd=st.floats(1e-4, 0.5), lgd=st.floats(0, 1), k=st.floats(1e-3, 0.5),
       h=st.floats(0, 0.5), c=st.floats(0, 0.8), f=st.floats(-0.01, 0.03))
def test_raroc_at_the_hurdle_spread_is_the_hurdle(pd, lgd, k, h, c, f):
    s = pricing.hurdle_spread(pd, lgd, k, hurdle=h, cost_ratio=c, funding_spread=f)
    assert pricing.raroc(pd, lgd, k, s, cost_ratio=c, funding_spread=f) == pytest.approx(
        h, abs=1e-12 / k + 1e-12)


def test_columns_give_columns_and_errors_name_the_argument():
    out = pricing.hurdle_spread([0.01, 0.02, 0.05], 0.4, [0.05, 0.07, 0.1])
    assert isinstance(out, np.ndarray) and out.shape == (3,)
    assert out[1] == pytest.approx(pricing.hurdle_spread(0.02, 0.4, 0.07))
    r = pricing.raroc([0.01, 0.02], [0.4, 0.5], [0.05, 0.07], [0.05, 0.06])
    assert r.shape == (2,)
    with pytest.raises(DomainError, match=r"^capital\[2\] must be > 0 \(RAROC divides by the "
                                          r"capital\); got 0$"):
        pricing.raroc([0.01, 0.02], 0.4, [0.05, 0.0], 0.05)
    with pytest.raises(DomainError, match=r"^hurdle must be in \[0, 1\]; got 1.5$"):
        pricing.hurdle_spread(0.02, 0.45, 0.08, hurdle=1.5)
    with pytest.raises(DomainError, match=r"^cost_ratio must be in \[0, 1\); got 1$"):
        pricing.hurdle_spread(0.02, 0.45, 0.08, cost_ratio=1.0)
    with pytest.raises(InputTypeError, match="capital must have the same length as pd"):
        pricing.hurdle_spread([0.01, 0.02], 0.4, [0.05, 0.07, 0.1])
