"""`make paraview-check`: the XDMF sidecars `thermal run` writes, opened by a real ParaView (Debian's,
through pvbatch) with its default reader and with the legacy one, from another working folder,
read the same fields as h5py: block names, cell counts, T and material present, NaN counts, min
and max of T at the first and last output to 1e-12 K.  Exit 1 on any difference."""
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


def expected(h5, t_index):
    out = {}
    with h5py.File(h5) as f:
        for panel in f["fields"]:
            t = f[f"fields/{panel}/T"][t_index].ravel()
            finite = t[np.isfinite(t)]
            out[panel] = {"cells": int(t.size), "nan": int(t.size - finite.size), "min": float(finite.min()),
                          "max": float(finite.max())}
    return out


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
        want = expected(h5, index)
        step = {re.sub(r"\[\d+\]$", "", k): v for k, v in step.items()}  # the legacy reader's "radiator[180]"
        if all(k.startswith("#") for k in step):  # unnamed pieces (Xdmf3ReaderS): the sidecar's panel order
            order = re.findall(r'<Grid Name="([^"]+)" GridType="Uniform">', xdmf_text)[:len(step)]
            step = {order[int(k[1:])]: v for k, v in step.items()}
        if set(step) != set(want):
            problems.append(f"{which} t={key}: blocks {sorted(step)} against panels {sorted(want)}")
            continue
        for panel, w in want.items():
            block = step[panel]
            arrays = block["arrays"]
            if "T" not in arrays or "material" not in arrays:
                problems.append(f"{which} t={key} {panel}: arrays {sorted(arrays)} (T and material expected)")
                continue
            t = arrays["T"]
            if t["nan"] != w["nan"]:
                problems.append(f"{which} t={key} {panel}: {t['nan']} NaN against {w['nan']}")
            if block["cells"] != w["cells"] or t["tuples"] != w["cells"]:
                problems.append(f"{which} t={key} {panel}: {block['cells']} cells, {t['tuples']} values vs {w['cells']}")
            for k in ("min", "max"):
                if abs(t[k] - w[k]) > 1e-12:
                    problems.append(f"{which} t={key} {panel}: T {k} {t[k]!r} against {w[k]!r}")
        print(f"  {which:<8} reader {got['reader']:<14} t = {float(key):>8g} s: " + "; ".join(
            f"{p} T {b['arrays']['T']['min']:.3f}..{b['arrays']['T']['max']:.3f} K, {b['arrays']['T']['nan']} NaN of "
            f"{b['cells']}" for p, b in step.items() if "T" in b["arrays"]))
    return problems


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
        for case in CASES:
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
