"""Output locations are checked before a solve: a result never replaces its input, a case name is
not a path, and a bad location is one line and exit 2 with nothing written."""
from pathlib import Path

import pytest

from thermal.cli import main
from thermal.output.paths import default_output

from .conftest import MINIMAL_CASE


@pytest.fixture
def case_file(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text(MINIMAL_CASE)
    return path


def test_run_refuses_to_write_its_result_over_the_case_file(case_file, capsys):
    before = case_file.read_bytes()
    assert main(["run", str(case_file), "-o", str(case_file), "-q"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is the input file" in err
    assert case_file.read_bytes() == before


@pytest.mark.parametrize("where, why", [("folder", "is a folder"), ("missing/r.h5", "does not exist")])
def test_bad_output_locations_are_one_line_and_exit_2(case_file, tmp_path, capsys, where, why):
    (tmp_path / "folder").mkdir()
    assert main(["run", str(case_file), "-o", str(tmp_path / where), "-q"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and why in err


@pytest.mark.parametrize("name, expected", [("../../etc/passwd", "_.._etc_passwd.h5"), ("/abs/path", "_abs_path.h5"),
                                            ("a\x00b", "a_b.h5"), ("x" * 300, "x" * 100 + ".h5"), ("..", "case.h5"),
                                            ("plate 1", "plate_1.h5")])
def test_the_case_name_is_not_a_path(name, expected):
    out = default_output(name)
    assert out == Path(expected) and out.parent == Path(".")


def test_a_byte_order_mark_is_not_content(tmp_path, capsys):
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + MINIMAL_CASE.encode())
    assert main(["run", str(path), "-o", str(tmp_path / "r.h5"), "-q"]) == 0


def test_a_result_is_written_aside_and_renamed_when_complete(case_file, tmp_path):
    import h5py

    out = tmp_path / "r.h5"
    out.write_bytes(b"an older result that a reader may hold")
    assert main(["run", str(case_file), "-o", str(out), "-q"]) == 0
    assert not (tmp_path / "r.h5.part").exists()
    with h5py.File(out) as f:
        assert f.attrs["complete"] and f.attrs["steps_written"] == 1


def test_a_second_writer_is_refused_and_harms_nothing(case_file, tmp_path, capsys):
    """Another process holds OUT.h5.part open for writing (HDF5 locks it): the second run says so in
    one line and exits 2 before truncating the first one's file."""
    import subprocess
    import sys

    import h5py

    out = tmp_path / "r.h5"
    part = tmp_path / "r.h5.part"
    holder = subprocess.Popen([sys.executable, "-c", f"import h5py, time\nf = h5py.File({str(part)!r}, 'w')\n"
                               "f['mine'] = 42.0\nf.flush()\nprint('ready', flush=True)\ntime.sleep(60)\n"],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        assert main(["run", str(case_file), "-o", str(out), "-q"]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "another run is writing it" in err
    finally:
        holder.kill()
        holder.wait(timeout=10)
        holder.stdout.close()
    with h5py.File(part, "r") as f:
        assert f["mine"][()] == 42.0
    assert not out.exists()


def _transient_case(tmp_path, name, extra=""):
    text = MINIMAL_CASE.replace('[case]\nname = "minimal"', '[case]\nname = "minimal"\nmode = "transient"')
    text += '\n[transient]\ntime_step = "10 s"\nend_time = "100 s"\n' + extra
    path = tmp_path / name
    path.write_text(text)
    return path


def test_compare_reports_step_counts_failed_runs_and_other_cases(tmp_path, capsys):
    """An 11-step result against a run that stopped after its first step is not "same" because their
    common step agrees; neither is another case's result."""
    whole = tmp_path / "whole.h5"
    assert main(["run", str(_transient_case(tmp_path, "t.toml")), "-o", str(whole), "-q"]) == 0
    stopped = tmp_path / "stopped.h5"
    assert main(["run", str(_transient_case(tmp_path, "f.toml", '\n[solver]\nmax_iterations = 1\n')),
                 "-o", str(stopped), "-q"]) == 3
    capsys.readouterr()
    assert main(["compare", str(whole), str(tmp_path / "stopped.h5.part")]) == 1
    out = capsys.readouterr().out
    assert "stopped early" in out and "11 output steps against 1" in out and "DIFFERENT" in out
    assert main(["compare", str(whole), str(whole)]) == 0
    other = tmp_path / "other.h5"
    assert main(["run", str(_transient_case(tmp_path, "o.toml", '\n[solver]\nstep_tolerance = 1e-9\n')),
                 "-o", str(other), "-q"]) == 0
    capsys.readouterr()
    assert main(["compare", str(whole), str(other), "--atol", "1e-3"]) == 1
    assert "the case texts differ" in capsys.readouterr().out


def test_an_unexpected_error_is_one_line_and_its_traceback_is_kept(case_file, tmp_path, capsys, monkeypatch):
    import thermal.cli as cli

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(cli, "solve", broken)
    assert main(["run", str(case_file), "-o", str(tmp_path / "r.h5"), "-q"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "internal error: RuntimeError: a bug" in err
    log = Path(err.split("traceback in ")[1].split(")")[0])
    try:
        assert "Traceback" in log.read_text() and "RuntimeError: a bug" in log.read_text()
    finally:
        log.unlink()


@pytest.mark.parametrize("faces", ["", "\n[panels.plate.faces.top]\ncoating = \"white_paint\"\n"])
def test_heat_with_no_way_out_is_refused_before_newton(tmp_path, capsys, faces):
    """No face at all, or a face whose emittance is 0: a steady state does not exist (the old run
    reported T = 1.5e19 K after 50 Newton iterations)."""
    text = MINIMAL_CASE[:MINIMAL_CASE.index("[panels.plate.faces.top]")] + faces
    if faces:
        text += '\n[coatings.white_paint]\neps = 0.0\n'
    path = tmp_path / "stranded.toml"
    path.write_text(text)
    assert main(["run", str(path), "-o", str(tmp_path / "r.h5"), "-q"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no steady state: panel 'plate' take in heat" in err


@pytest.mark.parametrize("value", ['"1e300 W"', '"inf W"', '"nan W"', '"-1e40 W"'])
def test_overflowing_quantities_name_their_key(tmp_path, capsys, value):
    path = tmp_path / "huge.toml"
    path.write_text(MINIMAL_CASE.replace('power = "100 W"', f"power = {value}"))
    assert main(["run", str(path), "-o", str(tmp_path / "r.h5"), "-q"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "panels.plate.footprints.chip.power" in err


def test_a_case_too_big_for_the_machine_is_refused_before_allocating(tmp_path, capsys):
    path = tmp_path / "huge.toml"
    path.write_text(MINIMAL_CASE.replace("cells = [4, 2]", "cells = [100000, 100000]"))
    assert main(["run", str(path), "-o", str(tmp_path / "r.h5"), "-q"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "GiB needed (10,000," in err and "--force" in err


def test_a_time_step_that_never_ends_is_refused(tmp_path, capsys):
    path = tmp_path / "tiny_step.toml"
    path.write_text(MINIMAL_CASE.replace('[case]\nname = "minimal"', '[case]\nname = "minimal"\nmode = "transient"')
                    + '\n[transient]\ntime_step = "1e-300 s"\nend_time = "1 s"\n')
    assert main(["run", str(path), "-o", str(tmp_path / "r.h5"), "-q"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "1e+300 steps" in err


def test_the_memory_estimate_follows_nodes_and_outputs():
    from thermal import parse_case
    from thermal.apps.resources import BYTES_PER_NODE, BYTES_PER_STORED_VALUE, check_resources
    from thermal.build.network import build_network

    case = parse_case(MINIMAL_CASE.replace('[case]\nname = "minimal"', '[case]\nname = "minimal"\nmode = "transient"')
                      + '\n[transient]\ntime_step = "10 s"\nend_time = "100 s"\noutput_every = 2\n')
    est = check_resources(case)
    # nodes: an upper bound (the footprint's edges and cells across it add grid lines), within 3x
    built = build_network(case).n_nodes
    assert built <= est["nodes"] <= 3 * built
    assert est["nodes"] == (4 + 3) * (2 + 3) and est["steps"] == 10 and est["outputs"] == 6
    n = est["nodes"]
    assert est["memory_bytes"] == n * BYTES_PER_NODE + 6 * n * BYTES_PER_STORED_VALUE
    with pytest.raises(Exception, match="GiB is available"):
        check_resources(case, available_bytes=1)
    assert check_resources(case, force=True, available_bytes=1) == est
