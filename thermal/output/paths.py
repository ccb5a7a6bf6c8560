"""Where results may be written: checked before a solve, so that a bad location costs nothing
and an input file is never replaced by a result."""
from __future__ import annotations

import os
import re
from pathlib import Path

from thermal.errors import OutputError

MAX_NAME = 100  # characters of a case name used for a default file name


def default_output(case_name: str, suffix: str = ".h5") -> Path:
    """A file in the current folder named after the case, with every character that could leave
    the folder or confuse a shell ('/', '..', NUL, spaces, ...) replaced: the name is the user's
    text, not a path."""
    stem = re.sub(r"[^A-Za-z0-9_.-]", "_", case_name).strip(".")[:MAX_NAME] or "case"
    return Path(stem + suffix)


def check_output(path, inputs=()) -> Path:
    """``path`` if a result can be written there: not a folder, in a folder that exists and is
    writable, not one of the ``inputs`` (the case file); else OutputError (exit 2) saying why."""
    path = Path(path)
    if path.is_dir():
        raise OutputError(f"output {path}: is a folder; give a file name such as {path / 'result.h5'}")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise OutputError(f"output {path}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"output {path}: cannot write in the folder {folder} (permission denied)")
    if path.exists() and not os.access(path, os.W_OK):
        raise OutputError(f"output {path}: the file exists and is read-only")
    for source in inputs:
        if source and Path(source).exists() and path.exists() and os.path.samefile(path, source):
            raise OutputError(f"output {path}: is the input file {source}; a result never replaces its input")
    return path
