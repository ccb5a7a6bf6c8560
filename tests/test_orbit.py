"""Orbit geometry: closed forms, published values and brute-force integration."""
import datetime as dt
import math

import numpy as np
import pytest

from thermal.physics import analytic, orbit
from thermal.physics.orbit import R_EARTH_M, OrbitGeometry, view_factor_to_sphere

ALTITUDES_KM = (400.0, 550.0, 1200.0, 36000.0)
ANGLES_DEG = (0.0, 30.0, 60.0, 80.0, 90.0, 100.0, 120.0, 160.0)


@pytest.mark.parametrize("alt_km", ALTITUDES_KM)
@pytest.mark.parametrize("angle_deg", ANGLES_DEG)
def test_view_factor_matches_numerical_integration(alt_km, angle_deg):
    h = (R_EARTH_M + alt_km * 1e3) / R_EARTH_M
    c = math.cos(math.radians(angle_deg))
    exact = view_factor_to_sphere(c, h)
    coarse = analytic.view_factor_to_sphere_numerical(c, h, 300)
    fine = analytic.view_factor_to_sphere_numerical(c, h, 600)
    # the midpoint rule converges (first order at the face's own horizon, where the integrand has a
    # kink): the fine-coarse difference bounds the fine error with a factor 2 to spare
    tol = 2 * abs(fine - coarse) + 1e-7
    assert abs(exact - fine) <= tol, (exact, fine, coarse)


def test_view_factor_closed_forms():
    for alt in (300e3, 550e3, 2000e3):
        h = (R_EARTH_M + alt) / R_EARTH_M
        assert view_factor_to_sphere(1.0, h) == pytest.approx(1.0 / h**2, rel=1e-14)  # nadir-facing
        perp = (math.atan(1.0 / math.sqrt(h * h - 1)) - math.sqrt(h * h - 1) / h**2) / math.pi
        assert view_factor_to_sphere(0.0, h) == pytest.approx(perp, rel=1e-12)  # perpendicular face
        assert view_factor_to_sphere(-1.0, h) == 0.0  # zenith-facing
    # continuity at the edges of the partial regime
    h = 1.1
    phi = math.asin(1 / h)
    for edge in (0.5 * math.pi - phi, 0.5 * math.pi + phi):
        lo = view_factor_to_sphere(math.cos(edge - 1e-9), h)
        hi = view_factor_to_sphere(math.cos(edge + 1e-9), h)
        assert abs(lo - hi) < 1e-8


def test_eclipse_fraction_closed_form_and_critical_beta():
    alt = 550e3
    geo = OrbitGeometry(alt, 0.0, shadow="cylindrical")
    ts = np.linspace(0, geo.period_s, 200_001)[:-1]
    sampled = np.mean([geo.sun_fraction(t) == 0.0 for t in ts[::20]])
    assert sampled == pytest.approx(orbit.eclipse_fraction(alt, 0.0), abs=2 / ts[::20].size)
    # beta = 0: the shadow half-angle is asin(R/r)'s complement: f = (pi - 2 acos(R/r)) / (2 pi)... in closed form
    r = R_EARTH_M + alt
    assert orbit.eclipse_fraction(alt, 0.0) == pytest.approx(math.asin(R_EARTH_M / r) / math.pi, rel=1e-12)
    crit = orbit.critical_beta_rad(alt)
    assert math.degrees(crit) == pytest.approx(math.degrees(math.asin(R_EARTH_M / r)), rel=1e-12)
    assert orbit.eclipse_fraction(alt, crit + 1e-6) == 0.0
    assert orbit.eclipse_fraction(alt, crit - 1e-3) > 0.0


def test_conical_shadow_has_a_penumbra_inside_the_cylindrical_one():
    geo_c = OrbitGeometry(550e3, 0.0, shadow="conical")
    entry, exit_ = geo_c.eclipse_times_s()
    ts = np.linspace(entry - 30, entry + 30, 601)
    nu = np.array([geo_c.sun_fraction(t) for t in ts])
    assert nu[0] == 1.0 and nu[-1] == 0.0
    assert np.all(np.diff(nu) <= 1e-12)  # monotone dimming
    partial = ts[(nu > 0) & (nu < 1)]
    assert 3.0 < partial[-1] - partial[0] < 20.0  # LEO penumbra: seconds


def test_sun_synchronous_inclination_published_values():
    # Wertz & Larson, Space Mission Analysis and Design: 800 km -> 98.6 deg; 500 km -> 97.4 deg
    assert math.degrees(orbit.sun_synchronous_inclination_rad(800e3)) == pytest.approx(98.6, abs=0.05)
    assert math.degrees(orbit.sun_synchronous_inclination_rad(500e3)) == pytest.approx(97.4, abs=0.05)


def test_solar_constant_and_sun_vector_through_the_year():
    peri = orbit.solar_constant_w_m2(dt.datetime(2026, 1, 3, tzinfo=dt.timezone.utc))
    aph = orbit.solar_constant_w_m2(dt.datetime(2026, 7, 4, tzinfo=dt.timezone.utc))
    assert peri == pytest.approx(1361 / 0.98329**2, rel=1e-3)  # perihelion distance 0.98329 AU
    assert aph == pytest.approx(1361 / 1.01671**2, rel=1e-3)  # aphelion 1.01671 AU
    s, _ = orbit.sun_position(dt.datetime(2026, 6, 21, 8, 24, tzinfo=dt.timezone.utc))  # June solstice
    assert math.degrees(math.asin(s[2])) == pytest.approx(23.44, abs=0.02)
    s, _ = orbit.sun_position(dt.datetime(2026, 3, 20, 14, 46, tzinfo=dt.timezone.utc))  # March equinox
    assert abs(math.degrees(math.asin(s[2]))) < 0.02


def test_dawn_dusk_orbit_keeps_a_high_beta_angle():
    alt = 650e3
    inc = orbit.sun_synchronous_inclination_rad(alt)
    start = dt.datetime(2026, 3, 20, tzinfo=dt.timezone.utc)
    raan = orbit.raan_from_ltan_rad(18.0, start)
    days, beta = orbit.beta_through_year(alt, inc, raan, start, days=365, step_days=5)
    assert np.all(np.abs(np.degrees(beta)) > 55)  # 6 am/6 pm SSO: beta swings ~60-90 deg, never eclipse-deep
    assert np.max(np.abs(np.degrees(beta))) > 80


def test_edge_on_radiator_sees_no_sun_and_equal_earth_on_both_faces():
    geo = OrbitGeometry(650e3, math.radians(70.0))
    normals = np.array([[0, 1.0, 0], [0, -1.0, 0]])
    for t in np.linspace(0, geo.period_s, 37):
        solar, ir, nu = geo.face_fluxes(t, normals, "edge_on")
        direct = geo.solar_constant_w_m2 * nu * 0  # the faces are edge-on: no direct sunlight
        h = geo.radius_m / R_EARTH_M
        f_perp = view_factor_to_sphere(0.0, h)
        np.testing.assert_allclose(ir, geo.earth_ir_w_m2 * f_perp, rtol=1e-12)
        albedo = geo.solar_constant_w_m2 * geo.albedo * f_perp * max(0.0, math.cos(2 * math.pi * t / geo.period_s)
                                                                     * math.cos(geo.beta_rad))
        np.testing.assert_allclose(solar, direct + albedo, rtol=1e-9, atol=1e-9)


def test_inertial_attitude_holds_its_pointing_fixed_in_space():
    geo = OrbitGeometry(550e3, math.radians(30.0))
    h = geo.radius_m / R_EARTH_M
    up = np.array([[0, 0, 1.0], [0, 0, -1.0]])
    sun_vec = tuple(geo.sun)
    for t in np.linspace(0, geo.period_s, 25):
        # body +z held on the Sun: the +z face sees the full (visible) Sun all orbit, -z none
        solar, _, nu = geo.face_fluxes(t, up, "inertial", "sun")
        r_hat = geo.state(t)[0]
        f_earth = np.array([view_factor_to_sphere(float(-r_hat @ geo.sun), h),
                            view_factor_to_sphere(float(r_hat @ geo.sun), h)])
        albedo = geo.solar_constant_w_m2 * geo.albedo * f_earth * max(0.0, float(r_hat @ geo.sun))
        np.testing.assert_allclose(solar, [geo.solar_constant_w_m2 * nu, 0.0] + albedo, rtol=1e-12, atol=1e-9)
        # the same direction given by its components, and the sun-tracking attitude, agree
        np.testing.assert_allclose(geo.face_fluxes(t, up, "inertial", sun_vec)[0], solar, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(geo.face_fluxes(t, up, "sun_tracking")[0], solar, rtol=1e-12, atol=1e-12)
        # held along the orbit normal: both faces stay perpendicular to the Earth direction
        _, ir, _ = geo.face_fluxes(t, up, "inertial", "orbit_normal")
        np.testing.assert_allclose(ir, geo.earth_ir_w_m2 * view_factor_to_sphere(0.0, h), rtol=1e-12)
    # the roll reference: +x leans to align, at right angles to +z
    axes = orbit.inertial_axes("sun", "orbit_normal", geo.sun)
    np.testing.assert_allclose(axes @ axes.T, np.eye(3), atol=1e-14)
    np.testing.assert_allclose(axes[2], geo.sun, atol=1e-15)
    assert axes[0] @ np.array([0, 0, 1.0]) > 0 and abs(axes[0] @ geo.sun) < 1e-14


def test_bad_orbits_are_refused():
    with pytest.raises(ValueError, match="below"):
        OrbitGeometry(100e3, 0.0)
    with pytest.raises(ValueError, match="beta"):
        OrbitGeometry(550e3, math.radians(95))
