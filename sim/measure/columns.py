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

from dataclasses import dataclass

from sim.errors import Problem
from sim.scenario.schema import Scenario

#: How each unit is shown: the mean (and its interval), and the spread over
#: runs, where whole people are shown without decimals. Euros are shown in
#: thousands.
_FORMATS = {
    "people": ("{:.1f}", "{:.0f}"),
    "months": ("{:.2f}", "{:.2f}"),
    "month": ("{:.1f}", "{:.0f}"),
    "share": ("{:.1%}", "{:.0%}"),
    "ratio": ("{:.2f}", "{:.2f}"),
    "EUR": ("{:,.0f}k", "{:,.0f}k"),
}


@dataclass(frozen=True)
class Column:
    name: str
    unit: str          # people, months (a duration), month (a moment), share, ratio, EUR
    label: str         # in words, for tables and figures
    meaning: str       # what exactly is counted
    better: int = 0    # +1: more is better, -1: less is better, 0: neither
    part_of: str | None = None  # a column it breaks down (shown indented under it)
    short: str | None = None    # its label when shown under ``part_of``

    @property
    def whole_people(self) -> bool:
        """Counted in people (the programme's own counts are stored as
        integers; the caseload's, which come from its flows, as floats)."""
        return self.unit == "people"

    @property
    def scale(self) -> float:
        """What the shown figures are divided by (euros are shown in thousands)."""
        return 1000.0 if self.unit == "EUR" else 1.0

    def formatted(self, value: float, spread: bool = False) -> str:
        """The value as the tables show it; ``spread``: as a quantile over runs."""
        return _FORMATS[self.unit][spread].format(value / self.scale)

    @property
    def table_label(self) -> str:
        """As a terminal table shows it: a breakdown indented under its column."""
        words = self.short if self.part_of and self.short else self.label
        unit = f" ({self.unit})" if self.unit in ("EUR", "months") else ""
        return ("  " if self.part_of else "") + words + unit


PROGRAMME = (
    Column("referred", "people", "Referred", "referred and assessed at intake"),
    Column("not_accepted", "people", "Not accepted", "refused at intake"),
    Column("turned_away", "people", "Turned away", "accepted, but the waiting list was full", -1),
    Column("reneged", "people", "Gave up waiting", "gave up waiting", -1),
    Column("started", "people", "Started a place", "took up a place in the first stage", +1),
    Column("mean_wait_months", "months", "Mean wait", "from referral to start, among those who started", -1),
    Column("dropped_out", "people", "Dropped out", "left a stage early", -1),
    Column("completed", "people", "Completed", "went through the programme to its end", +1),
    Column("completed_no_job", "people", "Completed without a job", "completed, back to ordinary assistance"),
    Column("exited", "people", "Left the scope", "completed, left the scope (moved, other benefit)"),
    Column("left_for_own_job", "people", "Left for a job of their own",
           "left while waiting or in a stage: found work on their own"),
    Column("placed", "people", "Placed in paid work", "found a job by the horizon", +1),
    Column("placed_part_time", "people", "Placed part-time", "of the placed, part-time",
           part_of="placed", short="of whom part-time"),
    Column("found_work_on_own", "people", "Found work on their own",
           "found work without the programme's help (while waiting, in a stage or after)"),
    Column("found_work_without_programme", "people", "Found work on their own, without the programme",
           "the same people without the programme: found work on their own",
           part_of="found_work_on_own", short="the same, without the programme"),
    Column("net_into_work", "people", "Net into work (programme effect)",
           "placed + found_work_on_own - found_work_without_programme, those who left the scope counted "
           "as they would have been without the programme", +1),
    Column("sustained", "people", "In work for the sustained period",
           "in work for at least employment.sustained_months", +1),
    Column("back_on_benefit", "people", "Lost the job again", "placed, then lost the job before the horizon", -1),
    Column("employed_at_horizon", "people", "In work at the horizon", "placed and still in work at the horizon"),
    Column("off_assistance", "people", "Placed and off assistance at the horizon",
           "placed in a job that ends the benefit (full-time, or part-time earning at least the benefit under "
           "budget.part_time_work) and not back on assistance at the horizon", +1),
    Column("waiting_at_horizon", "people", "Waiting at the horizon", "still on the waiting list at the horizon",
           -1),
    Column("in_programme_at_horizon", "people", "In the programme at the horizon",
           "in a stage (or between stages) at the horizon"),
    Column("slot_utilisation", "share", "Places in use", "place-months used / offered, limited stages only", +1),
)

MONEY = (
    Column("benefit_months_with", "months", "Benefit months with the programme",
           "full-benefit months paid with the programme"),
    Column("benefit_months_without", "months", "Benefit months without the programme", "the same without it"),
    Column("benefit_paid_with", "EUR", "Benefit paid with the programme", "euros, undiscounted"),
    Column("benefit_paid_without", "EUR", "Benefit paid without the programme", "euros, undiscounted"),
    Column("gross_savings", "EUR", "Gross benefit savings",
           "benefit not paid while in work found through the programme", +1),
    Column("net_savings", "EUR", "Net benefit savings", "benefit_paid_without - benefit_paid_with", +1),
    Column("total_costs", "EUR", "Programme costs", "all costs, undiscounted", -1),
    Column("discounted_net_savings", "EUR", "Net benefit savings, discounted", "net_savings, discounted"),
    Column("discounted_costs", "EUR", "Programme costs, discounted", "total_costs, discounted"),
    Column("npv", "EUR", "Net present value", "discounted_net_savings - discounted_costs, counted until "
           "budget.count_until_month", +1),
    Column("npv_at_pilot_end", "EUR", "Net present value at the pilot's end",
           "the same, counted only until intake ends (referrals.until_month) or "
           "budget.programme_until_month: where the continuation decision falls", +1),
    Column("benefit_cost_ratio", "ratio", "Benefit-cost ratio", "discounted_net_savings / discounted_costs", +1),
    Column("cost_per_placement", "EUR", "Cost per placement", "total_costs / placed"),
    Column("cost_per_net_placement", "EUR", "Cost per net placement", "total_costs / net_into_work", -1),
    Column("break_even_month", "month", "Break-even month",
           "first month at whose end the discounted net saving so far exceeds the discounted costs so far "
           "(empty: not by the last month counted)", -1),
)

CASELOAD = (
    Column("left_assistance", "people", "Off assistance at the horizon",
           "of the referred, off assistance at the horizon"),
    Column("caseload_inflow", "people", "New recipients (caseload)", "new recipients in the caseload"),
    Column("caseload_other_outflow", "people", "Left for other reasons (caseload)",
           "left the caseload for other reasons than the programme's work"),
    Column("fewer_recipients", "people", "Net fewer recipients", "recipients fewer than without the programme"),
)

CASELOAD_MONEY = (
    Column("caseload_savings_per_year", "EUR", "Benefit a year of the fewer recipients",
           "the benefit of the net fewer recipients, for a year",
           part_of="fewer_recipients", short="their benefit a year"),
)

#: What the monthly counts (timeseries) count, in words; each stage is
#: "In stage: <name>".
STATE_LABELS = {
    "waiting_list": "Waiting list",
    "between_stages": "Waiting between stages",
    "employed_full_time": "In work, full-time",
    "employed_part_time": "In work, part-time",
    "in_work_found_on_own": "In work, found on own",
    "back_on_assistance": "Back on ordinary assistance",
    "exited": "Left scope (moved, other benefit)",
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
    "entered_": ("people", "Entered {stage}", "people who entered stage {stage} by the horizon", 0),
    "placed_from_": ("people", "Placed from {stage}", "placements routed from stage {stage}", 0),
    "mean_wait_before_": ("months", "Mean wait before {stage}",
                          "months people moving on to stage {stage} waited for a place there (0 if one was free), "
                          "over those who got one by the horizon", -1),
}


def names(columns: tuple[Column, ...]) -> tuple[str, ...]:
    return tuple(column.name for column in columns)


def column(name: str) -> Column:
    """The column called ``name``, a per-stage one included."""
    if name in _BY_NAME:
        return _BY_NAME[name]
    for prefix, (unit, label, meaning, better) in _PER_STAGE.items():
        if name.startswith(prefix) and len(name) > len(prefix):
            stage = name[len(prefix):]
            return Column(name, unit, label.format(stage=stage), meaning.format(stage=stage), better)
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


def state_label(state: str) -> str:
    return STATE_LABELS.get(state, f"In stage: {state.replace('_', ' ')}")


def outcome_names(scenario: Scenario) -> tuple[str, ...]:
    """The columns of replications.csv for this scenario."""
    money = MONEY if scenario.budget is not None else ()
    caseload = CASELOAD if scenario.caseload is not None else ()
    caseload_money = CASELOAD_MONEY if scenario.caseload is not None and scenario.budget is not None else ()
    return names(PROGRAMME) + stage_columns(scenario) + names(money + caseload + caseload_money)


def unknown_outcomes(scenario: Scenario, outcomes: list[str]) -> list[Problem]:
    """One problem for each requested outcome this scenario does not have."""
    known = outcome_names(scenario)
    return [Problem("--outcome", None, None, outcome, f"not an outcome of this scenario; known: {', '.join(known)}")
            for outcome in outcomes if outcome not in known]
