"""Where the C heap puts large arrays (glibc only; elsewhere nothing is changed).

glibc returns an array above its mmap threshold to the system when it is freed, but by default it
raises that threshold to the largest array freed so far (up to 32 MB).  A network build frees
hundreds of MB of temporaries; afterwards the solve's arrays came from a heap the build had left
fragmented and never given back.  Measured on the N = 1024 steady plate (peak RSS):

* default (dynamic threshold): 754 MB;
* the build on the heap at 32 MB, then malloc_trim and 4 MB for the solve: 742 MB;
* SOLVE_MMAP_BYTES = 4 MB for the whole run: 706 MB, the build ~0.1 s slower (0.39 against
  0.28 s: its temporaries are mapped afresh), a solve ~2 %.

So the threshold is held at 4 MB from the package's import on.  A user who set
MALLOC_MMAP_THRESHOLD_ keeps their setting.
"""
from __future__ import annotations

import ctypes
import os
import sys

M_MMAP_THRESHOLD = -3  # mallopt's parameter number (malloc.h)
SOLVE_MMAP_BYTES = 4 << 20


def map_large_arrays() -> bool:
    """Hold glibc's mmap threshold at SOLVE_MMAP_BYTES; False where nothing was changed."""
    if not sys.platform.startswith("linux") or "MALLOC_MMAP_THRESHOLD_" in os.environ:
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        return bool(libc.mallopt(M_MMAP_THRESHOLD, SOLVE_MMAP_BYTES))
    except (OSError, AttributeError):  # not glibc (musl): its own policy
        return False
