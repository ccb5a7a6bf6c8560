"""The notebook-style example of the README runs as written (from a scratch folder), and the API it
shows: with_overrides, short reprs, tj_max/margins/t_max/to_table, figures returned."""
import re

import numpy as np
import pytest

import thermal
from thermal.errors import CaseError

from .conftest import CASES, ROOT


def test_readme_python_example_runs(tmp_path, monkeypatch):
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Python and notebooks", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    code = code.replace('"cases/', f'"{CASES}/')  # the example is written for the repository's root
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "README.md (Python and notebooks)", "exec"), {})
    assert (tmp_path / "gpu_warm_sink.png").stat().st_size > 10_000


def test_overrides_make_a_new_checked_case_and_reprs_are_short():
    case = thermal.load_case(CASES / "gpu_radiator.toml")
    warm = case.with_overrides({"environment.t_sink": "250 K"})
    assert warm.t_sink_k == 250.0 and case.t_sink_k != 250.0
    with pytest.raises(CaseError) as exc:
        case.with_overrides({"environment.t_sink": "-5 K"})
    assert "environment.t_sink" in str(exc.value)
    result = thermal.solve(warm)
    assert len(repr(case)) < 200 and len(repr(result)) < 300
    assert result.tj_max() == max(float(c["t_max"].max()) for c in result.chips.values())
    for chip, margin in result.margins_k().items():
        assert margin == pytest.approx(result.chips[chip]["limit_k"] - result.tj_max(chip), abs=0)
    assert result.t_max() >= result.t_max(layer=result.mesh[next(iter(result.mesh))]["layer_names"][0])
    table = result.to_table()
    assert set(len(v) for v in table.values()) == {len(result.times_s)}
    np.testing.assert_allclose(table[f"{next(iter(result.chips))}.tj_max_c"] + 273.15,
                               table[f"{next(iter(result.chips))}.tj_max_k"], rtol=0, atol=1e-12)
    fig = thermal.plot.temperature_maps(result)
    assert fig.axes and "Figure" in type(fig).__name__


def test_to_dataframe_says_how_to_get_pandas_when_it_is_missing():
    try:
        import pandas  # noqa: F401
    except ImportError:
        r = thermal.solve(thermal.load_case(CASES / "gpu_radiator.toml"))
        with pytest.raises(ImportError, match="pip install pandas"):
            r.to_dataframe()
        return
    r = thermal.solve(thermal.load_case(CASES / "gpu_radiator.toml"))
    df = r.to_dataframe()
    assert list(df.index) == list(r.times_s) and "energy.generated_w" in df.columns


def test_run_csv_has_a_row_per_output_in_both_units(tmp_path):
    import csv

    from thermal.cli import main

    out, table_path = tmp_path / "r.h5", tmp_path / "r.csv"
    assert main(["run", str(CASES / "leo_53deg_eclipse.toml"), "-o", str(out), "--csv", str(table_path), "-q"]) == 0
    result = thermal.read_result(out)
    with open(table_path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(result.times_s)
    tj = np.array([float(r["radiator.chip.tj_max_k"]) for r in rows])
    np.testing.assert_allclose(tj, result.chips["radiator.chip"]["t_max"], rtol=0, atol=5e-5)  # 0.1 mK digits
    np.testing.assert_allclose([float(r["radiator.chip.tj_max_c"]) for r in rows], tj - 273.15, atol=1e-4)
    assert all(len(r["radiator.t_max_k"].split(".")[1]) == 4 for r in rows)  # not 16-digit noise


def test_compare_covers_chips_pipes_and_energy_not_only_fields(tmp_path, capsys):
    """A file whose fields agree but whose chip series and energy terms were altered is different,
    naming the group and the series; an untouched copy is the same."""
    import shutil

    import h5py

    from thermal.cli import main

    a = tmp_path / "a.h5"
    assert main(["run", str(CASES / "four_gpu_ammonia.toml"), "-o", str(a), "-q"]) == 0
    for name, edit in (("same.h5", None), ("chip.h5", "chips/coldplate.gpu_a/t_max"),
                       ("pipe.h5", "heat_pipes/hp1/Q"), ("energy.h5", "energy/radiated")):
        b = tmp_path / name
        shutil.copy(a, b)
        if edit is not None:
            with h5py.File(b, "r+") as f:
                f[edit][...] = f[edit][...] * (1 + 1e-6) + 1e-6
        capsys.readouterr()
        status = main(["compare", str(a), str(b)])
        out = capsys.readouterr().out
        if edit is None:
            assert status == 0 and out.rstrip().endswith("same")
        else:
            assert status == 1 and "DIFFERENT" in out, out
            label = {"chip.h5": "chip coldplate.gpu_a t_max", "pipe.h5": "pipe hp1 Q",
                     "energy.h5": "energy radiated"}[name]
            assert f"outside tolerance: {label}" in out, out
            assert "0 cells outside tolerance" in out  # the fields themselves agree
    # sizing answers: a file with /sizing against one without, and with another area
    sized, resized = tmp_path / "sized.h5", tmp_path / "resized.h5"
    for path, area in ((sized, 140.0), (resized, 140.0 * (1 + 1e-6))):
        shutil.copy(a, path)
        with h5py.File(path, "r+") as f:
            f.create_group("sizing").attrs.update(area_m2=area, tj_max_k=353.16, input_sha256="abc")
    for other, words in ((a, "only one file holds a sizing"), (resized, "outside tolerance: area_m2")):
        capsys.readouterr()
        assert main(["compare", str(sized), str(other)]) == 1
        assert words in capsys.readouterr().out
    assert main(["compare", str(sized), str(resized), "--sizing-rtol", "1e-5"]) == 0


def test_compare_sizing_judges_answers_not_provenance():
    from thermal.apps.compare import Tolerances, compare_sizing

    base = {"area_m2": 140.0, "mass_total_kg": 970.0, "tj_max_k": 353.16, "architecture": "heat_pipes",
            "input_sha256": "abc", "source_revision": "06c0277", "thermal_version": "0.1.0"}
    tol = Tolerances()
    assert compare_sizing(base, dict(base, source_revision="1573db9", thermal_version="0.2.0"), tol)[0]
    ok, lines = compare_sizing(base, dict(base, tj_max_k=353.16 + 1e-6), tol)  # K: atol + rtol |B|
    assert not ok and "tj_max_k" in lines[-1]
    assert compare_sizing(base, dict(base, tj_max_k=353.16 + 1e-6), Tolerances(atol_k=1e-5))[0]
    ok, lines = compare_sizing(base, dict(base, input_sha256="abd"), tol)
    assert not ok and "the sizing inputs (SHA-256)" in lines[-1]
    ok, lines = compare_sizing(base, {k: v for k, v in base.items() if k != "mass_total_kg"}, tol)
    assert not ok and "mass_total_kg" in lines[0]
    assert compare_sizing(None, None, tol) == (True, [])


def test_figures_tell_the_truth_peak_map_junction_curves_and_eclipse_titles():
    """The map of a transient shows the step of the hottest junction (what reports quote), the
    history draws each junction with its limit, and says 'no eclipse' when the orbit has none."""
    case = thermal.load_case(CASES / "dawn_dusk_edge_on.toml").with_overrides({"transient.end_time": "40 min"})
    result = thermal.solve(case)
    peak = thermal.plot.peak_step(result)
    chip = next(iter(result.chips))
    assert result.chips[chip]["t_max"][peak] == result.tj_max()
    fig = thermal.plot.temperature_maps(result)
    assert f"t = {result.times_s[peak]:g} s (peak junction)" in fig._suptitle.get_text()
    hist = thermal.plot.history(result)
    labels = [line.get_label() for line in hist.axes[0].get_lines()]
    assert f"{chip} junction" in labels and any(lab.startswith("junction limit") for lab in labels)
    assert "no eclipse" in hist._suptitle.get_text()


def test_size_csv_is_the_summary_table(tmp_path, capsys):
    import csv

    from thermal.cli import main

    table = tmp_path / "s.csv"
    assert main(["size", str(CASES / "sizing" / "two_chips_400w.toml"), "-o", str(tmp_path / "s"), "-q",
                 "--no-trades", "--csv", str(table)]) == 0
    out = capsys.readouterr().out
    with open(table, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["quantity", "estimate", "field verified"]
    area = next(r for r in rows if r[0].startswith("radiator panel area"))
    assert "radiator panel area [m²]" in area[0] and area[2] in out  # the same figure the summary prints
    assert any(r[0].startswith("installed heater power") for r in rows)
