"""Fixed-step backward Euler (the reference benchmark's scheme), run by the BDF driver.

Each step solves  m (H(T^{n+1}) - H(T^n)) / dt = F(T^{n+1})  by Newton from T^n.  Backward Euler
with the enthalpy form conserves energy exactly at the discrete level, so each step's balance
(generated + absorbed - radiated - stored - conducted out) closes to the Newton tolerance.
There is one time stepper (``adaptive.solve_transient_adaptive``); this is its fixed-step mode:
whole steps of dt, a step shortened only to land on an event (eclipse entry or exit, a schedule
switch) or on the end time, and output every ``output_every`` steps or at the case's ``output_times``.
"""
from __future__ import annotations

import numpy as np

from thermal.solvers.steady import Solution
from thermal.solvers.stepper import AdaptiveSettings, solve_transient_adaptive


def solve_transient_fixed_step(net, settings, transient, assembler=None, linear=None, on_output=None,
                               progress=False, environment=None, step_hook=None, state=None, checkpoint=None,
                               resume=None) -> Solution:
    """March from the initial temperature; ``on_output(time_s, t_k, balance)`` is called at each output.

    With an ``environment`` the face fluxes are those at the end of each step (backward Euler) and the
    steps land on its events.  ``checkpoint`` and ``resume`` as in ``solve_transient_adaptive``."""
    dt = transient.time_step_s
    end = transient.end_time_s
    events = environment.events(end) if environment is not None else []
    if transient.output_times_s is not None:  # the case's own output times (the steps land on them)
        output_times = list(transient.output_times_s)
    else:  # every output_every whole steps (the steps shortened at events do not count)
        n_out = int(np.floor(end / (dt * transient.output_every) + 1e-9))
        output_times = [k * transient.output_every * dt for k in range(1, n_out + 1)]
    return solve_transient_adaptive(net, settings, end, AdaptiveSettings(order=1, dt_initial_s=dt, fixed_step=True),
                                    environment=environment, events=events, on_output=on_output,
                                    output_times=output_times, progress=progress, assembler=assembler,
                                    linear=linear, step_hook=step_hook, state=state,
                                    checkpoint=checkpoint, resume=resume)
