"""Money on cases small enough to work out by hand."""

import math

import numpy as np
import pytest
from scipy import stats

from sim.measure.money import account
from sim.measure.outcomes import client_columns
from sim.model.engine import simulate
from sim.run.runner import run
from tests.conftest import make_scenario

# One person referred at month 0: 3 months of training, then a full-time job
# that lasts beyond the 12-month horizon. Nobody finds work on their own (a
# counterfactual stated, with no chance of work or other outflow).
ONE = {
    "horizon_months": 12,
    "referrals": {"cohort_size": 1},
    "counterfactual": {"own_job_chance_per_year": 0.0},
    "start": "2021-01", "budget": {"benefit": {"per_month": 1000}, "discount_rate": 0.0,
               "costs": {"per_participant": 500, "per_placement": 200, "per_stage_month": {"training": 100},
                         "fixed_per_month": 50}},
}


def money_of(changes: dict) -> tuple[dict, np.ndarray]:
    scenario = make_scenario(changes)
    return account(scenario, client_columns(simulate(scenario, 1, 0), 0))


def test_one_person_placed_after_three_months():
    money, cashflow = money_of(ONE)
    assert money["benefit_months_with"] == pytest.approx(3)       # months 0, 1, 2
    assert money["benefit_months_without"] == pytest.approx(12)   # would have stayed on benefit
    assert money["net_savings"] == pytest.approx(9000)
    assert money["gross_savings"] == pytest.approx(9000)          # 9 months in work
    # 500 at the start, 200 at placement, 3 training months at 100, 3 running months at 50.
    assert money["total_costs"] == pytest.approx(500 + 200 + 300 + 150)
    assert money["npv"] == pytest.approx(9000 - 1150)
    assert money["benefit_cost_ratio"] == pytest.approx(9000 / 1150)
    assert money["cost_per_placement"] == pytest.approx(1150)
    # Saving minus costs per month: -650, -150, -150, +800, +1000...: cumulative
    # -650, -800, -950, -150, +850 at the ends of months 1 to 5, so it
    # breaks even by the end of month 5, as the cumulative plot shows it.
    np.testing.assert_allclose(cashflow[:5, 2] - cashflow[:5, 3], [-650, -150, -150, 800, 1000])
    assert money["break_even_month"] == 5


def test_discounting_at_the_annual_rate():
    # A 12 % rate: money in month 12 is worth 1/1.12 of money now.
    money, cashflow = money_of(ONE | {"horizon_months": 24, "budget": ONE["budget"] | {"discount_rate": 0.12}})
    np.testing.assert_allclose(cashflow[12, 4], (cashflow[12, 2] - cashflow[12, 3]) / 1.12)
    assert money["discounted_net_savings"] < money["net_savings"]


def test_part_time_workers_keep_a_share_of_their_benefit():
    money, _ = money_of(ONE | {"employment": {"part_time_share": 1.0},
                               "budget": ONE["budget"] | {"part_time_work": {"benefit_kept": 0.4}}})
    assert money["benefit_months_with"] == pytest.approx(3 + 9 * 0.4)


def test_part_time_earnings_with_the_exemption():
    # Earnings 510; 25 % exempt (127.50, under the cap) for 6 months.
    # Benefit kept: 1 - (510 - 127.5) / 1000 = 0.6175 for 6 months, then 0.49.
    money, _ = money_of(ONE | {"employment": {"part_time_share": 1.0},
                               "budget": ONE["budget"] | {"part_time_work": {"earnings_per_month": 510}}})
    assert money["benefit_months_with"] == pytest.approx(3 + 6 * 0.6175 + 3 * 0.49)


def test_a_stage_without_benefit_pays_none():
    money, _ = money_of(ONE | {"stages": {"training": {"on_benefit": False}}})
    assert money["benefit_months_with"] == pytest.approx(0)


def test_the_norm_is_indexed_each_january():
    # Start in July: months 0-5 in 2021, 6-11 in 2022 at 10 % more.
    money, _ = money_of(ONE | {"stages": {"training": {"=outcomes": {"benefit": 1.0}}}, "start": "2021-07",
                               "budget": ONE["budget"] | {"benefit": {"per_month": 1000, "indexation_per_year": 0.1}}})
    assert money["benefit_paid_with"] == pytest.approx(6 * 1000 + 6 * 1100)


def test_lost_jobs_send_people_back_on_benefit():
    # A job ends at rate h; expected months back on benefit by the horizon
    # follow from the exponential; with 4000 people the mean is sharp.
    changes = ONE | {"referrals": {"cohort_size": 4000}, "employment": {"job_loss_hazard_per_month": 0.1}}
    money, _ = money_of(changes)
    # E[months back within 9 months of work] = 9 - (1 - e^{-0.9}) / 0.1 = 3.934.
    per_person = money["benefit_months_with"] / 4000 - 3
    assert per_person == pytest.approx(9 - (1 - math.exp(-0.9)) / 0.1, abs=0.1)


def test_a_programme_that_adds_nothing_saves_nothing():
    # Nobody placed, no lock-in: with the programme everyone keeps exactly
    # the chance they had without it, so not a euro is saved, in any run.
    scenario = make_scenario({
        "horizon_months": 36, "referrals": {"cohort_size": 200},
        "stages": {"training": {"duration": {"dist": "uniform", "low": 1, "high": 9}, "=outcomes": {"benefit": 1.0}}},
        "counterfactual": {"own_job_chance_per_year": 0.3},
        "start": "2021-01", "budget": {"benefit": {"per_month": 1000}},
    })
    net = run(scenario, 50, workers=1).outcomes["net_savings"].to_numpy()
    np.testing.assert_allclose(net, 0, atol=1e-6)


def test_placing_at_the_counterfactual_rate_saves_nothing_on_average():
    # The programme places people at exactly the rate at which they would
    # find work on their own (30 % a year), in place of their own search
    # (lock-in 1): the same chance by another route. Its net savings have
    # a 95 % confidence interval (t, over 400 replications) containing zero.
    hazard = -math.log(0.7) / 12
    scenario = make_scenario({
        "horizon_months": 36, "referrals": {"cohort_size": 100},
        "stages": {"training": {"duration": {"dist": "exponential", "mean": 1 / hazard}, "lock_in": 1.0}},
        "counterfactual": {"own_job_chance_per_year": 0.3},
        "start": "2021-01", "budget": {"benefit": {"per_month": 1000}},
    })
    net = run(scenario, 400, workers=1).outcomes["net_savings"].to_numpy()
    half_width = stats.t.ppf(0.975, len(net) - 1) * net.std(ddof=1) / math.sqrt(len(net))
    assert abs(net.mean()) < half_width, (net.mean(), half_width)
    assert half_width < 0.05 * 100 * 36 * 1000  # sharp enough to mean something: < 5 % of all benefit


def test_heerlen_order_of_magnitude():
    # Heerlen 2018: 317 fewer recipients for a year saved more than EUR 3.6
    # million. 317 people leaving benefit for a year at the 2018 norms (mostly
    # singles: 5 % couples) must come to EUR 3.3-3.9 million.
    scenario = make_scenario({
        "horizon_months": 12, "referrals": {"cohort_size": 317},
        "stages": {"training": {"duration": 0}},
        "counterfactual": {},
        "budget": {"start": "2018-01", "benefit": {"norm_year": 2018, "couple_share": 0.05}, "discount_rate": 0.0},
    })
    money, _ = account(scenario, client_columns(simulate(scenario, 1, 0), 0))
    assert 3.3e6 <= money["net_savings"] <= 3.9e6
    assert money["net_savings"] == pytest.approx(317 * 12 * (0.95 * 992 + 0.05 * 1417))
