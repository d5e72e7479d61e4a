"""What a programme's own records say of its parameters: estimates from a
state file, each with a 90 % interval and the records it rests on.

People still under way are censored, not left out: a person in work at the
month of the state has kept the job that long and may still lose it, so the
months in work of everyone placed count as exposure, and only the jobs lost
as events. Leaving them out (or counting only the jobs lost) would make jobs
look shorter than they are.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import optimize, stats

from sim.scenario.schema import Scenario
from sim.state.records import PLACED, State

#: The interval each estimate gives.
LEVEL = 0.90


@dataclass(frozen=True)
class Estimate:
    field: str       # the scenario field it estimates
    value: float
    low: float       # the 90 % interval
    high: float
    records: int     # people it rests on
    under_way: int   # of them, still under way at the month of the state (censored)


def fit_state(state: State, scenario: Scenario) -> list[Estimate]:
    """The parameters the records can tell: referrals a month (while
    referrals come as a Poisson process), acceptance at intake, the job loss
    hazard and the part-time share. Each only where the records hold any of
    what it counts."""
    people = state.people
    estimates = [_acceptance(people)]
    referrals = scenario.referrals
    if referrals.process == "poisson":
        estimates.append(_referral_rate(people, scenario, state.as_of))
    placed = people[people["status"].isin(PLACED)]
    if len(placed):
        estimates.append(_job_loss_hazard(placed, state.as_of))
        estimates.append(_part_time_share(placed, scenario))
    return [estimate for estimate in estimates if estimate is not None]


def _acceptance(people) -> Estimate:
    """Accepted of referred: a binomial share, Jeffreys interval."""
    referred = len(people)
    accepted = int((people["status"] != "not_accepted").sum())
    low, high = stats.beta.ppf([(1 - LEVEL) / 2, (1 + LEVEL) / 2], accepted + 0.5, referred - accepted + 0.5)
    return Estimate("referrals.acceptance", accepted / referred, float(low), float(high), referred, 0)


def _referral_rate(people, scenario: Scenario, as_of: float) -> Estimate | None:
    """People referred per month since referrals began: a Poisson count over
    the months it had, exact (Garwood) interval. Where the participants at
    most were reached, referring paused: only the months until the last
    referral count."""
    start = scenario.referrals.from_month
    months = min(as_of, scenario.intake_until_month) - start
    cap = scenario.referrals.max_participants
    taken = int(people["started_month"].notna().sum() + (people["status"] == "waiting").sum())
    if cap is not None and taken >= cap:
        months = float(people["referred_month"].max()) - start
    if months <= 0:
        return None
    count = int(((people["referred_month"] >= start) & (people["referred_month"] <= start + months)).sum())
    low = stats.chi2.ppf((1 - LEVEL) / 2, 2 * count) / 2 / months if count else 0.0
    high = stats.chi2.ppf((1 + LEVEL) / 2, 2 * count + 2) / 2 / months
    return Estimate("referrals.rate_per_month", count / months, float(low), float(high), count, 0)


def _job_loss_hazard(placed, as_of: float) -> Estimate:
    """Jobs lost per month in work: events over exposure, with those still in
    work counted for the months they have kept it (right-censored)."""
    lost = placed["status"] == "job_lost"
    ends = np.where(lost, placed["ended_month"], as_of)
    exposure = float(np.sum(ends - placed["placed_month"].to_numpy(dtype=float)))
    events = int(lost.sum())
    if exposure <= 0:
        return Estimate("employment.job_loss_hazard_per_month", math.nan, 0.0, math.inf, len(placed),
                        int((~lost).sum()))
    low = stats.chi2.ppf((1 - LEVEL) / 2, 2 * events) / 2 / exposure if events else 0.0
    high = stats.chi2.ppf((1 + LEVEL) / 2, 2 * events + 2) / 2 / exposure
    return Estimate("employment.job_loss_hazard_per_month", events / exposure, float(low), float(high),
                    len(placed), int((~lost).sum()))


def _part_time_share(placed, scenario: Scenario) -> Estimate:
    """The share of jobs that are part-time, as the scenario has it: before
    each client group's factor (a single parent's chance is the share times
    theirs). Maximum likelihood, with the likelihood-ratio interval."""
    factors = np.array([scenario.segments[segment].part_time_factor for segment in placed["segment"]])
    part_time = placed["part_time"].astype(bool).to_numpy()
    ceiling = 1 / factors.max()

    def log_likelihood(share: float) -> float:
        chances = np.clip(share * factors, 1e-12, 1 - 1e-12)
        return float(np.sum(np.where(part_time, np.log(chances), np.log1p(-chances))))

    smallest, largest = 1e-12, ceiling * (1 - 1e-12)
    if not part_time.any():
        best = smallest
    elif part_time.all():
        best = largest
    else:
        best = optimize.minimize_scalar(lambda share: -log_likelihood(share), bounds=(smallest, largest),
                                        method="bounded").x
    # The interval: the shares whose likelihood is within chi2(1)'s 90 % point of the best.
    top = log_likelihood(best) - stats.chi2.ppf(LEVEL, 1) / 2

    def edge(end: float) -> float:
        if abs(end - best) < 1e-9 or log_likelihood(end) >= top:
            return end
        return optimize.brentq(lambda share: log_likelihood(share) - top, *sorted((end, best)))

    return Estimate("employment.part_time_share", float(best) if part_time.any() else 0.0,
                    float(edge(smallest)) if part_time.any() else 0.0, float(edge(largest)),
                    len(placed), 0)
