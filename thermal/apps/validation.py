"""`thermal validate`: solve each validation case and compare with its closed form.

Cases ship inside the package (``thermal/data/validation/*.toml``, so an installed wheel can run
them from any folder); the expected answers come from
:mod:`thermal.analytic` (closed forms, or scipy's solve_bvp to 1e-10), never from our own output.
Each check has a tolerance derived from the physics or from round-off, stated beside it.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np
from scipy.integrate import solve_ivp
from scipy.optimize import brentq

from thermal.apps.solve import solve
from thermal.build.environment import Environment
from thermal.constants import SIGMA_W_M2K4
from thermal.build.network import build_network
from thermal.errors import ThermalError
from thermal.input.case_file import parse_case
from thermal.input.overrides import case_text_with
from thermal.output.plotting import pyplot, save_figure
from thermal.output.provenance import markdown_cell, provenance_line
from thermal.output.results import result_from_solution
from thermal.physics import analytic, channel_flow, coolants, pcm, two_phase, vchp
from thermal.physics import view_factors as vf
from thermal.physics.fluids import saturation
from thermal.physics.heat_pipes import capillary_limit_w
from thermal.physics.orbit import R_EARTH_M, OrbitGeometry, critical_beta_rad, eclipse_fraction, view_factor_to_sphere
from thermal.solvers import solve_steady
from thermal.solvers.heat_pipes import FRONT_T_TOL_K, film_heat_w, solve_steady_with_pipes
from thermal.solvers.run_state import RunState
from thermal.solvers.stepper import AdaptiveSettings, solve_transient_adaptive
from thermal.solvers.system import Assembler

CASES_DIR = resources.files("thermal").joinpath("data", "validation")  # package data
BALANCE_TOL = 1e-10  # relative: a converged Newton state closes to n*eps


@dataclass
class Check:
    case: str
    quantity: str
    value: float
    expected: float
    error: float
    tolerance: float
    unit: str
    note: str = ""
    # "abs": |error| <= tolerance; "above": value must exceed `expected` (a bound, not a target);
    # "exact": value must equal `expected` bit for bit (e.g. a fully blocked view factor)
    kind: str = "abs"

    @property
    def passed(self) -> bool:
        if self.kind == "above":
            return bool(np.isfinite(self.value) and self.value > self.expected)
        if self.kind == "exact":
            return bool(self.value == self.expected)
        return bool(np.isfinite(self.error) and abs(self.error) <= self.tolerance)

    def requirement(self) -> str:
        """The pass rule in words, as the reports print it."""
        if self.kind == "above":
            return f"> {self.expected:.10g}"
        if self.kind == "exact":
            return "exactly"
        return f"{self.tolerance:.3e}"


@dataclass
class Report:
    checks: list = field(default_factory=list)
    figures: list = field(default_factory=list)
    orders: dict = field(default_factory=dict)
    wall_s: float = 0.0

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    def add(self, *args, **kw):
        self.checks.append(Check(*args, **kw))

    def table(self) -> str:
        rows = ["| case | quantity | value | expected | error | tolerance | pass |", "|---|---|---|---|---|---|---|"]
        for c in self.checks:
            cells = [c.case, c.quantity, f"{c.value:.10g} {c.unit}".strip(),
                     ("> " if c.kind == "above" else "") + f"{c.expected:.10g} {c.unit}".strip(),
                     f"{c.error:.3e}", c.requirement(), "yes" if c.passed else "**NO**"]
            rows.append("| " + " | ".join(markdown_cell(x) for x in cells) + " |")
        return "\n".join(rows)

    def summary(self) -> str:
        failed = [c for c in self.checks if not c.passed]
        lines = [f"{'case':<22}{'quantity':<38}{'error':>12}{'tolerance':>12}  ok"]
        for c in self.checks:
            lines.append(f"{c.case:<22}{c.quantity:<38}{c.error:>12.3e}{c.requirement():>12}  "
                         f"{'yes' if c.passed else 'NO'}")
        lines.append(f"\n{len(self.checks) - len(failed)}/{len(self.checks)} checks passed in {self.wall_s:.1f} s")
        return "\n".join(lines)


def _case(name: str, overrides: dict | None = None, cases_dir=CASES_DIR):
    path = cases_dir / f"{name}.toml"
    if not path.is_file():
        raise ThermalError(f"validation case {path} not found: the package data is incomplete (reinstall thermal)")
    text = path.read_text(encoding="utf-8")
    if overrides:
        text = case_text_with(text, overrides, str(path))
    case = parse_case(text, str(path))
    return case


def _solve_steady(case, net=None, out_dir: Path | None = None, tag: str = ""):
    net = net or build_network(case)
    sol = solve_steady(net, case.solver)
    if out_dir is not None:
        result = result_from_solution(case, net, sol, {"case_file": case.file})
        result.write(out_dir / f"{case.name}{tag}.h5")
    return net, sol


def _balance(report, name, sol):
    """The worst step's energy balance (a steady solve has one; a transient's initial state has none)."""
    steps = sol.energy[1:] if len(sol.energy) > 1 else sol.energy
    worst = max((b.relative_error for b in steps), key=abs)
    label = "energy balance (relative)" if len(steps) == 1 else f"energy balance, worst of {len(steps)} steps (relative)"
    report.add(name, label, worst, 0.0, worst, BALANCE_TOL, "")


def _newton_tol(case, t_k):
    """What the Newton stopping rule guarantees on T (after quadratic convergence, usually far less)."""
    return 10 * case.solver.step_tolerance * float(np.max(t_k))


def check_isothermal(report, out_dir, quick):
    for faces in (2, 1):
        over = {} if faces == 2 else {"panels.plate.faces": {"top": {"coating": "black_paint"}}}
        case = _case("isothermal_plate", over)
        net, sol = _solve_steady(case, out_dir=out_dir, tag=f"_{faces}face")
        t = sol.t_k[0]
        coat = case.coatings["black_paint"]
        expect = analytic.isothermal_plate_k(500.0, 0.5, coat.eps, faces, case.t_sink_k)
        err = float(np.max(np.abs(t - expect)))
        report.add(f"isothermal_{faces}face", "max |T - T_SB|", float(t.max()), expect, err, _newton_tol(case, t), "K",
                   "P = faces eps sigma A (T^4 - T_sink^4)")
        _balance(report, f"isothermal_{faces}face", sol)


def check_absorbed(report, out_dir, quick):
    case = _case("absorbed_flux")
    net, sol = _solve_steady(case, out_dir=out_dir)
    t = sol.t_k[0]
    c = case.coatings["white_paint"]
    expect = analytic.absorbed_flux_plate_k(c.alpha, c.eps, 1361.0, 237.0, 2, case.t_sink_k)
    err = float(np.max(np.abs(t - expect)))
    report.add("absorbed_flux", "max |T - T_balance|", float(t.max()), expect, err, _newton_tol(case, t), "K",
               "alpha q_s + eps q_ir = 2 eps sigma (T^4 - T_sink^4)")
    _balance(report, "absorbed_flux", sol)


def _slab_error(n, out_dir=None):
    case = _case("radiating_slab", {"panels.slab.layers.slab.cells": n})
    net, sol = _solve_steady(case, out_dir=out_dir)
    mesh = net.meshes["slab"]
    idx = net.node_index["slab"][:, 0, 0]
    zc = 0.5 * (mesh.z_edges_m[1:] + mesh.z_edges_m[:-1])
    q = 800.0 / 0.05
    exact, _ = analytic.radiating_slab(zc, 0.05, q, 2.0, case.coatings["grey"].eps, case.t_sink_k)
    err = float(np.max(np.abs(sol.t_k[0][idx] - exact)))
    h = 0.05 / n
    return h, err, q * h * h / (8 * 2.0), sol, case


def check_slab(report, out_dir, quick):
    ns = (4, 8, 16) if quick else (4, 8, 16, 32)
    hs, errs = [], []
    for n in ns:
        h, err, predicted, sol, case = _slab_error(n, out_dir if n == ns[-1] else None)
        hs.append(h)
        errs.append(err)
    # the discrete solution is the exact one shifted by q h^2 / (8 k) (see thermal/data/validation/radiating_slab.toml)
    report.add("radiating_slab", f"max cell error, {ns[-1]} cells", errs[-1], predicted, errs[-1] - predicted,
               _newton_tol(case, sol.t_k[0]) + 1e-9 * predicted, "K", "error = q h^2 / (8 k) exactly")
    order = analytic.observed_order(hs, errs)
    report.add("radiating_slab", "observed order (through thickness)", order, 2.0, order - 2.0, 0.1, "")
    report.orders["radiating_slab"] = (hs, errs)
    _balance(report, "radiating_slab", sol)


def _fin_error(n, out_dir=None):
    case = _case("radiating_fin", {"panels.fin.cells": [n, 1]})
    net, sol = _solve_steady(case, out_dir=out_dir)
    mesh = net.meshes["fin"]
    xc = 0.5 * (mesh.x_edges_m[1:] + mesh.x_edges_m[:-1])
    t = sol.t_k[0][net.node_index["fin"][0, 0, :]]
    eps = case.coatings["fin"].eps
    k = case.materials["fin_al"].k_inplane(300.0)
    t_of_x, q_per_width, eff = analytic.radiating_fin(0.3, 0.001, k, eps, 350.0, case.t_sink_k)
    err = float(np.max(np.abs(t - t_of_x(xc))))
    width = 0.05
    q_base = -sol.energy[0].conducted_out_w  # heat the base node gives the fin
    curvature = 2 * eps * SIGMA_W_M2K4 * (350.0**4 - case.t_sink_k**4) / (k * 0.001)
    return dict(h=0.3 / n, err=err, t=t, xc=xc, t_exact=t_of_x, q=q_base, q_exact=q_per_width * width,
                eff=q_base / (2 * eps * SIGMA_W_M2K4 * 0.3 * width * (350.0**4 - case.t_sink_k**4)),
                eff_exact=eff, curvature=curvature, sol=sol, case=case)


def check_fin(report, out_dir, quick):
    ns = (25, 50, 100) if quick else (25, 50, 100, 200)
    runs = [_fin_error(n, out_dir if n == ns[-1] else None) for n in ns]
    last = runs[-1]
    # leading error term, as for the slab: h^2 T''(0) / 8 at the base half-cell; 10% for higher orders
    bound = 1.1 * last["h"] ** 2 * last["curvature"] / 8
    worst = int(np.argmax(np.abs(last["t"] - last["t_exact"](last["xc"]))))
    report.add("radiating_fin", f"T at the worst of {ns[-1]} cells vs T_bvp there", float(last["t"][worst]),
               float(last["t_exact"](last["xc"][worst])), last["err"], bound, "K",
               "k t T'' = 2 eps sigma (T^4 - T_sink^4), solve_bvp tol 1e-9")
    # the base heat flow is what the fin radiates: a T error of at most `bound` changes it by at most
    # 2 faces x 4 eps sigma T_b^3 x area x bound
    eps = last["case"].coatings["fin"].eps
    q_tol = 2 * 4 * eps * SIGMA_W_M2K4 * 350.0**3 * (0.3 * 0.05) * bound
    report.add("radiating_fin", "base heat flow", last["q"], last["q_exact"], last["q"] - last["q_exact"], q_tol, "W")
    report.add("radiating_fin", "fin efficiency", last["eff"], last["eff_exact"], last["eff"] - last["eff_exact"],
               q_tol / abs(last["q_exact"]) * last["eff_exact"], "")
    order = analytic.observed_order([r["h"] for r in runs], [r["err"] for r in runs])
    report.add("radiating_fin", "observed order (along the fin)", order, 2.0, order - 2.0, 0.1, "")
    report.orders["radiating_fin"] = ([r["h"] for r in runs], [r["err"] for r in runs])
    report.fin_profile = last
    _balance(report, "radiating_fin", last["sol"])


def manufactured_error(n, out_dir=None):
    """Max |T - T_exact| at cell centres of the manufactured plate on an n x n grid."""
    case = _case("manufactured_plate", {"panels.plate.cells": [n, n]})
    net = build_network(case)
    mesh = net.meshes["plate"]
    mat = case.materials["mms"]
    eps = case.coatings["mms"].eps
    k, d = mat.k_inplane(400.0), 0.002
    # cell loads: 3x3 Gauss-Legendre integral of the manufactured source (exact to degree 5)
    g, w = np.polynomial.legendre.leggauss(3)
    xe, ye = mesh.x_edges_m, mesh.y_edges_m
    xq = 0.5 * (xe[1:] + xe[:-1])[:, None] + 0.5 * np.diff(xe)[:, None] * g[None, :]
    yq = 0.5 * (ye[1:] + ye[:-1])[:, None] + 0.5 * np.diff(ye)[:, None] * g[None, :]
    src = analytic.manufactured_plate_source(xq[None, :, None, :], yq[:, None, :, None], 400.0, 100.0, 1.0, 1.0,
                                             k, d, eps, case.t_sink_k)
    wq = (0.5 * np.diff(ye))[:, None, None, None] * (0.5 * np.diff(xe))[None, :, None, None] \
        * w[None, None, :, None] * w[None, None, None, :]
    loads = np.sum(src * wq, axis=(2, 3))  # (ny, nx) W
    idx = net.node_index["plate"][0]
    q_w = np.array(net.q_w)
    q_w[idx] = loads
    net = net.with_loads(q_w)
    net, sol = _solve_steady(case, net=net, out_dir=out_dir)
    xc = 0.5 * (xe[1:] + xe[:-1])
    yc = 0.5 * (ye[1:] + ye[:-1])
    exact = analytic.manufactured_plate(xc[None, :], yc[:, None], 400.0, 100.0, 1.0, 1.0)
    return 1.0 / n, float(np.max(np.abs(sol.t_k[0][idx] - exact))), sol, case


def check_manufactured(report, out_dir, quick):
    ns = (8, 16, 32, 64) if quick else (16, 32, 64, 128)
    hs, errs = [], []
    for n in ns:
        h, err, sol, case = manufactured_error(n, out_dir if n == ns[-1] else None)
        hs.append(h)
        errs.append(err)
    # leading terms: the 5-point Laplacian's truncation (h^2/12) and the cell-average/centre difference
    # (h^2/24), each times |lap T| <= 2 pi^2 dT: bound (1/12 + 1/24) 2 pi^2 dT h^2 = 2.47 dT h^2
    bound = 2.47 * 100.0 * hs[-1] ** 2
    report.add("manufactured_plate", f"max |T - T_exact|, {ns[-1]}^2 cells", errs[-1], 0.0, errs[-1], bound, "K",
               "T = 400 + 100 cos(pi x) cos(pi y)")
    order = analytic.observed_order(hs, errs)
    report.add("manufactured_plate", "observed order (in plane)", order, 2.0, order - 2.0, 0.1, "")
    report.orders["manufactured_plate"] = (hs, errs)
    _balance(report, "manufactured_plate", sol)


def check_eclipse(report, out_dir, quick):
    """Eclipse fraction against beta (closed form) by sampling the cylindrical shadow along the orbit;
    the sampling resolves the fraction to 1/samples."""
    samples = 20_000 if quick else 100_000
    alt = 550e3
    crit = critical_beta_rad(alt)
    for beta in (0.0, 0.5, 1.0, crit - 0.01, crit + 0.01):
        geo = OrbitGeometry(alt, beta, shadow="cylindrical")
        ts = (np.arange(samples) + 0.5) * geo.period_s / samples
        sampled = float(np.mean([geo.sun_fraction(t) == 0.0 for t in ts]))
        exact = eclipse_fraction(alt, beta)
        report.add("eclipse_fraction", f"beta {np.degrees(beta):.2f} deg (critical {np.degrees(crit):.2f}): "
                   f"eclipse {exact * geo.period_s / 60:.2f} of {geo.period_s / 60:.2f} min",
                   sampled, exact, sampled - exact, 2.0 / samples, "")


def check_view_factors(report, out_dir, quick):
    """Exact view factor from a flat face to the Earth (any tilt: facing it, partly turned away,
    edge-on, facing away) against brute-force integration over the visible cap.  The midpoint rule is
    first order at the face's horizon, so the fine-minus-coarse difference, doubled, bounds its error."""
    n = 300 if quick else 600
    for alt_km in (400.0, 550.0, 1200.0, 36000.0):
        h = (R_EARTH_M + alt_km * 1e3) / R_EARTH_M
        for angle in (0.0, 30.0, 60.0, 80.0, 90.0, 100.0, 120.0, 160.0):
            c = math.cos(math.radians(angle))
            exact = view_factor_to_sphere(c, h)
            fine = analytic.view_factor_to_sphere_numerical(c, h, n)
            coarse = analytic.view_factor_to_sphere_numerical(c, h, n // 2)
            report.add("view_factor", f"{alt_km:g} km, normal {angle:g} deg from nadir", exact, fine, exact - fine,
                       2 * abs(fine - coarse) + 1e-7, "", f"numerical {n}x{2 * n}")
        # the textbook closed forms: a face looking straight down (1/H^2) and one perpendicular to nadir
        nadir = 1.0 / h**2
        perp = (math.atan(1.0 / math.sqrt(h * h - 1)) - math.sqrt(h * h - 1) / h**2) / math.pi
        for label, cos_l, closed in (("nadir-facing, 1/H^2", 1.0, nadir), ("perpendicular, closed form", 0.0, perp)):
            value = view_factor_to_sphere(cos_l, h)
            report.add("view_factor", f"{alt_km:g} km, {label}", value, closed, value - closed, 1e-12 * closed, "")


def _rect(x0, x1, y0, y1, z, up=True):
    pts = [[x0, y0, z], [x1, y0, z], [x1, y1, z], [x0, y1, z]]
    return np.array(pts if up else pts[::-1], float)


def check_surface_view_factors(report, out_dir, quick):
    """View factors between surfaces by the contour integral against Howell's closed forms; a closed
    box sums to 1 and reciprocity holds, both to round-off.  Tolerances: 64 eps for a sum of 8 O(1)
    terms (ours); the parallel-plate closed form's own round-off where it cancels (far apart)."""
    eps = np.finfo(float).eps
    for x, y, gap in ((1.0, 1.0, 1.0), (2.0, 1.0, 0.7), (0.2, 3.0, 0.05)):
        value = vf.view_factor(_rect(0, x, 0, y, 0.0), _rect(0, x, 0, y, gap, up=False))
        closed = analytic.vf_parallel_rectangles(x, y, gap)
        report.add("surface_view_factors", f"parallel {x:g} x {y:g} m at {gap:g} m", value, closed, value - closed,
                   64 * eps, "", "Howell C-11")
    for common, w_from, w_to in ((1.0, 1.0, 1.0), (1.0, 0.6, 1.3), (2.0, 0.1, 5.0)):
        value = vf.view_factor(_rect(0, common, 0, w_from, 0.0),
                               np.array([[0, 0, 0], [0, 0, w_to], [common, 0, w_to], [common, 0, 0]], float))
        closed = analytic.vf_perpendicular_rectangles(common, w_from, w_to)
        report.add("surface_view_factors", f"perpendicular, common edge {common:g} m, {w_from:g} to {w_to:g} m",
                   value, closed, value - closed, 256 * eps, "", "Howell C-14")
    lx, ly, lz = 1.0, 2.0, 0.5
    box = [_rect(0, lx, 0, ly, 0.0), _rect(0, lx, 0, ly, lz, up=False),
           np.array([[0, 0, 0], [0, 0, lz], [lx, 0, lz], [lx, 0, 0]], float),
           np.array([[0, ly, 0], [lx, ly, 0], [lx, ly, lz], [0, ly, lz]], float),
           np.array([[0, 0, 0], [0, ly, 0], [0, ly, lz], [0, 0, lz]], float),
           np.array([[lx, 0, 0], [lx, 0, lz], [lx, ly, lz], [lx, ly, 0]], float)]
    worst = max(abs(sum(vf.view_factor(fi, fj) for j, fj in enumerate(box) if j != i) - 1.0)
                for i, fi in enumerate(box))
    report.add("surface_view_factors", "closed 1 x 2 x 0.5 m box: worst row sum of F - 1", 1.0 + worst, 1.0, worst,
               256 * eps, "", "closure")
    a12, a21 = vf.exchange_area(box[0], box[2]), vf.exchange_area(box[2], box[0])
    report.add("surface_view_factors", "reciprocity A1 F12 - A2 F21", a12, a21, a12 - a21, 64 * eps * abs(a12),
               "m2")


def check_lumped_cooling(report, out_dir, quick):
    """Radiative cooling of a lumped plate to 0 K and 200 K sinks against the closed forms.

    Constant steps started from the exact earlier state, so the measured order is the scheme's own:
    BDF1 and BDF2 each over four step halvings in their asymptotic range.  Error bound at the
    finest step: the local error (1/2 h^2 |T''| for BDF1, 2/9 h^3 |T'''| for BDF2) summed over the
    run; the sums are at most h T'(0)/2 and 2/9 h^2 T''(0) as T' < 0 and T'' > 0 shrink monotonically."""
    for sink in (0.0, 200.0):
        for order, steps in ((1, (20.0, 10.0, 5.0, 2.5)), (2, (10.0, 5.0, 2.5, 1.25))):
            errs = []
            for h in steps:
                case = _case("lumped_cooling", {"environment.t_sink": f"{sink} K"})
                net = build_network(case)
                cap = float(np.sum(net.rho_v_kg)) * 900.0
                eps_a = float(np.sum(net.surf_eps * net.surf_area_m2))
                before = analytic.radiative_cooling_temperature_k(-h, 400.0, cap, eps_a, sink)
                sol = solve_transient_adaptive(net, case.solver, 1200.0,
                                               AdaptiveSettings(order=order, dt_initial_s=h, fixed_step=True),
                                               previous_state=(-h, np.full(net.n_nodes, before)))
                exact = analytic.radiative_cooling_temperature_k(1200.0, 400.0, cap, eps_a, sink)
                errs.append(float(sol.t_k[-1].mean()) - exact)
            k = eps_a * SIGMA_W_M2K4 / cap
            t_d0 = k * (400.0**4 - sink**4)
            t_dd0 = 4 * k * k * 400.0**3 * (400.0**4 - sink**4)
            h = steps[-1]
            bound = 0.5 * h * t_d0 if order == 1 else 2 / 9 * h * h * t_dd0
            name = f"lumped_cooling_{int(sink)}K"
            report.add(name, f"BDF{order}: T(1200 s) vs closed form, h = {h:g} s", exact + errs[-1], exact,
                       errs[-1], bound, "K", "C dT/dt = -eps sigma A (T^4 - Ts^4)")
            order_seen = analytic.observed_order(steps, np.abs(errs))
            report.add(name, f"BDF{order}: observed order in time", order_seen, float(order), order_seen - order,
                       0.1, "")
        _balance(report, f"lumped_cooling_{int(sink)}K", sol)


def check_plate_in_orbit(report, out_dir, quick):
    """Periodic state of a one-node plate in orbit against solve_ivp (rtol 1e-10) closed by shooting;
    and its orbit-average emission against the orbit-average absorption."""
    case = _case("plate_in_orbit")
    result = solve(case, output=out_dir / "plate_in_orbit.h5")
    net = result.network

    env = Environment(case, net)
    geo = env.geometry
    cap = float(np.sum(net.rho_v_kg)) * 900.0
    area = 0.25
    eps, alpha = case.coatings["plate"].eps, case.coatings["plate"].alpha
    ts4 = case.t_sink_k**4

    def rhs(t, y):
        solar, ir, _ = env.at(t)
        absorbed = area * float(np.sum(alpha * solar + eps * ir))
        return [(absorbed - 2 * eps * SIGMA_W_M2K4 * area * (y[0] ** 4 - ts4)) / cap]

    entry, exit_ = geo.eclipse_times_s()
    edges = [0.0, entry, exit_, geo.period_s]

    def one_orbit(t0, dense=False):
        y, pieces = [t0], []
        for a, b in zip(edges[:-1], edges[1:]):
            sol = solve_ivp(rhs, (a, b), y, method="DOP853", rtol=1e-10, atol=1e-10, dense_output=dense)
            y = [sol.y[0, -1]]
            pieces.append(sol)
        return y[0], pieces

    t_start = brentq(lambda t0: one_orbit(t0)[0] - t0, 150.0, 450.0, xtol=1e-10)
    _, pieces = one_orbit(t_start, dense=True)

    def reference(t):
        for (a, b), sol in zip(zip(edges[:-1], edges[1:]), pieces):
            if a <= t <= b:
                return float(sol.sol(t)[0])
        raise ValueError(t)

    times = result.solution.times_s
    ours = result.solution.t_k[:, 0]
    ref = np.array([reference(t) for t in times])
    worst = int(np.argmax(np.abs(ours - ref)))
    err = float(abs(ours[worst] - ref[worst]))
    report.add("plate_in_orbit", "T at the worst step of the periodic orbit vs T_ivp there", float(ours[worst]),
               float(ref[worst]), err, 0.01, "K", "one-node ODE, solve_ivp DOP853 rtol 1e-10, shooting")
    # Orbit averages by the trapezoid rule on our steps.  For the exact periodic solution emitted =
    # absorbed over an orbit, so on the same steps they differ only by the rule's own error, measured
    # on the reference (q_rule); ours may differ further by what its temperature error does to the
    # emission, 8 eps sigma A T^3 |T - T_ivp| (two faces): the tolerance is the sum of the two.
    trap = lambda y: float(np.sum(0.5 * (y[1:] + y[:-1]) * np.diff(times)))  # noqa: E731
    absorbed = trap(np.array([b.absorbed_w for b in result.solution.energy]))
    emit = lambda temp: 2 * eps * SIGMA_W_M2K4 * area * (temp**4 - ts4)  # noqa: E731
    q_rule = abs(trap(emit(ref)) - absorbed) / absorbed
    q_temp = 8 * eps * SIGMA_W_M2K4 * area * float(ours.max()) ** 3 * err * times[-1] / absorbed
    mean_emitted, mean_absorbed = trap(emit(ours)) / times[-1], absorbed / times[-1]
    report.add("plate_in_orbit", "orbit-average emitted vs absorbed power", mean_emitted, mean_absorbed,
               (mean_emitted - mean_absorbed) / mean_absorbed, q_rule + q_temp, "W",
               f"relative; tolerance = trapezoid error on the exact solution {q_rule:.1e} + emission change "
               f"from the T error {q_temp:.1e}")
    report.add("plate_in_orbit", "periodicity max|T(P) - T(0)|", result.periodic.periodicity_k, 0.0,
               result.periodic.periodicity_k, case.periodic.tolerance_k, "K")
    _balance(report, "plate_in_orbit", result.solution)


def check_spreading(report, out_dir, quick):
    """Spreading resistance of a centred square source against the series solution: within 2% on the
    finest grid, and the error falling with every refinement."""
    expected = analytic.spreading_resistance_isothermal_base(0.02, 0.02, 0.1, 0.1, 0.005, 100.0)
    errs, hs = [], []
    for n, f, nz in ((20, 4, 4), (40, 8, 8), (80, 16, 16)):
        case = _case("spreading_square", {"panels.p.cells": [n, n], "panels.p.footprint_cells": f,
                                          "panels.p.layers.plate.cells": nz})
        net, sol = _solve_steady(case, out_dir=out_dir if n == 80 else None)
        idx = net.node_index["p"][-1]
        r = (float(np.mean(sol.t_k[0][idx[idx >= 0]])) - 300.0) / 10.0
        errs.append((r - expected) / expected)
        hs.append(0.1 / n)
    report.add("spreading_square", "R (mean source temperature), 80x80x16", r, expected, errs[-1], 0.02, "K/W",
               "series solution, isothermal base")
    falls = float(min(abs(errs[0]) / abs(errs[1]), abs(errs[1]) / abs(errs[2])))
    report.add("spreading_square", "error reduction per refinement", falls, 2.0, falls - 2.0, math.inf, "",
               "a first-order-or-better method at least halves the error per halving of h", kind="above")
    report.orders["spreading_square"] = (hs, [abs(e) for e in errs])
    _balance(report, "spreading_square", sol)


def check_capillary_example(report, out_dir, quick):
    """The capillary limit against the worked example of COMSOL's heat-pipe application note
    (doc.comsol.com, Heat Transfer Module, 'Heat pipe' model introduction): liquid losses only,
    K = 1e-9 m2, A_w = 1e-4 m2, h_fg = 2.5e6 J/kg, rho = 1e3 kg/m3, sigma = 7e-2 N/m,
    mu = 1e-3 Pa s, L = 0.15 m, r = 3.1e-5 m -> "7.5 kW", i.e. 7.45 to 7.55 kW by its rounding."""
    q = capillary_limit_w(7e-2, 1e3, 1e-3, 2.5e6, 3.1e-5, 1e-9, 1e-4, 0.15)
    report.add("capillary_example", "capillary limit (COMSOL worked example)", q / 1e3, 7.5, q / 1e3 - 7.5, 0.05,
               "kW", "2 sigma / r_eff = mu L Q / (rho K A_w h_fg); published to 2 figures")


def check_fluid_properties(report, out_dir, quick):
    """CoolProp's saturation states against published tables, within the tables' last digit:
    NIST Chemistry WebBook (Lemmon et al.) for ammonia at 300 K; IAPWS-95 / IAPWS surface tension
    (2014) for water at 100 degC.  Surface tension: CoolProp's correlation is not IAPWS's, so the
    tolerance is the worst-case uncertainty of the recommended values (0.1 mN/m)."""
    nh3 = saturation("ammonia", 300.0)
    report.add("fluid_properties", "ammonia p_sat at 300 K", nh3.p_pa / 1e6, 1.0612, nh3.p_pa / 1e6 - 1.0612,
               0.0001, "MPa", "NIST WebBook 1.0612 MPa")
    h2o = saturation("water", 373.15)
    report.add("fluid_properties", "water p_sat at 100 degC", h2o.p_pa / 1e3, 101.42, h2o.p_pa / 1e3 - 101.42,
               0.01, "kPa", "IAPWS-95 101.42 kPa")
    report.add("fluid_properties", "water h_fg at 100 degC", h2o.h_fg_j_kg / 1e3, 2256.4,
               h2o.h_fg_j_kg / 1e3 - 2256.4, 0.1, "kJ/kg", "IAPWS-95 2256.4 kJ/kg")
    report.add("fluid_properties", "water sigma at 100 degC", h2o.sigma_n_m * 1e3, 58.91,
               h2o.sigma_n_m * 1e3 - 58.91, 0.1, "mN/m", "IAPWS R1-76(2014) 58.91 mN/m; CoolProp uses another "
               "correlation (Mulero 2012); 0.1 mN/m = worst-case error of recommended values (Patek et al. 2016)")


def check_parallel_pipes(report, out_dir, quick):
    """A pipe on the centre line of a sheet with adiabatic edges (parallel pipes at pitch p): the
    temperature across the pitch against the radiating fin with its base at the vapour temperature
    less the film and half-thickness drops; the heat each vapour node gains and loses balances."""
    case = _case("parallel_pipes")
    net = build_network(case)
    sol, rows, _ = solve_steady_with_pipes(case, net, RunState.fresh(net), solve_steady)
    if out_dir is not None:
        result_from_solution(case, net, sol, {"case_file": case.file}).write(out_dir / "parallel_pipes.h5")
    t = sol.t_k[0]
    pn = net.heat_pipes[0]
    pipe = pn.pipe
    q = film_heat_w(sol.state, pn, t)
    # the vapour node's row of F(T) is this sum: Newton stops with ||F||_2 <= tol x ||heat input||_2

    bound = case.solver.residual_tolerance * Assembler(net, sol.state).heat_input_norm() / float(np.sum(np.abs(q)))
    report.add("parallel_pipes", "vapour node: sum of film heat / gross", float(np.sum(q) / np.sum(np.abs(q))), 0.0,
               float(np.sum(q) / np.sum(np.abs(q))), bound, "", "evaporated = condensed, to Newton's residual test")
    mesh = net.meshes["sheet"]
    k = case.materials["fin_al"].k_inplane(300.0)
    thick, width_y = mesh.dz[0], mesh.panel.length_y_m
    eps = case.coatings["fin"].eps
    nx = mesh.shape[2]
    mid = nx // 2
    radiated_sheet = _radiated_by(net, t, "sheet")
    q_cond = -float(np.sum(q[q < 0]))
    l_c = pipe.length_by_role()["condenser"]
    t_base = (t[pn.vapour] - q_cond / (pipe.film_condenser_w_mk * l_c)
              - radiated_sheet / width_y * 0.5 * thick / (k * pipe.saddle_width_m))
    xc = 0.5 * (mesh.x_edges_m[1:] + mesh.x_edges_m[:-1])
    half = mesh.panel.length_x_m / 2
    t_of_x, q_per_width, _ = analytic.radiating_fin(half, thick, k, eps, float(t_base), case.t_sink_k)
    row = net.node_index["sheet"][0, mesh.shape[1] // 2, :]
    side = np.arange(nx) != mid
    t_fv = t[row][side]
    err = float(np.max(np.abs(t_fv - t_of_x(np.abs(xc[side] - half)))))
    h = mesh.dx[0]
    curvature = 2 * eps * SIGMA_W_M2K4 * (t_base**4 - case.t_sink_k**4) / (k * thick)
    bound = 1.1 * h**2 * curvature / 8
    report.add("parallel_pipes", "max |T - T_fin| across the pitch", float(t_fv.min()), float(t_of_x(half)), err, bound,
               "K", f"41 columns, h = {h * 1e3:.2f} mm; bound 1.1 h^2 T''(0)/8 as for the fin")
    expected_q = 2 * q_per_width * width_y
    q_tol = 2 * 4 * eps * SIGMA_W_M2K4 * t_base**3 * (2 * half * width_y) * bound
    report.add("parallel_pipes", "heat radiated by the sheet", radiated_sheet, expected_q, radiated_sheet - expected_q,
               q_tol, "W", "2 fins x base heat flow per width x length")
    report.parallel_pipes = dict(x=xc, t=t[row], t_exact=t_of_x, half=half, t_base=t_base, t_vapour=t[pn.vapour])
    _balance(report, "parallel_pipes", sol)


def _panel_t(net, t_k, name) -> np.ndarray:
    idx = net.node_index[name]
    return t_k[idx[idx >= 0]]


def check_parallel_plates(report, out_dir, quick):
    """Two parallel grey plates and space: each plate's temperature against the radiosity network
    with Howell's closed-form view factor (isothermal plates, one patch per face: the textbook
    uniform-radiosity model, so the only error is Newton's).  Large plates close together: the heat
    exchanged against eps_eff sigma (T1^4 - T2^4), within the share 1 - F12 that escapes each pass
    (over the 1/eps_eff passes a beam makes).  View factors summed over 4 x 4 patches: the whole
    plate's, to round-off (the contour integral is exact under subdivision)."""
    case = _case("parallel_plates")
    net, sol = _solve_steady(case, out_dir=out_dir)
    t = sol.t_k[0]
    f12 = analytic.vf_parallel_rectangles(1.0, 1.0, 0.5)
    c1, c2 = case.coatings["lower"], case.coatings["upper"]
    f = np.array([[0.0, f12, 0.0], [f12, 0.0, 0.0], [0.0, 0.0, 0.0]])
    ref = analytic.radiosity_bodies_k([1.0, 1.0, 1.0], [c1.eps, c2.eps, c2.eps], f, [0, 1, 1], [1000.0, 0.0],
                                      case.t_sink_k)
    for k, name in enumerate(("heated", "facing")):
        tp = _panel_t(net, t, name)
        err = float(np.max(np.abs(tp - ref[k])))
        report.add("parallel_plates", f"{name}: max |T - T_radiosity|", float(tp.max()), float(ref[k]), err,
                   _newton_tol(case, t), "K", "radiosity network, Howell C-11")
    _balance(report, "parallel_plates", sol)

    # large plates close together approach infinite ones: the deviation from eps_eff is analytic in
    # the share 1 - F12 that escapes between them, and first order in it
    side, deviations, escapes = 10.0, [], []
    for gap in ((0.04, 0.02, 0.01) if quick else (0.08, 0.04, 0.02, 0.01)):
        big = _case("parallel_plates", {"panels.heated.size": [f"{side} m", f"{side} m"],
                                        "panels.facing.size": [f"{side} m", f"{side} m"],
                                        "panels.heated.footprints.heater.center": [f"{side / 2} m", f"{side / 2} m"],
                                        "panels.heated.footprints.heater.size": [f"{side} m", f"{side} m"],
                                        "panels.facing.placement.origin": ["0 m", "0 m", f"{gap} m"]})
        net, sol = _solve_steady(big)
        t1 = float(_panel_t(net, sol.t_k[0], "heated").mean())
        t2 = float(_panel_t(net, sol.t_k[0], "facing").mean())
        q_inf = analytic.parallel_plates_eps_eff(c1.eps, c2.eps) * SIGMA_W_M2K4 * (t1**4 - t2**4) * side * side
        deviations.append(abs(q_inf - 1000.0) / 1000.0)
        escapes.append(1.0 - analytic.vf_parallel_rectangles(side, side, gap))
    order = analytic.observed_order(escapes, deviations)
    report.add("parallel_plates", f"|P / (eps_eff sigma A (T1^4 - T2^4)) - 1|: order in 1 - F12 "
               f"({deviations[-1]:.1e} at 1 - F12 = {escapes[-1]:.1e})", order, 1.0, order - 1.0, 0.1, "",
               "infinite plates: eps_eff = 1/(1/eps1 + 1/eps2 - 1)")

    fine = _case("parallel_plates", {"panels.heated.faces.top.patches": [4, 4],
                                     "panels.facing.faces.bottom.patches": [4, 4]})
    rad = build_network(fine).radiation
    heated = np.array([o == "heated.top" for o in rad.owners])
    total = float((rad.area_m2[heated] @ rad.view_factor[heated]).sum() / rad.area_m2[heated].sum())
    report.add("parallel_plates", "F from the heated plate summed over 4 x 4 patches", total, f12, total - f12,
               1024 * np.finfo(float).eps, "", "Howell C-11")


def check_radiation_shield(report, out_dir, quick):
    """A floating shield between a heated plate and an outer plate: the three temperatures against
    the radiosity network (the shield hides the outer plate from the heated one entirely, so ray
    casting must block every ray: F13 = 0)."""
    case = _case("radiation_shield")
    net, sol = _solve_steady(case, out_dir=out_dir)
    t = sol.t_k[0]
    f = np.zeros((5, 5))
    f[0, 1] = f[1, 0] = f[2, 3] = f[3, 2] = analytic.vf_parallel_rectangles(1.0, 1.0, 0.1)
    eps = [case.coatings[c].eps for c in ("hot", "shield", "shield", "outer", "outer")]
    ref = analytic.radiosity_bodies_k(np.ones(5), eps, f, [0, 1, 1, 2, 2], [500.0, 0.0, 0.0], case.t_sink_k)
    for k, name in enumerate(("heated", "shield", "outer")):
        tp = _panel_t(net, t, name)
        report.add("radiation_shield", f"{name}: max |T - T_radiosity|", float(tp.max()), float(ref[k]),
                   float(np.max(np.abs(tp - ref[k]))), _newton_tol(case, t), "K", "radiosity network")
    rad = net.radiation
    hot, outer = rad.names.index("heated.top"), rad.names.index("outer.bottom")
    report.add("radiation_shield", "F heated -> outer through the shield", float(rad.view_factor[hot, outer]), 0.0,
               float(rad.view_factor[hot, outer]), 0.0, "", "fully blocked: every ray hits the shield", kind="exact")
    _balance(report, "radiation_shield", sol)


def check_enclosure(report, out_dir, quick):
    """A cube with a heated floor, a ceiling held at 250 K and four reradiating walls: the
    three-surface closed form for the floor's temperature and the walls' (Oppenheim network)."""
    case = _case("enclosure")
    net, sol = _solve_steady(case, out_dir=out_dir)
    t = sol.t_k[0]
    e1, e2 = case.coatings["floor"].eps, case.coatings["ceiling"].eps
    f12 = analytic.vf_parallel_rectangles(1.0, 1.0, 1.0)
    f1r = 1.0 - f12
    power, t2 = 800.0, 250.0
    resistance = (1 - e1) / e1 + 1.0 / (f12 + 1.0 / (2.0 / f1r)) + (1 - e2) / e2  # per m2 (A = 1)
    t1 = (power * resistance / SIGMA_W_M2K4 + t2**4) ** 0.25
    j1 = SIGMA_W_M2K4 * t1**4 - power * (1 - e1) / e1
    j2 = SIGMA_W_M2K4 * t2**4 + power * (1 - e2) / e2
    t_walls = (0.5 * (j1 + j2) / SIGMA_W_M2K4) ** 0.25  # equal resistances to both: J_R is their mean
    floor = _panel_t(net, t, "floor")
    report.add("enclosure", "floor: max |T - T_closed form|", float(floor.max()), t1, float(np.max(np.abs(floor - t1))),
               _newton_tol(case, t), "K", "three-surface enclosure")
    walls = np.concatenate([_panel_t(net, t, f"wall_{w}") for w in ("xmin", "xmax", "ymin", "ymax")])
    report.add("enclosure", "reradiating walls: max |T - T_closed form|", float(walls.max()), t_walls,
               float(np.max(np.abs(walls - t_walls))), _newton_tol(case, t), "K", "J_R = (J1 + J2) / 2")
    closure = net.radiation.closure
    report.add("enclosure", "closed cube: worst |sum_j F_ij - 1|", float(closure[np.argmax(np.abs(closure - 1))]), 1.0,
               float(np.max(np.abs(closure - 1.0))), 256 * np.finfo(float).eps, "", "closure")
    _balance(report, "enclosure", sol)


def check_shadowing(report, out_dir, quick):
    """Shadows by ray casting, sun-tracking at orbit noon: direct sunlight on a plate wholly under a
    larger cover, on a plate half under it, and on one clear of it (4 x 4 sample points: the shadow
    edge falls between them, so the share is exact)."""
    case = _case("shadowing")
    net = build_network(case)
    env = Environment(case, net)
    solar, _, nu = env.at(0.0)
    s = case.orbit.solar_constant_w_m2 * nu
    for name, share in (("hidden.top", 0.0), ("half.top", 0.5), ("open.top", 1.0)):
        value = float(solar[net.face_names.index(name)])
        report.add("shadowing", f"direct sunlight on {name.split('.')[0]}", value, share * s, value - share * s,
                   1e-9 * s, "W/m2", "exposed area x S")


def check_v_groove(report, out_dir, quick):
    """A V-groove's apparent emittance: eps_a = P / (sigma (T^4 - Ts^4) A_opening) of an isothermal
    groove against the closed form for an infinitely long one with a radiosity per wall,
    eps / (eps + (1 - eps) sin(theta/2)).  The finite groove also radiates through its ends, a share
    that falls as width / length: the deviation's order in width / length is checked (1), and the
    longest groove's eps_a is reported against the closed form within that share (2 w / L)."""
    width, half = 0.1, math.radians(30.0)
    eps = 0.5
    closed = eps / (eps + (1.0 - eps) * math.sin(half))
    ratios, deviations, last = [], [], None
    for length in (1.0, 2.0, 4.0):
        over = {}
        for wall in ("wall_a", "wall_b"):
            over[f"panels.{wall}.size"] = [f"{length} m", f"{width} m"]
            over[f"panels.{wall}.footprints.heater.center"] = [f"{length / 2} m", f"{width / 2} m"]
            over[f"panels.{wall}.footprints.heater.size"] = [f"{length} m", f"{width} m"]
        case = _case("v_groove", over)
        net, sol = _solve_steady(case)
        t = float(sol.t_k[0].mean())
        opening = 2.0 * width * math.sin(half) * length
        eps_a = 100.0 / (SIGMA_W_M2K4 * (t**4 - case.t_sink_k**4) * opening)
        ratios.append(width / length)
        deviations.append(abs(eps_a - closed))
        last = (eps_a, length, sol)
    order = analytic.observed_order(ratios, deviations)
    report.add("v_groove", "|eps_a - closed form|: order in width / length", order, 1.0, order - 1.0, 0.15, "",
               "end losses ~ w / L")
    eps_a, length, sol = last
    report.add("v_groove", f"apparent emittance, 60 deg, eps 0.5, L = {length / width:g} widths", eps_a, closed,
               eps_a - closed, 2.0 * width / length, "", "eps / (eps + (1 - eps) sin(theta/2))")
    _balance(report, "v_groove", sol)


def _radiated_by(net, t_k, panel) -> float:
    """Net heat a panel's faces radiate minus what they absorb [W]."""
    nodes = net.node_index[panel]
    mine = np.isin(net.surf_node, nodes[nodes >= 0])
    tn = t_k[net.surf_node[mine]]
    emitted = net.surf_eps[mine] * SIGMA_W_M2K4 * net.surf_area_m2[mine] * (tn**4 - net.t_sink_k**4)
    absorbed = net.surf_area_m2[mine] * (net.surf_alpha[mine] * net.face_q_solar_w_m2[net.surf_face[mine]]
                                         + net.surf_eps[mine] * net.face_q_ir_w_m2[net.surf_face[mine]])
    return float(np.sum(emitted - absorbed))


CHECKS = (check_isothermal, check_absorbed, check_slab, check_fin, check_manufactured, check_eclipse,
          check_view_factors, check_surface_view_factors, check_lumped_cooling, check_plate_in_orbit, check_spreading, check_capillary_example,
          check_fluid_properties, check_parallel_pipes, check_parallel_plates, check_radiation_shield, check_enclosure,
          check_v_groove, check_shadowing)


def _loop_run(name, overrides=None, out_dir=None):
    case = _case(name, overrides)
    result = solve(case, output=None if out_dir is None else out_dir / f"{name}.h5")
    result.case = case
    return result, result.loops["l"]


def check_tube_constant_wall(report, out_dir, quick):
    """The exponential form is exact for a wall at one temperature: every piece count gives the
    closed form, to the Newton tolerance."""
    for pieces in (1, 7) if quick else (1, 7, 50):
        result, rec = _loop_run("tube_constant_wall", {"loops.l.branches.heated.sections.0.pieces": pieces},
                                out_dir if pieces == 7 else None)
        b = rec["branches"].index("heated")
        t_in, t_out = float(rec["t_in"][-1][b]), float(rec["t_out"][-1][b])
        m_cp = float(rec["mass_flow"][-1][b] * rec["cp"][-1])
        t_w = 333.15
        expected = t_w - (t_w - t_in) * math.exp(-800.0 * math.pi * 0.006 * 2.0 / m_cp)
        report.add("tube_constant_wall", f"outlet T, {pieces} pieces", t_out, expected, t_out - expected,
                   _newton_tol(result.case, result.solution.t_k[-1]), "K",
                   "T_w - (T_w - T_in) exp(-hPL/(m cp))")
    _balance(report, "tube_constant_wall", result.solution)


def _tube_fin_outlet(n):
    result, rec = _loop_run("radiating_tube_fin", {"panels.fin.cells": [n, 1]})
    b = rec["branches"].index("fin")
    t_in, t_out = float(rec["t_in"][-1][b]), float(rec["t_out"][-1][b])
    m_cp = float(rec["mass_flow"][-1][b] * rec["cp"][-1])
    exact = (t_in ** -3 + 3 * 0.9 * SIGMA_W_M2K4 * 0.1 * 2.0 / m_cp) ** (-1.0 / 3.0)
    return t_out, exact, result


def check_radiating_tube_fin(report, out_dir, quick):
    """Upwind in x with the fin at its piece's outlet temperature: first order.  The tolerance is the
    Richardson estimate of the finest grid's error (order 1: the last change), with 10 % for the
    higher terms; the observed order is checked too."""
    ns = (50, 100, 200) if quick else (100, 200, 400)
    runs = [_tube_fin_outlet(n) for n in ns]
    errs = [abs(t - e) for t, e, _ in runs]
    order = analytic.observed_order([2.0 / n for n in ns], errs)
    t_fine, exact, result = runs[-1]
    bound = 1.1 * abs(runs[-1][0] - runs[-2][0])
    report.add("radiating_tube_fin", f"outlet T, {ns[-1]} cells", t_fine, exact, t_fine - exact, bound, "K",
               "T^-3 = T_in^-3 + 3 eps sigma W x/(m cp)")
    report.add("radiating_tube_fin", "observed order (along the flow)", order, 1.0, order - 1.0, 0.1, "")
    report.orders["radiating_tube_fin"] = ([2.0 / n for n in ns], errs)
    _balance(report, "radiating_tube_fin", result.solution)


def _counterflow_outlet(n):
    case = _case("counterflow", {"panels.wall.cells": [n, 1]})
    result = solve(case)
    hot, cold = result.loops["hot"], result.loops["cold"]
    c_h = float(hot["mass_flow"][-1][0] * hot["cp"][-1])
    c_c = float(cold["mass_flow"][-1][0] * cold["cp"][-1])
    d, length = 0.006, 2.0
    # per metre: the two films in series with the strip's half-thickness under each channel
    r_per_m = 1 / (2000 * math.pi * d) + 1 / (3000 * math.pi * d) + 2 * 0.5e-3 / (1e4 * 0.02)
    ntu = length / r_per_m / min(c_h, c_c)
    cr = min(c_h, c_c) / max(c_h, c_c)
    eff = (1 - math.exp(-ntu * (1 - cr))) / (1 - cr * math.exp(-ntu * (1 - cr)))
    t_h_in, t_c_in = float(hot["t_in"][-1][0]), float(cold["t_in"][-1][0])
    exact = t_h_in - eff * min(c_h, c_c) / c_h * (t_h_in - t_c_in)
    return float(hot["t_out"][-1][0]), exact, result, ntu, eff


def check_counterflow(report, out_dir, quick):
    """Both streams exchange through one wall node per piece.  Unlike the radiating tube-fin (first
    order: the fin radiates at its piece's outlet temperature) the observed order here is 2: the
    exponential form is exact per piece, and the wall node settles between the two streams' piece
    temperatures, so the upwind offsets of the two streams cancel to leading order (measured at
    50-400 cells: 2.000).  The tolerance is the order-2 Richardson estimate of the finest grid's
    error, + 10 %."""
    ns = (50, 100, 200) if quick else (100, 200, 400)
    runs = [_counterflow_outlet(n) for n in ns]
    errs = [abs(r[0] - r[1]) for r in runs]
    t_fine, exact, result, ntu, eff = runs[-1]
    report.add("counterflow", f"hot outlet T, {ns[-1]} cells (NTU {ntu:.3f})", t_fine, exact, t_fine - exact,
               1.1 * abs(runs[-1][0] - runs[-2][0]) / 3.0, "K", f"effectiveness-NTU, counterflow: eps = {eff:.4f}")
    order = analytic.observed_order([2.0 / n for n in ns], errs)
    report.add("counterflow", "observed order (along the flow)", order, 2.0, order - 2.0, 0.1, "")
    report.orders["counterflow"] = ([2.0 / n for n in ns], errs)
    _balance(report, "counterflow", result.solution)


def check_friction_laws(report, out_dir, quick):
    """Churchill's friction factor: 64/Re in laminar flow (its turbulent terms are below 1e-12 of it
    at Re <= 1000), and Colebrook's law in turbulent flow within 3 % (Colebrook itself summarises
    the pipe data to about +-15 %, Moody 1944) over Re 1e4-1e8 and roughness 0-0.01."""
    res = np.array([10.0, 100.0, 1000.0])
    lam = channel_flow.churchill_friction(res) * res / 64.0 - 1.0
    worst = float(np.max(np.abs(lam)))
    report.add("friction_factor", "laminar: f Re / 64 - 1, Re 10-1000", worst, 0.0, worst, 1e-10, "",
               "Poiseuille")
    devs = []
    for rough in (0.0, 1e-5, 1e-4, 1e-3, 1e-2):
        for re in np.logspace(4, 8, 9 if quick else 33):
            devs.append(channel_flow.churchill_friction(re, rough) / channel_flow.colebrook_friction(re, rough) - 1)
    worst = float(max(devs, key=abs))
    report.add("friction_factor", "turbulent: f / f_Colebrook - 1", worst, 0.0, worst, 0.03, "",
               "Re 1e4-1e8, roughness 0-0.01")


def _split(result):
    rec = result.loops["l"]
    flows = dict(zip(rec["branches"], rec["mass_flow"][-1]))
    table = coolants.liquid_table("water")
    dlnmu = abs(math.log(table.at(293.65)[2] / table.at(292.65)[2]))
    # the pump's own heat warms the fluid by at most P/(m cp): the viscosities differ by that much
    warming = rec["pump_power"][-1] / (rec["mass_flow"][-1].max() * rec["cp"][-1])
    return rec, flows, dlnmu * warming


def check_parallel_branches(report, out_dir, quick):
    case = _case("parallel_branches")
    result = solve(case, output=out_dir / "parallel_branches.h5")
    rec, flows, visc = _split(result)
    ratio = flows["short"] / flows["long"]
    report.add("parallel_branches", "laminar split m_short / m_long", ratio, 3.0, ratio - 3.0, 3.0 * (2 * visc + 1e-9),
               "", "128 mu L m / (pi rho d^4) equal across: L_long / L_short")
    _balance(report, "parallel_branches", result.solution)
    # turbulent: 0.3 kg/s; the hand solution is a scalar root-find on the branches' own laws
    turbulent = _case("parallel_branches", {"loops.l.pump.mass_flow": "0.3 kg/s",
                                            "loops.l.branches.long.fittings": 2.5})
    result = solve(turbulent)
    rec, flows, visc = _split(result)
    rho, _, mu, _ = coolants.liquid_table("water").at(293.15)
    rough = 1.5e-6 / 0.005

    def dp(m, length, fittings):
        return channel_flow.pressure_drop_pa(m, rho, mu, 0.005, np.array([length]), rough, fittings)

    m_short = brentq(lambda m: dp(m, 1.0, 0.0) - dp(0.3 - m, 3.0, 2.5), 1e-6, 0.3 - 1e-6, xtol=1e-14)
    re = float(channel_flow.reynolds(m_short, mu, 0.005))
    report.add("parallel_branches", f"turbulent split: short branch (Re {re:.0f})", float(flows["short"]), m_short,
               float(flows["short"]) - m_short, m_short * (visc + 1e-9), "kg/s",
               "dp_1(m_1) = dp_2(m - m_1), scalar root-find")


def check_thermostat(report, out_dir, quick):
    """A thermostat heater on a lumped radiating plate: every switching instant against the LUMP-2
    closed form (heating and cooling times between the deadband's ends), to 1e-6 of the period; the
    heater's energy against its rated power times the exact on-time.  BDF2 at 1e-9 K local error: the
    instants' error grows by ~1e-3 s per switch (the integrator's, h^2 with h ~ tol^(1/3))."""
    case = _case("thermostat_cycle", {"transient.end_time": "5400 s"} if quick else None)
    result = solve(case, output=None if out_dir is None else out_dir / "thermostat_cycle.h5")
    rec = result.heaters["h"]
    plate = case.panels[0]
    cap = 2700.0 * 900.0 * plate.layers[0].thickness_m * plate.length_x_m * plate.length_y_m
    eps_a = 2 * 0.8 * plate.length_x_m * plate.length_y_m
    base = 0.5 * 200.0 * plate.length_x_m * plate.length_y_m
    times = np.asarray(rec["switch_time_s"])
    exact = analytic.thermostat_cycle_s(220.0, 240.0, 230.0, cap, eps_a, base, rec["rated_w"], case.t_sink_k,
                                        len(times))
    period = float(exact[2] - exact[0])
    worst = int(np.argmax(np.abs(times - exact)))
    report.add("thermostat_cycle", f"switching instants ({len(times)}), worst: #{worst + 1}", float(times[worst]),
               float(exact[worst]), float(times[worst] - exact[worst]), 1e-6 * period, "s",
               "C dT/dt = Q - eps sigma A (T^4 - Ts^4), on at 220 K, off at 240 K")
    end = float(result.times_s[-1])
    ons = exact[0::2]  # it starts off: on at the 1st, 3rd, ... instants, off at the others (or at the end)
    offs = np.append(exact[1::2], [end] if len(exact) % 2 else [])
    on_time = float(np.sum(offs - ons))
    expected = rec["rated_w"] * on_time
    report.add("thermostat_cycle", "heater energy", rec["energy_j"], expected, rec["energy_j"] - expected,
               rec["rated_w"] * len(times) * 1e-6 * period, "J", "rated power x exact on-time")
    _balance(report, "thermostat_cycle", result.solution)


def check_louver(report, out_dir, quick):
    """A louvered plate's steady temperature against the root of its scalar balance with the
    louver's eps(T), alpha(T) (piecewise linear in the table), closed, part open and open."""
    table = np.array([[283.15, 0.14, 0.09], [288.15, 0.30, 0.11], [293.15, 0.55, 0.13], [298.15, 0.74, 0.16]])
    for power in (5.0, 40.0, 80.0, 200.0):
        case = _case("louvered_plate", {"panels.plate.footprints.all.power": f"{power} W"})
        net, sol = _solve_steady(case, out_dir=out_dir, tag=f"_{int(power)}W")
        t = sol.t_k[0]
        area = 0.5

        def balance(tk):
            eps = np.interp(tk, table[:, 0], table[:, 1])
            alpha = np.interp(tk, table[:, 0], table[:, 2])
            return power + area * (alpha * 300.0 + eps * 50.0) - eps * SIGMA_W_M2K4 * area * (tk**4 - case.t_sink_k**4)

        expect = brentq(balance, 150.0, 500.0, xtol=1e-13)
        state = "closed" if expect <= 283.15 else "open" if expect >= 298.15 else "in its band"
        err = float(np.max(np.abs(t - expect)))
        report.add("louvered_plate", f"T at {power:g} W (louver {state})", float(t.mean()), expect, err,
                   _newton_tol(case, t), "K", "P + A (alpha S + eps q_IR) = eps sigma A (T^4 - Ts^4)")
    _balance(report, "louvered_plate", sol)


def check_louvered_exchange(report, out_dir, quick):
    """A louvered plate facing a grey plate (parallel_plates' geometry): the heated plate's
    temperature against the root of T1 = T_radiosity(eps(T1)), the radiosity network of
    parallel_plates with the louver's eps at T1.  The patch's optics follow the louver inside Newton
    (solvers/louvers.py), so the tolerance is Newton's."""
    case = _case("louvered_exchange")
    result = solve(case, output=None if out_dir is None else out_dir / "louvered_exchange.h5")
    t1 = float(np.mean(result.fields["heated"][-1]))
    table = np.array(case.louvers["band"].t_k), np.array(case.louvers["band"].eps)
    f12 = analytic.vf_parallel_rectangles(1.0, 1.0, 0.5)
    f = np.array([[0.0, f12, 0.0], [f12, 0.0, 0.0], [0.0, 0.0, 0.0]])
    eps2 = case.coatings["upper"].eps

    def t_radiosity(eps1):
        return analytic.radiosity_bodies_k([1.0, 1.0, 1.0], [eps1, eps2, eps2], f, [0, 1, 1], [1000.0, 0.0],
                                           case.t_sink_k)[0]

    expect = brentq(lambda tk: t_radiosity(float(np.interp(tk, *table))) - tk, 400.0, 700.0, xtol=1e-12)
    eps1 = float(np.interp(expect, *table))
    report.add("louvered_exchange", f"heated plate T (louver eps {eps1:.3f})", t1, expect, t1 - expect,
               _newton_tol(case, result.solution.t_k[0]), "K", "T1 = T_radiosity(eps(T1)), Howell C-11")
    _balance(report, "louvered_exchange", result.solution)


def check_louvered_exchange_transient(report, out_dir, quick):
    """louvered_exchange as a transient from 300 K: the heated plate warms through the louver's band
    while the patches' optics follow it at every Newton evaluation (solvers/louvers.py,
    FollowedOptics).  Reference: the two lumped plates' ODE, C dT/dt = P - Q_net(T1, T2; eps(T1)),
    with Q_net from the same radiosity network as the steady check, integrated by solve_ivp (Radau,
    rtol 1e-12).  BDF2 at constant steps h = 40, 20, 10 s from the reference's state at -h.  The
    error at h = 10 s is bounded by |T(10 s) - T(20 s)| when the error at least halves per halving,
    which the second row checks (the table's kinks keep the ratios from a clean 4)."""
    path = CASES_DIR / "louvered_exchange.toml"
    text = case_text_with(path.read_text(encoding="utf-8"), {"case.mode": "transient"}, str(path))
    text += '\n[solver]\ninitial_temperature = "300 K"\n[transient]\ntime_step = "10 s"\nend_time = "2000 s"\n'
    case = parse_case(text, str(path))
    net = build_network(case)
    heated, facing = (net.node_index[p][net.node_index[p] >= 0] for p in ("heated", "facing"))
    mat = case.materials["isothermal"]
    cap = [float(np.sum(net.rho_v_kg[nodes])) * mat.cp(300.0) for nodes in (heated, facing)]
    table = np.array(case.louvers["band"].t_k), np.array(case.louvers["band"].eps)
    f12 = analytic.vf_parallel_rectangles(1.0, 1.0, 0.5)
    f = np.array([[0.0, f12, 0.0], [f12, 0.0, 0.0], [0.0, 0.0, 0.0]])
    eps2 = case.coatings["upper"].eps

    def rhs(_, y):
        q = analytic.radiosity_net_w([1.0, 1.0, 1.0], [float(np.interp(y[0], *table)), eps2, eps2], f,
                                     [y[0], y[1], y[1]], case.t_sink_k)
        return [(1000.0 - q[0]) / cap[0], -(q[1] + q[2]) / cap[1]]

    end = 2000.0
    exact = solve_ivp(rhs, (0.0, end), [300.0, 300.0], method="Radau", rtol=1e-12, atol=1e-10).y[0, -1]
    steps, values, sol = (40.0, 20.0, 10.0), [], None
    for h in steps:
        before = solve_ivp(rhs, (0.0, -h), [300.0, 300.0], method="Radau", rtol=1e-12, atol=1e-10).y[:, -1]
        t_before = np.full(net.n_nodes, before[0])
        t_before[facing] = before[1]
        sol = solve_transient_adaptive(net, case.solver, end, AdaptiveSettings(order=2, dt_initial_s=h, fixed_step=True),
                                       previous_state=(-h, t_before), t_initial_k=np.full(net.n_nodes, 300.0))
        values.append(float(np.mean(sol.t_k[-1][heated])))
    errs = [v - exact for v in values]
    eps1 = float(np.interp(values[-1], *table))
    report.add("louvered_transient", f"T1(2000 s), BDF2 h = 10 s (louver eps {eps1:.3f})", values[-1], exact,
               errs[-1], abs(values[-1] - values[-2]), "K", "lumped radiosity ODE, solve_ivp Radau 1e-12")
    falls = float(min(abs(errs[0]) / abs(errs[1]), abs(errs[1]) / abs(errs[2])))
    report.add("louvered_transient", "error reduction per step halving", falls, 2.0, falls - 2.0, math.inf, "",
               "the a-posteriori bound above holds when the error at least halves", kind="above")
    _balance(report, "louvered_transient", sol)


def _stefan_front(width_k, out_dir=None):
    """(melted thickness, Neumann's) of stefan_melting with a melting range of ``width_k``."""
    over = {"materials.paraffin.melting_range": ["300 K", f"{300.0 + width_k} K"],
            "nodes.wall.temperature": f"{310.0 + width_k / 2} K"}
    case = _case("stefan_melting", over)
    result = solve(case, output=None if out_dir is None else out_dir / f"stefan_melting_{width_k:g}K.h5")
    mat = case.materials["paraffin"]
    melted = float(np.sum(pcm.melt_fraction(result.fields["slab"][-1, 0, 0, :], *mat.melting_k))
                   * case.panels[0].length_x_m / case.panels[0].x_cells)
    cp = mat.cp(300.0)
    lam = analytic.neumann_melting_lambda(cp * 10.0 / mat.latent_heat_j_kg)
    alpha = mat.k_inplane(300.0) / (mat.rho_kg_m3 * cp)
    return melted, 2 * lam * math.sqrt(alpha * float(result.times_s[-1])), result


def check_stefan(report, out_dir, quick):
    """The one-phase Stefan problem against Neumann's solution.  The enthalpy method spreads the
    latent heat over the melting range: the front runs ahead by a share that falls in proportion to
    the range (measured: 0.8 %, 0.42 %, 0.09 % at 0.4, 0.2, 0.05 K for a 10 K drive).  Tolerance: the
    range over the drive (the share of the driving temperature difference the smearing blurs)."""
    widths = (0.2, 0.05)
    errs = []
    for width in widths:
        melted, exact, result = _stefan_front(width, out_dir)
        errs.append((melted - exact) / exact)
    report.add("stefan_melting", f"melted thickness at 3 h, range {widths[-1]:g} K", melted, exact, errs[-1] * exact,
               widths[-1] / 10.0 * exact, "m", "Neumann: s = 2 lambda sqrt(alpha t), St = 0.1")
    order = analytic.observed_order(widths, np.abs(errs))
    report.add("stefan_melting", "error's order in the melting range", order, 1.0, order - 1.0, 0.2, "",
               "the smeared latent heat's bias, linear in the range")
    _balance(report, "stefan_melting", result.solution)


def check_vchp(report, out_dir, quick):
    """A gas-loaded heat pipe against the flat-front closed form at three powers (three vapour
    temperatures): the vapour temperature T solves Q = g (L_c - L_g(T)) (T - T_host), g the condenser
    film in series with the saddle, T_host the sink plus the contact's rise, L_g from the gas balance
    with the gas at T_host; Q is the heat the vapour carries (the wall's axial conduction bypasses
    it).  Tolerance: ten times the front's settling tolerance on T, carried to L_a and G."""
    for power in (30.0,) if quick else (10.0, 30.0, 60.0):
        case = _case("vchp_front", {"panels.evap.footprints.load.power": f"{power} W"})
        result = solve(case, output=None if out_dir is None else out_dir / f"vchp_front_{int(power)}W.h5")
        pipe = case.heat_pipes[0]
        rec = result.heat_pipes["vchp"]
        t_v, q, active = float(rec["t_vapour"][-1]), float(rec["q"][-1]), float(rec["active_series"][-1])
        cond = case.panels[1]
        contact = case.contacts[0]
        t_host = case.nodes[0].fixed_t_k + power / (contact.conductance_w_m2k * cond.length_x_m * cond.length_y_m)
        g = 1.0 / (1.0 / pipe.film_condenser_w_mk + 1.0 / (pipe.saddle_w_m2k * pipe.saddle_width_m))
        l_c = pipe.length_by_role()["condenser"]

        def active_m(t):
            return l_c - vchp.front(pipe, t, t_host)

        t_exact = brentq(lambda t: q - g * active_m(t) * (t - t_host), t_host + 1e-6, 400.0, xtol=1e-12)
        tol_t = 10 * FRONT_T_TOL_K
        slope = abs(active_m(t_exact + 1e-3) - active_m(t_exact - 1e-3)) / 2e-3
        report.add("vchp_front", f"active condenser at {power:g} W (T_v {t_exact - 273.15:.2f} degC)", active,
                   active_m(t_exact), active - active_m(t_exact), slope * tol_t, "m",
                   "n R = (p(Tv) - p(Tr)) Vr/Tr + (p(Tv) - p(Tg)) Av Lg/Tg")
        g_num, g_exact = q / (t_v - t_host), g * active_m(t_exact)
        report.add("vchp_front", f"conductance at {power:g} W", g_num, g_exact, g_num - g_exact,
                   g_exact * tol_t / (t_exact - t_host) + g * slope * tol_t, "W/K", "G = Q / (T_v - T_host)")
    _balance(report, "vchp_front", result.solution)


def _branch_sat(rec, name):
    """(index, T_sat at the branch's first and last node) of a two-phase loop's branch."""
    b = rec["branches"].index(name)
    p = np.asarray(rec["pressure"][-1])[np.asarray(rec["branch_of_node"]) == b]
    p_source = float(rec["manifold_pressure"][-1][b])  # this case: branch k leaves the k-th manifold (a, b, ...)
    t_sat = two_phase.saturation_table("ammonia").t_sat(np.append(p, p_source))
    return b, float(t_sat.min()), float(t_sat.max())


def _spread(fun, t_sat_a, t_sat_b):
    """The closed form at the mean of a branch's saturation temperatures, and half its change across
    them (the closed forms take T_sat constant; the pressure drop moves it by millikelvin)."""
    lo, hi = fun(t_sat_a), fun(t_sat_b)
    return 0.5 * (lo + hi), 0.5 * abs(hi - lo)


def check_two_phase_tubes(report, out_dir, quick):
    """A mechanically pumped two-phase loop through tubes on walls at fixed temperatures: the heat of
    each piece is an exact march through liquid, boiling and vapour at its wall's temperature, so
    every piece count gives the closed forms (to the Newton tolerance and the saturation
    temperature's drift along the branch)."""
    sat = two_phase.saturation_table("ammonia")
    m_dot = 1e-3

    def props(t_sat):
        return (float(sat.at(t_sat, "cp_f")), float(sat.at(t_sat, "cp_g")),
                float(sat.at(t_sat, "h_g") - sat.at(t_sat, "h_f")))

    for pieces in (1, 7) if quick else (1, 7, 40):
        over = {"loops.l.branches.evaporator.sections.0.pieces": pieces,
                "loops.l.branches.condenser.sections.0.pieces": pieces}
        result, rec = _loop_run("two_phase_tubes", over, out_dir if pieces == 7 else None)
        newton_x = _newton_tol(result.case, result.solution.t_k[-1]) * props(293.15)[0] / props(293.15)[2]
        b, ta, tb = _branch_sat(rec, "evaporator")
        t_in, t_w, hp = float(rec["t_in"][-1][b]), 313.15, 1000.0 * math.pi * 0.01

        def evaporator_x(t_sat):
            cp_l, _, h_fg = props(t_sat)
            l1 = m_dot * cp_l / hp * math.log((t_w - t_in) / (t_w - t_sat))
            return hp * (t_w - t_sat) * (1.0 - l1) / (m_dot * h_fg)

        expected, drift = _spread(evaporator_x, ta, tb)
        x = float(rec["exit_quality"][-1][b])
        report.add("two_phase_tubes", f"evaporator exit quality, {pieces} pieces", x, expected, x - expected,
                   drift + newton_x, "", "L1 = (m cp_l/hP) ln((Tw-Tin)/(Tw-Tsat)); x = hP (Tw-Tsat)(L-L1)/(m h_fg)")
        b, ta, tb = _branch_sat(rec, "condenser")
        t_v, t_w, hp = float(rec["t_in"][-1][b]), 278.15, 500.0 * math.pi * 0.01

        def condenser_x(t_sat):
            _, cp_v, h_fg = props(t_sat)
            l1 = m_dot * cp_v / hp * math.log((t_v - t_w) / (t_sat - t_w))
            return 1.0 - hp * (t_sat - t_w) * (1.0 - l1) / (m_dot * h_fg)

        expected, drift = _spread(condenser_x, ta, tb)
        x = float(rec["exit_quality"][-1][b])
        report.add("two_phase_tubes", f"condenser exit quality, {pieces} pieces", x, expected, x - expected,
                   drift + newton_x, "", "L1 = (m cp_v/hP) ln((Tv-Tw)/(Tsat-Tw)); x = 1 - hP (Tsat-Tw)(L-L1)/(m h_fg)")
    _balance(report, "two_phase_tubes", result.solution)
    # a condenser long enough to subcool: desuperheat, condense, then the liquid's exponential
    length = 5.5
    result, rec = _loop_run("two_phase_tubes", {"loops.l.branches.condenser.sections.0.length": f"{length} m"})
    b, ta, tb = _branch_sat(rec, "condenser")
    t_v = float(rec["t_in"][-1][b])

    def condenser_t(t_sat):
        cp_l, cp_v, h_fg = props(t_sat)
        l1 = m_dot * cp_v / hp * math.log((t_v - t_w) / (t_sat - t_w))
        l2 = m_dot * h_fg / (hp * (t_sat - t_w))
        return t_w + (t_sat - t_w) * math.exp(-hp * (length - l1 - l2) / (m_dot * cp_l))

    expected, drift = _spread(condenser_t, ta, tb)
    t_out = float(rec["t_out"][-1][b])
    report.add("two_phase_tubes", f"subcooled condenser outlet T, {length:g} m", t_out, expected, t_out - expected,
               drift + _newton_tol(result.case, result.solution.t_k[-1]), "K",
               "T = Tw + (Tsat-Tw) exp(-hP (L-L1-L2)/(m cp_l)), L2 = m h_fg/(hP (Tsat-Tw))")
    _balance(report, "two_phase_tubes", result.solution)


def _two_phase_fin_reference(t_in, t_sat, cp_l, cp_v, h_fg, m_dot, length):
    """Outlet T of m de/dz = -hP (T(e) - T_fin), hP (T - T_fin) = eps sigma W T_fin^4, e = h - h_f,
    integrated phase by phase (each a smooth ODE; solve_ivp stops at the phase boundary)."""
    hp, q4 = 2000.0 * math.pi * 0.006, 0.9 * SIGMA_W_M2K4 * 0.1

    def temp(e):
        return t_sat + e / cp_l if e < 0.0 else (t_sat if e <= h_fg else t_sat + (e - h_fg) / cp_v)

    def rhs(_, y):
        t = temp(y[0])
        t_fin = brentq(lambda tf: hp * (t - tf) - q4 * tf ** 4, 0.0, t, xtol=1e-13)
        return [-hp * (t - t_fin) / m_dot]

    z, e = 0.0, h_fg + cp_v * (t_in - t_sat)
    for edge in (h_fg, 0.0, -math.inf):
        if e <= edge:
            continue
        event = (lambda _, y, edge=edge: y[0] - edge) if math.isfinite(edge) else None
        if event is not None:
            event.terminal = True
        sol = solve_ivp(rhs, (z, length), [e], rtol=1e-11, atol=1e-9, events=event)
        z, e = float(sol.t[-1]), float(sol.y[0, -1])
        if sol.status != 1:  # reached the end of the fin inside this phase
            break
        e = edge - 1e-9  # just past the boundary
    return temp(e)


def check_two_phase_radiator(report, out_dir, quick):
    """A condensing radiator: vapour desuperheats, condenses and subcools along a radiating fin
    through a finite film.  With the film between fluid and fin, the fin cell settles between the
    piece's inflow and outflow states and the upwind offsets cancel to leading order (as in the
    counterflow case): the order tends to 2 (measured 1.70, 1.89, 1.96 from 100 to 800 cells;
    errors 0.60, 0.18, 0.050, 0.013 K).  Tolerance: the first-order Richardson bound (the last
    change + 10 %), which holds in the pre-asymptotic range too."""
    sat = two_phase.saturation_table("ammonia")
    ns = (100, 200, 400) if quick else (200, 400, 800)
    runs = []
    for n in ns:
        result, rec = _loop_run("two_phase_radiator", {"panels.fin.cells": [n, 1]},
                                out_dir if n == ns[-1] else None)
        b = rec["branches"].index("fin")
        t_sat = float(sat.t_sat(np.mean(np.asarray(rec["pressure"][-1])[np.asarray(rec["branch_of_node"]) == b])))
        exact = _two_phase_fin_reference(float(rec["t_in"][-1][b]), t_sat, float(sat.at(t_sat, "cp_f")),
                                         float(sat.at(t_sat, "cp_g")),
                                         float(sat.at(t_sat, "h_g") - sat.at(t_sat, "h_f")),
                                         float(rec["mass_flow"][-1][b]), 1.0)
        runs.append((float(rec["t_out"][-1][b]), exact, result))
    errs = [abs(t - e) for t, e, _ in runs]
    order = analytic.observed_order([1.0 / n for n in ns], errs)
    t_fine, exact, result = runs[-1]
    report.add("two_phase_radiator", f"outlet T (vapour in, subcooled out), {ns[-1]} cells", t_fine, exact,
               t_fine - exact, 1.1 * abs(runs[-1][0] - runs[-2][0]), "K",
               "ODE m de/dz = -hP (T(e) - T_fin), hP (T - T_fin) = eps sigma W T_fin^4")
    report.add("two_phase_radiator", "observed order (along the flow)", order, 2.0, order - 2.0, 0.25, "")
    report.orders["two_phase_radiator"] = ([1.0 / n for n in ns], errs)
    _balance(report, "two_phase_radiator", result.solution)


CHECKS += (check_louvered_exchange, check_louvered_exchange_transient, check_tube_constant_wall, check_radiating_tube_fin, check_counterflow, check_friction_laws,
           check_parallel_branches, check_two_phase_tubes, check_two_phase_radiator, check_thermostat, check_louver, check_stefan, check_vchp)


def run_validation(out_dir, quick: bool = False, figures: bool = True) -> Report:
    start = time.perf_counter()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    report = Report()
    for check in CHECKS:
        check(report, out_dir, quick)
    report.wall_s = time.perf_counter() - start
    if figures:
        _figures(report, out_dir)
    write_markdown_report(report, out_dir, quick)
    return report


def _figures(report, out_dir):
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 4.5))
    for name, (hs, errs) in report.orders.items():
        order = analytic.observed_order(hs, errs)
        ax.loglog(hs / np.max(hs), errs, "o-", label=f"{name} (order {order:.2f})")
    h = np.array([1.0, 1.0 / 8])
    ax.loglog(h, 0.3 * np.max([e[0] for _, e in report.orders.values()]) * h**2, "k--", label="slope 2")
    ax.set_xlabel("h / h_coarsest")
    ax.set_ylabel("max |T - T_exact| [K]")
    ax.set_title("Spatial convergence")
    ax.legend(fontsize=8)
    ax.grid(True, which="both", alpha=0.3)
    report.figures.append(save_figure(plt, fig, out_dir / "convergence.png", 110).name)

    fin = getattr(report, "fin_profile", None)
    if fin is not None:
        fig, ax = plt.subplots(figsize=(6, 4))
        x = np.linspace(0, 0.3, 300)
        ax.plot(x * 1e3, fin["t_exact"](x), "k-", label="solve_bvp (1e-9)")
        ax.plot(fin["xc"] * 1e3, fin["t"], ".", ms=3, label="thermal (cell centres)")
        ax.set_xlabel("distance from base [mm]")
        ax.set_ylabel("T [K]")
        ax.set_title(f"Radiating fin: efficiency {fin['eff']:.5f} (exact {fin['eff_exact']:.5f})")
        ax.legend()
        report.figures.append(save_figure(plt, fig, out_dir / "fin_profile.png", 110).name)

    pp = getattr(report, "parallel_pipes", None)
    if pp is not None:
        fig, ax = plt.subplots(figsize=(6, 4))
        x = np.linspace(0, 2 * pp["half"], 400)
        ax.plot(x * 1e3, pp["t_exact"](np.abs(x - pp["half"])), "k-", label="radiating fin, base at T_v - drops")
        ax.plot(pp["x"] * 1e3, pp["t"], ".", ms=5, label="thermal (cell centres)")
        ax.axhline(pp["t_vapour"], color="tab:red", ls=":", label=f"vapour {pp['t_vapour']:.2f} K")
        ax.set_xlabel("x across the pitch [mm] (pipe at the centre)")
        ax.set_ylabel("T [K]")
        ax.set_title("Parallel heat pipes: temperature between pipes")
        ax.legend(fontsize=8)
        report.figures.append(save_figure(plt, fig, out_dir / "parallel_pipes.png", 110).name)


def write_markdown_report(report, out_dir, quick):
    lines = ["# thermal validation report", "", f"Produced by {provenance_line()}.", "",
             f"Mode: {'quick' if quick else 'full'}; {len(report.checks)} checks, "
             f"{sum(c.passed for c in report.checks)} passed; wall time {report.wall_s:.1f} s.", "",
             "Expected values come from closed forms or scipy's solve_bvp (thermal/physics/analytic.py); tolerances are "
             "the Newton stopping rule, round-off, or the leading truncation term (see thermal/apps/validation.py).", "",
             report.table(), ""]
    for fig in report.figures:
        lines += [f"![{fig}]({fig})", ""]
    (out_dir / "REPORT.md").write_text("\n".join(lines), encoding="utf-8")
