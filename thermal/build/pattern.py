"""The network's CSR pattern from its list of undirected links, in one compiled pass (a build step:
the kernels only ever read the pattern).

A counting sort by row, then an insertion sort of each (short) row by column, moving the entry's
link's code with it.  Memory: the outputs and one cursor per node, no more.  The scipy COO ->
CSR route it replaced needed ~2.4x the outputs in temporaries (entry numbers carried through
scipy's conversion as floats, then a 64-bit permutation applied to each concatenated input):
395 MB above the inputs for a 1024^2 plate against ~145 MB now.
"""
import numpy as np
from numba import njit


@njit(cache=True)
def _hash(a, b, d, mask):
    """A slot for the key (a, b, d): xorshift rounds only (shifts and xors wrap alike compiled and as
    plain Python, where numpy would raise on a wrapping multiply).  The slot decides nothing but
    where the key sits: type numbers go by first appearance."""
    h = a ^ (b << np.uint64(31)) ^ (b >> np.uint64(33)) ^ (d << np.uint64(48))
    for _ in range(2):
        h ^= h << np.uint64(13)
        h ^= h >> np.uint64(7)
        h ^= h << np.uint64(17)
    return np.int64(h & mask)


@njit(cache=True)
def _insert(slots, tab_a, tab_b, tab_d, t):
    """Put type t (already in the tables) into its free slot."""
    mask = np.uint64(slots.size - 1)
    h = _hash(tab_a[t], tab_b[t], tab_d[t], mask)
    while slots[h] >= 0:
        h = (h + 1) & np.int64(mask)
    slots[h] = t


@njit(cache=True)
def link_types(bits_i, bits_j, di, dj, link_type):
    """Number the distinct half-link pairs (s_i, s_j, dir_i, dir_j) of the links: link_type[k] gets
    the number of link k's pair; returns the pairs' (s_i bits, s_j bits, dir code) by number, number 0
    being (0, 0, 0, 0) (the diagonal's).  ``bits_*``: the s values' float64 bits as uint64, so equal
    means bit-equal and the kernels read back exactly the values they were given.  One pass through
    an open-addressing hash table: a uniform panel has a handful of pairs however many cells it has,
    and a graded one one per distinct width pair, so the network keeps 4 bytes an entry in place of
    the 18 of two s and two directions (17.5 MB on a 512^2 plate, 660 MB at 10^7 cells)."""
    cap = 1024
    tab_a, tab_b, tab_d = np.zeros(cap // 2, np.uint64), np.zeros(cap // 2, np.uint64), np.zeros(cap // 2, np.uint64)
    slots = np.full(cap, -1, np.int64)
    m = 1
    _insert(slots, tab_a, tab_b, tab_d, 0)
    for k in range(bits_i.size):
        a, b = bits_i[k], bits_j[k]
        d = np.uint64(np.uint8(di[k])) << np.uint64(8) | np.uint64(np.uint8(dj[k]))
        mask = np.uint64(slots.size - 1)
        h = _hash(a, b, d, mask)
        while True:
            t = slots[h]
            if t < 0:
                t = m
                tab_a[t], tab_b[t], tab_d[t] = a, b, d
                slots[h] = t
                m += 1
                if 2 * m > tab_a.size:  # keep the table at most a quarter full: short probes
                    grown = 2 * tab_a.size
                    na, nb, nd = np.zeros(grown, np.uint64), np.zeros(grown, np.uint64), np.zeros(grown, np.uint64)
                    na[:m], nb[:m], nd[:m] = tab_a[:m], tab_b[:m], tab_d[:m]
                    tab_a, tab_b, tab_d = na, nb, nd
                    slots = np.full(2 * grown, -1, np.int64)
                    for u in range(m):
                        _insert(slots, tab_a, tab_b, tab_d, u)
                break
            if tab_a[t] == a and tab_b[t] == b and tab_d[t] == d:
                break
            h = (h + 1) & np.int64(mask)
        link_type[k] = t
    return tab_a[:m].copy(), tab_b[:m].copy(), tab_d[:m].copy()


def type_table(si, sj, di, dj):
    """(link type of each link uint32, link_s (m, 2) [1/m], link_dir (m, 2) uint8): link_types with
    the values put back as floats and directions."""
    si, sj = np.ascontiguousarray(si, float), np.ascontiguousarray(sj, float)
    types = np.empty(si.size, np.uint32)
    a, b, d = link_types(si.view(np.uint64), sj.view(np.uint64), np.ascontiguousarray(di, np.int8),
                         np.ascontiguousarray(dj, np.int8), types)
    link_s = np.stack([a.view(np.float64), b.view(np.float64)], axis=1)
    link_dir = np.stack([(d >> np.uint64(8)).astype(np.uint8), (d & np.uint64(255)).astype(np.uint8)], axis=1)
    return types, link_s, link_dir


def entry_halves(link_code, link_s, link_dir):
    """Per entry (s_self, s_other, dir_self, dir_other) from the coded pattern: entry code 2 t + side
    is link type t seen from its end ``side`` (0: the link's first node, 1: its second)."""
    t, side = link_code >> 1, link_code & 1
    return link_s[t, side], link_s[t, 1 - side], link_dir[t, side], link_dir[t, 1 - side]


@njit(cache=True)
def link_entries(n, li, lj, ltype, r, indptr, indices, diag_pos, link_code, r_link):
    """Fill the CSR arrays (diagonal included, columns sorted in each row) of links k joining li[k]
    and lj[k] (link type ltype[k], link_types): entry (i, j) gets code 2 ltype[k] (i's end first) and
    (j, i) code 2 ltype[k] + 1, the diagonal code 0.  The outputs are sized by the caller: indptr
    n + 1, diag_pos n, the rest 2 * len(li) + n; ``r`` and ``r_link`` empty where no link has a
    resistance (they are not written then).  Returns -1, or the first row holding two entries
    for one column (the caller names the pair)."""
    indptr[0] = 0
    for i in range(n):
        indptr[i + 1] = 1
    for k in range(li.size):
        indptr[li[k] + 1] += 1
        indptr[lj[k] + 1] += 1
    for i in range(n):
        indptr[i + 1] += indptr[i]
    has_r = r_link.size > 0
    cursor = np.empty(n, np.int64)
    for i in range(n):
        e = indptr[i]
        indices[e], link_code[e] = i, 0
        if has_r:
            r_link[e] = 0.0
        cursor[i] = e + 1
    for k in range(li.size):
        a, b = li[k], lj[k]
        code = np.uint32(2) * np.uint32(ltype[k])
        e = cursor[a]
        indices[e], link_code[e] = b, code
        if has_r:
            r_link[e] = r[k]
        cursor[a] = e + 1
        e = cursor[b]
        indices[e], link_code[e] = a, code + np.uint32(1)
        if has_r:
            r_link[e] = r[k]
        cursor[b] = e + 1
    duplicate = -1
    for i in range(n):
        lo, hi = indptr[i], indptr[i + 1]
        for e in range(lo + 1, hi):
            c, cc = indices[e], link_code[e]
            rr = r_link[e] if has_r else 0.0
            f = e - 1
            while f >= lo and indices[f] > c:
                indices[f + 1], link_code[f + 1] = indices[f], link_code[f]
                if has_r:
                    r_link[f + 1] = r_link[f]
                f -= 1
            indices[f + 1], link_code[f + 1] = c, cc
            if has_r:
                r_link[f + 1] = rr
        for e in range(lo, hi):
            if indices[e] == i:
                diag_pos[i] = e
            if e > lo and indices[e] == indices[e - 1] and duplicate < 0:
                duplicate = i
    return duplicate
