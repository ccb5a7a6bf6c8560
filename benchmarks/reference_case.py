"""The reference plate of ../shared/bench/PROBLEM.md as a case, at any size (for the benchmark scripts)."""
from pathlib import Path

from thermal.input.case_file import parse_case
from thermal.input.overrides import case_text_with

ROOT = Path(__file__).resolve().parents[1]


def plate_case(n, mode, **extra):
    """The reference plate at N x N; a transient is 360 steps of 10 s, output every 6."""
    text = (ROOT / "cases" / "reference_plate.toml").read_text()
    over = {"panels.plate.cells": [n, n], **extra}
    if mode == "transient":
        over.update({"case.mode": "transient",
                     "transient": {"time_step": "10 s", "end_time": "3600 s", "output_every": 6}})
    return parse_case(case_text_with(text, over, create=True))
