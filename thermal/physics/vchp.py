"""Variable-conductance heat pipe: non-condensable gas (NCG) and the flat-front model.

The vapour sweeps the gas to the condenser's far end and into a reservoir; a sharp front separates
the active condenser from the gas-blocked part (Marcus's flat-front model, as in Peterson, "An
Introduction to Heat Pipes", ch. 6, and Gilmore's handbook, ch. 14).  The gas's partial pressure is
the vapour pressure at the vapour temperature less the vapour pressure where the gas sits, so its
inventory n (mol) fills

    n R = (p_v(T_v) - p_v(T_r)) V_r / T_r + (p_v(T_v) - p_v(T_g)) A_v L_g / T_g

with the reservoir (volume V_r at T_r) and a blocked length L_g of vapour core A_v at the blocked
wall's temperature T_g.  So L_g and the active length L_c - L_g follow from T_v: as the pipe cools
the gas expands and the condenser closes, which is what holds T_v near its set temperature.
"""
from __future__ import annotations

import math

from thermal.physics.fluids import saturation, valid_range_k

R_GAS = 8.314462618  # J/(mol K)


def blocked_length_m(moles: float, p_vapour_pa: float, p_reservoir_pa: float, t_reservoir_k: float,
                     reservoir_m3: float, p_blocked_pa: float, t_blocked_k: float, core_area_m2: float,
                     condenser_m: float) -> float:
    """Gas-blocked condenser length [m], between 0 (fully open) and ``condenser_m`` (shut); the
    vapour pressures are the fluid's at T_v, T_r and T_g."""
    in_reservoir = max(p_vapour_pa - p_reservoir_pa, 0.0) * reservoir_m3 / t_reservoir_k
    left = moles * R_GAS - in_reservoir
    if left <= 0.0:
        return 0.0
    push = p_vapour_pa - p_blocked_pa
    if push <= 0.0:
        return condenser_m
    return min(left * t_blocked_k / (push * core_area_m2), condenser_m)


def moles_open_at(p_open_pa: float, p_reservoir_pa: float, t_reservoir_k: float, reservoir_m3: float) -> float:
    """The inventory that puts the front at the condenser's far end (just fully open) when the vapour
    has the vapour pressure ``p_open_pa``: all the gas in the reservoir."""
    return max(p_open_pa - p_reservoir_pa, 0.0) * reservoir_m3 / (t_reservoir_k * R_GAS)


def active_shares(lengths_m, from_far_end: bool, blocked_m: float):
    """Active share (0..1) of each condenser piece (in pipe order) with ``blocked_m`` of gas at the far
    end (the last pieces if ``from_far_end``, else the first)."""
    order = list(range(len(lengths_m)))
    if from_far_end:
        order.reverse()
    share = [1.0] * len(lengths_m)
    left = blocked_m
    for i in order:
        if left <= 0.0:
            break
        cut = min(left, lengths_m[i])
        share[i] = 1.0 - cut / lengths_m[i] if lengths_m[i] > 0 else 0.0
        left -= cut
    return share


def vapour_pressure_pa(fluid: str, t_k: float) -> float:
    """Saturation pressure [Pa]; 0 below the triple point (frozen: no vapour where the gas sits) and
    the last valid value near the critical point."""
    lo, hi = valid_range_k(fluid)
    if t_k <= lo + 1e-6:
        return 0.0
    return saturation(fluid, min(t_k, hi - 1.5)).p_pa


def front(pipe, t_vapour_k: float, t_blocked_k: float, t_reservoir_k: float | None = None) -> float:
    """Blocked condenser length [m] of a gas-loaded pipe with the vapour at T_v, the gas at T_g and
    the reservoir at T_r (default: the one the pipe's gas load holds it at)."""
    gas = pipe.gas
    t_r = gas.reservoir_t_k if t_reservoir_k is None else t_reservoir_k
    return blocked_length_m(gas.moles, vapour_pressure_pa(pipe.fluid, t_vapour_k),
                            vapour_pressure_pa(pipe.fluid, t_r), t_r, gas.reservoir_m3,
                            vapour_pressure_pa(pipe.fluid, t_blocked_k), t_blocked_k,
                            math.pi * pipe.r_vapour_m ** 2, pipe.length_by_role()["condenser"])
