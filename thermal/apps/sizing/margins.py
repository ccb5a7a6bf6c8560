"""Design margin policies for sizing (``[sizing] margins`` and ``[margins]``).

A policy is a set of named margins, each applied where it acts:

* ``hot_k``: thermal uncertainty in the hot case: the junction is sized to the limit minus
  ``junction_margin`` minus this (predictions carry the model's uncertainty until correlated by a
  thermal-balance test);
* ``cold_k``: the same in the cold case: the heaters hold the protected points this far above
  ``min_temperature``;
* ``area``: radiator area added after sizing (a share, 0.10 = +10 %) until the model is correlated;
* ``heater``: installed heater power over the power the cold case needs (0.25: the heaters need at
  most 1/1.25 = 80 % duty);
* ``pipe_transport``: with any one heat pipe of a chip failed, the others carry at most
  1/(1 + this) of their transport limit (N-1, solved on the repeating unit).

``smc-s-016`` and ``ecss-e-st-31c`` are the sets the issue lists; their numbers were not checked
against the standards' texts (not reachable from this project's sources): said in the README.
"""
from __future__ import annotations

from dataclasses import dataclass

from thermal.input.table import Table

POLICIES = ("none", "smc-s-016", "ecss-e-st-31c", "custom")


@dataclass(frozen=True)
class MarginPolicy:
    name: str
    hot_k: float = 0.0
    cold_k: float = 0.0
    area: float = 0.0
    heater: float = 0.0
    pipe_transport: float = 0.0
    parts: tuple = ()  # (label, value text, source) rows for the report
    source: str = ""

    @property
    def any(self) -> bool:
        return bool(self.hot_k or self.cold_k or self.area or self.heater or self.pipe_transport)


NONE = MarginPolicy("none", source="no margin policy: only [sizing] junction_margin")


def parse_margins(name: str, t: Table | None, key_of_name: Table) -> MarginPolicy:
    """The policy ``name`` (checked by the caller against POLICIES) with its ``[margins]`` table."""
    t = t if t is not None else Table({}, key_of_name.file, "margins")
    if name == "none":
        if t.raw:
            raise t.error(next(iter(t.raw)), t.raw[next(iter(t.raw))], "margins = \"none\" takes no [margins] "
                          "values; choose smc-s-016, ecss-e-st-31c or custom")
        return NONE
    if name == "smc-s-016":
        tested = t.boolean("thermal_balance_test", True)
        u = 11.0 if tested else 17.0
        t.finish()
        why = "thermal-balance test planned" if tested else "no thermal-balance test planned"
        return MarginPolicy(
            "smc-s-016", hot_k=u, cold_k=u, area=0.10, heater=0.25, pipe_transport=0.25,
            parts=(("thermal uncertainty (hot and cold)", f"{u:g} K ({why})", "SMC-S-016 (as stated in the issue)"),
                   ("radiator area before correlation", "+10 %", "SMC-S-016 (as stated in the issue)"),
                   ("heater power", "+25 % (duty <= 80 %)", "SMC-S-016 (as stated in the issue)"),
                   ("heat pipes, N-1", "one failed per chip, others >= 25 % transport margin",
                    "SMC-S-016 (as stated in the issue)")),
            source="SMC-S-016 set as the issue lists it; not checked against the standard's text")
    if name == "ecss-e-st-31c":
        u = t.quantity("uncertainty", "K", 10.0, minimum=0.0)
        a = t.quantity("acceptance", "K", 5.0, minimum=0.0)
        q = t.quantity("qualification", "K", 5.0, minimum=0.0)
        heater = t.number("heater", 0.25, minimum=0.0, maximum=10.0)
        t.finish()
        total = u + a + q
        return MarginPolicy(
            "ecss-e-st-31c", hot_k=total, cold_k=total, heater=heater,
            parts=(("uncertainty", f"{u:g} K", "ECSS-E-ST-31C style (input)"),
                   ("acceptance", f"{a:g} K", "ECSS-E-ST-31C style (input)"),
                   ("qualification", f"{q:g} K", "ECSS-E-ST-31C style (input)"),
                   ("heater power", f"+{100 * heater:g} %", "input")),
            source="ECSS-E-ST-31C style: predicted + uncertainty + acceptance + qualification margins within the "
                   "junction (qualification) limit and above min_temperature; default values typical, not checked "
                   "against the standard's text")
    hot = t.quantity("hot", "K", 0.0, minimum=0.0)
    cold = t.quantity("cold", "K", 0.0, minimum=0.0)
    area = t.number("area", 0.0, minimum=0.0, maximum=5.0)
    heater = t.number("heater", 0.0, minimum=0.0, maximum=10.0)
    pipes = t.number("pipe_transport", 0.0, minimum=0.0, maximum=10.0)
    t.finish()
    return MarginPolicy("custom", hot, cold, area, heater, pipes,
                        parts=(("hot uncertainty", f"{hot:g} K", "input"), ("cold uncertainty", f"{cold:g} K", "input"),
                               ("radiator area", f"+{100 * area:g} %", "input"),
                               ("heater power", f"+{100 * heater:g} %", "input"),
                               ("heat pipes, N-1", f"{100 * pipes:g} % transport margin" if pipes else "not run",
                                "input")),
                        source="custom margins from the sizing file")
