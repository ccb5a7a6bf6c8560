"""Coatings at beginning and end of life: the library carries both with the basis of each, a case can
run every coating at end of life, and a sizing file takes the library's end of life unless it says
otherwise."""
import pytest

from thermal.apps.solve import solve
from thermal.apps.sizing.input import load_sizing
from thermal.errors import CaseError
from thermal.input.case_file import parse_case
from thermal.input.materials import library_coatings

from .conftest import MINIMAL_CASE
from .test_sizing import SIZING, write

SUNLIT = MINIMAL_CASE.replace('coating = "white_paint"', 'coating = "white_paint"\nsolar_flux = "1000 W/m2"') + (
    '\n[panels.plate.faces.bottom]\ncoating = "osr"\n')


def test_library_has_end_of_life_optics_with_their_basis():
    for name, c in library_coatings().items():
        a, e = c.at_end_of_life()
        assert c.alpha <= a <= 1.0 and 0.0 < e <= c.eps, name  # degradation raises alpha, never eps
        assert c.source and c.eol_source, name
    lib = library_coatings()
    # white paints darken far more than optical solar reflectors: the trade must see it
    assert lib["white_paint"].at_end_of_life()[0] - lib["white_paint"].alpha > \
        lib["osr"].at_end_of_life()[0] - lib["osr"].alpha


@pytest.mark.parametrize("optics", ["beginning_of_life", "end_of_life"])
def test_a_case_at_end_of_life_absorbs_with_the_degraded_alpha(optics):
    """Energy conservation closes the check: at steady state the plate radiates the chip's 100 W
    plus alpha x 1000 W/m2 x 0.5 m2 -- with the end-of-life alpha when the case asks for it."""
    text = SUNLIT.replace('name = "minimal"', f'name = "minimal"\noptics = "{optics}"')
    case = parse_case(text, "sunlit.toml")
    white = library_coatings()["white_paint"]
    alpha = white.at_end_of_life()[0] if optics == "end_of_life" else white.alpha
    assert case.coatings["white_paint"].alpha == alpha
    result = solve(case)
    assert result.energy["absorbed"][-1] == pytest.approx(alpha * 1000.0 * 0.5, rel=1e-12)
    assert result.energy["radiated"][-1] == pytest.approx(100.0 + alpha * 500.0, rel=1e-9)


def test_case_coatings_refuse_an_end_of_life_better_than_the_beginning():
    text = MINIMAL_CASE + '\n[coatings.my_paint]\nalpha = 0.2\neps = 0.9\nalpha_eol = 0.1\n'
    with pytest.raises(CaseError) as err:
        parse_case(text, "c.toml")
    assert "coatings.my_paint.alpha_eol" in str(err.value) and "0.1" in str(err.value)
    with pytest.raises(CaseError, match="optics"):
        parse_case(MINIMAL_CASE.replace('name = "minimal"', 'name = "minimal"\noptics = "eol"'), "c.toml")


def test_a_sizing_file_takes_the_librarys_end_of_life_unless_it_gives_its_own(tmp_path):
    own = load_sizing(write(tmp_path, SIZING))
    assert (own.alpha_eol, own.eps_eol) == (0.30, 0.88)
    bare = SIZING.replace("alpha_eol = 0.30\n", "").replace("eps_eol = 0.88\n", "")
    library = load_sizing(write(tmp_path, bare.replace('coating = "white_paint"', 'coating = "silvered_teflon"')))
    assert library.coating == "silvered_teflon" and library.alpha_eol != own.alpha_eol
    assert (library.alpha_eol, library.eps_eol) == library_coatings()[library.coating].at_end_of_life()
    assert (library.alpha_bol, library.eps_bol) == (library_coatings()[library.coating].alpha,
                                                   library_coatings()[library.coating].eps)
