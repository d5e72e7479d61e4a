"""Uncertain parameters and the sensitivity analysis built on them."""

import math

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from sim.analysis.sensitivity import analyse, design, sensitivity
from sim.errors import ScenarioError
from sim.scenario.edit import with_changes, with_uncertain_values
from sim.scenario.files import load_scenario, scenario_from_dict
from sim.scenario.uncertain import values_at
from tests.conftest import REFERENCE, make_scenario

cli = CliRunner()


def ishigami_indices(a: float = 7.0, b: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """First-order and total indices of the Ishigami function, in closed form
    (Ishigami and Homma 1990): x1, x2, x3 uniform on [-pi, pi]."""
    v1 = 0.5 * (1 + b * math.pi**4 / 5) ** 2
    v2 = a**2 / 8
    v13 = b**2 * math.pi**8 * (1 / 18 - 1 / 50)
    total = v1 + v2 + v13
    return np.array([v1, v2, 0.0]) / total, np.array([v1 + v13, v2, v13]) / total


def test_sobol_indices_of_the_ishigami_function_are_recovered_within_their_intervals():
    # The same design, quantile transform and analysis as a scenario's
    # sensitivity run, on a function whose indices are known exactly.
    quantiles = design("sobol", 3, 1024, seed=3)
    x = -math.pi + 2 * math.pi * quantiles
    y = np.sin(x[:, 0]) + 7 * np.sin(x[:, 1]) ** 2 + 0.1 * x[:, 2] ** 4 * np.sin(x[:, 0])
    found = analyse("sobol", ["x1", "x2", "x3"], quantiles, y, seed=3)
    first, total = ishigami_indices()
    # Each estimate within its own 95 % bootstrap interval of the exact value.
    assert np.all(np.abs(found["first_order"] - first) <= found["first_order_conf"]), found
    assert np.all(np.abs(found["total"] - total) <= found["total_conf"]), found
    # The intervals are narrow enough to tell the parameters apart.
    assert found["total_conf"].max() < 0.1


def with_uncertain(scenario, uncertain: dict):
    data = scenario.model_dump(mode="json", by_alias=True, exclude_none=True)
    data["uncertain"] = uncertain
    return scenario_from_dict(data)


@pytest.fixture(scope="module")
def reference_sensitivity():
    # The placement chance moves placements; the cost of a placement cannot.
    scenario = with_uncertain(load_scenario(REFERENCE), {
        "stages.job_search.outcomes.job": {"dist": "beta", "mean": 0.78, "sd": 0.06},
        # Wide enough to move the money by more than the noise of 4 replications
        # a point: about 78 placements x EUR 9,500 against an sd of the NPV near 170k.
        "budget.costs.per_placement": {"dist": "uniform", "low": 500, "high": 10000},
    })
    return sensitivity(scenario, "sobol", samples=16, outcomes=("placed", "npv"), replications=4, workers=1)


def test_a_parameter_the_outcome_does_not_use_gets_an_index_of_zero(reference_sensitivity):
    indices = reference_sensitivity.indices.set_index(["outcome", "parameter"])
    unused = indices.loc[("placed", "budget.costs.per_placement")]
    # Common random numbers: every point meets the same people, so an unused
    # parameter leaves the outcome exactly as it was.
    assert abs(unused["total"]) <= unused["total_conf"] + 1e-12
    assert abs(unused["first_order"]) <= unused["first_order_conf"] + 1e-12
    used = indices.loc[("placed", "stages.job_search.outcomes.job")]
    assert used["total"] - used["total_conf"] > 0  # its interval is clear of zero
    # The cost of a placement does move the money, so its index there is not zero.
    cost = indices.loc[("npv", "budget.costs.per_placement")]
    assert cost["total"] - cost["total_conf"] > 0


def test_one_at_a_time_puts_each_parameter_at_its_5_and_95_percent_quantiles(reference_sensitivity):
    table = reference_sensitivity.one_at_a_time.set_index(["outcome", "parameter"])
    job = table.loc[("placed", "stages.job_search.outcomes.job")]
    low, high = values_at(reference_sensitivity.scenario, np.array([[0.05, 0.5], [0.95, 0.5]]))[:, 0]
    assert (job["value_low"], job["value_high"]) == pytest.approx((low, high))
    assert job["at_low"] < job["as_in_file"] < job["at_high"]
    unused = table.loc[("placed", "budget.costs.per_placement")]
    assert unused["at_low"] == unused["at_high"] == unused["as_in_file"]
    # The points table has one row per design point and the mean outcomes.
    points = reference_sensitivity.points
    assert len(points) == 16 * (2 + 2)
    assert {"placed", "npv", "budget.costs.per_placement"} <= set(points.columns)


def test_morris_ranks_the_placement_chance_above_an_unused_parameter():
    scenario = with_uncertain(make_scenario({"stages": {"training": {"outcomes": {"job": 0.5, "benefit": 0.5}}},
                                             "referrals": {"cohort_size": 200}}), {
        "stages.training.outcomes.job": {"dist": "uniform", "low": 0.2, "high": 0.8},
        "employment.sustained_months": {"dist": "uniform", "low": 3, "high": 9},
    })
    result = sensitivity(scenario, "morris", samples=6, outcomes=("placed",), replications=3, workers=1)
    mu_star = result.indices.set_index("parameter")["mu_star"]
    # Moving the chance across its whole range moves 200 people by about 0.6 x 200.
    assert mu_star["stages.training.outcomes.job"] == pytest.approx(120, rel=0.15)
    assert mu_star["employment.sustained_months"] == 0


def test_setting_a_route_or_a_share_keeps_the_others_in_proportion():
    scenario = load_scenario(REFERENCE)
    changed = with_uncertain_values(scenario, {"stages.job_search.outcomes.job": 0.6, "segments.general.share": 0.35,
                                     "stages.training.slots": 41.6})
    assert changed.stages["job_search"].outcomes == pytest.approx({"job": 0.6, "benefit": 0.4})
    shares = {name: segment.share for name, segment in changed.segments.items()}
    assert shares["general"] == pytest.approx(0.35)
    assert sum(shares.values()) == pytest.approx(1.0)
    # The others keep their proportions: 0.20 : 0.15 : 0.10 of what is left.
    assert shares["over_50"] / shares["newcomer"] == pytest.approx(0.20 / 0.15)
    assert changed.stages["training"].slots == 42


def test_uncertain_fields_must_be_numbers_of_the_scenario_one_line_each(write_yaml):
    text = (
        "name: small\nhorizon_months: 12\n"
        "referrals: {process: cohorts, every_months: 12, cohort_size: 5}\n"
        "stages: {training: {duration: {dist: triangular, low: 1, mode: 2, high: 4}, outcomes: {job: 1.0}}}\n"
        "uncertain:\n"
        "  stages.training.slotz: {dist: uniform, low: 40, high: 60}\n"
        "  stages.training.duration: {dist: uniform, low: 6, high: 12}\n"
    )
    with pytest.raises(ScenarioError) as raised:
        load_scenario(write_yaml(text))
    lines = str(raised.value).splitlines()
    assert len(lines) == 2
    assert "uncertain.stages.training.slotz: stages.training has no field 'slotz'" in lines[0]
    assert "uncertain.stages.training.duration: is not a number (name one of its fields: dist, low, mode, high)" \
        in lines[1]
    assert all(line.split(":")[1].isdigit() for line in lines)  # file:line:column: each at its line


def test_uncertain_parameters_fixed_at_the_file_values_change_nothing():
    from sim.run.runner import run

    scenario = with_uncertain(load_scenario(REFERENCE), {
        "stages.training.dropout.probability": {"dist": "fixed", "value": 0.15},
        "referrals.patience.mean": {"dist": "fixed", "value": 6},
    })
    plain = run(scenario, 30, workers=1).outcomes
    drawn = run(scenario, 30, workers=1, with_uncertainty=True).outcomes
    pd.testing.assert_frame_equal(plain, drawn)


def test_drawing_the_placement_chance_per_replication_widens_the_spread():
    from sim.run.runner import run

    scenario = with_uncertain(load_scenario(REFERENCE), {
        "stages.job_search.outcomes.job": {"dist": "beta", "mean": 0.78, "sd": 0.06}})
    scenario = with_changes(scenario, {"budget": None}, "test")
    plain = run(scenario, 200, workers=1).outcomes["placed"]
    drawn = run(scenario, 200, workers=1, with_uncertainty=True).outcomes["placed"]
    # Law of total variance: chance alone gives about 32 (sd 5.6); the chance
    # of a job moves the mean by about 100 per unit (the tornado above), so an
    # sd of 0.06 adds about 36. The ratio of two variances from 200 values
    # each has a standard error of about 0.14 x 2.1 = 0.3; 1.5 is two below.
    assert drawn.var() / plain.var() > 1.5
    # Replication by replication the draw is the replication's own: any chunking gives the same.
    again = run(scenario, 200, workers=1, chunk_size=7, with_uncertainty=True).outcomes["placed"]
    pd.testing.assert_series_equal(drawn, again)


def test_the_chance_of_paying_for_itself_rises_with_what_the_municipality_accepts():
    from sim.measure.statistics import pays_for_itself

    npv = np.array([-300.0, -100.0, 50.0, 200.0])
    # Accepting t euros of net cost: the runs with npv >= -t stay within it.
    assert pays_for_itself(npv, np.array([-250, -50, 0, 100, 300])).tolist() == [0.0, 0.5, 0.5, 0.75, 1.0]


