"""Run a sweep on Dask: an embedded LocalCluster, a running scheduler, or SLURM/PBS (dask-jobqueue).

We write no scheduler or process pool of our own.  Each case is one Dask task (``run_case``) that
never raises: a case that fails (bad combination, no convergence) comes back as a row with its
error, and the sweep goes on.  A worker that dies takes only the case it was running; the
scheduler re-runs it elsewhere.  Rows are appended to ``results.csv`` (flushed and fsynced) as
they arrive, so Ctrl-C or a crash leaves a consistent table and a re-run skips every finished case
(cases are identified by the hash of their effective case text).  Each case's HDF5 file is written
under a temporary name and renamed when complete.
"""
from __future__ import annotations

import csv
import logging
import math
import os
import socket
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import h5py
import numba
import numpy as np
from tqdm import tqdm

from thermal.apps.sizing.input import is_sizing_text, parse_sizing
from thermal.apps.sizing.report import write_sizing_h5
from thermal.apps.sizing.size import size
from thermal.apps.solve import solve
from thermal.apps.sweep.outputs import collect, collect_sizing
from thermal.apps.sweep.spec import SweepCase, SweepSpec, expand
from thermal.errors import ThermalError
from thermal.input.case_file import parse_case
from thermal.output.results import read_result

FIXED_COLUMNS = ("case_id", "status", "wall_s", "worker", "error")
CONNECT_TIMEOUT_S = 10


def one_thread_per_worker() -> None:
    """Run this worker's kernels on one thread.  A local worker is spawned before Dask applies its
    environment, and the spawn re-imports the `thermal` script, so Numba may have read the parent's
    NUMBA_NUM_THREADS (all cores) before the worker's "1" arrived; Numba then refuses any later
    compilation ("Cannot set NUMBA_NUM_THREADS to a different value once the threads have been
    launched").  So the environment is told the pool's real size (what Numba checks) and the
    thread count is capped to 1 by set_num_threads and by the cap the solver reads
    (THERMAL_MAX_THREADS, thermal/threads.threads_allowed)."""
    os.environ["THERMAL_MAX_THREADS"] = "1"
    os.environ["NUMBA_NUM_THREADS"] = str(numba.config.NUMBA_NUM_THREADS)
    numba.set_num_threads(1)


def run_case(text: str, case_file: str, case_id: str, out_dir: str, outputs: tuple) -> dict:
    """Solve one sweep case on a worker; write ``cases/<id>.h5`` atomically; return its table row."""
    start = time.perf_counter()
    one_thread_per_worker()
    row = {"case_id": case_id, "status": "ok", "error": "", "worker": f"{socket.gethostname()}:{os.getpid()}"}
    try:
        folder = Path(out_dir) / "cases"
        folder.mkdir(parents=True, exist_ok=True)
        # one temporary name per attempt: a retry on another worker must not meet the file (and the
        # HDF5 lock, released only as the killed process dies) of the attempt before it
        part = folder / f".{case_id}.{os.getpid()}.h5.part"
        if is_sizing_text(text):  # a sizing sweep: the hot-case field with its /sizing attributes
            res = size(parse_sizing(text, case_file))
            write_sizing_h5(res, part, xdmf=False)
            values = collect_sizing(res, outputs)
        else:
            result = solve(parse_case(text, case_file))
            result.write(part, xdmf=False)
            values = collect(result, outputs)
        with open(part, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(part, folder / f"{case_id}.h5")
        row.update(values)
    except ThermalError as exc:
        row.update(status="failed", error=str(exc).replace("\n", " "))
    except Exception as exc:  # noqa: BLE001 - an unexpected error is recorded, the sweep goes on
        row.update(status="failed", error=f"{type(exc).__name__}: {exc}".replace("\n", " "))
    row["wall_s"] = time.perf_counter() - start
    return row


@dataclass
class SweepReport:
    total: int
    skipped: int
    ran: int = 0
    failed: int = 0
    interrupted: bool = False
    wall_s: float = 0.0
    table_csv: Path | None = None
    dashboard: str = ""
    rows: list = field(default_factory=list)


def columns(spec: SweepSpec) -> list:
    return list(FIXED_COLUMNS) + [p.column for p in spec.parameters] + list(spec.outputs)


def read_table(path: Path) -> list[dict]:
    """Rows of a results CSV; a torn last line (a kill mid-write) is dropped."""
    if not path.exists():
        return []
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return [r for r in rows if r.get("case_id") and r.get("status") in ("ok", "failed") and None not in r.values()]


def _cast(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return v


def _env(out_dir: Path) -> dict:
    return {"NUMBA_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
            "NUMBA_CACHE_DIR": os.environ.get("NUMBA_CACHE_DIR", str(out_dir / ".numba_cache")),
            "MPLCONFIGDIR": os.environ.get("MPLCONFIGDIR", str(out_dir / ".mplconfig"))}


def job_script(spec: SweepSpec, out_dir: Path, kind: str) -> str:
    """The batch script dask-jobqueue renders for one worker job (no jobs are submitted)."""
    cluster = _jobqueue_cluster(spec, out_dir, kind)
    try:
        return cluster.job_script()
    finally:
        cluster.close()


DASHBOARD = "127.0.0.1:0"  # loopback, any free port: the dashboard has no authentication


def _jobqueue_cluster(spec, out_dir, kind, dashboard: str = DASHBOARD):
    import dask_jobqueue  # deliberately lazy, like dask below: only sweeps need the engine

    c = spec.cluster
    env = _env(out_dir)
    prologue = [f"export {k}={v}" for k, v in env.items()] + list(c.prologue)
    cls = dask_jobqueue.SLURMCluster if kind == "slurm" else dask_jobqueue.PBSCluster
    kwargs = dict(cores=c.cores, processes=c.processes or c.cores, memory=c.memory, walltime=c.walltime,
                  queue=c.queue, account=c.account, job_extra_directives=list(c.job_extra),
                  job_script_prologue=prologue, local_directory=c.local_directory or str(out_dir / ".dask"),
                  scheduler_options={"dashboard_address": dashboard})
    return cls(**kwargs)


def _client(spec: SweepSpec, out_dir: Path, scheduler: str | None, kind: str, dashboard: str = DASHBOARD):
    """A connected Dask client and the cluster object we own (None for an outside scheduler)."""
    import dask  # deliberately lazy: 0.3 s of imports that only sweeps need
    from distributed import Client, LocalCluster

    if scheduler is not None or kind == "scheduler":
        address = scheduler or spec.cluster.address
        if not address:
            raise ThermalError(f"{spec.file}: cluster.kind = 'scheduler' needs cluster.address (or --scheduler)")
        try:
            return Client(address, timeout=f"{CONNECT_TIMEOUT_S}s"), None
        except (OSError, TimeoutError) as exc:
            raise ThermalError(f"cannot reach the Dask scheduler at {address} within {CONNECT_TIMEOUT_S} s "
                               f"({type(exc).__name__}); is it running, and is the address tcp://HOST:PORT?") from None
    # one case per worker at a time: with the default saturation an innocent queued task can die
    # with a killed worker (measured in ../shared/STACK.md)
    dask.config.set({"distributed.scheduler.worker-saturation": 1.0})
    if kind in ("slurm", "pbs"):
        cluster = _jobqueue_cluster(spec, out_dir, kind, dashboard)
        cluster.scale(jobs=spec.cluster.jobs)
        return Client(cluster), cluster
    env = _env(out_dir)
    # the cache folders must reach the workers before they import numba or matplotlib; the thread
    # counts reach them through env= and must not change this process: a later Numba compilation here
    # rereads NUMBA_NUM_THREADS and refuses a value other than the one its threads started with
    os.environ.update({k: v for k, v in env.items() if k not in os.environ and not k.endswith("_NUM_THREADS")})
    try:
        cluster = LocalCluster(n_workers=spec.cluster.workers, threads_per_worker=1, processes=True,
                               dashboard_address=dashboard, silence_logs=logging.ERROR, env=env)
    except (RuntimeError, OSError) as exc:
        raise ThermalError(f"could not start a local Dask cluster of {spec.cluster.workers} workers: {exc}") from None
    return Client(cluster), cluster


def run_sweep(spec: SweepSpec, out_dir, scheduler: str | None = None, kind: str | None = None,
              workers: int | None = None, progress: bool = True, retry_failed: bool = False,
              on_row=None, force: bool = False, dashboard: str = DASHBOARD) -> SweepReport:
    """Run every unfinished case of the sweep; return what happened.  ``on_row`` is called with each
    new row (tests use it to kill a worker mid-sweep); ``force`` runs past the case-count guard."""
    from distributed import as_completed  # deliberately lazy (see _client)

    out_dir = Path(out_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    cases = expand(spec, force=force)
    table = out_dir / "results.csv"
    cols = columns(spec)
    old = {r["case_id"]: r for r in read_table(table)}
    wanted = {c.case_id for c in cases}
    done = {}
    for cid, r in old.items():
        if cid not in wanted:
            continue
        if r["status"] == "ok" and not (out_dir / "cases" / f"{cid}.h5").exists():
            continue  # the table says done but the file is gone: run it again
        if r["status"] == "failed" and retry_failed:
            continue
        done[cid] = r
    by_id = {c.case_id: c for c in cases}
    for cid, r in done.items():
        r.update(by_id[cid].inputs)  # inputs in the current columns
    _refresh_outputs(done, spec, out_dir)
    todo = [c for c in cases if c.case_id not in done]
    # the table is rewritten with the current columns (kept rows first), then appended to
    _write_rows(table, cols, list(done.values()))
    report = SweepReport(total=len(cases), skipped=len(done), table_csv=table)
    report.rows = list(done.values())
    start = time.perf_counter()
    if todo:
        if workers is not None:
            spec = _with_workers(spec, workers)
        client, cluster = _client(spec, out_dir, scheduler, kind or ("scheduler" if scheduler else spec.cluster.kind),
                                  dashboard)
        report.dashboard = client.dashboard_link or ""
        if progress and report.dashboard:
            print(f"Dask dashboard: {report.dashboard}", file=sys.stderr)
        futures = {}
        try:
            for c in todo:
                fut = client.submit(run_case, c.text, str(spec.base_path), c.case_id, str(out_dir), spec.outputs,
                                    key=f"thermal-case-{c.case_id}", pure=False, retries=spec.retries)
                futures[fut] = c

            with tqdm(total=len(todo), desc=f"sweep {spec.name}", unit="case", disable=not progress) as bar, \
                    open(table, "a", newline="", encoding="utf-8") as fh:
                writer = csv.DictWriter(fh, fieldnames=cols, extrasaction="ignore")
                for fut in as_completed(futures):
                    c = futures[fut]
                    row = _row(fut, c)
                    writer.writerow({k: _fmt(row.get(k, "")) for k in cols})
                    fh.flush()
                    os.fsync(fh.fileno())
                    report.rows.append(row)
                    report.ran += 1
                    report.failed += row["status"] != "ok"
                    bar.update(1)
                    if on_row is not None:
                        on_row(row)
        except KeyboardInterrupt:
            report.interrupted = True
            for fut in futures:
                fut.cancel()
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
        if not report.interrupted:  # every case is in: what killed attempts left behind can go
            for stale in (out_dir / "cases").glob(".*.part*"):
                stale.unlink(missing_ok=True)
    report.wall_s = time.perf_counter() - start
    write_table_h5(out_dir / "results.h5", cols, read_table(table), spec)
    _write_parquet(out_dir / "results.parquet", cols, read_table(table))
    return report


def _row(fut, c: SweepCase) -> dict:
    try:
        row = fut.result()
    except Exception as exc:  # noqa: BLE001 - e.g. KilledWorker after repeated worker deaths
        row = {"case_id": c.case_id, "status": "failed", "wall_s": math.nan, "worker": "",
               "error": f"{type(exc).__name__}: {exc}".replace("\n", " ")}
    row.update(c.inputs)
    return row


def _fmt(v):
    if isinstance(v, float):
        return repr(v)
    return v


def _with_workers(spec, workers):
    return replace(spec, cluster=replace(spec.cluster, workers=workers))


def _write_rows(path: Path, cols, rows):
    """Write the whole table (header and rows) under a temporary name and rename it."""
    tmp = path.with_suffix(".csv.part")
    with open(tmp, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=cols, extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow({k: r.get(k, "") for k in cols})
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _refresh_outputs(done: dict, spec, out_dir: Path):
    """Finished cases missing an output that was added to the sweep file: read it from their HDF5
    (case outputs from the field; a sizing's own quantities from its /sizing attributes)."""
    sizing_keys = {"area_m2": "area_m2", "mass_kg": "mass_total_kg", "heater_w": "heater_w_total",
                   "w_per_m2": "w_per_m2", "w_per_kg": "w_per_kg", "estimate_area_m2": "estimate_area_m2",
                   "pipe_pitch_m": "pipe_pitch_m"}
    for cid, r in done.items():
        missing = [o for o in spec.outputs if r.get(o, "") in ("", None)]
        if r["status"] != "ok" or not missing:
            continue
        path = out_dir / "cases" / f"{cid}.h5"
        with h5py.File(path, "r") as f:
            attrs = dict(f["sizing"].attrs) if "sizing" in f else {}
        own = [o for o in missing if o in sizing_keys and attrs]
        r.update({o: float(attrs[sizing_keys[o]]) for o in own})
        rest = [o for o in missing if o not in own]
        if rest:
            r.update(collect(read_result(path), rest))


def write_table_h5(path: Path, cols, rows, spec):
    """The results table as HDF5: one dataset per column (floats, or strings)."""
    tmp = path.with_suffix(".h5.part")
    with h5py.File(tmp, "w") as f:
        f.attrs["sweep"] = spec.name
        f.attrs["sweep_file"] = spec.file
        f.attrs["base_case"] = str(spec.base_path)
        for col in cols:
            values = [_cast(r.get(col, "")) for r in rows]
            if values and all(isinstance(v, float) for v in values):
                d = f.create_dataset(col.replace("/", "_"), data=np.asarray(values, float))
            else:
                d = f.create_dataset(col.replace("/", "_"), data=np.array([str(v) for v in values], dtype=object),
                                     dtype=h5py.string_dtype())
            d.attrs["column"] = col
    os.replace(tmp, path)


def _write_parquet(path: Path, cols, rows):
    try:
        import pandas as pd  # optional: Parquet only when pandas and pyarrow are installed
        import pyarrow  # noqa: F401
    except ImportError:
        return
    pd.DataFrame([{c: _cast(r.get(c, "")) for c in cols} for r in rows]).to_parquet(path)
