"""Phase-change material: the latent heat's table integrates to L exactly, the melt fraction, and a
slab that melts and freezes again with its energy accounted to round-off (backward Euler: the
stored heat of the steps telescopes to H(T_end) - H(T_0)), written to HDF5."""
import h5py
import numpy as np
import pytest

from thermal.apps.solve import solve
from thermal.errors import CaseError
from thermal.input.case_file import parse_case
from thermal.kernels.reference import table_integral
from thermal.physics import pcm

CASE = """
[case]
name = "pcm_plate"
mode = "transient"

[solver]
initial_temperature = "290 K"

[materials.wax]
rho = "800 kg/m3"
k = "50 W/m/K"
cp = "2000 J/kg/K"
latent_heat = "200 kJ/kg"
melting_range = ["300 K", "302 K"]

[coatings.grey]
alpha = 0.0
eps = 0.8

[panels.plate]
size = ["0.2 m", "0.2 m"]
cells = [2, 2]

[[panels.plate.layers]]
name = "wax"
material = "wax"
thickness = "5 mm"

[panels.plate.footprints.heater]
center = ["0.1 m", "0.1 m"]
size = ["0.2 m", "0.2 m"]
power = "150 W"
schedule = "pulse"

[schedules.pulse]
kind = "table"
time = ["0 s", "2400 s"]
scale = [1.0, 0.0]

[panels.plate.faces.top]
coating = "grey"

[nodes.space]
temperature = "200 K"

[[contacts]]
between = ["space", "plate.bottom"]
conductance = "0.2 W/K"

[transient]
time_step = "20 s"
end_time = "{end}"
"""


def test_latent_table_integrates_to_the_latent_heat():
    t, v = pcm.effective_cp((250.0, 350.0), (1800.0, 2200.0), 300.0, 302.0, 2e5)
    tab_t = np.array([t])
    tab_v = np.array([v])
    sensible = 40.0 * 0.5 * (1920.0 + 2080.0)  # c_p linear: 1920 at 280 K, 2080 at 320 K
    total = float(table_integral(np.array([280.0]), np.array([320.0]), tab_t, tab_v, np.array([len(t)]),
                                 np.array([0]))[0])
    assert total == pytest.approx(sensible + 2e5, rel=1e-13)
    f = pcm.melt_fraction(np.linspace(299, 303, 401), 300.0, 302.0)
    assert f[0] == 0.0 and f[-1] == 1.0 and np.all(np.diff(f) >= 0)
    assert pcm.melt_fraction(301.0, 300.0, 302.0) == pytest.approx(0.5, abs=1e-15)  # symmetric trapezoid


def test_slab_melts_and_freezes_with_its_energy_accounted(tmp_path):
    case = parse_case(CASE.format(end="9000 s"), "pcm.toml")
    out = tmp_path / "pcm.h5"
    result = solve(case, output=out)
    times = result.times_s
    energy = result.solution.energy
    # heat in minus heat out over each backward-Euler step, summed, against H(T_end) - H(T_0)
    net_in = sum((b.generated_w + b.absorbed_w - b.radiated_w - b.conducted_out_w) * h
                 for b, h in zip(energy[1:], np.diff(times)))
    mass = 800 * 0.2 * 0.2 * 0.005
    t0, t1 = 290.0, float(result.fields["plate"][-1].mean())
    f = pcm.melt_fraction([t0, t1], 300.0, 302.0)
    expected = mass * (2000 * (t1 - t0) + 2e5 * (f[1] - f[0]))
    throughput = sum(b.generated_w * h for b, h in zip(energy[1:], np.diff(times)))
    assert net_in == pytest.approx(expected, abs=1e-9 * throughput)
    with h5py.File(out) as h5:
        melt = h5["fields/plate/melt_fraction"][:]
    assert melt.max() == pytest.approx(1.0) and melt[-1].max() == 0.0  # melted through, frozen again
    assert np.allclose(melt, pcm.melt_fraction(result.fields["plate"], 300.0, 302.0))


@pytest.mark.parametrize("edit, key", [
    (('latent_heat = "200 kJ/kg"', 'latent_heat = "-5 kJ/kg"'), "latent_heat"),
    (('melting_range = ["300 K", "302 K"]', 'melting_range = ["302 K", "300 K"]'), "melting_range"),
    (('latent_heat = "200 kJ/kg"\n', ''), "latent_heat"),
])
def test_bad_phase_change_input_names_the_key(edit, key):
    text = CASE.format(end="60 s")
    assert edit[0] in text
    with pytest.raises(CaseError) as exc:
        parse_case(text.replace(edit[0], edit[1]), "bad.toml")
    assert key in str(exc.value)
