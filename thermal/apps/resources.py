"""Resource guards: what a case will cost, estimated from its numbers before anything is allocated.

A mistyped `cells = [100000, 100000]` or `time_step = "1e-300 s"` must be one line, not a
MemoryError after minutes or a run that never ends.  The estimates are deliberately simple and
say what they assume; `--force` (or ``force=True``) runs anyway.
"""
from __future__ import annotations

import math

from thermal.errors import ModelError

BYTES_PER_NODE = 1300  # peak RSS per node, steady reference plate at N = 1024: 1.28 GB / 1.05 M nodes
BYTES_PER_STORED_VALUE = 16  # each output state is kept in the solution and in the Result (float64 x 2)
MAX_STEPS = 10_000_000  # fixed steps: at >= 0.1 ms each, more than a day of stepping
DENSE_PATCH_MATRICES = 10  # radiation exchange: r x r float64 matrices alive at once (F, S, R, Q, ...)


def available_memory_bytes() -> int | None:
    """MemAvailable from /proc/meminfo (Linux), else None (no memory guard)."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def estimate(case) -> dict:
    """Nodes, fixed time steps, output states and peak memory [bytes] of a case, from its numbers."""
    nodes = 0
    for p in case.panels:
        nz = sum(layer.z_cells for layer in p.layers)
        faces = len(p.faces) if p.surface_nodes else 0
        # footprints add grid lines (their edges, footprint_cells across each): an upper bound
        extra = sum(p.footprint_cells + 2 for _ in p.footprints)
        nodes += (p.x_cells + extra) * (p.y_cells + extra) * (nz + faces)  # 'on' layers remove some
    nodes += len(case.nodes)
    steps, outputs = 0, 1
    tr = case.transient
    if tr is not None and tr.scheme == "fixed":
        steps = math.ceil(tr.end_time_s / tr.time_step_s)
        outputs = steps // tr.output_every + 1
    if tr is not None and tr.output_times_s is not None:
        outputs = len(tr.output_times_s) + 2  # and the start and the end
    patches = 0
    if case.radiation is not None:
        faces = [f for p in case.panels for f in p.faces.values()]
        faces += [f for s in case.surfaces for f in (s.front, s.back) if f is not None]
        patches = sum(f.patches[0] * f.patches[1] for f in faces)
    memory = (nodes * BYTES_PER_NODE + outputs * nodes * BYTES_PER_STORED_VALUE
              + DENSE_PATCH_MATRICES * 8 * patches * patches)
    return {"nodes": nodes, "steps": steps, "outputs": outputs, "patches": patches, "memory_bytes": memory}


def check_resources(case, force: bool = False, available_bytes: int | None = None) -> dict:
    """The estimate, or ModelError (exit 2) when it exceeds the available memory or MAX_STEPS."""
    est = estimate(case)
    if force:
        return est
    if est["steps"] > MAX_STEPS:
        raise ModelError(f"{case.file}: transient.time_step gives {est['steps']:.3g} steps (more than "
                         f"{MAX_STEPS:.0e}); check time_step and end_time, or --force")
    available = available_memory_bytes() if available_bytes is None else available_bytes
    if available is not None and est["memory_bytes"] > available:
        raise ModelError(f"{case.file}: about {est['memory_bytes'] / 2**30:.3g} GiB needed ({est['nodes']:,} nodes, "
                         f"{est['outputs']:,} output states kept, {est['patches']:,} radiation patches) but {available / 2**30:.1f} GiB is available; "
                         "use fewer cells or outputs (transient.output_every or output_times), or --force")
    return est
