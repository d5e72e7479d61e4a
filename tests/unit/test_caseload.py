"""The net change in recipients: who leaves assistance, and the rest of the caseload."""

import numpy as np
import pytest
from scipy import stats

from sim.measure.caseload import caseload_outcomes, left_assistance, poisson_quantile
from sim.model.engine import simulate
from sim.run.runner import run
from tests.conftest import make_scenario

# Ten people referred at month 0: three months of training, then a job.
TEN = {"horizon_months": 12, "caseload": {"inflow_per_month": 0}}


def test_everyone_in_a_full_time_job_has_left_assistance():
    scenario = make_scenario(TEN)
    assert left_assistance(scenario, simulate(scenario, 1, 0)) == 10


def test_part_time_workers_keep_a_top_up_and_still_count_as_recipients():
    scenario = make_scenario(TEN | {"employment": {"part_time_share": 1.0}})
    assert left_assistance(scenario, simulate(scenario, 1, 0)) == 0


def test_losing_the_job_brings_people_back_onto_assistance():
    # A job-loss hazard of 1e6 a month ends every job at once.
    scenario = make_scenario(TEN | {"employment": {"job_loss_hazard_per_month": 1e6}})
    assert left_assistance(scenario, simulate(scenario, 1, 0)) == 0


def test_a_stage_paying_a_wage_instead_of_benefit_counts_as_off_assistance():
    paid_job = {"=stages": {"training": {"duration": 3, "outcomes": {"paid_job": 1.0}},
                           "paid_job": {"duration": 100, "on_benefit": False, "outcomes": {"job": 1.0}}}}
    scenario = make_scenario(TEN | paid_job)
    assert left_assistance(scenario, simulate(scenario, 1, 0)) == 10
    on_benefit = make_scenario(TEN | {"=stages": {**paid_job["=stages"], "paid_job": {
        "duration": 100, "on_benefit": True, "outcomes": {"job": 1.0}}}})
    assert left_assistance(on_benefit, simulate(on_benefit, 1, 0)) == 0


def test_fewer_recipients_is_those_who_left_less_net_inflow():
    scenario = make_scenario(TEN | {"caseload": {"inflow_per_month": 30, "other_outflow_per_month": 20}})
    outcomes = caseload_outcomes(scenario, simulate(scenario, 1, 0), seed=1, replication=0)
    assert outcomes["fewer_recipients"] == (
        outcomes["left_assistance"] - outcomes["caseload_inflow"] + outcomes["caseload_other_outflow"])
    assert outcomes["left_assistance"] == 10


@pytest.mark.parametrize("mean", [0.3, 4.0, 57.5, 1764.0])
def test_poisson_quantile_matches_scipy(mean):
    uniforms = np.random.default_rng(3).random(200)
    ours = [poisson_quantile(u, mean) for u in uniforms]
    assert ours == list(stats.poisson.ppf(uniforms, mean).astype(int))


def test_the_caseload_counts_are_poisson_over_the_horizon():
    # 2,000 replications of Poisson(12 months x 30): the mean is within 4
    # standard errors (sd sqrt(360) / sqrt(2000) = 0.42) of 360, the variance
    # within 4 of its standard error (about 360 * sqrt(2 / 2000) = 11.4).
    scenario = make_scenario(TEN | {"caseload": {"inflow_per_month": 30}})
    inflow = run(scenario, 2000, seed=5, workers=1).outcomes["caseload_inflow"].to_numpy()
    assert abs(inflow.mean() - 360) < 4 * np.sqrt(360 / 2000)
    assert abs(inflow.var(ddof=1) - 360) < 4 * 360 * np.sqrt(2 / 2000)


def test_raising_the_inflow_never_lowers_it_in_any_replication():
    # Common random numbers: the same uniform inverted at a higher mean.
    low = run(make_scenario(TEN | {"caseload": {"inflow_per_month": 30}}), 200, seed=5, workers=1).outcomes
    high = run(make_scenario(TEN | {"caseload": {"inflow_per_month": 31}}), 200, seed=5, workers=1).outcomes
    assert (high["caseload_inflow"] >= low["caseload_inflow"]).all()
    assert (high["caseload_inflow"] > low["caseload_inflow"]).any()
    assert (high["left_assistance"] == low["left_assistance"]).all()


def test_the_saving_prices_a_year_of_benefit_per_fewer_recipient():
    scenario = make_scenario(TEN | {"start": "2018-07",
                                    "budget": {"benefit": {"per_month": 1000, "indexation_per_year": 0.1}}})
    outcomes = caseload_outcomes(scenario, simulate(scenario, 1, 0), seed=1, replication=0)
    # Horizon month 12 from July 2018 is July 2019: one indexation.
    assert outcomes["caseload_savings_per_year"] == pytest.approx(10 * 12 * 1100)


def test_columns_appear_only_with_a_caseload_section():
    without = run(make_scenario({"horizon_months": 12}), 2, seed=1, workers=1).outcomes
    assert "fewer_recipients" not in without.columns
    with_budget = run(make_scenario(TEN | {"start": "2021-01", "budget": {}}), 2, seed=1, workers=1).outcomes
    assert list(with_budget.columns[-5:]) == ["left_assistance", "caseload_inflow", "caseload_other_outflow",
                                              "fewer_recipients", "caseload_savings_per_year"]


def test_a_new_budget_reprices_the_caseload_saving_without_simulating_again(tmp_path):
    from sim.output.run_folder import recompute_budget, write_results
    scenario = make_scenario(TEN | {"caseload": {"inflow_per_month": 0.5}, "start": "2021-01",
                                    "budget": {"benefit": {"per_month": 1000}}})
    result = run(scenario, 5, seed=2, workers=1, keep_clients=True)
    written = result.outcomes
    write_results(result, tmp_path / "run")
    repriced = recompute_budget(tmp_path / "run", {"budget.benefit.per_month": 2000}).outcomes
    assert list(repriced.columns) == list(written.columns)
    assert (repriced["fewer_recipients"] == written["fewer_recipients"]).all()
    assert repriced["caseload_savings_per_year"].to_numpy() == pytest.approx(
        2 * written["caseload_savings_per_year"].to_numpy())
