"""Change values of a case by key path and write the TOML back (refinement studies, sweeps).

Key paths are dotted; inside an array of tables the next part names an entry by its ``name``
(``panels.radiator.layers.facesheet.thickness``) or by its index (``contacts.0.conductance``).
The written text is what the result file stores, so a modified run can be rebuilt exactly.
"""
from __future__ import annotations

import datetime as _dt
import json
import math
import tomllib

from thermal.errors import CaseError


def set_key(raw: dict, path: str, value, file: str = "<case>", create: bool = False) -> None:
    """Set an existing key (or, with ``create``, a new key in an existing table; the case parser
    still rejects it if it is not a key of that table)."""
    parts = path.split(".")
    node = raw
    for depth, part in enumerate(parts[:-1]):
        here = ".".join(parts[:depth + 1])
        if isinstance(node, list):
            node = _list_entry(node, part, here, file)
        elif isinstance(node, dict):
            if part not in node:
                raise CaseError(file, here, "<missing>", "no such key in the case")
            node = node[part]
        else:
            raise CaseError(file, here, node, "is a value, not a table")
    last = parts[-1]
    if isinstance(node, list):
        raise CaseError(file, path, value, "names a table in a list; add the key to set")
    if not isinstance(node, dict) or (last not in node and not create):
        raise CaseError(file, path, "<missing>", "no such key in the case (only existing keys can be varied)")
    node[last] = value


def _list_entry(items: list, part: str, here: str, file: str):
    for item in items:
        if isinstance(item, dict) and item.get("name") == part:
            return item
    if part.isdigit() and int(part) < len(items):
        return items[int(part)]
    names = [str(i.get("name")) for i in items if isinstance(i, dict) and "name" in i]
    raise CaseError(file, here, part, "no entry with that name or index; entries: " + ", ".join(names or ["none"]))


def toml_scalar(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, (_dt.datetime, _dt.date, _dt.time)):
        return v.isoformat()  # TOML's offset date-time / local date / local time are RFC 3339
    if isinstance(v, list):
        return "[" + ", ".join(toml_scalar(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_key(k)} = {toml_scalar(x)}" for k, x in v.items()) + "}"
    raise TypeError(f"cannot write {type(v).__name__} to TOML")


def _key(k: str) -> str:
    return k if k.replace("_", "").replace("-", "").isalnum() else json.dumps(k)


def _is_table_list(v) -> bool:
    return isinstance(v, list) and len(v) > 0 and all(isinstance(x, dict) for x in v)


def dumps(raw: dict, prefix: str = "") -> str:
    lines, tables = [], []
    for k, v in raw.items():
        if isinstance(v, dict) or _is_table_list(v):
            tables.append((k, v))
        else:
            lines.append(f"{_key(k)} = {toml_scalar(v)}")
    out = "\n".join(lines) + ("\n" if lines else "")
    for k, v in tables:
        name = f"{prefix}{_key(k)}"
        if isinstance(v, dict):
            body = dumps(v, name + ".")
            out += f"\n[{name}]\n{body}"
        else:
            for item in v:
                out += f"\n[[{name}]]\n{dumps(item, name + '.')}"
    return out


def case_text_with(text: str, overrides: dict, file: str = "<case>", create: bool = False) -> str:
    raw = tomllib.loads(text)
    for path, value in overrides.items():
        set_key(raw, path, value, file, create)
    return dumps(raw)
