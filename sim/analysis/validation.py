"""Validation: the model against what is known exactly, and against what
programmes published.

The analytic checks compare the model with probability and queueing theory on
small programmes built for the purpose, with fixed seeds; each tolerance is a
number of standard errors of the estimate, worked out from the runs
themselves. ``tests/validation/`` asserts them; ``pilotsim validate --report``
writes them, with the back-tests, to ``results/validation/validation.md``
(``docs/validation.md`` is a copy).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim.language import N_
from sim.measure.outcomes import monthly_counts, state_names
from sim.model.engines import simulate
from sim.run.runner import run
from sim.scenario.files import scenario_from_dict
from sim.scenario.schema import Scenario

#: How many standard errors an estimate may be from the exact value.
TOLERANCE = 4.0


@dataclass(frozen=True)
class Check:
    name: str  # in English; translated where shown
    exact: float
    simulated: float
    standard_error: float

    @property
    def errors_away(self) -> float:
        return abs(self.simulated - self.exact) / self.standard_error if self.standard_error > 0 else math.inf

    @property
    def passed(self) -> bool:
        return self.errors_away < TOLERANCE


def _programme(horizon: float, referrals: dict, stage: dict) -> Scenario:
    return scenario_from_dict({"name": "check", "horizon_months": horizon, "referrals": referrals,
                               "stages": {"training": stage}}, source="validation check")


def binomial_checks(replications: int = 2000, seed: int = 2024) -> tuple[list[Check], float]:
    """An uncapacitated cohort of 50, each placed with chance 0.6: placements
    are Binomial(50, 0.6). Returns the mean and variance checks and the
    chi-square goodness-of-fit p-value over 20..40 (tails pooled)."""
    from scipy import stats
    n, p = 50, 0.6
    scenario = _programme(24, {"process": "cohorts", "every_months": 100, "cohort_size": n},
                          {"duration": {"dist": "uniform", "low": 1, "high": 5},
                           "outcomes": {"job": p, "benefit": 1 - p}})
    placed = run(scenario, replications, seed=seed, workers=1).outcomes["placed"].to_numpy()
    variance = n * p * (1 - p)
    checks = [
        Check(N_("binomial placements: mean"), n * p, placed.mean(), math.sqrt(variance / replications)),
        # The sample variance has relative standard error sqrt(2 / (R - 1)).
        Check(N_("binomial placements: variance"), variance, placed.var(ddof=1),
              variance * math.sqrt(2 / (replications - 1))),
    ]
    edges = np.arange(20, 41)
    observed = np.array([np.sum(placed < 20)] + [np.sum(placed == k) for k in edges[:-1]] + [np.sum(placed >= 40)])
    expected = replications * np.concatenate([[stats.binom.cdf(19, n, p)], stats.binom.pmf(edges[:-1], n, p),
                                              [stats.binom.sf(39, n, p)]])
    return checks, float(stats.chisquare(observed, expected).pvalue)


def erlang_c_mean_wait(arrival_rate: float, service_rate: float, servers: int) -> float:
    """Mean time in queue of an M/M/c queue."""
    load = arrival_rate / service_rate
    top = load**servers / math.factorial(servers) * servers / (servers - load)
    waiting_chance = top / (sum(load**k / math.factorial(k) for k in range(servers)) + top)
    return waiting_chance / (servers * service_rate - arrival_rate)


def erlang_c_check(replications: int = 16, seed: int = 99) -> Check:
    """One stage, Poisson referrals at 2 a month, exponential stays of mean
    1.2 months, 3 places (occupancy 0.8): the mean wait of people referred
    after a warm-up against the Erlang C formula. Replications are
    independent, so their spread gives the standard error."""
    arrival_rate, mean_stay, places, horizon, warm_up = 2.0, 1.2, 3, 3000, 100
    scenario = _programme(horizon, {"process": "poisson", "rate_per_month": arrival_rate},
                          {"slots": places, "duration": {"dist": "exponential", "mean": mean_stay},
                           "outcomes": {"job": 1.0}})
    means = []
    for replication in range(replications):
        clients = simulate(scenario, seed, replication).clients
        steady = (clients["referral_time"] > warm_up) & (clients["referral_time"] < horizon - 50)
        means.append(np.mean(clients["start_time"][steady] - clients["referral_time"][steady]))
    return Check(N_("M/M/3 mean wait (Erlang C), months"), erlang_c_mean_wait(arrival_rate, 1 / mean_stay, places),
                 float(np.mean(means)), float(np.std(means, ddof=1) / math.sqrt(replications)))


def littles_law_checks(replications: int = 10, seed: int = 5) -> list[Check]:
    """Unlimited places, Poisson referrals at 3 a month, triangular(6, 9, 12)
    stays cut short by a dropout hazard of 0.03 a month: people in the stage
    (from the monthly counts) against arrival rate x mean stay (from the
    records), and against the closed form 3 x E[min(T, D)]."""
    from scipy import stats
    hazard = 0.03
    scenario = _programme(600, {"process": "poisson", "rate_per_month": 3.0},
                          {"duration": {"dist": "triangular", "low": 6, "mode": 9, "high": 12},
                           "dropout": {"hazard_per_month": hazard}, "outcomes": {"job": 1.0}})
    column = state_names(scenario).index("training")
    occupancy, flow = [], []
    for replication in range(replications):
        records = simulate(scenario, seed, replication)
        occupancy.append(monthly_counts(scenario, records)[50:550, column].mean())
        visits = records.visits
        entered = (visits["start"] >= 50) & (visits["start"] < 550)
        flow.append(entered.sum() / 500 * np.mean(visits["end"][entered] - visits["start"][entered]))
    occupancy, flow = np.array(occupancy), np.array(flow)
    t = np.linspace(0, 12, 120001)
    survival = 1 - stats.triang(c=0.5, loc=6, scale=6).cdf(t)
    closed_form = 3 * float(np.trapezoid(survival * np.exp(-hazard * t), t))
    se = math.sqrt(replications)
    return [
        Check(N_("Little's law: people in stage minus arrival rate x mean stay"), 0.0,
              float((occupancy - flow).mean()), float((occupancy - flow).std(ddof=1) / se)),
        Check(N_("Little's law: people in stage against 3 x E[min(T, D)]"), closed_form,
              float(occupancy.mean()), float(occupancy.std(ddof=1) / se)),
    ]


