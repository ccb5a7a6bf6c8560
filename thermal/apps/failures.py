"""N-1 failure study: the nominal case and every single heat-pipe or loop-branch failure, worst
junction of each.

Each failure case is the nominal case file with ``heat_pipes.NAME.failed = true`` or
``loops.L.branches.B.failed = true`` (written back as TOML, so it can be re-run on its own); a failed
pipe keeps its wall, which still conducts; a failed branch (blocked, a leak isolated) carries no flow
and its still fluid conducts with its walls.  The pump's branch is not failed (it is the loop).
"""
from __future__ import annotations

import csv
import hashlib
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


def n_minus_1(case, nominal_result, solve, progress=None, journal=None, resume=False) -> list[FailureRow]:
    """Rows: the nominal result, then one per heat pipe or loop branch failed alone (what the case
    already fails stays failed).  ``journal``: a CSV file each finished failure case is appended to
    as it ends (a table to read, and what ``resume`` takes the cases already solved from: those
    whose case text is unchanged are not solved again)."""
    rows = [_row("(nominal)", nominal_result)]
    candidates = failure_candidates(case)
    if not candidates:
        raise ThermalError(f"{case.file}: --n-minus-1 needs at least one working heat pipe or loop branch (other "
                           "than a pump's) in the case")
    done = read_journal(journal) if journal is not None and resume else {}
    if journal is not None:  # written afresh: a line a kill cut short is gone, the rest kept
        with open(journal, "w", newline="", encoding="utf-8") as fh:
            csv.writer(fh).writerow(JOURNAL_COLUMNS)
        for digest, row in done.items():
            _append(journal, row, digest)
    for name, key in candidates:
        text = case_text_with(case.source_text, {key: True}, case.file, create=True)
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        row = done.get(digest)
        if row is None:
            try:
                row = _row(name, solve(parse_case(text, case.file)))
            except ThermalError as exc:
                row = FailureRow(name, math.nan, "", math.nan, math.nan, (), str(exc))
            if journal is not None:
                _append(journal, row, digest)
        rows.append(row)
        if progress is not None:
            progress.update(1)
    return rows


JOURNAL_COLUMNS = ("failed", "tj_max_k", "worst_chip", "margin_k", "max_utilisation", "dried", "error", "case_sha256")


def _append(journal, row: FailureRow, digest: str) -> None:
    with open(journal, "a", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerow([row.failed, repr(row.tj_max_k), row.worst_chip, repr(row.margin_k),
                                 repr(row.max_utilisation), "; ".join(row.dried), row.error, digest])
        fh.flush()


def read_journal(journal) -> dict:
    """case digest -> FailureRow of the failure cases a journal holds (none if it is not there or is
    not one: the cases are then solved again)."""
    try:
        with open(journal, newline="", encoding="utf-8") as fh:
            reader = csv.reader(fh)
            if tuple(next(reader, ())) != JOURNAL_COLUMNS:
                return {}
            out = {}
            for r in reader:
                if len(r) != len(JOURNAL_COLUMNS) or len(r[7]) != 64:
                    continue  # a line cut short by a kill (the digest comes last)
                out[r[7]] = FailureRow(r[0], float(r[1]), r[2], float(r[3]), float(r[4]),
                                       tuple(r[5].split("; ")) if r[5] else (), r[6])
            return out
    except (OSError, ValueError, UnicodeDecodeError):
        return {}


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
