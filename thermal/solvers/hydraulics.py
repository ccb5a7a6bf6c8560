"""The flow in a loop's branches from its hydraulic network, at given fluid properties.

Unknowns: the mass flow of every branch, the pressure of every manifold but the pump's suction
manifold (the accumulator's reference, 0 gauge), the pump's pressure rise when the pump sets the
flow, and the valve's throttling pressure drop when there is a bypass valve.  Equations: every
branch's pressure balance (manifold pressures, pump rise on the pump's branch, valve throttling on
the bypass, Darcy-Weisbach losses), mass conservation at every manifold but the reference, the
pump's flow (or its curve), the valve's split.  Newton with a finite-difference Jacobian on scaled
unknowns (one difference per branch for its loss, which depends on its own flow only), from the solution of the same network with each branch linearised (a laminar
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
    net = _Network(loop, branch_dp, rho_pump_kg_m3, valve_position)
    # the linearised network (each loss R m with R from the branch at the reference flow) is linear in z
    linear_r = np.array([max(abs(branch_dp(b, net.m_ref)), 1e-30) / net.m_ref for b in range(net.nb)])
    z = np.zeros(net.n_unknown)
    if m_guess is not None and np.all(np.isfinite(m_guess)) and np.any(m_guess != 0.0):
        z[:net.nb] = m_guess / net.m_ref
    else:
        z = _newton(lambda v: net.residual(v, linear_r), lambda v: net.jacobian(v, linear_r), z, linear=True)
    z = _newton(net.residual, net.jacobian, z)
    m = _conserve(z[:net.nb] * net.m_ref, net.src, net.dst, net.manifolds)
    head = net.pump_rise(m[net.pump_b], z[net.k_head] * net.dp_ref)
    net.check_operating_point(m, head)
    m = np.where(m < 1e-12 * m[net.pump_b], 0.0, m)  # round-off of the projection on a closed branch
    dp = np.array([branch_dp(b, m[b]) for b in range(net.nb)])
    dpv = z[net.k_head + 1] * net.dp_ref if loop.valve is not None else 0.0
    return HydraulicSolution(m, dp, float(head), float(dpv), _newton.iterations)


class _Network:
    """One loop's hydraulic equations on scaled unknowns z = [m / m_ref (per branch), p / dp_ref
    (per manifold but the reference), head / dp_ref, valve throttling / dp_ref (with a valve)]."""

    def __init__(self, loop, branch_dp, rho_pump_kg_m3, valve_position):
        self.loop, self.rho_pump = loop, rho_pump_kg_m3
        self._branch_dp, self._losses = branch_dp, {}
        names = [b.name for b in loop.branches]
        self.names, self.nb = names, len(names)
        self.manifolds = list(loop.manifolds)
        self.pump_b = names.index(loop.pump.branch)
        self.ref = loop.branch(loop.pump.branch).source
        self.free_m = [m for m in self.manifolds if m != self.ref]
        self.src = [b.source for b in loop.branches]
        self.dst = [b.target for b in loop.branches]
        pump = loop.pump
        self.fixed_flow = pump.mass_flow_kg_s is not None or pump.volume_flow_m3_s is not None
        self.m_set = pump.mass_flow_kg_s if pump.mass_flow_kg_s is not None else \
            (pump.volume_flow_m3_s * rho_pump_kg_m3 if self.fixed_flow else None)
        self.curve_q = np.array([p[0] for p in pump.curve]) if not self.fixed_flow else None
        self.curve_dp = np.array([p[1] for p in pump.curve]) if not self.fixed_flow else None
        self.m_ref = self.m_set if self.fixed_flow else 0.5 * float(self.curve_q[-1]) * rho_pump_kg_m3
        self.dp_ref = max(abs(branch_dp(self.pump_b, self.m_ref)), 1.0)
        valve = loop.valve
        x = valve_position
        if valve is not None:
            x = 0.0 if x < STAGNANT_FRACTION else (1.0 if x > 1.0 - STAGNANT_FRACTION else x)
        self.x = x
        self.rad = names.index(valve.radiator_branch) if valve is not None else -1
        self.byp = names.index(valve.bypass_branch) if valve is not None else -1
        self.k_head = self.nb + len(self.free_m)
        self.n_unknown = self.k_head + 1 + (valve is not None)
        self.dead = dead_branches(loop)
        # a valve with one of its branches dead cannot split: all goes the other way, no throttling
        self.valve_acts = valve is not None and not self.dead[self.rad] and not self.dead[self.byp]
        # a manifold every branch of which is dead has no pressure to speak of: it is pinned at 0
        self.isolated = {mn for mn in self.free_m
                         if all(self.dead[b] for b in range(self.nb) if mn in (self.src[b], self.dst[b]))}

    def branch_dp(self, b, m_dot):
        """Branch b's loss at ``m_dot``, remembered for the current iterate: Newton's Jacobian
        differences the loss at the flows its residual has just evaluated (a third fewer calls of
        the property and friction laws)."""
        key = (b, float(m_dot))
        loss = self._losses.get(key)
        if loss is None:
            loss = self._losses[key] = self._branch_dp(b, m_dot)
        return loss

    def pump_rise(self, m_dot, head):
        """The pump's pressure rise: the unknown ``head`` for a flow-set pump, else its curve
        (continued linearly beyond its ends, so Newton can cross them; the check comes after)."""
        if self.fixed_flow:
            return head
        q, cq, cdp = m_dot / self.rho_pump, self.curve_q, self.curve_dp
        if q > cq[-1]:
            return cdp[-1] + (cdp[-1] - cdp[-2]) / (cq[-1] - cq[-2]) * (q - cq[-1])
        if q < cq[0]:
            return cdp[0] + (cdp[1] - cdp[0]) / (cq[1] - cq[0]) * (q - cq[0])
        return float(np.interp(q, cq, cdp))

    def residual(self, z, linear_r=None):
        nb, m = self.nb, z[:self.nb] * self.m_ref
        if linear_r is None:
            self._losses.clear()  # a new iterate: only its own losses are kept
        p = {self.ref: 0.0}
        p.update({mn: z[nb + i] * self.dp_ref for i, mn in enumerate(self.free_m)})
        head = z[self.k_head] * self.dp_ref
        dpv = z[self.k_head + 1] * self.dp_ref if self.loop.valve is not None else 0.0
        out = np.empty(self.n_unknown)
        for b in range(nb):
            if self.dead[b]:
                out[b] = m[b] / self.m_ref
                continue
            loss = linear_r[b] * m[b] if linear_r is not None else self.branch_dp(b, m[b])
            rise = self.pump_rise(m[b], head) if b == self.pump_b else 0.0
            throttle = dpv if b == self.byp else 0.0
            out[b] = (p[self.src[b]] - p[self.dst[b]] + rise - loss - throttle) / self.dp_ref
        for i, mn in enumerate(self.free_m):
            if mn in self.isolated:
                out[nb + i] = z[nb + i]
                continue
            into = sum(m[b] for b in range(nb) if self.dst[b] == mn)
            out[nb + i] = (into - sum(m[b] for b in range(nb) if self.src[b] == mn)) / self.m_ref
        k = self.k_head
        # a flow-set pump: its flow; a curve: the head unknown is unused (the curve sets the rise)
        out[k] = (m[self.pump_b] - self.m_set) / self.m_ref if self.fixed_flow else z[k]
        if self.loop.valve is not None:
            out[k + 1] = (m[self.rad] - self.x * (m[self.rad] + m[self.byp])) / self.m_ref if self.valve_acts \
                else z[k + 1]
        return out

    def jacobian(self, z, linear_r=None):
        """d residual / dz.  Each branch's loss depends on its own flow only, so its derivative is one
        difference per branch; the rest of the residual (pressures, pump, manifolds, valve) is
        linear or piecewise linear and is differenced with the losses left out, which calls no
        property or friction law: n + 1 loss evaluations per Newton iteration become 2 per branch."""
        n, nb = self.n_unknown, self.nb
        lossless = np.zeros(nb)
        f0 = self.residual(z, lossless)
        jac = np.empty((n, n))
        for j in range(n):
            zp = z.copy()
            zp[j] += 1e-7 * max(1.0, abs(z[j]))
            jac[:, j] = (self.residual(zp, lossless) - f0) / (zp[j] - z[j])
        for b in range(nb):
            if self.dead[b]:
                continue
            if linear_r is not None:
                slope = linear_r[b]
            else:
                m = z[b] * self.m_ref
                h = 1e-7 * max(1.0, abs(z[b])) * self.m_ref
                slope = (self.branch_dp(b, m + h) - self.branch_dp(b, m)) / h
            jac[b, b] -= slope * self.m_ref / self.dp_ref
        return jac

    def check_operating_point(self, m, head):
        loop, pump_b = self.loop, self.pump_b
        if not self.fixed_flow:
            q, cq = m[pump_b] / self.rho_pump, self.curve_q
            if q < cq[0] * (1 - 1e-9) or q > cq[-1] * (1 + 1e-9):
                raise ModelError(f"loop '{loop.name}': the pump cannot meet the loop's head: its curve covers "
                                 f"{cq[0] * 6e4:.4g}-{cq[-1] * 6e4:.4g} L/min but the loop settles at "
                                 f"{q * 6e4:.4g} L/min (pressure rise {head / 1e3:.4g} kPa); choose a stronger "
                                 "pump, wider tubes or fewer fittings")
        if m[pump_b] <= 0.0:
            raise ModelError(f"loop '{loop.name}': no flow through the pump (the pump cannot meet the loop's head)")
        backwards = [self.names[b] for b in range(self.nb) if m[b] < -1e-9 * abs(m[pump_b])]
        if backwards:
            raise ModelError(f"loop '{loop.name}': flow runs backwards in branch(es) {', '.join(backwards)}: the "
                             "branch directions (from -> to) are inconsistent with the pressures the pump sets")
        max_rise = loop.pump.max_rise_pa
        if max_rise is not None and head > max_rise:
            raise ModelError(f"loop '{loop.name}': the pump cannot meet the loop's head ({head / 1e3:.4g} kPa "
                             f"needed, {max_rise / 1e3:.4g} kPa available)")


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


def _newton(fun, jacobian, z, linear=False):
    """Newton on ``fun`` with ``jacobian(z)``; ``_newton.iterations`` keeps the last count."""
    for it in range(1, MAX_ITER + 1):
        f = fun(z)
        jac = jacobian(z)
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
