"""Numba kernels: module-level ``@njit(cache=True)`` pure functions of arrays and scalars.

They write into ``out`` arrays the caller allocates once and never see geometry or objects.
Sign convention: ``residual_w`` is F(T), the net heat flowing into each node [W]; ``a_data`` holds
the values of A = -dF/dT on the network's fixed CSR pattern (symmetric positive definite when
every conductivity is constant).  Each kernel has a numpy twin in :mod:`thermal.reference`.

The kernels that loop over nodes in ``prange`` come in two builds of one body: the parallel one and
a ``_serial`` one compiled without Numba's parallel passes.  A run whose thread policy gives one
thread (threads.kernel_threads: a small network or a busy machine), or a network below
threads.NODE_KERNELS_PARALLEL_MIN nodes, calls the serial build, so it never waits for the parallel
one to compile: those passes cost ~4 s of a small case's first run on a fresh cache (gpu_radiator:
9.4 -> 5.2 s of compilation).
"""
from thermal.kernels.advection import add_advection, fluid_temperature, term_heat, uniform_wall_heat
from thermal.kernels.conduction import conduction_rows, conduction_rows_serial, frozen_conduction_rows, \
    frozen_conduction_rows_serial
from thermal.kernels.control import add_heaters, add_louver_slopes, louver_properties
from thermal.kernels.energy import energy_terms, heat_input
from thermal.kernels.exchange import add_exchange
from thermal.kernels.properties import eval_conductivity, eval_conductivity_serial
from thermal.kernels.radiation import add_surfaces, add_surfaces_by_node
from thermal.kernels.storage import add_sources_and_storage, add_sources_and_storage_serial, heat_capacity, \
    heat_capacity_serial, stored_heat, stored_heat_serial
from thermal.threads import NODE_KERNELS_PARALLEL_MIN

__all__ = ["eval_conductivity", "conduction_rows", "add_surfaces", "add_surfaces_by_node", "add_sources_and_storage", "energy_terms", "heat_input", "add_exchange", "add_advection",
           "fluid_temperature", "uniform_wall_heat", "term_heat",
           "stored_heat", "heat_capacity", "add_heaters", "louver_properties", "add_louver_slopes",
           "conduction_rows_serial", "eval_conductivity_serial", "add_sources_and_storage_serial", "stored_heat_serial",
           "heat_capacity_serial", "frozen_conduction_rows", "frozen_conduction_rows_serial", "node_kernels"]


class _NodeKernels:
    """One build of each node-loop kernel, parallel or serial."""

    def __init__(self, parallel: bool):
        self.eval_conductivity = eval_conductivity if parallel else eval_conductivity_serial
        self.conduction_rows = conduction_rows if parallel else conduction_rows_serial
        self.frozen_conduction_rows = frozen_conduction_rows if parallel else frozen_conduction_rows_serial
        self.add_sources_and_storage = add_sources_and_storage if parallel else add_sources_and_storage_serial
        self.stored_heat = stored_heat if parallel else stored_heat_serial
        self.heat_capacity = heat_capacity if parallel else heat_capacity_serial


_BUILDS = {True: _NodeKernels(True), False: _NodeKernels(False)}


def node_kernels(threads: int, n_nodes: int) -> _NodeKernels:
    """The builds a run on ``n_nodes`` with ``threads`` kernel threads calls."""
    return _BUILDS[threads > 1 and n_nodes >= NODE_KERNELS_PARALLEL_MIN]
