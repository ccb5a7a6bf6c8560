"""Checkpoints of a transient or orbit-periodic run, and resuming one that was killed.

``thermal run CASE -o OUT.h5`` saves, every ``every_s`` seconds of wall time (and never more than
once per accepted step or orbit), what the run needs to go on: the time stepper's state (the BDF
history, the step size, the thermostats' log), the run state (films, wetted fractions, gas fronts,
loop flows and valves, heater switches), the step hooks' memory, the per-output series recorded
so far and the number of output steps already in ``OUT.h5.part``; or, for an orbit-periodic run,
the fixed-point search (iterate, Anderson's differences).  ``--resume`` loads it, cuts the .part
back to those steps and goes on, so the resumed run takes the same steps as the uninterrupted one
(to round-off: the AMG hierarchy, kept across steps, is rebuilt from the matrix it was built from,
saved with the checkpoint).  A checkpoint belongs to one effective case text and one thermal version: any other
is refused with one line.
"""
from __future__ import annotations

import hashlib
import time
from pathlib import Path

from thermal.constants import VERSION
from thermal.errors import ThermalError
from thermal.output.checkpoint import checkpoint_path, load_checkpoint, save_checkpoint

DEFAULT_EVERY_S = 10.0  # seconds of wall time between checkpoints: a kill loses at most this much work


def case_digest(case) -> str:
    return hashlib.sha256(case.source_text.encode("utf-8")).hexdigest()


class Checkpointer:
    """Called by the solvers after each accepted step (or orbit) with ``take``, which builds the
    solver's part of the tree; ``parts()`` adds the rest (run state, hooks, recorder, output steps)."""

    def __init__(self, output, case, every_s: float, parts):
        self.path = checkpoint_path(output)
        self.meta = {"case_sha256": case_digest(case), "thermal_version": VERSION, "mode": case.mode}
        self.every_s, self.parts = float(every_s), parts
        self.last = time.monotonic()
        self.saved = 0

    def __call__(self, take) -> bool:
        """Save if it is time; True if saved."""
        if time.monotonic() - self.last < self.every_s:
            return False
        save_checkpoint(self.path, {"meta": self.meta, "solver": take(), **self.parts()})
        self.saved += 1
        self.last = time.monotonic()
        return True

    def discard(self) -> None:
        """The run completed: its checkpoint is of no more use."""
        discard_checkpoint(self.path)


def discard_checkpoint(path) -> None:
    for p in (Path(path), Path(str(path) + ".tmp")):
        p.unlink(missing_ok=True)


def load_resume(output, case) -> dict | None:
    """The checkpoint of an interrupted run of ``case`` writing ``output``, or None if there is none.
    A checkpoint of another case text, mode or thermal version is one line (exit 2)."""
    path = checkpoint_path(output)
    if not path.exists():
        return None
    tree = load_checkpoint(path)
    meta = tree.get("meta", {})
    if meta.get("case_sha256") != case_digest(case):
        raise ThermalError(f"--resume: {path} was written for another case text than {case.file} (changed since, or "
                           "other overrides); run without --resume to start again")
    if meta.get("thermal_version") != VERSION:
        raise ThermalError(f"--resume: {path} was written by thermal {meta.get('thermal_version')}, this is {VERSION}; "
                           "run without --resume to start again")
    if meta.get("mode") != case.mode:
        raise ThermalError(f"--resume: {path} is of a {meta.get('mode')} run, the case is {case.mode}")
    return tree


def hooks_of(hook) -> list:
    """The step hooks in a combined hook (solvers/hooks.py), in order."""
    if hook is None:
        return []
    return list(getattr(hook, "hooks", [hook]))


def snapshot_hooks(hook) -> list:
    return [h.snapshot() for h in hooks_of(hook)]


def restore_hooks(hook, saved: list) -> None:
    hooks = hooks_of(hook)
    if len(hooks) != len(saved):
        raise ThermalError(f"--resume: the checkpoint has {len(saved)} step hooks, the case {len(hooks)}")
    for h, tree in zip(hooks, saved):
        h.restore(tree)
