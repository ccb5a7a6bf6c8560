"""Heaters and louvers in the network.

Heaters: each heater's power is shared by area among the nodes it heats; its law reads one sensor
node, so A = -dF/dT has an entry (heated node, sensor) for each heated node: reserved here as a
link with no conductance, as the loops' advection entries are.

Louvers: each louvered surface gets table rows (in the network's property tables) for its effective
emittance and absorptance against its own node's temperature.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from thermal.build.loops import NO_CONDUCTANCE
from thermal.model.case import PropertyTable

CONTROL_CODES = {"thermostat": 0, "proportional": 1}


@dataclass(frozen=True)
class HeaterTerms:
    """Per heater: name, rated power [W], control code, on/off temperatures [K], sensor node; per
    heated node (entry): its node, its share of the heater's power, the heater, the CSR position of
    (node, sensor)."""

    names: tuple
    power_w: np.ndarray
    control: np.ndarray  # CONTROL_CODES
    on_k: np.ndarray
    off_k: np.ndarray
    sensor: np.ndarray
    node: np.ndarray
    weight: np.ndarray
    heater: np.ndarray
    pos: np.ndarray

    @property
    def count(self) -> int:
        return len(self.names)

    @classmethod
    def empty(cls) -> "HeaterTerms":
        z, zi = np.zeros(0), np.zeros(0, np.int64)
        return cls((), z, np.zeros(0, np.uint8), z, z, zi, zi, z, zi, zi)

    def frozen(self) -> "HeaterTerms":
        for v in self.__dict__.values():
            if isinstance(v, np.ndarray):
                v.flags.writeable = False
        return self


def add_heaters(b, heaters, cells_of) -> list:
    """Reserve each heater's (heated node, sensor) entries; returns the raw heater list for
    ``locate_heaters``.  ``cells_of(endpoint)`` -> (node ids, areas [m2], positions (n, 3))."""
    raw = []
    pairs = []
    for h in heaters:
        nodes, area, _ = cells_of(h.target)
        s_nodes, s_area, s_pos = cells_of(h.sensor)
        # a thermistor sits at one spot: the region's cell nearest its area-weighted centre
        centre = (s_area[:, None] * s_pos).sum(axis=0) / s_area.sum()
        sensor = int(s_nodes[np.argmin(np.linalg.norm(s_pos - centre, axis=1))])
        weight = area / area.sum()
        raw.append((h, np.asarray(nodes, np.int64), weight, sensor))
        pairs.extend((min(int(i), sensor), max(int(i), sensor)) for i in nodes if int(i) != sensor)
    if pairs:
        _reserve_new(b, sorted(set(pairs)))
    return raw


def _reserve_new(b, pairs) -> None:
    """Reserve the pairs no link joins yet (a heater on a node next to its sensor shares the entry)."""
    n = max(b.n, 1)
    new = np.array([i * n + j for i, j in pairs], np.int64)
    if b.links:
        li = np.concatenate([lk[0] for lk in b.links]).astype(np.int64)  # the pieces' int32 would overflow i * n
        lj = np.concatenate([lk[1] for lk in b.links]).astype(np.int64)
        have = np.minimum(li, lj) * n + np.maximum(li, lj)
        new = new[~np.isin(new, have)]
    if new.size:
        b.add_links(new // n, new % n, 0.0, 0.0, 0, 0, NO_CONDUCTANCE)


def locate_heaters(indptr, indices, raw) -> HeaterTerms:
    if not raw:
        return HeaterTerms.empty().frozen()
    node, weight, heater, pos = [], [], [], []
    for k, (_, nodes, w, sensor) in enumerate(raw):
        for i, share in zip(nodes, w):
            lo, hi = indptr[i], indptr[i + 1]
            e = lo + np.searchsorted(indices[lo:hi], sensor)
            assert indices[e] == sensor
            node.append(int(i))
            weight.append(float(share))
            heater.append(k)
            pos.append(int(e))
    hs = [r[0] for r in raw]
    return HeaterTerms(tuple(h.name for h in hs), np.array([h.power_w for h in hs]),
                       np.array([CONTROL_CODES[h.control] for h in hs], np.uint8), np.array([h.on_k for h in hs]),
                       np.array([h.off_k for h in hs]), np.array([r[3] for r in raw], np.int64),
                       np.array(node, np.int64), np.array(weight), np.array(heater, np.int64),
                       np.array(pos, np.int64)).frozen()


def louver_rows(b, louver) -> tuple[int, int]:
    """Property-table rows of a louver's effective emittance and absorptance."""
    return (b.table(PropertyTable(tuple(louver.t_k), tuple(louver.eps))),
            b.table(PropertyTable(tuple(louver.t_k), tuple(louver.alpha))))
