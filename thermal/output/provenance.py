"""Where a result came from: package version, source revision and the time of the run, for reports
that someone signs or compares later."""
from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

from thermal.constants import VERSION

PACKAGE_DIR = Path(__file__).resolve().parent.parent


def source_revision() -> str:
    """The git revision of the installed package's source tree (and whether it has local changes), or
    'unknown' outside a checkout (an installed wheel)."""
    try:
        rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=PACKAGE_DIR, capture_output=True, text=True,
                             timeout=5)
        dirty = subprocess.run(["git", "status", "--porcelain", "--", str(PACKAGE_DIR)], cwd=PACKAGE_DIR,
                               capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    if rev.returncode != 0:
        return "unknown"
    return rev.stdout.strip()[:12] + (" with local changes" if dirty.stdout.strip() else "")


def run_stamp() -> str:
    """UTC date and minute of now, as printed in reports."""
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def provenance_line() -> str:
    return f"thermal {VERSION}, source {source_revision()}, run {run_stamp()}"


def markdown_cell(text) -> str:
    """A value safe inside a Markdown table cell: '|' would end the cell, a newline the row."""
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")
