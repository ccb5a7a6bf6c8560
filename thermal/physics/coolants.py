"""Liquid coolant properties for pumped loops, from CoolProp, tabulated once per fluid.

A loop evaluates density, cp, viscosity and conductivity at every fluid node each time its flows
are updated; CoolProp costs microseconds a call from Python, so each fluid is tabulated once on a
0.5 K grid over its liquid range and interpolated linearly (the tables agree with CoolProp to
better than 1e-5 relative: tests/test_loops.py).

Pure fluids (ammonia, water) are taken as saturated liquid at T: a pumped liquid loop is held
above saturation by its accumulator, and the liquid's properties change by well under 0.1 % per
MPa of subcooling pressure.  Their lower limit is the triple point (ammonia 195.5 K = -77.7 degC,
water 273.16 K), where the liquid freezes.  Heat-transfer liquids come from CoolProp's
incompressible library (the glycol mixtures by mass fraction): their lower limit is the freezing
point CoolProp gives for the mixture, or, for pure heat-transfer fluids that have none, the lower
end of the data (the manufacturer's pour point).  CoolProp's HFE-7100 entry is left out: its
conductivity is 0.97 W/(m K) at 300 K, 14x the 0.069 W/(m K) of 3M's data sheet.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from thermal.errors import ThermalError

# name in case files -> (CoolProp backend, fluid, takes a mass fraction)
COOLANTS = {
    "ammonia": ("HEOS", "Ammonia", False),
    "water": ("HEOS", "Water", False),
    "propylene_glycol": ("INCOMP", "MPG", True),  # aqueous, mass fraction of glycol
    "ethylene_glycol": ("INCOMP", "MEG", True),
    "syltherm_xlt": ("INCOMP", "XLT", False),  # Dow Syltherm XLT (a silicone)
    "dowtherm_j": ("INCOMP", "DowJ", False),
    "polydimethylsiloxane": ("INCOMP", "PMS1", False),  # a silicone oil
}
GRID_K = 0.5


class CoolantRangeError(ThermalError):
    """A coolant asked for outside its liquid range."""


@dataclass(frozen=True)
class LiquidTable:
    """A coolant's liquid properties on a temperature grid (SI), with its liquid range."""

    name: str
    t_k: np.ndarray
    rho_kg_m3: np.ndarray
    cp_j_kgk: np.ndarray
    mu_pa_s: np.ndarray
    k_w_mk: np.ndarray
    t_freeze_k: float  # below: frozen
    t_max_k: float  # above: boiling at saturation (pure) or beyond the data (liquids)

    def at(self, t_k):
        """(rho, cp, mu, k) at ``t_k`` (scalar or array), clamped to the table's range: callers check
        the range themselves and report a frozen or boiling node rather than stop."""
        t = np.clip(t_k, self.t_k[0], self.t_k[-1])
        return (np.interp(t, self.t_k, self.rho_kg_m3), np.interp(t, self.t_k, self.cp_j_kgk),
                np.interp(t, self.t_k, self.mu_pa_s), np.interp(t, self.t_k, self.k_w_mk))


def coolant_label(fluid: str, concentration: float) -> str:
    return f"{fluid} {concentration:.0%}" if COOLANTS[fluid][2] else fluid


@lru_cache(maxsize=None)
def liquid_table(fluid: str, concentration: float = 0.0) -> LiquidTable:
    import CoolProp  # deliberately lazy: CoolProp costs ~1.3 s to import
    from CoolProp.CoolProp import AbstractState, PropsSI

    backend, name, mixture = COOLANTS[fluid]
    st = AbstractState(backend, name)
    if mixture:
        st.set_mass_fractions([concentration])
    if backend == "HEOS":
        lo, hi = st.Ttriple() + 0.01, st.T_critical() - 5.0
        t_freeze = st.Ttriple()
        inputs, second = CoolProp.QT_INPUTS, 0.0
    else:
        lo, hi = st.Tmin(), st.Tmax()
        t_freeze = lo
        if mixture:
            t_freeze = PropsSI("T_freeze", "P", 101325.0, "T", 300.0, f"INCOMP::{name}[{concentration}]")
            lo = max(lo, t_freeze)
        # the incompressible library refuses states below the mixture's vapour pressure; the liquids'
        # properties do not depend on pressure there, so evaluate them pressurised
        inputs, second = CoolProp.PT_INPUTS, 5.0e6
    t = np.arange(lo, hi, GRID_K)
    t = np.append(t, hi)
    props = np.empty((4, t.size))
    for i, tk in enumerate(t):
        st.update(inputs, second, tk)
        props[:, i] = st.rhomass(), st.cpmass(), st.viscosity(), st.conductivity()
    return LiquidTable(coolant_label(fluid, concentration), t, *props, float(t_freeze), float(hi))


def check_liquid(table: LiquidTable, t_k: float, where: str) -> None:
    """A clear error for a state outside the liquid range (the initial state of a transient)."""
    if t_k <= table.t_freeze_k:
        raise CoolantRangeError(f"{where}{table.name} at {t_k - 273.15:.2f} degC is frozen (it freezes at "
                                f"{table.t_freeze_k - 273.15:.2f} degC)")
    if t_k >= table.t_max_k:
        raise CoolantRangeError(f"{where}{table.name} at {t_k - 273.15:.2f} degC is above its liquid range "
                                f"(up to {table.t_max_k - 273.15:.2f} degC)")
