"""Which figures of a scenario the page offers as controls, and the changes
a person's settings make, checked as a scenario file is (``sim.api.change``).

The main figures a planner or budget officer argues about: places (period by
period where they follow a schedule), referrals a month, acceptance at
intake, each stage's duration and dropout, the chance of a job, the
part-time share, the costs and the month the money is counted until.
"""

from __future__ import annotations

import hashlib
import weakref
from dataclasses import dataclass
from typing import Any

from sim import api
from sim.api import _


def control_key(base: api.Scenario, path: str) -> str:
    """The page's key of a control: by the scenario's whole text, not its
    name, so that an uploaded file named as a shipped one keeps its own."""
    return f"{_digest(base)}:{path}"


#: The digest of each scenario the page has drawn controls for, by its id
#: (with a weak reference, so a reused id of a scenario gone is not taken
#: for it): writing a scenario out takes about 10 ms, and a page has some
#: twenty controls.
_digests: dict[int, tuple[weakref.ref, str]] = {}


def _digest(base: api.Scenario) -> str:
    known = _digests.get(id(base))
    if known is not None and known[0]() is base:
        return known[1]
    digest = hashlib.sha256(api.scenario_text(base).encode()).hexdigest()[:12]
    key = id(base)
    _digests[key] = (weakref.ref(base, lambda _gone: _digests.pop(key, None)), digest)
    return digest


#: What kind of number a control takes: a whole count, a share (shown in
#: percent), euros, months, or people a month.
KINDS = ("count", "share", "euros", "months", "rate")


@dataclass(frozen=True)
class Control:
    path: str      # the field it sets; for a duration, a parameter of its distribution
    kind: str      # one of KINDS
    value: float   # as the scenario has it
    high: float    # the largest a person may set; the smallest is 0 (a share: 0 to 1)
    part: str | None = None  # for a distribution's parameter: which ("mode", "mean", ...)
    period: str | None = None  # for places that follow a schedule: when the period begins, in words

    @property
    def label(self) -> str:
        """In the reader's language: "Places in training", "Months in training: most often",
        "Places in training from Nov 2022"."""
        if self.period is not None:
            stage_places = self.path.rsplit(".", 2)[0]  # stages.<name>.slots of stages.<name>.slots.<i>.places
            return _("{field} from {when}").format(field=api.field_label(stage_places), when=self.period)
        field = self.path.rsplit(".", 1)[0] if self.part else self.path
        words = api.field_label(field)
        if self.part:
            words = _("{field}: {part}").format(field=words, part=_(DISTRIBUTION_PARTS.get(self.part, self.part)))
        return words

    @property
    def step(self) -> float:
        return {"count": 1, "share": 0.01, "euros": 10 if self.high <= 2000 else 100, "months": 0.5,
                "rate": 0.5}[self.kind]


#: The words for a distribution's parameters, as the report has them.
DISTRIBUTION_PARTS = api.DISTRIBUTION_PARTS


def controls_for(scenario: api.Scenario) -> list[Control]:
    """The controls for ``scenario``, in the order of its flow."""
    controls: list[Control] = []
    referrals = scenario.referrals
    if referrals.rate_per_month is not None:
        controls.append(Control("referrals.rate_per_month", "rate", referrals.rate_per_month,
                                max(10 * referrals.rate_per_month, 200)))
    controls.append(Control("referrals.acceptance", "share", referrals.acceptance, 1))
    if referrals.max_participants is not None:
        controls.append(Control("referrals.max_participants", "count", referrals.max_participants,
                                max(10 * referrals.max_participants, 1000)))
    for name, stage in scenario.stages.items():
        if isinstance(stage.slots, int):
            controls.append(Control(f"stages.{name}.slots", "count", stage.slots, max(10 * stage.slots, 1000)))
        elif isinstance(stage.slots, list):  # places over time: each period its own number
            for index, (month, places) in enumerate(stage.place_schedule):
                when = (api.calendar_month(scenario.calendar_start, int(month) + 1)
                        if scenario.calendar_start and float(month).is_integer()
                        else api.field_value("referrals.from_month", month, scenario.calendar_start))
                controls.append(Control(f"stages.{name}.slots.{index}.places", "count", places,
                                        max(10 * places, 1000), period=when))
        duration = stage.model_dump(mode="json", by_alias=True)["duration"]
        for part, value in duration.items():
            if part != "dist" and isinstance(value, (int, float)) and not isinstance(value, bool):
                controls.append(Control(f"stages.{name}.duration.{part}", "months", value, max(10 * value, 120),
                                        part=part))
        dropout = stage.dropout
        if dropout is not None and getattr(dropout, "probability", None) is not None:
            controls.append(Control(f"stages.{name}.dropout.probability", "share", dropout.probability, 1))
        if "job" in stage.routes:
            controls.append(Control(f"stages.{name}.outcomes.job", "share", stage.routes["job"], 1))
    controls.append(Control("employment.part_time_share", "share", scenario.employment.part_time_share, 1))
    budget = scenario.budget
    if budget is not None:
        for cost in ("per_participant", "per_placement", "fixed_per_month"):
            value = getattr(budget.costs, cost, None) if budget.costs is not None else None
            if value is not None:
                controls.append(Control(f"budget.costs.{cost}", "euros", value, max(10 * value, 100_000)))
        if budget.count_until_month is not None:  # else counted as long as the programme runs
            controls.append(Control("budget.count_until_month", "months", budget.count_until_month, 240))
    return controls


def changes_from(scenario: api.Scenario, settings: dict[str, float]) -> dict[str, Any]:
    """The changes that ``settings`` (control path: value) make to ``scenario``:
    only values that differ; a stage's chance of a job takes its share from
    the stage's other routes in proportion, so that they still add up to 1."""
    current = {control.path: control.value for control in controls_for(scenario)}
    changes: dict[str, Any] = {}
    for path, value in settings.items():
        if path not in current or value == current[path]:
            continue
        control = next(control for control in controls_for(scenario) if control.path == path)
        if control.kind == "count":
            value = int(round(value))
        if path.endswith(".outcomes.job"):
            stage = scenario.stages[path.split(".")[1]]
            others = {destination: share for destination, share in stage.routes.items() if destination != "job"}
            rest = sum(others.values())
            scaled = {destination: (1 - value) * share / rest if rest else (1 - value) / len(others)
                      for destination, share in others.items()} if others else {}
            changes[path.removesuffix(".job")] = {"job": value, **scaled}
        else:
            changes[path] = value
    return changes
