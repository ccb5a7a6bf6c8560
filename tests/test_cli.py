"""The `thermal` command: run, plot, compare, info, help."""
import subprocess
import sys

import numpy as np
import pytest

from thermal.cli import main

from .conftest import CASES


def test_run_writes_hdf5_xdmf_and_prints_the_summary(tmp_path, capsys):
    out = tmp_path / "ref.h5"
    assert main(["run", str(CASES / "reference_plate.toml"), "-o", str(out), "-q"]) == 0
    text = capsys.readouterr().out
    assert out.exists() and out.with_suffix(".xdmf").exists()
    assert "plate" in text and "energy balance" in text and "radiated 2000" in text
    assert "1048.482" in text  # T max of the benchmark at N = 64 (shared/bench/PROBLEM.md)
    png = tmp_path / "ref.png"
    assert main(["plot", str(out), "-o", str(png)]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # compare: identical files agree; a perturbed one does not
    assert main(["compare", str(out), str(out)]) == 0
    import h5py

    other = tmp_path / "other.h5"
    other.write_bytes(out.read_bytes())
    with h5py.File(other, "r+") as f:
        f["fields/plate/T"][0, 0, 0, 0] += 1e-3
    assert main(["compare", str(out), str(other), "--atol", "1e-6", "--rtol", "0"]) == 1
    assert main(["compare", str(out), str(other), "--atol", "1e-2"]) == 0


def test_plot_rejects_bad_step_and_layer(tmp_path, capsys):
    out = tmp_path / "ref.h5"
    main(["run", str(CASES / "reference_plate.toml"), "-o", str(out), "-q"])
    capsys.readouterr()
    assert main(["plot", str(out), "--step", "5"]) == 2
    assert "--step 5" in capsys.readouterr().err
    assert main(["plot", str(out), "--layer", "core"]) == 2
    assert "layers: plate" in capsys.readouterr().err
    assert main(["plot", str(tmp_path / "missing.h5")]) == 2


def test_info_lists_materials_with_sources(capsys):
    assert main(["info"]) == 0
    text = capsys.readouterr().out
    for name in ("al6061", "copper", "silicon", "k1100_cfrp", "apg", "al_honeycomb", "indium", "white_paint", "osr",
                 "silvered_teflon", "black_paint", "bare_al"):
        assert name in text
    assert "Incropera" in text and "Gilmore" in text


@pytest.mark.parametrize("command", [[], ["run"], ["plot"], ["compare"], ["validate"], ["info"]])
def test_help_explains_itself(command):
    proc = subprocess.run([sys.executable, "-m", "thermal.cli", *command, "--help"], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0
    assert "usage: thermal" in proc.stdout and len(proc.stdout) > 300


def test_library_values_are_the_documented_ones():
    from thermal.input.materials import library_coatings, library_materials

    m = library_materials()
    assert m["silicon"].k_inplane(300.0) == 148.0
    assert m["silicon"].k_inplane(400.0) / m["silicon"].k_inplane(300.0) == pytest.approx(0.668, abs=1e-3)
    assert m["apg"].k_inplane(300.0) / m["apg"].k_through(300.0) == pytest.approx(150.0)
    c = library_coatings()
    assert all(0 <= x.alpha <= 1 and 0 <= x.eps <= 1 for x in c.values())
    assert np.isclose(c["white_paint"].eps, 0.91)


def test_readme_python_blocks_run(monkeypatch, tmp_path):
    """The README's Python examples are executed as written (from the repository root)."""
    import re

    from .conftest import ROOT

    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.S)
    assert blocks
    monkeypatch.chdir(ROOT)
    for code in blocks:
        exec(compile(code, "README.md", "exec"), {})


def test_plot_of_an_orbit_transient_writes_the_history(tmp_path, capsys):
    text = (CASES / "leo_53deg_eclipse.toml").read_text().replace('end_time = "3 h"', 'end_time = "30 min"')
    case_file = tmp_path / "leo.toml"
    case_file.write_text(text.replace("cells = [24, 24]", "cells = [6, 6]"))
    out = tmp_path / "leo.h5"
    assert main(["run", str(case_file), "-o", str(out), "-q"]) == 0
    assert main(["plot", str(out), "--probe", "radiator:500,500", "--probe", "radiator:100,900"]) == 0
    assert "leo_history.png" in capsys.readouterr().out
    assert main(["plot", str(out), "--probe", "radiator:5000,10"]) == 2
    assert "outside panel 'radiator'" in capsys.readouterr().err
    assert (tmp_path / "leo_history.png").read_bytes()[:4] == b"\x89PNG"
