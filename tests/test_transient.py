"""Fixed-step backward Euler: the benchmark's transient values, energy, crash and failure safety."""
import os
import signal
import subprocess
import sys
import time

import h5py
import numpy as np
import pytest

from thermal.apps.solve import solve
from thermal.errors import ConvergenceError
from thermal.input.case_file import parse_case
from thermal.input.overrides import case_text_with
from thermal.output.results import read_result

from .conftest import CASES

# shared/bench/PROBLEM.md section 5, N = 64
T_MAX_60S = 990.077935
T_MAX_600S = 1048.719800


def plate_transient(end_time="600 s", every=1, extra=None):
    text = (CASES / "reference_plate.toml").read_text()
    over = {"case.mode": "transient",
            "transient": {"time_step": "10 s", "end_time": end_time, "output_every": every}}
    over.update(extra or {})
    return parse_case(case_text_with(text, over, create=True), "plate_transient.toml")


@pytest.mark.jit_speed
def test_reference_plate_transient_matches_published_values(tmp_path):
    case = plate_transient("600 s", every=6)
    result = solve(case, output=tmp_path / "tr.h5")
    sol = result.solution
    assert list(sol.times_s[:2]) == [0.0, 60.0]
    assert sol.t_k[1].max() == pytest.approx(T_MAX_60S, abs=1e-6)
    assert sol.t_k[-1].max() == pytest.approx(T_MAX_600S, abs=1e-6)
    # every step's balance closes; stored + radiated energy equals what was generated
    assert max(abs(b.relative_error) for b in sol.energy[1:]) < 1e-9
    on_file = read_result(tmp_path / "tr.h5")
    assert on_file.times_s[-1] == 600.0
    np.testing.assert_array_equal(on_file.fields["plate"][-1][0].ravel(), sol.t_k[-1])


def test_energy_is_conserved_over_the_whole_run():
    case = plate_transient("120 s", every=1)
    result = solve(case)
    sol = result.solution
    net = result.network
    c = net.rho_v_kg * 896.0
    stored_j = float(np.sum(c * (sol.t_k[-1] - sol.t_k[0])))
    radiated_j = sum(10.0 * b.radiated_w for b in sol.energy[1:])
    generated_j = 2000.0 * 120.0
    assert (stored_j + radiated_j - generated_j) / generated_j == pytest.approx(0.0, abs=1e-9)


def test_non_convergence_stops_with_diagnosis_and_keeps_written_steps(tmp_path):
    case = plate_transient("600 s", every=1, extra={"solver.max_iterations": 2})
    out = tmp_path / "fail.h5"
    with pytest.raises(ConvergenceError) as info:
        solve(case, output=out)
    msg = str(info.value)
    part = out.with_name(out.name + ".part")
    assert "time step" in msg and "Newton iteration" in msg and str(part) in msg
    # an incomplete run never takes the result's name: the steps it wrote stay readable in .part
    assert not out.exists()
    result = read_result(part)
    assert len(result.times_s) >= 1
    assert np.all(np.isfinite(result.fields["plate"]))
    with h5py.File(part) as f:
        assert "no convergence" in f.attrs["failed"] and not f.attrs["complete"]


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_killed_run_leaves_every_flushed_step_readable(tmp_path):
    text = case_text_with((CASES / "reference_plate.toml").read_text(),
                          {"case.mode": "transient", "panels.plate.cells": [96, 96],
                           "transient": {"time_step": "10 s", "end_time": "36000 s"}}, create=True)
    path = tmp_path / "long.toml"
    path.write_text(text)
    out = tmp_path / "long.h5"
    part = tmp_path / "long.h5.part"  # where a run writes until it completes
    env = dict(os.environ, HDF5_USE_FILE_LOCKING="FALSE")
    proc = subprocess.Popen([sys.executable, "-m", "thermal.cli", "run", str(path), "-o", str(out), "-q"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    steps = 0
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.3)
            try:
                with h5py.File(part, "r", locking=False) as f:
                    steps = f["time"].shape[0]
            except (OSError, KeyError):
                continue
            if steps >= 4:
                break
        alive = proc.poll() is None
    finally:
        proc.send_signal(signal.SIGKILL)
        _, err = proc.communicate(timeout=30)
    assert alive, err.decode()
    assert steps >= 4, "the run wrote no steps in time"
    assert not out.exists()  # killed: it never completed, so it never took the result's name
    result = read_result(part)
    assert len(result.times_s) >= steps
    np.testing.assert_array_equal(result.times_s, 10.0 * np.arange(len(result.times_s)))
    assert np.all(np.isfinite(result.fields["plate"]))


def test_a_step_cut_off_before_its_time_row_is_not_read(tmp_path):
    """The writer commits a step by writing its /time row last: a kill between the field rows and the
    time row (simulated here) leaves the earlier steps readable and the half step unseen."""
    out = tmp_path / "cut.h5"
    solve(plate_transient("30 s", every=1, extra={"panels.plate.cells": [8, 8]}), output=out)
    with h5py.File(out, "a") as f:
        n = f["time"].shape[0]
        ds = f["fields/plate/T"]
        ds.resize((n + 1, *ds.shape[1:]))
        ds[n] = 1e9  # a field row whose step never committed
        f["time"].resize((n + 1,))  # resized, value never written: the NaN fill
    back = read_result(out)
    assert len(back.times_s) == n == 4
    np.testing.assert_array_equal(back.times_s, [0.0, 10.0, 20.0, 30.0])
    assert back.fields["plate"].shape[0] == n and np.nanmax(back.fields["plate"]) < 1e3


def test_fixed_steps_land_on_eclipse_edges_and_resume_whole(tmp_path):
    """The fixed-step mode is the BDF driver with error control off: a step that would cross an
    eclipse edge is shortened to end on it, and the next one is a whole step again."""
    from thermal.build.environment import Environment
    from thermal.build.network import build_network
    from thermal.solvers import solve_transient_fixed_step
    from thermal.solvers.stepper import AdaptiveSettings, solve_transient_adaptive

    case = parse_case(case_text_with((CASES / "leo_53deg_eclipse.toml").read_text(),
                                     {"panels.radiator.cells": [6, 6], "transient.time_step": "70 s",
                                      "transient.end_time": "6000 s", "transient.output_every": 1}), "leo.toml")
    net = build_network(case)
    env = Environment(case, net)
    edges = [e for e in env.events(6000.0)]
    assert edges, "the case has eclipses"
    outputs = solve_transient_fixed_step(net, case.solver, case.transient, environment=env)
    np.testing.assert_allclose(outputs.times_s, np.r_[np.arange(0.0, 6000.0, 70.0), 6000.0], rtol=1e-12)
    # the same mode with every step written out, to see where the steps end
    sol = solve_transient_adaptive(net, case.solver, 6000.0, AdaptiveSettings(order=1, dt_initial_s=70.0,
                                                                            fixed_step=True),
                                   environment=env, events=edges)
    times = sol.times_s
    for edge in edges:
        assert np.min(np.abs(times - edge)) < 1e-9 * edge  # a step ends on every edge
    steps = np.diff(times)
    whole = np.isclose(steps, 70.0, rtol=1e-12)
    # every step is whole except the one ending on each edge and the last
    assert np.count_nonzero(~whole) <= len(edges) + 1 and np.all(steps <= 70.0 * (1 + 1e-12))
    assert max(abs(b.relative_error) for b in sol.energy[1:]) < 1e-9


@pytest.mark.parametrize("scheme", ["fixed", "bdf2"])
def test_output_times_keep_those_fields_only_and_the_steps_land_on_them(scheme):
    """[transient] output_times: the start, those times and the end, nothing else; a fixed-step run
    gives the same bits as output_every at the same times (the outputs choose nothing about the steps
    where the times are whole steps); an adaptive run lands its steps on them."""
    chosen = parse_case(case_text_with(
        (CASES / "reference_plate.toml").read_text(),
        {"case.mode": "transient", "panels.plate.cells": [16, 16],
         "transient": {"time_step": "10 s", "end_time": "600 s", "output_times": ["60 s", "5 min"],
                       **({} if scheme == "fixed" else {"scheme": "bdf2", "tolerance": "0.05 K"})}}, create=True))
    got = solve(chosen).solution
    assert list(got.times_s) == [0.0, 60.0, 300.0, 600.0] and got.t_k.shape[0] == 4
    if scheme == "fixed":
        ref = solve(parse_case(case_text_with(
            (CASES / "reference_plate.toml").read_text(),
            {"case.mode": "transient", "panels.plate.cells": [16, 16],
             "transient": {"time_step": "10 s", "end_time": "600 s", "output_every": 1}}, create=True))).solution
        rows = [list(ref.times_s).index(t) for t in got.times_s]
        np.testing.assert_array_equal(got.t_k, ref.t_k[rows])
