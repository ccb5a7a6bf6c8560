import pytest

from thermal.input.units import UnitParseError, to_si


@pytest.mark.parametrize("text, unit, expected", [
    ("120 kW", "W", 120_000.0),
    ("85 degC", "K", 358.15),
    ("-40 degF", "K", 233.15),
    ("2 mm", "m", 0.002),
    ("5 W/m2/K", "W/m^2/K", 5.0),
    ("1361 W/m^2", "W/m^2", 1361.0),
    ("0.5 cm3", "m^3", 0.5e-6),
    ("1e3 W", "W", 1000.0),
    ("3 K", "K", 3.0),
    (0.002, "m", 0.002),
    ("1.5 h", "s", 5400.0),
])
def test_quantities_convert_to_si(text, unit, expected):
    assert to_si(text, unit) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("text, unit, words", [
    ("2 furlongz", "m", "unknown unit"),
    ("2 kg", "m", "not convertible"),
    ("two metres", "m", "expected a number"),
    (True, "m", "boolean"),
    ("inf m", "m", "number"),
])
def test_bad_quantities_say_what_was_expected(text, unit, words):
    with pytest.raises(UnitParseError, match=words):
        to_si(text, unit)


def test_units_pint_cannot_tokenise_are_one_clear_error():
    """pint tokenises units as Python: an unbalanced bracket ended in tokenize.TokenError (exit 1, a
    traceback) before; a mutated loop case found it."""
    for text in ("5]degC", "5 (m", "3 m**"):
        with pytest.raises(UnitParseError):
            to_si(text, "K" if "degC" in text else "m")
