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

from sim.scenario.edit import with_changes
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
    # What is known of it, as an uncertain: entry of a scenario takes it ({"dist": "beta", "mean": ..., "sd": ...}):
    # the Jeffreys posterior of a share or a rate; its mean is the value a fitted scenario gets.
    uncertainty: dict | None = None


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
    posterior = stats.beta(accepted + 0.5, referred - accepted + 0.5)
    low, high = posterior.ppf([(1 - LEVEL) / 2, (1 + LEVEL) / 2])
    return Estimate("referrals.acceptance", accepted / referred, float(low), float(high), referred, 0,
                    _as_entry("beta", posterior))


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
    return Estimate("referrals.rate_per_month", count / months, float(low), float(high), count, 0,
                    _as_entry("gamma", stats.gamma(count + 0.5, scale=1 / months)))


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
                    len(placed), int((~lost).sum()), _as_entry("gamma", stats.gamma(events + 0.5, scale=1 / exposure)))


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

    low, high = (float(edge(smallest)) if part_time.any() else 0.0), float(edge(largest))
    # Its uncertainty: a beta with the interval's middle and the spread a normal of that interval has.
    middle, spread = (low + high) / 2, (high - low) / (2 * stats.norm.ppf((1 + LEVEL) / 2))
    spread = min(spread, 0.99 * math.sqrt(middle * (1 - middle)))
    return Estimate("employment.part_time_share", float(best) if part_time.any() else 0.0, low, high,
                    len(placed), 0, {"dist": "beta", "mean": _rounded(middle), "sd": _rounded(spread)})


def _as_entry(kind: str, posterior) -> dict:
    return {"dist": kind, "mean": _rounded(float(posterior.mean())), "sd": _rounded(float(posterior.std()))}


def _rounded(value: float) -> float:
    """Four significant figures: as many as records of a few hundred people can tell."""
    return float(f"{value:.4g}")


def fitted_scenario(scenario: Scenario, estimates: list[Estimate], file: str, as_of: float) -> Scenario:
    """``scenario`` with each estimated field set to the mean of what the
    records say of it and its uncertainty under ``uncertain:``; each changed
    field's comment gives the fit, its interval and the records it rests on,
    and what the file had said of the value it replaces."""
    fitted = scenario
    for estimate in estimates:
        if estimate.uncertainty is None or not estimate.uncertainty["mean"] > 0:
            continue  # nothing to go on (no referrals, no months in work)
        how = (f"the fit to {file} as of month {as_of:g} (90 % interval {estimate.low:.3g} to {estimate.high:.3g}; "
               f"{estimate.records} records, {estimate.under_way} still under way)")
        fitted = with_changes(fitted, {estimate.field: estimate.uncertainty["mean"]}, how)
    known = [estimate for estimate in estimates
             if estimate.uncertainty is not None and estimate.uncertainty["mean"] > 0]
    uncertain = {**{field: distribution.model_dump(mode="json", exclude_none=True)
                    for field, distribution in fitted.uncertain.items()},
                 **{estimate.field: estimate.uncertainty for estimate in known}}
    notes = fitted.notes
    fitted = with_changes(fitted, {"uncertain": uncertain}, f"the fit to {file}")
    # Each entry says where it comes from, in place of one comment listing the whole section.
    return fitted.with_notes({path: note for path, note in notes.items() if path != "uncertain"} | {
        f"uncertain.{estimate.field}": f"Fitted to {file} as of month {as_of:g}: what {estimate.records} records "
                                       f"say of it ({estimate.under_way} still under way)" for estimate in known})
