"""Louvers under surface-to-surface exchange (steady): the radiation patches' emittance and
absorptance follow the louvers' opening.

A louver's effective emittance and absorptance move with its plate's temperature.  Each cell's own
emission and absorption follow them inside Newton (kernels/control.py, with their slopes), but the
exchange between patches (build/radiation.py: radiosity, reflections) is built for one emittance
and absorptance per patch.  Those are found here by fixed-point passes: solve with the patches'
optics, set each louvered patch's to the area mean of its surfaces' values at the solution, rebuild
the exchange and reflection operators (Network.with_patch_optics: the view factors are kept) and
solve again, until no patch's value moves by more than OPTICS_TOLERANCE.  The exchange's share of
a louvered plate's balance is small next to its own emission to space, so each pass takes most of
the remaining change out (measured in the validation case `louvered_exchange`).
"""
from __future__ import annotations

import numpy as np

from thermal.errors import ConvergenceError
from thermal.kernels import louver_properties
from thermal.kernels.bundles import Louvers, PropertyTables

OPTICS_TOLERANCE = 1e-10  # largest change of a patch's eps or alpha that ends the passes
MAX_PASSES = 40


def louvered_patch_optics(net, t_k: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each patch's (eps, alpha) with its louvered surfaces at ``t_k``: the area mean of theirs
    (what the patch emits and absorbs as a whole); patches without louvers keep their own."""
    eps, alpha = np.array(net.surf_eps, float), np.array(net.surf_alpha, float)
    m = net.louver_surf.size
    louver_properties(t_k, net.surf_node, Louvers(net.louver_surf, net.louver_eps_row, net.louver_alpha_row),
                      PropertyTables(net.tab_t, net.tab_v, net.tab_n), eps, alpha, np.zeros(m), np.zeros(m))
    r = net.radiation.count
    patch, area = net.surf_face[net.louver_surf], net.surf_area_m2[net.louver_surf]
    total = np.bincount(patch, area, minlength=r)
    has = total > 0.0
    out_eps, out_alpha = np.array(net.radiation.eps), np.array(net.radiation.alpha)
    out_eps[has] = np.bincount(patch, area * eps[net.louver_surf], minlength=r)[has] / total[has]
    out_alpha[has] = np.bincount(patch, area * alpha[net.louver_surf], minlength=r)[has] / total[has]
    return out_eps, out_alpha


def settle_louver_optics(net, solve_once):
    """(the network with settled patch optics, passes, history of the largest change per pass).
    ``solve_once(network) -> t_k`` solves the steady state of a network."""
    current, history = net, []
    for passes in range(1, MAX_PASSES + 1):
        t_k = solve_once(current)
        eps, alpha = louvered_patch_optics(net, t_k)
        change = max(float(np.max(np.abs(eps - current.radiation.eps))),
                     float(np.max(np.abs(alpha - current.radiation.alpha))))
        history.append(change)
        if change <= OPTICS_TOLERANCE:
            return current, passes, history
        current = net.with_patch_optics(eps, alpha)
    raise ConvergenceError(f"louvers under [radiation]: the patches' emittance and absorptance did not settle in "
                           f"{MAX_PASSES} passes (last changes {', '.join(f'{c:.2e}' for c in history[-4:])}); "
                           "a louver whose band is narrower than the exchange's effect on its plate can flip "
                           "between open and closed: widen its temperature table")
