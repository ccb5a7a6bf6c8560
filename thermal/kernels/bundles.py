"""Named bundles of the arrays the kernels take, so that no kernel has a list of 20-30 positional arrays.

They are ``collections.namedtuple`` types: Numba compiles them as structs of arrays and caches
kernels that take them (``cache=True`` keys on the field types; the classes are module-level and
pickle by name).  Numba cannot pass a tuple into a ``prange`` loop body, so parallel kernels
unpack the fields into locals before the loop.
"""
from collections import namedtuple

import numpy as np

# piecewise-linear property tables: row r uses points [:count[r]] of t_k[r], value[r] (kernels/properties.py)
PropertyTables = namedtuple("PropertyTables", ["t_k", "value", "count"])
# heat storage of each node: m_i = rho_v_kg[i], cp(T) from table row cp_tab[i]
Storage = namedtuple("Storage", ["rho_v_kg", "cp_tab", "tables"])
# the fixed CSR pattern with both half-links of each entry coded by link type (kernels/conduction.py,
# build/pattern.py); r_link comes apart because a run changes it (film resistances)
Links = namedtuple("Links", ["indptr", "indices", "diag_pos", "code", "link_s", "link_dir"])
# radiating surfaces: node, area [m2], IR emittance, solar absorptance, face index
Surfaces = namedtuple("Surfaces", ["node", "area_m2", "eps", "alpha", "face"])
# pumped-loop advection terms (kernels/advection.py): nodes and the CSR entries each term writes
Advection = namedtuple("Advection", ["wall", "inflow", "outflow", "pos_w_in", "pos_w_out", "pos_out_in", "pos_out_w",
                                     "pos_in_out"])
# heaters (kernels/control.py): per heater rated power, on/off temperatures, sensor node; per heated
# node its node, share, heater and the CSR position of (node, sensor)
Heaters = namedtuple("Heaters", ["power_w", "on_k", "off_k", "sensor", "node", "weight", "heater", "pos"])
# louvered surfaces: surface index and table rows of eps(T), alpha(T)
Louvers = namedtuple("Louvers", ["surf", "eps_row", "alpha_row"])
# an implicit step's storage form (kernels/storage.py): inv_dt_s = 0 is steady state
Step = namedtuple("Step", ["t_old_k", "inv_dt_s", "bdf_a", "stored_offset_w"])
# AMG (kernels/amg.py): one CSR matrix; a stack of levels flattened (level l = the slices
# [ptr_off[l]:ptr_off[l+1]] of indptr and [idx_off[l]:idx_off[l+1]] of indices/data)
Csr = namedtuple("Csr", ["indptr", "indices", "data"])
Levels = namedtuple("Levels", ["ptr_off", "idx_off", "indptr", "indices", "data"])
AmgHierarchy = namedtuple("AmgHierarchy", ["a", "p", "r", "sizes", "vec_off", "coarse_inv"])
# per-level vectors stacked like the levels; crossing: int32 work of the finest level's size
AmgWork = namedtuple("AmgWork", ["b", "x", "r", "crossing"])
PcgVectors = namedtuple("PcgVectors", ["r", "z", "p", "q"])


def unsigned(index_array: np.ndarray) -> np.ndarray:
    """The same memory read as unsigned (int32 -> uint32, int8 -> uint8), for index arrays that hold
    no negative value.  Numba wraps a signed index around when it is negative, a compare and a select
    on every access, and widens int32 to int64 on the way; an unsigned index skips both.  Measured
    on this machine (CSR product, 10^6 rows, 5.2 10^6 entries): 12.8 -> 5.6 ms on one thread,
    7.9 -> 2.4 ms on two; a V-cycle 27 -> 17 ms."""
    kind = {np.dtype(np.int32): np.uint32, np.dtype(np.int8): np.uint8}.get(index_array.dtype)
    return index_array if kind is None else index_array.view(kind)
