"""Every column a run measures, in one place: what it counts, in which unit,
how a person reads it, and which way is better.

The counting code (outcomes, money, caseload) takes its column lists from
here, and so do the tables of the command line, comparisons (which way is
better, units), back-tests, the report's scaling and the figures' units and
state labels. A new outcome is one row below plus the code that computes it.

``replications.csv`` has, in this order: the programme's columns, two
columns per stage (``entered_<stage>``, ``placed_from_<stage>``), the mean
wait before each stage people wait to move on to (``mean_wait_before_<stage>``), then with a
budget the money columns, then with a caseload section the caseload columns
(and, with both, the caseload's money).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sim import language
from sim.errors import Problem
from sim.language import N_, _
from sim.scenario.schema import Scenario

#: How each unit is shown: the mean (and its interval), and the spread over
#: runs: decimals of each, in the reader's language. Whole people are shown
#: without decimals in the spread; euros in thousands.
_DECIMALS = {"people": (1, 0), "months": (2, 2), "month": (1, 0), "ratio": (2, 2), "EUR": (0, 0)}

#: A unit as a table's label adds it (people and shares need no word).
_UNIT_WORDS = {"EUR": N_("€ thousand"), "months": N_("months")}


@dataclass(frozen=True)
class Column:
    name: str
    unit: str          # people, months (a duration), month (a moment), share, ratio, EUR
    label: str         # in words, for tables and figures (English; ``words`` is in the reader's language)
    meaning: str       # what exactly is counted
    better: int = 0    # +1: more is better, -1: less is better, 0: neither
    part_of: str | None = None  # a column it breaks down (shown indented under it)
    short: str | None = None    # its label when shown under ``part_of``
    stage: str | None = None    # for a per-stage column: the stage its label and meaning name

    @property
    def whole_people(self) -> bool:
        """Counted in people (the programme's own counts are stored as
        integers; the caseload's, which come from its flows, as floats)."""
        return self.unit == "people"

    @property
    def scale(self) -> float:
        """What the shown figures are divided by (euros are shown in thousands)."""
        return 1000.0 if self.unit == "EUR" else 1.0

    @property
    def words(self) -> str:
        """The label in the reader's language."""
        return _(self.label).format(stage=stage_words(self.stage)) if self.stage else _(self.label)

    @property
    def meaning_words(self) -> str:
        """What is counted, in the reader's language."""
        return _(self.meaning).format(stage=stage_words(self.stage)) if self.stage else _(self.meaning)

    def formatted(self, value: float, spread: bool = False) -> str:
        """The value as the tables show it; ``spread``: as a quantile over runs."""
        if value is None or math.isnan(value):
            return _("n/a")
        if self.unit == "share":
            return language.percent(value, 0 if spread else 1)
        return language.number(value / self.scale, _DECIMALS[self.unit][spread])

    def formatted_difference(self, value: float) -> str:
        """A difference of two values as the tables show it: shares apart in
        percentage points ("-23.0 pp"), not as a share of a share."""
        if self.unit == "share" and value is not None and not math.isnan(value):
            return _("{points} pp").format(points=language.number(100 * value, 1))
        return self.formatted(value)

    @property
    def table_label(self) -> str:
        """As a terminal table shows it: a breakdown indented under its column."""
        words = _(self.short) if self.part_of and self.short else self.words
        unit = f" ({_(_UNIT_WORDS[self.unit])})" if self.unit in _UNIT_WORDS else ""
        return ("  " if self.part_of else "") + words + unit


PROGRAMME = (
    Column("referred", "people", N_("Referred"), N_("referred and assessed at intake")),
    Column("not_accepted", "people", N_("Not accepted"), N_("refused at intake")),
    Column("turned_away", "people", N_("Turned away"), N_("accepted, but the waiting list was full"), -1),
    Column("reneged", "people", N_("Gave up waiting"), N_("gave up waiting"), -1),
    Column("started", "people", N_("Started a place"), N_("took up a place in the first stage"), +1),
    Column("mean_wait_months", "months", N_("Mean wait"), N_("from referral to start, among those who started"), -1),
    Column("dropped_out", "people", N_("Dropped out"), N_("left a stage early"), -1),
    Column("completed", "people", N_("Completed"), N_("went through the programme to its end"), +1),
    Column("completed_no_job", "people", N_("Completed without a job"), N_("completed, back to ordinary assistance")),
    Column("exited", "people", N_("Left the scope"), N_("completed, left the scope (moved, other benefit)")),
    Column("left_for_own_job", "people", N_("Left for a job of their own"),
           N_("left while waiting or in a stage: found work on their own")),
    Column("placed", "people", N_("Placed in paid work"), N_("found a job by the horizon"), +1),
    Column("placed_part_time", "people", N_("Placed part-time"), N_("of the placed, part-time"),
           part_of="placed", short=N_("of whom part-time")),
    Column("found_work_on_own", "people", N_("Found work on their own"),
           N_("found work without the programme's help (while waiting, in a stage or after)")),
    Column("found_work_without_programme", "people", N_("Found work on their own, without the programme"),
           N_("the same people without the programme: found work on their own"),
           part_of="found_work_on_own", short=N_("the same, without the programme")),
    Column("net_into_work", "people", N_("Net into work (programme effect)"),
           N_("those placed, plus those who found work on their own, less those who would have found work "
           "without the programme; those who left the scope counted as they would have been without it"), +1),
    Column("sustained", "people", N_("In work for the sustained period"),
           N_("placed and in work for at least the months that count as lasting"), +1),
    Column("back_on_benefit", "people", N_("Lost the job again"),
           N_("placed, then lost the job before the horizon"), -1),
    Column("employed_at_horizon", "people", N_("In work at the horizon"),
           N_("placed and still in work at the horizon")),
    Column("off_assistance", "people", N_("Placed and off assistance at the horizon"),
           N_("placed in a job that ends the benefit (full-time, or part-time earning at least the benefit under "
           "the part-time rules of the budget) and not back on assistance at the horizon"), +1),
    Column("waiting_at_horizon", "people", N_("Waiting at the horizon"), N_("still on the waiting list at the horizon"),
           -1),
    Column("in_programme_at_horizon", "people", N_("In the programme at the horizon"),
           N_("in a stage (or between stages) at the horizon")),
    Column("slot_utilisation", "share", N_("Places in use"),
           N_("place-months in use, as a share of those offered (stages with limited places only)"), +1),
)

MONEY = (
    Column("benefit_months_with", "months", N_("Benefit months with the programme"),
           N_("full-benefit months paid with the programme")),
    Column("benefit_months_without", "months", N_("Benefit months without the programme"), N_("the same without it")),
    Column("benefit_paid_with", "EUR", N_("Benefit paid with the programme"), N_("euros, undiscounted")),
    Column("benefit_paid_without", "EUR", N_("Benefit paid without the programme"), N_("euros, undiscounted")),
    Column("gross_savings", "EUR", N_("Gross benefit savings"),
           N_("benefit not paid while in work found through the programme"), +1),
    Column("net_savings", "EUR", N_("Net benefit savings"),
           N_("benefit paid without the programme, less benefit paid with it"), +1),
    Column("total_costs", "EUR", N_("Programme costs"), N_("all costs, undiscounted"), -1),
    Column("discounted_net_savings", "EUR", N_("Net benefit savings, discounted"),
           N_("net benefit savings, discounted")),
    Column("discounted_costs", "EUR", N_("Programme costs, discounted"), N_("programme costs, discounted")),
    Column("npv", "EUR", N_("Net present value"),
           N_("net benefit savings less programme costs, both discounted, over the months the money is counted"), +1),
    Column("npv_at_pilot_end", "EUR", N_("Net present value at the pilot's end"),
           N_("the same, counted only until intake ends (or until the programme is paid for, "
           "where the budget says so): where the continuation decision falls"), +1),
    Column("benefit_cost_ratio", "ratio", N_("Benefit-cost ratio"),
           N_("net benefit savings divided by programme costs, both discounted"), +1),
    Column("cost_per_placement", "EUR", N_("Cost per placement"), N_("programme costs divided by those placed")),
    Column("cost_per_net_placement", "EUR", N_("Cost per net placement"),
           N_("programme costs divided by the net into work"), -1),
    Column("break_even_month", "month", N_("Break-even month"),
           N_("first month at whose end the discounted net saving so far exceeds the discounted costs so far "
           "(empty: not by the last month counted)"), -1),
)

CASELOAD = (
    Column("left_assistance", "people", N_("Off assistance at the horizon"),
           N_("of the referred, off assistance at the horizon")),
    Column("caseload_inflow", "people", N_("New recipients (caseload)"), N_("new recipients in the caseload")),
    Column("caseload_other_outflow", "people", N_("Left for other reasons (caseload)"),
           N_("left the caseload for other reasons than the programme's work")),
    Column("fewer_recipients", "people", N_("Net fewer recipients"), N_("recipients fewer than without the programme")),
)

CASELOAD_MONEY = (
    Column("caseload_savings_per_year", "EUR", N_("Benefit a year of the fewer recipients"),
           N_("the benefit of the net fewer recipients, for a year"),
           part_of="fewer_recipients", short=N_("their benefit a year")),
)

#: What the monthly counts (timeseries) count, in words; each stage is
#: "In stage: <name>".
STATE_LABELS = {
    "waiting_list": N_("Waiting list"),
    "between_stages": N_("Waiting between stages"),
    "employed_full_time": N_("In work, full-time"),
    "employed_part_time": N_("In work, part-time"),
    "in_work_found_on_own": N_("In work, found on own"),
    "did_not_start": N_("Did not start (not accepted, list full, gave up waiting)"),
    "back_on_assistance": N_("Back on assistance (dropped out, no job at the end, job lost)"),
    "exited": N_("Left scope (moved, other benefit)"),
}

#: Shown after a run, in this order (when the run has them).
HEADLINE = ("referred", "started", "mean_wait_months", "dropped_out", "placed", "placed_part_time", "sustained",
            "back_on_benefit", "off_assistance", "found_work_on_own", "found_work_without_programme", "net_into_work",
            "slot_utilisation")
MONEY_HEADLINE = ("gross_savings", "net_savings", "total_costs", "npv_at_pilot_end", "npv", "benefit_cost_ratio",
                  "cost_per_net_placement", "break_even_month")
CASELOAD_HEADLINE = ("left_assistance", "caseload_inflow", "caseload_other_outflow", "fewer_recipients",
                     "caseload_savings_per_year")

_BY_NAME = {column.name: column for column in PROGRAMME + MONEY + CASELOAD + CASELOAD_MONEY}
_PER_STAGE = {
    "entered_": ("people", N_("Entered {stage}"), N_("people who entered stage {stage} by the horizon"), 0),
    "placed_from_": ("people", N_("Placed from {stage}"), N_("placements routed from stage {stage}"), 0),
    "mean_wait_before_": ("months", N_("Mean wait before {stage}"),
                          N_("months people moving on to stage {stage} waited for a place there (0 if one was free), "
                             "over those who got one by the horizon"), -1),
}


def names(columns: tuple[Column, ...]) -> tuple[str, ...]:
    return tuple(column.name for column in columns)


def column(name: str) -> Column:
    """The column called ``name``, a per-stage one included."""
    if name in _BY_NAME:
        return _BY_NAME[name]
    for prefix, (unit, label, meaning, better) in _PER_STAGE.items():
        if name.startswith(prefix) and len(name) > len(prefix):
            return Column(name, unit, label, meaning, better, stage=name[len(prefix):])
    raise KeyError(f"unknown outcome '{name}'")


def is_known(name: str) -> bool:
    """A column of some scenario (per-stage columns are checked against a
    scenario where it is known)."""
    try:
        column(name)
    except KeyError:
        return False
    return True


def stage_columns(scenario: Scenario) -> tuple[str, ...]:
    """Per stage: people who entered it by the horizon, and placements routed
    from it; then, per stage people wait to move on to, the mean wait."""
    return (tuple(name for stage in scenario.stages for name in (f"entered_{stage}", f"placed_from_{stage}"))
            + tuple(f"mean_wait_before_{stage}" for stage in waited_for_between_stages(scenario)))


def waited_for_between_stages(scenario: Scenario) -> tuple[str, ...]:
    """Stages with limited places that a route leads to: people may wait for them between stages."""
    reached = {destination for stage in scenario.stages.values() for destination in stage.routes}
    return tuple(name for name, stage in scenario.stages.items() if stage.slots is not None and name in reached)


def stage_words(stage: str) -> str:
    """A stage's name as a reader says it: job_search is "job search"."""
    return stage.replace("_", " ")


def state_label(state: str) -> str:
    """Where people are, in the reader's language."""
    if state in STATE_LABELS:
        return _(STATE_LABELS[state])
    return _("In stage: {stage}").format(stage=stage_words(state))


def outcome_names(scenario: Scenario) -> tuple[str, ...]:
    """The columns of replications.csv for this scenario."""
    money = MONEY if scenario.budget is not None else ()
    caseload = CASELOAD if scenario.caseload is not None else ()
    caseload_money = CASELOAD_MONEY if scenario.caseload is not None and scenario.budget is not None else ()
    return names(PROGRAMME) + stage_columns(scenario) + names(money + caseload + caseload_money)


def unknown_outcomes(scenario: Scenario, outcomes: list[str]) -> list[Problem]:
    """One problem for each requested outcome this scenario does not have."""
    known = outcome_names(scenario)
    return [Problem("--outcome", None, None, outcome, _("not an outcome of this scenario; known: {known}").format(
        known=", ".join(known)))
            for outcome in outcomes if outcome not in known]
