import tomllib

import pytest

from thermal.errors import CaseError
from thermal.input.case_file import parse_case
from thermal.input.overrides import case_text_with, dumps, set_key

from .conftest import CASES


def test_dumps_round_trips_every_bundled_case():
    for path in CASES.glob("*.toml"):
        raw = tomllib.loads(path.read_text())
        assert tomllib.loads(dumps(raw)) == raw, path.name


def test_layer_addressed_by_name_and_list_by_index():
    text = (CASES / "gpu_radiator.toml").read_text()
    new = case_text_with(text, {"panels.radiator.layers.facesheet.thickness": "3 mm",
                                "panels.radiator.layers.1.cells": 3})
    case = parse_case(new)
    layers = case.panels[0].layers
    assert layers[0].thickness_m == pytest.approx(0.003)
    assert layers[1].z_cells == 3


def test_unknown_key_path_is_a_case_error():
    raw = tomllib.loads((CASES / "gpu_radiator.toml").read_text())
    with pytest.raises(CaseError, match="panels.radiator.layers.core"):
        set_key(raw, "panels.radiator.layers.core.thickness", "1 mm")
    with pytest.raises(CaseError, match="no such key"):
        set_key(raw, "panels.radiator.colour", "red")
