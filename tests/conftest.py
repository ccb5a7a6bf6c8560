import os
from pathlib import Path

import numpy as np
import pytest

np.seterr(all="raise", under="ignore")
ROOT = Path(__file__).resolve().parents[1]
CASES = ROOT / "cases"
VALIDATION_CASES = ROOT / "thermal" / "data" / "validation"  # shipped inside the package
os.environ.setdefault("MPLBACKEND", "Agg")

MINIMAL_CASE = """\
[case]
name = "minimal"

[panels.plate]
size = ["1 m", "0.5 m"]
cells = [4, 2]

[[panels.plate.layers]]
name = "sheet"
material = "al6061"
thickness = "2 mm"

[panels.plate.footprints.chip]
center = ["0.5 m", "0.25 m"]
size = ["0.1 m", "0.1 m"]
power = "100 W"

[panels.plate.faces.top]
coating = "white_paint"
"""


@pytest.fixture
def write_case(tmp_path):
    def _write(text, name="case.toml"):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return _write
