"""Readable axis labels for sweep inputs (case-file key paths) and outputs (summary names), and the
unit a plot shows them in: absolute temperatures in degC, differences in K."""
from __future__ import annotations

import re

# key-path parts that only say where a value sits in the file, not what it is
_STRUCTURE = {"panels", "layers", "footprints", "nodes", "loops", "branches", "surfaces",
              "radiator", "chip", "environment", "orbit", "sizing", "heaters"}
_KEEP_FIRST = {"radiator"}  # a top-level [radiator] table of a sizing file names the part

_OUTPUTS = {  # name -> (label, absolute temperature?)
    "tj_max_k": ("hottest junction", True),
    "tj_margin_k": ("junction margin", False),
    "t_max_k": ("hottest temperature", True),
    "radiated_w": ("heat radiated", False),
    "absorbed_w": ("heat absorbed", False),
    "generated_w": ("heat generated", False),
    "energy_balance_rel": ("energy balance error (relative)", False),
    "pipe_utilisation_max": ("largest heat-pipe Q/Q_max", False),
    "pipes_dried": ("heat pipes dried out", False),
    "periodicity_k": ("orbit periodicity residual", False),
    "newton_iterations": ("Newton iterations", False),
    "solve_wall_s": ("solver wall time", False),
    "area_m2": ("radiator area", False),
    "mass_kg": ("system mass", False),
    "heater_w": ("cold-case heater power", False),
    "w_per_m2": ("compute power per area", False),
    "w_per_kg": ("compute power per mass", False),
    "estimate_area_m2": ("first-estimate area", False),
    "pipe_pitch_m": ("pipe pitch", False),
}
_PATTERNS = {"t_max_k.": "hottest", "t_mean_k.": "mean temperature", "tj_k.": "junction"}
_SUFFIX_UNITS = {"_k": "K", "_w": "W", "_m2": "m²", "_kg": "kg", "_s": "s", "_m": "m", "_rel": "", "_per_m2": "W/m²",
                 "_per_kg": "W/kg"}
KELVIN_OFFSET = 273.15


def output_label(name: str) -> tuple[str, float]:
    """(axis label with unit, offset to subtract from the values): 'tj_max_k' -> ('hottest junction
    [°C]', 273.15); 'tj_margin_k' -> ('junction margin [K]', 0)."""
    for prefix, what in _PATTERNS.items():
        if name.startswith(prefix):
            return f"{what} {name[len(prefix):]} [°C]", KELVIN_OFFSET
    label, absolute = _OUTPUTS.get(name, (name.replace("_", " "), False))
    if absolute:
        return f"{label} [°C]", KELVIN_OFFSET
    unit = next((u for suffix, u in sorted(_SUFFIX_UNITS.items(), key=lambda kv: -len(kv[0]))
                 if name.endswith(suffix)), "")
    return (f"{label} [{unit}]" if unit else label), 0.0


def input_label(column: str) -> str:
    """'panels.radiator.layers.sheet.thickness [mm]' -> 'radiator sheet thickness [mm]': the key
    path without the parts that only locate it (a panel or footprint's own name stays)."""
    m = re.match(r"^(.*?)(\s*\[[^\]]*\])?$", column)
    path, unit = m.group(1), (m.group(2) or "")
    parts = path.split(".")
    kept = [p for i, p in enumerate(parts)
            if p not in _STRUCTURE or (i == 0 and p in _KEEP_FIRST) or (i > 0 and parts[i - 1] in ("panels",))]
    return " ".join(p.replace("_", " ") for p in kept) + unit
