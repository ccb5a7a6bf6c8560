"""Resuming killed runs (``thermal run --resume``): a transient or orbit-periodic run killed with
SIGKILL at random instants, or interrupted in-process after a chosen checkpoint, goes on from its
last checkpoint and ends where the uninterrupted run ends, to 1e-10 K at every output; N-1 cases
already solved are not solved again; a checkpoint of another case text is refused."""
import random
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import thermal.apps.resume as resume_module
import thermal.apps.sizing.solve_cache as cache_module
from thermal.apps.failures import JOURNAL_COLUMNS, n_minus_1, read_journal
from thermal.apps.sizing.input import load_sizing
from thermal.apps.sizing.size import size
from thermal.apps.sizing.solve_cache import solve_cache
from thermal.apps.solve import solve
from thermal.cli import main
from thermal.input.case_file import load_case, parse_case
from thermal.output.checkpoint import checkpoint_path, load_checkpoint, save_checkpoint
from thermal.output.results import part_path, read_result

from .conftest import CASES, VALIDATION_CASES
from .test_control import CASE as CONTROL_CASE, LOUVERED_TRANSIENT, _louvered_exchange_text
from .test_heat_pipes import pipe_case
from .test_loops import VALVE_LOOP
from .test_sizing import write as write_sizing

TOL_K = 1e-10

RAMP = pipe_case('power = "60 W"', 'power = "150 W"\nschedule = "ramp"').replace(
    'mode = "steady"', 'mode = "transient"') + (
    '\n[schedules.ramp]\nkind = "table"\ntime = ["0 s", "1 h", "2 h"]\nscale = [0.4, 1.0, 0.4]\n'
    '\n[transient]\ntime_step = "10 s"\nend_time = "1.5 h"\nscheme = "bdf2"\ntolerance = "0.05 K"\n'
    'output_interval = "300 s"\n')  # a pipe that dries out in the overload and re-wets after it


def _same(resumed, full):
    """Max |dT| over every output of every panel, node, pipe, loop and heater series; also the times."""
    np.testing.assert_array_equal(resumed.times_s, full.times_s)
    worst = 0.0
    for panel, values in full.fields.items():
        worst = max(worst, float(np.nanmax(np.abs(resumed.fields[panel] - values))))
    if full.node_t_k.size:
        worst = max(worst, float(np.max(np.abs(resumed.node_t_k - full.node_t_k))))
    for name, p in full.heat_pipes.items():
        worst = max(worst, float(np.max(np.abs(resumed.heat_pipes[name]["t_vapour"] - p["t_vapour"]))))
        np.testing.assert_allclose(resumed.heat_pipes[name]["wetted_series"], p["wetted_series"], atol=1e-12, rtol=0)
    for name, rec in full.loops.items():
        worst = max(worst, float(np.max(np.abs(resumed.loops[name]["t_fluid"] - rec["t_fluid"]))))
    for name, rec in full.heaters.items():
        np.testing.assert_allclose(resumed.heaters[name]["switch_time_s"], rec["switch_time_s"], atol=1e-8, rtol=0)
        np.testing.assert_allclose(resumed.heaters[name]["energy_j"], rec["energy_j"], rtol=1e-12)
    for term, values in full.energy.items():
        np.testing.assert_allclose(resumed.energy[term], values, rtol=1e-9, atol=1e-9)
    return worst


def _interrupted_then_resumed(case, out, monkeypatch, stop_after):
    """Solve ``case`` writing ``out`` with a checkpoint after every step (or orbit), interrupt it
    (KeyboardInterrupt, as Ctrl-C) right after checkpoint number ``stop_after``, then resume."""
    saved = [0]

    def save_then_stop(path, tree):
        save_checkpoint(path, tree)
        saved[0] += 1
        if saved[0] == stop_after:
            raise KeyboardInterrupt

    monkeypatch.setattr(resume_module, "save_checkpoint", save_then_stop)
    with pytest.raises(KeyboardInterrupt):
        solve(case, output=out, checkpoint_every_s=0.0)
    # a transient streams its steps to OUT.part; a periodic search writes its orbit when it is found
    assert part_path(out).exists() == (case.mode == "transient") and checkpoint_path(out).exists()
    assert not out.exists()
    monkeypatch.setattr(resume_module, "save_checkpoint", save_checkpoint)
    resumed = solve(case, output=out, checkpoint_every_s=0.0, resume=True)
    assert out.exists() and not part_path(out).exists()
    assert not checkpoint_path(out).exists()  # completed: its checkpoint is gone
    return resumed


@pytest.mark.parametrize("label, text, stop_after", [
    ("thermostat heater (switch log, BDF2 history)",
     CONTROL_CASE.format(mode="transient", control="thermostat", t0="5 degC", k="100 W/m/K",
                         extra='\n[transient]\ntime_step = "10 s"\nend_time = "20000 s"\nscheme = "bdf2"\n'
                               'tolerance = "0.001 K"\n'), 97),
    ("gas-loaded heat pipe (front placed for T*)",
     (VALIDATION_CASES / "vchp_front.toml").read_text().replace('mode = "steady"', 'mode = "transient"')
     + '\n[transient]\ntime_step = "30 s"\nend_time = "1200 s"\n', 17),
    ("pumped loop with its PI bypass valve (integral committed on the next step)",
     VALVE_LOOP.format(mode="transient", extra='[transient]\nend_time = "1800 s"\ntime_step = "30 s"'), 23),
    ("louvers under radiation exchange (patch optics followed at every evaluation)",
     _louvered_exchange_text(**{"case.mode": "transient"}) + LOUVERED_TRANSIENT, 31),
    # resumed in the dry-out: with the LU's fill-reducing ordering taken afresh from the resumed
    # run's first matrix (not the run's), the end differed by 1.5e-8 K
    ("heat-pipe dry-out (the run's LU ordering kept)", RAMP, 100),
])
def test_interrupted_transient_resumes_to_the_uninterrupted_answer(tmp_path, monkeypatch, label, text, stop_after):
    case = parse_case(text, "resume.toml")
    full = solve(case, output=tmp_path / "full.h5")
    resumed = _interrupted_then_resumed(case, tmp_path / "r.h5", monkeypatch, stop_after)
    assert _same(resumed, full) <= TOL_K, label
    assert _same(read_result(tmp_path / "r.h5"), read_result(tmp_path / "full.h5")) <= TOL_K
    assert resumed.attrs["resumes"] == 1
    assert resumed.attrs["newton_iterations"] == full.attrs["newton_iterations"]  # the same steps, counted on
    assert resumed.solution.steps_accepted == full.solution.steps_accepted


def test_interrupted_anderson_search_resumes_with_its_differences(tmp_path, monkeypatch):
    case = load_case(CASES / "leo_heavy_periodic.toml")
    full = solve(case, output=tmp_path / "full.h5")
    resumed = _interrupted_then_resumed(case, tmp_path / "r.h5", monkeypatch, 2)
    assert resumed.attrs["resumed_after_orbit"] == 2
    assert resumed.attrs["periodic_orbits"] == full.attrs["periodic_orbits"]
    np.testing.assert_array_equal(resumed.attrs["periodic_history_k"], full.attrs["periodic_history_k"])
    assert _same(resumed, full) <= TOL_K


def _run_and_kill(path, out, after_checkpoint_s, rng, extra=()):
    """Start ``thermal run``; SIGKILL it a random 0-``after_checkpoint_s`` s after its first
    checkpoint is on disk (its own: a resumed run's first new one).  True if it was killed (False:
    it finished first)."""
    ckpt = checkpoint_path(out)
    before = ckpt.stat().st_mtime_ns if ckpt.exists() else None  # a resumed run: wait for its own checkpoint
    proc = subprocess.Popen([sys.executable, "-m", "thermal.cli", "run", str(path), "-o", str(out), "-q",
                             "--checkpoint-every", "0", *extra], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and proc.poll() is None and (
                not ckpt.exists() or ckpt.stat().st_mtime_ns == before):
            time.sleep(0.05)
        time.sleep(rng.uniform(0.0, after_checkpoint_s))
        killed = proc.poll() is None
    finally:
        proc.send_signal(signal.SIGKILL)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode in (0, -signal.SIGKILL), err.decode()
    return killed


@pytest.mark.jit_speed  # two runs started as processes, each killed
@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
@pytest.mark.parametrize("label, text, seed, window_s", [
    ("adaptive BDF2 transient with heat-pipe dry-out", RAMP, 11, 2.0),
    ("orbit-periodic search by marching", (CASES / "leo_heavy_periodic.toml").read_text()
     .replace('method = "anderson"', 'method = "march"').replace('"0.001 K"      # max', '"1e-5 K"      # max'),
     12, 1.5),
])
def test_sigkilled_run_resumes_to_the_uninterrupted_answer(tmp_path, label, text, seed, window_s):
    """Killed twice at random instants (the second time while resuming), then resumed to the end."""
    path = tmp_path / "case.toml"
    path.write_text(text)
    out = tmp_path / "killed.h5"
    rng = random.Random(seed)
    kills = sum(_run_and_kill(path, out, window_s, rng, extra=["--resume"] if k else []) for k in range(2))
    assert kills >= 1, "the run finished before any kill"
    case = load_case(path)
    resumed = solve(case, output=out, resume=True, checkpoint_every_s=0.0)
    full = solve(case, output=tmp_path / "full.h5")
    assert _same(resumed, full) <= TOL_K, label
    assert _same(read_result(out), read_result(tmp_path / "full.h5")) <= TOL_K


def test_resume_refuses_a_checkpoint_of_another_case_and_restarts_without_one(tmp_path, monkeypatch, capsys):
    text = CONTROL_CASE.format(mode="transient", control="thermostat", t0="5 degC", k="100 W/m/K",
                               extra='\n[transient]\ntime_step = "10 s"\nend_time = "3000 s"\n')
    path = tmp_path / "c.toml"
    path.write_text(text)
    out = tmp_path / "c.h5"
    # an interrupted run of the case, then the case edited: the checkpoint is refused, nothing is touched
    calls = [0]

    def save_then_stop(p, tree):
        save_checkpoint(p, tree)
        calls[0] += 1
        if calls[0] == 5:
            raise KeyboardInterrupt

    monkeypatch.setattr(resume_module, "save_checkpoint", save_then_stop)
    with pytest.raises(KeyboardInterrupt):
        solve(load_case(path), output=out, checkpoint_every_s=0.0)
    monkeypatch.setattr(resume_module, "save_checkpoint", save_checkpoint)
    before = checkpoint_path(out).read_bytes()
    path.write_text(text.replace('power = "50 W"', 'power = "55 W"'))
    assert main(["run", str(path), "-o", str(out), "--resume", "-q"]) == 2
    err = capsys.readouterr().err
    assert "another case text" in err and "Traceback" not in err
    assert checkpoint_path(out).read_bytes() == before and part_path(out).exists()
    # without --resume the run starts again and its stale checkpoint is discarded
    assert main(["run", str(path), "-o", str(out), "-q"]) == 0
    assert out.exists() and not checkpoint_path(out).exists()
    # --resume of a complete result of the same case: nothing to do
    capsys.readouterr()
    assert main(["run", str(path), "-o", str(out), "--resume", "-q"]) == 0
    assert "nothing to resume" in capsys.readouterr().out


def test_checkpoint_tree_round_trip_and_a_torn_file_is_one_line(tmp_path):
    tree = {"a": [1.5, 2.0], "ints": [1, 2, 3], "bools": [True, False], "none": None, "s": "text", "empty": [],
            "arrays": [np.arange(3.0), np.ones(3)], "rows": [{"x": 1.0, "y": np.zeros(2)}, {"x": 2.0, "y": np.ones(2)}],
            "mixed": [None, 1.0, "a"], "t": (1, 2.5), "nested": {"k": {"v": np.array([[1, 2]], np.int64)}}}
    path = tmp_path / "t.checkpoint"
    save_checkpoint(path, tree)
    back = load_checkpoint(path)
    assert back["a"] == [1.5, 2.0] and back["ints"] == [1, 2, 3] and back["bools"] == [True, False]
    assert back["none"] is None and back["s"] == "text" and back["empty"] == [] and back["t"] == (1, 2.5)
    assert back["mixed"] == [None, 1.0, "a"]
    np.testing.assert_array_equal(back["arrays"][1], np.ones(3))
    assert back["rows"][1]["x"] == 2.0 and np.array_equal(back["rows"][0]["y"], np.zeros(2))
    assert back["nested"]["k"]["v"].dtype == np.int64
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(Exception) as exc:
        load_checkpoint(path)
    assert "unreadable checkpoint" in str(exc.value)


def test_n_minus_1_journal_keeps_solved_cases_and_solves_only_the_rest(tmp_path):
    case = parse_case(VALVE_LOOP.format(mode="steady", extra=""), "valve.toml")  # two branches to fail
    nominal = solve(case)
    journal = tmp_path / "n1.csv"
    solved = []

    def counting_solve(c):
        solved.append(c)
        return solve(c)

    full = n_minus_1(case, nominal, counting_solve, journal=journal)
    n = len(full) - 1
    assert n == 2 and len(solved) == n and len(read_journal(journal)) == n
    assert "no steady state" in full[1].error  # a case that fails is journalled with its reason
    # a kill while the second case's line was being written: the line is torn half-way
    lines = journal.read_text().splitlines()
    journal.write_text("\n".join(lines[:2]) + "\n" + lines[2][:30])
    solved.clear()
    again = n_minus_1(case, nominal, counting_solve, journal=journal, resume=True)
    assert len(solved) == 1  # only the torn one
    assert [repr((r.failed, r.tj_max_k, r.margin_k, r.error)) for r in again] == \
        [repr((r.failed, r.tj_max_k, r.margin_k, r.error)) for r in full]
    assert journal.read_text().splitlines()[0] == ",".join(JOURNAL_COLUMNS) and len(read_journal(journal)) == n


def test_killed_sizing_resumes_reading_back_its_finished_solves(tmp_path, monkeypatch):
    spec = load_sizing(write_sizing(tmp_path))
    plain = size(spec)  # no cache at all
    folder = tmp_path / "size" / ".solves"
    real_solve, calls = cache_module.solve, [0]

    def solve_then_die(case, **kwargs):
        result = real_solve(case, **kwargs)
        calls[0] += 1
        if calls[0] == 4:
            raise KeyboardInterrupt  # killed after its fourth solve was written
        return result

    monkeypatch.setattr(cache_module, "solve", solve_then_die)
    with pytest.raises(KeyboardInterrupt):
        with solve_cache(folder, reuse=False):
            size(spec)
    assert len(list(folder.glob("*.h5"))) == 4 and not list(folder.glob("*.part"))
    monkeypatch.setattr(cache_module, "solve", real_solve)
    with solve_cache(folder, reuse=True) as cache:
        resumed = size(spec)
    assert cache.reused >= 4 and cache.solved > 0  # the killed run's four, and whatever repeats
    assert not folder.exists()  # completed: the kept solves are removed
    for key in ("area_m2", "length_m", "heater_w_per_chip", "tj_k", "cold_min_k"):
        assert getattr(resumed, key) == getattr(plain, key), key  # the same answer, bit for bit
    assert resumed.mass_kg == plain.mass_kg and resumed.evaluations == plain.evaluations
    np.testing.assert_array_equal(resumed.hot.result.fields["coldplate"], plain.hot.result.fields["coldplate"])
