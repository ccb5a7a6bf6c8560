"""Steady state: Newton from a uniform first guess; the energy balance is checked on the answer."""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from thermal.errors import EnergyBalanceError
from thermal.solvers.linalg import linear_solver_for
from thermal.solvers.newton import newton_solve
from thermal.solvers.system import Assembler, EnergyBalance

BALANCE_LIMIT = 1e-6  # relative; a converged Newton solution closes to ~1e-12, far below this


@dataclass
class Solution:
    """Temperatures at the output times, with the energy balance of each."""

    times_s: np.ndarray
    t_k: np.ndarray  # (nt, n_nodes)
    energy: list  # EnergyBalance per output time
    newton_iterations: int
    linear_method: str
    wall_s: float
    timings: dict = field(default_factory=dict)
    linear_stats: object = None
    steps_accepted: int = 0  # time steps (transients)
    steps_rejected: int = 0
    state: object = field(default=None, repr=False)  # the run state at the end (films, wetted fractions)


def check_balance(balance: EnergyBalance, context: str):
    if not abs(balance.relative_error) <= BALANCE_LIMIT:
        raise EnergyBalanceError(f"{context}: energy balance does not close: generated {balance.generated_w:.6g} W"
                                 f" + absorbed {balance.absorbed_w:.6g} W - radiated {balance.radiated_w:.6g} W"
                                 f" - stored {balance.stored_w:.6g} W - conducted out {balance.conducted_out_w:.6g} W"
                                 f" = {balance.error_w:.3g} W (relative {balance.relative_error:.2e})")


def solve_steady(net, settings, assembler=None, linear=None, t_initial=None, state=None) -> Solution:
    """Newton on F(T) = 0 with the loads, fluxes and films of the run ``state`` (a fresh one from
    the network's base values if none is given; ignored when an ``assembler`` brings its own)."""
    start = time.perf_counter()
    assembler = assembler or Assembler(net, state)
    linear = linear or linear_solver_for(net, settings)
    t0 = assembler.initial_state(settings.initial_t_k) if t_initial is None else t_initial.copy()
    result = newton_solve(assembler, linear, t0, settings, context=" (steady state)")
    balance = assembler.energy(result.t_k)
    check_balance(balance, "steady state")
    return Solution(np.zeros(1), result.t_k[None, :], [balance], result.iterations, linear.method,
                    time.perf_counter() - start, linear_stats=linear.stats, state=assembler.state)
