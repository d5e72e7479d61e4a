"""Calibration recovers parameters from figures simulated with them."""

import numpy as np
import pytest
from scipy import stats

from sim.analysis.backtests import Observation, Observed
from sim.analysis.calibration import calibrate, check_free
from sim.errors import ScenarioError
from sim.output.calibration import fitted_file_text
from sim.scenario.edit import with_free_values
from sim.scenario.files import dump_scenario, load_scenario
from tests.conftest import make_scenario


def test_the_fitted_file_sets_a_split_and_its_complement(tmp_path):
    scenario = make_scenario({"stages": {"training": {"outcomes": {"job": 0.6, "benefit": 0.4}}},
                              "free": {"stages.training.outcomes.job": {
                                  "low": 0.2, "high": 0.95, "complement": "stages.training.outcomes.benefit"}}})
    figure = Observation(outcome="placed", month=12, value=6, role="fitted", used_for="the job chance")
    result = calibrate(scenario, Observed(scenario=scenario.name, source="test", observations=[figure]),
                       samples=12, replications=20, seed=3, workers=1)
    job = result.estimate["stages.training.outcomes.job"]
    fitted = with_free_values(scenario, result.estimate)
    assert abs(fitted.stages["training"].outcomes["benefit"] - (1 - job)) < 1e-12
    text = fitted_file_text(result, "original.yaml")
    assert "extends: original.yaml" in text
    assert f"job: {round(job, 6)}" in text
    # The posterior goes with it, for runs with uncertainty.
    (tmp_path / "original.yaml").write_text(dump_scenario(scenario))
    (tmp_path / "fitted.yaml").write_text(text)
    drawn = load_scenario(tmp_path / "fitted.yaml").uncertain["stages.training.outcomes.job"]
    row = result.ranges().iloc[0]
    assert abs(float(drawn.ppf(np.array([0.05]))[0]) - row["plausible_low"]) < 0.02
    assert abs(float(drawn.ppf(np.array([0.95]))[0]) - row["plausible_high"]) < 0.02


def test_calibration_never_sees_a_held_out_figure():
    scenario = make_scenario({"free": {"stages.training.duration": {"low": 2, "high": 20}}})
    fitted = Observation(outcome="placed", month=12, value=10, role="fitted", used_for="the length of training")
    # A held-out figure no candidate could come near: if the fit saw it, every distance would change.
    held_out = Observation(outcome="placed", month=12, value=1e6, role="held_out")
    results = [calibrate(scenario, Observed(scenario=scenario.name, source="test", observations=figures),
                         samples=6, replications=10, seed=3, workers=1)
               for figures in ([fitted], [fitted, held_out])]
    assert results[0].candidates.equals(results[1].candidates)
    assert results[0].ranges().equals(results[1].ranges())
    assert results[1].figures == ["placed@12"]


# Referrals arrive as a Poisson process: a published count of 120 referred in
# 12 months is then all the data say about the rate, and with a uniform prior
# the rate's posterior is exactly Gamma(121, rate 12): its 5-95 % range is
# 8.6 to 11.6, whatever range was searched (the search ranges below all hold
# more than 99.9 % of it).
POISSON_COUNT, POISSON_MONTHS = 120, 12
EXACT = stats.gamma(POISSON_COUNT + 1, scale=1 / POISSON_MONTHS)
# How far the fitted range may lie from the exact one, in rates a month:
# - the normal likelihood in place of the Poisson one moves the 5 and 95 %
#   points by at most 0.05 at 120 events (the posteriors of the two,
#   compared on a grid);
# - the emulated mean comes from replications on one seed, off by about
#   sd / sqrt(n) = sqrt(120) / sqrt(40) = 1.7 referrals, 0.14 a month,
#   the same for every candidate;
# so 0.3 is about twice the sum.
RATE_TOLERANCE = 0.3


def _poisson_referrals(low: float, high: float):
    scenario = make_scenario({"horizon_months": POISSON_MONTHS,
                              "=referrals": {"process": "poisson", "rate_per_month": 10,
                                             "until_month": POISSON_MONTHS},
                              "free": {"referrals.rate_per_month": {"low": low, "high": high}}})
    figure = Observation(outcome="referred", month=POISSON_MONTHS, value=POISSON_COUNT, role="fitted",
                         used_for="the rate of referrals")
    return scenario, Observed(scenario=scenario.name, source="a count", observations=[figure])


def _rate_range(result):
    row = result.ranges().set_index("parameter").loc["referrals.rate_per_month"]
    return row["plausible_low"], row["plausible_high"]


def test_the_plausible_range_is_the_datas_not_the_search_ranges():
    exact_low, exact_high = EXACT.ppf([0.05, 0.95])
    for low, high in ((4, 25), (7, 14)):
        scenario, observed = _poisson_referrals(low, high)
        result = calibrate(scenario, observed, samples=20, replications=40, seed=5, workers=1)
        fitted_low, fitted_high = _rate_range(result)
        assert abs(fitted_low - exact_low) < RATE_TOLERANCE, (low, high, fitted_low, exact_low)
        assert abs(fitted_high - exact_high) < RATE_TOLERANCE, (low, high, fitted_high, exact_high)


def test_the_plausible_range_does_not_depend_on_the_seed():
    scenario, observed = _poisson_referrals(4, 25)
    ranges = [_rate_range(calibrate(scenario, observed, samples=20, replications=40, seed=seed, workers=1))
              for seed in (1, 2)]
    # Each seed is off the exact range by at most RATE_TOLERANCE.
    assert abs(ranges[0][0] - ranges[1][0]) < 2 * RATE_TOLERANCE, ranges
    assert abs(ranges[0][1] - ranges[1][1]) < 2 * RATE_TOLERANCE, ranges


def test_a_range_that_cuts_the_posterior_off_is_widened():
    # The data put the rate near 10; a search of 5 to 9 would pile the
    # posterior up at 9 and call it plausible.
    scenario, observed = _poisson_referrals(5, 9)
    result = calibrate(scenario, observed, samples=20, replications=40, seed=5, workers=1)
    row = result.ranges().set_index("parameter").loc["referrals.rate_per_month"]
    assert row["searched_high"] > 9
    exact_low, exact_high = EXACT.ppf([0.05, 0.95])
    assert abs(row["plausible_low"] - exact_low) < RATE_TOLERANCE, row.to_dict()
    assert abs(row["plausible_high"] - exact_high) < RATE_TOLERANCE, row.to_dict()
    assert row["bounded"] == "yes"


def test_a_parameter_the_data_do_not_bound_is_said_so():
    # How long training lasts changes nothing in how many are referred.
    _, observed = _poisson_referrals(4, 25)
    scenario = make_scenario({"horizon_months": POISSON_MONTHS,
                              "=referrals": {"process": "poisson", "rate_per_month": 10,
                                             "until_month": POISSON_MONTHS},
                              "free": {"referrals.rate_per_month": {"low": 4, "high": 25},
                                       "stages.training.duration": {"low": 2, "high": 20}}})
    result = calibrate(scenario, observed, samples=20, replications=40, seed=5, workers=1)
    ranges = result.ranges().set_index("parameter")
    assert ranges.loc["stages.training.duration", "bounded"] == "no"
    assert ranges.loc["referrals.rate_per_month", "bounded"] == "yes"
    # The rate is narrowed to about a sixth of its search; the length not at all.
    assert ranges.loc["referrals.rate_per_month", "narrowed_to"] < 0.25


def test_a_routes_chance_takes_its_share_from_the_other_routes_in_proportion():
    scenario = make_scenario({"stages": {"training": {"outcomes": {"job": 0.5, "benefit": 0.3, "exit": 0.2}}},
                              "free": {"stages.training.outcomes.job": {"low": 0.2, "high": 0.9}}})
    routes = with_free_values(scenario, {"stages.training.outcomes.job": 0.8}).stages["training"].outcomes
    # The 0.2 left is shared 3 : 2 as before.
    assert routes["job"] == 0.8 and abs(routes["benefit"] - 0.12) < 1e-12 and abs(routes["exit"] - 0.08) < 1e-12


def test_free_parameters_that_cannot_be_searched_are_refused_before_any_run():
    routes = make_scenario({"stages": {"training": {"outcomes": {"job": 0.5, "benefit": 0.3, "exit": 0.2}}},
                            "free": {"stages.training.outcomes.job": {"low": 0.2, "high": 0.7},
                                     "stages.training.outcomes.benefit": {"low": 0.1, "high": 0.4}}})
    missing = make_scenario({"free": {"stages.nowhere.duration": {"low": 1, "high": 2}}})
    for scenario, expected in ((routes, "can add up to more than one"), (missing, "stages.nowhere")):
        with pytest.raises(ScenarioError, match=expected):
            check_free(scenario, "test")
