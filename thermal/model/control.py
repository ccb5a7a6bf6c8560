"""Thermal control hardware: heaters on a thermostat or a proportional law, and louvers.

A heater puts ``power_w`` into a lumped node or a panel region (shared by area) as its sensor
reads:

* ``thermostat``: on at or below ``on_k``, off at or above ``off_k`` (on_k < off_k: the deadband);
  in transients the switching instants are step ends located on the sensor's crossing.  In a
  steady solve, which has no time to cycle in, it acts as the proportional law across its deadband:
  the steady power is the thermostat's mean over its cycle, with the sensor inside the deadband.
* ``proportional``: full power at or below ``on_k``, none at or above ``off_k``, linear between.

A louver replaces the coating of the faces it covers by effective values against the temperature
of the cell under it (each blade follows its own base plate, the bimetal's sensing): IR emittance
and solar absorptance interpolated linearly in a table (closed ... open), constant beyond its ends.
"""
from __future__ import annotations

from dataclasses import dataclass

HEATER_CONTROLS = ("thermostat", "proportional")


@dataclass(frozen=True, slots=True)
class Heater:
    name: str
    target: object  # model.case.Endpoint: a lumped node or a panel region (power shared by area)
    sensor: object  # model.case.Endpoint: a lumped node, or the cell at the centre of a panel region
    power_w: float  # rated power: the most it gives
    control: str  # one of HEATER_CONTROLS
    on_k: float  # full power at or below
    off_k: float  # none at or above
    key: str = ""


@dataclass(frozen=True, slots=True)
class Louver:
    name: str
    t_k: tuple  # increasing temperatures of the table (closed first)
    eps: tuple  # effective IR emittance at each
    alpha: tuple  # effective solar absorptance at each
    source: str = ""
