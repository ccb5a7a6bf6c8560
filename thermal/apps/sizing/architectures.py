"""Heat pipes against a pumped loop across compute power, on the first-estimate model.

Both architectures are re-sized for each power with the same closed forms (apps/sizing/estimate.py),
so neither gets the field's correction and the other not. How each grows with the power:

* Heat pipes: nothing is shared between chips; mass and area scale with the chip count.
* A pumped loop: the design's loop serves at most the design's chips. More power tiles whole loops,
  each with its own pumps, accumulator and headers; a loop serving fewer chips has shorter headers
  (they run along its radiator's root) whose bore keeps the design's velocity (diameter with the
  square root of the flow, so the header's pressure gradient stays near the design's). The pumps and
  accumulator keep the masses given per loop: a package has a floor, so small loops pay for it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from thermal.apps.sizing.estimate import choose_pitch, design_environment, estimate


def at_power(spec, power_w: float):
    """(one copy's spec, number of copies) of the design re-sized for ``power_w`` of compute."""
    if spec.architecture != "pumped_loop":
        return replace(spec, compute_power_w=float(power_w)), 1
    design_chips = spec.chips
    chips = math.ceil(power_w / spec.chip_power_w - 1e-9)
    copies = max(1, math.ceil(chips / design_chips - 1e-9))
    per_copy = replace(spec, compute_power_w=float(power_w) / copies)
    header = spec.loop.header_inner_m * math.sqrt(per_copy.chips / design_chips)
    return replace(per_copy, loop=replace(spec.loop, header_inner_m=header)), copies


@dataclass(frozen=True)
class PowerScan:
    """One architecture's estimate over ``powers_w``: area [m2], mass [kg] (NaN where the estimate
    finds no design), the mass per part at the design's own power and the loops it takes."""
    architecture: str
    powers_w: np.ndarray
    area_m2: np.ndarray
    mass_kg: np.ndarray
    copies: np.ndarray
    parts_kg_per_chip: dict


def as_designed(spec):
    """(spec, hot design environment) as ``size`` would start from them: a pitch range resolved to
    the least-mass pitch at the design's power."""
    env = design_environment(spec, "hot")
    if spec.pitch_range_m is not None:
        chosen, _ = choose_pitch(spec, spec.materials, env, spec.chip_power_w * spec.hot_power_factor)
        spec = chosen if chosen is not None else spec
    return spec, env


def scan_powers(spec, env, powers_w) -> PowerScan:
    """``spec`` (its pitch chosen) estimated at each power in its hot design environment ``env``."""
    p_hot = spec.chip_power_w * spec.hot_power_factor
    powers_w = np.asarray(powers_w, float)
    area, mass, copies = (np.full(powers_w.size, np.nan) for _ in range(3))
    for i, p in enumerate(powers_w):
        one, n = at_power(spec, p)
        est = estimate(one, one.materials, env, one.target_k, p_hot)
        copies[i] = n
        if est is not None:
            area[i], mass[i] = n * est.area_m2, n * est.mass_kg["total"]
    own = estimate(spec, spec.materials, env, spec.target_k, p_hot)
    parts = {} if own is None else {k: v / spec.chips for k, v in own.mass_kg.items() if k != "total"}
    return PowerScan(spec.architecture, powers_w, area, mass, copies, parts)


def lighter_ranges(loop: PowerScan, pipes: PowerScan) -> list[tuple[float, float]]:
    """The power ranges [W] (ends on the scan's grid) where the loop is the lighter design."""
    lighter = loop.mass_kg < pipes.mass_kg  # NaN compares False: a power with no design is never "lighter"
    ranges, start = [], None
    for i, flag in enumerate(lighter):
        if flag and start is None:
            start = i
        if start is not None and (not flag or i == lighter.size - 1):
            end = i if flag else i - 1
            ranges.append((float(loop.powers_w[start]), float(loop.powers_w[end])))
            start = None
    return ranges
