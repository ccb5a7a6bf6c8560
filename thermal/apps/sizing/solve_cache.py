"""Finished solves of a sizing run kept on disk, so that ``thermal size --resume`` after a kill does
not solve them again.

A sizing run is dozens of solves of generated case texts (the length search, the periodic hot
case, the cold-case heater search, the control trades, N-1, the mesh check, the trade studies).
Inside ``solve_cache(folder)`` each one is written, as it finishes, to ``folder/<sha256>.h5``
(the digest of the thermal version and the case text; written as .part and renamed, so a solve
killed half-way leaves nothing under that name), and a solve whose file is there is read back
instead of solved: the same case text comes back within one sizing too (a length the search tried
before, the hot unit again in a trade).  Without ``reuse`` the folder is emptied first, so only
solves of this run are read back; with it (``--resume``) those of the killed run are too.  The
answer is the same either way: a result read back holds the same float64 values.  The folder is
removed when the sizing completes.
"""
from __future__ import annotations

import contextvars
import hashlib
import shutil
from contextlib import contextmanager
from pathlib import Path

from thermal.apps.solve import solve
from thermal.constants import VERSION
from thermal.errors import ThermalError
from thermal.output.results import read_result

_ACTIVE = contextvars.ContextVar("thermal_sizing_solve_cache", default=None)


class SolveCache:
    def __init__(self, folder, reuse: bool):
        self.folder = Path(folder)
        if not reuse:
            shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.solved = self.reused = 0

    def solve(self, case):
        digest = hashlib.sha256(f"{VERSION}\0{case.source_text}".encode("utf-8")).hexdigest()
        path = self.folder / f"{digest}.h5"
        if path.exists():
            try:
                result = read_result(path)
            except ThermalError:
                result = None  # not whole after all: solve it again
            if result is not None and result.attrs.get("case_text") == case.source_text:
                self.reused += 1
                return result
        result = solve(case, output=path, xdmf=False)  # nobody opens these in ParaView (1.9 s of a flagship sizing)
        self.solved += 1
        return result


def cached_solve(case):
    """``solve(case)``, through the active cache if a sizing run set one up."""
    cache = _ACTIVE.get()
    return solve(case) if cache is None else cache.solve(case)


@contextmanager
def solve_cache(folder, reuse: bool):
    """Solves inside go through a cache in ``folder`` (removed if the block completes)."""
    cache = SolveCache(folder, reuse)
    token = _ACTIVE.set(cache)
    try:
        yield cache
    finally:
        _ACTIVE.reset(token)
    shutil.rmtree(cache.folder, ignore_errors=True)
