"""Heat pipes against a pumped loop across compute power (apps/sizing/architectures.py) and the
sizing file's ``compare_with``."""
import math
from dataclasses import replace
from types import SimpleNamespace

import numpy as np
import pytest

from thermal.apps.sizing.architectures import as_designed, at_power, lighter_ranges, scan_powers, PowerScan
from thermal.apps.sizing.estimate import loop_flow_kg_s
from thermal.apps.sizing.input import load_sizing
from thermal.apps.sizing.report import _trade_architecture
from thermal.cli import main
from thermal.output.plotting import pyplot

from .test_sizing import LOOP_SIZING, SIZING


def _files(tmp_path, loop_extra='compare_with = "pipes.toml"\n'):
    (tmp_path / "pipes.toml").write_text(SIZING)
    loop = LOOP_SIZING.replace('name = "small"\n', 'name = "small"\n' + loop_extra, 1)
    (tmp_path / "loop.toml").write_text(loop)
    return tmp_path / "loop.toml"


def test_a_loop_tiles_whole_loops_beyond_its_chips_and_keeps_its_header_velocity(tmp_path):
    """Two 200 W chips per loop: 800 W is two whole loops (same headers); 200 W is one loop of one
    chip whose header carries half the flow at the design's velocity (bore area with the flow)."""
    spec = load_sizing(_files(tmp_path))
    assert spec.chips == 2 and spec.architecture == "pumped_loop"

    def header_velocity(s):  # volume flow / bore area, the fluid's density cancels in the ratio
        return s.chips * loop_flow_kg_s(s) / (math.pi / 4 * s.loop.header_inner_m ** 2)

    two, copies = at_power(spec, 800.0)
    assert copies == 2 and two.chips == 2 and two.loop.header_inner_m == spec.loop.header_inner_m
    one, copies = at_power(spec, 200.0)
    assert copies == 1 and one.chips == 1
    assert header_velocity(one) == pytest.approx(header_velocity(spec), rel=1e-12)
    pipes, copies = at_power(spec.compare, 1e4)
    assert copies == 1 and pipes.chips == 50  # heat pipes share nothing: one design, the chips follow


def test_scans_scale_exactly_with_whole_copies_and_the_pumps_are_paid_per_loop(tmp_path):
    """k whole loops weigh k times one (and cover k times its area); heat pipes are linear in the chip
    count; a heavier pump package adds its mass once per loop at every power."""
    spec, env = as_designed(load_sizing(_files(tmp_path)))
    powers = np.array([200.0, 400.0, 1200.0, 4000.0])
    loop = scan_powers(spec, env, powers)
    assert list(loop.copies) == [1, 1, 3, 10]
    assert loop.mass_kg[2] == pytest.approx(3 * loop.mass_kg[1], rel=1e-12)
    assert loop.area_m2[3] == pytest.approx(10 * loop.area_m2[1], rel=1e-12)
    heavier = scan_powers(replace(spec, loop=replace(spec.loop, pump_mass_kg=spec.loop.pump_mass_kg + 2.0)), env,
                          powers)
    assert np.allclose(heavier.mass_kg - loop.mass_kg, 2.0 * loop.copies, rtol=0, atol=1e-9)
    pipes_spec, pipes_env = as_designed(spec.compare)
    pipes = scan_powers(pipes_spec, pipes_env, powers)
    assert np.allclose(pipes.mass_kg / (powers / 200.0), pipes.mass_kg[0], rtol=1e-12)
    # the design's own power (two chips): its per-chip parts; then whole loops keep the design's ratio
    assert pipes.mass_kg[1] == pytest.approx(2 * sum(pipes.parts_kg_per_chip.values()), rel=1e-12)
    assert loop.mass_kg[1] == pytest.approx(2 * sum(loop.parts_kg_per_chip.values()), rel=1e-12)
    assert loop.mass_kg[3] / pipes.mass_kg[3] == pytest.approx(loop.mass_kg[1] / pipes.mass_kg[1], rel=1e-12)


def test_lighter_ranges_are_where_the_loop_weighs_less():
    p = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    scan = lambda m: PowerScan("x", p, m, m, np.ones(6), {})  # noqa: E731
    pipes = scan(np.array([5.0, 5.0, 5.0, 5.0, 5.0, 5.0]))
    assert lighter_ranges(scan(np.array([6.0, 4.0, 4.0, 6.0, np.nan, 4.0])), pipes) == [(2.0, 3.0), (6.0, 6.0)]
    assert lighter_ranges(scan(np.full(6, 6.0)), pipes) == []


def test_the_report_compares_the_architectures(tmp_path):
    """The trade's figure and its line: on this small module a loop serves two chips, so its pumps and
    accumulator (0.75 kg per chip) outweigh the heat pipes it replaces (0.49 kg per chip) at every power."""
    spec, env = as_designed(load_sizing(_files(tmp_path)))
    fig, line = _trade_architecture(pyplot(), SimpleNamespace(spec=spec, hot_env=env), tmp_path)
    assert fig.exists() and fig.name == "trade_architecture.png"
    assert "the heat pipes are the lighter design everywhere in 0.2 kW-10 MW" in line and "Per chip" in line
    no_compare = SimpleNamespace(spec=replace(spec, compare=None), hot_env=env)
    assert _trade_architecture(pyplot(), no_compare, tmp_path) == (None, None)


BAD_COMPARE = [
    ("missing", 'compare_with = "nowhere.toml"\n', ["sizing.compare_with", "nowhere.toml", "no readable sizing file"]),
    ("same_architecture", 'compare_with = "loop.toml"\n', ["sizing.compare_with", "pumped_loop design too"]),
]


@pytest.mark.parametrize("name,extra,words", BAD_COMPARE, ids=[b[0] for b in BAD_COMPARE])
def test_bad_compare_with_says_why(tmp_path, capsys, name, extra, words):
    path = _files(tmp_path, extra)
    assert main(["size", str(path), "-o", str(tmp_path / "o"), "-q", "--no-trades"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Traceback" not in err
    for w in words:
        assert w in err, (w, err)


def test_files_that_name_each_other_load_without_a_chain(tmp_path):
    path = _files(tmp_path)
    (tmp_path / "pipes.toml").write_text(SIZING.replace('name = "small"\n', 'name = "small"\ncompare_with = '
                                                        '"loop.toml"\n', 1))
    spec = load_sizing(path)
    assert spec.compare.architecture == "heat_pipes" and spec.compare.compare is None


def test_header_drop_against_the_laminar_closed_form_and_the_far_unit(tmp_path):
    """A header handing its flow out evenly: laminar, f = 64/Re gives dp = 16 mu v0 L / D^2 (the
    flow falls linearly, the drop per length with it); turbulent, f rises as the flow falls, so the
    drop lies above a constant inlet friction's third and below Blasius's f ~ Re^-1/4 ratio
    (integral of (1 - x)^1.75 = 1/2.75 against 1/3: x1.09).  The pump's extra power is
    M dp / (rho eta); the far unit of same-end headers gets the least flow."""
    from thermal.apps.sizing.estimate import header_drop_pa, header_hydraulics
    from thermal.physics.channel_flow import churchill_friction, reynolds
    from thermal.physics.coolants import liquid_table

    mu, rho, d, length, m = 0.05, 1000.0, 0.01, 2.0, 1e-3
    v0 = m / (rho * math.pi * d * d / 4)
    assert header_drop_pa(m, length, d, rho, mu) == pytest.approx(16 * mu * v0 * length / d ** 2, rel=1e-9)
    m = 2.0
    v0 = m / (rho * math.pi * d * d / 4)
    f0 = float(churchill_friction(reynolds(m, 1e-3, d)))
    turbulent = header_drop_pa(m, length, d, rho, 1e-3)
    third = f0 * length / d * rho * v0 ** 2 / 2 / 3
    assert third < turbulent < 3 / 2.75 * third

    spec = load_sizing(_files(tmp_path))
    hh = header_hydraulics(spec, 1000.0)
    rho_c = float(liquid_table("ammonia").at(spec.target_k - 30.0)[0])
    m_all = spec.chips * loop_flow_kg_s(spec)
    assert hh["pump_w"] == pytest.approx(m_all * hh["drop_pa"] / (rho_c * spec.loop.pump_efficiency), rel=1e-12)
    # the units' flows from the headers solved with them (physics/manifolds.py, tested there against
    # closed forms): every unit's share, conserved, least at the far end of same-end headers
    fractions = hh["unit_flow_fraction"]
    assert fractions.sum() == pytest.approx(spec.chips, rel=1e-12) and np.argmin(fractions) == spec.chips - 1
    assert hh["far_unit_shortfall"] == pytest.approx(1.0 - fractions.min(), rel=1e-15)
