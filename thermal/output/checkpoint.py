"""Checkpoints of a running solve, so that a killed run can be resumed (``thermal run --resume``).

A checkpoint is a tree of plain values (dicts with string keys, lists, tuples, numpy arrays, numbers,
strings, booleans, None) that the solvers and the run's recorder hand over; it is written as an
HDF5 file next to the result, ``OUT.h5.checkpoint``, under a temporary name and renamed over the
previous one, so a kill at any instant leaves either the old or the new checkpoint whole (never
pickle: a result folder is data, not code).  Lists of numbers and lists of same-shaped arrays are
stored as one dataset each, and lists of dicts with the same keys as columns, so a checkpoint of
a long run's per-output series stays a handful of datasets.
"""
from __future__ import annotations

import os
from pathlib import Path

import h5py
import numpy as np

from thermal.errors import ThermalError

FORMAT = 1


def checkpoint_path(final) -> Path:
    """Where the checkpoint of the run writing ``final`` lives."""
    final = Path(final)
    return final.with_name(final.name + ".checkpoint")


def save_checkpoint(path, tree: dict) -> None:
    """Write ``tree`` to ``path`` whole or not at all (a temporary file renamed over it)."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    with h5py.File(tmp, "w") as f:
        f.attrs["checkpoint_format"] = FORMAT
        _write(f, "tree", tree)
    os.replace(tmp, path)


def load_checkpoint(path) -> dict:
    """The tree saved at ``path``; a file that is not a whole checkpoint is one line (exit 2)."""
    try:
        with h5py.File(path, "r") as f:
            if int(f.attrs.get("checkpoint_format", -1)) != FORMAT:
                raise ThermalError(f"{path}: not a thermal checkpoint of format {FORMAT}")
            return _read(f["tree"])
    except (OSError, KeyError, ValueError, TypeError) as exc:
        raise ThermalError(f"{path}: unreadable checkpoint ({type(exc).__name__}: {exc}); run without --resume "
                           "to start again") from None


def _is_number(v) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))


def _same_arrays(values) -> bool:
    first = values[0]
    return (isinstance(first, np.ndarray) and first.dtype != object
            and all(isinstance(v, np.ndarray) and v.shape == first.shape and v.dtype == first.dtype for v in values))


def _records(values) -> bool:
    return (isinstance(values[0], dict) and all(isinstance(k, str) for k in values[0])
            and all(isinstance(v, dict) and list(v) == list(values[0]) for v in values))


def _write(g, key: str, v) -> None:
    if isinstance(v, dict):
        sub = g.create_group(key)
        sub.attrs["kind"] = "dict"
        for k, x in v.items():
            if not isinstance(k, str):
                raise TypeError(f"checkpoint keys are strings, got {k!r}")
            _write(sub, k, x)
    elif isinstance(v, (list, tuple)):
        _write_sequence(g, key, v)
    elif isinstance(v, np.ndarray):
        if v.dtype == object:
            raise TypeError(f"checkpoint arrays hold numbers, got an object array at {key}")
        g.create_dataset(key, data=v).attrs["kind"] = "array"
    elif v is None:
        g.create_dataset(key, data=0).attrs["kind"] = "none"
    elif isinstance(v, (bool, np.bool_)):
        g.create_dataset(key, data=bool(v)).attrs["kind"] = "bool"
    elif isinstance(v, (int, np.integer)):
        g.create_dataset(key, data=np.int64(v)).attrs["kind"] = "int"
    elif isinstance(v, (float, np.floating)):
        g.create_dataset(key, data=np.float64(v)).attrs["kind"] = "float"
    elif isinstance(v, str):
        g.create_dataset(key, data=v, dtype=h5py.string_dtype()).attrs["kind"] = "str"
    else:
        raise TypeError(f"cannot checkpoint {type(v).__name__} at {key}")


def _write_sequence(g, key, v) -> None:
    seq = "tuple" if isinstance(v, tuple) else "list"
    values = list(v)
    if values and all(_is_number(x) for x in values):
        ints = all(isinstance(x, (int, np.integer)) for x in values)
        d = g.create_dataset(key, data=np.array(values, np.int64 if ints else np.float64))
        d.attrs["kind"] = f"{seq}:numbers"
    elif values and all(isinstance(x, (bool, np.bool_)) for x in values):
        g.create_dataset(key, data=np.array(values, bool)).attrs["kind"] = f"{seq}:bools"
    elif values and _same_arrays(values):
        g.create_dataset(key, data=np.stack(values)).attrs["kind"] = f"{seq}:arrays"
    elif values and _records(values):
        sub = g.create_group(key)
        sub.attrs["kind"] = f"{seq}:records"
        sub.attrs["count"] = len(values)
        sub.attrs["keys"] = np.array(list(values[0]), dtype=h5py.string_dtype())
        for i, k in enumerate(values[0]):
            _write(sub, str(i), [row[k] for row in values])
    else:
        sub = g.create_group(key)
        sub.attrs["kind"] = f"{seq}:items"
        sub.attrs["count"] = len(values)
        for i, x in enumerate(values):
            _write(sub, str(i), x)


def _read(node):
    kind = node.attrs["kind"]
    kind = kind.decode() if isinstance(kind, bytes) else str(kind)
    if kind == "dict":
        return {k: _read(node[k]) for k in node}
    seq, _, how = kind.partition(":")
    if how:
        items = _read_items(node, how)
        return tuple(items) if seq == "tuple" else items
    value = node[()]
    if kind == "array":
        return np.array(value)
    if kind == "none":
        return None
    if kind == "bool":
        return bool(value)
    if kind == "int":
        return int(value)
    if kind == "float":
        return float(value)
    if kind == "str":
        return value.decode() if isinstance(value, bytes) else str(value)
    raise ValueError(f"unknown checkpoint entry kind {kind!r}")


def _read_items(node, how: str) -> list:
    if how == "numbers":
        data = node[()]
        return [int(x) for x in data] if data.dtype.kind == "i" else [float(x) for x in data]
    if how == "bools":
        return [bool(x) for x in node[()]]
    if how == "arrays":
        return list(np.array(node[()]))
    count = int(node.attrs["count"])
    if how == "records":
        keys = [k.decode() if isinstance(k, bytes) else str(k) for k in node.attrs["keys"]]
        columns = [_read(node[str(i)]) for i in range(len(keys))]
        return [{k: col[r] for k, col in zip(keys, columns)} for r in range(count)]
    return [_read(node[str(i)]) for i in range(count)]
