"""Drivers: they own loops, stopping rules, linear algebra and progress; physics stays in kernels."""
from thermal.solvers.newton import NewtonResult, newton_solve
from thermal.solvers.steady import solve_steady
from thermal.solvers.transient import solve_transient_fixed_step

__all__ = ["NewtonResult", "newton_solve", "solve_steady", "solve_transient_fixed_step"]
