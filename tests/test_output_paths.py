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
