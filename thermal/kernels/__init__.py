"""Numba kernels: module-level ``@njit(cache=True)`` pure functions of arrays and scalars.

They write into ``out`` arrays the caller allocates once and never see geometry or objects.
Sign convention: ``residual_w`` is F(T), the net heat flowing into each node [W]; ``a_data`` holds
the values of A = -dF/dT on the network's fixed CSR pattern (symmetric positive definite when
every conductivity is constant).  Each kernel has a numpy twin in :mod:`thermal.reference`.
"""
from thermal.kernels.advection import add_advection, fluid_temperature, term_heat, uniform_wall_heat
from thermal.kernels.conduction import conduction_rows
from thermal.kernels.control import add_heaters, add_louver_slopes, louver_properties
from thermal.kernels.energy import energy_terms
from thermal.kernels.exchange import add_exchange
from thermal.kernels.properties import eval_conductivity
from thermal.kernels.radiation import add_surfaces
from thermal.kernels.storage import add_sources_and_storage, heat_capacity, stored_heat

__all__ = ["eval_conductivity", "conduction_rows", "add_surfaces", "add_sources_and_storage", "energy_terms", "add_exchange", "add_advection",
           "fluid_temperature", "uniform_wall_heat", "term_heat",
           "stored_heat", "heat_capacity", "add_heaters", "louver_properties", "add_louver_slopes"]
