"""Money: what the programme costs, what it saves on benefits, and whether it
pays for itself, from the client records of a replication (or of a chunk of
them at once, each replication's sums its own).

It reads only the client columns (``sim.measure.outcomes.client_columns``, or a
saved ``clients.parquet``), never the model, so budget figures can change
without rerunning the simulation, and a run and ``pilotsim budget`` give the
same answer. ``docs/budget.md`` explains every figure in plain words and
where each rule comes from.

Each person is followed twice, on the same draws, from referral until the
money stops being counted (``budget.count_until_month``, default the horizon):

- with the programme: on assistance until placed or finding work on their
  own; not while in a stage that does not pay benefit; part of it while in
  part-time work; again after losing a job (after unemployment insurance,
  when the job lasted long enough). Someone routed to ``exit`` is from then
  on counted as they would have been without the programme, unless the
  budget claims exits as the programme's effect;
- without it: on assistance until the job they would have found on their
  own, likewise.

In both worlds a person who leaves assistance for other reasons (moving,
retirement, a partner's income) costs nothing from that moment on.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from sim import language
from sim.language import N_, _
from sim.measure import columns
from sim.measure.outcomes import assistance_resumes
from sim.model.states import FINAL_STATES
from sim.scenario.schema import Scenario

#: Columns added to replications.csv for a scenario with a budget.
MONEY_OUTCOMES = columns.names(columns.MONEY)

#: Columns of the monthly cashflow, per replication and month.
CASHFLOW = ("benefit_with", "benefit_without", "net_savings", "costs", "discounted_net")


_EXITED = FINAL_STATES.index("exited")

_NEEDS_COSTS = ("total_costs", "discounted_costs", "npv", "npv_at_pilot_end", "benefit_cost_ratio",
                "cost_per_placement", "cost_per_net_placement", "break_even_month")
_NEEDS_COUNTERFACTUAL = ("benefit_months_without", "benefit_paid_without", "net_savings",
                         "discounted_net_savings", "npv", "npv_at_pilot_end", "benefit_cost_ratio",
                         "cost_per_net_placement", "break_even_month")
# Kept in English in summary.json (data), shown in the reader's language.
NO_COSTS = N_("not estimated: the scenario gives no costs (budget.costs)")
NO_COUNTERFACTUAL = N_("not estimated: the scenario does not say what would happen without the programme "
                       "(counterfactual)")


def not_estimated(scenario: Scenario) -> dict[str, str]:
    """Outcomes this scenario cannot estimate, each with the reason: the
    world without the programme when the scenario does not describe it, and
    money that needs costs it does not give. They are empty (NaN) in every
    table and shown as "not estimated", never as zero."""
    reasons = {}
    if scenario.counterfactual is None:
        needed = ("found_work_without_programme", "net_into_work")
        if scenario.budget is not None:
            needed += _NEEDS_COUNTERFACTUAL
        reasons |= dict.fromkeys(needed, NO_COUNTERFACTUAL)
    if scenario.budget is not None and scenario.budget.costs is None:
        reasons |= {name: NO_COSTS for name in _NEEDS_COSTS if name not in reasons}
    until = None if scenario.budget is None else scenario.budget.count_until_month
    if until is not None and until < pilot_end_month(scenario):
        reasons.setdefault("npv_at_pilot_end", f"not estimated: money is counted only until month {until:g}, "
                                               f"before the pilot's end (month {pilot_end_month(scenario):g})")
    if until is not None and until < scenario.horizon_months:
        for name in ("cost_per_placement", "cost_per_net_placement"):
            reasons.setdefault(name, f"not estimated: costs are counted until month {until:g}, placements until "
                                     f"the horizon (month {scenario.horizon_months:g})")
    return reasons


#: The outcomes whose means add up to the people still waiting or in a stage
#: at the horizon, for ``money_warnings``.
STILL_THERE = ("waiting_at_horizon", "in_programme_at_horizon")


def money_warnings(scenario: Scenario, still_there_at_horizon: float = 0.0) -> list[str]:
    """What a reader of the money should know the figures leave out, one
    line each; ``still_there_at_horizon``: people (mean over runs) waiting or
    in a stage at the horizon."""
    budget = scenario.budget
    if budget is None:
        return []
    warnings = []
    costed = budget.costs.per_stage_month if budget.costs is not None else {}
    for name, stage in scenario.stages.items():
        if not stage.on_benefit and name not in costed:
            warnings.append(_("stage {stage} pays a wage (on_benefit: false) but budget.costs.per_stage_month "
                              "gives no cost for it: the wage is not counted, only the benefit it replaces").format(
                stage=name))
    until = count_until_month(scenario)
    if until > scenario.horizon_months and still_there_at_horizon >= 0.5:  # at least one person, rounded
        warnings.append(_("{people} people (mean over runs) are still waiting or in a stage at month {horizon}: "
                          "from then until month {until} they stay there, at no programme cost, finding work only on "
                          "their own; a longer horizon_months follows them through").format(
            people=language.number(still_there_at_horizon, 1), horizon=f"{scenario.horizon_months:g}",
            until=f"{until:g}"))
    return warnings


def count_until_month(scenario: Scenario) -> float:
    """Money is counted from month 0 until this month."""
    until = scenario.budget.count_until_month
    return scenario.horizon_months if until is None else until


def later_than(scenario: Scenario, with_uncertainty: bool = False) -> dict[str, float]:
    """Outcomes whose empty values mean "not by the last month counted",
    with that month (when each run draws its own: the latest of them)."""
    if scenario.budget is None or "break_even_month" in not_estimated(scenario):
        return {}
    drawn = drawn_count_until(scenario, with_uncertainty)
    return {"break_even_month": count_until_month(scenario) if drawn is None else drawn[1]}


def drawn_count_until(scenario: Scenario, with_uncertainty: bool) -> tuple[float, float] | None:
    """The lowest and highest month money can be counted until when each run
    draws it (``budget.count_until_month`` under ``uncertain:``), else None."""
    drawn = scenario.uncertain.get("budget.count_until_month")
    if not with_uncertainty or drawn is None:
        return None
    from sim.scenario.uncertain import HIGHEST_QUANTILE

    low, high = drawn.ppf(np.array([1 - HIGHEST_QUANTILE, HIGHEST_QUANTILE]))
    return float(low), float(high)


def months_counted_in_words(scenario: Scenario, with_uncertainty: bool) -> str:
    """"the end of Oct 2026 (month 60)", or "the month drawn for each run (36 to 84)"."""
    drawn = drawn_count_until(scenario, with_uncertainty)
    if drawn is None:
        return language.moment(scenario.calendar_start, count_until_month(scenario))
    return _("the month drawn for each run ({low} to {high})").format(low=language.number(drawn[0]),
                                                                      high=language.number(drawn[1]))


def prices_in_words(scenario: Scenario) -> str:
    """Which euros the amounts are in."""
    benefit = scenario.budget.benefit
    if benefit.indexation_per_year == 0:
        return _("{year} prices").format(year=benefit.norm_year)
    return _("euros of each year (benefit indexed {rise} a year)").format(
        rise=language.percent(benefit.indexation_per_year, 1))


def pilot_end_month(scenario: Scenario) -> float:
    """When the pilot itself ends, where the continuation decision falls:
    when the programme stops paying (``budget.programme_until_month``), else
    when intake ends."""
    until = scenario.budget.programme_until_month
    return scenario.intake_until_month if until is None else until


def cashflow_months(scenario: Scenario) -> int:
    """Months in the cashflow: up to the last month counted, or, when that
    month is itself uncertain, the latest it can be drawn (every replication
    has the same months, zero after its own)."""
    until = count_until_month(scenario)
    drawn = scenario.uncertain.get("budget.count_until_month")
    if drawn is not None:
        from sim.scenario.uncertain import HIGHEST_QUANTILE

        until = max(until, float(drawn.ppf(np.array([HIGHEST_QUANTILE]))[0]))
    return int(math.ceil(until))


def calendar_years(scenario: Scenario) -> np.ndarray:
    """The calendar year of each month of the cashflow."""
    month_index = scenario.start_month_of_year - 1 + np.arange(cashflow_months(scenario))
    return scenario.start_year + month_index // 12


def account(scenario: Scenario, clients: Mapping[str, np.ndarray], months: int | None = None,
            kept_open: tuple[np.ndarray, ...] | None = None) -> tuple[dict[str, float], np.ndarray]:
    """Money outcomes of one replication and its monthly cashflow
    ([month, CASHFLOW], month m covering [m, m + 1)); ``months``: the length
    of the cashflow when the scenario is one draw of an uncertain one;
    ``kept_open``: places a schedule closed that stayed open for the people
    in them (``sim.measure.places.kept_open_in_run``), paid for as places."""
    in_replication = np.zeros(len(clients["referral_time"]), dtype=np.int64)
    if kept_open is not None:
        kept_open = (*kept_open, np.zeros(len(kept_open[0]), dtype=np.int64))
    money, cashflow = account_chunk(scenario, clients, in_replication, 1, months, kept_open)
    return {name: float(values[0]) for name, values in money.items()}, cashflow[0]


def account_chunk(scenario: Scenario, clients: Mapping[str, np.ndarray], replication_of: np.ndarray,
                  replications: int, months: int | None = None,
                  kept_open: tuple[np.ndarray, ...] | None = None) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """``account`` for consecutive replications at once: ``replication_of``
    gives each client's replication (0 to ``replications`` - 1); money
    outcomes one value per replication, cashflow [replication, month,
    CASHFLOW]; ``kept_open``: (since, until, places, replication).

    Each replication's sums are its own people's, added in the same order
    whatever else is in the chunk, so a replication accounted alone (as
    ``pilotsim budget`` does under uncertainty) gets the same figures to the
    last bit."""
    budget = scenario.budget
    if budget is None:
        raise ValueError(f"scenario {scenario.name} has no budget section")
    month_count = cashflow_months(scenario) if months is None else months
    grid = _MonthGrid(month_count, count_until_month(scenario), replications)
    window = _Window(scenario, {name: _as_times(values) for name, values in clients.items()},
                     np.asarray(replication_of, dtype=np.int64), grid, kept_open)
    c = window.clients

    benefit, administration = _per_month(scenario, month_count)
    with_months, with_cases = _to_the_second(*window.with_programme())
    without_months, without_cases = _to_the_second(*window.without_programme(c["referral_time"]))
    # In cents: the two worlds are summed apart, and a programme that
    # changes nothing must save exactly nothing, not a rounding error that
    # would "break even" or "pay for itself".
    benefit_with = _cents(with_months * benefit + with_cases * administration)
    benefit_without = _cents(without_months * benefit + without_cases * administration)
    gross_months, gross_cases = window.gross()
    costs = _cents(window.costs())
    net = _cents(benefit_without - benefit_with)
    discount = (1 + budget.discount_rate) ** (-np.arange(month_count) / 12)
    cumulative = np.cumsum((net - costs) * discount, axis=1)

    horizon = scenario.horizon_months
    placed = window.people(np.isfinite(c["job_start"]))
    net_into_work = placed + window.people(c["own_job_start"] <= horizon) - window.people(
        c["counterfactual_job_start"] <= horizon)
    total_costs = costs.sum(axis=1)
    discounted_net, discounted_costs = (net * discount).sum(axis=1), (costs * discount).sum(axis=1)
    paying = cumulative > 0
    pilot_months = min(int(math.ceil(pilot_end_month(scenario))), month_count)
    with np.errstate(invalid="ignore", divide="ignore"):
        money = {
            "benefit_months_with": with_months.sum(axis=1),
            "benefit_months_without": without_months.sum(axis=1),
            "benefit_paid_with": benefit_with.sum(axis=1),
            "benefit_paid_without": benefit_without.sum(axis=1),
            "gross_savings": _cents(gross_months * benefit + gross_cases * administration).sum(axis=1),
            "net_savings": net.sum(axis=1),
            "total_costs": total_costs,
            "discounted_net_savings": discounted_net,
            "discounted_costs": discounted_costs,
            "npv": discounted_net - discounted_costs,
            "npv_at_pilot_end": cumulative[:, pilot_months - 1] if pilot_months > 0 else np.zeros(replications),
            "benefit_cost_ratio": np.where(discounted_costs > 0, discounted_net / discounted_costs, math.nan),
            "cost_per_placement": np.where(placed > 0, total_costs / placed, math.nan),
            "cost_per_net_placement": np.where(net_into_work > 0, total_costs / net_into_work, math.nan),
            # Counted at the end of the month, as the cumulative plot shows it:
            # 1 is the end of the first month. Empty: not by the last month counted.
            "break_even_month": np.where(paying.any(axis=1), paying.argmax(axis=1) + 1.0, math.nan),
        }
    for name in not_estimated(scenario).keys() & money.keys():
        money[name] = np.full(replications, math.nan)
    cashflow = np.stack([benefit_with, benefit_without, net, costs, (net - costs) * discount], axis=2)
    return money, cashflow


def _per_month(scenario: Scenario, month_count: int) -> tuple[np.ndarray, np.ndarray]:
    """Euros per benefit month (indexed each January) and the administration
    saved per month someone is no longer a case."""
    budget = scenario.budget
    benefit = budget.benefit
    month_index = scenario.start_month_of_year - 1 + np.arange(month_count)
    indexed = benefit.mean_per_month * (1 + benefit.indexation_per_year) ** (month_index // 12)
    return indexed, np.full(month_count, benefit.administration_saved_per_month)


class _MonthGrid:
    """Calendar months 0 to ``count`` - 1, counted until ``until`` (a month
    cut short there, none after it), for ``replications`` replications: the
    sums below are [replication, month]."""

    def __init__(self, count: int, until: float, replications: int):
        self.count, self.replications = count, replications
        self.top = min(float(until), float(count))  # where counting stops

    def months_in(self, starts: np.ndarray, ends: np.ndarray, replication_of: np.ndarray,
                  weights: np.ndarray | float | None = None) -> np.ndarray:
        """Summed length of the intervals [start, end) falling in each month,
        each interval counted ``weights`` times (default once), per replication.

        Each interval adds its part of the first and last month it touches
        and a whole month to each month between (as steps summed along the
        months), so the cost grows with the people, not people times months."""
        starts = np.asarray(starts, dtype=float)
        known = np.isfinite(starts)  # an interval that never starts counts for nothing
        starts = np.maximum(starts, 0.0)
        ends = np.minimum(np.broadcast_to(np.asarray(ends, dtype=float), starts.shape), self.top)
        valid = known & (ends > starts)
        starts, ends, replication_of = starts[valid], ends[valid], replication_of[valid]
        weights = (np.ones(len(starts)) if weights is None
                   else np.broadcast_to(np.asarray(weights, dtype=float), valid.shape)[valid])
        first, last = np.floor(starts).astype(np.int64), np.floor(ends).astype(np.int64)
        same = first == last
        row = replication_of * (self.count + 1)
        parts = self._per_month(np.concatenate([row + first, row + last]), np.concatenate([
            weights * np.where(same, ends - starts, first + 1 - starts),
            weights * np.where(same, 0.0, ends - last)]))
        between = last > first + 1  # whole months from first + 1 to last - 1
        steps = self._per_month(np.concatenate([row[between] + first[between] + 1, row[between] + last[between]]),
                                np.concatenate([weights[between], -weights[between]]))
        return (parts + np.cumsum(steps, axis=1))[:, : self.count]

    def events_in(self, times: np.ndarray, replication_of: np.ndarray) -> np.ndarray:
        """Events at ``times`` per month, within the months counted, per replication."""
        counted = np.isfinite(times) & (times >= 0) & (times < self.top)
        keys = replication_of[counted] * (self.count + 1) + np.floor(times[counted]).astype(np.int64)
        return self._per_month(keys, None)[:, : self.count]

    def _per_month(self, keys: np.ndarray, weights: np.ndarray | None) -> np.ndarray:
        """[replication, month 0 to count] sums of ``weights`` by key replication * (count + 1) + month."""
        size = self.replications * (self.count + 1)
        return np.bincount(keys, weights, minlength=size).astype(float).reshape(self.replications, self.count + 1)


class _Window:
    """Months on assistance within the months counted, per replication and
    calendar month, summed over people: benefit months (a part-time worker
    counts for the share they keep) and case months (a part-time worker is a
    whole case). Every interval stops at the person's other outflow."""

    def __init__(self, scenario: Scenario, clients: dict[str, np.ndarray], replication_of: np.ndarray,
                 grid: _MonthGrid, kept_open: tuple[np.ndarray, ...] | None = None):
        self.scenario, self.clients, self.grid, self.kept_open = scenario, clients, grid, kept_open
        self.replication_of = replication_of
        self.gone = clients["other_outflow_time"]
        self.insurance = scenario.employment.unemployment_insurance_months

    def months(self, starts: np.ndarray, ends: np.ndarray, weights: np.ndarray | float | None = None) -> np.ndarray:
        """Months of each person's interval, stopped at their other outflow."""
        return self.grid.months_in(starts, np.minimum(ends, self.gone), self.replication_of, weights)

    def people(self, which: np.ndarray) -> np.ndarray:
        """How many people ``which`` marks, per replication."""
        return np.bincount(self.replication_of, which.astype(float), minlength=self.grid.replications)

    def _none(self) -> np.ndarray:
        return np.zeros((self.grid.replications, self.grid.count))

    # --- the two worlds ------------------------------------------------------

    def with_programme(self) -> tuple[np.ndarray, np.ndarray]:
        c, budget = self.clients, self.scenario.budget
        placed = np.isfinite(c["job_start"])
        job = (np.where(placed, c["job_start"], c["own_job_start"]),
               np.where(placed, c["job_end"], c["own_job_end"]),
               np.where(placed, c["part_time"], c["own_part_time"]).astype(bool))
        exited = c["final_state"] == _EXITED
        exit_time = np.where(exited, c["exit_time"], np.inf)
        months, cases = self._path(c["referral_time"], np.minimum(job[0], exit_time), *job)
        if exited.any() and not budget.exits_are_programme_effect:
            # After leaving the scope, as without the programme: the programme
            # did not make them move or retire.
            later_months, later_cases = self.without_programme(exit_time)
            months, cases = months + later_months, cases + later_cases
        for name, stage in self.scenario.stages.items():
            if not stage.on_benefit:  # paid work in the programme: not a case meanwhile
                in_stage = self._stage_months(name)
                months, cases = months - in_stage, cases - in_stage
        return months, cases

    def without_programme(self, since: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Without the programme, from ``since`` on (inf: not at all)."""
        c = self.clients
        return self._path(since, c["counterfactual_job_start"], c["counterfactual_job_start"],
                          c["counterfactual_job_end"], c["counterfactual_part_time"].astype(bool))

    def _path(self, since: np.ndarray, off_from: np.ndarray, job_start: np.ndarray, job_end: np.ndarray,
              part_time: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """From ``since`` on: on assistance until ``off_from``, and again once
        the job ends (after unemployment insurance, when it lasted 26 weeks);
        part-time workers keep part of their benefit while in work and stay a
        case."""
        back = self._back_from(job_start, job_end)
        on = self.months(since, off_from) + self.months(np.maximum(back, since), np.inf)
        part_start = np.where(part_time, np.maximum(job_start, since), np.inf)
        return on + self._part_time_benefit(part_start, job_end), on + self.months(part_start, job_end)

    def _back_from(self, job_start: np.ndarray, job_end: np.ndarray) -> np.ndarray:
        """When assistance resumes after a job: at its end, or after
        unemployment insurance when the job lasted 26 weeks."""
        return assistance_resumes(job_start, job_end, self.insurance)

    def gross(self) -> tuple[np.ndarray, np.ndarray]:
        """The single-number spreadsheet's saving: benefit not paid while in
        work found through the programme (and the unemployment insurance it
        earned), or in a stage that pays a wage, before asking what would
        have happened anyway."""
        c = self.clients
        part_time = c["part_time"].astype(bool)
        full_start = np.where(part_time, np.inf, c["job_start"])
        part_start = np.where(part_time, c["job_start"], np.inf)
        in_work = self.months(full_start, c["job_end"])
        benefit = (in_work + self.months(part_start, c["job_end"])
                   - self._part_time_benefit(part_start, c["job_end"]))
        # Then unemployment insurance, which the job earned.
        insured = self.months(c["job_end"], self._back_from(c["job_start"], c["job_end"]))
        benefit, in_work = benefit + insured, in_work + insured
        if self.scenario.budget.exits_are_programme_effect:  # claimed: benefit not paid after leaving the scope
            exited = self.months(np.where(c["final_state"] == _EXITED, c["exit_time"], np.inf), np.inf)
            benefit, in_work = benefit + exited, in_work + exited
        for name, stage in self.scenario.stages.items():
            if not stage.on_benefit:
                in_stage = self._stage_months(name)
                benefit, in_work = benefit + in_stage, in_work + in_stage
        return benefit, in_work

    def _part_time_benefit(self, start: np.ndarray, end: np.ndarray) -> np.ndarray:
        """Benefit months a part-time worker still receives (start inf: not part-time)."""
        rule = self.scenario.budget.part_time_work
        if rule.earnings_per_month is None:
            return rule.kept_share * self.months(start, end)
        # Benefit less earnings; for the first months part of the earnings is exempt.
        benefit = self.scenario.budget.benefit.mean_per_month
        if benefit == 0:  # no benefit: none to keep
            return self._none()
        exemption = min(rule.exemption_share * rule.earnings_per_month, rule.exemption_cap_per_month)
        kept_exempt = max(0.0, 1 - (rule.earnings_per_month - exemption) / benefit)
        kept_after = max(0.0, 1 - rule.earnings_per_month / benefit)
        exemption_ends = np.minimum(start + rule.exemption_months, end)
        return kept_exempt * self.months(start, exemption_ends) + kept_after * self.months(exemption_ends, end)

    def _stage_months(self, name: str, stop: bool = True) -> np.ndarray:
        """Months spent in stage ``name``, up to the horizon (nobody is in a
        stage after it), spread evenly between first start and last end
        (exact for a single stay, an approximation for repeated stays);
        ``stop``: counted only until the person's other outflow."""
        c = self.clients
        first, last = c[f"{name}_start"], np.minimum(c[f"{name}_end"], self.scenario.horizon_months)
        span = last - first
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(span > 0, c[f"{name}_months"] / span, 0.0)
        if stop:
            return self.months(first, last, share)
        return self.grid.months_in(first, last, self.replication_of, share)

    # --- costs ---------------------------------------------------------------

    def costs(self) -> np.ndarray:
        """Costs per month; the programme's own costs stop with the horizon
        (nobody is in a stage after it), a wage subsidy with the job."""
        costs_spec, c, grid = self.scenario.budget.costs, self.clients, self.grid
        costs = self._none()
        if costs_spec is None:
            return costs
        costs += costs_spec.per_participant * grid.events_in(c["start_time"], self.replication_of)
        costs += costs_spec.per_placement * grid.events_in(c["job_start"], self.replication_of)
        subsidy_ends = np.minimum(c["job_start"] + costs_spec.wage_subsidy_months, c["job_end"])
        costs += costs_spec.wage_subsidy_per_month * self.months(c["job_start"], subsidy_ends)
        support = self.scenario.employment.support
        if support is not None:  # coaching after placement, for the months coached (never: none)
            coached_until = np.where(np.isfinite(c["coached_until"]), c["coached_until"], c["job_start"])
            costs += support.cost_per_month * self.months(c["job_start"], coached_until)
        for name, cost in costs_spec.per_stage_month.items():
            costs += cost * self._stage_months(name, stop=False)
        # The programme runs from the first referral month to its end, per replication.
        replications = np.arange(grid.replications)
        start, end = self.scenario.referrals.from_month, self._programme_end()
        running = grid.months_in(np.full(grid.replications, float(start)), end, replications)
        places = sum(stage.slots for stage in self.scenario.stages.values() if isinstance(stage.slots, int))
        costs += (costs_spec.fixed_per_month + places * costs_spec.per_place_per_month) * running
        costs += costs_spec.per_place_per_month * self._scheduled_place_months(start, end)
        if self.kept_open is not None:
            since, until, places, replication_of = self.kept_open
            costs += costs_spec.per_place_per_month * grid.months_in(since, np.minimum(until, end[replication_of]),
                                                                     replication_of, places)
        return costs

    def _scheduled_place_months(self, start: float, end: np.ndarray) -> np.ndarray:
        """Place-months per month between ``start`` and each replication's
        ``end`` in stages whose places follow a schedule (each period at its
        own number)."""
        periods = []
        for stage in self.scenario.stages.values():
            if isinstance(stage.slots, list):
                schedule = stage.place_schedule
                untils = [month for month, _ in schedule[1:]] + [math.inf]
                periods += [(max(start, since), until, places) for (since, places), until in zip(schedule, untils)]
        if not periods:
            return self._none()
        since, until, places = (np.array(values, dtype=float) for values in zip(*periods))
        replications = self.grid.replications
        return self.grid.months_in(np.tile(since, replications), np.minimum(np.tile(until, replications),
                                                                            np.repeat(end, len(periods))),
                                   np.repeat(np.arange(replications), len(periods)), np.tile(places, replications))

    def _programme_end(self) -> np.ndarray:
        """When the programme stops paying for places and running costs, per
        replication: as the budget says, or when the last participant leaves
        a stage."""
        scenario, c, replications = self.scenario, self.clients, self.grid.replications
        if scenario.budget.programme_until_month is not None:
            return np.full(replications, min(scenario.budget.programme_until_month, scenario.horizon_months))
        # Only people who were in a stage; an end of inf means still there at the horizon.
        last = np.full(replications, -np.inf)
        for name in scenario.stages:
            was_in = np.isfinite(c[f"{name}_start"])
            np.maximum.at(last, self.replication_of[was_in], c[f"{name}_end"][was_in])
        last[last == -np.inf] = scenario.referrals.from_month
        return np.minimum(last, scenario.horizon_months)


# --- time helpers ------------------------------------------------------------


def _to_the_second(*month_counts: np.ndarray) -> tuple[np.ndarray, ...]:
    """Months counted to a millionth (about 3 seconds). One world may count a
    stay whole and the other in two pieces (before and after an exit); the
    float sums then differ in the last bits, and at a benefit on a half cent
    (EUR 1,132.625) that is a cent saved by a programme that changed nothing."""
    return tuple(np.round(months, 6) + 0.0 for months in month_counts)


def _cents(euros: np.ndarray) -> np.ndarray:
    return np.round(euros, 2) + 0.0  # + 0.0: no "-0"


def _as_times(values: np.ndarray) -> np.ndarray:
    """Saved tables write 'never' as NaN; here it is inf."""
    values = np.asarray(values)
    return np.where(np.isnan(values), np.inf, values) if values.dtype.kind == "f" else values
