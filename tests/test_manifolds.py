"""Flow distribution along supply and return headers (physics/manifolds.py)."""
import math

import numpy as np
import pytest

from thermal.physics.manifolds import ladder_flows, power_law_unit


def _linear(r_unit, r_segment):
    return (lambda q: r_unit * q), (lambda dp: dp / r_unit if dp > 0 else 0.0), (lambda m: r_segment * m)


def test_two_units_against_the_hand_solution():
    """Same end: R q1 = R q0 - 2 r (Q - q0) with q0 + q1 = Q gives q0 = Q (1 + 2 rho) / (2 + 2 rho),
    rho = r / R; reverse return: the two paths are alike, the split is even."""
    q_total, r_unit, r_seg = 3.0, 10.0, 4.0
    u, inv, seg = _linear(r_unit, r_seg)
    rho = r_seg / r_unit
    q = ladder_flows(q_total, 2, u, inv, seg, "same_end")
    assert q[0] == pytest.approx(q_total * (1 + 2 * rho) / (2 + 2 * rho), rel=1e-12)
    assert q.sum() == pytest.approx(q_total, rel=1e-15)
    np.testing.assert_allclose(ladder_flows(q_total, 2, u, inv, seg, "reverse_return"), [1.5, 1.5], rtol=1e-12)


def test_same_end_tends_to_the_continuous_cosh_profile():
    """Linear laws, n units at spacing s: dP'' = lambda^2 dP with dP'(L) = 0, lambda^2 = 2 r' / (R s)
    (r' the headers' resistance per length), so q_first / q_last -> cosh(lambda L); the discrete
    ladder converges to it as n grows (first order: the units sit at the segments' ends)."""
    lam_l, r_unit, q_total = 1.2, 1.0, 1.0
    errors = []
    for n in (50, 100, 200, 400):
        # per segment r = r' s; lambda^2 = 2 r' / (R s) with L = n s: r = (lambda L)^2 R / (2 n^2)
        u, inv, seg = _linear(r_unit, lam_l ** 2 * r_unit / (2 * n * n))
        q = ladder_flows(q_total, n, u, inv, seg, "same_end")
        assert q.sum() == pytest.approx(q_total, rel=1e-14) and np.all(np.diff(q) < 0)
        errors.append(abs(q[0] / q[-1] / math.cosh(lam_l) - 1.0))
    assert errors[-1] < 5e-3
    assert all(a / b > 1.8 for a, b in zip(errors, errors[1:]))  # halves (or better) per doubling of n


def test_reverse_return_evens_out_what_same_end_starves():
    """Turbulent units (drop ~ q^1.75) on turbulent headers (Churchill): with headers that drop a
    unit's pressure, same end starves the far end and overfeeds the inlet; reverse return keeps every
    unit within a few per cent, its least-fed unit in the middle."""
    from thermal.physics.channel_flow import pressure_drop_pa

    n, m_unit, rho, mu = 100, 0.014, 680.0, 1.5e-4
    unit_dp, unit_flow = power_law_unit(m_unit, 5000.0, 1.75)

    def segment(m):
        return pressure_drop_pa(m, rho, mu, 0.06, 0.6)

    same = ladder_flows(n * m_unit, n, unit_dp, unit_flow, segment, "same_end") / m_unit
    rev = ladder_flows(n * m_unit, n, unit_dp, unit_flow, segment, "reverse_return") / m_unit
    assert same.sum() == pytest.approx(n, rel=1e-13) and rev.sum() == pytest.approx(n, rel=1e-13)
    assert np.argmin(same) == n - 1 and np.argmax(same) == 0 and same.max() - same.min() > 0.15
    assert 0 < np.argmin(rev) < n - 1 and rev.max() - rev.min() < 0.5 * (same.max() - same.min())
    with pytest.raises(ValueError, match="header layout"):
        ladder_flows(1.0, 3, unit_dp, unit_flow, segment, "diagonal")
