"""Right-preconditioned GMRES for a few iterations on a kept LU (linalg.LinearSolver's reuse path).

Why not scipy's ``gmres``: it preconditions on the left, so its inner loop watches the
preconditioned residual while the stopping test is on the true one.  With ``maxiter=1`` (one
cycle, then give up and factorise afresh) it gave up on 165 of 726 solves of the flagship sizing
whose true residual an old LU brings under the tolerance in 2-5 iterations: its inner loop had
stopped early on the preconditioned residual, and the restarts that would have finished the job
were not allowed.  On the right, the residual GMRES minimises is the true one, b - A x, so the
test and the iteration agree.  It also costs less per call (scipy's set-up is ~1 ms, more than
the two or three triangular solves a call takes on a 4 500-node unit).
"""
from __future__ import annotations

import math

import numpy as np


def gmres_right(matvec, precondition, b: np.ndarray, rtol: float, max_iterations: int, x0=None):
    """(x, iterations) with ||b - A x||_2 <= rtol ||b||_2 within ``max_iterations`` iterations, or
    (None, iterations) when it is not reached.  ``matvec(v)`` = A v, ``precondition(v)`` ~ A^-1 v.
    No restart: the caller has something better to do than a second cycle (a fresh LU)."""
    target = rtol * float(np.linalg.norm(b))
    x = np.zeros_like(b, dtype=float) if x0 is None else np.array(x0, float)
    r = b - matvec(x) if x0 is not None else np.array(b, float)
    beta = float(np.linalg.norm(r))
    if beta <= target:
        return x, 0
    m = max_iterations
    basis = np.empty((m + 1, b.size))  # rows: the orthonormal Krylov basis of A M
    directions = np.empty((m, b.size))  # rows: M applied to each basis vector
    hess = np.zeros((m + 1, m))
    cos, sin = np.zeros(m), np.zeros(m)
    g = np.zeros(m + 1)  # the rotated right-hand side: |g[k+1]| is the residual norm after k+1 steps
    g[0] = beta
    basis[0] = r / beta
    for k in range(m):
        directions[k] = precondition(basis[k])
        w = matvec(directions[k])
        # classical Gram-Schmidt, twice (as accurate as modified, in two matrix-vector products)
        h = basis[:k + 1] @ w
        w -= h @ basis[:k + 1]
        h2 = basis[:k + 1] @ w
        w -= h2 @ basis[:k + 1]
        h += h2
        h_next = float(np.linalg.norm(w))
        col = np.append(h, h_next)
        for i in range(k):  # the earlier rotations on the new column
            col[i], col[i + 1] = cos[i] * col[i] + sin[i] * col[i + 1], -sin[i] * col[i] + cos[i] * col[i + 1]
        rho = math.hypot(col[k], col[k + 1])
        if rho == 0.0:  # A M v = 0: a singular system; nothing more to gain here
            return None, k + 1
        cos[k], sin[k] = col[k] / rho, col[k + 1] / rho
        col[k], col[k + 1] = rho, 0.0
        hess[:k + 2, k] = col
        g[k + 1] = -sin[k] * g[k]
        g[k] = cos[k] * g[k]
        if abs(g[k + 1]) <= target or h_next == 0.0:
            y = _back_substitute(hess[:k + 1, :k + 1], g[:k + 1])
            x_k = x + y @ directions[:k + 1]
            # the rotations' estimate is exact only in exact arithmetic: check the real thing (one
            # product), and go on iterating where round-off left it just short
            if float(np.linalg.norm(b - matvec(x_k))) <= target:
                return x_k, k + 1
            if h_next == 0.0:
                return None, k + 1
        basis[k + 1] = w / h_next
    return None, m


def _back_substitute(upper: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    n = rhs.size
    y = np.empty(n)
    for i in range(n - 1, -1, -1):
        y[i] = (rhs[i] - upper[i, i + 1:] @ y[i + 1:]) / upper[i, i]
    return y
