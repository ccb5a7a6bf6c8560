"""Material and coating library (``data/materials.toml``) merged with a case's own entries.

A case's ``[materials.NAME]`` either defines a new material or overrides fields of a library one
(``base = "al6061"`` copies a library entry under a new name).  Conductivity is ``k`` (isotropic) or
``k_inplane`` + ``k_through``; ``k`` and ``cp`` may be constants or tables of
``[["300 K", "148 W/m/K"], ...]`` points.
"""
from __future__ import annotations

import tomllib
from functools import lru_cache
from importlib import resources

from thermal.input.table import Table
from thermal.model.case import Coating, Material, PropertyTable

LIBRARY_FILE = "thermal/data/materials.toml"


@lru_cache(maxsize=1)
def _library_raw() -> dict:
    return tomllib.loads(resources.files("thermal").joinpath("data/materials.toml").read_text("utf-8"))


K_MIN_W_MK = 1e-6  # below any solid's: blankets (MLI) conduct ~1e-5 W/m/K through; 1/k must not overflow


def _prop(t: Table, name: str, unit: str, default=None) -> PropertyTable | None:
    value = t.value(name, default)
    low, what = (K_MIN_W_MK, "conductivity: no solid conducts less than ~1e-5 W/m/K") if unit == "W/m/K" \
        else (0.0, "")
    if value is None:
        return None
    if isinstance(value, list):
        if not value or not all(isinstance(p, list) and len(p) == 2 for p in value):
            raise t.error(name, value, f"must be a constant or a list of [temperature, value] pairs in K, {unit}")
        pts = sorted((t.convert(name, p[0], "K", minimum=0.0, strict_minimum=True),
                      t.convert(name, p[1], unit, minimum=low, strict_minimum=low == 0.0, what=what)) for p in value)
        ts = [p[0] for p in pts]
        if len(set(ts)) != len(ts):
            raise t.error(name, value, "table temperatures must be distinct")
        return PropertyTable(tuple(ts), tuple(p[1] for p in pts))
    return PropertyTable((300.0,), (t.convert(name, value, unit, minimum=low, strict_minimum=low == 0.0, what=what),))


def _material(name: str, t: Table, base: Material | None) -> Material:
    rho = t.quantity("rho", "kg/m^3", None, minimum=0.0, strict_minimum=True)
    k = _prop(t, "k", "W/m/K")
    k_in = _prop(t, "k_inplane", "W/m/K")
    k_th = _prop(t, "k_through", "W/m/K")
    cp = _prop(t, "cp", "J/kg/K")
    if k is not None and (k_in is not None or k_th is not None):
        raise t.error("k", t.raw["k"], "give k (isotropic) or k_inplane and k_through, not both")
    if k is not None:
        k_in = k_th = k
    if base is not None:
        rho = base.rho_kg_m3 if rho is None else rho
        k_in = base.k_inplane if k_in is None else k_in
        k_th = base.k_through if k_th is None else k_th
        cp = base.cp if cp is None else cp
    for key, value in (("rho", rho), ("k", k_in), ("k_through", k_th), ("cp", cp)):
        if value is None:
            raise t.error(key, "<missing>", f"material '{name}' needs {key} (or base = a library material)")
    desc = t.string("description", base.description if base else "")
    src = t.string("source", base.source if base else "case file")
    latent, melting = _phase_change(t, base)
    return Material(name, rho, k_in, k_th, cp, desc or "", src, latent, melting)


def _phase_change(t: Table, base: Material | None):
    """``latent_heat`` with ``melting_range = [solidus, liquidus]``: a phase-change material."""
    has_l, has_r = t.has("latent_heat"), t.has("melting_range")
    if not has_l and not has_r:
        return (base.latent_heat_j_kg, base.melting_k) if base is not None else (0.0, None)
    if has_l != has_r:
        missing = "melting_range" if has_l else "latent_heat"
        raise t.error(missing, "<missing>", "a phase-change material needs latent_heat (J/kg) and melting_range = "
                      "[solidus, liquidus]")
    latent = t.quantity("latent_heat", "J/kg", minimum=0.0, strict_minimum=True,
                        what="a phase-change material's latent heat of fusion")
    rng = t.pair("melting_range", "K", minimum=0.0, strict_minimum=True)
    if not rng[1] > rng[0]:
        raise t.error("melting_range", t.raw["melting_range"], "[solidus, liquidus] with liquidus above solidus "
                      "(the latent heat is spread over this range; 0.1 K or more)")
    if rng[1] - rng[0] < 0.01:
        raise t.error("melting_range", t.raw["melting_range"], "at least 0.01 K wide: the enthalpy method spreads "
                      "the latent heat over the range, and a narrower one only forces tiny time steps")
    return latent, rng


@lru_cache(maxsize=1)
def library_materials() -> dict:
    raw = _library_raw()
    out = {}
    for name, sub in raw["materials"].items():
        t = Table(sub, LIBRARY_FILE, f"materials.{name}")
        out[name] = _material(name, t, None)
        t.finish()
    return out


@lru_cache(maxsize=1)
def library_coatings() -> dict:
    raw = _library_raw()
    out = {}
    for name, sub in raw["coatings"].items():
        t = Table(sub, LIBRARY_FILE, f"coatings.{name}")
        alpha, eps = t.fraction("alpha"), t.fraction("eps")
        out[name] = Coating(name, alpha, eps, t.string("description", ""), t.string("source", ""),
                            *_end_of_life(t, alpha, eps, None))
        t.finish()
    return out


def _end_of_life(t: Table, alpha: float, eps: float, base) -> tuple:
    """(alpha_eol, eps_eol, eol_source) of a coating table: given, or the base coating's, or none
    (NaN: the beginning-of-life values stand in).  Degradation raises alpha and lowers eps."""
    a = t.fraction("alpha_eol") if t.has("alpha_eol") else (base.alpha_eol if base else float("nan"))
    e = t.fraction("eps_eol") if t.has("eps_eol") else (base.eps_eol if base else float("nan"))
    if a == a and a < alpha:
        raise t.error("alpha_eol", a, f"end of life does not lower the solar absorptance: >= alpha ({alpha:g})")
    if e == e and e > eps:
        raise t.error("eps_eol", e, f"end of life does not raise the emittance: <= eps ({eps:g})")
    given = t.has("alpha_eol") or t.has("eps_eol")
    source = t.string("eol_source", "case file" if given else (base.eol_source if base else "")) or ""
    return a, e, source


def resolve_materials(tables: dict) -> dict:
    lib = library_materials()
    out = dict(lib)
    for name, t in tables.items():
        base_name = t.string("base", None) if t.has("base") else (name if name in lib else None)
        if base_name is not None and base_name not in lib:
            raise t.error("base", base_name, "unknown library material; known: " + ", ".join(sorted(lib)))
        out[name] = _material(name, t, lib.get(base_name) if base_name else None)
        t.finish()
    return out


def resolve_coatings(tables: dict) -> dict:
    lib = library_coatings()
    out = dict(lib)
    for name, t in tables.items():
        base_name = t.string("base", None) if t.has("base") else (name if name in lib else None)
        if base_name is not None and base_name not in lib:
            raise t.error("base", base_name, "unknown library coating; known: " + ", ".join(sorted(lib)))
        base = lib.get(base_name) if base_name else None
        alpha = t.fraction("alpha") if t.has("alpha") else (base.alpha if base else None)
        eps = t.fraction("eps") if t.has("eps") else (base.eps if base else None)
        if alpha is None or eps is None:
            raise t.error("alpha" if alpha is None else "eps", "<missing>",
                          f"coating '{name}' needs alpha and eps (or base = a library coating)")
        inherit = base if base is not None and alpha == base.alpha and eps == base.eps else None
        out[name] = Coating(name, alpha, eps, t.string("description", base.description if base else "") or "",
                            t.string("source", base.source if base else "case file") or "",
                            *_end_of_life(t, alpha, eps, inherit))
        t.finish()
    return out
