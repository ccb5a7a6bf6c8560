"""`thermal validate --quick` in CI: every case inside its tolerance, report and figures written."""
import contextlib
import io
import math
import re
import xml.etree.ElementTree as ET
from types import SimpleNamespace

import pytest

from thermal.apps.validation import Check, Report, write_markdown_report, run_validation
from thermal import cli
from thermal.cli import main
from thermal.constants import SIGMA_W_M2K4
from thermal.physics import analytic
from thermal.output.exports import write_junit


@pytest.fixture(scope="module")
def quick_validation(tmp_path_factory):
    """One `thermal validate --quick --junit` for the tests below (it takes ~25 s): the exit status,
    what it printed, the report it made and the folder it wrote."""
    out = tmp_path_factory.mktemp("validation")
    junit = out / "ci" / "validation.xml"
    reports = []

    def keep(*args, **kwargs):
        reports.append(run_validation(*args, **kwargs))
        return reports[-1]

    printed = io.StringIO()
    with pytest.MonkeyPatch.context() as mp, contextlib.redirect_stdout(printed):
        mp.setattr(cli, "run_validation", keep)
        status = main(["validate", "--quick", "-o", str(out), "--junit", str(junit)])
    return SimpleNamespace(status=status, stdout=printed.getvalue(), report=reports[0], out=out, junit=junit)


@pytest.mark.jit_speed
def test_quick_validation_passes_and_writes_the_report(quick_validation):
    report, out = quick_validation.report, quick_validation.out
    failed = [c for c in report.checks if not c.passed]
    assert not failed, report.summary()
    assert len(report.checks) >= 15
    orders = {c.case: c.value for c in report.checks if c.quantity.startswith("observed order")}
    # second order in space for conduction; first along a flow whose wall radiates at its piece's outlet
    # (the condensing radiator: second order through its film, still pre-asymptotic at 100-400 cells)
    expected = {"radiating_slab": 2.0, "radiating_fin": 2.0, "manufactured_plate": 2.0, "radiating_tube_fin": 1.0,
                "counterflow": 2.0, "two_phase_radiator": 2.0}
    slack = {"two_phase_radiator": 0.25}
    assert set(orders) == set(expected)
    assert all(abs(orders[c] - expected[c]) <= slack.get(c, 0.1) for c in expected)
    text = (out / "REPORT.md").read_text()
    assert "manufactured_plate" in text and "convergence.png" in text
    assert (out / "convergence.png").exists() and (out / "fin_profile.png").exists()
    assert len(list(out.glob("*.h5"))) >= 6


@pytest.mark.jit_speed
def test_validate_command_exit_status_and_junit(quick_validation):
    assert quick_validation.status == 0
    assert "checks passed" in quick_validation.stdout
    suite = ET.parse(quick_validation.junit).getroot().find("testsuite")
    cases = suite.findall("testcase")
    assert int(suite.get("tests")) == len(cases) >= 15 and suite.get("failures") == "0"
    assert len(cases) == len(quick_validation.report.checks)
    assert {c.get("classname") for c in cases} >= {"radiating_slab", "manufactured_plate"}


def test_junit_marks_a_check_outside_its_tolerance_as_a_failure(tmp_path):
    checks = [Check("plate", "T mean", 300.0, 300.0 + 1e-9, 1e-9, 1e-6, "K"),
              Check("fin", "efficiency", 0.80, 0.90, 0.1, 0.01, "1", note="coarse")]
    suite = ET.parse(write_junit(checks, tmp_path / "j.xml")).getroot().find("testsuite")
    assert suite.get("tests") == "2" and suite.get("failures") == "1"
    failed = [c for c in suite.findall("testcase") if c.find("failure") is not None]
    assert [c.get("classname") for c in failed] == ["fin"]
    assert "requirement 1.000e-02" in failed[0].find("failure").get("message")


def _cells(row):
    """Split a Markdown table row on the '|' that are not escaped."""
    return [c.strip() for c in re.split(r"(?<!\\)\|", row.strip())[1:-1]]


def test_report_table_escapes_pipes_and_states_bounds_and_exact_checks():
    report = Report()
    report.add("slab", "max |T - T_exact|", 300.0, 300.0, 1e-9, 1e-6, "K")
    report.add("square", "error reduction per refinement", 2.6, 2.0, 0.6, float("inf"), "", kind="above")
    report.add("square", "error reduction per refinement", 1.7, 2.0, -0.3, float("inf"), "", kind="above")
    report.add("shield", "F heated -> outer", 0.0, 0.0, 0.0, 0.0, "", kind="exact")
    report.add("shield", "F heated -> outer", 1e-17, 0.0, 1e-17, 0.0, "", kind="exact")
    rows = report.table().splitlines()
    assert all(len(_cells(r)) == 7 for r in rows)  # '|' inside a cell no longer splits it
    assert _cells(rows[2])[1] == "max \\|T - T_exact\\|"
    assert [c.passed for c in report.checks] == [True, True, False, True, False]
    assert _cells(rows[3])[3] == "> 2" and _cells(rows[3])[5] == "> 2"
    assert _cells(rows[5])[5] == "exactly"


def test_markdown_report_names_version_revision_and_date(tmp_path):
    report = Report(checks=[Check("slab", "T", 1.0, 1.0, 0.0, 1e-9, "K")])
    write_markdown_report(report, tmp_path, quick=True)
    head = (tmp_path / "REPORT.md").read_text().splitlines()[2]
    assert re.search(r"thermal \S+, source \S+.*, run \d{4}-\d\d-\d\d \d\d:\d\d UTC", head), head


def test_radiating_fin_first_integral_matches_the_bvp_and_the_infinite_fin():
    """The sizing estimate's fin (first integral + Gauss-Legendre) against solve_bvp on ordinary fins,
    and against the closed form of an infinitely long fin, q = k t sqrt(2 c [(T_b^5 - T_s^5)/5 -
    T_s^4 (T_b - T_s)]), where the tip sits at the sink (ODE shooting was 3e-4 off there)."""
    k, eps = 167.0, 0.85
    for length, thick, t_b, t_s in [(0.1, 1e-3, 350.0, 3.0), (0.3, 1e-3, 350.0, 3.0), (0.05, 5e-4, 330.0, 200.0),
                                    (0.3, 2e-3, 300.0, 0.0)]:
        q, eff, t_tip = analytic.radiating_fin_first_integral(length, thick, k, eps, t_b, t_s)
        t_of_x, q_bvp, eff_bvp = analytic.radiating_fin(length, thick, k, eps, t_b, t_s)
        assert q == pytest.approx(q_bvp, rel=1e-9)  # solve_bvp's own tolerance is 1e-9
        assert eff == pytest.approx(eff_bvp, rel=1e-9)
        assert t_tip == pytest.approx(float(t_of_x(length)), rel=1e-9)
    for length, thick, t_b, t_s in [(2.0, 1e-3, 300.0, 290.0), (0.8, 1e-4, 300.0, 290.0), (2.0, 1e-3, 320.0, 250.0)]:
        c = 2 * eps * SIGMA_W_M2K4 / (k * thick)
        q_inf = k * thick * math.sqrt(2 * c * ((t_b**5 - t_s**5) / 5 - t_s**4 * (t_b - t_s)))
        q, _, t_tip = analytic.radiating_fin_first_integral(length, thick, k, eps, t_b, t_s)
        assert q == pytest.approx(q_inf, rel=1e-10)
        assert t_tip - t_s < 1e-2  # the tip at the sink (to the quadrature's resolution; q does not feel it)
    assert analytic.radiating_fin_first_integral(0.1, 1e-3, k, eps, 250.0, 250.0) == (0.0, 1.0, 250.0)
