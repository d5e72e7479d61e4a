"""The typed description of one training-to-work programme.

A Scenario is plain, frozen data: the model reads it, experiments build new
ones from it, nothing changes it in place. Every duration is in months, every
probability in [0, 1]. Unknown keys are errors, so a typo never silently falls
back to a default. ``docs/scenarios.md`` documents each field.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from sim import limits
from sim.language import _
from sim.scenario.budget import YEAR_MONTH_PATTERN, Budget
from sim.scenario.distributions import Distribution
from sim.scenario.numbers import Real, Whole

#: Where a stage can send someone who completes it, besides another stage.
TERMINAL_DESTINATIONS = ("job", "benefit", "exit")

NAME_PATTERN = r"^[a-z0-9][a-z0-9_.-]*$"
MAX_NAME_LENGTH = 100

Probability = Annotated[Real, Field(ge=0, le=1)]
Months = Annotated[Real, Field(ge=0, le=limits.MAX_MONTHS)]
People = Annotated[Whole, Field(ge=0, le=limits.MAX_PEOPLE_PER_REPLICATION)]
_SHARE_TOLERANCE = 1e-6


class _Frozen(BaseModel):
    # Finite: an infinite horizon or rate would pass and crash the run.
    # (Numbers refuse true and false themselves: sim.scenario.numbers.)
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Target(_Frozen):
    """What the programme promises, used to report the chance of reaching it:
    people placed, or people off assistance altogether (one of the two)."""

    placed: People | None = None
    off_assistance: People | None = None

    @model_validator(mode="after")
    def _one_promise(self) -> Target:
        if self.placed is not None and self.off_assistance is not None:
            raise ValueError(_("give one target: placed or off_assistance"))
        return self

    @property
    def outcome(self) -> str | None:
        """The outcome promised, or None without a target."""
        if self.off_assistance is not None:
            return "off_assistance"
        return "placed" if self.placed is not None else None

    @property
    def at_least(self) -> int | None:
        return self.off_assistance if self.off_assistance is not None else self.placed


class Segment(_Frozen):
    """A target group with its own share of referrals and its own odds."""

    share: Annotated[Real, Field(gt=0, le=1)]
    placement_factor: Annotated[Real, Field(ge=0, le=limits.MAX_FACTOR)] = 1.0
    dropout_factor: Annotated[Real, Field(ge=0, le=limits.MAX_FACTOR)] = 1.0
    part_time_factor: Annotated[Real, Field(ge=0, le=limits.MAX_FACTOR)] = 1.0
    description: str | None = None


class ScheduledReferral(_Frozen):
    month: Months
    count: People


class Referrals(_Frozen):
    """How people arrive, who is accepted, and how the waiting list behaves."""

    process: Literal["poisson", "cohorts", "schedule"] = "poisson"
    rate_per_month: Annotated[Real, Field(gt=0, le=limits.MAX_RATE)] | None = None
    from_month: Months = 0.0
    until_month: Months | None = None
    every_months: Annotated[Real, Field(gt=0)] | None = None
    cohort_size: Annotated[Whole, Field(ge=1, le=limits.MAX_PEOPLE_PER_REPLICATION)] | None = None
    schedule: Annotated[list[ScheduledReferral], Field(max_length=limits.MAX_LIST_ENTRIES)] | None = None
    max_participants: Annotated[Whole, Field(ge=1, le=limits.MAX_PEOPLE_PER_REPLICATION)] | None = None
    acceptance: Probability = 1.0
    patience: Distribution | None = None
    waiting_list_limit: Annotated[Whole, Field(ge=0, le=limits.MAX_PEOPLE_PER_REPLICATION)] | None = None
    first_stage: str | None = None

    @model_validator(mode="after")
    def _process_has_its_fields(self) -> Referrals:
        needed = {
            "poisson": ["rate_per_month"],
            "cohorts": ["every_months", "cohort_size"],
            "schedule": ["schedule"],
        }[self.process]
        missing = [name for name in needed if getattr(self, name) is None]
        if missing:
            raise ValueError(_("process '{process}' needs {fields}, got none").format(
                process=self.process, fields=(" " + _("and") + " ").join(missing)))
        if self.until_month is not None and self.until_month < self.from_month:
            raise ValueError(_("until_month must not be before from_month, got {values}").format(
                values=f"from_month={self.from_month} > until_month={self.until_month}"))
        return self

    @field_validator("first_stage")
    @classmethod
    def _first_stage_exists(cls, name: str | None, info: ValidationInfo) -> str | None:
        stage_names = (info.context or {}).get("stage_names")
        if name is not None and stage_names is not None and name not in stage_names:
            raise ValueError(unknown_stage(name, stage_names))
        return name


class Dropout(_Frozen):
    """Leaving a stage early: a chance over the whole stage, or a monthly hazard
    that competes with finishing (whichever comes first wins)."""

    probability: Probability | None = None
    hazard_per_month: Annotated[Real, Field(ge=0, le=limits.MAX_RATE)] | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Dropout:
        if (self.probability is None) == (self.hazard_per_month is None):
            raise ValueError(_("give exactly one of probability or hazard_per_month"))
        return self

    @property
    def possible(self) -> bool:
        return bool(self.probability or self.hazard_per_month)


def _known_destination(name: str, info: ValidationInfo) -> str:
    stage_names = (info.context or {}).get("stage_names")
    if stage_names is not None and name not in TERMINAL_DESTINATIONS and name not in stage_names:
        expected = ", ".join([*TERMINAL_DESTINATIONS, *stage_names])
        raise ValueError(_("unknown destination '{name}' (expected one of: {expected})").format(name=name,
                                                                                                expected=expected))
    return name


class PlacesFrom(_Frozen):
    """A period of a schedule of places: ``places`` from ``from_month`` until
    the next period begins."""

    from_month: Months
    places: Annotated[Whole, Field(ge=0, le=limits.MAX_PLACES)]


class Stage(_Frozen):
    """One step of the programme: training, a work placement, job search."""

    #: Places: a number, or a schedule of places over time (nobody is sent
    #: away when places shrink: new starts wait until enough have left).
    slots: (Annotated[Whole, Field(ge=1, le=limits.MAX_PLACES)]
            | Annotated[list[PlacesFrom], Field(min_length=1, max_length=limits.MAX_PLACE_PERIODS)]
            | None) = None
    duration: Distribution
    dropout: Dropout | None = None
    lock_in: Probability = 0.0
    on_benefit: bool = True
    next: str | None = None
    outcomes: dict[str, Probability] | None = None
    description: str | None = None

    @field_validator("next")
    @classmethod
    def _next_exists(cls, name: str | None, info: ValidationInfo) -> str | None:
        return None if name is None else _known_destination(name, info)

    @field_validator("outcomes")
    @classmethod
    def _outcomes_exist_and_sum_to_one(
        cls, outcomes: dict[str, float] | None, info: ValidationInfo
    ) -> dict[str, float] | None:
        if outcomes is None:
            return None
        for name in outcomes:
            _known_destination(name, info)
        total = sum(outcomes.values())
        if abs(total - 1) > _SHARE_TOLERANCE:
            raise ValueError(_("probabilities must sum to 1, got {total}").format(total=f"{total:g}"))
        return outcomes

    @model_validator(mode="after")
    def _one_way_out(self) -> Stage:
        if (self.next is None) == (self.outcomes is None):
            raise ValueError(_("give exactly one of next or outcomes"))
        return self

    @field_validator("slots")
    @classmethod
    def _schedule_in_order(cls, slots: int | list[PlacesFrom] | None) -> int | list[PlacesFrom] | None:
        if not isinstance(slots, list):
            return slots
        if slots[0].from_month != 0:
            raise ValueError(_("a schedule of places starts at from_month 0, got {month}").format(
                month=f"{slots[0].from_month:g}"))
        months = [period.from_month for period in slots]
        if any(later <= earlier for earlier, later in zip(months, months[1:])):
            raise ValueError(_("from_month must increase from one period to the next, got {months}").format(
                months=", ".join(f"{month:g}" for month in months)))
        if not any(period.places for period in slots):
            raise ValueError(_("a schedule of places needs places above 0 in some period"))
        return slots

    @property
    def place_schedule(self) -> tuple[tuple[float, int], ...] | None:
        """(from month, places) for each period; None: places are not limited."""
        if self.slots is None:
            return None
        if isinstance(self.slots, int):
            return ((0.0, self.slots),)
        return tuple((float(period.from_month), period.places) for period in self.slots)

    @property
    def most_places(self) -> int | None:
        schedule = self.place_schedule
        return None if schedule is None else max(places for _, places in schedule)

    @property
    def routes(self) -> dict[str, float]:
        """Destination -> probability after completing this stage."""
        return {self.next: 1.0} if self.next is not None else dict(self.outcomes or {})


class Counterfactual(_Frozen):
    """What would have happened without the programme: people find work on
    their own at this chance, and in the programme they keep it while waiting,
    after leaving without a job, and in a stage less its ``lock_in``. And
    people leave assistance for other reasons (moving, retirement, a
    partner's income, another benefit) at ``other_outflow_per_year``, in
    both worlds alike: in the money, from that moment on they cost nothing
    either way."""

    own_job_chance_per_year: Annotated[Real, Field(ge=0, lt=1)] = 0.0
    other_outflow_per_year: Annotated[Real, Field(ge=0, lt=1)] = 0.0

    @property
    def own_job_hazard_per_month(self) -> float:
        return -math.log1p(-self.own_job_chance_per_year) / 12

    @property
    def other_outflow_hazard_per_month(self) -> float:
        return -math.log1p(-self.other_outflow_per_year) / 12


#: A scenario that says nothing of the world without the programme: nobody
#: would find work or leave assistance (net figures are then not estimated).
NOTHING_WITHOUT_PROGRAMME = Counterfactual()


class Caseload(_Frozen):
    """The rest of the municipality's caseload, for the net change in the
    number of recipients that councils and the press report: people who come
    onto assistance each month, and people who leave it for reasons the
    stages do not describe (moving away, retirement, a partner's income,
    work found outside the programme). Each is a Poisson count per month."""

    # At most a million a month: the Poisson counts over the longest horizon
    # stay within what their inverse can be computed for.
    inflow_per_month: Annotated[Real, Field(ge=0, le=limits.MAX_PEOPLE_PER_REPLICATION)]
    other_outflow_per_month: Annotated[Real, Field(ge=0, le=limits.MAX_PEOPLE_PER_REPLICATION)] = 0.0


class Support(_Frozen):
    """Coaching in the first months of a job the programme found: it lowers
    the chance of losing the job meanwhile. With ``slots``, that many people
    are coached at once; someone placed while all coaches are busy goes
    without."""

    months: Annotated[Real, Field(gt=0, le=limits.MAX_MONTHS)]
    job_loss_factor: Probability
    cost_per_month: Annotated[Real, Field(ge=0, le=limits.MAX_EUROS)] = 0.0
    slots: Annotated[Whole, Field(ge=1, le=limits.MAX_PLACES)] | None = None


class Employment(_Frozen):
    """What happens after placement."""

    part_time_share: Probability = 0.0
    job_loss_hazard_per_month: Annotated[Real, Field(ge=0, le=limits.MAX_RATE)] = 0.0
    sustained_months: Annotated[Real, Field(gt=0, le=limits.MAX_MONTHS)] = 6.0
    # Months of unemployment insurance (paid by UWV, not the municipality)
    # after losing a job held at least 26 weeks, before assistance resumes.
    # At most 24 months: the longest the Dutch WW pays.
    unemployment_insurance_months: Annotated[Real, Field(ge=0, le=24)] = 0.0
    support: Support | None = None


class FreeParameter(_Frozen):
    """A field calibration may fit, within [low, high]. ``complement`` names a
    field set to 1 minus this one (the other route of a two-way split)."""

    low: Real
    high: Real
    complement: str | None = None

    @model_validator(mode="after")
    def _ordered(self) -> FreeParameter:
        if not self.low < self.high:
            raise ValueError(_("low must be below high, got {values}").format(
                values=f"low={self.low}, high={self.high}"))
        return self


class Scenario(_Frozen):
    """One programme, as read from a scenario file."""

    # The name becomes a folder's name: short, and safe on every file system.
    name: Annotated[str, Field(pattern=NAME_PATTERN, max_length=MAX_NAME_LENGTH)]
    title: str | None = None
    description: str | None = None
    sources: list[str] = Field(default_factory=list)
    # The calendar month of month 0: tables, plots and reports speak in
    # months of the calendar, and money is per calendar year.
    start: Annotated[str, Field(pattern=YEAR_MONTH_PATTERN)] | None = None
    horizon_months: Annotated[Real, Field(ge=1, le=limits.MAX_MONTHS)]
    replications: Annotated[Whole, Field(ge=1, le=limits.MAX_REPLICATIONS)] = 1000
    seed: Annotated[Whole, Field(ge=0, lt=2**128)] = 0
    target: Target = Field(default_factory=Target)
    segments: Annotated[dict[str, Segment], Field(max_length=limits.MAX_SEGMENTS)] = Field(
        default_factory=lambda: {"general": Segment(share=1.0)})
    referrals: Referrals
    stages: dict[str, Stage] = Field(min_length=1, max_length=limits.MAX_STAGES)
    employment: Employment = Field(default_factory=Employment)
    # None: the file does not say what would have happened without the
    # programme, so net savings are not estimated (never taken as zero).
    counterfactual: Counterfactual | None = None
    budget: Budget | None = None
    caseload: Caseload | None = None
    free: dict[str, FreeParameter] = Field(default_factory=dict)
    # Field path -> what is known of its value; each path must name a number
    # of the scenario (checked by sim.scenario.files, one problem per path).
    uncertain: dict[str, Distribution] = Field(default_factory=dict)
    _notes: dict[str, str] = PrivateAttr(default_factory=dict)

    @field_validator("segments")
    @classmethod
    def _shares_sum_to_one(cls, segments: dict[str, Segment]) -> dict[str, Segment]:
        if not segments:
            raise ValueError(_("at least one segment is needed when the section is given"))
        total = math.fsum(segment.share for segment in segments.values())
        if abs(total - 1) > _SHARE_TOLERANCE:
            raise ValueError(_("shares must sum to 1, got {total}").format(total=f"{total:g}"))
        return segments

    @field_validator("stages")
    @classmethod
    def _every_path_can_end(cls, stages: dict[str, Stage]) -> dict[str, Stage]:
        endless = stages_that_never_end(stages)
        if endless:
            raise ValueError(endless_message(endless))
        return stages

    @model_validator(mode="after")
    def _first_stage_exists(self) -> Scenario:
        first = self.referrals.first_stage
        if first is not None and first not in self.stages:
            # The message opens with the field to change: sim.scenario.files points at it.
            raise ValueError(f"referrals.first_stage: {unknown_stage(first, list(self.stages))}")
        return self

    @model_validator(mode="after")
    def _costed_stages_exist(self) -> Scenario:
        if self.budget is not None and self.budget.costs is not None:
            unknown = [name for name in self.budget.costs.per_stage_month if name not in self.stages]
            if unknown:
                raise ValueError(f"budget.costs.per_stage_month: {unknown_stage(unknown[0], list(self.stages))}")
        return self

    @model_validator(mode="after")
    def _one_start(self) -> Scenario:
        moved = self.budget.start if self.budget is not None else None
        if moved is not None and self.start is not None and moved != self.start:
            raise ValueError("budget.start: " + _("{moved} differs from start {start}; give the calendar month of "
                                                  "month 0 once, as start").format(moved=moved, start=self.start))
        if self.budget is not None and self.calendar_start is None:
            raise ValueError("start: " + _("a scenario with a budget needs the calendar month of month 0, e.g. "
                                           "start: 2021-11 (money is per calendar year, and the benefit rises each "
                                           "January)"))
        return self

    def with_notes(self, notes: dict[str, str]) -> Scenario:
        """The same scenario carrying what its files said of each field (dotted
        path -> the comment above it): sources, or ASSUMPTION. Kept beside
        the fields, not in them, so that a note never changes a result."""
        self._notes = dict(notes)
        return self

    @property
    def notes(self) -> dict[str, str]:
        """Dotted path -> the comment its file wrote above it."""
        return self._notes

    @property
    def calendar_start(self) -> str | None:
        """The calendar month of month 0 as YYYY-MM, if the file gives it (as
        ``start``, or as ``budget.start`` in files from before it was moved)."""
        return self.start or (self.budget.start if self.budget is not None else None)

    @property
    def start_year(self) -> int:
        """The calendar year of month 0 (the money needs it, see ``_one_start``)."""
        return int(self.calendar_start[:4])

    @property
    def start_month_of_year(self) -> int:
        """1 for January ... 12 for December: the calendar month of month 0."""
        return int(self.calendar_start[5:7])

    @property
    def without_programme(self) -> Counterfactual:
        """The chances of finding work and leaving assistance without the
        programme (none when the file gives no counterfactual)."""
        return self.counterfactual or NOTHING_WITHOUT_PROGRAMME

    @property
    def first_stage(self) -> str:
        return self.referrals.first_stage or next(iter(self.stages))

    @property
    def intake_until_month(self) -> float:
        until = self.referrals.until_month
        return self.horizon_months if until is None else min(until, self.horizon_months)


def not_a_number(scenario: Scenario, path: str) -> str | None:
    """Why ``path`` does not name a number of the scenario, or None if it does."""
    node: Any = scenario.model_dump(mode="json", by_alias=True)
    for depth, key in enumerate(path.split(".")):
        if isinstance(node, list) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]  # a period of a schedule of places
            continue
        if not isinstance(node, dict) or key not in node:
            where = ".".join(path.split(".")[:depth]) or _("the scenario")
            known = (", ".join(node) if isinstance(node, dict)
                     else _("periods 0 to {last}").format(last=len(node) - 1) if isinstance(node, list)
                     else _("nothing"))
            return _("{where} has no field {key} (it has {known})").format(where=where, key=repr(key), known=known)
        node = node[key]
    if isinstance(node, bool) or not isinstance(node, (int, float)):
        if isinstance(node, dict):
            return _("is not a number (name one of its fields: {fields})").format(fields=", ".join(node))
        return _("is not a number")
    return None


def endless_message(endless: list[str]) -> str:
    return _("routing among {stages} can never end: none of these stages has dropout or a route to job, benefit or "
             "exit").format(stages=", ".join(endless))


def unknown_stage(name: str, stage_names: list[str]) -> str:
    return _("unknown stage '{name}' (expected one of: {expected})").format(name=name,
                                                                           expected=", ".join(stage_names))


def stages_that_never_end(stages: dict[str, Stage]) -> list[str]:
    """Stages from which no route (or dropout) ever leads out of the programme."""
    return endless_stages(
        {name: stage.routes for name, stage in stages.items()},
        {name for name, stage in stages.items() if stage.dropout is not None and stage.dropout.possible},
    )


def endless_stages(routes: dict[str, dict[str, float]], with_dropout: set[str]) -> list[str]:
    """A stage can end if it has dropout, routes to a terminal destination with
    positive probability, or routes to a stage that can end. Whatever is left
    after that fixpoint loops for ever. Works on plain data too, so a file
    with other errors still gets this one reported."""
    can_end = set(with_dropout) | {
        name for name, out in routes.items()
        if any(dest in TERMINAL_DESTINATIONS and p > 0 for dest, p in out.items())
    }
    grew = True
    while grew:
        grew = False
        for name, out in routes.items():
            if name not in can_end and any(p > 0 and dest in can_end for dest, p in out.items()):
                can_end.add(name)
                grew = True
    return [name for name in routes if name not in can_end]
