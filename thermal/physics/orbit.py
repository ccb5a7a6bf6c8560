"""Orbital heating environment: Sun direction, eclipse, Earth infrared and albedo on each face.

Frames.  The orbit frame is inertial over one orbit: ``e1`` points from the Earth's centre to
"orbit noon" (the point of the circular orbit closest to the Sun), ``n`` is the orbit normal
(angular momentum), ``e2 = n x e1``.  The Sun direction is ``s = cos(beta) e1 + sin(beta) n`` with
beta the beta angle.  The satellite is at ``r_hat = cos(theta) e1 + sin(theta) e2`` with
``theta = 2 pi t / P``: **t = 0 is orbit noon**.  Body axes follow from the attitude (see
``body_axes``); face normals are given in body axes.

Fluxes on a face with outward unit normal ``m`` (all W/m2, incident):

* direct sunlight  ``S nu max(0, m.s)``; ``nu`` = visible fraction of the solar disc (0 in umbra);
* Earth infrared   ``q_ir F(m)``; ``F`` = exact view factor from a flat face to the Earth sphere;
* albedo           ``S a F(m) max(0, r_hat.s)``: the reflected flux falls off with the cosine of
  the solar zenith angle at the sub-satellite point (the standard engineering model, e.g. the one
  in Gilmore's handbook; it ignores the crescent of sunlit Earth seen near the terminator).

Constants: IAU/IERS values as named below.
"""
from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass

import numpy as np

R_EARTH_M = 6_378_137.0  # WGS-84 equatorial radius
MU_EARTH_M3_S2 = 3.986004418e14  # IERS 2010
J2_EARTH = 1.08262668e-3
R_SUN_M = 6.957e8  # IAU 2015 nominal solar radius
AU_M = 1.495978707e11
SOLAR_CONSTANT_W_M2 = 1361.0  # total solar irradiance at 1 AU (Kopp & Lean 2011)
EARTH_IR_W_M2 = 237.0  # mean outgoing long-wave radiation at the top of the atmosphere
ALBEDO = 0.30  # mean Bond albedo
SIDEREAL_YEAR_S = 365.2422 * 86400.0  # tropical year: the mean Sun's period, which SSO tracks
MIN_ALTITUDE_M = 160e3  # below this a circular orbit decays within days: refused


def orbital_period_s(altitude_m: float) -> float:
    a = R_EARTH_M + altitude_m
    return 2.0 * math.pi * math.sqrt(a**3 / MU_EARTH_M3_S2)


def critical_beta_rad(altitude_m: float) -> float:
    """|beta| above which a circular orbit sees no eclipse (cylindrical shadow)."""
    return math.asin(R_EARTH_M / (R_EARTH_M + altitude_m))


def eclipse_fraction(altitude_m: float, beta_rad: float) -> float:
    """Fraction of a circular orbit in the Earth's cylindrical shadow (closed form):
    f = arccos( sqrt(h^2 + 2 R h) / ((R + h) cos beta) ) / pi  for |beta| < beta*, else 0."""
    if abs(beta_rad) >= critical_beta_rad(altitude_m):
        return 0.0
    h, r = altitude_m, R_EARTH_M
    return math.acos(math.sqrt(h * h + 2 * r * h) / ((r + h) * math.cos(beta_rad))) / math.pi


def sun_synchronous_inclination_rad(altitude_m: float) -> float:
    """Inclination whose J2 nodal precession follows the mean Sun (circular orbit):
    cos i = -(2/3) (dOmega/dt)_sun a^(7/2) / (J2 R^2 sqrt(mu))."""
    a = R_EARTH_M + altitude_m
    rate = 2.0 * math.pi / SIDEREAL_YEAR_S
    c = -2.0 * rate * a**3.5 / (3.0 * J2_EARTH * R_EARTH_M**2 * math.sqrt(MU_EARTH_M3_S2))
    if c < -1.0:
        raise ValueError(f"no sun-synchronous circular orbit at {altitude_m / 1e3:g} km")
    return math.acos(c)


def nodal_rate_rad_s(altitude_m: float, inclination_rad: float) -> float:
    """J2 precession of the ascending node of a circular orbit."""
    a = R_EARTH_M + altitude_m
    n = math.sqrt(MU_EARTH_M3_S2 / a**3)
    return -1.5 * J2_EARTH * (R_EARTH_M / a) ** 2 * n * math.cos(inclination_rad)


def _julian_days_j2000(when: _dt.datetime) -> float:
    if when.tzinfo is None:
        when = when.replace(tzinfo=_dt.timezone.utc)
    j2000 = _dt.datetime(2000, 1, 1, 12, tzinfo=_dt.timezone.utc)
    return (when - j2000).total_seconds() / 86400.0


def sun_position(when: _dt.datetime) -> tuple[np.ndarray, float]:
    """Unit vector to the Sun in the Earth-centred inertial (equatorial, mean equinox) frame and the
    Earth-Sun distance [m]; the Astronomical Almanac's low-precision formulae (0.01 deg, 1950-2050)."""
    d = _julian_days_j2000(when)
    g = math.radians((357.529 + 0.98560028 * d) % 360.0)
    q = math.radians((280.459 + 0.98564736 * d) % 360.0)
    lam = q + math.radians(1.915) * math.sin(g) + math.radians(0.020) * math.sin(2 * g)
    eps = math.radians(23.439 - 0.00000036 * d)
    r_au = 1.00014 - 0.01671 * math.cos(g) - 0.00014 * math.cos(2 * g)
    s = np.array([math.cos(lam), math.cos(eps) * math.sin(lam), math.sin(eps) * math.sin(lam)])
    return s, r_au * AU_M


def solar_constant_w_m2(when: _dt.datetime | None) -> float:
    """Solar flux at the Earth on a date (1/r^2 from the mean 1361 W/m2); the mean if no date."""
    if when is None:
        return SOLAR_CONSTANT_W_M2
    _, r = sun_position(when)
    return SOLAR_CONSTANT_W_M2 * (AU_M / r) ** 2


def orbit_normal(inclination_rad: float, raan_rad: float) -> np.ndarray:
    return np.array([math.sin(inclination_rad) * math.sin(raan_rad),
                     -math.sin(inclination_rad) * math.cos(raan_rad), math.cos(inclination_rad)])


def beta_angle_rad(inclination_rad: float, raan_rad: float, when: _dt.datetime) -> float:
    s, _ = sun_position(when)
    return math.asin(float(np.clip(orbit_normal(inclination_rad, raan_rad) @ s, -1.0, 1.0)))


def raan_from_ltan_rad(ltan_hours: float, when: _dt.datetime) -> float:
    """RAAN of an orbit whose ascending node is at local (mean solar) time ``ltan_hours``:
    the node is (LTAN - 12 h) x 15 deg/h east of the Sun's right ascension."""
    s, _ = sun_position(when)
    ra_sun = math.atan2(s[1], s[0])
    return (ra_sun + math.radians(15.0 * (ltan_hours - 12.0))) % (2 * math.pi)


def beta_through_year(altitude_m, inclination_rad, raan_rad, start: _dt.datetime, days=365, step_days=1.0):
    """(days, beta [rad]) with the node precessing by J2 from ``raan_rad`` at ``start``."""
    rate = nodal_rate_rad_s(altitude_m, inclination_rad)
    t = np.arange(0.0, days + 1e-9, step_days)
    beta = np.array([beta_angle_rad(inclination_rad, raan_rad + rate * day * 86400.0,
                                    start + _dt.timedelta(days=float(day))) for day in t])
    return t, beta


# ------------------------------------------------------------------------------ view factors
def view_factor_to_sphere(cos_lambda, h_ratio):
    """Exact view factor from a differential flat face to a sphere.

    ``cos_lambda`` = cosine of the angle between the face normal and the direction to the sphere's
    centre; ``h_ratio`` = (distance to the centre) / (sphere radius) > 1.  Three regimes: the whole
    sphere in front of the face (F = cos(lambda) / H^2), none of it (F = 0), and the partly
    visible cap (the closed form for a tilted element, e.g. Howell's catalogue, which reduces to
    (atan(1/sqrt(H^2-1)) - sqrt(H^2-1)/H^2)/pi for a face perpendicular to the nadir).
    """
    c = np.clip(np.asarray(cos_lambda, float), -1.0, 1.0)
    h = np.asarray(h_ratio, float)
    h, c = np.broadcast_arrays(h, c)
    lam = np.arccos(c)
    phi = np.arcsin(1.0 / h)  # half-angle of the sphere's disc
    out = np.empty_like(c)
    full = lam <= 0.5 * np.pi - phi
    none = lam >= 0.5 * np.pi + phi
    part = ~(full | none)
    out[full] = c[full] / h[full] ** 2
    out[none] = 0.0
    if part.any():
        hp, lp, cp = h[part], lam[part], c[part]
        x = np.sqrt(hp * hp - 1.0)
        s = np.sin(lp)
        y = -x * cp / s  # -sqrt(H^2-1) cot(lambda)
        out[part] = (0.5 - np.arcsin(np.clip(x / (hp * s), -1, 1)) / np.pi
                     + (cp * np.arccos(np.clip(y, -1, 1)) - x * np.sqrt(np.clip(1.0 - hp * hp * cp * cp, 0, None)))
                     / (np.pi * hp * hp))
    return out if out.ndim else float(out)


# ------------------------------------------------------------------------------ eclipse
def sun_visible_fraction(r_hat, s_hat, radius_m, sun_distance_m=AU_M, model="conical"):
    """Fraction of the solar disc visible from the satellite (1 in sunlight, 0 in umbra).

    ``cylindrical``: the Earth's shadow is a cylinder of radius R (0 or 1).
    ``conical``: apparent discs of Sun and Earth, with the penumbra as their overlap
    (Montenbruck & Gill, Satellite Orbits, 3.4.2)."""
    cos_sr = float(np.dot(r_hat, s_hat))
    if model == "cylindrical":
        behind = cos_sr < 0.0 and radius_m * math.sqrt(max(0.0, 1.0 - cos_sr * cos_sr)) < R_EARTH_M
        return 0.0 if behind else 1.0
    a_s = math.asin(R_SUN_M / sun_distance_m)
    a_e = math.asin(min(1.0, R_EARTH_M / radius_m))
    c = math.acos(max(-1.0, min(1.0, -cos_sr)))  # angle between the Earth's centre and the Sun
    if c >= a_s + a_e:
        return 1.0
    if c <= a_e - a_s:
        return 0.0
    if c <= a_s - a_e:
        return 1.0 - (a_e / a_s) ** 2
    x = (c * c + a_s * a_s - a_e * a_e) / (2.0 * c)
    y = math.sqrt(max(0.0, a_s * a_s - x * x))
    area = a_s * a_s * math.acos(x / a_s) + a_e * a_e * math.acos((c - x) / a_e) - c * y
    return 1.0 - area / (math.pi * a_s * a_s)


# ------------------------------------------------------------------------------ attitude
ATTITUDES = ("nadir", "inertial", "sun_tracking", "edge_on")
# directions fixed in space over an orbit, by name (orbit frame: e1 to orbit noon, n the orbit normal)
INERTIAL_DIRECTIONS = ("sun", "anti_sun", "orbit_normal", "anti_orbit_normal", "noon", "midnight")


def inertial_direction(direction, s_hat) -> np.ndarray:
    """Unit vector (orbit frame) of a named inertial direction or of [e1, e2, n] components."""
    if isinstance(direction, str):
        s_hat = np.asarray(s_hat, float)
        named = {"sun": s_hat, "anti_sun": -s_hat, "orbit_normal": np.array([0.0, 0.0, 1.0]),
                 "anti_orbit_normal": np.array([0.0, 0.0, -1.0]), "noon": np.array([1.0, 0.0, 0.0]),
                 "midnight": np.array([-1.0, 0.0, 0.0])}
        return named[direction]
    v = np.asarray(direction, float)
    return v / np.linalg.norm(v)


def inertial_axes(pointing, align, s_hat) -> np.ndarray:
    """Body axes of an inertially held spacecraft: body +z along ``pointing``, body +x as close to
    ``align`` as a right angle to +z allows (Gram-Schmidt); without ``align``, +x leans to orbit noon
    (or along e2 when +z is along e1)."""
    z = inertial_direction(pointing, s_hat)
    candidates = ([inertial_direction(align, s_hat)] if align is not None else []) + \
        [np.array([1.0, 0.0, 0.0]), np.array([0.0, 1.0, 0.0])]
    for ref in candidates:
        x = ref - (ref @ z) * z
        norm = np.linalg.norm(x)
        if norm > 1e-9:
            x = x / norm
            return np.vstack([x, np.cross(z, x), z])
    raise AssertionError("unreachable: e1 and e2 cannot both be parallel to z")


def body_axes(attitude: str, r_hat, v_hat, n_hat, s_hat, pointing=None, align=None) -> np.ndarray:
    """3x3 matrix whose rows are the body x, y, z axes in the orbit frame.

    nadir        x = velocity (ram), z = nadir, y = z x x (= -orbit normal)
    inertial     fixed in space: z = ``pointing``, x towards ``align`` (see ``inertial_axes``);
                 both named (INERTIAL_DIRECTIONS) or [e1, e2, n] components; default pointing the
                 orbit normal with x to orbit noon (body axes = orbit frame)
    sun_tracking z = Sun, x = orbit normal x Sun (e1 if they are parallel), y = z x x
    edge_on      nadir-pointing, yawed so that body y is perpendicular to the Sun:
                 z = nadir, y = (z x s)/|z x s| (the orbit normal at orbit noon/midnight), x = y x z;
                 a radiator with normal +/-y is edge-on to the Sun and vertical to the Earth
    ``n_hat`` is the orbit normal, (0, 0, 1) in the orbit frame.
    """
    r_hat, v_hat, s_hat = (np.asarray(v, float) for v in (r_hat, v_hat, s_hat))
    return body_axes_over(attitude, r_hat[None, :], v_hat[None, :], s_hat, pointing, align)[0]


def body_axes_over(attitude: str, r_hat: np.ndarray, v_hat: np.ndarray, s_hat, pointing=None,
                   align=None) -> np.ndarray:
    """``body_axes`` at many orbit positions: r_hat, v_hat (nt, 3), the Sun fixed; returns (nt, 3, 3)."""
    s_hat = np.asarray(s_hat, float)
    n_hat = np.array([0.0, 0.0, 1.0])
    nt = r_hat.shape[0]
    if attitude == "nadir":
        x, z = v_hat, -r_hat
        y = np.cross(z, x)
    elif attitude == "inertial":
        fixed = inertial_axes("orbit_normal" if pointing is None else pointing,
                              "noon" if pointing is None and align is None else align, s_hat)
        return np.broadcast_to(fixed, (nt, 3, 3)).copy()
    elif attitude == "sun_tracking":
        z = s_hat
        x = np.cross(n_hat, s_hat)
        x = x / np.linalg.norm(x) if np.linalg.norm(x) > 1e-12 else np.array([1.0, 0, 0])
        fixed = np.vstack([x, np.cross(z, x), z])
        return np.broadcast_to(fixed, (nt, 3, 3)).copy()
    elif attitude == "edge_on":
        z = -r_hat
        y = np.cross(z, s_hat)
        norm = np.linalg.norm(y, axis=1)
        tiny = norm <= 1e-12
        y = np.where(tiny[:, None], -n_hat, y / np.where(tiny, 1.0, norm)[:, None])
        x = np.cross(y, z)
    else:
        raise ValueError(f"unknown attitude '{attitude}'; known: {', '.join(ATTITUDES)}")
    return np.stack([x, y, z], axis=1)


AXES = {"+x": (1, 0, 0), "-x": (-1, 0, 0), "+y": (0, 1, 0), "-y": (0, -1, 0), "+z": (0, 0, 1), "-z": (0, 0, -1)}


@dataclass(frozen=True)
class OrbitGeometry:
    """A circular orbit seen in its own frame, with the Sun at a fixed beta angle over the orbit."""

    altitude_m: float
    beta_rad: float
    solar_constant_w_m2: float = SOLAR_CONSTANT_W_M2
    earth_ir_w_m2: float = EARTH_IR_W_M2
    albedo: float = ALBEDO
    shadow: str = "conical"

    def __post_init__(self):
        if self.altitude_m < MIN_ALTITUDE_M:
            raise ValueError(f"altitude {self.altitude_m / 1e3:g} km is below {MIN_ALTITUDE_M / 1e3:g} km "
                             "(inside the atmosphere or the Earth)")
        if not -0.5 * math.pi <= self.beta_rad <= 0.5 * math.pi:
            raise ValueError(f"beta angle {math.degrees(self.beta_rad):g} deg outside [-90, 90] deg")

    @property
    def radius_m(self) -> float:
        return R_EARTH_M + self.altitude_m

    @property
    def period_s(self) -> float:
        return orbital_period_s(self.altitude_m)

    @property
    def sun(self) -> np.ndarray:
        return np.array([math.cos(self.beta_rad), 0.0, math.sin(self.beta_rad)])

    def state(self, t_s: float):
        """(r_hat, v_hat, n_hat, s_hat) at time t (orbit frame; t = 0 at orbit noon)."""
        r_hat, v_hat = self.states(np.array([float(t_s)]))
        return r_hat[0], v_hat[0], np.array([0.0, 0.0, 1.0]), self.sun

    def states(self, ts_s: np.ndarray):
        """(r_hat, v_hat), each (nt, 3), at the times ``ts_s`` (the orbit normal and the Sun are fixed)."""
        th = 2.0 * np.pi * np.asarray(ts_s, float) / self.period_s
        c, s, z = np.cos(th), np.sin(th), np.zeros(th.size)
        return np.stack([c, s, z], axis=1), np.stack([-s, c, z], axis=1)

    def sun_fraction(self, t_s: float) -> float:
        r_hat, _, _, s_hat = self.state(t_s)
        return sun_visible_fraction(r_hat, s_hat, self.radius_m, AU_M, self.shadow)

    def eclipse_times_s(self) -> tuple[float, float] | None:
        """(entry, exit) of the umbra (cylindrical: the shadow) within [0, P), or None."""
        frac = eclipse_fraction(self.altitude_m, self.beta_rad)
        if frac == 0.0:
            return None
        half = 0.5 * frac * self.period_s
        return 0.5 * self.period_s - half, 0.5 * self.period_s + half

    def face_fluxes(self, t_s: float, normals_body: np.ndarray, attitude: str, pointing=None, align=None):
        """Incident (solar + albedo, Earth IR) fluxes [W/m2] on faces with the given body normals."""
        direct, albedo, ir, nu, _, _ = self.flux_parts(t_s, normals_body, attitude, pointing, align)
        return direct + albedo, ir, nu

    def flux_parts(self, t_s: float, normals_body: np.ndarray, attitude: str, pointing=None, align=None):
        """(direct sunlight, albedo, Earth IR per face [W/m2], visible Sun fraction, unit Sun direction and
        unit nadir in body axes): the parts a shadowed face scales apart."""
        direct, albedo, ir, nu, sun, nadir = self.flux_parts_over(np.array([float(t_s)]), normals_body, attitude,
                                                                   pointing, align)
        return direct[0], albedo[0], ir[0], float(nu[0]), sun[0], nadir[0]

    def flux_parts_over(self, ts_s: np.ndarray, normals_body: np.ndarray, attitude: str, pointing=None, align=None):
        """``flux_parts`` at many times at once: per-face arrays (nt, n_faces), nu (nt,), the Sun and
        nadir directions in body axes (nt, 3).  One call per orbit average instead of one per sample
        (the per-sample Python calls were 15 % of a flagship sizing)."""
        r_hat, v_hat = self.states(ts_s)
        s_hat = self.sun
        axes = body_axes_over(attitude, r_hat, v_hat, s_hat, pointing, align)  # (nt, 3, 3), rows = body axes
        m = np.einsum("fi,tij->tfj", np.atleast_2d(np.asarray(normals_body, float)), axes)  # body -> orbit frame
        m = m / np.linalg.norm(m, axis=2)[:, :, None]
        nu = np.array([sun_visible_fraction(r, s_hat, self.radius_m, AU_M, self.shadow) for r in r_hat])
        direct = self.solar_constant_w_m2 * nu[:, None] * np.clip(m @ s_hat, 0.0, None)
        f_earth = view_factor_to_sphere(np.einsum("tfj,tj->tf", m, -r_hat), self.radius_m / R_EARTH_M)
        ir = self.earth_ir_w_m2 * f_earth
        albedo = self.solar_constant_w_m2 * self.albedo * f_earth * np.maximum(0.0, r_hat @ s_hat)[:, None]
        # body axes are the rows of ``axes`` in the orbit frame: a direction's body components are axes @ v
        return direct, albedo, ir, nu, axes @ s_hat, np.einsum("tij,tj->ti", axes, -r_hat)

    def face_fluxes_over(self, ts_s: np.ndarray, normals_body: np.ndarray, attitude: str, pointing=None, align=None):
        """``face_fluxes`` at many times: (solar + albedo (nt, n_faces), IR (nt, n_faces), nu (nt,))."""
        direct, albedo, ir, nu, _, _ = self.flux_parts_over(ts_s, normals_body, attitude, pointing, align)
        return direct + albedo, ir, nu

    @property
    def earth_cone_cos(self) -> float:
        """Cosine of the Earth's angular radius seen from the orbit."""
        return math.sqrt(max(0.0, 1.0 - (R_EARTH_M / self.radius_m) ** 2))
