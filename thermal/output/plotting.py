"""Figures (matplotlib, imported lazily so the solver never pays for it).  Every function returns
its matplotlib Figure (to show in a notebook or change) and writes it to ``path`` when one is given."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from thermal.output.labels import input_label, output_label


class _Figures:
    """The few pyplot calls this module makes, on figures that belong to no pyplot state: nothing
    to close, no backend chosen for the caller (a notebook's inline display still works on the
    returned figure, and a script or a worker never opens a window)."""

    def __init__(self):
        import matplotlib  # deliberately lazy: plotting is optional and matplotlib costs 0.3 s
        from matplotlib.figure import Figure
        from matplotlib.patches import Rectangle

        self._figure, self.Rectangle, self._colormaps = Figure, Rectangle, matplotlib.colormaps

    def subplots(self, *args, figsize=None, **kwargs):
        fig = self._figure(figsize=figsize)
        return fig, fig.subplots(*args, **kwargs)

    def figure(self, figsize=None):
        return self._figure(figsize=figsize)

    def get_cmap(self, name):
        return self._colormaps[name]


def pyplot() -> _Figures:
    return _Figures()


def save_figure(plt, fig, path, dpi) -> Path:
    """Lay out ``fig`` and write it to ``path``; the path."""
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi)
    return path


def _figure_out(plt, fig, path, dpi):
    """What the public figure functions return: ``fig``, written to ``path`` if one is given."""
    if path is None:
        fig.tight_layout()
    else:
        save_figure(plt, fig, path, dpi)
    return fig


def peak_step(result) -> int:
    """The output step of the hottest junction (of the hottest cell without chips): what a report
    quotes as the peak, and what a map of a transient or periodic result shows by default."""
    if result.chips:
        series = np.max([np.asarray(c["t_max"], float) for c in result.chips.values()], axis=0)
    else:
        with np.errstate(all="ignore"):
            series = np.max([np.nanmax(v.reshape(len(v), -1), axis=1) for v in result.fields.values()], axis=0)
    return int(np.nanargmax(series)) if len(series) else 0


def temperature_maps(result, path=None, step: int | None = None, layer: str | None = None):
    """One panel per subplot: the hottest temperature through the thickness of each column (or one
    layer's), in degC, with footprint outlines (chips) and a colour bar; at output ``step`` (default:
    the peak, ``peak_step``; the only step of a steady result)."""
    plt = pyplot()
    panels = list(result.fields)
    peak = step is None
    step = peak_step(result) if step is None else step
    aspects = [np.ptp(result.mesh[p]["x_edges"]) / max(np.ptp(result.mesh[p]["y_edges"]), 1e-12) for p in panels]
    # each panel's subplot shaped like the panel (a 3 m x 0.1 m radiator is not drawn as a thin strip
    # in a square box with a large gap around it)
    widths = [min(max(a, 0.25), 4.0) for a in aspects]
    fig, axes = plt.subplots(1, len(panels), figsize=(min(4.5 * sum(widths) + 1.5 * len(panels), 24.0), 5.0),
                             squeeze=False, gridspec_kw={"width_ratios": widths})
    time_s = float(result.times_s[step])
    for ax, panel in zip(axes[0], panels):
        m = result.mesh[panel]
        t = result.fields[panel][step]
        if layer is not None and layer in m["layer_names"]:
            sel = np.asarray(m["z_layer"]) == m["layer_names"].index(layer)
            t = t[sel]
            label = f"layer '{layer}', max through its cells"
        else:
            label = "max through the thickness"
        with np.errstate(all="ignore"):
            column = np.nanmax(np.where(np.isfinite(t), t, -np.inf), axis=0)
        column[~np.isfinite(column)] = np.nan
        x_mm, y_mm = np.asarray(m["x_edges"]) * 1e3, np.asarray(m["y_edges"]) * 1e3
        mesh = ax.pcolormesh(x_mm, y_mm, column - 273.15, cmap="inferno", shading="flat")
        cbar = fig.colorbar(mesh, ax=ax)
        cbar.set_label("temperature [°C]")
        for name, x0, x1, y0, y1 in m.get("footprints", []):
            ax.add_patch(__import__("matplotlib.patches", fromlist=["Rectangle"]).Rectangle(
                (x0 * 1e3, y0 * 1e3), (x1 - x0) * 1e3, (y1 - y0) * 1e3, fill=False, ec="cyan", lw=1.2))
            ax.annotate(name, xy=(x0 * 1e3, y1 * 1e3), fontsize=7, color="black", va="bottom", annotation_clip=True,
                        bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="cyan", alpha=0.8, lw=0.6))
        for pname, pipe in getattr(result, "heat_pipes", {}).items():
            for on_panel, pts in pipe["polylines"]:
                if on_panel != panel:
                    continue
                xy = np.asarray(pts) * 1e3
                style = dict(color="white", lw=1.0, ls=":" if pipe["failed"] else "-")
                if pipe["dried"]:
                    style.update(color="red", lw=1.6)
                ax.plot(xy[:, 0], xy[:, 1], **style)
                # dark text on a light box at the pipe's inner end: legible on any colour, kept inside
                ax.annotate(pname, xy=(xy[0, 0], xy[0, 1]), fontsize=6, color="black", ha="center",
                            va="center", annotation_clip=True,
                            bbox=dict(boxstyle="round,pad=0.15", fc="white", ec=style["color"], alpha=0.8, lw=0.6))
        for lname, loop in getattr(result, "loops", {}).items():
            for branch, polylines in loop["polylines"].items():
                for on_panel, pts in polylines:
                    if on_panel != panel:
                        continue
                    xy = np.asarray(pts) * 1e3
                    ax.plot(xy[:, 0], xy[:, 1], color="deepskyblue", lw=1.0, ls="--")
                    ax.annotate("", xy=xy[1], xytext=xy[0],
                                arrowprops=dict(arrowstyle="->", color="deepskyblue", lw=1.2))
                    ax.text(xy[0, 0], xy[0, 1], f" {lname}.{branch}", color="deepskyblue", fontsize=7)
        ax.set_aspect("equal")
        ax.set_xlabel("x [mm]")
        ax.set_ylabel("y [mm]")
        tmax = np.nanmax(column)
        ax.set_title(f"{panel}: {label}\nmax {tmax - 273.15:.1f} °C ({tmax:.1f} K)", fontsize=10)
    mode = result.mode
    when = "" if mode == "steady" else f", t = {time_s:g} s" + (" (peak junction)" if peak and result.chips
                                                                    else " (peak)" if peak else "")
    fig.suptitle(f"{result.case_name} ({mode}{when})")
    return _figure_out(plt, fig, path, 120)


def history(result, path=None, probes=()):
    """Temperature (max and mean per panel, lumped nodes, and probes) against time, with eclipses
    shaded, and for orbit cases the incident fluxes on each face below it.  A probe is
    (panel, x_m, y_m): the hottest cell through the thickness of the column containing that point."""
    plt = pyplot()
    has_orbit = bool(result.orbit) and len(result.orbit["faces"]) > 0
    fig, axes = plt.subplots(2 if has_orbit else 1, 1, figsize=(9, 7 if has_orbit else 4.5), sharex=True,
                             squeeze=False)
    t = np.asarray(result.times_s, float)
    period = float(result.attrs.get("orbit_period_s", 0.0) or 0.0)
    x, xlabel = (t / period, "time [orbits]") if period > 0 else (t / 60.0, "time [min]")
    ax = axes[0, 0]
    for panel, temps in result.fields.items():
        flat = temps.reshape(temps.shape[0], -1)
        with np.errstate(all="ignore"):
            ax.plot(x, np.nanmax(flat, axis=1) - 273.15, label=f"{panel} max")
            ax.plot(x, np.nanmean(flat, axis=1) - 273.15, "--", label=f"{panel} mean (cells)")
    for k, name in enumerate(result.node_names):
        ax.plot(x, result.node_t_k[:, k] - 273.15, ":", label=name)
    limits = set()
    for name, c in result.chips.items():
        line, = ax.plot(x, np.asarray(c["t_max"], float) - 273.15, lw=1.8, label=f"{name} junction")
        if c["limit_k"] is not None and c["limit_k"] not in limits:
            limits.add(c["limit_k"])
            ax.axhline(c["limit_k"] - 273.15, color=line.get_color(), ls="-.", lw=1.0,
                       label=f"junction limit {c['limit_k'] - 273.15:.0f} °C")
    for panel, px, py in probes:
        m = result.mesh[panel]
        i = int(np.clip(np.searchsorted(m["x_edges"], px) - 1, 0, len(m["x_edges"]) - 2))
        j = int(np.clip(np.searchsorted(m["y_edges"], py) - 1, 0, len(m["y_edges"]) - 2))
        with np.errstate(all="ignore"):
            column = np.nanmax(result.fields[panel][:, :, j, i], axis=1)
        ax.plot(x, column - 273.15, "-.", label=f"{panel} at ({px * 1e3:g}, {py * 1e3:g}) mm")
    ax.set_ylabel("temperature [°C]")
    ax.grid(alpha=0.3)
    dark = np.zeros(len(t), bool)
    if has_orbit:
        sun = np.asarray(result.orbit["sun_fraction"], float)
        dark = sun < 0.5
        for a in axes[:, 0]:
            _shade(a, x, dark)
        q_s = np.asarray(result.orbit["q_solar"], float)
        q_ir = np.asarray(result.orbit["q_ir"], float)
        drawn = []
        for j, face in enumerate(result.orbit["faces"]):
            # faces with the same flux history (the two sides of a panel edge-on) drawn once, named together
            same = [k for k, (qs, qi) in enumerate(drawn) if np.allclose(qs, q_s[:, j]) and np.allclose(qi, q_ir[:, j])]
            if same:
                continue
            twins = [f for k, f in enumerate(result.orbit["faces"]) if np.allclose(q_s[:, k], q_s[:, j])
                     and np.allclose(q_ir[:, k], q_ir[:, j])]
            drawn.append((q_s[:, j], q_ir[:, j]))
            name = " = ".join(twins)
            axes[1, 0].plot(x, q_s[:, j], label=f"{name} sun+albedo")
            axes[1, 0].plot(x, q_ir[:, j], "--", label=f"{name} Earth IR")
        axes[1, 0].set_ylabel("incident flux [W/m²]")
        axes[1, 0].legend(fontsize=7, ncol=2)
        axes[1, 0].grid(alpha=0.3)
    ax.legend(fontsize=8)
    axes[-1, 0].set_xlabel(xlabel)
    title = result.case_name + (" (eclipses shaded)" if dark.any() else " (no eclipse)" if has_orbit else "")
    fig.suptitle(title)
    return _figure_out(plt, fig, path, 110)


def _shade(ax, x, dark):
    """Grey spans where ``dark`` holds (eclipse)."""
    start = None
    for i, d in enumerate(dark):
        if d and start is None:
            start = x[i]
        if not d and start is not None:
            ax.axvspan(start, x[i], color="0.85", zorder=0)
            start = None
    if start is not None:
        ax.axvspan(start, x[-1], color="0.85", zorder=0)


def loop_figure(result, path=None, step: int = -1):
    """Per pumped loop: the fluid temperature along each branch (from its inlet manifold) at one
    output, with the freezing point; for a run with several outputs, the sensor and branch outlet
    temperatures and the valve position against time below it (eclipses shaded)."""
    plt = pyplot()
    loops = result.loops
    many = len(result.times_s) > 1
    fig, axes = plt.subplots(2 if many else 1, len(loops), figsize=(7.5 * len(loops), 8.5 if many else 4.5),
                             squeeze=False)
    t = np.asarray(result.times_s, float)
    period = float(result.attrs.get("orbit_period_s", 0.0) or 0.0)
    x_time, xlabel = (t / period, "time [orbits]") if period > 0 else (t / 60.0, "time [min]")
    for col, (name, rec) in enumerate(loops.items()):
        ax = axes[0, col]
        along = np.asarray(rec["t_fluid"])[step]
        owner = np.asarray(rec["branch_of_node"])
        x_m = np.asarray(rec["x_m"])
        for b, branch in enumerate(rec["branches"]):
            sel = owner == b
            x0 = np.concatenate([[0.0], x_m[sel]])
            t_in = float(np.asarray(rec["t_in"])[step][b])
            ax.plot(x0, np.concatenate([[t_in], along[sel]]) - 273.15, marker=".", ms=3, label=branch)
        margin = float(np.min(along)) - rec["t_freeze_k"]
        if margin < 20.0:  # near enough to matter: draw it (far below, it would flatten the curves)
            ax.axhline(rec["t_freeze_k"] - 273.15, color="tab:blue", ls=":", lw=1.0,
                       label=f"freezes ({rec['t_freeze_k'] - 273.15:.1f} °C)")
        if rec["valve"]:
            ax.axhline(rec["set_point_k"] - 273.15, color="k", ls="--", lw=0.8, label="valve set-point")
        if rec.get("two_phase") and "quality" in rec:  # the quality along each branch, dashed, on its own axis
            q_ax = ax.twinx()
            quality = np.asarray(rec["quality"])[step]
            for b, branch in enumerate(rec["branches"]):
                sel = owner == b
                q_ax.plot(x_m[sel], quality[sel], ls="--", lw=0.9, color=f"C{b % 10}")
            q_ax.set_ylabel("quality x (dashed; < 0 subcooled, > 1 superheated)")
        ax.set_xlabel("distance along the branch from its inlet [m]")
        ax.set_ylabel("fluid temperature [°C]")
        when = "steady state" if result.mode == "steady" else f"t = {t[step]:g} s"
        ax.set_title(f"loop {name} ({rec['fluid']}), {when}: freezing margin {margin:.1f} K", fontsize=10)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, ncol=2)
        if not many:
            continue
        ax = axes[1, col]
        outs = np.asarray(rec["t_out"])
        for b, branch in enumerate(rec["branches"]):
            ax.plot(x_time, outs[:, b] - 273.15, lw=1.0, label=f"{branch} outlet")
        manifolds = np.asarray(rec["manifolds"])
        for m, mname in enumerate(rec["manifold_names"]):
            ax.plot(x_time, manifolds[:, m] - 273.15, ls="--", lw=1.2, label=f"manifold {mname}")
        if rec["valve"]:
            ax.axhline(rec["set_point_k"] - 273.15, color="k", ls=":", lw=0.8, label="set-point")
            twin = ax.twinx()
            twin.plot(x_time, rec["valve_position"], color="k", lw=1.6, label="valve (to radiator)")
            twin.set_ylim(-0.05, 1.05)
            twin.set_ylabel("valve position: fraction to the radiator")
            twin.legend(fontsize=7, loc="lower right")
        if result.orbit:
            _shade(ax, x_time, np.asarray(result.orbit["sun_fraction"], float) < 0.5)
        ax.set_xlabel(xlabel)
        ax.set_ylabel("temperature [°C]")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, ncol=2, loc="upper left")
    fig.suptitle(f"{result.case_name}: pumped loops" + (" (eclipse shaded)" if result.orbit and many and
                                                         np.any(np.asarray(result.orbit['sun_fraction']) < 0.5)
                                                         else ""))
    return _figure_out(plt, fig, path, 110)


def pipe_utilisation(result, path=None):
    """One bar per heat pipe: Q / Q_max (the largest over the output times), coloured by the
    governing limit, a line at 1, failed and dried-out pipes marked."""
    plt = pyplot()
    names = list(result.heat_pipes)
    fig, ax = plt.subplots(figsize=(max(5.0, 0.7 * len(names) + 2.0), 4.0))
    colours = {"capillary": "tab:blue", "viscous": "tab:purple", "sonic": "tab:orange", "entrainment": "tab:green",
               "boiling": "tab:red"}
    for i, name in enumerate(names):
        p = result.heat_pipes[name]
        if p["failed"]:
            ax.text(i, 0.02, "failed", rotation=90, ha="center", va="bottom", fontsize=8)
            continue
        use = float(np.nanmax(p["utilisation"])) if np.isfinite(p["utilisation"]).any() else np.nan
        ax.bar(i, use, color=colours.get(p["governing"], "grey"), edgecolor="red" if p["dried"] else "black",
               lw=2.0 if p["dried"] else 0.5)
        q_max = p["limits"].get(p["governing"], np.nan)
        ax.text(i, use, f"{float(p['q'][-1]):.0f}/{q_max:.0f} W", ha="center", va="bottom", fontsize=7)
    ax.axhline(1.0, color="red", lw=1.0, ls="--")
    ax.set_xticks(range(len(names)), names, rotation=45 if len(names) > 8 else 0)
    ax.set_ylabel("utilisation Q / Q_max")
    handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in colours.values()]
    ax.legend(handles, [f"{k} limit" for k in colours], fontsize=7, loc="upper left")
    ax.set_title(f"{result.case_name}: heat-pipe utilisation (red edge: dried out)", fontsize=10)
    return _figure_out(plt, fig, path, 120)


def sweep_figures(rows, inputs, outputs, ranking, out_dir) -> list:
    """scatter.png: each output against each input (failed cases left out), absolute temperatures in
    degC; sensitivity.png: Spearman rho of each input per output, one panel per output on a grid.
    Axes carry readable names (output/labels.py), not key paths."""
    plt = pyplot()
    out_dir = Path(out_dir)
    ok = [r for r in rows if r.get("status") == "ok"]

    def num(v):
        try:
            return float(v)
        except (TypeError, ValueError):
            return np.nan

    paths = []
    fig, axes = plt.subplots(len(outputs), len(inputs), figsize=(3.2 * len(inputs), 2.6 * len(outputs)),
                             squeeze=False)
    for a, o in enumerate(outputs):
        o_label, offset = output_label(o)
        for b, i in enumerate(inputs):
            ax = axes[a][b]
            xs = [r.get(i) for r in ok]
            ys = np.array([num(r.get(o)) for r in ok]) - offset
            xn = np.array([num(x) for x in xs])
            if np.isfinite(xn).all():
                ax.plot(xn, ys, ".", ms=5)
            else:  # categorical input (a coating name): one column per value
                cats = sorted({str(x) for x in xs})
                ax.plot([cats.index(str(x)) for x in xs], ys, ".", ms=5)
                ax.set_xticks(range(len(cats)), cats, rotation=30, fontsize=7)
            if a == len(outputs) - 1:
                ax.set_xlabel(input_label(i), fontsize=8)
            if b == 0:
                ax.set_ylabel(o_label, fontsize=8)
            ax.tick_params(labelsize=7)
            ax.grid(True, alpha=0.3)
    fig.suptitle(f"{len(ok)} finished cases")
    save_figure(plt, fig, out_dir / "scatter.png", 110)
    paths.append(out_dir / "scatter.png")

    cols = min(3, len(outputs))
    rows_n = -(-len(outputs) // cols)
    names = [input_label(i) for i in inputs]
    label_in = max(1.5, 0.075 * max(len(n) for n in names))  # room for the longest input name
    fig, axes = plt.subplots(rows_n, cols, figsize=(cols * (2.6 + label_in), rows_n * (0.45 * len(inputs) + 1.3)),
                             squeeze=False)
    for k, ax in enumerate(axes.flat):
        if k >= len(outputs):
            ax.set_visible(False)
            continue
        o = outputs[k]
        rank = dict(ranking.get(o, []))
        vals = [rank.get(i, np.nan) for i in inputs]
        ax.barh(range(len(inputs)), vals, color=["tab:red" if v > 0 else "tab:blue" for v in vals])
        ax.set_yticks(range(len(inputs)), names if k % cols == 0 else [""] * len(inputs), fontsize=8)
        ax.invert_yaxis()
        ax.set_xlim(-1, 1)
        ax.axvline(0, color="k", lw=0.6)
        for y, v in enumerate(vals):
            if np.isfinite(v):  # outside a short bar, inside (white) a long one: never past the axis
                inside = abs(v) > 0.7
                ax.text(v - np.sign(v) * 0.04 if inside else v + (0.04 if v >= 0 else -0.04), y, f"{v:+.2f}",
                        va="center", ha=("right" if v >= 0 else "left") if inside else ("left" if v >= 0 else "right"),
                        fontsize=7, color="white" if inside else "black")
        ax.set_title(output_label(o)[0], fontsize=9)
        ax.tick_params(axis="x", labelsize=7)
    for ax in axes[-1]:
        ax.set_xlabel("Spearman rho (+: rises with the input)", fontsize=7)
    fig.suptitle("rank correlation of each output with each input (0 where the output is constant)", fontsize=9)
    save_figure(plt, fig, out_dir / "sensitivity.png", 110)
    paths.append(out_dir / "sensitivity.png")
    return paths


def geometry(patches, path=None, blockers=(), sun=None, nadir=None, title=""):
    """The assembly in 3-D, body axes: every radiating patch coloured by its surface, its normal as an
    arrow, ray-stopping blockers in grey, and the directions to the Sun and to the Earth (nadir)
    from the assembly's centre.  ``patches``: (polygon, surface name, unit normal) triples."""
    plt = pyplot()
    from mpl_toolkits.mplot3d.art3d import Poly3DCollection  # deliberately lazy, with pyplot

    fig = plt.figure(figsize=(8, 7))
    ax = fig.add_subplot(projection="3d")
    surfaces = sorted({s for _, s, _ in patches}, key=[s for _, s, _ in patches].index)
    cmap = plt.get_cmap("tab10")
    points = [np.asarray(p) for p, _, _ in patches] + [np.asarray(b) for b in blockers]
    allp = np.vstack(points) if points else np.zeros((1, 3))
    centre = 0.5 * (allp.min(axis=0) + allp.max(axis=0))
    size = float(np.ptp(allp, axis=0).max()) or 1.0
    if blockers:
        ax.add_collection3d(Poly3DCollection([np.asarray(b) for b in blockers], facecolor="0.75", edgecolor="0.4",
                                             linewidth=0.3, alpha=0.35))
    for k, name in enumerate(surfaces):
        # the two faces of a plate lie in one plane: lift each off it along its normal to see both
        mine = [(np.asarray(p) + 0.01 * size * np.asarray(n), n) for p, s, n in patches if s == name]
        ax.add_collection3d(Poly3DCollection([p for p, _ in mine], facecolor=cmap(k % 10), edgecolor="k",
                                             linewidth=0.3, alpha=0.55))
        c = np.array([p.mean(axis=0) for p, _ in mine])
        n = np.array([nn for _, nn in mine])
        ax.quiver(c[:, 0], c[:, 1], c[:, 2], n[:, 0], n[:, 1], n[:, 2], length=0.12 * size, color=cmap(k % 10),
                  linewidth=0.8)
        ax.plot([], [], color=cmap(k % 10), linewidth=6, label=name)
    for vec, colour, label in ((sun, "gold", "Sun"), (nadir, "tab:blue", "Earth (nadir)")):
        if vec is not None:
            v = np.asarray(vec, float) * 0.6 * size
            ax.quiver(*centre, *v, color=colour, linewidth=2.5, arrow_length_ratio=0.12)
            ax.text(*(centre + 1.08 * v), label, color=colour)
    half = 0.6 * size
    ax.set_xlim(centre[0] - half, centre[0] + half)
    ax.set_ylim(centre[1] - half, centre[1] + half)
    ax.set_zlim(centre[2] - half, centre[2] + half)
    if nadir is not None and nadir[2] > 0.5:  # nadir-pointing: draw the Earth below
        ax.invert_zaxis()
    ax.set_xlabel("body x [m]")
    ax.set_ylabel("body y [m]")
    ax.set_zlabel("body z [m]")
    ax.legend(loc="upper left", fontsize=8)
    ax.set_title(title, fontsize=10)
    return _figure_out(plt, fig, path, 130)
