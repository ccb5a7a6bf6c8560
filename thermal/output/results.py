"""Results: the only module that touches h5py.  Streaming writer, XDMF sidecar, reader.

File layout (the outside contract; every dataset has a ``units`` attribute)::

    /time                      (nt,)             s
    /fields/<panel>/T          (nt, nz, ny, nx)  K, NaN in void cells, one chunk per step
    /mesh/<panel>/x_edges, y_edges, z_edges      m
    /mesh/<panel>/material     (nz, ny, nx)      index into attribute 'names', -1 = void
    /nodes/T                   (nt, n_lumped)    K, names in /nodes/names
    /energy/{generated,absorbed,radiated,stored,conducted_out,balance_error}   (nt,) W
    root attributes: thermal_version, case_name, mode, case_text, case_file, created, t_sink_k

Crash safety: the file is flushed after every step, so a killed run leaves every written step
readable (measured in shared/STACK.md); ``libver='latest'`` is avoided on purpose.
"""
from __future__ import annotations

import datetime as _dt
import errno
import os
from dataclasses import dataclass, field
from pathlib import Path

import h5py
import numpy as np

from thermal.constants import VERSION as __version__
from thermal.errors import OutputError, ThermalError
from thermal.output.heaters import read_heaters, write_heaters
from thermal.output.loops import read_loops, write_loops
from thermal.output.radiation import read_radiation, write_radiation
from thermal.output.xdmf import write_step_views, write_xdmf
from thermal.physics.pcm import melt_fraction
from thermal.solvers.system import TERMS

ENERGY_NAMES = TERMS + ("balance_error",)


@dataclass
class Result:
    """Temperatures and energy terms of a run, in memory (from a solve or read from a file)."""

    case_name: str
    mode: str
    case_text: str
    times_s: np.ndarray
    fields: dict  # panel -> (nt, nz, ny, nx) K, NaN in void
    mesh: dict  # panel -> {"x_edges", "y_edges", "z_edges", "material", "material_names", "layer_names", "z_layer"}
    node_names: list
    node_t_k: np.ndarray  # (nt, n_lumped)
    energy: dict  # term -> (nt,) W
    attrs: dict = field(default_factory=dict)
    orbit: dict | None = None  # {"faces", "sun_fraction" (nt,), "q_solar" (nt, nf), "q_ir" (nt, nf)}
    periodic: object = field(default=None, repr=False)  # PeriodicResult of an orbit-periodic solve
    chips: dict = field(default_factory=dict)  # "panel.footprint" -> {"t_max", "t_mean" (nt,) K, "limit_k"}
    heat_pipes: dict = field(default_factory=dict)  # name -> solvers.heat_pipes.pipe_series entry
    radiation: dict | None = None  # output.radiation.radiation_record: /radiation
    loops: dict = field(default_factory=dict)  # name -> solvers.loops.LoopSeries entry: /loops
    heaters: dict = field(default_factory=dict)  # name -> output.heaters record: /heaters
    solution: object = field(default=None, repr=False)  # the solver's Solution, when solved in this process
    network: object = field(default=None, repr=False)  # the Network it was solved on

    def write(self, path, xdmf: bool = True) -> Path:
        writer = ResultWriter(path, self.case_name, self.mode, self.case_text, self.mesh, self.node_names,
                              self.attrs, faces=self.orbit["faces"] if self.orbit else None,
                              chips={k: v["limit_k"] for k, v in self.chips.items()})
        try:
            for n, time_s in enumerate(self.times_s):
                orbit_row = None
                if self.orbit:
                    orbit_row = (self.orbit["sun_fraction"][n], self.orbit["q_solar"][n], self.orbit["q_ir"][n])
                chip_row = {k: (v["t_max"][n], v["t_mean"][n]) for k, v in self.chips.items()}
                writer.append_fields(time_s, {p: f[n] for p, f in self.fields.items()}, self.node_t_k[n],
                                     np.array([self.energy[t][n] for t in TERMS]), orbit_row, chip_row)
        except BaseException:
            writer.close({"failed": "interrupted while writing"}, xdmf=False)
            raise
        writer.close(self.attrs, xdmf=xdmf, heat_pipes=self.heat_pipes, radiation=self.radiation, loops=self.loops,
                     heaters=self.heaters)
        return Path(path)

    def __repr__(self) -> str:
        span = (f"{len(self.times_s)} output(s), t = {self.times_s[0]:g} to {self.times_s[-1]:g} s"
                if len(self.times_s) else "no output")
        chips = f", Tj max {self.tj_max() - 273.15:.2f} degC" if self.chips else ""
        return (f"<Result {self.case_name!r} ({self.mode}): {span}, {len(self.fields)} panel(s), "
                f"{len(self.node_names)} lumped node(s), {len(self.heat_pipes)} heat pipe(s){chips}>")

    def tj_max(self, chip: str | None = None) -> float:
        """The hottest junction [K] over every output: of ``chip`` ("panel.footprint") or of all chips."""
        if chip is not None:
            if chip not in self.chips:
                raise KeyError(f"no chip {chip!r}; chips: {', '.join(self.chips) or 'none'}")
            return float(np.max(self.chips[chip]["t_max"]))
        if not self.chips:
            raise ValueError(f"{self.case_name}: no powered footprint, so no junction temperature")
        return max(float(np.max(c["t_max"])) for c in self.chips.values())

    def margins_k(self) -> dict:
        """Junction limit minus the hottest junction [K] of every chip that has a limit."""
        return {name: c["limit_k"] - float(np.max(c["t_max"])) for name, c in self.chips.items()
                if c["limit_k"] is not None}

    def t_max(self, panel: str | None = None, layer: str | None = None, step: int | None = None) -> float:
        """The hottest cell [K] of ``panel`` (every panel if None), of one ``layer`` if given, at one
        output ``step`` or over all of them."""
        out = -np.inf
        for name, values in self.fields.items():
            if panel is not None and name != panel:
                continue
            v = values if step is None else values[step]
            if layer is not None:
                m = self.mesh[name]
                if layer not in m["layer_names"]:
                    continue
                v = v[..., np.asarray(m["z_layer"]) == m["layer_names"].index(layer), :, :]
            if np.isfinite(v).any():
                out = max(out, float(np.nanmax(v)))
        if not np.isfinite(out):
            raise KeyError(f"no cells for panel={panel!r}, layer={layer!r}; panels: {', '.join(self.fields)}")
        return out

    def to_table(self) -> dict:
        """Columns of one row per output time: ``time_s``, each panel's hottest cell, each chip's
        hottest and mean junction, each lumped node, each pipe's vapour and heat, the energy terms;
        temperatures in K with a ``_k`` suffix (and the same in degC with ``_c``)."""
        cols = {"time_s": np.asarray(self.times_s, float)}
        temps = {f"{p}.t_max": np.nanmax(v.reshape(len(v), -1), axis=1) for p, v in self.fields.items()}
        for name, c in self.chips.items():
            temps[f"{name}.tj_max"], temps[f"{name}.tj_mean"] = c["t_max"], c["t_mean"]
        for i, name in enumerate(self.node_names):
            temps[f"{name}.t"] = self.node_t_k[:, i]
        for name, p in self.heat_pipes.items():
            if len(p["t_vapour"]) == len(self.times_s):
                temps[f"{name}.t_vapour"] = p["t_vapour"]
                cols[f"{name}.q_w"] = np.asarray(p["q"], float)
        for key, v in temps.items():
            cols[f"{key}_k"] = np.asarray(v, float)
            cols[f"{key}_c"] = np.asarray(v, float) - 273.15
        for term, v in self.energy.items():
            cols[f"energy.{term}_w"] = np.asarray(v, float)
        return cols

    def to_dataframe(self):
        """``to_table()`` as a pandas DataFrame indexed by time (pandas is optional: ``pip install pandas``)."""
        try:
            import pandas  # deliberately lazy and optional: only this method needs it
        except ImportError:
            raise ImportError("Result.to_dataframe needs pandas (pip install pandas); Result.to_table() gives the "
                              "same columns as a dict of numpy arrays") from None
        return pandas.DataFrame(self.to_table()).set_index("time_s")

    def summary_rows(self, step: int = -1) -> list[tuple]:
        """(panel, layer, T max K, T mean K) rows; the mean is volume-weighted."""
        rows = []
        for panel, temps in self.fields.items():
            m = self.mesh[panel]
            vol = (np.diff(m["z_edges"])[:, None, None] * np.diff(m["y_edges"])[None, :, None]
                   * np.diff(m["x_edges"])[None, None, :])
            t = temps[step]
            for li, lname in enumerate(m["layer_names"]):
                sel = (np.asarray(m["z_layer"]) == li)[:, None, None] & np.isfinite(t)
                if sel.any():
                    rows.append((panel, lname, float(np.max(t[sel])),
                                 float(np.sum(t[sel] * np.broadcast_to(vol, t.shape)[sel])
                                       / np.sum(np.broadcast_to(vol, t.shape)[sel]))))
        for name, tk in zip(self.node_names, self.node_t_k[step] if len(self.node_names) else []):
            rows.append((name, "(node)", float(tk), float(tk)))
        return rows


def result_from_solution(case, net, solution, attrs=None) -> Result:
    fields = {}
    mesh = {}
    for panel in case.panels:
        idx = net.node_index[panel.name]
        fields[panel.name] = np.stack([field_of(idx, t) for t in solution.t_k])
        mesh[panel.name] = mesh_dict(net, panel)
    energy = {term: np.array([b.as_array()[i] for b in solution.energy]) for i, term in enumerate(TERMS)}
    energy["balance_error"] = np.array([b.error_w for b in solution.energy])
    chips = {}
    for t_k in solution.t_k:
        for name, (tmax, tmean, limit) in chip_temperatures(net, t_k).items():
            c = chips.setdefault(name, {"t_max": [], "t_mean": [], "limit_k": limit})
            c["t_max"].append(tmax)
            c["t_mean"].append(tmean)
    result = Result(case.name, case.mode, case.source_text, np.asarray(solution.times_s, float), fields, mesh,
                    list(net.lumped_names), solution.t_k[:, net.lumped_nodes] if len(net.lumped_names)
                    else np.zeros((len(solution.times_s), 0)), energy, dict(attrs or {}))
    result.chips = {k: {"t_max": np.asarray(v["t_max"]), "t_mean": np.asarray(v["t_mean"]), "limit_k": v["limit_k"]}
                    for k, v in chips.items()}
    return result


def chip_temperatures(net, t_k: np.ndarray) -> dict:
    """Junction temperatures of every powered footprint: max and mass-weighted mean over the cells
    of its power layer under the footprint (the die of a chip stack)."""
    out = {}
    for panel, fp, nodes, limit in net.chips:
        w = net.rho_v_kg[nodes]
        out[f"{panel}.{fp}"] = (float(np.max(t_k[nodes])), float(np.sum(w * t_k[nodes]) / np.sum(w)), limit)
    return out


def field_of(node_index: np.ndarray, t_k: np.ndarray) -> np.ndarray:
    out = np.full(node_index.shape, np.nan)
    present = node_index >= 0
    out[present] = t_k[node_index[present]]
    return out


def mesh_dict(net, panel) -> dict:
    m = net.meshes[panel.name]
    return {"x_edges": m.x_edges_m, "y_edges": m.y_edges_m, "z_edges": m.z_edges_m,
            "material": net.material_id[panel.name], "material_names": list(net.material_names),
            "layer_names": [l.name for l in panel.layers], "z_layer": m.z_layer,
            "footprints": [(f.name, f.x0_m, f.x1_m, f.y0_m, f.y1_m) for f in panel.footprints],
            "melting": {net.material_names.index(name): rng for name, rng in getattr(net, "melting", {}).items()}}


def melt_fraction_field(t_field: np.ndarray, material: np.ndarray, melting: dict) -> np.ndarray:
    """Melt fraction of each cell of phase-change material (physics/pcm.py), NaN elsewhere; ``t_field``
    (nz, ny, nx) or (nt, nz, ny, nx)."""
    t_field = np.asarray(t_field)
    out = np.full(t_field.shape, np.nan)
    for index, (solidus, liquidus) in melting.items():
        cells = np.broadcast_to(material == int(index), t_field.shape)  # one step or a stack of them
        out[cells] = melt_fraction(t_field[cells], solidus, liquidus)
    return out


class ResultWriter:
    """Appends one output time at a time and flushes, so a crash leaves every written step readable."""

    def __init__(self, path, case_name, mode, case_text, mesh: dict, node_names, attrs=None, faces=None,
                 chips=None):
        # written as PATH.part and renamed when complete: an existing PATH is never opened for writing
        self.final = Path(path)
        self.path = part_path(self.final)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.f = _open_for_writing(self.path, self.final)
        f = self.f
        f.attrs.update({"thermal_version": __version__, "case_name": case_name, "mode": mode,
                        "case_text": case_text, "created": _dt.datetime.now(_dt.timezone.utc).isoformat()})
        for key, value in (attrs or {}).items():
            f.attrs[key] = value
        self.mesh = mesh
        # /time is written last in each step and read as the count of steps (NaN fill: a row whose
        # value never reached the disk is not a step)
        self.t = f.create_dataset("time", (0,), maxshape=(None,), dtype="f8", chunks=(1024,), fillvalue=np.nan)
        self.t.attrs["units"] = "s"
        self.fields = {}
        self.melt = {}
        for panel, m in mesh.items():
            g = f.create_group(f"mesh/{panel}")
            for axis in ("x_edges", "y_edges", "z_edges"):
                d = g.create_dataset(axis, data=np.asarray(m[axis], float))
                d.attrs["units"] = "m"
            d = g.create_dataset("material", data=np.asarray(m["material"], np.int16))
            d.attrs["units"] = "1"
            d.attrs["names"] = np.array(m["material_names"], dtype=object)
            d.attrs["layer_names"] = np.array(m["layer_names"], dtype=object)
            d.attrs["z_layer"] = np.asarray(m["z_layer"], np.int64)
            if m.get("melting"):  # phase-change materials: index -> (solidus, liquidus) K
                d.attrs["melting_index"] = np.array(list(m["melting"]), np.int64)
                d.attrs["melting_k"] = np.array(list(m["melting"].values()), float).reshape(-1, 2)
            if m.get("footprints"):
                fp = g.create_dataset("footprints", data=np.array([r[1:] for r in m["footprints"]], float))
                fp.attrs["units"] = "m"
                fp.attrs["columns"] = np.array(["x0", "x1", "y0", "y1"], dtype=object)
                fp.attrs["names"] = np.array([r[0] for r in m["footprints"]], dtype=object)
            shape = np.asarray(m["material"]).shape
            ds = f.create_dataset(f"fields/{panel}/T", (0, *shape), maxshape=(None, *shape), dtype="f8",
                                  chunks=(1, *shape), fillvalue=np.nan)
            ds.attrs["units"] = "K"
            self.fields[panel] = ds
            if m.get("melting"):
                mf = f.create_dataset(f"fields/{panel}/melt_fraction", (0, *shape), maxshape=(None, *shape),
                                      dtype="f8", chunks=(1, *shape), fillvalue=np.nan)
                mf.attrs["units"] = "1"
                mf.attrs["description"] = "share of the latent heat taken up; NaN outside phase-change material"
                self.melt[panel] = mf
        n_lumped = len(node_names)
        self.nodes = f.create_dataset("nodes/T", (0, n_lumped), maxshape=(None, n_lumped or None), dtype="f8",
                                      chunks=(256, max(1, n_lumped)))
        self.nodes.attrs["units"] = "K"
        names = f.create_dataset("nodes/names", data=np.array(node_names, dtype=object),
                                 dtype=__import__("h5py").string_dtype())
        names.attrs["units"] = "1"
        self.energy = {}
        for term in ENERGY_NAMES:
            ds = f.create_dataset(f"energy/{term}", (0,), maxshape=(None,), dtype="f8", chunks=(1024,))
            ds.attrs["units"] = "W"
            self.energy[term] = ds
        self._orbit_and_chips(faces, chips)
        self.f.flush()
        self.n = 0
        self.resumed = False

    def _orbit_and_chips(self, faces, chips):
        f = self.f
        self.orbit = {}
        if faces is not None:
            nf = len(faces)
            for name, shape, units in (("sun_fraction", (0,), "1"), ("q_solar", (0, nf), "W/m^2"),
                                       ("q_ir", (0, nf), "W/m^2")):
                ds = f.create_dataset(f"orbit/{name}", shape, maxshape=(None, *shape[1:]), dtype="f8",
                                      chunks=(256, *shape[1:]) if nf or len(shape) == 1 else None)
                ds.attrs["units"] = units
                self.orbit[name] = ds
            faces_ds = f.create_dataset("orbit/faces", data=np.array(faces, dtype=object),
                                        dtype=__import__("h5py").string_dtype())
            faces_ds.attrs["units"] = "1"
            self.orbit["q_solar"].attrs["description"] = "incident sunlight + albedo on each face (absorbed with alpha)"
            self.orbit["q_ir"].attrs["description"] = "incident Earth infrared on each face (absorbed with eps)"
        self.chips = {}
        for name, limit in (chips or {}).items():
            g = f.create_group(f"chips/{name}")
            g.attrs["junction_limit_k"] = np.nan if limit is None else float(limit)
            for key in ("t_max", "t_mean"):
                ds = g.create_dataset(key, (0,), maxshape=(None,), dtype="f8", chunks=(1024,))
                ds.attrs["units"] = "K"
                self.chips[(name, key)] = ds

    @classmethod
    def reopen(cls, path, mesh: dict, steps: int) -> "ResultWriter":
        """Go on writing the incomplete PATH.part of an interrupted run after its first ``steps``
        output steps (those of its checkpoint; any written after it are cut off and written again)."""
        self = cls.__new__(cls)
        self.final = Path(path)
        self.path = part_path(self.final)
        if not self.path.exists():
            raise OutputError(f"output {self.final}: nothing to resume ({self.path} is not there)")
        try:
            self.f = h5py.File(self.path, "r+")
        except OSError as exc:
            if _is_lock_error(exc):
                raise OutputError(f"output {self.final}: another run is writing it ({self.path} is locked)") from None
            raise OutputError(f"output {self.final}: {self.path} cannot be reopened to resume ({exc}); run without "
                              "--resume to start again") from None
        f = self.f
        if steps_committed(f) < steps:
            f.close()
            raise OutputError(f"output {self.final}: {self.path} holds fewer output steps than its checkpoint; run "
                              "without --resume to start again")
        self.mesh, self.t = mesh, f["time"]
        self.fields = {panel: f[f"fields/{panel}/T"] for panel in mesh}
        self.melt = {panel: f[f"fields/{panel}/melt_fraction"] for panel in mesh if f"fields/{panel}/melt_fraction" in f}
        self.nodes = f["nodes/T"]
        self.energy = {term: f[f"energy/{term}"] for term in ENERGY_NAMES}
        self.orbit = {name: f[f"orbit/{name}"] for name in ("sun_fraction", "q_solar", "q_ir")} if "orbit" in f else {}
        self.chips = {(name, key): f[f"chips/{name}/{key}"] for name in f.get("chips", {}) for key in ("t_max", "t_mean")}
        for ds in (self.t, self.nodes, *self.fields.values(), *self.melt.values(), *self.energy.values(),
                   *self.orbit.values(), *self.chips.values()):
            if ds.shape[0] > steps:
                ds.resize((steps, *ds.shape[1:]))
        for key in ("failed", "complete", "steps_written"):
            if key in f.attrs:
                del f.attrs[key]
        if "xdmf" in f:  # an interrupted attempt's step views: made again when this one closes
            del f["xdmf"]
        f.attrs["resumed_at_s"] = float(self.t[steps - 1]) if steps else 0.0
        f.attrs["resumes"] = int(f.attrs.get("resumes", 0)) + 1
        f.flush()
        self.n = steps
        self.resumed = True
        return self

    def append_fields(self, time_s, fields: dict, node_t_k, energy_terms, orbit_row=None, chip_row=None):
        n = self.n + 1
        for panel, ds in self.fields.items():
            ds.resize((n, *ds.shape[1:]))
            ds[n - 1] = fields[panel]
        for panel, ds in self.melt.items():
            ds.resize((n, *ds.shape[1:]))
            m = self.mesh[panel]
            ds[n - 1] = melt_fraction_field(fields[panel], np.asarray(m["material"]), m["melting"])
        self.nodes.resize((n, self.nodes.shape[1]))
        self.nodes[n - 1] = node_t_k
        e = np.asarray(energy_terms, float)
        for i, term in enumerate(TERMS):
            self.energy[term].resize((n,))
            self.energy[term][n - 1] = e[i]
        self.energy["balance_error"].resize((n,))
        self.energy["balance_error"][n - 1] = e[0] + e[1] - e[2] - e[3] - e[4]
        for (name, key), ds in self.chips.items():
            if chip_row is not None and name in chip_row:
                ds.resize((n,))
                ds[n - 1] = chip_row[name][0 if key == "t_max" else 1]
        if self.orbit and orbit_row is not None:
            for name, value in zip(("sun_fraction", "q_solar", "q_ir"), orbit_row):
                ds = self.orbit[name]
                ds.resize((n, *ds.shape[1:]))
                ds[n - 1] = value
        # the time row commits the step: a kill before this line leaves the step unseen, not half-read
        self.f.flush()
        self.t.resize((n,))
        self.t[n - 1] = time_s
        self.n = n
        self.f.flush()

    def append_state(self, net, state, time_s, t_k, balance, sun_fraction=None):
        """One output step of a run on ``net``; the face fluxes are those of the run ``state``."""
        fields = {p: field_of(idx, t_k) for p, idx in net.node_index.items()}
        orbit_row = None
        if self.orbit:
            orbit_row = (1.0 if sun_fraction is None else sun_fraction, state.face_q_solar_w_m2.copy(),
                         state.face_q_ir_w_m2.copy())
        self.append_fields(time_s, fields, t_k[net.lumped_nodes], balance.as_array(), orbit_row,
                           chip_temperatures(net, t_k))

    def close(self, attrs=None, xdmf: bool = True, heat_pipes=None, radiation=None, loops=None, heaters=None):
        """Finish the file.  Complete (no ``failed`` in ``attrs``): flushed, synced and renamed from
        PATH.part to PATH with ``complete = true``; failed or interrupted: left as PATH.part with
        ``complete = false``, every step written before it readable."""
        if not self.f.id.valid:
            return
        attrs = dict(attrs or {})
        for key, value in attrs.items():
            self.f.attrs[key] = value
        complete = "failed" not in attrs
        self.f.attrs["steps_written"] = self.n
        self.f.attrs["complete"] = complete
        if heat_pipes:
            write_heat_pipes(self.f, heat_pipes)
        if radiation:
            write_radiation(self.f, radiation)
        if loops:
            write_loops(self.f, loops)
        if heaters:
            write_heaters(self.f, heaters)
        if xdmf:
            write_step_views(self.f, self.n)
        self.f.flush()
        self.f.close()
        with open(self.path, "rb+") as fh:
            os.fsync(fh.fileno())
        if complete:
            os.replace(self.path, self.final)
        if xdmf:
            write_xdmf(self.final if complete else self.path, self.mesh, self.n)


LIMIT_NAMES = ("capillary", "viscous", "sonic", "entrainment", "boiling")


def part_path(path) -> Path:
    """Where a result is written until it is complete."""
    path = Path(path)
    return path.with_name(path.name + ".part")


def _is_lock_error(exc: OSError) -> bool:
    text = str(exc).lower()
    return "lock" in text or getattr(exc, "errno", None) in (errno.EAGAIN, errno.EWOULDBLOCK)


def _open_for_writing(part: Path, final: Path):
    """Open PATH.part for writing, unless another run holds it (HDF5 locks a file it writes): then
    one line and exit 2, and the other run's file is not truncated.  A .part left by a killed run
    is overwritten."""
    busy = OutputError(f"output {final}: another run is writing it ({part} is locked); wait for it or choose "
                       "another -o")
    if part.exists():
        try:
            with h5py.File(part, "r"):
                pass
        except OSError as exc:
            if _is_lock_error(exc):
                raise busy from None
    try:
        return h5py.File(part, "w")
    except OSError as exc:
        if _is_lock_error(exc):
            raise busy from None
        raise OutputError(f"output {final}: cannot be written ({exc})") from None


def write_heat_pipes(f, pipes: dict) -> None:
    """/heat_pipes/<name>/{T_vapour, Q, utilisation, wetted} per output step, limits of the last step as
    attributes, the path polylines as /heat_pipes/<name>/path_<i> (x, y) with the panel named; into
    the open file ``f``."""
    if "heat_pipes" in f:
        del f["heat_pipes"]
    for name, p in pipes.items():
        g = f.create_group(f"heat_pipes/{name}")
        for key, ds_name, units in (("t_vapour", "T_vapour", "K"), ("q", "Q", "W"), ("utilisation", "utilisation", "1"),
                                    ("wetted_series", "wetted", "1"), ("active_series", "active_condenser", "m")):
            if key in p:
                d = g.create_dataset(ds_name, data=np.asarray(p[key], float))
                d.attrs["units"] = units
        g.attrs.update({"fluid": p["fluid"], "failed": bool(p["failed"]), "dried": bool(p["dried"]),
                        "wetted_fraction": float(p.get("wetted", 1.0)),
                        "governing_limit": p["governing"], "out_of_range": p.get("out_of_range", ""),
                        "length_m": p["length_m"], "effective_length_m": p["effective_length_m"],
                        "gas_loaded": bool(p.get("gas", False))})
        for lim in LIMIT_NAMES:
            g.attrs[f"limit_{lim}_w"] = float(p["limits"].get(lim, np.nan))
        for i, (panel, pts) in enumerate(p["polylines"]):
            d = g.create_dataset(f"path_{i}", data=np.asarray(pts, float))
            d.attrs["units"] = "m"
            d.attrs["panel"] = panel


def read_heat_pipes(f, nt) -> dict:
    out = {}
    for name in f.get("heat_pipes", {}):
        g = f[f"heat_pipes/{name}"]
        paths = sorted((k for k in g if k.startswith("path_")), key=lambda k: int(k[5:]))
        out[name] = {"fluid": _s(g.attrs["fluid"]), "failed": bool(g.attrs["failed"]), "dried": bool(g.attrs["dried"]),
                     "wetted": float(g.attrs["wetted_fraction"]),
                     "governing": _s(g.attrs["governing_limit"]), "out_of_range": _s(g.attrs["out_of_range"]),
                     "t_vapour": g["T_vapour"][:nt], "q": g["Q"][:nt], "utilisation": g["utilisation"][:nt],
                     "wetted_series": g["wetted"][:nt] if "wetted" in g else np.ones(len(g["Q"][:nt])),
                     "active_series": g["active_condenser"][:nt] if "active_condenser" in g else np.full(
                         len(g["Q"][:nt]), np.nan),
                     "gas": bool(g.attrs.get("gas_loaded", False)),
                     "limits": {lim: float(g.attrs[f"limit_{lim}_w"]) for lim in LIMIT_NAMES
                                if np.isfinite(g.attrs[f"limit_{lim}_w"])},
                     "length_m": float(g.attrs["length_m"]), "effective_length_m": float(g.attrs["effective_length_m"]),
                     "polylines": [(_s(g[k].attrs["panel"]), [tuple(r) for r in g[k][:]]) for k in paths]}
    return out


def read_result(path) -> Result:
    """Read a result file (also one cut short by a crash: every flushed step is there).  A file that
    is not one (missing groups, wrong shapes or types, external links) is one line, exit 2."""
    try:
        f = h5py.File(path, "r")
    except (OSError, FileNotFoundError) as exc:
        raise ThermalError(f"{path}: cannot open as a thermal HDF5 result ({exc})") from None
    try:
        with f:
            return _read_result(f)
    except ThermalError:
        raise
    except (KeyError, ValueError, TypeError, IndexError, AttributeError, OSError) as exc:
        raise ThermalError(f"{path}: not a readable thermal result ({type(exc).__name__}: {exc})") from None


def _read_result(f) -> Result:
    path = f.filename
    if "time" not in f or "nodes" not in f:
        raise ThermalError(f"{path}: not a thermal result file (no /time or /nodes)")
    nt = steps_committed(f)
    fields, mesh = {}, {}
    for panel in f.get("fields", {}):  # a network of lumped nodes and loops has no panels
        fields[panel] = f[f"fields/{panel}/T"][:nt]
        g = f[f"mesh/{panel}"]
        mat = g["material"]
        mesh[panel] = {"x_edges": g["x_edges"][:], "y_edges": g["y_edges"][:], "z_edges": g["z_edges"][:],
                       "material": mat[:], "material_names": [_s(s) for s in mat.attrs["names"]],
                       "layer_names": [_s(s) for s in mat.attrs["layer_names"]],
                       "z_layer": mat.attrs["z_layer"],
                       "footprints": ([(_s(n), *row) for n, row in zip(g["footprints"].attrs["names"],
                                                                      g["footprints"][:])]
                                      if "footprints" in g else []),
                       "melting": ({int(i): tuple(float(v) for v in rng) for i, rng in
                                    zip(mat.attrs["melting_index"], mat.attrs["melting_k"])}
                                   if "melting_index" in mat.attrs else {})}
    for panel, values in fields.items():  # a hostile file: shapes must agree before anyone plots them
        edges = tuple(len(mesh[panel][k]) - 1 for k in ("z_edges", "y_edges", "x_edges"))
        if values.ndim != 4 or values.shape[1:] != edges or mesh[panel]["material"].shape != edges:
            raise ThermalError(f"{path}: panel '{panel}': fields {values.shape[1:]} do not match its mesh {edges}")
    energy = {term: f[f"energy/{term}"][:nt] for term in ENERGY_NAMES if f"energy/{term}" in f}
    attrs = {k: (_s(v) if isinstance(v, bytes) else v) for k, v in f.attrs.items()}
    orbit = None
    if "orbit" in f:
        orbit = {"faces": [_s(s) for s in f["orbit/faces"][:]], "sun_fraction": f["orbit/sun_fraction"][:nt],
                 "q_solar": f["orbit/q_solar"][:nt], "q_ir": f["orbit/q_ir"][:nt]}
    chips = {}
    if "chips" in f:
        for name in f["chips"]:
            g = f[f"chips/{name}"]
            limit = float(g.attrs["junction_limit_k"])
            chips[name] = {"t_max": g["t_max"][:nt], "t_mean": g["t_mean"][:nt],
                           "limit_k": None if np.isnan(limit) else limit}
    return Result(attrs.get("case_name", ""), attrs.get("mode", ""), attrs.get("case_text", ""), f["time"][:nt],
                  fields, mesh, [_s(s) for s in f["nodes/names"][:]], f["nodes/T"][:nt], energy, attrs, orbit,
                  chips=chips, heat_pipes=read_heat_pipes(f, nt), radiation=read_radiation(f),
                  loops=read_loops(f, nt), heaters=read_heaters(f, nt))


def steps_committed(f) -> int:
    """Steps whose time row was written (the writer's commit marker); rows after a NaN are not steps."""
    t = f["time"][:]
    bad = np.flatnonzero(~np.isfinite(t))
    return int(bad[0]) if bad.size else int(t.size)


def _s(v):
    return v.decode() if isinstance(v, bytes) else str(v)


def read_sizing_attrs(path) -> dict | None:
    """The answers a `thermal size` result file carries in /sizing (area, masses, temperatures,
    powers, the input's SHA-256), as plain Python values; None for a file without a sizing."""
    try:
        with h5py.File(path, "r") as f:
            if "sizing" not in f:
                return None
            return {k: (v.decode() if isinstance(v, bytes) else v.item() if hasattr(v, "item") else v)
                    for k, v in f["sizing"].attrs.items()}
    except OSError as exc:
        raise ThermalError(f"{path}: cannot open as a thermal HDF5 result ({exc})") from None
