"""Where a contact, a heater or a sensor attaches: a lumped node, or a panel region (optionally
restricted to a footprint), written ``NODE`` or ``PANEL.REGION[@FOOTPRINT]``."""
from __future__ import annotations

from thermal.input.table import Table
from thermal.model.case import Endpoint

REGIONS = ("top", "bottom", "xmin", "xmax", "ymin", "ymax")


def parse_endpoint(t: Table, key: str, text, panels, nodes) -> Endpoint:
    """The endpoint ``text`` given under ``key`` of table ``t`` (errors name that key)."""
    node_names = {n.name for n in nodes}
    panel_by_name = {p.name: p for p in panels}
    if not isinstance(text, str):
        raise t.error(key, text, "must be a string: a lumped node name or PANEL.REGION[@FOOTPRINT]")
    if text in node_names:
        return Endpoint(node=text)
    base, _, fp = text.partition("@")
    pname, _, region = base.partition(".")
    allowed = ("a lumped node name or PANEL.REGION[@FOOTPRINT] with REGION one of "
               + ", ".join(REGIONS) + "; nodes: " + (", ".join(sorted(node_names)) or "none")
               + "; panels: " + (", ".join(sorted(panel_by_name)) or "none"))
    if pname not in panel_by_name or region not in REGIONS:
        raise t.error(key, text, allowed)
    if fp:
        fps = {f.name for f in panel_by_name[pname].footprints}
        if fp not in fps:
            raise t.error(key, text, "unknown footprint; defined: " + (", ".join(sorted(fps)) or "none"))
        if region not in ("top", "bottom"):
            raise t.error(key, text, "@FOOTPRINT restricts only the top or bottom region")
    return Endpoint(panel=pname, region=region, footprint=fp or None)
