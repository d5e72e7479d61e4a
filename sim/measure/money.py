"""Money: what the programme costs, what it saves on benefits, and whether it
pays for itself, from the client records of one replication.

It reads only the client columns (``sim.measure.outcomes.client_columns``, or a
saved ``clients.parquet``), never the model, so budget figures can change
without rerunning the simulation, and a run and ``pilotsim budget`` give the
same answer. ``docs/budget.md`` explains every figure in plain words.

Benefit is integrated month by month over each person's time on assistance,
from referral to the horizon (before referral both worlds pay the same):

- with the programme: until they are placed, find work on their own or
  leave the scope; not while in a stage that does not pay benefit; part of
  it while in part-time work; all of it again after losing a job;
- without it: until the job they would have found on their own, likewise.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from sim.measure import columns
from sim.model.states import FINAL_STATES
from sim.scenario.schema import Scenario

#: Columns added to replications.csv for a scenario with a budget.
MONEY_OUTCOMES = columns.names(columns.MONEY)

#: Columns of the monthly cashflow, per replication and month.
CASHFLOW = ("benefit_with", "benefit_without", "net_savings", "costs", "discounted_net")

_EXITED = FINAL_STATES.index("exited")


def account(scenario: Scenario, clients: Mapping[str, np.ndarray]) -> tuple[dict[str, float], np.ndarray]:
    """Money outcomes of one replication and its monthly cashflow
    ([month, CASHFLOW], month m covering [m, m + 1))."""
    budget = scenario.budget
    if budget is None:
        raise ValueError(f"scenario {scenario.name} has no budget section")
    month_count = int(math.ceil(scenario.horizon_months))
    edges = np.minimum(np.arange(month_count + 1, dtype=float), scenario.horizon_months)
    c = {name: _as_times(values) for name, values in clients.items()}

    months_with = _benefit_months(scenario, c, edges, with_programme=True)
    months_without = _benefit_months(scenario, c, edges, with_programme=False)
    per_month = _benefit_per_month(scenario, month_count)
    benefit_with, benefit_without = months_with * per_month, months_without * per_month
    costs = _costs(scenario, c, edges)
    net = benefit_without - benefit_with
    discount = (1 + budget.discount_rate) ** (-np.arange(month_count) / 12)
    cumulative = np.cumsum((net - costs) * discount)

    placed = int(np.isfinite(c["job_start"]).sum())
    net_into_work = (placed + int(np.isfinite(c["own_job_start"]).sum())
                     - int(np.isfinite(c["counterfactual_job_start"]).sum()))
    total_costs = float(costs.sum())
    discounted_net, discounted_costs = float((net * discount).sum()), float((costs * discount).sum())
    paying = np.flatnonzero(cumulative > 0)
    money = {
        "benefit_months_with": float(months_with.sum()),
        "benefit_months_without": float(months_without.sum()),
        "benefit_paid_with": float(benefit_with.sum()),
        "benefit_paid_without": float(benefit_without.sum()),
        "gross_savings": float((_gross_months(scenario, c, edges) * per_month).sum()),
        "net_savings": float(net.sum()),
        "total_costs": total_costs,
        "discounted_net_savings": discounted_net,
        "discounted_costs": discounted_costs,
        "npv": discounted_net - discounted_costs,
        "benefit_cost_ratio": discounted_net / discounted_costs if discounted_costs > 0 else math.nan,
        "cost_per_placement": total_costs / placed if placed > 0 else math.nan,
        "cost_per_net_placement": total_costs / net_into_work if net_into_work > 0 else math.nan,
        "break_even_month": float(paying[0]) if len(paying) else math.nan,
    }
    cashflow = np.column_stack([benefit_with, benefit_without, net, costs, (net - costs) * discount])
    return money, cashflow


def calendar_years(scenario: Scenario) -> np.ndarray:
    """The calendar year of each month of the cashflow."""
    budget = scenario.budget
    month_index = budget.start_month_of_year - 1 + np.arange(int(math.ceil(scenario.horizon_months)))
    return budget.start_year + month_index // 12


# --- benefit -----------------------------------------------------------------


def _benefit_months(scenario: Scenario, c: dict, edges: np.ndarray, with_programme: bool) -> np.ndarray:
    """Full-benefit months paid in each month, summed over people."""
    referral = c["referral_time"]
    if with_programme:
        job_start, job_end, part_time = _job_with_programme(c)
        off_from = np.minimum(job_start, np.where(c["final_state"] == _EXITED, c["exit_time"], np.inf))
    else:
        job_start, job_end = c["counterfactual_job_start"], c["counterfactual_job_end"]
        part_time, off_from = c["counterfactual_part_time"].astype(bool), job_start
    months = _months_in(edges, referral, off_from)
    months += _months_in(edges, job_end, np.inf)  # back on assistance after losing the job
    months += _part_time_benefit(scenario, edges, job_start, job_end, part_time)
    if with_programme:
        for name, stage in scenario.stages.items():
            if not stage.on_benefit:  # paid work in the programme: no benefit meanwhile
                months -= _months_spread(edges, c[f"{name}_start"], c[f"{name}_end"], c[f"{name}_months"])
    return months


def _job_with_programme(c: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The one job each person has with the programme: placed, or found on their own."""
    placed = np.isfinite(c["job_start"])
    return (np.where(placed, c["job_start"], c["own_job_start"]),
            np.where(placed, c["job_end"], c["own_job_end"]),
            np.where(placed, c["part_time"], c["own_part_time"]).astype(bool))


def _part_time_benefit(scenario: Scenario, edges: np.ndarray, start: np.ndarray, end: np.ndarray,
                       part_time: np.ndarray) -> np.ndarray:
    """Benefit months a part-time worker still receives."""
    rule = scenario.budget.part_time_work
    start, end = start[part_time], end[part_time]
    if rule.earnings_per_month is None:
        return rule.kept_share * _months_in(edges, start, end)
    # Benefit less earnings; for the first months part of the earnings is exempt.
    benefit = scenario.budget.benefit.mean_per_month
    if benefit == 0:  # no benefit: none to keep
        return np.zeros_like(_months_in(edges, start, end))
    exemption = min(rule.exemption_share * rule.earnings_per_month, rule.exemption_cap_per_month)
    kept_exempt = max(0.0, 1 - (rule.earnings_per_month - exemption) / benefit)
    kept_after = max(0.0, 1 - rule.earnings_per_month / benefit)
    exemption_ends = np.minimum(start + rule.exemption_months, end)
    return kept_exempt * _months_in(edges, start, exemption_ends) + kept_after * _months_in(edges, exemption_ends, end)


def _gross_months(scenario: Scenario, c: dict, edges: np.ndarray) -> np.ndarray:
    """Benefit months not paid while in work found through the programme: the
    single-number spreadsheet's saving, before asking what would have
    happened anyway."""
    start, end, part_time = c["job_start"], c["job_end"], c["part_time"].astype(bool)
    in_work = _months_in(edges, start, end)
    return in_work - _part_time_benefit(scenario, edges, start, end, part_time)


def _benefit_per_month(scenario: Scenario, month_count: int) -> np.ndarray:
    """Euros per full-benefit month, indexed each January, plus administration."""
    benefit = scenario.budget.benefit
    years_on = calendar_years(scenario) - scenario.budget.start_year
    indexed = benefit.mean_per_month * (1 + benefit.indexation_per_year) ** years_on
    return indexed + benefit.administration_per_month


# --- costs -------------------------------------------------------------------


def _costs(scenario: Scenario, c: dict, edges: np.ndarray) -> np.ndarray:
    costs_spec = scenario.budget.costs
    month_count = len(edges) - 1
    costs = np.zeros(month_count)
    costs += costs_spec.per_participant * _counts_in(edges, c["start_time"])
    costs += costs_spec.per_placement * _counts_in(edges, c["job_start"])
    subsidy_ends = np.minimum(c["job_start"] + costs_spec.wage_subsidy_months, c["job_end"])
    costs += costs_spec.wage_subsidy_per_month * _months_in(edges, c["job_start"], subsidy_ends)
    for name, cost in costs_spec.per_stage_month.items():
        costs += cost * _months_spread(edges, c[f"{name}_start"], c[f"{name}_end"], c[f"{name}_months"])
    running = _months_in(edges, np.array([scenario.referrals.from_month]), np.array([_programme_end(scenario, c)]))
    places = sum(stage.slots for stage in scenario.stages.values() if stage.slots)
    costs += (costs_spec.fixed_per_month + places * costs_spec.per_place_per_month) * running
    return costs


def _programme_end(scenario: Scenario, c: dict) -> float:
    """When the programme stops paying for places and running costs: as the
    budget says, or when the last participant leaves a stage."""
    if scenario.budget.programme_until_month is not None:
        return min(scenario.budget.programme_until_month, scenario.horizon_months)
    # Only people who were in a stage; an end of inf means still there at the horizon.
    ends = [c[f"{name}_end"][np.isfinite(c[f"{name}_start"])] for name in scenario.stages]
    last = max((float(np.max(end)) for end in ends if len(end)), default=scenario.referrals.from_month)
    return min(last, scenario.horizon_months)


# --- time helpers ------------------------------------------------------------


def _months_in(edges: np.ndarray, starts: np.ndarray, ends: np.ndarray,
               weights: np.ndarray | None = None) -> np.ndarray:
    """Summed length of the intervals [start, end) falling in each month,
    each interval counted ``weights`` times (default once)."""
    starts = np.asarray(starts, dtype=float)
    ends = np.broadcast_to(np.asarray(ends, dtype=float), starts.shape)
    valid = np.isfinite(starts) & (ends > starts)
    starts, ends = starts[valid], ends[valid]
    # Time covered up to each edge, summed over intervals; its differences are the months.
    covered = np.minimum(edges, ends[:, None]) - starts[:, None]
    np.maximum(covered, 0, out=covered)
    totals = covered.sum(axis=0) if weights is None else np.asarray(weights)[valid] @ covered
    return totals[1:] - totals[:-1]


def _months_spread(edges: np.ndarray, first: np.ndarray, last: np.ndarray, total: np.ndarray) -> np.ndarray:
    """``total`` months spent somewhere between ``first`` and ``last``, spread
    evenly (exact for a single stay, an approximation for repeated stays)."""
    last = np.minimum(last, edges[-1])
    span = last - first
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(span > 0, total / span, 0.0)
    return _months_in(edges, first, last, share)


def _counts_in(edges: np.ndarray, times: np.ndarray) -> np.ndarray:
    times = times[np.isfinite(times)]
    return np.histogram(times, bins=edges)[0].astype(float)


def _as_times(values: np.ndarray) -> np.ndarray:
    """Saved tables write 'not before the horizon' as NaN; here it is inf."""
    values = np.asarray(values)
    return np.where(np.isnan(values), np.inf, values) if values.dtype.kind == "f" else values
