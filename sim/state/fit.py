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
import pandas as pd
from scipy import special

from sim.scenario.edit import with_changes
from sim.scenario.schema import Scenario
from sim.state.records import PLACED, STARTED, State

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
    # for a share or a rate, its Jeffreys posterior.
    uncertainty: dict | None = None
    # The value a fitted scenario gets: the estimate, where the records hold any of what it counts
    # (no job lost yet says little of how often jobs are lost); None: the scenario's stays.
    written: float | None = None


def fit_state(state: State, scenario: Scenario) -> list[Estimate]:
    """The parameters the records can tell: referrals a month (while
    referrals come as a Poisson process), acceptance at intake, the job loss
    hazard and the part-time share. Each only where the records hold any of
    what it counts."""
    people = state.people
    if people.empty:
        return []
    estimates = [_acceptance(people)]
    referrals = scenario.referrals
    if referrals.process == "poisson":
        estimates.append(_referral_rate(people, scenario, state.as_of))
    placed = people[people["status"].isin(PLACED)]
    if len(placed) and scenario.employment.support is None:  # (coaching lowers the hazard for a while)
        estimates.append(_job_loss_hazard(placed, state.as_of))
        estimates.append(_part_time_share(placed, scenario))
    return [estimate for estimate in estimates if estimate is not None]


def _acceptance(people) -> Estimate | None:
    """Accepted of referred: a binomial share, Jeffreys interval (reaching 0
    or 1 where all were refused or all accepted, as Brown, Cai and DasGupta
    advise: it would leave out the very value the records point to)."""
    from scipy import stats
    referred = len(people)
    if referred == 0:
        return None
    accepted = int((people["status"] != "not_accepted").sum())
    posterior = stats.beta(accepted + 0.5, referred - accepted + 0.5)
    low, high = posterior.ppf([(1 - LEVEL) / 2, (1 + LEVEL) / 2])
    low, high = (0.0 if accepted == 0 else float(low)), (1.0 if accepted == referred else float(high))
    entry, _mean = _entry_and_mean("beta", posterior)
    return Estimate("referrals.acceptance", accepted / referred, low, high, referred, 0, entry,
                    _rounded(accepted / referred))


def _referral_rate(people, scenario: Scenario, as_of: float) -> Estimate | None:
    """People referred per month since referrals began: a Poisson count over
    the months it had, exact (Garwood) interval. Where the participants at
    most were reached, referring paused: only the months until the last
    referral count."""
    from scipy import stats
    start = scenario.referrals.from_month
    months = min(as_of, scenario.intake_until_month) - start
    cap = scenario.referrals.max_participants
    taken = int((people["started_month"].notna() | people["status"].isin(STARTED)).sum()
                + (people["status"] == "waiting").sum())
    if cap is not None and taken >= cap:
        months = float(people["referred_month"].max()) - start
    if months <= 0:
        return None
    count = int(((people["referred_month"] >= start) & (people["referred_month"] <= start + months)).sum())
    low = stats.chi2.ppf((1 - LEVEL) / 2, 2 * count) / 2 / months if count else 0.0
    high = stats.chi2.ppf((1 + LEVEL) / 2, 2 * count + 2) / 2 / months
    entry, _mean = _entry_and_mean("gamma", stats.gamma(count + 0.5, scale=1 / months))
    return Estimate("referrals.rate_per_month", count / months, float(low), float(high), count, 0, entry,
                    _rounded(count / months) if count else None)


def _job_loss_hazard(placed, as_of: float) -> Estimate | None:
    """Jobs lost per month in work: events over exposure, with those still in
    work counted for the months they have kept it (right-censored)."""
    from scipy import stats
    lost = placed["status"] == "job_lost"
    ends = np.where(lost, placed["ended_month"], as_of)
    exposure = float(np.sum(ends - placed["placed_month"].to_numpy(dtype=float)))
    events = int(lost.sum())
    if exposure <= 0:  # placed at the very month of the state: nothing known yet
        return None
    low = stats.chi2.ppf((1 - LEVEL) / 2, 2 * events) / 2 / exposure if events else 0.0
    high = stats.chi2.ppf((1 + LEVEL) / 2, 2 * events + 2) / 2 / exposure
    entry, _mean = _entry_and_mean("gamma", stats.gamma(events + 0.5, scale=1 / exposure))
    return Estimate("employment.job_loss_hazard_per_month", events / exposure, float(low), float(high),
                    len(placed), int((~lost).sum()), entry, _rounded(events / exposure) if events else None)


def _part_time_share(placed, scenario: Scenario) -> Estimate:
    """The share of jobs that are part-time, as the scenario has it: before
    each client group's factor (a single parent's chance is the share times
    theirs)."""
    factors = np.array([scenario.segments[segment].part_time_factor for segment in placed["segment"]])
    return _share_with_factors("employment.part_time_share", placed["part_time"].astype(bool).to_numpy(), factors)


def _share_with_factors(field: str, happened: np.ndarray, factors: np.ndarray) -> Estimate:
    """A share whose chance for each person is the share times their client
    group's factor (at most 1), from whether it ``happened`` to each:
    maximum likelihood, with the likelihood-ratio interval."""
    from scipy import optimize, stats
    ceiling = 1 / factors.max()

    def log_likelihood(share: float) -> float:
        chances = np.clip(share * factors, 1e-12, 1 - 1e-12)
        return float(np.sum(np.where(happened, np.log(chances), np.log1p(-chances))))

    smallest, largest = 1e-12, ceiling * (1 - 1e-12)
    if not happened.any():
        best = smallest
    elif happened.all():
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

    low, high = (float(edge(smallest)) if happened.any() else 0.0), float(edge(largest))
    # Its uncertainty: a beta with the interval's middle and the spread a normal of that interval has.
    middle, spread = (low + high) / 2, (high - low) / (2 * stats.norm.ppf((1 + LEVEL) / 2))
    spread = min(spread, 0.99 * math.sqrt(middle * (1 - middle)))
    value = float(best) if happened.any() else 0.0
    return Estimate(field, value, low, high, len(happened), 0, {"dist": "beta", "mean": _rounded(middle),
                                                                 "sd": _rounded(spread)}, _rounded(value))


def _entry_and_mean(kind: str, posterior) -> tuple[dict, float]:
    mean = _rounded(float(posterior.mean()))
    return {"dist": kind, "mean": mean, "sd": _rounded(float(posterior.std()))}, mean


def _rounded(value: float) -> float:
    """Four significant figures: as many as records of a few hundred people can tell."""
    return float(f"{value:.4g}")


def fitted_scenario(scenario: Scenario, estimates: list[Estimate], file: str, as_of: float) -> Scenario:
    """``scenario`` with each estimated field set to what the records say of
    it (where they hold any of what it counts) and its uncertainty under
    ``uncertain:``; each changed field's comment gives the fit, its interval
    and the records it rests on, and what the file had said of the value it
    replaces."""
    fitted = scenario
    for estimate in estimates:
        if estimate.written is None or not estimate.written > 0:
            continue  # nothing to go on (no referrals, no months in work)
        how = (f"the fit to {file} as of month {as_of:g} (90 % interval {estimate.low:.3g} to {estimate.high:.3g}; "
               f"{estimate.records} records, {estimate.under_way} still under way)")
        fitted = with_changes(fitted, _with_the_other_routes(fitted, estimate.field, estimate.written), how)
    known = [estimate for estimate in estimates
             if estimate.uncertainty is not None and estimate.written is not None and estimate.written > 0]
    uncertain = {**{field: distribution.model_dump(mode="json", exclude_none=True)
                    for field, distribution in fitted.uncertain.items()},
                 **{estimate.field: estimate.uncertainty for estimate in known}}
    notes = fitted.notes
    fitted = with_changes(fitted, {"uncertain": uncertain}, f"the fit to {file}")
    # Each entry says where it comes from, in place of one comment listing the whole section.
    return fitted.with_notes({path: note for path, note in notes.items() if path != "uncertain"} | {
        f"uncertain.{estimate.field}": f"Fitted to {file} as of month {as_of:g}: what {estimate.records} records "
                                       f"say of it ({estimate.under_way} still under way)" for estimate in known})


def _with_the_other_routes(scenario: Scenario, field: str, value: float) -> dict[str, float]:
    """The change of ``field`` to ``value``; for a route's chance, the
    stage's other routes keep their proportions of what is left, so that
    they still add up to one (as an uncertain route's draw does)."""
    keys = field.split(".")
    if not (len(keys) == 4 and keys[0] == "stages" and keys[2] == "outcomes"):
        return {field: value}
    others = {route: share for route, share in scenario.stages[keys[1]].outcomes.items() if route != keys[3]}
    total = sum(others.values())
    return {field: value, **{f"stages.{keys[1]}.outcomes.{route}": (1 - value) * (share / total if total > 0
                                                                                 else 1 / len(others))
                             for route, share in others.items()}}


# --- stages: how long a stay lasts and who drops out (from a stays file) ----------------

#: Of each family of durations, the one parameter the records fit (the others kept as the scenario
#: has them): where most stays end for a triangle between its shortest and longest, else the mean.
FITTED_PART = {"triangular": "mode", "exponential": "mean", "gamma": "mean", "lognormal": "mean"}


def fit_stays(stays: pd.DataFrame, state: State, scenario: Scenario) -> list[Estimate]:
    """For each stage with stays in the records: its duration (the part
    ``FITTED_PART`` names) and, where it is a chance, its chance of dropping
    out, jointly by maximum likelihood with profile-likelihood intervals.
    Stays still going count as what they are: at least as long as so far
    (right-censored), and not yet dropped out."""
    segment_of = dict(zip(state.people["person"], state.people["segment"]))
    estimates = []
    for name, stage in scenario.stages.items():
        own = stays[stays["stage"] == name]
        if len(own) and stage.duration.dist in FITTED_PART:
            factors = np.array([scenario.segments[segment_of.get(person, next(iter(scenario.segments)))]
                                .dropout_factor for person in own["person"]])
            estimates += _stage_fit(name, stage, own, factors, state.as_of)
    return estimates + _job_routes(stays, state, scenario)


def _job_routes(stays: pd.DataFrame, state: State, scenario: Scenario) -> list[Estimate]:
    """For each stage whose completed stays lead to a job or elsewhere: the
    chance of the job, before each client group's placement factor, from
    where the completed stays led (``_led_to``). The other routes keep their
    proportions of the rest."""
    led_to = _led_to(stays, state)
    segment_of = dict(zip(state.people["person"], state.people["segment"]))
    estimates = []
    for name, stage in scenario.stages.items():
        if "job" not in stage.routes or len(stage.routes) < 2:
            continue
        done = stays[(stays["stage"] == name) & (stays["ended"] == "completed")]
        where = [led_to.get(index) for index in done.index]
        known = [index for index, destination in enumerate(where) if destination is not None]
        if not known:
            continue
        people = done["person"].to_numpy()[known]
        factors = np.array([scenario.segments[segment_of.get(person, next(iter(scenario.segments)))].placement_factor
                            for person in people])
        estimates.append(_share_with_factors(f"stages.{name}.outcomes.job",
                                             np.array([where[index] == "job" for index in known]), factors))
    return estimates


#: Another stage, where the records do not say which (someone who found work of their own while
#: waiting for it): for the chance of a job it is what it is not.
_A_STAGE = "(a stage)"
#: Two months of the records this close are one moment (both written from one number).
_SAME_MONTH = 1e-6


def _led_to(stays: pd.DataFrame, state: State) -> dict:
    """Where each completed stay led, by its row: the stage of the person's
    next stay; after their last stay, a job placed since, back to
    assistance or out of scope since, a stage waited for since, or another
    stage (found work of their own while waiting for it). Real records date
    a contract days after the search ends: what came next is what followed,
    not only what began the same day. Not in it where the records do not
    say (the next step not yet written)."""
    people = state.people.set_index("person")
    led = {}
    for person, own in stays.sort_values("start_month").groupby("person", sort=False):
        rows = list(own.itertuples())
        record = people.loc[person] if person in people.index else None
        for position, stay in enumerate(rows):
            if stay.ended != "completed":
                continue
            if position + 1 < len(rows):  # (stays do not overlap: the next begins once this one is over)
                led[stay.Index] = rows[position + 1].stage
            elif record is not None:
                led[stay.Index] = _next_step(record, stay.end_month)
    return led


def _next_step(record, end: float) -> str | None:
    """Where a person's path went after a last stay that ended at ``end``, by their status."""
    def since(value) -> bool:
        return value is not None and value == value and float(value) >= end - _SAME_MONTH

    status = record["status"]
    if status in ("employed", "job_lost") and since(record["placed_month"]):
        return "job"
    if status in ("completed_no_job", "exited") and since(record["ended_month"]):
        return "benefit" if status == "completed_no_job" else "exit"
    if status == "between_stages" and since(record["since_month"]):
        return record["stage"]
    if status == "found_work_on_own" and since(record["ended_month"]):
        return _A_STAGE
    return None


@dataclass(frozen=True)
class _Duration:
    """A stay's full length in the scenario's family with its fitted part at
    ``value``: density, survival and quantiles in plain numpy (scipy's
    distribution objects cost more to make than the likelihood to work out,
    and the fit makes thousands)."""

    family: str
    low: float
    middle: float   # the mode of a triangle, else the mean
    high: float
    sd: float

    def pdf(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        if self.family == "triangular":
            a, c, b = self.low, self.middle, self.high
            rising = 2 * (x - a) / ((b - a) * (c - a))
            falling = 2 * (b - x) / ((b - a) * (b - c))
            return np.where((x >= a) & (x < c), rising, np.where((x >= c) & (x <= b), falling, 0.0))
        positive = np.maximum(x, 1e-300)
        if self.family == "exponential":
            return np.where(x >= 0, np.exp(-x / self.middle) / self.middle, 0.0)
        if self.family == "gamma":
            shape, scale = (self.middle / self.sd) ** 2, self.sd**2 / self.middle
            return np.where(x > 0, np.exp((shape - 1) * np.log(positive) - positive / scale - special.gammaln(shape)
                                          - shape * math.log(scale)), 0.0)
        mu, sigma = self._lognormal()
        return np.where(x > 0, np.exp(-((np.log(positive) - mu) ** 2) / (2 * sigma**2))
                        / (positive * sigma * math.sqrt(2 * math.pi)), 0.0)

    def cdf(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        if self.family == "triangular":
            a, c, b = self.low, self.middle, self.high
            rising = (x - a) ** 2 / ((b - a) * (c - a))
            falling = 1 - (b - x) ** 2 / ((b - a) * (b - c))
            return np.where(x < a, 0.0, np.where(x < c, rising, np.where(x <= b, falling, 1.0)))
        if self.family == "exponential":
            return np.where(x > 0, -np.expm1(-x / self.middle), 0.0)
        if self.family == "gamma":
            shape, scale = (self.middle / self.sd) ** 2, self.sd**2 / self.middle
            return special.gammainc(shape, np.maximum(x, 0) / scale)
        mu, sigma = self._lognormal()
        return np.where(x > 0, special.ndtr((np.log(np.maximum(x, 1e-300)) - mu) / sigma), 0.0)

    def sf(self, x: np.ndarray) -> np.ndarray:
        return 1 - self.cdf(x)

    def ppf(self, u: float) -> float:
        if self.family == "triangular":
            a, c, b = self.low, self.middle, self.high
            split = (c - a) / (b - a)
            return a + math.sqrt(u * (b - a) * (c - a)) if u < split else b - math.sqrt((1 - u) * (b - a) * (b - c))
        if self.family == "exponential":
            return -self.middle * math.log1p(-u)
        if self.family == "gamma":
            shape, scale = (self.middle / self.sd) ** 2, self.sd**2 / self.middle
            return scale * float(special.gammaincinv(shape, u))
        mu, sigma = self._lognormal()
        return math.exp(mu + sigma * float(special.ndtri(u)))

    def _lognormal(self) -> tuple[float, float]:
        sigma2 = math.log1p((self.sd / self.middle) ** 2)
        return math.log(self.middle) - sigma2 / 2, math.sqrt(sigma2)


def _duration_at(duration, value: float) -> _Duration:
    """The scenario's duration distribution with its fitted part at ``value``."""
    return _Duration(duration.dist, getattr(duration, "low", 0.0), value, getattr(duration, "high", math.inf),
                     getattr(duration, "sd", 0.0))


def _stay_log_likelihood(duration, dropout: float, months: dict[str, tuple[np.ndarray, np.ndarray]]) -> float:
    """The chance of the stays, given the full length's distribution and the
    chance of dropping out. A stay that ends by dropping out lasts a uniform
    share of its full length D, so one dropped after t months had D > t, with
    density G(t) = ∫ f(D)/D over D > t; one still going after e months (or
    ended then by finding work) either will not drop out and has D > e, or
    will and has not yet: ∫ f(D)(1 - e/D) over D > e = S(e) - e G(e)."""
    grid = np.linspace(duration.ppf(1e-10), duration.ppf(1 - 1e-10), 801)
    density = duration.pdf(grid) / np.maximum(grid, 1e-9)
    pieces = (density[1:] + density[:-1]) / 2 * np.diff(grid)
    tail = np.concatenate([np.cumsum(pieces[::-1])[::-1], [0.0]])  # G on the grid

    def g(values):
        return np.interp(values, grid, tail, left=tail[0], right=0.0)

    def chance(factors):
        return np.minimum(dropout * factors, 1.0)

    total = 0.0
    for kind in ("going", "found"):
        values, factors = months[kind]
        survived = duration.sf(values)
        total += np.sum(np.log(np.maximum((1 - chance(factors)) * survived
                                          + chance(factors) * (survived - values * g(values)), 1e-300)))
    values, factors = months["dropped"]
    total += np.sum(np.log(np.maximum(chance(factors) * g(values), 1e-300)))
    values, factors = months["completed"]
    total += np.sum(np.log(np.maximum((1 - chance(factors)) * duration.pdf(values), 1e-300)))
    return float(total)


def _stage_fit(name: str, stage, stays: pd.DataFrame, factors: np.ndarray, as_of: float) -> list[Estimate]:
    from scipy import optimize, stats
    duration, part = stage.duration, FITTED_PART[stage.duration.dist]
    dropout = stage.dropout
    by_chance = dropout is not None and dropout.probability is not None and dropout.probability > 0
    ended = stays["ended"].to_numpy()
    lasted = np.where(pd.isna(stays["end_month"]), as_of, stays["end_month"]) - stays["start_month"].to_numpy()
    kinds = {"going": pd.isna(ended) | (ended == None),  # noqa: E711 (None as read from a table)
             "found": ended == "found_work_on_own", "dropped": ended == "dropped_out",
             "completed": ended == "completed"}
    if not by_chance:  # dropping out by a hazard, or not at all: it ends a stay independently of its length
        kinds["found"] = kinds["found"] | kinds["dropped"]
        kinds["dropped"] = np.zeros(len(ended), dtype=bool)
    months = {kind: (lasted[chosen], factors[chosen]) for kind, chosen in kinds.items()}
    if duration.dist == "triangular":
        margin = 1e-6 * (duration.high - duration.low)
        bounds = (duration.low + margin, duration.high - margin)
        start = duration.mode
    else:
        bounds, start = (duration.mean / 20, duration.mean * 20), duration.mean
    chance_bounds = (1e-6, 1 - 1e-6)

    def log_likelihood(value: float, chance: float) -> float:
        return _stay_log_likelihood(_duration_at(duration, value), chance if by_chance else 0.0, months)

    if by_chance:
        best = optimize.minimize(lambda point: -log_likelihood(*point),
                                 x0=[float(np.clip(start, *bounds)), float(np.clip(dropout.probability, 0.01, 0.99))],
                                 bounds=[bounds, chance_bounds], method="L-BFGS-B")
        value, chance, top = best.x[0], best.x[1], -best.fun
    else:
        best = optimize.minimize_scalar(lambda candidate: -log_likelihood(candidate, 0.0), bounds=bounds,
                                        method="bounded")
        value, chance, top = best.x, 0.0, -best.fun
    top -= stats.chi2.ppf(LEVEL, 1) / 2

    def profile_value(candidate: float) -> float:
        if not by_chance:
            return log_likelihood(candidate, 0.0)
        return -optimize.minimize_scalar(lambda other: -log_likelihood(candidate, other), bounds=chance_bounds,
                                         method="bounded", options={"xatol": 1e-4}).fun

    def profile_chance(candidate: float) -> float:
        return -optimize.minimize_scalar(lambda other: -log_likelihood(other, candidate), bounds=bounds,
                                         method="bounded", options={"xatol": 1e-3}).fun

    def interval(profile, best_value: float, lowest: float, highest: float) -> tuple[float, float]:
        edges = []
        for end in (lowest, highest):
            if abs(end - best_value) < 1e-9 or profile(end) >= top:
                edges.append(end)
            else:
                edges.append(optimize.brentq(lambda candidate: profile(candidate) - top, *sorted((end, best_value)),
                                             xtol=1e-3 * abs(best_value) + 1e-6))
        return edges[0], edges[1]

    going = int(kinds["going"].sum())
    low, high = interval(profile_value, value, *bounds)
    entry = ({"dist": "uniform", "low": _rounded(low), "high": _rounded(high)} if part == "mode"
             else {"dist": "gamma", "mean": _rounded(value),
                   "sd": _rounded((high - low) / (2 * stats.norm.ppf((1 + LEVEL) / 2)))})
    estimates = [Estimate(f"stages.{name}.duration.{part}", float(value), float(low), float(high), len(stays),
                          going, entry, _rounded(value))]
    if by_chance:
        chance_low, chance_high = interval(profile_chance, chance, *chance_bounds)
        spread = min((chance_high - chance_low) / (2 * stats.norm.ppf((1 + LEVEL) / 2)),
                     0.99 * math.sqrt(chance * (1 - chance)))
        estimates.append(Estimate(f"stages.{name}.dropout.probability", float(chance), float(chance_low),
                                  float(chance_high), len(stays), going,
                                  {"dist": "beta", "mean": _rounded(chance), "sd": _rounded(spread)},
                                  _rounded(chance)))
    return estimates
