"""`thermal validate --quick` in CI: every case inside its tolerance, report and figures written."""
import pytest

from thermal.apps.validation import run_validation
from thermal.cli import main


@pytest.mark.jit_speed
def test_quick_validation_passes_and_writes_the_report(tmp_path):
    report = run_validation(tmp_path, quick=True)
    failed = [c for c in report.checks if not c.passed]
    assert not failed, report.summary()
    assert len(report.checks) >= 15
    orders = {c.case: c.value for c in report.checks if c.quantity.startswith("observed order")}
    # second order in space for conduction; first along a flow whose wall radiates at its piece's outlet
    expected = {"radiating_slab": 2.0, "radiating_fin": 2.0, "manufactured_plate": 2.0, "radiating_tube_fin": 1.0,
                "counterflow": 2.0}
    assert set(orders) == set(expected)
    assert all(abs(orders[c] - expected[c]) <= 0.1 for c in expected)
    text = (tmp_path / "REPORT.md").read_text()
    assert "manufactured_plate" in text and "convergence.png" in text
    assert (tmp_path / "convergence.png").exists() and (tmp_path / "fin_profile.png").exists()
    assert len(list(tmp_path.glob("*.h5"))) >= 6


@pytest.mark.jit_speed
def test_validate_command_exit_status(tmp_path, capsys):
    assert main(["validate", "--quick", "-o", str(tmp_path)]) == 0
    assert "checks passed" in capsys.readouterr().out
