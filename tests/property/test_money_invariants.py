"""Invariants of the money for any valid programme, checked on random ones:
what the accounting must never claim, whatever the scenario."""

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from sim.measure.money import account
from sim.measure.outcomes import client_columns
from sim.model.engine import simulate
from sim.scenario.edit import with_changes
from sim.scenario.files import scenario_from_dict
from tests.property.test_invariants import scenarios

SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def budgets(draw):
    """Money rules drawn at random: costs, administration and its saved
    share, part-time rules, discounting, other outflow, unemployment
    insurance, and a count-until month before or after the horizon."""
    return {
        "counterfactual.other_outflow_per_year": draw(st.sampled_from([0.0, 0.16, 0.6])),
        "employment.unemployment_insurance_months": draw(st.sampled_from([0.0, 3.0])),
        "start": "2021-01",
        "budget": {
            "benefit": {"couple_share": draw(st.floats(0, 1)), "administration_per_month": draw(st.floats(0, 400)),
                        "administration_saved_share": draw(st.floats(0, 1))},
            "part_time_work": draw(st.one_of(
                st.builds(lambda kept: {"benefit_kept": kept}, st.floats(0, 1)),
                st.builds(lambda earnings: {"earnings_per_month": earnings}, st.floats(0, 1500)))),
            "costs": {"per_participant": draw(st.floats(0, 5000)), "per_placement": draw(st.floats(0, 2000)),
                      "per_place_per_month": draw(st.floats(0, 300)), "fixed_per_month": draw(st.floats(0, 5000)),
                      "wage_subsidy_per_month": draw(st.floats(0, 800)), "wage_subsidy_months": draw(st.floats(0, 12))},
            "discount_rate": draw(st.floats(0, 0.1)),
            "count_until_month": draw(st.floats(1, 80)),
        },
    }


def with_budget(scenario, budget: dict):
    return with_changes(scenario, budget, "test")


def money_of(scenario, replication: int) -> tuple[dict, np.ndarray]:
    return account(scenario, client_columns(simulate(scenario, 11, replication), replication))


@SETTINGS
@given(scenario=scenarios(), budget=budgets(), replication=st.integers(0, 1000))
def test_net_savings_never_exceed_gross_savings(scenario, budget, replication):
    # Every stage pays benefit (the random scenarios have no paid stage):
    # nothing saved net can come from anywhere but the programme's jobs.
    money, cashflow = money_of(with_budget(scenario, budget), replication)
    # Amounts are in cents, each month rounded on its own: a cent a month apart at most.
    assert money["net_savings"] <= money["gross_savings"] + 0.01 * len(cashflow) + 1e-6


#: A benefit of EUR 1,132.625 a month (couple share 0.125) sits on a half
#: cent: a month counted whole in one world and in two pieces (before and
#: after an exit) in the other must still cost the same cents.
HALF_CENT_BENEFIT = {
    "counterfactual.other_outflow_per_year": 0.0, "employment.unemployment_insurance_months": 0.0,
    "start": "2021-01",
    "budget": {"benefit": {"couple_share": 0.125, "administration_per_month": 0.0,
                           "administration_saved_share": 0.0},
               "part_time_work": {"benefit_kept": 0.0},
               "costs": {"per_participant": 0.0, "per_placement": 0.0, "per_place_per_month": 0.0,
                         "fixed_per_month": 0.0, "wage_subsidy_per_month": 0.0, "wage_subsidy_months": 0.0},
               "discount_rate": 0.0, "count_until_month": 6.0}}
ONE_PERSON_WHO_MAY_EXIT = scenario_from_dict({
    "name": "random", "horizon_months": 40.0,
    "segments": {"a": {"share": 0.5}, "b": {"share": 0.5, "placement_factor": 0.0}},
    "referrals": {"process": "schedule", "acceptance": 1.0, "until_month": 20.0,
                  "schedule": [{"month": 0.0, "count": 1}]},
    "stages": {"stage_0": {"duration": 1.0847339251250205, "outcomes": {"job": 0.5, "stage_0": 0.25, "exit": 0.25}}},
    "counterfactual": {"own_job_chance_per_year": 0.0},
})


@SETTINGS
@given(scenario=scenarios(), budget=budgets(), replication=st.integers(0, 1000))
@example(scenario=ONE_PERSON_WHO_MAY_EXIT, budget=HALF_CENT_BENEFIT, replication=12)
def test_a_programme_with_no_effect_saves_nothing_net(scenario, budget, replication):
    # No job routes and no lock-in: with the programme everyone keeps the
    # chances they had without it (exits count as they would have anyway).
    no_jobs = {}
    for name, stage in scenario.stages.items():
        routes = {destination: share for destination, share in stage.routes.items() if destination != "job"}
        routes["benefit"] = routes.get("benefit", 0.0) + stage.routes.get("job", 0.0)
        no_jobs[f"stages.{name}.outcomes"] = routes
        no_jobs[f"stages.{name}.lock_in"] = 0.0
    money, cashflow = money_of(with_budget(with_changes(scenario, no_jobs, "test"), budget), replication)
    # Exactly: a rounding error would read as a saving, or as breaking even.
    assert money["net_savings"] == 0 and (cashflow[:, 2] == 0).all()
    assert money["npv"] <= 0 and np.isnan(money["break_even_month"])


@SETTINGS
@given(scenario=scenarios(), budget=budgets(), replication=st.integers(0, 1000))
def test_doubling_all_costs_lowers_npv_by_exactly_the_discounted_costs(scenario, budget, replication):
    once = with_budget(scenario, budget)
    doubled = with_budget(scenario, budget | {"budget": budget["budget"] | {
        "costs": {name: value * (2 if name != "wage_subsidy_months" else 1)
                  for name, value in budget["budget"]["costs"].items()}}})
    money, cashflow = money_of(once, replication)
    money_doubled, _ = money_of(doubled, replication)
    # Each month's costs are rounded to the cent: twice the rounded amount is
    # at most a cent off the rounded double.
    assert money_doubled["npv"] == pytest.approx(money["npv"] - money["discounted_costs"],
                                                 abs=0.01 * len(cashflow) + 1e-6)


@SETTINGS
@given(scenario=scenarios(), budget=budgets(), replication=st.integers(0, 1000))
def test_without_discounting_npv_is_the_plain_sum(scenario, budget, replication):
    plain = with_budget(scenario, budget | {"budget": budget["budget"] | {"discount_rate": 0.0}})
    money, cashflow = money_of(plain, replication)
    assert money["npv"] == pytest.approx(money["net_savings"] - money["total_costs"], rel=1e-9, abs=1e-6)
    assert money["npv"] == pytest.approx(cashflow[:, 4].sum(), rel=1e-9, abs=1e-6)


@SETTINGS
@given(scenario=scenarios(), budget=budgets(), replication=st.integers(0, 1000),
       months=st.lists(st.floats(1, 120), min_size=2, max_size=2))
def test_gross_savings_grow_with_the_months_counted_when_nobody_returns(scenario, budget, replication, months):
    # Jobs that are never lost: each further month counted adds months in work.
    never_lost = with_changes(scenario, {"employment.job_loss_hazard_per_month": 0.0}, "test")
    earlier, later = sorted(months)
    gross = [money_of(with_budget(never_lost, budget | {"budget": budget["budget"] | {"count_until_month": m}}),
                      replication)[0]["gross_savings"] for m in (earlier, later)]
    assert gross[0] <= gross[1] + 1e-6
