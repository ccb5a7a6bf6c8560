"""The main job timed as a user runs it: ``thermal size cases/sizing/flagship_100kw.toml`` (what
``make run`` does), warm Numba cache, one process per run, wall time and peak memory.

    python benchmarks/flagship_time.py                        # this tree, 3 runs each way
    python benchmarks/flagship_time.py --compare /tmp/old     # and another source tree, interleaved

Each way: ``default`` (the report's plot-only trade studies drawn by a spare process where a core
is free) and ``one core`` (THERMAL_MAX_THREADS=1: what a sweep worker or a busy machine gets, every
figure drawn in the one process).  ``--compare DIR`` runs a copy of the package in DIR (e.g. an
earlier commit: ``git worktree add /tmp/old <rev>``, or ``cp -r thermal /tmp/old/``) on the same
case, interleaved with this tree's runs so that both see the same machine.  Peak memory is the
largest process's (the main one; the helper holds matplotlib and the report module, ~150 MB).
Writes ``benchmarks/flagship_results.md``.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CASE = ROOT / "cases" / "sizing" / "flagship_100kw.toml"


def one_run(tree: Path, one_core: bool) -> tuple[float, float]:
    """(wall s, peak RSS MB of the largest process) of one ``thermal size`` of the flagship."""
    env = dict(os.environ, PYTHONPATH=str(tree), OPENBLAS_NUM_THREADS="1")
    env.setdefault("NUMBA_CACHE_DIR", str(ROOT / ".cache" / "numba"))
    if one_core:
        env["THERMAL_MAX_THREADS"] = "1"
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "thermal.cli", "size", str(CASE), "-o", out, "-q"], env=env,
                                stdout=subprocess.DEVNULL, cwd=tree)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"thermal size failed ({proc.returncode}) in {tree}")
    return wall, usage.ru_maxrss / 1024


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--compare", type=Path, help="another source tree (holding thermal/) to time side by side")
    ap.add_argument("--out", type=Path, default=HERE / "flagship_results.md")
    args = ap.parse_args()
    trees = [("this tree", ROOT)] + ([("compared", args.compare.resolve())] if args.compare else [])
    ways = [("default", False), ("one core", True)]
    for _, tree in trees:  # warm the Numba cache and the page cache: not timed
        one_run(tree, False)
    rows = {(t, w): [] for t, _ in trees for w, _ in ways}
    for _ in range(args.runs):
        for label, tree in trees:
            for way, one_core in ways:
                rows[(label, way)].append(one_run(tree, one_core))
                print(label, way, f"{rows[(label, way)][-1][0]:.2f} s", flush=True)
    load = os.getloadavg()[0]
    lines = [f"`thermal size cases/sizing/flagship_100kw.toml` (`make run`), warm cache, {args.runs} runs each, "
             f"interleaved; {time.strftime('%Y-%m-%d %H:%M')}, load average at the end {load:.2f}.", "",
             "| tree | way | wall [s] (each run) | best [s] | peak RSS [MB] |", "|---|---|---|---|---|"]
    for (label, way), runs in rows.items():
        walls = [w for w, _ in runs]
        lines.append(f"| {label} | {way} | {', '.join(f'{w:.2f}' for w in walls)} | {min(walls):.2f} | "
                     f"{max(m for _, m in runs):.0f} |")
    if args.compare:
        for way, _ in ways:
            a, b = min(w for w, _ in rows[("this tree", way)]), min(w for w, _ in rows[("compared", way)])
            lines.append(f"\n{way}: compared / this tree = {b / a:.2f}x (best of each)")
    text = "\n".join(lines) + "\n"
    print(text)
    args.out.write_text(text)


if __name__ == "__main__":
    main()
