"""``thermal compare``: are two result files the same answer?  Everything a user checks is compared
at every output step: the panels' fields, lumped nodes, chips' junctions, heat-pipe vapour and
heat, loop fluid and the energy terms, the radiation exchange (/radiation: each surface's heat from
the Sun and the Earth, to space and to every other surface, the arrays' electrical power, and the
view factors and orbit visibility as dimensionless fractions), and a sizing's answers (/sizing).  Temperatures against
``atol + rtol |B|`` (K); heat flows against ``power_rtol`` times the larger heat input of the two
runs (W), so a balance near zero is not judged relative to itself.  Files that cannot be the same
result (a run that stopped early, other step counts or times, another case text, other panels,
grids, chips or pipes) are different whatever their numbers say, with the reason."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Tolerances:
    atol_k: float = 1e-9
    rtol: float = 1e-9  # also the absolute bound on dimensionless fractions (view factors, sunlit shares)
    power_rtol: float = 1e-9
    sizing_rtol: float = 1e-9  # the /sizing answers (area, masses, powers): relative to B's value


# where and by what the file was made, not what it says: differ between two honest runs
PROVENANCE_ATTRS = ("source_revision", "thermal_version", "units")


def compare_results(a, b, name_a: str, name_b: str, tol: Tolerances) -> tuple[bool, list[str]]:
    """(same, the lines to print)."""
    if set(a.fields) != set(b.fields):
        return False, [f"different: the files hold different panels: {sorted(a.fields)} vs {sorted(b.fields)}"]
    reasons = _reasons(a, b, name_a, name_b)
    lines = [f"different: {r}" for r in reasons]
    ok = not reasons
    nt = min(len(a.times_s), len(b.times_s))
    for panel in a.fields:
        fa, fb = a.fields[panel][:nt], b.fields[panel][:nt]
        if fa.shape != fb.shape:
            lines.append(f"different: panel '{panel}': grids differ {fa.shape[1:]} vs {fb.shape[1:]}")
            ok = False
            continue
        if np.any(np.isfinite(fa) != np.isfinite(fb)):
            lines.append(f"{panel}: void cells differ")
            ok = False
        both = np.isfinite(fa) & np.isfinite(fb)
        diff = np.abs(fa - fb)[both]
        bad = diff > tol.atol_k + tol.rtol * np.abs(fb[both])
        lines.append(f"{panel}: max |A-B| = {float(diff.max()) if diff.size else 0.0:.3e} K over {nt} steps; "
                     f"{int(bad.sum())} cells outside tolerance")
        ok &= not bad.any()
    for group, pairs, unit in _groups(a, b, nt):
        same, line = _judge(group, pairs, unit, tol, _power_scale(a, b, nt))
        lines.append(line)
        ok &= same
    lines.append("same" if ok else "DIFFERENT")
    return ok, lines


def _incomplete(name, result) -> str | None:
    if "failed" in result.attrs:
        return f"{name} is from a run that stopped early ({result.attrs['failed']})"
    if "complete" in result.attrs and not bool(result.attrs["complete"]):
        return f"{name} is incomplete (a run that was killed or is still writing)"
    return None


def _reasons(a, b, name_a, name_b) -> list:
    """Why the two files cannot be the same result, whatever their common steps say."""
    reasons = [r for r in (_incomplete(name_a, a), _incomplete(name_b, b)) if r]
    if len(a.times_s) != len(b.times_s):
        reasons.append(f"{len(a.times_s)} output steps against {len(b.times_s)}")
    elif not np.allclose(a.times_s, b.times_s, rtol=1e-12, atol=0.0):
        reasons.append("the output times differ")
    if a.case_text and b.case_text and a.case_text != b.case_text:
        reasons.append("the case texts differ")
    for what, ka, kb in (("chips", a.chips, b.chips), ("heat pipes", a.heat_pipes, b.heat_pipes),
                         ("lumped nodes", a.node_names, b.node_names), ("loops", a.loops, b.loops)):
        if sorted(ka) != sorted(kb):
            reasons.append(f"other {what}: {sorted(ka)} vs {sorted(kb)}")
    ra, rb = a.radiation, b.radiation
    if (ra is None) != (rb is None):
        reasons.append(f"only {name_a if rb is None else name_b} has a radiation exchange (/radiation)")
    elif ra is not None:
        for key, what in (("surfaces", "radiating surfaces"), ("patch_names", "radiation patches")):
            if list(ra[key]) != list(rb[key]):
                reasons.append(f"other {what}: {len(ra[key])} vs {len(rb[key])}")
    return reasons


def _groups(a, b, nt):
    """(group name, [(label, A values, B values)], 'K' or 'W') of everything beside the fields."""
    temps, flows = [], []
    for i, name in enumerate(a.node_names):
        if name in b.node_names:
            temps.append((f"node {name}", a.node_t_k[:nt, i], b.node_t_k[:nt, b.node_names.index(name)]))
    for name in sorted(set(a.chips) & set(b.chips)):
        for key in ("t_max", "t_mean"):
            temps.append((f"chip {name} {key}", a.chips[name][key][:nt], b.chips[name][key][:nt]))
    for name in sorted(set(a.heat_pipes) & set(b.heat_pipes)):
        pa, pb = a.heat_pipes[name], b.heat_pipes[name]
        temps.append((f"pipe {name} T_vapour", pa["t_vapour"][:nt], pb["t_vapour"][:nt]))
        flows.append((f"pipe {name} Q", pa["q"][:nt], pb["q"][:nt]))
    for name in sorted(set(a.loops) & set(b.loops)):
        temps.append((f"loop {name} fluid", a.loops[name]["t_fluid"][:nt], b.loops[name]["t_fluid"][:nt]))
    for term in sorted(set(a.energy) & set(b.energy)):
        flows.append((f"energy {term}", a.energy[term][:nt], b.energy[term][:nt]))
    fractions = []
    ra, rb = a.radiation, b.radiation
    if ra is not None and rb is not None and list(ra["patch_names"]) == list(rb["patch_names"]):
        for key in sorted(set(ra["series"]) & set(rb["series"])):
            flows.append((f"radiation {key}", ra["series"][key][:nt], rb["series"][key][:nt]))
        for key in ("view_factor", "view_to_space"):
            fractions.append((f"radiation {key}", ra[key], rb[key]))
        for key in sorted(set(ra.get("visibility", {})) & set(rb.get("visibility", {})) - {"orbit_time_s"}):
            fractions.append((f"radiation {key}", ra["visibility"][key], rb["visibility"][key]))
    return [g for g in (("temperatures (nodes, chips, pipes, loops)", temps, "K"),
                        ("heat flows (energy terms, pipes, radiation)", flows, "W"),
                        ("fractions (view factors, orbit visibility)", fractions, "1")) if g[1]]


def _power_scale(a, b, nt) -> float:
    heat = [np.abs(r.energy[t][:nt]) for r in (a, b) for t in ("generated", "absorbed") if t in r.energy]
    return max([float(np.max(h)) for h in heat if h.size] + [1e-300])


def _judge(group, pairs, unit, tol, power_scale):
    worst, worst_label, bad = 0.0, "", []
    for label, va, vb in pairs:
        va, vb = np.asarray(va, float), np.asarray(vb, float)
        if va.shape != vb.shape or np.any(np.isnan(va) != np.isnan(vb)):
            bad.append(label)
            continue
        d = np.abs(va - vb)
        d = np.where(np.isnan(d), 0.0, d)
        if unit == "K":
            limit = tol.atol_k + tol.rtol * np.abs(vb)
        else:
            limit = tol.rtol if unit == "1" else tol.power_rtol * power_scale
        if np.any(d > np.where(np.isnan(limit), np.inf, limit)):
            bad.append(label)
        if d.size and float(d.max()) > worst:
            worst, worst_label = float(d.max()), label
    line = f"{group}: max |A-B| = {worst:.3e} {unit}" + (f" ({worst_label})" if worst_label else "")
    if bad:
        line += f"; outside tolerance: {', '.join(bad[:6])}" + (f" and {len(bad) - 6} more" if len(bad) > 6 else "")
    return not bad, line


def compare_sizing(a: dict | None, b: dict | None, tol: Tolerances) -> tuple[bool, list[str]]:
    """The /sizing attributes of two sizing results: numbers named ``*_k`` (temperatures) against
    ``atol + rtol |B|``, every other number against ``sizing_rtol |B|``; texts (architecture, margin
    policy, the input's SHA-256) must be equal; provenance is not compared."""
    if a is None and b is None:
        return True, []
    if (a is None) != (b is None):
        return False, ["different: only one file holds a sizing (/sizing)"]
    keys_a, keys_b = set(a) - set(PROVENANCE_ATTRS), set(b) - set(PROVENANCE_ATTRS)
    lines, ok = [], True
    if keys_a != keys_b:
        lines.append(f"different: sizing quantities only in one file: {sorted(keys_a ^ keys_b)}")
        ok = False
    worst, worst_key, bad = 0.0, "", []
    for key in sorted(keys_a & keys_b):
        va, vb = a[key], b[key]
        if isinstance(va, (str, bytes)) or isinstance(vb, (str, bytes)):
            if va != vb:
                bad.append(f"{key} ('{va}' vs '{vb}')" if key != "input_sha256" else "the sizing inputs (SHA-256)")
            continue
        va, vb = float(va), float(vb)
        if np.isnan(va) and np.isnan(vb):
            continue
        d = abs(va - vb)
        limit = tol.atol_k + tol.rtol * abs(vb) if key.endswith("_k") else tol.sizing_rtol * abs(vb)
        if not d <= limit:
            bad.append(f"{key} ({va:.10g} vs {vb:.10g})")
        rel = d / max(abs(vb), 1e-300)
        if rel > worst:
            worst, worst_key = rel, key
    line = f"sizing: {len(keys_a & keys_b)} quantities, largest relative difference {worst:.3e}" + (
        f" ({worst_key})" if worst_key else "")
    if bad:
        line += f"; outside tolerance: {', '.join(bad[:6])}" + (f" and {len(bad) - 6} more" if len(bad) > 6 else "")
        ok = False
    return ok, lines + [line]
