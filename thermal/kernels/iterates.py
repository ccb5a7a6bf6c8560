"""One-pass bookkeeping of Newton's iterates and of the time stepper's predictor.

Each of these replaced two to five numpy expressions, each a pass over n nodes with its own
temporary (at 10^6 nodes ~1-3 ms a pass, and a fresh 8 MB temporary costs its page faults too):
measured on the N = 1024 reference transient, the Newton driver's own time was ~37 ms a step and
the quadratic predictor 9.5 ms.
"""
import numpy as np
from numba import njit


@njit(cache=True)
def scan_step(step, t_k, fixed):
    """(all finite, lam, max |step| over free nodes) of a Newton step: lam is the largest fraction
    of the step (<= 1) that keeps every temperature above half its value (T^4 makes large steps
    towards 0 K overshoot)."""
    finite = True
    lam = 1.0
    shrink = False
    largest = 0.0
    for i in range(step.size):
        s = step[i]
        if not np.isfinite(s):
            finite = False
            continue
        if s < -0.5 * t_k[i]:
            ratio = -0.5 * t_k[i] / s
            lam = ratio if not shrink else min(lam, ratio)
            shrink = True
        if fixed[i] == 0:
            largest = max(largest, abs(s))
    return finite, lam, largest


@njit(cache=True)
def diagonal_norm(a_data, diag_pos):
    """||diag A||_2 of a CSR matrix's values given the diagonal's positions."""
    s = 0.0
    for i in range(diag_pos.size):
        d = a_data[diag_pos[i]]
        s += d * d
    return np.sqrt(s)


@njit(cache=True)
def add_scaled(t_k, lam, step, out):
    """out = t + lam step; returns max |out| (NaN if out holds one)."""
    largest = 0.0
    nan = False
    for i in range(out.size):
        v = t_k[i] + lam * step[i]
        out[i] = v
        a = abs(v)
        if a > largest:
            largest = a
        elif a != a:
            nan = True
    return np.nan if nan else largest


@njit(cache=True)
def quadratic(c0, x0, c1, x1, c2, x2, out):
    """out = c0 x0 + c1 x1 + c2 x2 (a Lagrange extrapolation through three states)."""
    for i in range(out.size):
        out[i] = c0 * x0[i] + c1 * x1[i] + c2 * x2[i]


@njit(cache=True)
def guarded_guess(pred, t_k, stores, out):
    """Newton's first guess: the predictor where a node stores heat, kept above half the present
    temperature; the present temperature elsewhere."""
    for i in range(out.size):
        out[i] = max(pred[i], 0.5 * t_k[i]) if stores[i] else t_k[i]
