"""The flow in a loop's branches from its hydraulic network, at given fluid properties.

Unknowns: the mass flow of every branch, the pressure of every manifold but the pump's suction
manifold (the accumulator's reference, 0 gauge), the pump's pressure rise when the pump sets the
flow, and the valve's throttling pressure drop when there is a bypass valve.  Equations: every
branch's pressure balance (manifold pressures, pump rise on the pump's branch, valve throttling on
the bypass, Darcy-Weisbach losses), mass conservation at every manifold but the reference, the
pump's flow (or its curve), the valve's split.  Newton with a finite-difference Jacobian on scaled
unknowns, from the solution of the same network with each branch linearised (a laminar
resistance), so that parallel branches start from a sensible split.  The converged flows are then
projected onto mass conservation exactly (least squares on the manifold incidence), so that the
energy the loop carries closes to round-off whatever the Newton tolerance.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from thermal.errors import ConvergenceError, ModelError

TOL = 1e-12  # on the scaled unknowns
MAX_ITER = 60
STAGNANT_FRACTION = 1e-6  # a valve this close to a stop is at the stop: the branch is still


@dataclass
class HydraulicSolution:
    mass_flow_kg_s: np.ndarray
    branch_dp_pa: np.ndarray  # friction and fittings loss of each branch at its flow
    pump_head_pa: float
    valve_dp_pa: float
    iterations: int


def solve_hydraulics(loop, branch_dp, rho_pump_kg_m3: float, valve_position: float | None,
                     m_guess: np.ndarray | None = None) -> HydraulicSolution:
    """``branch_dp(b, m_dot) -> Pa``: branch b's loss at mass flow m_dot (odd in m_dot), with the
    fluid properties of the moment."""
    names = [b.name for b in loop.branches]
    nb = len(names)
    manifolds = list(loop.manifolds)
    pump_b = names.index(loop.pump.branch)
    ref = loop.branch(loop.pump.branch).source
    free_m = [m for m in manifolds if m != ref]
    col = {m: i for i, m in enumerate(free_m)}
    src = [b.source for b in loop.branches]
    dst = [b.target for b in loop.branches]
    fixed_flow = loop.pump.mass_flow_kg_s is not None or loop.pump.volume_flow_m3_s is not None
    m_set = loop.pump.mass_flow_kg_s if loop.pump.mass_flow_kg_s is not None else \
        (loop.pump.volume_flow_m3_s * rho_pump_kg_m3 if fixed_flow else None)
    valve = loop.valve
    x = valve_position if valve is not None else None
    if x is not None and x < STAGNANT_FRACTION:
        x = 0.0
    if x is not None and x > 1.0 - STAGNANT_FRACTION:
        x = 1.0
    curve_q = np.array([p[0] for p in loop.pump.curve]) if not fixed_flow else None
    curve_dp = np.array([p[1] for p in loop.pump.curve]) if not fixed_flow else None
    m_ref = m_set if fixed_flow else 0.5 * float(curve_q[-1]) * rho_pump_kg_m3
    dp_ref = max(abs(branch_dp(pump_b, m_ref)), 1.0)
    rad = names.index(valve.radiator_branch) if valve is not None else -1
    byp = names.index(valve.bypass_branch) if valve is not None else -1
    n_unknown = nb + len(free_m) + 1 + (valve is not None)
    failed = dead_branches(loop)
    # a valve with one of its branches dead cannot split: all goes the other way, no throttling
    valve_acts = valve is not None and not failed[rad] and not failed[byp]
    # a manifold every branch of which is dead has no pressure to speak of: it is pinned at 0
    isolated = {mn for mn in free_m if all(failed[b] for b in range(nb) if mn in (src[b], dst[b]))}

    def pump_rise(m_dot, head):
        if fixed_flow:
            return head
        q = m_dot / rho_pump_kg_m3
        slope = (curve_dp[-1] - curve_dp[-2]) / (curve_q[-1] - curve_q[-2])
        if q > curve_q[-1]:  # beyond the curve: the last segment, continued (the check comes after)
            return curve_dp[-1] + slope * (q - curve_q[-1])
        if q < curve_q[0]:
            slope0 = (curve_dp[1] - curve_dp[0]) / (curve_q[1] - curve_q[0])
            return curve_dp[0] + slope0 * (q - curve_q[0])
        return float(np.interp(q, curve_q, curve_dp))

    def residual(z, linear_r=None):
        m = z[:nb] * m_ref
        p = {ref: 0.0}
        p.update({mn: z[nb + i] * dp_ref for i, mn in enumerate(free_m)})
        head = z[nb + len(free_m)] * dp_ref
        dpv = z[nb + len(free_m) + 1] * dp_ref if valve is not None else 0.0
        out = np.empty(n_unknown)
        for b in range(nb):
            if failed[b]:
                out[b] = m[b] / m_ref
                continue
            loss = linear_r[b] * m[b] if linear_r is not None else branch_dp(b, m[b])
            rise = pump_rise(m[b], head) if b == pump_b else 0.0
            throttle = dpv if b == byp else 0.0
            out[b] = (p[src[b]] - p[dst[b]] + rise - loss - throttle) / dp_ref
        for i, mn in enumerate(free_m):
            if mn in isolated:
                out[nb + i] = z[nb + i]
                continue
            out[nb + i] = (sum(m[b] for b in range(nb) if dst[b] == mn) - sum(m[b] for b in range(nb) if src[b] == mn)) \
                / m_ref
        k = nb + len(free_m)
        out[k] = (m[pump_b] - m_set) / m_ref if fixed_flow else 0.0
        if not fixed_flow:
            out[k] = z[k]  # the head unknown is unused: the curve sets the rise
        if valve is not None:
            out[k + 1] = (m[rad] - x * (m[rad] + m[byp])) / m_ref if valve_acts else z[k + 1]
        return out

    # the linearised network (each loss R m with R from the branch at the reference flow) is linear in z
    linear_r = np.array([max(abs(branch_dp(b, m_ref)), 1e-30) / m_ref for b in range(nb)])
    z = np.zeros(n_unknown)
    if m_guess is not None and np.all(np.isfinite(m_guess)) and np.any(m_guess != 0.0):
        z[:nb] = m_guess / m_ref
    else:
        z = _newton(lambda v: residual(v, linear_r), z, linear=True)
    z = _newton(residual, z)
    m = z[:nb] * m_ref
    m = _conserve(m, src, dst, manifolds)
    head = pump_rise(m[pump_b], z[nb + len(free_m)] * dp_ref)
    if not fixed_flow:
        q = m[pump_b] / rho_pump_kg_m3
        if q < curve_q[0] * (1 - 1e-9) or q > curve_q[-1] * (1 + 1e-9):
            raise ModelError(f"loop '{loop.name}': the pump cannot meet the loop's head: its curve covers "
                             f"{curve_q[0] * 6e4:.4g}-{curve_q[-1] * 6e4:.4g} L/min but the loop settles at "
                             f"{q * 6e4:.4g} L/min (pressure rise {head / 1e3:.4g} kPa); choose a stronger pump, "
                             "wider tubes or fewer fittings")
    if m[pump_b] <= 0.0:
        raise ModelError(f"loop '{loop.name}': no flow through the pump (the pump cannot meet the loop's head)")
    reversed_ = [names[b] for b in range(nb) if m[b] < -1e-9 * abs(m[pump_b])]
    if reversed_:
        raise ModelError(f"loop '{loop.name}': flow runs backwards in branch(es) {', '.join(reversed_)}: the "
                         "branch directions (from -> to) are inconsistent with the pressures the pump sets")
    m = np.where(m < 1e-12 * m[pump_b], 0.0, m)  # round-off of the projection on a closed branch
    dp = np.array([branch_dp(b, m[b]) for b in range(nb)])
    dpv = z[nb + len(free_m) + 1] * dp_ref if valve is not None else 0.0
    max_rise = loop.pump.max_rise_pa
    if max_rise is not None and head > max_rise:
        raise ModelError(f"loop '{loop.name}': the pump cannot meet the loop's head ({head / 1e3:.4g} kPa needed, "
                         f"{max_rise / 1e3:.4g} kPa available)")
    return HydraulicSolution(m, dp, float(head), float(dpv), _newton.iterations)


def dead_branches(loop) -> list[bool]:
    """Branches that carry no flow: failed ones, and those no longer on any closed path of working
    branches (a branch whose only way back runs through a failed one dead-ends)."""
    working = [b for b in loop.branches if not b.failed]
    out = []
    for b in loop.branches:
        if b.failed:
            out.append(True)
            continue
        seen, todo = {b.target}, [b.target]  # can the flow get from its target back to its source?
        while todo:
            here = todo.pop()
            for w in working:
                if w.source == here and w.target not in seen:
                    seen.add(w.target)
                    todo.append(w.target)
        out.append(b.source not in seen)
    return out


def _newton(fun, z, linear=False):
    """Newton with a forward-difference Jacobian; ``_newton.iterations`` keeps the last count."""
    n = z.size
    for it in range(1, MAX_ITER + 1):
        f = fun(z)
        jac = np.empty((n, n))
        for j in range(n):
            h = 1e-7 * max(1.0, abs(z[j]))
            zp = z.copy()
            zp[j] += h
            jac[:, j] = (fun(zp) - f) / h
        try:
            step = np.linalg.solve(jac, -f)
        except np.linalg.LinAlgError:
            raise ConvergenceError("hydraulic network: singular Jacobian (a branch with no path for its flow?)") \
                from None
        z = z + step
        _newton.iterations = it
        if linear or np.max(np.abs(step)) <= TOL * max(1.0, np.max(np.abs(z))):
            if linear and it < 2:
                continue  # a linear system: one more pass polishes the finite-difference Jacobian's error
            return z
    raise ConvergenceError(f"hydraulic network: Newton did not converge in {MAX_ITER} iterations "
                           f"(last step {np.max(np.abs(step)):.3g})")


_newton.iterations = 0


def _conserve(m, src, dst, manifolds):
    """The flows nearest to ``m`` that conserve mass at every manifold to round-off."""
    inc = np.zeros((len(manifolds), m.size))
    for b in range(m.size):
        inc[manifolds.index(dst[b]), b] += 1.0
        inc[manifolds.index(src[b]), b] -= 1.0
    correction = np.linalg.lstsq(inc, inc @ m, rcond=None)[0]
    return m - correction
