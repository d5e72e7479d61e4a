"""Finding work without the programme's help, with and without the programme.

Both worlds spend the same per-person draw, so a programme that adds nothing
gives every person the same job start in both, and the difference between
the worlds is the programme's own effect, free of luck.
"""

import numpy as np
import pytest

from sim.measure.outcomes import monthly_counts, replication_outcomes
from sim.model.engine import simulate
from sim.model.states import FINAL_STATES
from tests.conftest import make_scenario

OWN = {"counterfactual": {"own_job_chance_per_year": 0.3}}


def test_a_programme_that_adds_nothing_changes_nobody_s_path():
    # No job route, no lock-in, no cap on places: people go through the
    # programme and keep their own chance all along.
    scenario = make_scenario({**OWN, "horizon_months": 60, "referrals": {"cohort_size": 500},
                              "stages": {"training": {"duration": {"dist": "uniform", "low": 1, "high": 9},
                                                      "=outcomes": {"benefit": 1.0}}}})
    clients = simulate(scenario, 4, 0).clients
    np.testing.assert_allclose(clients["own_job_start"], clients["counterfactual_job_start"], rtol=0, atol=1e-9)
    np.testing.assert_array_equal(clients["own_job_end"] == np.inf, clients["counterfactual_job_end"] == np.inf)
    result = replication_outcomes(scenario, simulate(scenario, 4, 0))
    assert result["net_into_work"] == 0 and result["found_work_without_programme"] > 100


def test_without_the_programme_work_is_found_at_the_stated_chance():
    # 30 % a year: P(found within 24 months) = 1 - 0.7^2 = 0.51.
    scenario = make_scenario({**OWN, "referrals": {"cohort_size": 4000}})
    share = replication_outcomes(scenario, simulate(scenario, 4, 0))["found_work_without_programme"] / 4000
    expected = 1 - 0.7**2
    assert abs(share - expected) < 4 * np.sqrt(expected * (1 - expected) / 4000)  # 4 binomial standard errors


def test_full_lock_in_stops_own_job_search_during_the_stage():
    scenario = make_scenario({**OWN, "stages": {"training": {"duration": 12, "lock_in": 1.0,
                                                             "=outcomes": {"benefit": 1.0}}},
                              "referrals": {"cohort_size": 300}})
    records = simulate(scenario, 4, 0)
    assert not records.visits["found_work"].any()
    own = records.clients["own_job_start"]
    assert np.all(own[np.isfinite(own)] >= 12)


def test_half_lock_in_halves_the_chance_while_in_the_stage():
    # In a 12-month stage with the monthly hazard halved, P(own job during the
    # stage) = 1 - 0.7^0.5 = 0.1633.
    scenario = make_scenario({**OWN, "stages": {"training": {"duration": 12, "lock_in": 0.5,
                                                             "=outcomes": {"benefit": 1.0}}},
                              "referrals": {"cohort_size": 4000}})
    share = simulate(scenario, 4, 0).visits["found_work"].mean()
    expected = 1 - 0.7**0.5
    assert abs(share - expected) < 4 * np.sqrt(expected * (1 - expected) / 4000)


def test_people_who_find_work_while_waiting_leave_the_list_and_free_their_turn():
    scenario = make_scenario({"counterfactual": {"own_job_chance_per_year": 0.9}, "horizon_months": 40,
                              "stages": {"training": {"slots": 1, "duration": 6, "lock_in": 1.0}}})
    records = simulate(scenario, 4, 0)
    clients = records.clients
    left_waiting = (clients["final_state"] == FINAL_STATES.index("found_work_on_own")) & np.isnan(clients["start_time"])
    assert left_waiting.any()
    np.testing.assert_array_equal(clients["waiting_list_until"][left_waiting], clients["own_job_start"][left_waiting])
    # With full lock-in every stay lasts 6 months, and the single place goes
    # straight to the next person still waiting: never idle, never held for
    # someone who has left.
    starts = np.sort(clients["start_time"][np.isfinite(clients["start_time"])])
    assert np.all(np.diff(starts) == pytest.approx(6.0))


def test_monthly_counts_still_add_up_with_own_jobs():
    scenario = make_scenario({**OWN, "stages": {"training": {"slots": 3, "dropout": {"probability": 0.3},
                                                             "lock_in": 0.4}},
                              "referrals": {"patience": 4},
                              "employment": {"job_loss_hazard_per_month": 0.1, "part_time_share": 0.3}})
    records = simulate(scenario, 3, 0)
    counts = monthly_counts(scenario, records)
    np.testing.assert_array_equal(counts.sum(axis=1), np.full(25, 10))
