"""Two-phase (boiling and condensing) flow in a pumped loop's channels: saturation properties,
film coefficients and frictional pressure gradient, homogeneous equilibrium model (HEM: liquid and
vapour at one velocity and at saturation, quality x = (h - h_f) / h_fg).

* Saturation properties from CoolProp, tabulated once per fluid on a temperature grid from the
  triple point to 2 K below the critical point (interpolated linearly; T_sat(p) by interpolation in
  log p).  Subcooled liquid takes the saturated liquid's properties at its own temperature
  (pressure changes them by well under 0.1 % per MPa); superheated vapour takes the saturated
  vapour's at the node's saturation temperature.
* Flow boiling: Gungor & Winterton (1987), "Simplified general correlation for saturated flow
  boiling and comparisons of correlations with data", Chem. Eng. Res. Des. 65, 148-156:
  h = E h_l, E = 1 + 3000 Bo^0.86 + 1.12 (x/(1-x))^0.75 (rho_l/rho_v)^0.41, h_l by Dittus-Boelter
  on the liquid's share of the flow, Bo = q''/(G h_fg).  Its horizontal-tube Froude correction is
  for stratified flow under gravity and does not apply in orbit.
* Condensation: Shah (1979), "A general correlation for heat transfer during film condensation
  inside pipes", Int. J. Heat Mass Transfer 22, 547-556:
  h = h_lo [(1-x)^0.8 + 3.8 x^0.76 (1-x)^0.04 / p_r^0.38], h_lo Dittus-Boelter with all the flow
  as liquid.
  Both correlations are held at x = 0.95 beyond it (their x -> 1 limits are singular; past
  dry-out the vapour's single-phase film takes over, solvers/loops.py).  Dittus-Boelter is not
  allowed below the laminar fully developed Nu = 3.66.
* Frictional pressure gradient: Mueller-Steinhagen & Heck (1986), "A simple friction pressure drop
  correlation for two-phase flow in pipes", Chem. Eng. Process. 20, 297-308:
  dp/dz = [A + 2 (B - A) x] (1 - x)^(1/3) + B x^3, A and B the gradients of the whole flow as
  liquid and as vapour (Darcy factors from Churchill's law here, smooth across laminar and
  turbulent flow); it equals the single-phase gradients at x = 0 and 1, so the pressure along a
  branch is continuous through the phase changes.  Plus the homogeneous acceleration
  G^2 (v_out - v_in).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from thermal.physics.channel_flow import NU_STAGNANT, churchill_friction

# name in case files -> CoolProp name (pure fluids with transport properties in CoolProp)
TWO_PHASE_FLUIDS = {"ammonia": "Ammonia", "water": "Water", "r134a": "R134a", "r1234ze": "R1234ze(E)",
                    "r245fa": "R245fa", "carbon_dioxide": "CO2", "propylene": "Propylene"}
X_CORRELATION_MAX = 0.95
GRID_POINTS = 1200


@dataclass(frozen=True)
class SaturationTable:
    """Saturated liquid (``_f``) and vapour (``_g``) properties on a temperature grid (SI)."""

    name: str
    t_k: np.ndarray
    log_p: np.ndarray
    h_f: np.ndarray
    h_g: np.ndarray
    rho_f: np.ndarray
    rho_g: np.ndarray
    mu_f: np.ndarray
    mu_g: np.ndarray
    k_f: np.ndarray
    k_g: np.ndarray
    cp_f: np.ndarray
    cp_g: np.ndarray
    p_crit_pa: float
    t_freeze_k: float  # the triple point: below it the liquid freezes
    t_max_k: float  # the table's top, 2 K below the critical point

    def p_sat(self, t_k):
        return np.exp(np.interp(t_k, self.t_k, self.log_p))

    def t_sat(self, p_pa):
        """Saturation temperature at pressure ``p_pa`` (clamped to the table)."""
        return np.interp(np.log(np.maximum(p_pa, 1e-3)), self.log_p, self.t_k)

    def at(self, t_k, name: str):
        return np.interp(t_k, self.t_k, getattr(self, name))


@lru_cache(maxsize=None)
def saturation_table(fluid: str) -> SaturationTable:
    import CoolProp  # deliberately lazy: CoolProp costs ~1.3 s to import
    from CoolProp.CoolProp import AbstractState

    st = AbstractState("HEOS", TWO_PHASE_FLUIDS[fluid])
    lo, hi = st.Ttriple() + 0.01, st.T_critical() - 2.0
    t = np.linspace(lo, hi, GRID_POINTS)
    cols = np.empty((11, t.size))
    for i, tk in enumerate(t):
        st.update(CoolProp.QT_INPUTS, 0.0, tk)
        cols[0, i], cols[1, i], cols[3, i] = np.log(st.p()), st.hmass(), st.rhomass()
        cols[5, i], cols[7, i], cols[9, i] = st.viscosity(), st.conductivity(), st.cpmass()
        st.update(CoolProp.QT_INPUTS, 1.0, tk)
        cols[2, i], cols[4, i] = st.hmass(), st.rhomass()
        cols[6, i], cols[8, i], cols[10, i] = st.viscosity(), st.conductivity(), st.cpmass()
    return SaturationTable(fluid, t, *cols, float(st.p_critical()), float(st.Ttriple()), float(hi))


def dittus_boelter_w_m2k(re, pr, k_w_mk, d_m):
    """Dittus-Boelter (heating exponent 0.4), floored at the laminar Nu = 3.66."""
    nu = np.maximum(0.023 * np.maximum(re, 0.0) ** 0.8 * pr ** 0.4, NU_STAGNANT)
    return nu * k_w_mk / d_m


def gungor_winterton_w_m2k(g_kg_m2s, x, d_m, q_w_m2, h_fg, rho_f, rho_g, mu_f, cp_f, k_f):
    """Saturated flow boiling film coefficient (Gungor & Winterton 1987, no gravity correction)."""
    x = np.clip(x, 0.0, X_CORRELATION_MAX)
    h_l = dittus_boelter_w_m2k(g_kg_m2s * (1.0 - x) * d_m / mu_f, mu_f * cp_f / k_f, k_f, d_m)
    bo = np.abs(q_w_m2) / (g_kg_m2s * h_fg)
    e = 1.0 + 3000.0 * bo ** 0.86 + 1.12 * (x / (1.0 - x)) ** 0.75 * (rho_f / rho_g) ** 0.41
    return e * h_l


def shah_condensation_w_m2k(g_kg_m2s, x, d_m, p_reduced, mu_f, cp_f, k_f):
    """In-tube film condensation coefficient (Shah 1979)."""
    x = np.clip(x, 0.0, X_CORRELATION_MAX)
    h_lo = dittus_boelter_w_m2k(g_kg_m2s * d_m / mu_f, mu_f * cp_f / k_f, k_f, d_m)
    return h_lo * ((1.0 - x) ** 0.8 + 3.8 * x ** 0.76 * (1.0 - x) ** 0.04 / p_reduced ** 0.38)


def msh_gradient_pa_m(g_kg_m2s, x, d_m, rho_f, rho_g, mu_f, mu_g, relative_roughness=0.0):
    """Frictional pressure gradient [Pa/m] of Mueller-Steinhagen & Heck (1986); x clipped to [0, 1]."""
    x = np.clip(x, 0.0, 1.0)
    f_lo = churchill_friction(np.maximum(g_kg_m2s * d_m / mu_f, 1e-30), relative_roughness)
    f_go = churchill_friction(np.maximum(g_kg_m2s * d_m / mu_g, 1e-30), relative_roughness)
    a = f_lo * g_kg_m2s ** 2 / (2.0 * rho_f * d_m)
    b = f_go * g_kg_m2s ** 2 / (2.0 * rho_g * d_m)
    return (a + 2.0 * (b - a) * x) * np.cbrt(1.0 - x) + b * x ** 3


def homogeneous_volume_m3_kg(x, rho_f, rho_g):
    x = np.clip(x, 0.0, 1.0)
    return x / rho_g + (1.0 - x) / rho_f
