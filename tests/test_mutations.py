"""Property: whatever is done to a valid case file (a value of the wrong type, unit, sign or size,
NaN, a key removed or misspelt, broken syntax), `thermal run` answers with exit 0 and a closed
energy balance, or one line and exit 2 (bad input) or 3 (no convergence): never a traceback, never
an internal error (exit 1)."""
import tomllib

import h5py
import numpy as np
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from thermal.cli import main
from thermal.input.overrides import dumps

from .conftest import MINIMAL_CASE

ORBIT_CASE = MINIMAL_CASE.replace('[panels.plate.faces.top]\ncoating = "white_paint"\n',
                                  '[panels.plate.faces.top]\ncoating = "white_paint"\nnormal = "+y"\n') + """
[orbit]
altitude = "550 km"
beta = "30 deg"
attitude = "nadir"

[nodes.battery]
capacitance = "20 kJ/K"
power = "5 W"

[[contacts]]
between = ["battery", "plate.bottom"]
conductance = "2 W/K"
"""
BASES = [MINIMAL_CASE, ORBIT_CASE]
LOOP_CASE = """
[case]
name = "loop"
mode = "steady"

[solver]
initial_temperature = "20 degC"

[nodes.box]
capacitance = "5 kJ/K"
power = "300 W"

[nodes.radiator]
temperature = "5 degC"

[loops.l]
fluid = "water"

[loops.l.pump]
branch = "plate"
mass_flow = "0.01 kg/s"
efficiency = 0.4

[loops.l.branches.plate]
from = "a"
to = "b"
inner_diameter = "6 mm"
fittings = 1.5
extra_length = "0.5 m"
[[loops.l.branches.plate.sections]]
node = "box"
length = "1 m"
pieces = 4

[loops.l.branches.back]
from = "b"
to = "a"
inner_diameter = "5 mm"
film_coefficient = "2000 W/m^2/K"
[[loops.l.branches.back.sections]]
node = "radiator"
length = "2 m"
pieces = 3
"""

JUNK = st.one_of(
    st.sampled_from(["nan W", "inf m", "-1 m", "1e300 W", "0", "-0 K", "abc", "", "1 kg", "5 furlongs", "1e-300 m",
                     "-273.15 degC", "1e30 m", "[1, 2]"]),
    st.floats(allow_nan=False, allow_infinity=False), st.integers(min_value=-10**12, max_value=10**12),
    st.booleans(), st.lists(st.one_of(st.integers(min_value=-3, max_value=200), st.sampled_from(["1 m", "x", "2 mm"])),
                            max_size=3),
    st.dictionaries(st.sampled_from(["x", "name", "k"]), st.integers(), max_size=2))


def _leaves(node, path=()):
    """Paths to every scalar or list value of a parsed TOML document."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _leaves(v, path + (k,))
    elif isinstance(node, list) and node and all(isinstance(v, dict) for v in node):
        for i, v in enumerate(node):
            yield from _leaves(v, path + (i,))
    else:
        yield path


def _set(doc, path, value, delete=False):
    node = doc
    for p in path[:-1]:
        node = node[p]
    if delete:
        del node[path[-1]]
    else:
        node[path[-1]] = value


@st.composite
def mutated(draw, bases=tuple(BASES)):
    base = draw(st.sampled_from(bases))
    kind = draw(st.sampled_from(["value", "value", "value", "delete", "unknown", "syntax"]))
    if kind == "syntax":
        i = draw(st.integers(min_value=0, max_value=len(base) - 1))
        return base[:i] + draw(st.sampled_from(["[", "]", "=", '"', "\n[[x]]\n", ""])) + base[i + 1:]
    doc = tomllib.loads(base)
    paths = list(_leaves(doc))
    path = draw(st.sampled_from(paths))
    if kind == "delete":
        _set(doc, path, None, delete=True)
    elif kind == "unknown":
        _set(doc, path[:-1] + (str(path[-1]) + "_typo",), draw(JUNK))
    else:
        _set(doc, path, draw(JUNK))
    try:
        return dumps(doc)
    except (TypeError, ValueError):  # a value TOML cannot hold: the syntax attack covers it
        return base


@settings(max_examples=60, deadline=None, derandomize=True,  # the same 60 mutants in every CI run
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=mutated())
def test_mutated_case_files_never_crash(tmp_path, capsys, text):
    _run_mutant(tmp_path, capsys, text)


@settings(max_examples=30, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=mutated(bases=(LOOP_CASE,)))
def test_mutated_loop_case_files_never_crash(tmp_path, capsys, text):
    """The same for a pumped loop: topology, pump, films and fluids mutated."""
    _run_mutant(tmp_path, capsys, text)


def _run_mutant(tmp_path, capsys, text):
    path = tmp_path / "case.toml"
    path.write_text(text, encoding="utf-8")
    out = tmp_path / "out.h5"
    status = main(["run", str(path), "-o", str(out)])
    err = capsys.readouterr().err
    event(f"exit {status}")  # pytest --hypothesis-show-statistics: how many ran, failed cleanly, converged
    assert "Traceback" not in err and status in (0, 2, 3), (status, err, text)
    if status == 0:
        with h5py.File(out) as f:
            error = f["energy/balance_error"][-1]
            scale = max(abs(f["energy/generated"][-1]) + abs(f["energy/absorbed"][-1]),
                        abs(f["energy/radiated"][-1]), abs(f["energy/conducted_out"][-1]), 1e-300)
        assert np.isfinite(error) and abs(error) <= 1e-6 * scale
    else:
        assert err.count("\n") <= 1, err
    out.unlink(missing_ok=True)
