"""Exports for spreadsheets and CI: a result's per-output table as CSV, a validation report as
JUnit XML (what CI services show as test results)."""
from __future__ import annotations

import csv
import xml.etree.ElementTree as ET
from pathlib import Path


def _format(column: str):
    """Digits a column deserves: temperatures to 0.1 mK, powers and times to 7 significant digits
    (a 16-digit float in a spreadsheet is noise, not precision)."""
    if column.endswith(("_k", "_c")):
        return lambda v: f"{v:.4f}"
    return lambda v: f"{v:.7g}"


def write_table_csv(table: dict, path) -> Path:
    """``table``: columns of equal length (Result.to_table()); one row per output time."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    names = list(table)
    formats = [_format(n) for n in names]
    rows = len(next(iter(table.values()))) if table else 0
    tmp = path.with_name(path.name + ".part")
    with open(tmp, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(names)
        for i in range(rows):
            w.writerow([fmt(float(table[n][i])) for n, fmt in zip(names, formats)])
    tmp.replace(path)
    return path


def write_rows_csv(header, rows, path) -> Path:
    """A small table (a sizing's summary rows) as CSV, written whole or not at all."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    with open(tmp, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    tmp.replace(path)
    return path


def write_junit(checks, path, suite: str = "thermal validate", wall_s: float = 0.0) -> Path:
    """One testcase per check (classname: the case, name: the quantity); a check outside its
    tolerance is a failure whose message gives value, expected, error and tolerance."""
    checks = list(checks)
    failures = [c for c in checks if not c.passed]
    root = ET.Element("testsuites", tests=str(len(checks)), failures=str(len(failures)), time=f"{wall_s:.3f}")
    ts = ET.SubElement(root, "testsuite", name=suite, tests=str(len(checks)), failures=str(len(failures)),
                       errors="0", skipped="0", time=f"{wall_s:.3f}")
    for c in checks:
        tc = ET.SubElement(ts, "testcase", classname=c.case, name=c.quantity, time="0")
        text = (f"value {c.value:.10g} {c.unit}, expected {c.expected:.10g} {c.unit}: error {c.error:.3g}, "
                f"requirement {c.requirement()}" + (f" ({c.note})" if c.note else ""))
        if not c.passed:
            ET.SubElement(tc, "failure", message=text, type="tolerance").text = text
        else:
            ET.SubElement(tc, "system-out").text = text
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
    return path
