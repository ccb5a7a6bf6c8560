"""Saturated working-fluid properties for heat pipes, from CoolProp (imported lazily: ~1.3 s).

CoolProp's low-level ``AbstractState`` is used (about 1 us a call against 40-80 us for
``PropsSI``).  Acetone has no transport models in CoolProp 6-8, so its liquid and vapour viscosity
and liquid conductivity come from the DIPPR correlations in Perry's Chemical Engineers' Handbook
(8th ed., Tables 2-312, 2-313, 2-315); everything else about it is CoolProp's.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from thermal.errors import ThermalError

# name in case files -> CoolProp name
FLUIDS = {"ammonia": "Ammonia", "water": "Water", "methanol": "Methanol", "acetone": "Acetone",
          "ethanol": "Ethanol", "propylene": "Propylene"}
R_GAS = 8.314462618  # J/(mol K)


class FluidRangeError(ThermalError):
    """A heat pipe's vapour temperature outside the fluid's two-phase range (frozen or supercritical)."""


@dataclass(frozen=True)
class Saturation:
    """Saturated liquid and vapour at one temperature (SI)."""

    t_k: float
    p_pa: float
    rho_l: float
    rho_v: float
    mu_l: float
    mu_v: float
    k_l: float
    sigma_n_m: float
    h_fg_j_kg: float
    gamma_v: float
    molar_mass_kg_mol: float


def _acetone_transport(t_k: float) -> tuple[float, float, float]:
    mu_l = math.exp(-14.918 + 1023.4 / t_k + 0.5961 * math.log(t_k))  # DIPPR 101
    mu_v = 3.1005e-8 * t_k**0.9762 / (1.0 + 23.139 / t_k)  # DIPPR 102
    k_l = 0.2502 - 2.98e-4 * t_k  # DIPPR 100
    return mu_l, mu_v, k_l


@lru_cache(maxsize=None)
def _state(coolprop_name: str):
    from CoolProp.CoolProp import AbstractState  # deliberately lazy: CoolProp costs 1.3 s to import

    return AbstractState("HEOS", coolprop_name)


def valid_range_k(fluid: str) -> tuple[float, float]:
    """(triple point, critical point) of the fluid: a heat pipe works only strictly between."""
    st = _state(FLUIDS[fluid])
    return float(st.Ttriple()), float(st.T_critical())


def saturation(fluid: str, t_k: float, where: str = "") -> Saturation:
    """Properties of the saturated fluid at ``t_k``; FluidRangeError outside the two-phase range.
    Remembered per (fluid, temperature): a sizing's estimate asks for the same few thousand states
    again and again (8 000 CoolProp calls, 3.2 s of a flagship sizing)."""
    return _saturation(fluid, float(t_k), where)


@lru_cache(maxsize=65536)
def _saturation(fluid: str, t_k: float, where: str) -> Saturation:
    import CoolProp  # deliberately lazy (1.3 s): only cases with heat pipes pay it

    lo, hi = valid_range_k(fluid)
    # the last kelvin below the critical point has sigma -> 0 and h_fg -> 0: no heat pipe works there
    if not (lo < t_k < hi - 1.0):
        state = "frozen (below its triple point)" if t_k <= lo else "at or above its critical point"
        raise FluidRangeError(f"{where}{fluid} at {t_k:.2f} K ({t_k - 273.15:.2f} degC) is {state}: a heat pipe "
                              f"works only between {lo:.2f} K and {hi - 1.0:.2f} K; choose another fluid or "
                              "change the design")
    st = _state(FLUIDS[fluid])
    st.update(CoolProp.QT_INPUTS, 0.0, t_k)
    p, rho_l, h_l, sigma = st.p(), st.rhomass(), st.hmass(), st.surface_tension()
    if fluid == "acetone":
        mu_l, mu_v, k_l = _acetone_transport(t_k)
    else:
        mu_l, k_l = st.viscosity(), st.conductivity()
    st.update(CoolProp.QT_INPUTS, 1.0, t_k)
    rho_v, h_v = st.rhomass(), st.hmass()
    if fluid != "acetone":
        mu_v = st.viscosity()
    gamma = st.cpmass() / st.cvmass()
    return Saturation(t_k, p, rho_l, rho_v, mu_l, mu_v, k_l, sigma, h_v - h_l, gamma, st.molar_mass())
