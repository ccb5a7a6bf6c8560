"""Flow distribution among n identical units fed by a supply header and drained by a return header.

Units k = 0..n-1 sit at equal spacing along both headers; the supply enters at unit 0.  Between
units k and k+1 both headers carry R_k = Q - (q_0 + ... + q_k) (what the farther units take), in
the supply towards the far end and, in a same-end (U) layout, in the return back towards unit 0;
in a reverse-return (Z) layout the return runs on to an outlet beyond the far end and carries
Q - R_k there.  Each unit's driving pressure dP_k (supply minus return) then obeys

    same end:        dP_{k+1} = dP_k - 2 s(R_k)
    reverse return:  dP_{k+1} = dP_k - s(R_k) + s(Q - R_k)

with s(m) the drop of one header segment at flow m, and q_k = u^-1(dP_k) through the unit's own
law u.  Given q_0 this is a march; q_0 is found (bracketed secant) so that the flows add up to Q.
Header momentum effects at the take-offs (pressure recovery in the supply, extra loss in the
return) are left out: with them the same-end distribution is somewhat better and reverse return
somewhat worse than here.  With linear laws and n -> infinity, same end tends to
q(x) ~ cosh(lambda (L - x)), lambda^2 = 2 s' / (u' spacing) (tested).
"""
from __future__ import annotations

import math
from typing import Callable

import numpy as np
from scipy.optimize import brentq

from thermal.errors import ThermalError

LAYOUTS = ("same_end", "reverse_return")


def ladder_flows(total_kg_s: float, n: int, unit_dp: Callable[[float], float],
                 unit_flow: Callable[[float], float], segment_dp: Callable[[float], float],
                 layout: str = "same_end") -> np.ndarray:
    """Each unit's flow [kg/s] (n,), summing to ``total_kg_s``.  ``unit_dp(q)``: a unit's drop at
    flow q (increasing); ``unit_flow(dp)``: its inverse (0 for dp <= 0: a starved unit takes no
    flow; a header does not drive flow backwards through it); ``segment_dp(m)``: one header
    segment's drop at flow m >= 0."""
    if layout not in LAYOUTS:
        raise ValueError(f"header layout {layout!r}: one of {', '.join(LAYOUTS)}")
    if n == 1:
        return np.array([float(total_kg_s)])

    def march(q0):
        q = np.zeros(n)
        q[0] = q0
        dp, left = unit_dp(q0), total_kg_s - q0
        for k in range(n - 1):
            r = max(left, 0.0)
            dp = dp - 2.0 * segment_dp(r) if layout == "same_end" else dp - segment_dp(r) + segment_dp(total_kg_s - r)
            q[k + 1] = unit_flow(dp)
            left -= q[k + 1]
        return q

    def excess(q0):
        return float(np.sum(march(q0))) - total_kg_s

    lo, hi = 0.0, float(total_kg_s)
    # the flows grow with q0 (every dP does): the sum runs from below Q (q0 -> 0 starves the rest,
    # or they take less than Q) to above it (q0 = Q and the others still take some)
    if excess(hi) < 0.0:
        raise ThermalError("header flow distribution: the units cannot take the flow (check the laws)")
    q0 = brentq(excess, lo, hi, xtol=1e-15 * total_kg_s, rtol=1e-14, maxiter=200)
    q = march(q0)
    return q * (total_kg_s / q.sum())  # the last rounding, so that the flows add up exactly


def power_law_unit(design_flow_kg_s: float, design_dp_pa: float, exponent: float):
    """(u, u^-1) of a unit whose drop goes as its flow to ``exponent`` (1 laminar, 1.75 turbulent
    in smooth tubes, Blasius), through its design point."""
    def unit_dp(q):
        return design_dp_pa * math.copysign(abs(q / design_flow_kg_s) ** exponent, q)

    def unit_flow(dp):
        return design_flow_kg_s * (dp / design_dp_pa) ** (1.0 / exponent) if dp > 0.0 else 0.0

    return unit_dp, unit_flow
