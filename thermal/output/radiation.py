"""What the radiation exchange did: heat per surface from the Sun and the Earth, to space and to
each other surface, the arrays' electrical power; the ``/radiation`` group of the HDF5 file.

A surface here is what a case names (a panel's face, an array's front or back), the sum of its
patches.  Per patch p with excess emissive power e_p (kernels/exchange.py) and exchange areas S::

    to space        (A_p eps_p - sum_q S_pq) e_p
    net to patch q  S_pq (e_p - e_q)
    from the Sun    alpha_p A_p H'_solar,p      (sunlight and albedo, reflections by others included)
    from the Earth  eps_p A_p H'_ir,p

so emitted - absorbed of every patch = to space + sum_q net to q (S is symmetric).
"""
from __future__ import annotations

import h5py
import numpy as np

from thermal.build.environment import electrical_w
from thermal.build.radiation import with_optics
from thermal.constants import SIGMA_W_M2K4
from thermal.errors import ThermalError
from thermal.solvers.louvers import louvered_patch_optics

SERIES = ("from_sun_w", "from_earth_w", "to_space_w")


def owners_of(model) -> list:
    return sorted(set(model.owners), key=model.owners.index)


def patch_emissive(net, t_k: np.ndarray) -> np.ndarray:
    """Excess emissive power e_p = area-mean of sigma (T^4 - T_sink^4) over each patch's cells [W/m2]."""
    r = net.radiation.count
    area = np.bincount(net.surf_face, net.surf_area_m2, minlength=r)
    t4 = t_k[net.surf_node] ** 4 - net.t_sink_k**4
    return np.bincount(net.surf_face, net.surf_area_m2 * SIGMA_W_M2K4 * t4, minlength=r) / area


def optics_at(net, t_k: np.ndarray):
    """The radiation model a run whose patch optics follow their louvers used at ``t_k`` (the
    network's own where no patch has a louver)."""
    if not net.louver_surf.size:
        return net.radiation
    return with_optics(net.radiation, *louvered_patch_optics(net, t_k))


def exchange_step(net, t_k, q_solar_w_m2, q_ir_w_m2, model=None) -> dict:
    """Heat flows of each surface at one output [W], with the patch optics and exchange of ``model``
    (the network's if None); louvered patches' optics are in the series as ``patch_eps``/``patch_alpha``."""
    model = net.radiation if model is None else model
    owners = owners_of(model)
    which = np.array([owners.index(o) for o in model.owners])
    n_o = len(owners)
    e = patch_emissive(net, t_k)
    s = model.exchange_m2
    space = (model.area_m2 * model.eps - s.sum(axis=1)) * e
    pair = s * (e[:, None] - e[None, :])
    group = np.zeros((n_o, model.count))
    group[which, np.arange(model.count)] = 1.0
    return {"from_sun_w": group @ (model.alpha * model.area_m2 * np.asarray(q_solar_w_m2)),
            "from_earth_w": group @ (model.eps * model.area_m2 * np.asarray(q_ir_w_m2)),
            "to_space_w": group @ space,
            "net_to_w": group @ pair @ group.T,
            "electrical_w": electrical_w(net.solar_arrays, np.asarray(q_solar_w_m2)),
            "patch_eps": np.array(model.eps, float), "patch_alpha": np.array(model.alpha, float)}


def exchange_series(net, t_k_steps, solar_steps, ir_steps, follows: bool = False) -> dict:
    """exchange_step at every output, stacked (nt, ...); ``follows``: with the optics at each step's
    temperatures (a transient or periodic run with louvered patches)."""
    return stack_steps([exchange_step(net, t, qs, qi, optics_at(net, t) if follows else None)
                        for t, qs, qi in zip(t_k_steps, solar_steps, ir_steps)])


def stack_steps(rows: list) -> dict:
    """``exchange_step`` rows, one per output, as arrays (nt, ...)."""
    return {key: np.array([r[key] for r in rows]) for key in rows[0]}


def visibility_table(env, samples: int = 72) -> dict | None:
    """Sunlit share and unblocked Earth view of every patch at ``samples`` times over one orbit."""
    if env.radiation is None or env.geometry is None:
        return None
    times = (np.arange(samples) + 0.5) * env.period_s / samples
    sunlit, earth = [], []
    for t in times:
        env.at(float(t))
        sunlit.append(env.last_visibility[0].copy())
        earth.append(env.last_visibility[1].copy())
    return {"orbit_time_s": times, "sunlit_fraction": np.array(sunlit), "earth_visible_fraction": np.array(earth)}


def radiation_geometry(net, model=None) -> dict:
    """The static part of ``/radiation``: patches, blockers, view factors and exchange areas (with
    the optics of ``model``, the network's if None)."""
    model = net.radiation if model is None else model
    k = max(len(p) for p in model.polygons)
    polys = np.full((model.count, k, 3), np.nan)
    for i, p in enumerate(model.polygons):
        polys[i, :len(p)] = p
    verts, count = model.blockers[0], model.blockers[1]
    blockers = np.full(verts.shape, np.nan)
    for i, c in enumerate(count):
        blockers[i, :c] = verts[i, :c]
    return {"patch_names": list(model.names), "patch_surface": list(model.owners), "surfaces": owners_of(model),
            "polygons_m": polys, "area_m2": model.area_m2, "normal": model.normal, "eps": model.eps,
            "alpha": model.alpha, "view_factor": model.view_factor,
            "view_factor_unblocked": model.view_factor_unblocked, "exchange_area_m2": model.exchange_m2,
            "view_to_space": 1.0 - model.closure, "reciprocity_error": model.reciprocity_error,
            "blocking_rays": model.rays, "arrays": [a.name for a in net.solar_arrays],
            "blocker_names": list(model.blocker_names), "blocker_polygons_m": blockers}


def radiation_record(net, env, series: dict, model=None) -> dict:
    """Everything ``/radiation`` holds: the geometry and exchange of the patches (optics and exchange
    areas of ``model``: a run whose louvers move them gives its last output's), the ``series`` per
    surface (``exchange_series``), the orbit visibility table."""
    record = radiation_geometry(net, model)
    record["series"] = series
    table = visibility_table(env)
    if table is not None:
        record["visibility"] = table
    return record


UNITS = {"polygons_m": "m", "blocker_polygons_m": "m", "area_m2": "m^2", "normal": "1", "eps": "1", "alpha": "1", "view_factor": "1",
         "view_factor_unblocked": "1", "exchange_area_m2": "m^2", "view_to_space": "1", "from_sun_w": "W",
         "from_earth_w": "W", "to_space_w": "W", "net_to_w": "W", "electrical_w": "W", "orbit_time_s": "s",
         "sunlit_fraction": "1", "earth_visible_fraction": "1", "patch_eps": "1", "patch_alpha": "1"}


def write_radiation(f, record: dict) -> None:
    g = f.create_group("radiation")
    for key in ("patch_names", "patch_surface", "surfaces", "arrays", "blocker_names"):
        g.create_dataset(key, data=np.array(record[key], dtype=object), dtype=h5py.string_dtype())
    for key in ("polygons_m", "blocker_polygons_m", "area_m2", "normal", "eps", "alpha", "view_factor",
                "view_factor_unblocked", "exchange_area_m2", "view_to_space"):
        d = g.create_dataset(key, data=np.asarray(record[key], float))
        d.attrs["units"] = UNITS[key]
    g.attrs["reciprocity_error"] = record["reciprocity_error"]
    g.attrs["blocking_rays"] = record["blocking_rays"]
    s = g.create_group("series")
    s.attrs["about"] = "per output step; surfaces as in /radiation/surfaces, arrays as in /radiation/arrays"
    for key, value in record["series"].items():
        d = s.create_dataset(key, data=np.asarray(value, float))
        d.attrs["units"] = UNITS[key]
    if "visibility" in record:
        v = g.create_group("visibility")
        v.attrs["about"] = "per patch over one orbit: share of sample points in sunlight, of rays to the Earth unblocked"
        for key, value in record["visibility"].items():
            d = v.create_dataset(key, data=np.asarray(value, float))
            d.attrs["units"] = UNITS[key]


def read_radiation(f) -> dict | None:
    if "radiation" not in f:
        return None
    try:
        return _read(f["radiation"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ThermalError(f"{f.filename}: the /radiation group is incomplete or malformed ({exc})") from None


def _read(g) -> dict:
    out = {key: [x.decode() if isinstance(x, bytes) else str(x) for x in g[key][()]]
           for key in ("patch_names", "patch_surface", "surfaces", "arrays", "blocker_names")}
    for key in ("polygons_m", "blocker_polygons_m", "area_m2", "normal", "eps", "alpha", "view_factor",
                "view_factor_unblocked", "exchange_area_m2", "view_to_space"):
        out[key] = g[key][()]
    out["reciprocity_error"] = float(g.attrs["reciprocity_error"])
    out["blocking_rays"] = int(g.attrs["blocking_rays"])
    out["series"] = {key: g["series"][key][()] for key in g["series"]}
    if "visibility" in g:
        out["visibility"] = {key: g["visibility"][key][()] for key in g["visibility"]}
    return out


def drawable(record: dict) -> tuple:
    """(patches as (polygon, surface, normal), blocker polygons) of a record, NaN padding removed."""
    trim = lambda poly: poly[np.all(np.isfinite(poly), axis=1)]  # noqa: E731
    patches = [(trim(p), s, n) for p, s, n in zip(record["polygons_m"], record["patch_surface"], record["normal"])]
    return patches, [trim(b) for b in record["blocker_polygons_m"]]


def summary_lines(record: dict, step: int = -1) -> list[str]:
    """A table of each surface's heat flows at one output step."""
    series = record["series"]
    names = record["surfaces"]
    width = max(12, *(len(n) for n in names))
    head = f"{'surface':<{width}} {'Sun [W]':>10} {'Earth [W]':>10} {'to space [W]':>13}  net to others [W]"
    lines = [head]
    net = series["net_to_w"][step]
    # flows at round-off of the largest (e.g. a plate's two faces, coupled only through reflections
    # of equal emissive powers) are not shown
    floor = 1e-9 * max(float(np.max(np.abs(series["to_space_w"][step]), initial=0.0)), float(np.max(np.abs(net), initial=0.0)))
    for i, name in enumerate(names):
        others = ", ".join(f"{names[j]} {net[i, j]:+.4g}" for j in range(len(names))
                           if j != i and abs(net[i, j]) > floor)
        lines.append(f"{name:<{width}} {series['from_sun_w'][step][i]:>10.4g} {series['from_earth_w'][step][i]:>10.4g} "
                     f"{series['to_space_w'][step][i]:>13.4g}  {others or '-'}")
    for name, p in zip(record["arrays"], series["electrical_w"][step] if len(record["arrays"]) else []):
        lines.append(f"solar array {name}: {p:.4g} W electrical (leaves the array; counted in 'generated')")
    return lines

