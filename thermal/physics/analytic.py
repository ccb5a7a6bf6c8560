"""Closed forms and tightly-integrated references used by the tests and `thermal validate`.

Each function states the problem it solves; all inputs and outputs in SI units.
"""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from scipy.integrate import solve_bvp
from scipy.optimize import brentq, fsolve

from thermal.constants import SIGMA_W_M2K4



def isothermal_plate_k(power_w: float, area_m2: float, eps: float, faces: int, t_sink_k: float,
                       absorbed_w: float = 0.0) -> float:
    """Uniform plate: (P + Q_abs) = faces * eps sigma A (T^4 - T_sink^4)."""
    return ((power_w + absorbed_w) / (faces * eps * SIGMA_W_M2K4 * area_m2) + t_sink_k**4) ** 0.25


def absorbed_flux_plate_k(alpha: float, eps: float, q_solar_w_m2: float, q_ir_w_m2: float, faces: int,
                          t_sink_k: float) -> float:
    """Plate with no internal power, sunlit (alpha) and IR-lit (eps) on one face, radiating from ``faces``:
    alpha q_s + eps q_ir = faces eps sigma (T^4 - T_sink^4)."""
    return ((alpha * q_solar_w_m2 + eps * q_ir_w_m2) / (faces * eps * SIGMA_W_M2K4) + t_sink_k**4) ** 0.25


def radiating_slab(z_m, thickness_m: float, q_w_m3: float, k_w_mk: float, eps: float, t_sink_k: float):
    """Slab with uniform generation radiating from both faces (1-D, symmetric).

    Face: q L / 2 = eps sigma (T_s^4 - T_sink^4); inside: T(z) = T_s + q z (L - z) / (2 k).
    Returns (T(z), T_s).
    """
    t_s = (q_w_m3 * thickness_m / 2 / (eps * SIGMA_W_M2K4) + t_sink_k**4) ** 0.25
    z = np.asarray(z_m, float)
    return t_s + q_w_m3 * z * (thickness_m - z) / (2 * k_w_mk), t_s


def radiating_fin(length_m: float, thickness_m: float, k_w_mk: float, eps: float, t_base_k: float,
                  t_sink_k: float, tol: float = 1e-9):
    """Straight fin radiating from both faces, base at T_b, adiabatic tip:

        k t T'' = 2 eps sigma (T^4 - T_sink^4),  T(0) = T_b,  T'(L) = 0

    solved with ``scipy.integrate.solve_bvp`` (analytic Jacobian) to a relative residual ``tol``;
    at 1e-9 the base heat flow agrees with the 1e-8 solution to 6e-13 (1e-10 exceeds its mesh limit).  Returns (callable T(x), base heat flow per
    unit width [W/m], fin efficiency Q / (2 eps sigma L (T_b^4 - T_sink^4))).
    """
    c = 2 * eps * SIGMA_W_M2K4 / (k_w_mk * thickness_m)

    def rhs(x, y):
        return np.vstack([y[1], c * (y[0] ** 4 - t_sink_k**4)])

    def jac(x, y):
        j = np.zeros((2, 2, x.size))
        j[0, 1] = 1.0
        j[1, 0] = 4 * c * y[0] ** 3
        return j

    def bc(ya, yb):
        return np.array([ya[0] - t_base_k, yb[1]])

    def bc_jac(ya, yb):
        return np.array([[1.0, 0.0], [0.0, 0.0]]), np.array([[0.0, 0.0], [0.0, 1.0]])

    x = np.linspace(0, length_m, 2000)
    y0 = np.vstack([np.full_like(x, t_base_k), np.zeros_like(x)])
    sol = solve_bvp(rhs, bc, x, y0, fun_jac=jac, bc_jac=bc_jac, tol=tol, max_nodes=1_000_000, bc_tol=1e-12)
    if not sol.success:
        raise RuntimeError(f"solve_bvp did not converge: {sol.message}")
    q_base = -k_w_mk * thickness_m * float(sol.sol(0.0)[1])
    eff = q_base / (2 * eps * SIGMA_W_M2K4 * length_m * (t_base_k**4 - t_sink_k**4))
    return (lambda xx: sol.sol(np.asarray(xx, float))[0]), q_base, eff


def manufactured_plate(x, y, t0_k: float, dt_k: float, lx: float, ly: float):
    """T = T0 + dT cos(pi x / Lx) cos(pi y / Ly): zero normal gradient on every edge of the plate."""
    return t0_k + dt_k * np.cos(np.pi * x / lx) * np.cos(np.pi * y / ly)


def manufactured_plate_source(x, y, t0_k, dt_k, lx, ly, k_w_mk, thickness_m, eps, t_sink_k, faces=2):
    """Heat input per area [W/m2] that makes ``manufactured_plate`` the exact steady solution of
    k d lap(T) + q - faces eps sigma (T^4 - T_sink^4) = 0."""
    t = manufactured_plate(x, y, t0_k, dt_k, lx, ly)
    lap = -(np.pi**2 / lx**2 + np.pi**2 / ly**2) * (t - t0_k)
    return -k_w_mk * thickness_m * lap + faces * eps * SIGMA_W_M2K4 * (t**4 - t_sink_k**4)


def observed_order(h, errors) -> float:
    """Slope of log(error) against log(h), least squares over all refinements."""
    return float(np.polyfit(np.log(np.asarray(h, float)), np.log(np.asarray(errors, float)), 1)[0])


def radiative_cooling_time_s(t_k, t0_k, capacity_j_k, eps_area_m2, t_sink_k):
    """Time for a lumped body (capacity C, emitting eps A) to cool from T0 to T towards a sink:
    C dT/dt = -eps sigma A (T^4 - Ts^4).  Ts = 0: t = C/(3 eps sigma A) (T^-3 - T0^-3); Ts > 0:
    t = C/(eps sigma A) (G(T0) - G(T)), G(T) = [ln((T - Ts)/(T + Ts)) - 2 atan(T/Ts)] / (4 Ts^3)."""
    k = eps_area_m2 * SIGMA_W_M2K4 / capacity_j_k
    if t_sink_k == 0.0:
        return (t_k**-3 - t0_k**-3) / (3 * k)
    a = t_sink_k

    def g(t):
        return (np.log((t - a) / (t + a)) - 2 * np.arctan(t / a)) / (4 * a**3)

    return (g(t0_k) - g(t_k)) / k


def radiative_cooling_temperature_k(time_s, t0_k, capacity_j_k, eps_area_m2, t_sink_k):
    """Inverse of radiative_cooling_time_s (bracketed root, to 1e-13 relative)."""
    lo = t_sink_k * (1 + 1e-12) if t_sink_k > 0 else 1e-3
    hi = t0_k
    if time_s < 0:  # before the start: hotter than T0
        lo, hi = t0_k, 2 * t0_k
        while radiative_cooling_time_s(hi, t0_k, capacity_j_k, eps_area_m2, t_sink_k) > time_s:
            hi *= 2
    return brentq(lambda t: radiative_cooling_time_s(t, t0_k, capacity_j_k, eps_area_m2, t_sink_k) - time_s,
                  lo, hi, xtol=1e-13 * t0_k, rtol=4 * np.finfo(float).eps)


@lru_cache(maxsize=256)  # a sizing asks for the same plate hundreds of times (4.5 ms a sum at 400 terms)
def spreading_resistance_isothermal_base(a_m, b_m, c_m, d_m, t_m, k_w_mk, terms=1600):
    """Mean-source-temperature resistance [K/W] of a uniform-flux a x b source centred on the top of
    a c x d x t plate (conductivity k) with adiabatic sides and an isothermal bottom.

    Separation of variables: T = sum A_mn cos(m pi x / c) cos(n pi y / d) sinh(beta_mn z), with the
    top flux expanded in the same cosines; averaging over the source gives
    R = sum_mn (e_m e_n / (c d)) X_m^2 Y_n^2 tanh(beta_mn t) / (k beta_mn)   (the (0,0) term: t/(k c d)),
    X_m = (1/a) integral of cos(m pi x / c) over the source, e_0 = 1, e_m = 2.  This is the isothermal-
    base limit of the Yovanovich-Muzychka-Culham series for rectangular flux channels.  The sum over
    m, n < ``terms`` converges as 1/terms (1e-5 relative at 1600)."""
    m = np.arange(0, terms + 1)
    dm = m * np.pi / c_m
    ln = m * np.pi / d_m

    def source_mean(delta, length, width):
        out = np.ones_like(delta)
        nz = delta > 0
        out[nz] = 2 * np.cos(delta[nz] * length / 2) * np.sin(delta[nz] * width / 2) / (delta[nz] * width)
        return out

    x, y = source_mean(dm, c_m, a_m), source_mean(ln, d_m, b_m)
    e = np.where(m == 0, 1.0, 2.0)
    beta = np.sqrt(dm[:, None] ** 2 + ln[None, :] ** 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        g = np.where(beta > 0, np.tanh(beta * t_m) / (k_w_mk * beta), t_m / k_w_mk)
    return float(np.sum(e[:, None] * e[None, :] * (x * x)[:, None] * (y * y)[None, :] * g) / (c_m * d_m))


_GAUSS_U, _GAUSS_W = np.polynomial.legendre.leggauss(64)


def radiating_fin_first_integral(length_m, thickness_m, k_w_mk, eps, t_base_k, t_sink_k):
    """The same fin as :func:`radiating_fin`, from the ODE's first integral (fast, for design loops).

    With c = 2 eps sigma / (k t) and T'(tip) = 0, T(tip) = T_t, multiplying T'' = c (T^4 - T_s^4) by
    T' and integrating gives T'^2 = 2 c (T - T_t) H(T), H(T) = (T^4 + T^3 T_t + T^2 T_t^2 + T T_t^3
    + T_t^4) / 5 - T_s^4 (the factor T - T_t divided out exactly, so no cancellation near the tip).
    The substitution T = T_t + u^2 leaves a smooth integrand for the fin length,
    L(T_t) = int_0^sqrt(T_b - T_t) 2 du / sqrt(2 c H(T_t + u^2)), taken by 64-point Gauss-Legendre;
    T_t is found (Brent) so that L(T_t) = length, and the base heat flow per unit width is
    k t T'(base) = k t sqrt(2 c (T_b - T_t) H(T_b)).  About 50x faster than shooting with an ODE
    integrator, agreeing with :func:`radiating_fin` (solve_bvp) to 1e-9 (tests/test_validation.py).
    Returns (base heat flow per unit width [W/m], fin efficiency, tip T [K])."""
    if t_base_k <= t_sink_k:
        return 0.0, 1.0, t_base_k
    c = 2 * eps * SIGMA_W_M2K4 / (k_w_mk * thickness_m)
    ts4 = t_sink_k**4

    def h(t, t_tip):
        return (t**4 + t**3 * t_tip + t**2 * t_tip**2 + t * t_tip**3 + t_tip**4) / 5.0 - ts4

    def length_of(t_tip):
        top = math.sqrt(t_base_k - t_tip)
        u = 0.5 * top * (_GAUSS_U + 1.0)
        return 0.5 * top * float(_GAUSS_W @ (2.0 / np.sqrt(2.0 * c * h(t_tip + u * u, t_tip))))

    lo = t_sink_k + 1e-9 * (t_base_k - t_sink_k)
    if length_of(lo) <= length_m:  # longer than the quadrature resolves: the fin tip sits at the sink
        t_tip = lo
    else:
        t_tip = brentq(lambda tt: length_of(tt) - length_m, lo, t_base_k, xtol=1e-13 * t_base_k,
                       rtol=4 * np.finfo(float).eps)
    q = k_w_mk * thickness_m * math.sqrt(2.0 * c * (t_base_k - t_tip) * h(t_base_k, t_tip))
    ideal = 2 * eps * SIGMA_W_M2K4 * length_m * (t_base_k**4 - ts4)
    return q, q / ideal, t_tip


def view_factor_to_sphere_numerical(cos_lambda: float, h_ratio: float, n: int = 600) -> float:
    """View factor from a flat face to a sphere by brute force, for checking the closed form:
    F = (1/pi) integral over the visible cap of cos(t1) cos(t2) / d^2 dA, midpoint rule in (polar
    angle from the sub-satellite point, azimuth) on an n x 2n grid; sphere radius 1, face at height
    ``h_ratio`` (radii from the centre), its normal tilted by lambda from nadir.  First order at the
    face's own horizon, where the integrand has a kink: compare two n to bound the error."""
    g_max = math.acos(1.0 / h_ratio)  # the horizon seen from the face's height
    g = (np.arange(n) + 0.5) * g_max / n
    p = (np.arange(2 * n) + 0.5) * 2 * math.pi / (2 * n)
    gg, pp = np.meshgrid(g, p, indexing="ij")
    pts = np.stack([np.sin(gg) * np.cos(pp), np.sin(gg) * np.sin(pp), np.cos(gg)], axis=-1)
    d = pts - np.array([0.0, 0.0, h_ratio])
    dist = np.linalg.norm(d, axis=-1)
    lam = math.acos(max(-1.0, min(1.0, cos_lambda)))
    normal = np.array([math.sin(lam), 0.0, -math.cos(lam)])  # nadir is -z
    cos1 = (d @ normal) / dist
    cos2 = -np.sum(d * pts, axis=-1) / dist
    integrand = np.where((cos1 > 0) & (cos2 > 0), cos1 * cos2 / dist**2, 0.0) * np.sin(gg)
    return float(integrand.sum() * (g_max / n) * (2 * math.pi / (2 * n)) / math.pi)


# ---------------------------------------------------------------------------------------------
# View factors between surfaces (Howell, *A Catalog of Radiation Heat Transfer Configuration
# Factors*, 3rd ed.; Incropera & DeWitt, Table 13.2)


def vf_parallel_rectangles(x_m: float, y_m: float, gap_m: float) -> float:
    """Directly opposed parallel rectangles x by y at distance gap (Howell C-11)."""
    a, b = x_m / gap_m, y_m / gap_m
    return 2.0 / (math.pi * a * b) * (
        math.log(math.sqrt((1 + a * a) * (1 + b * b) / (1 + a * a + b * b)))
        + a * math.sqrt(1 + b * b) * math.atan(a / math.sqrt(1 + b * b))
        + b * math.sqrt(1 + a * a) * math.atan(b / math.sqrt(1 + a * a))
        - a * math.atan(a) - b * math.atan(b))


def vf_perpendicular_rectangles(common_m: float, width_from_m: float, width_to_m: float) -> float:
    """Perpendicular rectangles with a common edge of length common_m, from the one of width
    width_from_m to the one of width width_to_m (Howell C-14)."""
    h, w = width_to_m / common_m, width_from_m / common_m
    a = (1 + w * w) * (1 + h * h) / (1 + w * w + h * h)
    b = (w * w * (1 + w * w + h * h) / ((1 + w * w) * (w * w + h * h))) ** (w * w)
    c = (h * h * (1 + h * h + w * w) / ((1 + h * h) * (h * h + w * w))) ** (h * h)
    return 1.0 / (math.pi * w) * (w * math.atan(1 / w) + h * math.atan(1 / h)
                                  - math.sqrt(h * h + w * w) * math.atan(1 / math.sqrt(h * h + w * w))
                                  + 0.25 * math.log(a * b * c))


def vf_coaxial_discs(r_from_m: float, r_to_m: float, gap_m: float) -> float:
    """Coaxial parallel discs (Howell C-41)."""
    ri, rj = r_from_m / gap_m, r_to_m / gap_m
    s = 1 + (1 + rj * rj) / (ri * ri)
    return 0.5 * (s - math.sqrt(s * s - 4 * (r_to_m / r_from_m) ** 2))


def vf_element_to_parallel_rectangle(a_m: float, b_m: float, gap_m: float) -> float:
    """A small element to a parallel a by b rectangle, the element's normal through one corner
    (Howell B-3)."""
    x, y = a_m / gap_m, b_m / gap_m
    return 1.0 / (2 * math.pi) * (x / math.sqrt(1 + x * x) * math.atan(y / math.sqrt(1 + x * x))
                                  + y / math.sqrt(1 + y * y) * math.atan(x / math.sqrt(1 + y * y)))


# ---------------------------------------------------------------------------------------------
# Grey diffuse enclosures solved by the radiosity (net-radiation) method, the textbook way
# (Incropera & DeWitt, sec. 13.3; Modest, ch. 5): isothermal surfaces, what is not seen is black
# space at t_sink.  Independent of the solver's exchange areas, Gebhart factors and Newton.


def radiosity_net_w(area_m2, eps, f, t_k, t_sink_k: float) -> np.ndarray:
    """Net radiation leaving each surface [W] for given temperatures: radiosities from
    J_i = eps_i E_i + (1 - eps_i) H_i,  H_i = sum_j F_ij J_j + (1 - sum_j F_ij) E_space;  q_i = A_i (J_i - H_i)."""
    area, eps, f = (np.asarray(v, float) for v in (area_m2, eps, f))
    e_b = SIGMA_W_M2K4 * np.asarray(t_k, float) ** 4
    e_space = SIGMA_W_M2K4 * t_sink_k**4
    space = 1.0 - f.sum(axis=1)
    lhs = np.eye(area.size) - (1.0 - eps)[:, None] * f
    j = np.linalg.solve(lhs, eps * e_b + (1.0 - eps) * space * e_space)
    h = f @ j + space * e_space
    return area * (j - h)


def radiosity_bodies_k(area_m2, eps, f, body, power_w, t_sink_k: float, t_guess_k: float = 300.0) -> np.ndarray:
    """Temperatures of isothermal bodies (each owning the surfaces with its index in ``body``) that
    radiate away their ``power_w`` (their net radiation equals it): a root of the radiosity balance."""
    body = np.asarray(body)
    n_body = len(power_w)

    def balance(log_t):
        t = np.exp(log_t)
        q = radiosity_net_w(area_m2, eps, f, t[body], t_sink_k)
        return (np.bincount(body, q, minlength=n_body) - np.asarray(power_w)) / max(np.abs(power_w).max(), 1.0)

    sol = fsolve(balance, np.full(n_body, math.log(t_guess_k)), xtol=1e-13)
    worst = float(np.max(np.abs(balance(sol))))
    if not worst <= 1e-11:  # relative to the largest power: far below any tolerance it is used with
        raise RuntimeError(f"radiosity reference did not converge (relative residual {worst:.2e})")
    return np.exp(sol)


def parallel_plates_eps_eff(eps1: float, eps2: float) -> float:
    """Effective emittance of two infinite parallel grey plates: q = eps_eff sigma (T1^4 - T2^4)."""
    return 1.0 / (1.0 / eps1 + 1.0 / eps2 - 1.0)


def radiative_relaxation_time_s(t1_k, t2_k, capacity_j_k, eps_area_m2, q_w, t_sink_k):
    """Time for a lumped body heated by ``q_w`` and radiating (eps A) to a sink to go from T1 to T2:
    C dT/dt = Q - eps sigma A (T^4 - Ts^4) = eps sigma A (Te^4 - T^4), Te^4 = Q/(eps sigma A) + Ts^4
    (the LUMP-2 form).  With integral dT/(Te^4 - T^4) = [ln|(Te + T)/(Te - T)| + 2 atan(T/Te)]/(4 Te^3),
    t = C/(eps sigma A) (I(T2) - I(T1)); T1 and T2 on the same side of Te (heating below it,
    cooling above it)."""
    k = eps_area_m2 * SIGMA_W_M2K4 / capacity_j_k
    te = (q_w / (eps_area_m2 * SIGMA_W_M2K4) + t_sink_k**4) ** 0.25

    def primitive(t):
        return (math.log(abs((te + t) / (te - t))) + 2.0 * math.atan(t / te)) / (4.0 * te**3)

    if (t1_k - te) * (t2_k - te) <= 0.0:
        raise ValueError(f"T1 = {t1_k} K and T2 = {t2_k} K straddle the equilibrium {te} K: never reached")
    return (primitive(t2_k) - primitive(t1_k)) / k


def thermostat_cycle_s(on_k, off_k, t0_k, capacity_j_k, eps_area_m2, q_base_w, heater_w, t_sink_k, count):
    """The first ``count`` switching instants of a thermostat heater on a lumped radiating body
    started at T0 inside the deadband with the heater off (it cools to on_k, heats to off_k, ...)."""
    times, now = [], 0.0
    t_from, heating = t0_k, False
    for _ in range(count):
        if heating:
            now += radiative_relaxation_time_s(t_from, off_k, capacity_j_k, eps_area_m2, q_base_w + heater_w, t_sink_k)
            t_from = off_k
        else:
            now += radiative_relaxation_time_s(t_from, on_k, capacity_j_k, eps_area_m2, q_base_w, t_sink_k)
            t_from = on_k
        times.append(now)
        heating = not heating
    return np.array(times)


def neumann_melting_lambda(stefan: float) -> float:
    """Root of lambda exp(lambda^2) erf(lambda) = St / sqrt(pi): the one-phase Stefan problem (a solid
    at its melting point, its face raised to T_w at t = 0; St = c_l (T_w - T_m) / L) melts to
    s(t) = 2 lambda sqrt(alpha_l t) (Neumann's similarity solution)."""
    return brentq(lambda lam: lam * math.exp(lam * lam) * math.erf(lam) - stefan / math.sqrt(math.pi), 1e-12, 5.0,
                  xtol=1e-15)
