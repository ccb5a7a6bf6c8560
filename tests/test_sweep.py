"""Sweeps on Dask, on loopback only: a real scheduler and two workers started by PID, one worker
SIGKILLed mid-sweep; resume after an interrupt; job-script rendering; bad sweep files."""
import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from thermal.apps.sweep.execute import job_script, read_table, run_sweep
from thermal.apps.sweep.spec import expand, load_sweep
from thermal.cli import main
from thermal.errors import CaseError, ThermalError

from .conftest import CASES

DASK = Path(sys.executable).parent / "dask"
BASE = CASES / "four_gpu_ammonia.toml"

SWEEP = f"""
[sweep]
name = "t"
base = "{BASE}"
outputs = ["tj_max_k", "pipe_utilisation_max", "t_max_k.radiator"]

[parameters]
"panels.coldplate.footprints.gpu_a.power" = {{ from = "300 W", to = "600 W", steps = 4 }}
"panels.radiator.layers.sheet.thickness" = ["1 mm", "2 mm"]

[cluster]
workers = 2
"""


def write(tmp_path, text=SWEEP, name="s.toml"):
    p = tmp_path / name
    p.write_text(text)
    return p


def _wait(predicate, timeout_s, what):
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(0.1)
    raise TimeoutError(f"{what} did not happen within {timeout_s} s")


@pytest.fixture
def loopback_cluster(tmp_path):
    """`dask scheduler` and two `dask worker` processes on 127.0.0.1, torn down by PID."""
    from distributed import Client

    env = {**os.environ, "NUMBA_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
           "DASK_DISTRIBUTED__SCHEDULER__WORKER_SATURATION": "1.0"}
    sched_file = tmp_path / "scheduler.json"
    log = open(tmp_path / "cluster.log", "w")
    procs = [subprocess.Popen([str(DASK), "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                               "--scheduler-file", str(sched_file)], env=env, stdout=log, stderr=log)]
    try:
        _wait(lambda: sched_file.exists() and sched_file.stat().st_size > 0, 30, "scheduler start")
        address = json.loads(sched_file.read_text())["address"]
        for _ in range(2):
            procs.append(subprocess.Popen([str(DASK), "worker", "--scheduler-file", str(sched_file), "--nthreads", "1",
                                           "--no-nanny", "--no-dashboard", "--host", "127.0.0.1",
                                           "--local-directory", str(tmp_path / "dask-worker")],
                                          env=env, stdout=log, stderr=log))
        with Client(address, timeout="10s") as c:
            _wait(lambda: len(c.scheduler_info()["workers"]) == 2, 60, "two workers registering")
        yield address, procs[1:]
    finally:
        try:
            with Client(address, timeout="5s") as c:
                c.shutdown()
        except Exception:  # noqa: BLE001 - the processes are stopped by PID below anyway
            pass
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=10)
        log.close()


def _outputs(rows):
    return {r["case_id"]: np.array([float(r[k]) for k in ("tj_max_k", "pipe_utilisation_max", "t_max_k.radiator")])
            for r in rows}


@pytest.mark.jit_speed
def test_worker_killed_mid_sweep_costs_only_its_case(tmp_path, loopback_cluster):
    address, workers = loopback_cluster
    spec = load_sweep(write(tmp_path))
    killed = []

    def kill_one(row):
        if not killed:  # the first result is in: the other worker is in the middle of a case
            victim = workers[0]
            os.kill(victim.pid, signal.SIGKILL)
            killed.append((victim.pid, time.monotonic()))

    start = time.monotonic()
    report = run_sweep(spec, tmp_path / "remote", scheduler=address, progress=False, on_row=kill_one)
    remote_s = time.monotonic() - start
    assert killed and workers[0].wait(timeout=10) == -signal.SIGKILL
    rows = read_table(tmp_path / "remote" / "results.csv")
    ids = [r["case_id"] for r in rows]
    assert len(ids) == 8 and len(set(ids)) == 8 and report.ran == 8
    assert all(r["status"] == "ok" for r in rows), [r["error"] for r in rows]
    # the killed attempt's temporary file is gone once the sweep is complete
    assert not list((tmp_path / "remote" / "cases").glob(".*"))
    # every case file is complete and no temporary file is left behind
    assert sorted(p.name for p in (tmp_path / "remote" / "cases").iterdir()) == sorted(f"{i}.h5" for i in ids)

    start = time.monotonic()
    local = run_sweep(spec, tmp_path / "local", progress=False)
    local_s = time.monotonic() - start
    assert local.ran == 8
    a, b = _outputs(rows), _outputs(read_table(tmp_path / "local" / "results.csv"))
    assert a.keys() == b.keys()
    for cid in a:  # the same solver on the same inputs, one thread each: bit for bit the same numbers
        np.testing.assert_array_equal(a[cid], b[cid])
    print(f"\nkill test: remote {remote_s:.1f} s (worker {killed[0][0]} killed), local {local_s:.1f} s")


@pytest.mark.jit_speed
def test_interrupted_sweep_resumes_with_only_the_missing_cases(tmp_path):
    path = write(tmp_path, SWEEP.replace("workers = 2", "workers = 1"))
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    # a shell without job control starts background jobs with SIGINT ignored, and Python keeps that
    # disposition: give the child the default one so that it turns SIGINT into KeyboardInterrupt
    proc = subprocess.Popen([sys.executable, "-m", "thermal.cli", "sweep", str(path), "-o", str(out), "-q"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    table = out / "results.csv"
    try:
        _wait(lambda: len(read_table(table)) >= 2, 120, "two finished cases")
    finally:
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "interrupted" in stderr
    done = read_table(table)
    assert 2 <= len(done) < 8 and len({r["case_id"] for r in done}) == len(done)
    with open(table, newline="") as fh:  # the table is whole: a header and complete rows only
        lines = list(csv.reader(fh))
    assert len(lines) == len(done) + 1 and all(len(l) == len(lines[0]) for l in lines)
    spec = load_sweep(path)
    report = run_sweep(spec, out, progress=False)
    assert report.skipped == len(done) and report.ran == 8 - len(done)
    assert len(read_table(table)) == 8


def test_failed_case_is_recorded_and_the_sweep_goes_on(tmp_path):
    # a negative thickness is a bad combination: that case fails with its error, the other runs
    text = SWEEP.replace('{ from = "300 W", to = "600 W", steps = 4 }', '["450 W"]').replace(
        '["1 mm", "2 mm"]', '["-1 mm", "2 mm"]').replace("workers = 2", "workers = 1")
    path = write(tmp_path, text)
    with pytest.raises(CaseError):  # the first combination is checked when the sweep file is read
        load_sweep(path)
    path = write(tmp_path, text.replace('["-1 mm", "2 mm"]', '["2 mm", "-1 mm"]'))
    report = run_sweep(load_sweep(path), tmp_path / "o", progress=False)
    rows = {r["panels.radiator.layers.sheet.thickness [mm]"]: r for r in read_table(tmp_path / "o" / "results.csv")}
    assert report.ran == 2 and report.failed == 1
    assert rows["2.0"]["status"] == "ok" and rows["-1.0"]["status"] == "failed"
    assert "thickness" in rows["-1.0"]["error"] and "> 0" in rows["-1.0"]["error"]


def test_slurm_and_pbs_job_scripts_render(tmp_path):
    text = SWEEP + ('kind = "slurm"\njobs = 4\ncores = 8\nmemory = "16GB"\nwalltime = "02:00:00"\nqueue = "compute"\n'
                    'account = "thermal-lab"\njob_extra = ["--constraint=skylake"]\n'
                    'prologue = ["module load python/3.11"]\n')
    spec = load_sweep(write(tmp_path, text))
    script = job_script(spec, tmp_path / "out", "slurm")
    for piece in ("#SBATCH -p compute", "#SBATCH -A thermal-lab", "#SBATCH -t 02:00:00", "--constraint=skylake",
                  "--nworkers 8", "--nthreads 1", "export NUMBA_NUM_THREADS=1", "export NUMBA_CACHE_DIR=",
                  "module load python/3.11"):
        assert piece in script, (piece, script)
    pbs = job_script(spec, tmp_path / "out", "pbs")
    assert "#PBS -q compute" in pbs and "#PBS -l walltime=02:00:00" in pbs


def test_unreachable_scheduler_fails_fast(tmp_path):
    spec = load_sweep(write(tmp_path))
    start = time.monotonic()
    with pytest.raises(ThermalError, match="cannot reach the Dask scheduler"):
        run_sweep(spec, tmp_path / "o", scheduler="tcp://127.0.0.1:9", progress=False)
    assert time.monotonic() - start < 30


def test_sampling_is_reproducible_and_inside_the_ranges(tmp_path):
    text = SWEEP.replace('[sweep]\n', '[sweep]\nsampling = "latin"\nsamples = 16\nseed = 7\n').replace(
        ', steps = 4 }', ' }')
    spec = load_sweep(write(tmp_path, text))
    a, b = expand(spec), expand(spec)
    assert [c.case_id for c in a] == [c.case_id for c in b] and len(a) == 16
    powers = np.array([c.inputs["panels.coldplate.footprints.gpu_a.power [W]"] for c in a])
    assert np.all((powers >= 300) & (powers <= 600))
    # Latin hypercube: exactly one sample in each of the 16 equal strata
    assert sorted(np.floor((powers - 300) / 300 * 16).astype(int).tolist()) == list(range(16))
    sobol = load_sweep(write(tmp_path, text.replace('"latin"', '"sobol"'), "sobol.toml"))
    assert len(expand(sobol)) == 16


def test_case_identity_is_the_effective_case_text(tmp_path):
    spec = load_sweep(write(tmp_path))
    ids = {c.case_id for c in expand(spec)}
    # reordering the parameters does not change any case
    lines = SWEEP.splitlines()
    i, j = [k for k, l in enumerate(lines) if l.startswith('"panels.')]
    lines[i], lines[j] = lines[j], lines[i]
    assert {c.case_id for c in expand(load_sweep(write(tmp_path, "\n".join(lines), "r.toml")))} == ids
    # a change to the base case changes every case
    base2 = tmp_path / "base2.toml"
    base2.write_text(BASE.read_text().replace('ir_flux = "60 W/m2"', 'ir_flux = "61 W/m2"'))
    other = {c.case_id for c in expand(load_sweep(write(tmp_path, SWEEP.replace(str(BASE), str(base2)), "b.toml")))}
    assert not other & ids


BAD = [
    ("unknown_key", ('"panels.radiator.layers.sheet.thickness"', '"panels.radiator.layers.shet.thickness"'),
     "no such key"),
    ("unknown_output", ('"t_max_k.radiator"]', '"t_max_k.radiator", "area"]'), "unknown output"),
    ("grid_range_without_steps", (', steps = 4 }', ' }'), "needs steps"),
    ("range_units_differ", ('to = "600 W"', 'to = "0.6 kW"'), "same unit"),
    ("no_parameters", ('"panels.coldplate.footprints.gpu_a.power" = { from = "300 W", to = "600 W", steps = 4 }\n'
                       '"panels.radiator.layers.sheet.thickness" = ["1 mm", "2 mm"]', ''), "at least one parameter"),
    ("unknown_cluster", ('workers = 2', 'kind = "kubernetes"'), "'local'"),
    # 1,000,000 x 2 cases: refused by counting, before any case text is made
    ("too_many_cases", (', steps = 4 }', ', steps = 1000000 }'), "more than 100,000 cases"),
]


@pytest.mark.parametrize("name,edit,words", BAD, ids=[b[0] for b in BAD])
def test_bad_sweep_files_give_one_clear_line(tmp_path, capsys, name, edit, words):
    assert edit[0] in SWEEP, edit[0]
    path = write(tmp_path, SWEEP.replace(edit[0], edit[1]))
    assert main(["sweep", str(path), "-o", str(tmp_path / "o"), "-q"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and words in err and str(path) in err, err


def test_outputs_match_the_result_they_come_from():
    from thermal.apps.solve import solve
    from thermal.apps.sweep.outputs import collect
    from thermal.input.case_file import load_case

    result = solve(load_case(CASES / "gpu_radiator.toml"))
    out = collect(result, ["tj_max_k", "tj_margin_k", "t_mean_k.radiator", "t_max_k.radiator", "radiated_w",
                           "tj_k.radiator.gpu", "pipe_utilisation_max"])
    chip = result.chips["radiator.gpu"]
    assert out["tj_max_k"] == out["tj_k.radiator.gpu"] == chip["t_max"][-1]
    assert out["tj_margin_k"] == chip["limit_k"] - chip["t_max"][-1]
    # the volume mean of a uniform field is that value; here, between the min and max
    t = result.fields["radiator"][-1]
    assert np.nanmin(t) < out["t_mean_k.radiator"] < np.nanmax(t) == out["t_max_k.radiator"]
    assert out["radiated_w"] == pytest.approx(700.0 + result.energy["absorbed"][-1], rel=1e-12)
    assert np.isnan(out["pipe_utilisation_max"])  # no heat pipes in this case


@pytest.mark.jit_speed
def test_sweep_over_a_sizing_file(tmp_path):
    """Sweeps run whatever `thermal size` runs: the sizing's own quantities are outputs, and an
    output added later is read back from the finished cases' /sizing attributes without re-running."""
    from thermal.apps.sizing.input import parse_sizing
    from thermal.apps.sizing.size import size

    from .test_sizing import SIZING

    base = tmp_path / "small_sizing.toml"
    base.write_text(SIZING)
    text = (f'[sweep]\nname = "pitch"\nbase = "{base}"\noutputs = ["area_m2", "mass_kg", "heater_w", "tj_max_k"]\n'
            '[parameters]\n"radiator.pipe_pitch" = ["80 mm", "100 mm"]\n[cluster]\nworkers = 1\n')
    spec = load_sweep(write(tmp_path, text))
    report = run_sweep(spec, tmp_path / "o", progress=False)
    rows = {float(r["radiator.pipe_pitch [mm]"]): r for r in read_table(tmp_path / "o" / "results.csv")}
    assert report.ran == 2 and all(r["status"] == "ok" for r in rows.values()), rows
    direct = size(parse_sizing(SIZING.replace('pipe_pitch = "100 mm"', 'pipe_pitch = "80 mm"'), str(base)))
    assert float(rows[80.0]["area_m2"]) == direct.area_m2
    assert float(rows[80.0]["heater_w"]) == direct.heater_w_per_chip * direct.spec.chips
    # a closer pitch needs a longer unit, but each chip's share is narrower: the areas differ
    assert float(rows[80.0]["area_m2"]) != float(rows[100.0]["area_m2"])
    again = load_sweep(write(tmp_path, text.replace('"tj_max_k"]', '"tj_max_k", "w_per_kg"]'), "s2.toml"))
    report2 = run_sweep(again, tmp_path / "o", progress=False)
    assert report2.ran == 0 and report2.skipped == 2
    for r in read_table(tmp_path / "o" / "results.csv"):
        assert float(r["w_per_kg"]) == pytest.approx(400.0 / float(r["mass_kg"]), rel=1e-12)


def test_nonsense_sweep_options_are_refused(tmp_path, capsys):
    path = write(tmp_path)
    assert main(["sweep", str(path), "-o", str(tmp_path / "o"), "--workers", "0", "-q"]) == 2
    assert "--workers 0" in capsys.readouterr().err
    assert main(["sweep", str(path), "--job-script"]) == 2  # a job script needs SLURM or PBS
    assert "--job-script needs --slurm or --pbs" in capsys.readouterr().err


def test_sensitivity_of_an_output_constant_to_round_off_is_zero():
    """The review's case: an output 2292.095999... vs 2292.096000... across the cases ranked an input
    at |rho| = 0.16; it is constant, so no input moves it."""
    from thermal.apps.sweep.outputs import sensitivity

    rng = np.random.default_rng(3)
    rows = [{"status": "ok", "a": float(a), "y": 2292.096 + float(e), "z": 2.0 * float(a)}
            for a, e in zip(rng.uniform(0, 1, 40), rng.normal(0, 1e-10, 40))]
    ranking = sensitivity(rows, ["a"], ["y", "z"])
    assert ranking["y"] == [("a", 0.0)]
    assert ranking["z"][0][1] == pytest.approx(1.0)



def test_round_off_differences_inside_a_varying_output_are_ties():
    """Radiated power follows the power input exactly and the thickness only in its last digits: on
    a 3 x 3 grid the thickness must get rho = 0, not the correlation of round-off noise."""
    from thermal.apps.sweep.outputs import sensitivity

    rng = np.random.default_rng(5)
    rows = [{"status": "ok", "power": p, "sheet": t, "radiated": 4.0 * p * (1.0 + float(rng.normal(0, 1e-13)))}
            for p in (300.0, 450.0, 600.0) for t in (1.0, 1.5, 2.5)]
    ranking = dict(sensitivity(rows, ["power", "sheet"], ["radiated"])["radiated"])
    assert ranking["sheet"] == 0.0 and ranking["power"] == pytest.approx(1.0)


def test_sweep_axis_labels_are_readable_and_temperatures_in_celsius():
    from thermal.output.labels import input_label, output_label

    assert input_label("panels.radiator.layers.sheet.thickness [mm]") == "radiator sheet thickness [mm]"
    assert input_label("panels.coldplate.footprints.gpu_a.power [W]") == "coldplate gpu a power [W]"
    assert output_label("tj_max_k") == ("hottest junction [°C]", 273.15)
    assert output_label("t_max_k.radiator") == ("hottest radiator [°C]", 273.15)
    assert output_label("tj_margin_k") == ("junction margin [K]", 0.0)  # a difference stays in K
    assert output_label("w_per_m2") == ("compute power per area [W/m²]", 0.0)

_LATE_WORKER_ENV = """
import os, numba
numba.set_num_threads(1)                 # threads launched with the parent's count (2)
os.environ["NUMBA_NUM_THREADS"] = "1"    # what Dask's env= brings to the worker afterwards
from thermal.apps.sweep.execute import one_thread_per_worker
from thermal.threads import threads_allowed
one_thread_per_worker()

@numba.njit
def fresh(x):                            # a compilation rereads Numba's configuration
    return x + 1

assert fresh(1) == 2
assert numba.get_num_threads() == 1 and threads_allowed() == 1
print("ok")
"""


def test_a_worker_whose_environment_arrives_after_numba_still_compiles():
    """A local worker is spawned with the parent's NUMBA_NUM_THREADS and re-imports the `thermal`
    script before Dask applies its env; a compilation after that used to fail every case of a
    `thermal sweep` run with a cold Numba cache."""
    env = dict(os.environ, NUMBA_NUM_THREADS="2")
    out = subprocess.run([sys.executable, "-c", _LATE_WORKER_ENV], env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr[-2000:]


def test_threads_allowed_respects_the_cpu_affinity():
    code = ("import os; os.sched_setaffinity(0, {min(os.sched_getaffinity(0))}); "
            "from thermal.threads import threads_allowed, kernel_threads; "
            "print(threads_allowed(), kernel_threads(10**7, load=0.0))")
    env = dict(os.environ, NUMBA_NUM_THREADS="2")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["1", "1"]
