"""`make paraview-check`: the XDMF sidecars `thermal run` writes, opened by a real ParaView (Debian's,
through pvbatch) with its default reader and with the legacy one, from another working folder,
read the same values as h5py: block names, cell counts, T and material present, NaN counts, min
and max of T at the first and last output to 1e-12 K; the heat pipes' polylines (segment count,
vapour temperatures) and the lumped nodes' points (count, T).  Exit 1 on any difference."""
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import h5py
import numpy as np

ROOT = Path(__file__).resolve().parents[2]
CASES = ["cases/leo_53deg_eclipse.toml", "cases/four_gpu_ammonia.toml"]
TRANSIENT = '\n[transient]\ntime_step = "10 s"\nend_time = "10 min"\nscheme = "bdf2"\ntolerance = "0.1 K"\n' \
            'output_interval = "5 min"\n'


PIPES, NODES = "heat_pipes", "lumped_nodes"


def expected(h5, t_index):
    """What each block must hold at output ``t_index``, from the result's own datasets (not from the
    /xdmf views the sidecar points at): panels' T; heat pipes' segments along /heat_pipes/*/path_*
    with the pipes' vapour temperatures; lumped nodes with /nodes/T."""
    out = {}
    with h5py.File(h5) as f:
        for panel in f["fields"]:
            t = f[f"fields/{panel}/T"][t_index].ravel()
            finite = t[np.isfinite(t)]
            out[panel] = {"cells": int(t.size), "nan": int(t.size - finite.size), "min": float(finite.min()),
                          "max": float(finite.max())}
        pipes = f.get("heat_pipes", {})
        if len(pipes):
            t_v = [float(g["T_vapour"][t_index]) for g in pipes.values()]
            segments = sum(len(g[k]) - 1 for g in pipes.values() for k in g if k.startswith("path_"))
            out[PIPES] = {"cells": segments, "array": "T_vapour", "min": min(t_v), "max": max(t_v), "nan": 0}
        if f["nodes/T"].shape[1]:
            t = f["nodes/T"][t_index]
            out[NODES] = {"points": t.size, "array": "T", "min": float(np.min(t)), "max": float(np.max(t)), "nan": 0}
    return out


def named(step, xdmf_text):
    """{block name: block}.  The legacy reader names blocks ("radiator[180]"); Xdmf3ReaderS gives a
    step's grids as unnamed pieces, unstructured ones (pipes, nodes) first: those are known by their
    arrays, the panels follow in the sidecar's order."""
    step = {re.sub(r"\[\d+\]$", "", k): v for k, v in step.items()}
    if not all(k.startswith("#") for k in step):
        return step
    out, panels = {}, [n for n in re.findall(r'<Grid Name="([^"]+)" GridType="Uniform">', xdmf_text)
                       if n not in (PIPES, NODES)]
    rest = []
    for key in sorted(step, key=lambda k: int(k[1:])):
        block = step[key]
        if "T_vapour" in block["arrays"]:
            out[PIPES] = block
        elif "T" in block.get("point_arrays", {}) and "material" not in block["arrays"]:
            out[NODES] = block
        else:
            rest.append(block)
    out.update(zip(panels, rest))
    return out


def compare_block(label, block, want) -> list:
    if "array" in want:  # heat pipes (cell values) or lumped nodes (point values)
        arrays = block["point_arrays"] if "points" in want else block["arrays"]
        count = block["points"] if "points" in want else block["cells"]
        size = want.get("points", want.get("cells"))
        values = arrays.get(want["array"])
        if values is None:
            return [f"{label}: no {want['array']} (arrays {sorted(arrays)})"]
        problems = [] if count == size == values["tuples"] else [f"{label}: {count} items, {values['tuples']} values "
                                                                   f"vs {size}"]
    else:
        values = block["arrays"].get("T")
        if values is None or "material" not in block["arrays"]:
            return [f"{label}: arrays {sorted(block['arrays'])} (T and material expected)"]
        problems = [] if block["cells"] == want["cells"] == values["tuples"] else [
            f"{label}: {block['cells']} cells, {values['tuples']} values vs {want['cells']}"]
    if values["nan"] != want["nan"]:
        problems.append(f"{label}: {values['nan']} NaN against {want['nan']}")
    for k in ("min", "max"):
        if values[k] is None or abs(values[k] - want[k]) > 1e-12:
            problems.append(f"{label}: {k} {values[k]!r} against {want[k]!r}")
    return problems


def check(h5, xdmf_arg, cwd, which, pvbatch) -> list:
    out = Path(cwd) / f"{which}.json"
    run = subprocess.run([pvbatch, str(ROOT / "validation/paraview/pv_read.py"), xdmf_arg, which, str(out)], cwd=cwd,
                         capture_output=True, text=True, timeout=300)
    if run.returncode != 0 or not out.exists():
        return [f"{which}: pvbatch failed ({run.returncode}): {run.stderr[-500:]}"]
    got = json.loads(out.read_text())
    xdmf_text = h5.with_suffix(".xdmf").read_text()
    problems = []
    with h5py.File(h5) as f:
        times = f["time"][:]
    if len(got["times"]) != len(times) or not np.allclose(got["times"], times, rtol=1e-12, atol=0):
        problems.append(f"{which}: {len(got['times'])} times against {len(times)}")
    for index, (key, step) in zip((0, -1), got["steps"].items()):
        want, step = expected(h5, index), named(step, xdmf_text)
        if set(step) != set(want):
            problems.append(f"{which} t={key}: blocks {sorted(step)} against {sorted(want)}")
            continue
        for name, w in want.items():
            problems += compare_block(f"{which} t={key} {name}", step[name], w)
        print(f"  {which:<8} reader {got['reader']:<14} t = {float(key):>8g} s: " + "; ".join(
            _describe(name, step[name]) for name in want))
    return problems


def _describe(name, block) -> str:
    if name == NODES:
        t = block["point_arrays"].get("T", {})
        return f"{block['points']} lumped nodes T {t.get('min', 0):.3f}..{t.get('max', 0):.3f} K"
    key = "T_vapour" if name == PIPES else "T"
    t = block["arrays"].get(key, {})
    what = "pipe segments T_vapour" if name == PIPES else "cells T"
    return f"{name} {block['cells']} {what} {t.get('min', 0):.3f}..{t.get('max', 0):.3f} K, {t.get('nan', 0)} NaN"


def main() -> int:
    pvbatch = shutil.which("pvbatch")
    if pvbatch is None:
        print("paraview-check: pvbatch not found (make paraview-check installs Debian's paraview)")
        return 1
    problems = []
    with tempfile.TemporaryDirectory() as tmp:
        results, elsewhere = Path(tmp) / "results", Path(tmp) / "elsewhere"
        results.mkdir()
        elsewhere.mkdir()
        # heat pipes and lumped nodes over several steps: the four-GPU case marched for 10 minutes
        marched = results / "four_gpu_marched.toml"
        marched.write_text((ROOT / CASES[1]).read_text(encoding="utf-8").replace('mode = "steady"', 'mode = "transient"')
                           + TRANSIENT, encoding="utf-8")
        for case in CASES + [str(marched)]:
            h5 = results / (Path(case).stem + ".h5")
            subprocess.run([sys.executable, "-m", "thermal.cli", "run", str(ROOT / case), "-o", str(h5), "-q"],
                           check=True, stdout=subprocess.DEVNULL)
            print(f"{case}:")
            # opened from another folder, by a relative path with a folder part, and by its full path
            problems += check(h5, "../results/" + h5.with_suffix(".xdmf").name, elsewhere, "default", pvbatch)
            problems += check(h5, str(h5.with_suffix(".xdmf")), elsewhere, "legacy", pvbatch)
    for p in problems:
        print("MISMATCH", p)
    print("paraview-check:", "ok" if not problems else f"{len(problems)} mismatches")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
