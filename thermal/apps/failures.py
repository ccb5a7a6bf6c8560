"""N-1 failure study: the nominal case and every single heat-pipe or loop-branch failure, worst
junction of each.

Each failure case is the nominal case file with ``heat_pipes.NAME.failed = true`` or
``loops.L.branches.B.failed = true`` (written back as TOML, so it can be re-run on its own); a failed
pipe keeps its wall, which still conducts; a failed branch (blocked, a leak isolated) carries no flow
and its still fluid conducts with its walls.  The pump's branch is not failed (it is the loop).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from thermal.errors import ThermalError
from thermal.input.case_file import parse_case
from thermal.input.overrides import case_text_with


@dataclass
class FailureRow:
    failed: str  # "(nominal)" or the pipe's name
    tj_max_k: float  # hottest junction over all chips (and output times)
    worst_chip: str
    margin_k: float  # smallest (limit - Tj) over chips with a limit; nan without limits
    max_utilisation: float  # over the pipes still working
    dried: tuple  # pipes that dried out
    error: str = ""  # a failure case that could not be solved says why


def _row(label, result) -> FailureRow:
    tj, worst, margin = -math.inf, "", math.inf
    for name, c in result.chips.items():
        t = float(c["t_max"].max())
        if t > tj:
            tj, worst = t, name
        if c["limit_k"] is not None:
            margin = min(margin, c["limit_k"] - t)
    uses = [float(max(p["utilisation"])) for p in result.heat_pipes.values() if not p["failed"] and len(p["utilisation"])]
    dried = tuple(f"{n} ({100 * p['wetted']:.0f}% wetted)" for n, p in result.heat_pipes.items() if p["dried"])
    return FailureRow(label, tj, worst, margin if math.isfinite(margin) else math.nan,
                      max(uses) if uses else math.nan, dried)


def failure_candidates(case) -> list[tuple[str, str]]:
    """(label, key path of its ``failed`` flag) of every working pipe and loop branch but the pumps'."""
    out = [(p.name, f"heat_pipes.{p.name}.failed") for p in case.heat_pipes if not p.failed]
    for loop in case.loops:
        out += [(f"{loop.name}.{b.name}", f"loops.{loop.name}.branches.{b.name}.failed") for b in loop.branches
                if not b.failed and b.name != loop.pump.branch]
    return out


def n_minus_1(case, nominal_result, solve, progress=None) -> list[FailureRow]:
    """Rows: the nominal result, then one per heat pipe or loop branch failed alone (what the case
    already fails stays failed)."""
    rows = [_row("(nominal)", nominal_result)]
    candidates = failure_candidates(case)
    if not candidates:
        raise ThermalError(f"{case.file}: --n-minus-1 needs at least one working heat pipe or loop branch (other "
                           "than a pump's) in the case")
    for name, key in candidates:
        text = case_text_with(case.source_text, {key: True}, case.file, create=True)
        variant = parse_case(text, case.file)
        try:
            rows.append(_row(name, solve(variant)))
        except ThermalError as exc:
            rows.append(FailureRow(name, math.nan, "", math.nan, math.nan, (), str(exc)))
        if progress is not None:
            progress.update(1)
    return rows


def format_failure_table(rows: list[FailureRow]) -> str:
    lines = [f"{'failed':<14}{'worst Tj [°C]':>14}{'chip':>22}{'margin [K]':>12}{'max use':>9}  notes"]
    for r in rows:
        if r.error:
            lines.append(f"{r.failed:<14}{'-':>14}{'-':>22}{'-':>12}{'-':>9}  NOT SOLVED: {r.error}")
            continue
        notes = []
        if r.margin_k < 0:
            notes.append("LIMIT EXCEEDED")
        if r.dried:
            notes.append("dried out: " + ", ".join(r.dried))
        lines.append(f"{r.failed:<14}{r.tj_max_k - 273.15:>14.2f}{r.worst_chip:>22}{r.margin_k:>12.2f}"
                     f"{r.max_utilisation:>9.2f}  {'; '.join(notes)}")
    worst = max((r for r in rows[1:] if not r.error), key=lambda r: r.tj_max_k, default=None)
    if worst is not None:
        lines.append(f"worst single failure: {worst.failed} (Tj {worst.tj_max_k - 273.15:.2f} °C, "
                     f"{worst.tj_max_k - rows[0].tj_max_k:+.2f} K against nominal)")
    return "\n".join(lines)
