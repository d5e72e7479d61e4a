"""The model against results known exactly from probability and queueing theory.

Every tolerance is a multiple of the sampling error of the estimate, worked
out in the test, and every run uses a fixed seed, so a test fails only when
the model changes.
"""

import math

import numpy as np
from scipy import stats

from sim.model import simulate
from sim.outcomes import monthly_counts, state_names
from sim.runner import run
from tests.conftest import make_scenario


def test_placements_of_an_uncapacitated_cohort_are_binomial():
    # 50 participants, no limit on places, each placed with chance 0.6:
    # the number placed is Binomial(50, 0.6) in every replication.
    n, p, replications = 50, 0.6, 2000
    scenario = make_scenario({
        "referrals": {"cohort_size": n},
        "stages": {"training": {"duration": {"dist": "uniform", "low": 1, "high": 5},
                                "outcomes": {"job": p, "benefit": 1 - p}}},
    })
    placed = run(scenario, replications, seed=2024, workers=1).outcomes["placed"].to_numpy()
    # Mean: standard error sqrt(n p (1-p) / R) = 0.077; allow 4 of them.
    assert abs(placed.mean() - n * p) < 4 * math.sqrt(n * p * (1 - p) / replications)
    # Variance: the sample variance of R normal-ish draws has relative standard
    # error sqrt(2 / (R - 1)) = 3.2 %; allow 4 of them.
    assert abs(placed.var(ddof=1) / (n * p * (1 - p)) - 1) < 4 * math.sqrt(2 / (replications - 1))
    # Whole distribution: chi-square goodness of fit over 20..40 (tails pooled).
    edges = np.arange(20, 41)
    observed = np.array([np.sum(placed < 20)] + [np.sum(placed == k) for k in edges[:-1]] + [np.sum(placed >= 40)])
    expected = replications * np.concatenate([[stats.binom.cdf(19, n, p)], stats.binom.pmf(edges[:-1], n, p),
                                              [stats.binom.sf(39, n, p)]])
    assert stats.chisquare(observed, expected).pvalue > 0.001


def erlang_c_mean_wait(arrival_rate: float, service_rate: float, servers: int) -> float:
    """Mean time in queue of an M/M/c queue."""
    load = arrival_rate / service_rate
    top = load**servers / math.factorial(servers) * servers / (servers - load)
    waiting_chance = top / (sum(load**k / math.factorial(k) for k in range(servers)) + top)
    return waiting_chance / (servers * service_rate - arrival_rate)


def test_waiting_for_places_matches_erlang_c():
    # One stage, Poisson referrals at 2 a month, exponential stays of mean
    # 1.2 months, 3 places: occupancy 0.8, Erlang C mean wait 1.1852 months.
    arrival_rate, mean_stay, places = 2.0, 1.2, 3
    expected = erlang_c_mean_wait(arrival_rate, 1 / mean_stay, places)
    horizon, warm_up = 3000, 100
    scenario = make_scenario({
        "horizon_months": horizon,
        "=referrals": {"process": "poisson", "rate_per_month": arrival_rate},
        "stages": {"training": {"slots": places, "duration": {"dist": "exponential", "mean": mean_stay},
                                "outcomes": {"job": 1.0}}},
    })
    # One mean per replication; replications are independent, so their spread
    # gives the standard error of the overall mean.
    means = []
    for replication in range(16):
        clients = simulate(scenario, 99, replication).clients
        steady = (clients["referral_time"] > warm_up) & (clients["referral_time"] < horizon - 50)
        means.append(np.mean(clients["start_time"][steady] - clients["referral_time"][steady]))
    standard_error = np.std(means, ddof=1) / math.sqrt(len(means))
    assert abs(np.mean(means) - expected) < 4 * standard_error, (np.mean(means), expected, standard_error)
    assert standard_error < 0.05 * expected  # the test is sharp enough to mean something


def test_littles_law_holds_on_the_monthly_counts():
    # Unlimited places (M/G/infinity): people in training L = arrival rate x
    # mean stay W. Estimate L from the monthly counts, lambda and W from the
    # client records, in a window long after the start.
    scenario = make_scenario({
        "horizon_months": 600,
        "=referrals": {"process": "poisson", "rate_per_month": 3.0},
        "stages": {"training": {"duration": {"dist": "triangular", "low": 6, "mode": 9, "high": 12},
                                "dropout": {"hazard_per_month": 0.03}, "outcomes": {"job": 1.0}}},
    })
    column = state_names(scenario).index("training")
    occupancy, flow = [], []
    for replication in range(10):
        records = simulate(scenario, 5, replication)
        counts = monthly_counts(scenario, records)
        occupancy.append(counts[50:550, column].mean())
        visits = records.visits
        entered = (visits["start"] >= 50) & (visits["start"] < 550)
        flow.append(entered.sum() / 500 * np.mean(visits["end"][entered] - visits["start"][entered]))
    difference = np.array(occupancy) - np.array(flow)
    standard_error = np.std(difference, ddof=1) / math.sqrt(len(difference))
    assert abs(difference.mean()) < 4 * standard_error + 0.01 * np.mean(flow), (np.mean(occupancy), np.mean(flow))
    # And both sides agree with the theory: L = 3 x E[min(T, D)].
    assert abs(np.mean(occupancy) - 3 * mean_stay_with_dropout(0.03)) < 0.03 * 3 * mean_stay_with_dropout(0.03)


def mean_stay_with_dropout(hazard: float) -> float:
    """E[min(T, D)] for T triangular(6, 9, 12) and D exponential(hazard):
    the integral of P(T > t) P(D > t) dt, done numerically."""
    t = np.linspace(0, 12, 120001)
    survival = 1 - stats.triang(c=0.5, loc=6, scale=6).cdf(t)
    return float(np.trapezoid(survival * np.exp(-hazard * t), t))


def test_the_reference_pilot_places_78_of_130_on_average():
    # The calibration promised in scenarios/brunssum_logistics_2021.yaml: a
    # mean of 78 +- 3 placed. 400 replications give a standard error of about
    # 0.4 on the mean, so the band is tested, not the noise.
    from sim.scenario_file import load_scenario
    from tests.conftest import REFERENCE

    outcomes = run(load_scenario(REFERENCE), 400, workers=1).outcomes
    assert 75 <= outcomes["placed"].mean() <= 81
    assert outcomes["started"].mean() > 129
