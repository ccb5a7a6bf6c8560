"""Sweep files: a base case, parameters by key path, sampling, outputs; one case per combination.

A sweep case is the base case file with some keys set (``overrides.case_text_with``); its identity
is the SHA-256 of that effective case text, so a re-run recognises finished cases even if the
sweep file was reordered or extended, and any change to the base case re-runs everything.
Execution (Dask) lives in :mod:`thermal.apps.sweep.execute`.
"""
from __future__ import annotations

import hashlib
import itertools
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from thermal.apps.sizing.input import is_sizing_text, parse_sizing
from thermal.apps.sweep.outputs import OUTPUTS, check_output_name
from thermal.errors import CaseError
from thermal.input.case_file import MAX_CASE_BYTES, parse_case, read_text_capped
from thermal.input.overrides import case_text_with
from thermal.input.table import Table
from thermal.input.units import UnitParseError, split_quantity

SAMPLINGS = ("grid", "latin", "sobol")
CLUSTERS = ("local", "scheduler", "slurm", "pbs")


@dataclass(frozen=True)
class Parameter:
    key: str  # dotted key path in the base case
    values: tuple | None = None  # explicit list (TOML values, written as given)
    lo: float | None = None  # range, in ``unit``
    hi: float | None = None
    unit: str = ""
    steps: int | None = None  # grid points of a range
    log: bool = False

    @property
    def list_unit(self) -> str | None:
        """The common unit of a list of quantities ("1 mm", "2 mm" -> "mm"); None if not numeric."""
        if self.values is None:
            return None
        units = set()
        for v in self.values:
            try:
                units.add(split_quantity(v)[1])
            except UnitParseError:
                return None
        return units.pop() if len(units) == 1 else None

    @property
    def column(self) -> str:
        unit = self.unit if self.values is None else self.list_unit
        return f"{self.key} [{unit}]" if unit else self.key

    def number(self, value):
        """The table entry of a value: a number in the column's unit where there is one."""
        if self.values is None or self.list_unit is not None:
            return split_quantity(value)[0]
        return value

    def grid(self) -> list:
        if self.values is not None:
            return list(self.values)
        return [self.write(v) for v in self._points(self.steps)]

    def _points(self, n):
        if n == 1:
            return [self.lo]
        if self.log:
            return list(np.geomspace(self.lo, self.hi, n))
        return list(np.linspace(self.lo, self.hi, n))

    def at(self, u: float):
        """The value at the unit-interval coordinate u (Latin hypercube / Sobol samples)."""
        if self.values is not None:
            return self.values[min(int(u * len(self.values)), len(self.values) - 1)]
        if self.log:
            return self.write(math.exp(math.log(self.lo) + u * (math.log(self.hi) - math.log(self.lo))))
        return self.write(self.lo + u * (self.hi - self.lo))

    def write(self, x: float):
        x = float(f"{x:.12g}")
        return f"{x:.12g} {self.unit}" if self.unit else x


@dataclass(frozen=True)
class ClusterSpec:
    kind: str = "local"
    workers: int = 2
    address: str | None = None
    jobs: int = 1  # SLURM/PBS: jobs to start
    cores: int = 1  # per job
    processes: int | None = None  # workers per job (default: one per core)
    memory: str = "4GB"
    walltime: str = "01:00:00"
    queue: str | None = None
    account: str | None = None
    local_directory: str | None = None
    job_extra: tuple = ()
    prologue: tuple = ()


@dataclass(frozen=True)
class SweepSpec:
    file: str
    name: str
    base_path: Path
    base_text: str
    sampling: str
    samples: int
    seed: int
    parameters: tuple
    outputs: tuple
    cluster: ClusterSpec
    retries: int = 2

    @property
    def case_count(self) -> int:
        """How many cases the sweep asks for, counted without making them (before de-duplication)."""
        if self.sampling != "grid":
            return self.samples
        return math.prod(len(p.values) if p.values is not None else p.steps for p in self.parameters)


@dataclass(frozen=True)
class SweepCase:
    case_id: str
    overrides: dict = field(hash=False)  # key path -> TOML value
    inputs: dict = field(hash=False)  # table column -> value as written
    text: str = field(hash=False, repr=False)


def case_id(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def load_sweep(path) -> SweepSpec:
    path = Path(path)
    file = str(path)
    try:
        raw = tomllib.loads(read_text_capped(path, MAX_CASE_BYTES, "utf-8-sig"))
    except FileNotFoundError:
        raise CaseError(file, "", None, "file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise CaseError(file, "", None, f"not valid TOML: {exc}") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise CaseError(file, "", None, f"cannot read the file ({exc})") from None
    root = Table(raw, file)
    st = root.sub("sweep")
    name = st.string("name")
    base_rel = st.string("base")
    base_path = (path.parent / base_rel).resolve()
    try:
        base_text = read_text_capped(base_path, MAX_CASE_BYTES, "utf-8-sig")
    except (OSError, UnicodeDecodeError, ValueError):
        raise st.error("base", base_rel, f"cannot read the base case {base_path} (a text case file)") from None
    sampling = st.choice("sampling", SAMPLINGS, "grid")
    samples = st.integer("samples", 0, minimum=0, maximum=10_000_000)
    seed = st.integer("seed", 0, minimum=0)
    retries = st.integer("retries", 2, minimum=0, maximum=100)
    outputs = st.value("outputs", ["tj_max_k"])

    if not isinstance(outputs, list) or not outputs or not all(isinstance(o, str) for o in outputs):
        raise st.error("outputs", outputs, "a non-empty list of output names; known: " + ", ".join(OUTPUTS))
    for o in outputs:
        if not check_output_name(o):
            raise st.error("outputs", o, "unknown output; known: " + ", ".join(OUTPUTS)
                           + " (per panel: t_max_k.PANEL, t_mean_k.PANEL; per chip: tj_k.PANEL.FOOTPRINT)")
    st.finish()

    params = []
    pt = root.sub("parameters")
    for key, spec in pt.raw.items():
        pt.known.add(key)
        params.append(_parameter(pt, key, spec, sampling))
    if not params:
        raise root.error("parameters", "{}", "a sweep needs at least one parameter: \"key.path\" = [values]")
    pt.finish()
    if sampling != "grid" and samples < 1:
        raise CaseError(file, "sweep.samples", samples, f"'{sampling}' sampling needs samples >= 1")

    ct = root.sub("cluster", {})
    base = ClusterSpec()
    cluster = ClusterSpec(
        kind=ct.choice("kind", CLUSTERS, base.kind),
        workers=ct.integer("workers", base.workers, minimum=1, maximum=100_000),
        address=ct.string("address", None),
        jobs=ct.integer("jobs", base.jobs, minimum=1, maximum=100_000),
        cores=ct.integer("cores", base.cores, minimum=1, maximum=1024),
        processes=ct.integer("processes", None, minimum=1, maximum=1024) if ct.has("processes") else None,
        memory=ct.string("memory", base.memory),
        walltime=ct.string("walltime", base.walltime),
        queue=ct.string("queue", None),
        account=ct.string("account", None),
        local_directory=ct.string("local_directory", None),
        job_extra=tuple(_strings(ct, "job_extra")),
        prologue=tuple(_strings(ct, "prologue")))
    ct.finish()
    root.finish()
    spec = SweepSpec(file, name, base_path, base_text, sampling, samples, seed, tuple(params), tuple(outputs),
                     cluster, retries)
    # every key must exist in the base case, and the first case must be a valid case file
    first = {p.key: (p.grid()[0] if sampling == "grid" else p.at(0.5)) for p in params}
    try:
        text = case_text_with(base_text, first, str(base_path))
    except CaseError as exc:
        raise CaseError(file, f"parameters.\"{exc.key}\"", None, "no such key in the base case "
                        f"{base_path.name}") from None

    if is_sizing_text(text):
        parse_sizing(text, str(base_path))
    else:
        parse_case(text, str(base_path))
    return spec


def _strings(t: Table, name):
    v = t.value(name, [])
    if not isinstance(v, list) or not all(isinstance(s, str) for s in v):
        raise t.error(name, v, "a list of strings")
    return v


def _parameter(pt: Table, key: str, spec, sampling: str) -> Parameter:
    where = f"parameters.\"{key}\""
    if isinstance(spec, list):
        if not spec:
            raise CaseError(pt.file, where, spec, "an empty list: give at least one value")
        return Parameter(key, values=tuple(spec))
    if isinstance(spec, dict):
        t = Table(spec, pt.file, where)
        try:
            lo, unit = split_quantity(t.value("from", None))
            hi, unit_hi = split_quantity(t.value("to", None))
        except UnitParseError as exc:
            raise t.error("from", spec.get("from"), f"{exc}; a range is {{ from = \"1 mm\", to = \"3 mm\", "
                          "steps = 5 }") from None
        if unit_hi != unit:
            raise t.error("to", spec.get("to"), f"use the same unit as 'from' ({unit or 'none'})")
        if not hi > lo:
            raise t.error("to", spec.get("to"), "must be greater than 'from'")
        log = t.boolean("log", False)
        if log and lo <= 0:
            raise t.error("log", True, "a logarithmic range needs 'from' > 0")
        steps = t.integer("steps", None, minimum=1, maximum=1_000_000) if t.has("steps") else None
        if sampling == "grid" and steps is None:
            raise t.error("steps", "<missing>", "a range on a grid needs steps (or use sampling = 'latin'/'sobol')")
        t.finish()
        return Parameter(key, lo=lo, hi=hi, unit=unit, steps=steps, log=log)
    raise CaseError(pt.file, where, spec, "a list of values, or a range { from = \"1 mm\", to = \"3 mm\", steps = 5 }")


MAX_CASES = 100_000  # each case keeps its case text (~2 kB) and takes >= 0.3 s of a worker


def expand(spec: SweepSpec, force: bool = False) -> list[SweepCase]:
    """Every case of the sweep, in a reproducible order (the same seed gives the same samples).  More
    than MAX_CASES is refused before any is made, unless ``force``."""
    count = spec.case_count
    if count > MAX_CASES and not force:
        raise CaseError(spec.file, "parameters", f"{count:,} cases", f"more than {MAX_CASES:,} cases (each takes a "
                        "worker at least 0.3 s and its case text is kept); split the study or use --force")
    if spec.sampling == "grid":
        rows = list(itertools.product(*(p.grid() for p in spec.parameters)))
    else:
        d = len(spec.parameters)
        # deliberately lazy: scipy.stats costs 0.5 s to import, which every `thermal` command would pay
        from scipy.stats import qmc

        engine = (qmc.LatinHypercube(d=d, seed=spec.seed) if spec.sampling == "latin"
                  else qmc.Sobol(d=d, scramble=True, seed=spec.seed))
        u = engine.random(spec.samples)
        rows = [tuple(p.at(float(u[i, j])) for j, p in enumerate(spec.parameters)) for i in range(spec.samples)]
    cases, seen = [], set()
    for row in rows:
        overrides = {p.key: v for p, v in zip(spec.parameters, row)}
        text = case_text_with(spec.base_text, overrides, str(spec.base_path))
        cid = case_id(text)
        if cid in seen:  # e.g. a Sobol point repeated by a list parameter
            continue
        seen.add(cid)
        inputs = {p.column: p.number(v) for p, v in zip(spec.parameters, row)}
        cases.append(SweepCase(cid, overrides, inputs, text))
    return cases
