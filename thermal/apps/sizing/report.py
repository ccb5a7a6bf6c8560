"""What `thermal size` prints and writes: the summary table, HDF5 files, a Markdown report with
figures, and single-machine trade studies (closed-form estimate, vectorised where it can be)."""
from __future__ import annotations

import io
import math
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import h5py
import numpy as np
from scipy.optimize import minimize

from thermal.apps.sizing.architectures import as_designed, lighter_ranges, scan_powers
from thermal.apps.sizing.estimate import design_environment, estimate, header_hydraulics, isothermal_panel_net_w_m2
from thermal.input.materials import library_coatings
from thermal.apps.sizing.size import PERIODIC_TOL_K
from thermal.apps.sizing.unit_solves import FREEZE_MARGIN_K, solve_unit
from thermal.constants import VERSION
from thermal.output.provenance import markdown_cell, run_stamp, source_revision
from thermal.output.plotting import loop_figure, pipe_utilisation, pyplot, save_figure, temperature_maps
from thermal.threads import PARALLEL_MIN_NODES, kernel_threads


def _c(t_k):
    return t_k - 273.15


def hot_numbers(res) -> dict:
    """Field quantities of the final hot case (orbit-periodic where the orbit has eclipses)."""
    result = res.periodic_hot["result"] if res.periodic_hot else res.hot.result
    rad = result.fields["radiator"]
    m = result.mesh["radiator"]
    vol = (np.diff(m["z_edges"])[:, None, None] * np.diff(m["y_edges"])[None, :, None] * np.diff(m["x_edges"])[None, None, :])
    means = [float(np.sum(np.where(np.isfinite(t), t, 0) * vol) / np.sum(vol)) for t in rad]
    t_rm = radiative_mean_k(result, res.spec.sides)
    out = {"t_rad_mean_k": float(np.mean(means)), "t_rad_max_k": float(np.nanmax(rad)), "t_rad_radiative_k": t_rm}
    if result.loops:  # the pumped-loop architecture: the coolant's mean and the pumping
        rec = result.loops["coolant"]
        out.update(t_vapour_k=float(np.mean(rec["t_fluid"])), pipe_use_max=math.nan, governing="-",
                   pump_w_per_chip=float(np.mean(rec["pump_power"])), pump_head_pa=float(np.mean(rec["pump_head"])),
                   flow_kg_s_per_chip=float(rec["mass_flow"][-1][0]), fluid=rec["fluid"])
        return out
    t_v = [float(np.mean(p["t_vapour"])) for p in result.heat_pipes.values()]
    uses = [float(np.nanmax(p["utilisation"])) for p in result.heat_pipes.values()]
    out.update(t_vapour_k=float(np.mean(t_v)), pipe_use_max=max(uses),
               governing=next(iter(result.heat_pipes.values()))["governing"])
    return out


def radiative_mean_k(result, sides: int = 2) -> float:
    """(area-weighted mean of T^4 over the radiator's radiating outer cells, all output steps)^(1/4)."""
    rad = result.fields["radiator"]
    m = result.mesh["radiator"]
    area = np.diff(m["y_edges"])[:, None] * np.diff(m["x_edges"])[None, :]
    layers = (0, -1) if sides == 2 else (-1,)
    t4 = [np.sum(area * rad[n][k] ** 4) / np.sum(area) for n in range(rad.shape[0]) for k in layers]
    return float(np.mean(t4)) ** 0.25


def summary_rows(res) -> list[tuple]:
    s, e = res.spec, res.estimate
    h = hot_numbers(res)
    area_f = res.area_m2
    total_f = res.mass_kg["total"]
    per = res.periodic_hot
    tj_row = (f"{_c(s.target_k):.2f} (set)", f"{_c(res.tj_k):.2f}" + (" (orbit-periodic peak)" if per else ""))
    rows = [
        ("radiator panel area [m²]", f"{e.area_m2:.2f}", f"{area_f:.2f}"),
        ("radiator length per unit [m] (width {:.2f} m)".format(e.width_m), f"{e.length_m:.3f}", f"{res.length_m:.3f}"),
        ("hottest junction [°C]", *tj_row),
        ("junction margin to the limit [K]", f"{s.junction_limit_k - s.target_k:.2f}", f"{res.margin_k:.2f}"),
        ("radiator radiative mean (T⁴ mean)^¼ [°C]", f"{_c(e.t_radiative_mean_k):.2f}",
         f"{_c(h['t_rad_radiative_k']):.2f}"),
        ("radiator mean / max [°C]", "-", f"{_c(h['t_rad_mean_k']):.2f} / {_c(h['t_rad_max_k']):.2f}"),
    ]
    rows += [(f"mass: {MASS_LABELS.get(k, k)} [kg]", f"{e.mass_kg[k]:.1f}", f"{res.mass_kg[k]:.1f}")
             for k in res.mass_kg if k != "total"]
    rows += [
        ("mass: total [kg]", f"{e.mass_kg['total']:.1f}", f"{total_f:.1f}"),
        ("specific rejection [W/m² of panel]", f"{s.compute_power_w / e.area_m2:.1f}", f"{s.compute_power_w / area_f:.1f}"),
        ("specific rejection [W/kg]", f"{s.compute_power_w / e.mass_kg['total']:.1f}", f"{s.compute_power_w / total_f:.1f}"),
    ]
    if s.architecture == "pumped_loop":
        rows += [("coolant flow per chip [g/s] / module [kg/s]", f"{h['flow_kg_s_per_chip'] * 1e3:.2f}",
                  f"{h['flow_kg_s_per_chip'] * 1e3:.2f} / {h['flow_kg_s_per_chip'] * s.chips:.3f}"),
                 ("pump power into the fluid, all chips [W]", "-",
                  f"{h['pump_w_per_chip'] * s.chips:.1f} (head {h['pump_head_pa'] / 1e3:.1f} kPa, bores and tubes)")]
        rows += _header_rows(res.worst_unit or {"headers": header_hydraulics(s, h["pump_head_pa"])})
    else:
        rows.append(("heat-pipe utilisation (max)", f"{e.pipe_load_w / e.pipe_limit_w:.2f}",
                     f"{h['pipe_use_max']:.2f} ({h['governing']})"))
    return rows


def _header_rows(worst) -> list[tuple]:
    """The headers along the radiator's root (estimate.header_hydraulics) and the unit they feed
    least, solved in the field at its flow (size.worst_fed_unit), when there is more than one unit."""
    hh = worst["headers"]
    layout = hh["layout"].replace("_", "-")
    rows = [("headers, supply + return [kPa] (inlet velocity)", "-",
             f"{hh['drop_pa'] / 1e3:.1f} ({hh['velocity_m_s']:.2f} m/s), +{hh['pump_w']:.0f} W of pumping")]
    if "tj_k" not in worst:
        return rows
    flows = (f"{100 * worst['fraction']:.0f}-{100 * worst['best_fraction']:.0f} % of the design flow ({layout} "
             "headers)")
    verdict = (f"Tj {worst['tj_k'] - 273.15:.2f} degC, margin {worst['margin_k']:.2f} K" if worst["margin_k"] >= 0.0
               else f"Tj {worst['tj_k'] - 273.15:.2f} degC: {-worst['margin_k']:.1f} K OVER the limit (widen the "
               "headers, reverse return or more loops)")
    return rows + [("flow per unit from the headers", "-", flows),
                   ("worst-fed unit in the field (+{:.2f} K)".format(worst["tj_rise_k"]), "-", verdict)]


MASS_LABELS = {"panel": "radiator panel", "heat_pipes": "heat pipes", "cold_plates": "cold plates",
               "loop_tubes": "loop tubes and headers", "loop_fluid": "loop fluid", "pumps_accumulator":
               "pumps and accumulator (given)"}


def pitch_choice_text(res) -> str:
    """How the pitch was chosen (pipe_pitch = "auto"): the least estimated mass and its neighbours."""
    s = res.spec
    scan = [(p, m) for p, m, _ in res.pitch_scan if math.isfinite(m)]
    lo, hi = s.pitch_range_m
    best = min(m for _, m in scan)
    near = [f"{p * 1e3:.0f} mm {m:.0f} kg" for p, m in scan if 0.5 * s.pipe_pitch_m <= p <= 2.0 * s.pipe_pitch_m]
    return (f"{s.pipe_pitch_m * 1e3:.1f} mm, the least estimated system mass ({best:.0f} kg on the scan) among "
            f"{len(scan)} feasible of {len(res.pitch_scan)} pitches in {lo * 1e3:.0f}-{hi * 1e3:.0f} mm; around it: "
            + ", ".join(near[::2]))


def traceability_line(res) -> str:
    return (f"traceable  thermal {VERSION}, source {source_revision()}, input {res.spec.file} SHA-256 "
            f"{res.spec.input_sha256[:16]}..., run {run_stamp()}")


def summary_text(res, out_dir=None) -> str:
    s = res.spec
    he, ce = res.hot_env, res.cold_env
    policy = (f" and {s.margins.hot_k:g} K of {s.margins.name} margin" if s.margins.hot_k else "")
    lines = [f"sizing     {s.name}: {s.compute_power_w / 1e3:g} kW as {s.chips} chips of {s.chip_power_w:g} W; junction "
             f"limit {_c(s.junction_limit_k):.1f} °C with a {s.junction_margin_k:g} K margin{policy} (target "
             f"{_c(s.target_k):.1f} °C)",
             f"orbit      {s.orbit.altitude_m / 1e3:g} km, attitude {s.orbit.attitude}; hot case beta "
             f"{math.degrees(he.beta_rad):.1f}° (eclipse {100 * he.eclipse_fraction:.1f} %), absorbed "
             f"{np.mean(he.absorbed_per_face_w_m2):.1f} W/m² per face (α {he.alpha:g}, ε {he.eps:g}); cold case beta "
             f"{math.degrees(ce.beta_rad):.1f}° (eclipse {100 * ce.eclipse_fraction:.1f} %), absorbed "
             f"{np.mean(ce.absorbed_per_face_w_m2):.1f} W/m² (α {ce.alpha:g}, ε {ce.eps:g})"]
    lines.append(traceability_line(res))
    for d in s.defaults_used:
        lines.append(f"default    {d}")
    lines += ["", f"{'':<44}{'first estimate':>16}{'field-verified':>32}"]
    for name, a, b in summary_rows(res):
        lines.append(f"{name:<44}{a:>16}" + (f"{b:>32}" if len(b) <= 30 else f"  {b}"))  # long notes: no overlap
    cold_total = res.heater_w_per_chip * s.chips
    lines += ["", f"cold case  idle {100 * s.idle_fraction:g} % ({s.chip_power_w * s.idle_fraction:g} W per chip), "
              f"BOL optics: heater {res.heater_w_per_chip:.1f} W per chip = {cold_total / 1e3:.2f} kW in all "
              f"({100 * cold_total / s.compute_power_w:.1f} % of the compute power) keeps the cold plates "
              + (f"at >= {_c(s.cold_floor_k):.1f} °C and the coolant "
                 f"{FREEZE_MARGIN_K + s.margins.cold_k:g} K above freezing"
                 if s.architecture == "pumped_loop" else
                 f"and vapour at >= {_c(s.cold_floor_k):.1f} °C (coldest {_c(res.cold_min_k):.2f} °C)")]
    if s.architecture == "pumped_loop" and res.cold is not None:
        cold_result = res.periodic_cold["result"] if res.periodic_cold else res.cold.result
        cold_loop = cold_result.loops["coolant"]
        lines.append(f"           coldest cold plate {_c(float(np.nanmin(cold_result.fields['coldplate']))):.2f} °C; "
                     f"coolant {cold_loop['fluid']}: coldest {_c(float(np.min(cold_loop['t_min']))):.2f} °C, "
                     f"freezing margin {float(np.min(cold_loop['freezing_margin'])):.1f} K (freezes at "
                     f"{_c(cold_loop['t_freeze_k']):.2f} °C)")
    if res.periodic_cold:
        lines.append(f"           orbit-periodic cold state: coldest {_c(res.periodic_cold['min_k']):.2f} °C")
    if res.periodic_hot:
        lines.append(f"hot case   orbit-periodic: the junction peaks {res.periodic_hot['overshoot_k']:.2f} K above the "
                     f"orbit-average state ({res.periodic_hot['orbits']} orbit integrations)")
    if res.pitch_scan:
        lines.append("pipe pitch " + pitch_choice_text(res))
    if res.mesh_check:
        mc = res.mesh_check
        lines.append(f"mesh check hot unit refined x2 in plane ({mc['nodes_base']} -> {mc['nodes']} nodes): junction "
                     f"{mc['delta_tj_k']:+.3f} K, i.e. {mc['delta_area_m2']:+.2f} m² of area "
                     f"({100 * mc['delta_area_m2'] / res.area_m2:+.2f} %) to hold the target")
    if res.margins:
        lines += [""] + margin_lines(res)
    if res.control:
        lines += [""] + control_lines(res)
    if res.neighbourhood:
        lines += [""] + neighbourhood_lines(res)
    lines += ["", "why they differ: " + difference_reason(res)]
    lines.append(f"\nwall time  {res.wall_s:.1f} s ({len(res.evaluations)} hot-case field solves)")
    if out_dir is not None:
        lines.append(f"wrote      {out_dir}/ (report {s.name}.md, {s.name}.h5 hot field, {s.name}_cold.h5, figures, "
                     "the repeating-unit case files)")
    return "\n".join(lines)


def margin_lines(res) -> list:
    """The margin policy: each margin, where it comes from, what it cost; the design totals."""
    s, m = res.spec, res.spec.margins
    lines = [f"margins    {m.name}: {m.source}"]
    lines.append(f"  {'margin':<22}{'value':<44}{'area [m²]':>10}{'mass [kg]':>10}{'heater [W]':>11}  how")
    for label, value, area, mass, heater, how in res.margins["rows"]:
        lines.append(f"  {label:<22}{value:<44}{area:>10.2f}{mass:>10.1f}{heater:>11.1f}  {how}")
    design = res.margins["design_mass_kg"]["total"]
    lines.append(f"  design with margins: area {res.design_area_m2:.2f} m², mass {design:.1f} kg; heaters "
                 f"installed {res.installed_heater_w_per_chip:.1f} W per chip = "
                 f"{res.installed_heater_w_per_chip * s.chips / 1e3:.2f} kW (needed {res.heater_w_per_chip:.1f} W)")
    n1 = res.margins.get("n_minus_1")
    if n1:
        verdict = "passes" if n1["passed"] else "FAILS"
        lines.append(f"  N-1 heat pipes {verdict}: one of {s.pipes_per_chip} per chip failed, hot case at the sized "
                     f"length: junction {_c(n1['tj_k']):.2f} °C (limit {_c(s.junction_limit_k):.1f}), the others at "
                     f"{100 * n1['utilisation']:.0f} % of their transport limit (allowed "
                     f"{100 * n1['allowed']:.0f} %)" + (f"; dried: {', '.join(n1['dried'])}" if n1["dried"] else ""))
    return lines


def control_lines(res) -> list:
    """The cold case kept warm four ways (apps/sizing/control.py)."""
    n = res.control["chips"]
    lines = [f"cold control at the sized radiator (idle {100 * res.spec.idle_fraction:g} %, floor "
             f"{_c(res.spec.cold_floor_k):.1f} °C):",
             f"  {'how':<62}{'heater W/chip':>14}{'module kW':>10}{'area m²':>9}{'mass kg':>9}{'coldest °C':>11}  note"]
    for r in res.control["rows"]:
        lines.append(f"  {r['name']:<62}{r['heater_w']:>14.1f}{r['heater_w'] * n / 1e3:>10.2f}{r['area_m2']:>9.1f}"
                     f"{r['mass_kg']:>9.1f}{_c(r['coldest_k']):>11.2f}  {r['note']}")
    return lines


def neighbourhood_lines(res) -> list:
    nb = res.neighbourhood
    s = nb["area_factor"]
    lines = [f"neighbourhood  the wing ({res.area_m2:.1f} m², isothermal, hot case) runs {_c(nb['t_alone_k']):.2f} °C "
             f"alone and {_c(nb['t_with_k']):.2f} °C among its neighbours (+{nb['t_with_k'] - nb['t_alone_k']:.2f} K)",
             f"               to run as cool it needs {100 * (s - 1):+.1f} % area: {res.area_with_neighbourhood_m2:.1f} m², "
             f"{res.mass_with_neighbourhood_kg:.1f} kg (isolated: {res.area_m2:.1f} m², {res.mass_kg['total']:.1f} kg)"]
    for name, w in nb["returned_w"].items():
        if abs(w) >= 0.05:
            lines.append(f"               {name} {'gives' if w > 0 else 'takes'} {abs(w):.4g} W net "
                         f"{'to' if w > 0 else 'from'} the wing (infrared, at the sized area)")
    for name, w in nb["electrical_w"].items():
        lines.append(f"               array {name}: {w / 1e3:.4g} kW electrical (orbit average, hot case)")
    return lines


def neighbourhood_figure(res, path) -> Path:
    """Wing temperature against area, alone and among its neighbours, with the sized and the penalised area."""
    plt = pyplot()
    nb = res.neighbourhood
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for curve, label, style in ((nb["alone_curve"], "wing alone", "o-"), (nb["curve"], "with neighbourhood", "s-")):
        pts = sorted(curve)
        ax.plot([res.area_m2 * c for c, _ in pts], [_c(t) for _, t in pts], style, label=label)
    ax.axhline(_c(nb["t_alone_k"]), color="0.5", linestyle=":", linewidth=1)
    ax.axvline(res.area_m2, color="tab:blue", linestyle="--", linewidth=1, label=f"sized alone {res.area_m2:.1f} m²")
    ax.axvline(res.area_with_neighbourhood_m2, color="tab:orange", linestyle="--", linewidth=1,
               label=f"with neighbourhood {res.area_with_neighbourhood_m2:.1f} m²")
    ax.set_xlabel("radiator area [m²]")
    ax.set_ylabel("mean wing temperature, hot case [°C]")
    ax.set_title(f"{res.spec.name}: what the neighbourhood costs", fontsize=10)
    ax.legend(fontsize=8)
    return save_figure(plt, fig, path, 120)


def difference_reason(res) -> str:
    """Compare the chains: what the field solve finds at the estimate's own length."""
    e = res.estimate
    first = res.at_estimate
    if first is None:
        return "n/a"
    if res.spec.architecture == "pumped_loop":
        return _loop_difference_reason(res, e, first)
    hp = first.result.heat_pipes
    t_v = float(np.mean([p["t_vapour"][-1] for p in hp.values()]))
    est_jv = e.drops_k["die"] + e.drops_k["tim"] + e.drops_k["spreading"] + e.drops_k["evaporator"]
    fv_jv = first.tj_k - t_v
    t_rm = radiative_mean_k(first.result, res.spec.sides)
    return (f"at the estimate's length ({e.length_m:.3f} m) the field solve puts the junction "
            f"{first.tj_k - res.spec.target_k:+.2f} K from target. Junction to vapour: {fv_jv:.2f} K in the field "
            f"vs {est_jv:.2f} K estimated (the estimate spreads into an isothermal base and shares the evaporator "
            f"film evenly over all {res.spec.pipes_per_chip} pipes; in the field the pipes nearest the die carry "
            f"more and the plate is not isothermal). Vapour to the radiator's radiative mean: {t_v - t_rm:.2f} K vs "
            f"{e.drops_k['condenser'] + e.t_base_k - e.t_radiative_mean_k:.2f} K (the estimate's fin has both "
            f"facesheets at one temperature, no core resistance and no end effects along the pipe). The radiator's "
            f"radiative mean is set by the energy balance at a given area ({_c(t_rm):.2f} °C in the field, "
            f"{_c(e.t_radiative_mean_k):.2f} °C estimated), so the whole difference lies in the chain from the "
            f"junction to the radiator, and the field needs {100 * (res.length_m / e.length_m - 1):.0f} % more area "
            "to absorb it.")


def _loop_difference_reason(res, e, first) -> str:
    rec = first.result.loops["coolant"]
    t_f = float(np.mean(rec["t_fluid"][-1]))
    est_jf = sum(v for k, v in e.drops_k.items() if k != "condenser")
    t_rm = radiative_mean_k(first.result, res.spec.sides)
    return (f"at the estimate's length ({e.length_m:.3f} m) the field solve puts the junction "
            f"{first.tj_k - res.spec.target_k:+.2f} K from target. Junction to the mean coolant: "
            f"{first.tj_k - t_f:.2f} K in the field vs {est_jf:.2f} K estimated (the estimate spreads into an "
            f"isothermal base at the bore and puts the chip over the mean coolant). Mean coolant to the radiator's "
            f"radiative mean: {t_f - t_rm:.2f} K vs {e.drops_k['condenser'] + e.t_base_k - e.t_radiative_mean_k:.2f} K "
            f"(the estimate's fins start at the mean coolant temperature all along the tubes). The field needs "
            f"{100 * (res.length_m / e.length_m - 1):.0f} % more area than the estimate.")


def write_sizing_h5(res, path, xdmf: bool = True) -> Path:
    """The final hot-case field (orbit-periodic where there are eclipses) with a /sizing group of
    attributes: area, mass breakdown, margins, heater power, specific rejection, design betas."""
    s = res.spec
    hot_result = res.periodic_hot["result"] if res.periodic_hot else res.hot.result
    hot_result.write(path, xdmf=xdmf)
    h = hot_numbers(res)
    attrs = {"compute_power_w": s.compute_power_w, "chips": s.chips, "chip_power_w": s.chip_power_w,
             "area_m2": res.area_m2, "length_per_unit_m": res.length_m, "tj_max_k": res.tj_k,
             "junction_limit_k": s.junction_limit_k, "margin_k": res.margin_k,
             "heater_w_per_chip": res.heater_w_per_chip, "heater_w_total": res.heater_w_per_chip * s.chips,
             "t_radiator_mean_k": h["t_rad_mean_k"], "t_radiator_max_k": h["t_rad_max_k"],
             "estimate_area_m2": res.estimate.area_m2, "estimate_length_m": res.estimate.length_m,
             "hot_beta_deg": math.degrees(res.hot_env.beta_rad), "cold_beta_deg": math.degrees(res.cold_env.beta_rad),
             "w_per_m2": s.compute_power_w / res.area_m2, "w_per_kg": s.compute_power_w / res.mass_kg["total"],
             "pipe_pitch_m": s.pipe_pitch_m, "pipes_per_chip": s.pipes_per_chip,
             "pipe_pitch_auto": res.pitch_scan is not None, "architecture": s.architecture}
    attrs.update({f"mass_{k}_kg": float(v) for k, v in res.mass_kg.items()})
    if s.architecture == "pumped_loop":
        hh = res.worst_unit["headers"] if res.worst_unit else header_hydraulics(s, h["pump_head_pa"])
        attrs.update(pump_w_total=h["pump_w_per_chip"] * s.chips, unit_dp_pa=h["pump_head_pa"],
                     header_dp_pa=hh["drop_pa"], header_pump_w=hh["pump_w"],
                     far_unit_flow_shortfall=hh["far_unit_shortfall"], header_layout=hh["layout"],
                     unit_flow_fraction=np.asarray(hh["unit_flow_fraction"]))
        if res.worst_unit:
            attrs.update(worst_unit_tj_k=res.worst_unit["tj_k"], worst_unit_margin_k=res.worst_unit["margin_k"])
    attrs["margins"] = s.margins.name
    attrs.update(input_sha256=s.input_sha256, source_revision=source_revision(), thermal_version=VERSION)
    if res.mesh_check:
        attrs.update(mesh_check_delta_tj_k=res.mesh_check["delta_tj_k"],
                     mesh_check_delta_area_m2=res.mesh_check["delta_area_m2"])
    if res.margins:
        attrs.update(design_area_m2=res.design_area_m2, design_mass_kg=res.margins["design_mass_kg"]["total"],
                     heater_installed_w_per_chip=res.installed_heater_w_per_chip,
                     margin_hot_k=s.margins.hot_k, margin_cold_k=s.margins.cold_k, margin_area=s.margins.area,
                     margin_heater=s.margins.heater, margin_pipe_transport=s.margins.pipe_transport)
        n1 = res.margins.get("n_minus_1")
        if n1:
            attrs.update(n_minus_1_tj_k=n1["tj_k"], n_minus_1_utilisation=n1["utilisation"],
                         n_minus_1_passed=bool(n1["passed"]))
    if res.control:
        for i, r in enumerate(res.control["rows"]):
            attrs.update({f"control_{i}_name": r["name"], f"control_{i}_heater_w_per_chip": r["heater_w"],
                          f"control_{i}_area_m2": r["area_m2"], f"control_{i}_mass_kg": r["mass_kg"],
                          f"control_{i}_coldest_k": r["coldest_k"]})
    with h5py.File(path, "a") as f:
        g = f.create_group("sizing")
        g.attrs.update(attrs)
        g.attrs["units"] = "SI (see attribute names)"
        if res.pitch_scan:
            d = g.create_dataset("pitch_scan", data=np.asarray(res.pitch_scan, float))
            d.attrs["units"] = "m, kg, m2"
            d.attrs["columns"] = ["pipe_pitch_m", "estimated_mass_kg", "estimated_area_m2"]
    return Path(path)


def write_outputs(res, out_dir, figures: bool = True, trades: bool = True, helper=None) -> list:
    """The report, its figures and the fields; ``helper``: a spare process (``spare_process``) that
    draws the plot-only trade studies meanwhile."""
    s = res.spec
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    pending = None
    if trades and helper is not None:
        try:
            pending = helper.submit(plot_only_trades, res, out)
        except BrokenProcessPool:  # the helper died before it got the job (while warming up): draw here
            pending = None
    hot_result = res.periodic_hot["result"] if res.periodic_hot else res.hot.result
    h5 = write_sizing_h5(res, out / f"{s.name}.h5")
    written.append(h5)
    cold = (res.periodic_cold["result"] if res.periodic_cold else res.cold.result) if res.cold else None
    if cold is not None:
        cold.write(out / f"{s.name}_cold.h5")
        written.append(out / f"{s.name}_cold.h5")
    (out / f"{s.name}_hot_unit.toml").write_text(res.hot.text)
    if res.cold is not None:
        (out / f"{s.name}_cold_unit.toml").write_text(res.cold.text)
    if res.neighbourhood:
        (out / f"{s.name}_wing.toml").write_text(res.neighbourhood["case_text"])
    figs = []
    if figures:
        temperature_maps(hot_result, out / "hot_unit.png")
        figs.append(out / "hot_unit.png")
        if hot_result.heat_pipes:
            pipe_utilisation(hot_result, out / "hot_pipes.png")
            figs.append(out / "hot_pipes.png")
        if hot_result.loops:
            loop_figure(hot_result, out / "hot_loop.png")
            figs.append(out / "hot_loop.png")
        if cold is not None:
            temperature_maps(cold, out / "cold_unit.png")
            figs.append(out / "cold_unit.png")
        if res.neighbourhood:
            figs.append(neighbourhood_figure(res, out / "neighbourhood.png"))
    trade_info = {}
    if trades:
        start = time.perf_counter()
        trade_info = trade_studies(res, out, pending)
        figs += trade_info["figures"]
        trade_info["wall_s"] = time.perf_counter() - start
    md = out / f"{s.name}.md"
    md.write_text(markdown(res, figs, trade_info), encoding="utf-8")
    written.append(md)
    return written + figs


def markdown(res, figs, trade_info) -> str:
    s = res.spec
    lines = [f"# Radiator sizing: {s.name}", "", s.description, "", "```", summary_text(res), "```", "",
             "## Method", "", *_method(res), "", "## Field solves of the hot case", "", *_solves_table(res)]
    if trade_info:
        lines += ["", "## Trade studies (first-estimate model)", "", trade_info.get("text", "")]
    lines += [""] + [f"![{Path(f).name}]({Path(f).name})" for f in figs] + [""]
    return "\n".join(lines)


def _method(res) -> list:
    """The method as applied to this sizing, with its numbers: design cases, estimate, field search,
    orbit-peak retargeting, cold case."""
    s, hot, cold = res.spec, res.hot_env, res.cold_env
    betas = "the beta angles the orbit's plane sweeps over the year from its date (5-day steps)" \
        if s.orbit.inclination_rad is not None else "the orbit's one beta angle (the file gives beta)"
    out = [f"1. Design cases. Over {betas}, the orbit-average flux each radiating face absorbs is computed "
           "(180 points per orbit: direct sunlight, albedo and Earth IR on the face's attitude). The **hot case** "
           f"takes the beta where the radiator absorbs most, with end-of-life optics (alpha {hot.alpha:g}, eps "
           f"{hot.eps:g}) and the hot solar constant, albedo and Earth IR: beta {math.degrees(hot.beta_rad):.1f}°, "
           f"eclipse {hot.eclipse_fraction * 100:.1f} % of the orbit, "
           f"{float(np.mean(hot.absorbed_per_face_w_m2)):.1f} W/m² absorbed per face. The **cold case** takes the beta "
           f"where it absorbs least (ties: the longest eclipse), with beginning-of-life optics (alpha {cold.alpha:g}, "
           f"eps {cold.eps:g}) and the cold fluxes: beta {math.degrees(cold.beta_rad):.1f}°, eclipse "
           f"{cold.eclipse_fraction * 100:.1f} %, {float(np.mean(cold.absorbed_per_face_w_m2)):.1f} W/m² per face. "
           "Why: the hot case decides the area (the junction limit), the cold case the heaters (the minimum "
           "temperature); each takes the end of the year and of life that is worst for what it decides.",
           "2. First estimate: closed forms per chip (1-D die and TIM with their contact conductances, series "
           "spreading solution into an isothermal base, evaporator/condenser films per length with the saddle "
           "bond, radiating fins between pipes with the absorbed flux as an effective sink).",
           "3. Field solve of the repeating unit (one chip, its cold plate, its pipes, its share of the radiator "
           "with symmetry edges), steady in the orbit-average hot environment, iterated on the radiator length "
           f"(bracketed, then Illinois regula falsi) until the hottest junction is on target (±0.02 K); "
           f"{len(res.evaluations)} field solves in all."]
    rounds = (res.periodic_hot or {}).get("rounds") or []
    if rounds:
        first = rounds[0]
        text = ("4. Orbit-peak retargeting (the hot orbit has an eclipse, so the junction swings around its "
                "orbit-average state): the orbit-periodic state of the unit at the steady answer's length "
                f"({first[0]:.4f} m) peaks at {_c(first[3]):.2f} °C, {first[3] - first[2]:+.2f} K from the steady "
                f"{_c(first[2]):.2f} °C. The steady target is lowered by that overshoot and the length searched "
                "again (pass 2, starting from the solves already made)")
        for k, (length, target, tj, peak) in enumerate(rounds[1:], start=2):
            text += (f"; pass {k} aimed at {_c(target):.2f} °C and gave {length:.4f} m, whose periodic peak is "
                     f"{_c(peak):.2f} °C")
        out.append(text + f" -- on the target {_c(s.target_k):.2f} °C within {PERIODIC_TOL_K:g} K. The area is the "
                   "periodic peak's, not the orbit average's.")
    out.append(f"{len(out) + 1}. Cold case at that length: idle power, heater on the cold plate found so the cold "
               "plate and vapour stay at the minimum temperature.")
    return out


def _solves_table(res) -> list:
    rows = ["| pass | aimed at [°C] | radiator length per unit [m] | hottest junction, steady [°C] |",
            "|---|---|---|---|"]
    targets = list(res.targets) or [res.spec.target_k] * len(res.evaluations)
    passes, seen = [], []
    for t in targets:
        if not seen or abs(t - seen[-1]) > 1e-9:
            seen.append(t)
        passes.append(len(seen))
    for (length, tj), t, k in zip(res.evaluations, targets, passes):
        rows.append("| " + " | ".join(markdown_cell(x) for x in (k, f"{_c(t):.2f}", f"{length:.4f}",
                                                               f"{_c(tj):.3f}")) + " |")
    return rows


def trade_studies(res, out, pending=None) -> dict:
    """Area and mass against radiator temperature, compute power (tiled modules) and coating, and
    mass against junction margin (Pareto) -- on the first-estimate model, scaled to the field answer
    where it says so.  ``pending``: the plot-only studies already under way in a spare process
    (``spare_process``), as the future of ``plot_only_trades``; None: all of them here."""
    pareto = _trade_pareto(pyplot(), res, out)  # the one with field solves: in this process, which has the kernels
    plot_only = None
    if pending is not None:
        try:
            plot_only = pending.result()
        except BrokenProcessPool:  # the helper died (killed, out of memory): draw them here instead
            plot_only = None
    if plot_only is None:
        plot_only = plot_only_trades(res, out)
    figs, text = [], []
    for fig, line in [*plot_only, pareto]:
        if fig is not None:
            figs.append(fig)
        if line:
            text.append(line)
    return {"figures": figs, "text": "\n".join(text)}


def plot_only_trades(res, out) -> list:
    """(figure path or None, report line) of the trade studies that take no field solve: the estimate
    and matplotlib only, so a spare process can draw them while this one solves the Pareto's checks."""
    plt = pyplot()
    return [study(plt, res, out) for study in (_trade_temperature, _trade_power, _trade_architecture, _trade_coating)]


def _warm_helper() -> None:
    """What a spare process pays once before its first figure: matplotlib's import and its fonts."""
    fig = pyplot().figure(figsize=(1, 1))
    fig.text(0.5, 0.5, "°C m² 10³")
    fig.savefig(io.BytesIO(), format="png")


@contextmanager
def spare_process():
    """A process on a spare core that draws the plot-only trade studies (``trade_studies(pending=)``)
    while this one draws the maps and solves the Pareto's field checks: 1.2 s of the flagship's 3.5 s
    report.  Started (spawned: a clean interpreter, nothing inherited from this one's compiled
    kernels' threads) before the sizing, so its imports run on the core the sizing leaves idle.
    None where no core is spare (one CPU allowed, or the machine's load fills all but one): there
    the figures are drawn in this process, as before."""
    if kernel_threads(PARALLEL_MIN_NODES) < 2:
        yield None
        return
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        pool.submit(_warm_helper)
        yield pool


def _trade_temperature(plt, res, out):
    """Area against an isothermal radiator temperature (ideal panel, fin efficiency 1)."""
    s, env = res.spec, res.hot_env
    kg_per_m2 = res.mass_kg["total"] / res.area_m2
    t = np.linspace(250.0, 400.0, 151)
    net = np.array([isothermal_panel_net_w_m2(tk, env) for tk in t])
    area = np.where(net > 0, s.compute_power_w * s.hot_power_factor / np.where(net > 0, net, 1), np.nan)
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.semilogy(t - 273.15, area, label="isothermal panel (ideal)")
    ax.semilogy([_c(hot_numbers(res)["t_rad_mean_k"])], [res.area_m2], "r*", ms=12, label="field-verified design")
    ax2 = ax.twinx()
    ax2.semilogy(t - 273.15, area * kg_per_m2, alpha=0)
    ax2.set_ylabel(f"mass at the design's {kg_per_m2:.2f} kg/m² [kg]")
    ax2.set_ylim(np.array(ax.get_ylim()) * kg_per_m2)
    ax.set_xlabel("radiator temperature [°C]")
    ax.set_ylabel("panel area [m²]")
    ax.set_title(f"{s.compute_power_w / 1e3:g} kW: area against radiator temperature (hot case)", fontsize=10)
    ax.legend(fontsize=8)
    return save_figure(plt, fig, out / "trade_temperature.png", 110), None


def _trade_power(plt, res, out):
    """Against compute power: the same chip, stack and repeating unit re-sized (estimate) for each
    power, so the chip count follows the power; area and mass scaled by the field's correction of the
    estimate at the design point.  Not tiled whole modules: 10 kW needs 10 kW of radiator, not a
    100 kW module's; a pumped loop tiles whole loops beyond its design's chips (architectures.at_power)."""
    s, env = res.spec, res.hot_env
    area_scale = res.area_m2 / res.estimate.area_m2
    mass_scale = res.mass_kg["total"] / res.estimate.mass_kg["total"]
    powers = _trade_powers(s)
    scan = scan_powers(s, env, powers)
    area, mass = scan.area_m2 * area_scale, scan.mass_kg * mass_scale
    fig, (ax_a, ax_m) = plt.subplots(2, 1, figsize=(6, 5.5), sharex=True)
    for ax, y, design, label in ((ax_a, area, res.area_m2, "panel area [m²]"),
                                 (ax_m, mass, res.mass_kg["total"], "system mass [kg]")):
        ax.loglog(powers / 1e3, y, "-", color="tab:blue", label="re-sized for each power")
        ax.loglog([s.compute_power_w / 1e3], [design], "r*", ms=12, label="field-verified design")
        ax.set_ylabel(label)
        ax.grid(True, which="both", alpha=0.3)
    ax_a.legend(fontsize=8)
    ax_m.set_xlabel("compute power [kW]")
    ax_a.set_title(f"{s.chip_power_w:g} W chips, same unit design: {s.compute_power_w / res.area_m2:.0f} W/m², "
                   f"{s.compute_power_w / res.mass_kg['total']:.0f} W/kg at the design", fontsize=10)
    i_1mw = int(np.searchsorted(powers, 1e6))
    line = (f"- Compute power {powers[0] / 1e3:g} kW to 10 MW, the design's unit re-sized per power (chip count "
            f"follows the power; estimate x field correction {area_scale:.3f} in area, {mass_scale:.3f} in mass): "
            f"{powers[0] / 1e3:g} kW -> {area[0]:.3g} m², {mass[0]:.3g} kg; 1 MW -> "
            f"{area[i_1mw]:.4g} m², {mass[i_1mw]:.4g} kg. A single wing of that size is not deployable: "
            "beyond a few hundred m² the area is split over wings, which this estimate does not model.")
    return save_figure(plt, fig, out / "trade_power.png", 110), line


def _trade_powers(s):
    """10 kW (or one chip) to 10 MW, with 1 MW on the grid."""
    return np.union1d(np.logspace(math.log10(max(1e4, s.chip_power_w)), 7, 31), [1e6])


def _trade_architecture(plt, res, out):
    """With ``[sizing] compare_with``: this design and the same job with the other architecture, both
    re-sized per power on the first-estimate model (apps/sizing/architectures.py)."""
    if res.spec.compare is None:
        return None, None
    # from one chip: a loop's pumps and accumulator weigh most on small designs
    powers = np.union1d(np.logspace(math.log10(res.spec.chip_power_w), 7, 41), [1e6])
    other_spec, other_env = as_designed(res.spec.compare)
    own, other = scan_powers(res.spec, res.hot_env, powers), scan_powers(other_spec, other_env, powers)
    loop, pipes = (own, other) if own.architecture == "pumped_loop" else (other, own)
    fig, (ax_m, ax_r) = plt.subplots(2, 1, figsize=(6, 5.5), sharex=True, height_ratios=(2, 1))
    for scan, colour in ((pipes, "tab:blue"), (loop, "tab:orange")):
        ax_m.loglog(powers / 1e3, scan.mass_kg, "-", color=colour, label=scan.architecture.replace("_", " "))
    ax_m.set_ylabel("system mass [kg]")
    ax_m.legend(fontsize=8)
    ax_r.semilogx(powers / 1e3, loop.mass_kg / pipes.mass_kg, "-", color="k", label="mass")
    ax_r.semilogx(powers / 1e3, loop.area_m2 / pipes.area_m2, "--", color="tab:green", label="area")
    ax_r.axhline(1.0, color="0.5", lw=0.8)
    ax_r.set_ylabel("loop / heat pipes")
    ax_r.set_xlabel("compute power [kW]")
    ax_r.legend(fontsize=8)
    for ax in (ax_m, ax_r):
        ax.grid(True, which="both", alpha=0.3)
    for ax in (ax_m, ax_r):
        ax.axvline(res.spec.compute_power_w / 1e3, color="r", lw=0.8, ls=":")
    ax_m.set_title("both architectures re-sized per power (first estimate);\nloops tiled beyond the design's "
                   "chips, the design's power dotted", fontsize=9)
    return save_figure(plt, fig, out / "trade_architecture.png", 110), architecture_text(loop, pipes)


def _power_text(p_w: float) -> str:
    return f"{p_w / 1e6:.3g} MW" if p_w >= 1e6 else f"{p_w / 1e3:.3g} kW"


def architecture_text(loop, pipes) -> str:
    """Which wins where, and the per-chip masses that say why."""
    ranges = lighter_ranges(loop, pipes)
    span = f"{_power_text(loop.powers_w[0])}-{_power_text(loop.powers_w[-1])}"
    if ranges:
        where = "the pumped loop is the lighter design at " + ", ".join(
            f"{_power_text(a)}-{_power_text(b)}" for a, b in ranges) + ", the heat pipes elsewhere"
    else:
        where = f"the heat pipes are the lighter design everywhere in {span}"
    parts = lambda scan: ", ".join(f"{k} {v:.2f}" for k, v in scan.parts_kg_per_chip.items())  # noqa: E731
    i = [int(np.argmin(np.abs(loop.powers_w - p))) for p in (loop.powers_w[0], 1e4, 1e5, 1e6, loop.powers_w[-1])]
    ratios = "; ".join(f"{_power_text(loop.powers_w[j])}: loop/pipes mass {loop.mass_kg[j] / pipes.mass_kg[j]:.3f}, "
                       f"area {loop.area_m2[j] / pipes.area_m2[j]:.3f}" for j in dict.fromkeys(i))
    return (f"- Architectures, both re-sized per power ({span}) on the first estimate: {where} ({ratios}). Per "
            f"chip at each file's own power [kg]: heat pipes {parts(pipes)}; pumped loop {parts(loop)} (its pumps "
            "and accumulator are per loop: a small loop pays them over few chips; beyond the design's chips whole "
            "loops are tiled).")


def _trade_coating(plt, res, out):
    """Per library coating, the hot-case area (estimate x the field's correction) at its own
    beginning- and end-of-life optics (the library's, with their sources: degradation differs by
    coating, white paints darken far more than OSRs), and the design's coating at the end-of-life
    values its sizing file uses.  Log scale when the areas span more than a decade (bare aluminium)."""
    s, env = res.spec, res.hot_env
    p_hot = s.chip_power_w * s.hot_power_factor
    scale = res.area_m2 / res.estimate.area_m2  # the field's correction of the estimate, applied to all

    def area(alpha, eps):
        est = estimate(s, s.materials, _with_optics(env, alpha, max(eps, 0.01)), s.target_k, p_hot)
        return est.area_m2 * scale if est else np.nan

    coatings = sorted(library_coatings().items())
    rows = [(name, area(c.alpha, c.eps), area(*c.at_end_of_life()), c) for name, c in coatings]
    design = area(s.alpha_eol, s.eps_eol)
    fig, ax = plt.subplots(figsize=(7.5, 0.5 * len(rows) + 1.8))
    y = np.arange(len(rows))
    ax.barh(y - 0.2, [r[1] for r in rows], 0.4, color="tab:blue", label="beginning of life")
    ax.barh(y + 0.2, [r[2] for r in rows], 0.4, color="tab:red", label="end of life (library)")
    ax.set_yticks(y, [f"{n} ({c.alpha:g}/{c.eps:g} -> {c.at_end_of_life()[0]:g}/{c.at_end_of_life()[1]:g})"
                      for n, _, _, c in rows], fontsize=8)
    ax.invert_yaxis()
    if s.coating in [r[0] for r in rows]:
        i = [r[0] for r in rows].index(s.coating)
        ax.plot([design], [i + 0.2], "k*", ms=12, label=f"design: {s.coating} at the file's EOL "
                                                        f"({s.alpha_eol:g}/{s.eps_eol:g})")
    values = [v for r in rows for v in r[1:3] if np.isfinite(v)]
    if values and max(values) > 10 * min(values):
        ax.set_xscale("log")
        ax.tick_params(axis="x", which="minor", labelbottom=False)  # 2x10^2, 3x10^2 ... overlapped
        lo, hi = ax.get_xlim()
        ticks = [m * 10.0**k for k in range(int(math.floor(math.log10(lo))), int(math.ceil(math.log10(hi))) + 1)
                 for m in (1, 2, 5) if lo <= m * 10.0**k <= hi]
        ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
    for k, (_, bol, eol, _) in enumerate(rows):
        for dy, v in ((-0.2, bol), (0.2, eol)):
            if np.isfinite(v):
                ax.text(v, k + dy, f" {v:.0f}", va="center", fontsize=7)
    ax.set_xlabel("panel area [m²] (hot case; estimate x field correction)")
    ax.set_title("area per coating (alpha/eps at BOL -> EOL)", fontsize=10)
    ax.legend(fontsize=7, loc="lower right")
    line = ("- Per coating, hot-case area in m² at beginning / end of life (the library's optics and sources, "
            f"`thermal info`; estimate scaled by the field/estimate ratio {scale:.3f}): "
            + ", ".join(f"{n} {b:.4g} / {e:.4g}" for n, b, e, _ in rows)
            + f"; the design ({s.coating} at alpha {s.alpha_eol:g}, eps {s.eps_eol:g}) {design:.3g}. Most library "
              "end-of-life values are stated assumptions, not measurements (README, Coatings).")
    return save_figure(plt, fig, out / "trade_coating.png", 110), line


PARETO_MARGINS_K = (0.0, 5.0, 10.0, 15.0, 20.0)
PARETO_BOUNDS = ((0.25, 4.0), (0.2, 4.0))  # pitch and facesheet, as factors of the design's, at first
# how far the search may widen a bound the optimum sits on: a facesheet below 0.05 mm is foil, not a
# panel skin; ten times the design's pitch leaves one pipe per several chips
MIN_FACESHEET_M = 0.05e-3
MAX_PITCH_FACTOR = 10.0


def _least_mass(s, env, p_hot, margin_k, start, bounds_f):
    """The least estimated mass at a junction margin over pipe pitch x facesheet thickness (factors
    of the design's inside ``bounds_f``), by Nelder-Mead in their logarithms from ``start``; widened
    (x2 a round, up to MIN_FACESHEET_M and MAX_PITCH_FACTOR) while the optimum sits on a bound.
    Returns (log factors, mass, the bounds it still sits on, the bounds used)."""
    def mass(x):
        v = replace(s, pipe_pitch_m=s.pipe_pitch_m * math.exp(x[0]), facesheet_m=s.facesheet_m * math.exp(x[1]),
                    junction_margin_k=margin_k)
        if v.pipes_per_chip * v.pipe_pitch_m < v.outer_diameter_m:
            return 1e12  # the pipes no longer fit under the plate
        est = estimate(v, s.materials, env, v.target_k, p_hot)
        return est.mass_kg["total"] if est is not None else 1e12

    limits = ((0.0, MAX_PITCH_FACTOR), (MIN_FACESHEET_M / s.facesheet_m, math.inf))
    bounds_f = [list(b) for b in bounds_f]
    for _ in range(4):
        bounds = [tuple(math.log(b) for b in pair) for pair in bounds_f]
        simplex = [start, start + np.array([0.3, 0.0]), start + np.array([0.0, 0.3])]
        best = minimize(mass, np.clip(start, *np.transpose(bounds)), method="Nelder-Mead", bounds=bounds,
                        options={"xatol": 0.01, "fatol": 0.1, "initial_simplex": np.clip(simplex, *np.transpose(bounds))})
        on = [(k, side) for k, ((lo, hi), x) in enumerate(zip(bounds, best.x)) for side, gap in ((0, x - lo), (1, hi - x))
              if gap < 0.02]
        movable = [(k, side) for k, side in on
                   if (side == 0 and bounds_f[k][0] / 2 >= limits[k][0]) or (side == 1 and bounds_f[k][1] * 2 <= limits[k][1])]
        if not movable:
            break
        for k, side in movable:
            bounds_f[k][side] *= 0.5 if side == 0 else 2.0
        start = best.x
    at_bound = [("pitch", "facesheet")[k] + (" (lower)" if side == 0 else " (upper)") for k, side in on]
    return best.x, float(best.fun), at_bound, bounds_f


def _field_check(s, env, p_hot, margin_k, pitch_f, sheet_f) -> dict:
    """The repeating unit of an estimate-based trade point solved in the field at the estimate's
    length: how far its junction lands from the point's target (what the estimate misses there)."""
    v = replace(s, pipe_pitch_m=s.pipe_pitch_m * pitch_f, facesheet_m=s.facesheet_m * sheet_f, junction_margin_k=margin_k)
    est = estimate(v, s.materials, env, v.target_k, p_hot)
    unit = solve_unit(v, env, est.length_m, p_hot)
    return {"margin_k": margin_k, "target_k": v.target_k, "tj_field_k": unit.tj_k, "length_m": est.length_m,
            "pitch_m": v.pipe_pitch_m, "facesheet_m": v.facesheet_m}


def _trade_pareto(plt, res, out):
    """Mass against junction margin: a coarse grid of pitch x facesheet around the design (background)
    and, per margin, the least-mass pitch and facesheet found by a bounded search (the front); an
    optimum on a search bound is said so, not passed off as interior."""
    s, env = res.spec, res.hot_env
    p_hot = s.chip_power_w * s.hot_power_factor
    pts = []
    for pitch_f in (0.5, 1.0, 2.0):
        for sheet_f in (0.5, 1.0, 2.0):
            for margin in PARETO_MARGINS_K:
                v = replace(s, pipe_pitch_m=s.pipe_pitch_m * pitch_f, facesheet_m=s.facesheet_m * sheet_f,
                            junction_margin_k=margin)
                if v.pipes_per_chip * v.pipe_pitch_m < v.outer_diameter_m:
                    continue
                est = estimate(v, s.materials, env, v.target_k, p_hot)
                if est is not None:
                    pts.append((margin, est.mass_kg["total"], pitch_f, sheet_f))
    pts = np.array(pts)
    front, x, bounds_f = [], np.zeros(2), PARETO_BOUNDS
    for margin in PARETO_MARGINS_K:
        x, kg, at_bound, bounds_f = _least_mass(s, env, p_hot, margin, x, bounds_f)
        front.append((margin, kg, math.exp(x[0]), math.exp(x[1]), at_bound))
    # the estimate's optimum checked by the field at two points: the design's margin and the largest
    design_k = min(PARETO_MARGINS_K, key=lambda m: abs(m - s.junction_margin_k))
    checks = [_field_check(s, env, p_hot, f[0], f[2], f[3]) for f in front if f[0] in (design_k, PARETO_MARGINS_K[-1])]
    fig, ax = plt.subplots(figsize=(7, 5.5))
    sc = ax.scatter(pts[:, 0], pts[:, 1], c=np.log2(pts[:, 2]), cmap="viridis", vmin=-1, vmax=1,
                    s=12 + 14 * pts[:, 3], alpha=0.8)
    cbar = fig.colorbar(sc, ax=ax, ticks=[-1, 0, 1])
    cbar.ax.set_yticklabels(["x0.5", "x1", "x2"])
    cbar.set_label(f"pipe pitch (design {s.pipe_pitch_m * 1e3:g} mm)")
    sizes = [ax.scatter([], [], s=12 + 14 * f, c="grey", label=f"facesheet x{f:g} ({s.facesheet_m * f * 1e3:.2g} mm)")
             for f in (0.5, 1.0, 2.0)]
    ax.plot([f[0] for f in front], [f[1] for f in front], "r*-", ms=11, lw=1.2,
            label="least mass per margin (pitch and facesheet searched)")
    ax.plot([s.junction_margin_k], [res.estimate.mass_kg["total"]], "ks", mfc="none", ms=10,
            label="this design (estimate)")
    for margin, kg, pf, sf, at_bound in front[::2]:
        ax.annotate(f"{s.pipe_pitch_m * pf * 1e3:.0f} mm, {s.facesheet_m * sf * 1e3:.2f} mm"
                    + (" (on bound)" if at_bound else ""), (margin, kg), textcoords="offset points",
                    xytext=(0, -16), ha="center", fontsize=7, color="tab:red",
                    bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.8})
    for c in checks:
        kg = next(f[1] for f in front if f[0] == c["margin_k"])
        last = c["margin_k"] == PARETO_MARGINS_K[-1]  # right-aligned there, or it runs off the axes
        ax.annotate(f"field at the estimate's length: Tj {c['tj_field_k'] - c['target_k']:+.1f} K", (c["margin_k"], kg),
                    textcoords="offset points", xytext=(0, 14), ha="right" if last else "center", fontsize=7, color="k",
                    bbox={"boxstyle": "round,pad=0.15", "fc": "lightyellow", "ec": "grey", "alpha": 0.9})
    ax.set_xlim(PARETO_MARGINS_K[0] - 2.5, PARETO_MARGINS_K[-1] + 2.5)
    ax.set_ylim(min(f[1] for f in front) * 0.88, None)
    ax.set_xlabel("junction margin [K]")
    ax.set_ylabel("system mass [kg] (first estimate)")
    ax.set_title("mass against junction margin; marker size: facesheet", fontsize=10)
    ax.legend(handles=sizes + ax.lines, fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2)
    bound_note = sorted({b for f in front for b in f[4]})
    line = (f"- Mass against junction margin (estimate): least mass per margin over pipe pitch "
            f"x{bounds_f[0][0]:g}-x{bounds_f[0][1]:g} and facesheet x{bounds_f[1][0]:g}-"
            f"x{bounds_f[1][1]:g} of the design's (the search widens a bound the optimum sits on): "
            + ", ".join(f"{m:g} K -> {kg:.0f} kg (pitch {s.pipe_pitch_m * pf * 1e3:.0f} mm, facesheet "
                        f"{s.facesheet_m * sf * 1e3:.2f} mm)" for m, kg, pf, sf, _ in front)
            + (f"; still on a bound in {', '.join(bound_note)} at the physical limits (facesheet >= "
               f"{MIN_FACESHEET_M * 1e3:g} mm, pitch <= x{MAX_PITCH_FACTOR:g}): the optimum lies there." if bound_note
               else "; every optimum is interior to the search range.")
            + " Field check of the estimate at two of these points (the repeating unit solved at the estimate's "
              "length): " + "; ".join(
                f"{c['margin_k']:g} K margin ({c['pitch_m'] * 1e3:.0f} mm, {c['facesheet_m'] * 1e3:.2f} mm, "
                f"{c['length_m']:.3f} m) puts the junction {c['tj_field_k'] - c['target_k']:+.2f} K from its target"
                for c in checks)
            + (f" (at the design itself the estimate's length was {res.at_estimate.tj_k - s.target_k:+.2f} K off"
               " before the field search corrected it)" if res.at_estimate is not None else "")
            + ": the estimated masses carry that bias."
              " Thin facesheets win in the estimate; check handling and launch loads before taking them.")
    return save_figure(plt, fig, out / "trade_pareto.png", 110), line


def _with_optics(env, alpha, eps):
    return replace(env, alpha=alpha, eps=eps)


__all__ = ["summary_text", "write_outputs", "design_environment"]
