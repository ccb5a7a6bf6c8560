"""Phase-change material: latent heat over a melting range, as the enthalpy H(T) = integral of an
effective heat capacity.

The latent heat L [J/kg] is added to the sensible c_p as a trapezoid on [T_s, T_l] (solidus,
liquidus) with ramps of a quarter of the range at each end, its height L / (0.75 (T_l - T_s)) so its
integral is L exactly.  c_p tables are piecewise linear (kernels/properties.py), so the sum is one
again, at the union of the points, and the storage kernel integrates it exactly: each implicit
step's stored heat is H(T_new) - H(T_old) to round-off, through melting and freezing alike (the
enthalpy method; a jump in c_p would have to be smeared anyway, and this smearing is stated).
The melt fraction is the share of L taken up below T.
"""
from __future__ import annotations

import numpy as np

RAMP = 0.25  # of the melting range, at each end of the trapezoid


def latent_points(t_solidus_k: float, t_liquidus_k: float, latent_j_kg: float):
    """(temperatures, latent c_p added [J/kg/K]) of the trapezoid."""
    width = t_liquidus_k - t_solidus_k
    peak = latent_j_kg / ((1.0 - RAMP) * width)
    t = np.array([t_solidus_k, t_solidus_k + RAMP * width, t_liquidus_k - RAMP * width, t_liquidus_k])
    return t, np.array([0.0, peak, peak, 0.0])


def effective_cp(cp_t_k, cp_value, t_solidus_k, t_liquidus_k, latent_j_kg):
    """(temperatures, values) of sensible c_p (a table held constant beyond its ends) plus the latent
    trapezoid, exact as a piecewise-linear table (held constant beyond its ends as well)."""
    lt, lv = latent_points(t_solidus_k, t_liquidus_k, latent_j_kg)
    t = np.union1d(np.asarray(cp_t_k, float), lt)
    value = np.interp(t, cp_t_k, cp_value) + np.interp(t, lt, lv, left=0.0, right=0.0)
    return tuple(float(v) for v in t), tuple(float(v) for v in value)


def melt_fraction(t_k, t_solidus_k: float, t_liquidus_k: float):
    """Share of the latent heat taken up at temperature T (0 solid, 1 liquid), elementwise."""
    lt, lv = latent_points(t_solidus_k, t_liquidus_k, 1.0)
    t = np.clip(np.asarray(t_k, float), lt[0], lt[-1])
    # integral of the (unit-L) trapezoid from T_s to t: piecewise quadratic
    out = np.zeros_like(t)
    for a, b, va, vb in zip(lt[:-1], lt[1:], lv[:-1], lv[1:]):
        x = np.clip(t, a, b) - a
        slope = (vb - va) / (b - a)
        out += va * x + 0.5 * slope * x * x
    out[t >= lt[-1]] = 1.0  # liquid: exactly (the sum of the pieces is 1 to round-off)
    return np.clip(out, 0.0, 1.0)
