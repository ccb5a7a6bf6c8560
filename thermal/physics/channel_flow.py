"""Single-phase flow in a circular channel: friction factor, heat-transfer coefficient, pressure drop.

* Darcy friction factor: Churchill (1977), "Friction-factor equation spans all fluid-flow regimes",
  Chem. Eng. 84(24) 91-92: one smooth law through laminar (64/Re), transition and turbulent flow
  (Colebrook's law with roughness), so the hydraulic Newton never meets a kink at Re = 2300.
  Colebrook (1939) itself is here for the checks.
* Heat transfer, mean Nusselt number over a heated length L from the channel's entry (VDI Heat
  Atlas, 2nd ed., chapter G1, Gnielinski):
  laminar, thermally developing at constant wall temperature (eq. 12):
  Nu = [3.66^3 + 0.7^3 + (1.615 (Re Pr d/L)^(1/3) - 0.7)^3]^(1/3);
  turbulent (eq. 27, Re >= 1e4): Nu = (xi/8)(Re - 1000) Pr / (1 + 12.7 sqrt(xi/8)(Pr^(2/3) - 1))
  (1 + (d/L)^(2/3)), xi = (1.8 log10 Re - 1.5)^-2;
  transition 2300 < Re < 1e4 (eq. 30): Nu = (1 - g) Nu_lam(2300) + g Nu_turb(1e4),
  g = (Re - 2300)/(1e4 - 2300).
  A piece of a branch between x1 and x2 from its entry gets the coefficient that makes the sum of
  the pieces equal the mean over the whole length: h = k (x2 Nu(x2) - x1 Nu(x1)) / (d (x2 - x1)).
"""
from __future__ import annotations

import numpy as np

RE_LAMINAR = 2300.0
RE_TURBULENT = 1.0e4
NU_STAGNANT = 3.66  # fully developed laminar, constant wall temperature: a channel with no flow conducts like this


def churchill_friction(re, relative_roughness=0.0):
    """Darcy friction factor [-] of Churchill (1977) at Reynolds number ``re`` > 0."""
    re = np.asarray(re, float)
    # below Re = 100 the turbulent terms are 1e-40 of the laminar one (and overflow near Re = 0)
    rc = np.maximum(re, 100.0)
    a = (2.457 * np.log(1.0 / ((7.0 / rc) ** 0.9 + 0.27 * relative_roughness))) ** 16
    b = (37530.0 / rc) ** 16
    f = 8.0 * ((8.0 / rc) ** 12 + (a + b) ** -1.5) ** (1.0 / 12.0)
    with np.errstate(divide="ignore"):
        return np.where(re < 100.0, 64.0 / re, f)


def colebrook_friction(re: float, relative_roughness: float = 0.0) -> float:
    """Darcy friction factor of Colebrook (1939), solved to round-off by fixed-point iteration on
    1/sqrt(f) (a contraction: the derivative is 2.51 * 0.8686 / (Re sqrt(f)) ...  < 1 for Re > 1e3)."""
    x = 7.0  # 1/sqrt(f)
    for _ in range(100):
        new = -2.0 * np.log10(relative_roughness / 3.7 + 2.51 * x / re)
        if abs(new - x) <= 1e-15 * abs(new):
            break
        x = new
    return float(1.0 / (new * new))


def _nu_laminar(re_pr_d_l):
    return (3.66 ** 3 + 0.7 ** 3 + (1.615 * np.cbrt(re_pr_d_l) - 0.7) ** 3) ** (1.0 / 3.0)


def _nu_turbulent(re, pr, d_over_l):
    xi = (1.8 * np.log10(re) - 1.5) ** -2
    return (xi / 8.0) * (re - 1000.0) * pr / (1.0 + 12.7 * np.sqrt(xi / 8.0) * (pr ** (2.0 / 3.0) - 1.0)) \
        * (1.0 + d_over_l ** (2.0 / 3.0))


def mean_nusselt(re, pr, d_over_l):
    """Mean Nusselt number over a heated length L (``d_over_l`` = d/L) from the entry."""
    re, pr, d_over_l = np.broadcast_arrays(np.asarray(re, float), np.asarray(pr, float), np.asarray(d_over_l, float))
    lam = _nu_laminar(re * pr * d_over_l)
    lam_edge = _nu_laminar(RE_LAMINAR * pr * d_over_l)
    turb_edge = _nu_turbulent(RE_TURBULENT, pr, d_over_l)
    turb = _nu_turbulent(np.maximum(re, RE_TURBULENT), pr, d_over_l)
    g = np.clip((re - RE_LAMINAR) / (RE_TURBULENT - RE_LAMINAR), 0.0, 1.0)
    return np.where(re <= RE_LAMINAR, lam, np.where(re >= RE_TURBULENT, turb, (1.0 - g) * lam_edge + g * turb_edge))


def piece_film_w_k(re, pr, k_w_mk, d_m, x0_m, x1_m):
    """Film conductance h * (pi d) * (x1 - x0) [W/K] of the channel between x0 and x1 from its entry,
    such that the pieces add up to the mean coefficient of the whole heated length."""
    x0 = np.asarray(x0_m, float)
    x1 = np.asarray(x1_m, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        nu1 = mean_nusselt(re, pr, d_m / x1)
        nu0 = np.where(x0 > 0.0, mean_nusselt(re, pr, d_m / np.where(x0 > 0.0, x0, 1.0)), 0.0)
    # h_mean(L) L = Nu(L) k L / d; the perimeter is pi d
    return np.pi * k_w_mk * (x1 * nu1 - x0 * nu0)


def reynolds(m_dot_kg_s, mu_pa_s, d_m):
    return 4.0 * np.abs(m_dot_kg_s) / (np.pi * d_m * mu_pa_s)


def pressure_drop_pa(m_dot_kg_s, rho_kg_m3, mu_pa_s, d_m, length_m, relative_roughness=0.0, k_fittings=0.0):
    """Darcy-Weisbach pressure drop [Pa] of flow ``m_dot`` through pieces of ``length_m`` (summed),
    with the sum of fittings' loss coefficients ``k_fittings`` on the mean dynamic pressure; odd in
    m_dot (reversed flow loses pressure the other way)."""
    rho = np.asarray(rho_kg_m3, float)
    area = 0.25 * np.pi * d_m * d_m
    m = abs(float(m_dot_kg_s))
    if m == 0.0:
        return 0.0
    f = churchill_friction(reynolds(m, mu_pa_s, d_m), relative_roughness)
    dyn = m * m / (2.0 * rho * area * area)
    dp = float(np.sum(f * np.asarray(length_m, float) / d_m * dyn)) + k_fittings * float(np.mean(dyn))
    return dp if m_dot_kg_s > 0 else -dp
