"""The rules that keep money from being overstated: exits, other outflow,
administration at its marginal cost, unemployment insurance, money counted
past the horizon, paid stages, and figures a scenario cannot support."""

import math

import numpy as np
import pytest

from sim.errors import ScenarioError
from sim.measure.money import account, not_estimated
from sim.measure.outcomes import UI_QUALIFYING_MONTHS, client_columns
from sim.model.engine import simulate
from sim.run.runner import run
from tests.conftest import make_scenario
from tests.unit.test_money import ONE


def money_and_clients(changes: dict, seed: int = 1) -> tuple[dict, np.ndarray, dict]:
    scenario = make_scenario(changes)
    clients = client_columns(simulate(scenario, seed, 0), 0)
    money, cashflow = account(scenario, clients)
    return money, cashflow, clients


# A programme whose only effect is to route people out of the scope.
EXIT_ONLY = {
    "horizon_months": 36, "referrals": {"cohort_size": 200},
    "stages": {"training": {"duration": {"dist": "uniform", "low": 1, "high": 9}, "=outcomes": {"exit": 1.0}}},
    "counterfactual": {"own_job_chance_per_year": 0.3},
    "start": "2021-01", "budget": {"benefit": {"per_month": 1000}, "costs": {}},
}


def test_a_programme_that_only_routes_people_to_exit_saves_nothing():
    # Leaving the scope (moving, another benefit) is not the programme's
    # doing: from their exit people count as they would have without it.
    net = run(make_scenario(EXIT_ONLY), 30, workers=1).outcomes["net_savings"].to_numpy()
    np.testing.assert_allclose(net, 0, atol=1e-6)


def test_exits_count_as_savings_only_when_claimed():
    claimed = make_scenario(EXIT_ONLY | {"budget": EXIT_ONLY["budget"] | {"exits_are_programme_effect": True}})
    outcomes = run(claimed, 30, workers=1).outcomes
    assert (outcomes["net_savings"] > 0).all()
    # Claimed, they are the programme's saving: gross as well, never net above gross.
    assert (outcomes["net_savings"] <= outcomes["gross_savings"] + 0.01 * 36).all()


def test_leaving_the_scope_is_not_a_loss_of_work_either():
    # No lock-in: until they leave, people find work on their own as they
    # would have; after it, as without the programme. Net into work: none.
    outcomes = run(make_scenario(EXIT_ONLY), 30, workers=1).outcomes
    assert (outcomes["found_work_without_programme"] > 0).all()
    assert (outcomes["net_into_work"] == 0).all()


def test_other_outflow_ends_benefit_in_both_worlds_at_the_same_moment():
    # ONE, with a chance of leaving for other reasons: both worlds stop at
    # that person's own moment, so the saving is the months in work before it.
    changes = ONE | {"referrals": {"cohort_size": 300},
                     "counterfactual": {"own_job_chance_per_year": 0.0, "other_outflow_per_year": 0.5}}
    money, _, clients = money_and_clients(changes)
    gone = np.nan_to_num(clients["other_outflow_time"], nan=np.inf)
    assert np.isfinite(gone).any() and (gone < 12).any() and (gone > 12).any()
    months_saved = np.clip(np.minimum(gone, 12) - 3, 0, None)  # in work from month 3
    assert money["net_savings"] == pytest.approx(1000 * months_saved.sum())
    assert money["benefit_months_without"] == pytest.approx(np.minimum(gone, 12).sum())


def test_other_outflow_is_drawn_once_per_person_at_the_stated_rate():
    # 15 % a year: the share gone within a year is binomial around 0.15;
    # with 20,000 people its standard error is 0.0025, and 4 of them is 0.01.
    scenario = make_scenario({"horizon_months": 12, "referrals": {"cohort_size": 20000},
                              "counterfactual": {"other_outflow_per_year": 0.15}})
    clients = client_columns(simulate(scenario, 3, 0), 0)
    gone_in_a_year = np.nan_to_num(clients["other_outflow_time"], nan=np.inf) - clients["referral_time"] < 12
    assert gone_in_a_year.mean() == pytest.approx(0.15, abs=4 * math.sqrt(0.15 * 0.85 / 20000))


def test_a_programme_with_no_effect_saves_nothing_with_other_outflow():
    scenario = make_scenario({
        "horizon_months": 36, "referrals": {"cohort_size": 200},
        "stages": {"training": {"duration": {"dist": "uniform", "low": 1, "high": 9}, "=outcomes": {"benefit": 1.0}}},
        "counterfactual": {"own_job_chance_per_year": 0.3, "other_outflow_per_year": 0.15},
        "start": "2021-01",
        "budget": {"benefit": {"per_month": 1000, "administration_per_month": 200, "administration_saved_share": 1}},
    })
    net = run(scenario, 30, workers=1).outcomes["net_savings"].to_numpy()
    np.testing.assert_allclose(net, 0, atol=1e-6)


def test_only_the_stated_share_of_administration_is_saved():
    budget = ONE["budget"] | {"benefit": {"per_month": 1000, "administration_per_month": 200,
                                          "administration_saved_share": 0.25}}
    money, _, _ = money_and_clients(ONE | {"budget": budget})
    assert money["net_savings"] == pytest.approx(9 * (1000 + 0.25 * 200))
    assert money["gross_savings"] == pytest.approx(9 * (1000 + 0.25 * 200))


def test_a_part_time_worker_saves_no_administration():
    # Even when all of it would stop for someone who leaves.
    budget = ONE["budget"] | {"benefit": {"per_month": 1000, "administration_per_month": 200,
                                          "administration_saved_share": 1},
                              "part_time_work": {"benefit_kept": 0.4}}
    money, _, _ = money_and_clients(ONE | {"employment": {"part_time_share": 1.0}, "budget": budget})
    assert money["net_savings"] == pytest.approx(9 * 0.6 * 1000)
    assert money["gross_savings"] == pytest.approx(9 * 0.6 * 1000)


def test_money_is_counted_past_the_horizon_until_the_month_asked():
    # The job outlasts both months: 21 months saved of 24 counted.
    money, cashflow, _ = money_and_clients(ONE | {"budget": ONE["budget"] | {"count_until_month": 24}})
    assert len(cashflow) == 24
    assert money["net_savings"] == pytest.approx(21 * 1000)
    assert money["benefit_months_without"] == pytest.approx(24)
    # The programme's own costs stop with the horizon: nobody is in a stage after it.
    assert money["total_costs"] == pytest.approx(500 + 200 + 300 + 150)


def test_money_counted_before_the_horizon_stops_there():
    money, cashflow, _ = money_and_clients(ONE | {"budget": ONE["budget"] | {"count_until_month": 6}})
    assert len(cashflow) == 6
    assert money["net_savings"] == pytest.approx(3 * 1000)


def test_the_horizon_does_not_change_money_counted_to_a_later_month():
    # Everyone has left the programme well before month 40 (intake until
    # 12, training at most 6 months, job search at most 2, places for all),
    # so a horizon of 48 or 72 follows the same people on the same draws:
    # money counted until month 120 is the same, run by run.
    changes = {
        "horizon_months": 48,
        "referrals": {"process": "poisson", "rate_per_month": 5, "until_month": 12, "=cohort_size": None},
        "stages": {"=training": {"duration": {"dist": "uniform", "low": 2, "high": 6}, "dropout": {"probability": 0.2},
                                 "lock_in": 0.5, "next": "search"},
                   "search": {"duration": {"dist": "uniform", "low": 0.5, "high": 2},
                              "outcomes": {"job": 0.6, "benefit": 0.3, "exit": 0.1}}},
        "employment": {"part_time_share": 0.3, "job_loss_hazard_per_month": 0.02,
                       "unemployment_insurance_months": 3},
        "counterfactual": {"own_job_chance_per_year": 0.08, "other_outflow_per_year": 0.15},
        "start": "2021-01",
        "budget": {"benefit": {"per_month": 1000, "administration_per_month": 200, "administration_saved_share": 0.5},
                   "costs": {"per_participant": 3000, "fixed_per_month": 1000}, "count_until_month": 120},
    }
    at_48 = run(make_scenario(changes), 20, workers=1).outcomes
    at_72 = run(make_scenario(changes | {"horizon_months": 72}), 20, workers=1).outcomes
    assert (at_48["in_programme_at_horizon"] == 0).all() and (at_48["waiting_at_horizon"] == 0).all()
    for outcome in ("gross_savings", "net_savings", "total_costs", "npv", "npv_at_pilot_end", "break_even_month"):
        np.testing.assert_allclose(at_48[outcome], at_72[outcome], rtol=1e-12, err_msg=outcome)


def test_unemployment_insurance_delays_the_return_to_assistance():
    # Jobs end at 0.1 a month; a job held 26 weeks or more is followed by 4
    # months of unemployment insurance before assistance resumes.
    changes = ONE | {"horizon_months": 40, "referrals": {"cohort_size": 400},
                     "employment": {"job_loss_hazard_per_month": 0.1, "unemployment_insurance_months": 4}}
    money, _, clients = money_and_clients(changes)
    start, end = clients["job_start"], np.nan_to_num(clients["job_end"], nan=np.inf)
    back = end + np.where(end - start >= UI_QUALIFYING_MONTHS, 4, 0)
    expected = np.minimum(start, 40) + np.clip(40 - back, 0, None)  # on assistance before the job and once back
    assert money["benefit_months_with"] == pytest.approx(expected.sum())
    assert (end - start < UI_QUALIFYING_MONTHS).any() and (end - start >= UI_QUALIFYING_MONTHS).any()


def test_a_paid_stage_counts_in_gross_savings_so_net_never_exceeds_gross():
    money, _, _ = money_and_clients(ONE | {"stages": {"training": {"on_benefit": False}}})
    assert money["gross_savings"] == pytest.approx(12 * 1000)  # 3 months paid work in the stage, 9 in the job
    assert money["net_savings"] <= money["gross_savings"] + 1e-6


def test_npv_at_the_pilots_end_counts_money_until_intake_ends():
    changes = ONE | {"referrals": {"cohort_size": 1, "until_month": 4}}
    money, cashflow, _ = money_and_clients(changes)
    assert money["npv_at_pilot_end"] == pytest.approx((cashflow[:4, 2] - cashflow[:4, 3]).sum())
    assert money["npv_at_pilot_end"] < money["npv"]


def test_without_costs_or_counterfactual_the_figures_that_need_them_are_not_estimated():
    no_costs = make_scenario(ONE | {"=budget": {"benefit": {"per_month": 1000}}})
    money, _ = account(no_costs, client_columns(simulate(no_costs, 1, 0), 0))
    for name in ("total_costs", "npv", "npv_at_pilot_end", "cost_per_placement", "break_even_month",
                 "benefit_cost_ratio"):
        assert math.isnan(money[name]), name
    assert money["net_savings"] == pytest.approx(9000)
    assert "budget.costs" in not_estimated(no_costs)["npv"]

    no_counterfactual = make_scenario({key: value for key, value in ONE.items() if key != "counterfactual"})
    money, _ = account(no_counterfactual, client_columns(simulate(no_counterfactual, 1, 0), 0))
    for name in ("net_savings", "benefit_paid_without", "npv", "break_even_month", "cost_per_net_placement"):
        assert math.isnan(money[name]), name
    assert money["gross_savings"] == pytest.approx(9000)
    assert money["total_costs"] == pytest.approx(1150)


def test_an_administration_cost_needs_the_share_of_it_that_is_saved():
    with pytest.raises(ScenarioError, match="administration_per_month needs administration_saved_share"):
        make_scenario(ONE | {"budget": ONE["budget"] | {"benefit": {"per_month": 1000,
                                                                    "administration_per_month": 200}}})


def test_a_nominal_view_of_indexed_amounts_is_refused_rather_than_indexed_twice():
    with pytest.raises(ScenarioError, match="not both"):
        make_scenario(ONE | {"budget": ONE["budget"] | {"price_index_per_year": 0.02,
                                                        "benefit": {"per_month": 1000, "indexation_per_year": 0.03}}})


def test_a_programme_that_changes_nothing_never_breaks_even_by_a_rounding_error():
    # Other outflow makes both worlds' sums differ in the last bits; no cost
    # at all. Not one run may show a saving, break even or pay for itself.
    scenario = make_scenario({
        "horizon_months": 36, "referrals": {"cohort_size": 50},
        "stages": {"training": {"duration": {"dist": "uniform", "low": 1, "high": 9}, "=outcomes": {"exit": 1.0}}},
        "counterfactual": {"own_job_chance_per_year": 0.3, "other_outflow_per_year": 0.1},
        "start": "2021-01",
        "budget": {"benefit": {"per_month": 1075.37, "couple_share": 0.13}, "costs": {}, "discount_rate": 0.0225},
    })
    outcomes = run(scenario, 40, workers=1).outcomes
    assert (outcomes["net_savings"] == 0).all() and (outcomes["npv"] == 0).all()
    assert outcomes["break_even_month"].isna().all()


def test_money_counted_before_the_pilots_end_leaves_the_npv_there_not_estimated():
    changes = ONE | {"referrals": {"cohort_size": 1, "until_month": 8},
                     "budget": ONE["budget"] | {"count_until_month": 6}}
    scenario = make_scenario(changes)
    money, _ = account(scenario, client_columns(simulate(scenario, 1, 0), 0))
    assert math.isnan(money["npv_at_pilot_end"]) and not math.isnan(money["npv"])
    # Costs to month 6 against placements to month 12 would be no cost per placement.
    assert math.isnan(money["cost_per_placement"]) and math.isnan(money["cost_per_net_placement"])
    reasons = not_estimated(scenario)
    assert "until month 6, before the pilot's end (month 8)" in reasons["npv_at_pilot_end"]
