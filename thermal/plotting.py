"""Figures (matplotlib, imported lazily so the solver never pays for it)."""
from __future__ import annotations

from pathlib import Path

import numpy as np


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def temperature_maps(result, path, step: int = -1, layer: str | None = None) -> Path:
    """One panel per subplot: the hottest temperature through the thickness of each column (or one
    layer's), in degC, with footprint outlines (chips) and a colour bar."""
    plt = _pyplot()
    panels = list(result.fields)
    fig, axes = plt.subplots(1, len(panels), figsize=(6.0 * len(panels), 5.0), squeeze=False)
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
            ax.text(x0 * 1e3, y1 * 1e3, f" {name}", color="cyan", fontsize=8, va="bottom")
        ax.set_aspect("equal")
        ax.set_xlabel("x [mm]")
        ax.set_ylabel("y [mm]")
        tmax = np.nanmax(column)
        ax.set_title(f"{panel}: {label}\nmax {tmax - 273.15:.1f} °C ({tmax:.1f} K)", fontsize=10)
    mode = result.mode
    fig.suptitle(f"{result.case_name} ({mode}{'' if mode == 'steady' else f', t = {time_s:g} s'})")
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
