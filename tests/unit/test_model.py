"""The model on small programmes whose course can be worked out by hand."""

import numpy as np
import pytest

from sim.measure.outcomes import monthly_counts, replication_outcomes, state_names
from sim.model.engine import simulate
from sim.model.states import FINAL_STATES
from tests.conftest import make_scenario


def outcomes_of(scenario, replication=0):
    return replication_outcomes(scenario, simulate(scenario, scenario.seed, replication))


def test_a_cohort_with_certain_jobs_is_placed_when_training_ends():
    scenario = make_scenario()  # 10 people at month 0, 3 months training, all to a job
    records = simulate(scenario, 1, 0)
    assert records.clients["job_start"].tolist() == [3.0] * 10
    result = replication_outcomes(scenario, records)
    assert (result["referred"], result["started"], result["placed"], result["completed"]) == (10, 10, 10, 10)
    assert result["mean_wait_months"] == 0


def test_places_are_taken_in_turn_by_the_waiting_list():
    # 10 people, 4 places, 3 months each: groups start at 0, 3 and 6.
    scenario = make_scenario({"stages": {"training": {"slots": 4}}})
    records = simulate(scenario, 1, 0)
    assert sorted(records.clients["start_time"].tolist()) == [0.0] * 4 + [3.0] * 4 + [6.0] * 2
    assert outcomes_of(scenario)["mean_wait_months"] == pytest.approx((4 * 3 + 2 * 6) / 10)


def test_a_full_waiting_list_turns_people_away():
    scenario = make_scenario({"stages": {"training": {"slots": 4}}, "referrals": {"waiting_list_limit": 2}})
    result = outcomes_of(scenario)
    assert (result["started"], result["turned_away"]) == (6, 4)


def test_impatient_people_leave_the_waiting_list():
    scenario = make_scenario({"stages": {"training": {"slots": 4}}, "referrals": {"patience": 2.5}})
    result = outcomes_of(scenario)
    assert (result["started"], result["reneged"]) == (4, 6)


def test_the_lifetime_cap_stops_referrals_once_the_pilot_is_full():
    scenario = make_scenario({"referrals": {"max_participants": 7}})
    result = outcomes_of(scenario)
    assert (result["referred"], result["started"]) == (7, 7)


def test_nobody_passes_intake_when_acceptance_is_zero():
    result = outcomes_of(make_scenario({"referrals": {"acceptance": 0.0}}))
    assert (result["referred"], result["not_accepted"], result["started"]) == (10, 10, 0)


def test_certain_dropout_ends_everyone_early_and_frees_the_place():
    scenario = make_scenario({"stages": {"training": {"slots": 5, "dropout": {"probability": 1.0}}}})
    records = simulate(scenario, 1, 0)
    result = replication_outcomes(scenario, records)
    assert (result["dropped_out"], result["placed"]) == (10, 0)
    assert np.all(records.visits["end"] - records.visits["start"] < 3)
    # The second five start as soon as the first five drop out, before month 3.
    assert sorted(records.clients["start_time"])[5] < 3


def test_a_dropout_hazard_competes_with_finishing():
    # Exponential time to dropout with rate h against a fixed 3 months:
    # P(dropout) = 1 - exp(-3h). With h = 0.2 that is 0.4512.
    scenario = make_scenario({"referrals": {"cohort_size": 4000},
                              "stages": {"training": {"dropout": {"hazard_per_month": 0.2}}}})
    share = outcomes_of(scenario)["dropped_out"] / 4000
    expected = 1 - np.exp(-0.6)
    # Binomial standard error sqrt(p(1-p)/n) = 0.0079; allow 4 of them.
    assert abs(share - expected) < 4 * np.sqrt(expected * (1 - expected) / 4000)


def test_routing_through_stages_to_every_destination():
    scenario = make_scenario({
        "referrals": {"cohort_size": 3000},
        "=stages": {
            "intake_course": {"duration": 1, "next": "placement"},
            "placement": {"duration": 2, "outcomes": {"job": 0.5, "benefit": 0.3, "exit": 0.2}},
        },
    })
    result = outcomes_of(scenario)
    assert result["placed"] + result["completed_no_job"] + result["exited"] == 3000
    for outcome, p in (("placed", 0.5), ("completed_no_job", 0.3), ("exited", 0.2)):
        # 4 binomial standard errors.
        assert abs(result[outcome] / 3000 - p) < 4 * np.sqrt(p * (1 - p) / 3000), outcome


def test_a_loop_between_stages_is_followed_until_it_ends():
    scenario = make_scenario({
        "=stages": {
            "work_experience": {"duration": 1, "outcomes": {"paid_job_scheme": 0.5, "job": 0.5}},
            "paid_job_scheme": {"duration": 1, "outcomes": {"work_experience": 0.5, "job": 0.5}},
        },
        "horizon_months": 200,
    })
    records = simulate(scenario, 1, 0)
    result = replication_outcomes(scenario, records)
    assert result["referred"] == 20  # cohorts at months 0 and 100
    assert result["placed"] == 20
    assert len(records.visits["client"]) > 20  # some went round more than once


def test_segment_factors_change_the_odds_of_their_own_group_only():
    scenario = make_scenario({
        "referrals": {"cohort_size": 4000},
        "segments": {"general": {"share": 0.5}, "over_50": {"share": 0.5, "placement_factor": 0.5}},
        "stages": {"training": {"outcomes": {"job": 0.8, "benefit": 0.2}}},
    })
    clients = simulate(scenario, 1, 0).clients
    placed = np.isfinite(clients["job_start"])
    for segment, expected in ((0, 0.8), (1, 0.4)):
        mine = clients["segment"] == segment
        rate = placed[mine].mean()
        assert abs(rate - expected) < 4 * np.sqrt(expected * (1 - expected) / mine.sum())


def test_jobs_are_lost_at_the_monthly_hazard():
    # P(still in work 12 months after placement) = exp(-12 h).
    scenario = make_scenario({"referrals": {"cohort_size": 4000}, "horizon_months": 15,
                              "employment": {"job_loss_hazard_per_month": 0.05}})
    result = outcomes_of(scenario)
    expected = np.exp(-0.6)
    share = result["employed_at_horizon"] / 4000
    assert abs(share - expected) < 4 * np.sqrt(expected * (1 - expected) / 4000)
    assert result["back_on_benefit"] + result["employed_at_horizon"] == 4000


def test_sustained_work_needs_the_configured_months_before_the_horizon():
    # Placed at month 3; with a 24-month horizon, 6 months fit, 22 do not.
    assert outcomes_of(make_scenario())["sustained"] == 10
    assert outcomes_of(make_scenario({"employment": {"sustained_months": 22}}))["sustained"] == 0


def test_poisson_referrals_arrive_at_the_stated_rate():
    scenario = make_scenario({"=referrals": {"process": "poisson", "rate_per_month": 50,
                                             "from_month": 2, "until_month": 12}})
    clients = simulate(scenario, 1, 0).clients
    assert clients["referral_time"].min() >= 2 and clients["referral_time"].max() < 12
    # Poisson count over 10 months: mean 500, sd sqrt(500) = 22.
    assert abs(len(clients["referral_time"]) - 500) < 4 * np.sqrt(500)


def test_a_schedule_refers_the_listed_numbers():
    scenario = make_scenario({"=referrals": {"process": "schedule",
                                             "schedule": [{"month": 0, "count": 3}, {"month": 5, "count": 2}]}})
    assert sorted(simulate(scenario, 1, 0).clients["referral_time"].tolist()) == [0, 0, 0, 5, 5]


def test_more_places_change_waits_but_not_anyone_s_own_durations():
    # Common random numbers: client i draws the same training length whatever
    # the capacity, so a comparison shows the effect of places alone.
    def lengths(slots):
        records = simulate(make_scenario({"stages": {"training": {"slots": slots,
                                          "duration": {"dist": "uniform", "low": 2, "high": 4}}}}), 1, 0)
        order = np.argsort(records.visits["client"])
        return (records.visits["end"] - records.visits["start"])[order]

    np.testing.assert_allclose(lengths(3), lengths(8), rtol=1e-12)


def test_monthly_counts_add_up_to_everyone_referred_so_far():
    scenario = make_scenario({"stages": {"training": {"slots": 4, "dropout": {"probability": 0.3}}},
                              "referrals": {"patience": 4},
                              "employment": {"job_loss_hazard_per_month": 0.1, "part_time_share": 0.3}})
    records = simulate(scenario, 3, 0)
    counts = monthly_counts(scenario, records)
    assert counts.shape == (25, len(state_names(scenario)))
    np.testing.assert_array_equal(counts.sum(axis=1), np.full(25, 10))


def test_final_states_name_every_client():
    records = simulate(make_scenario({"stages": {"training": {"slots": 4}}, "referrals": {"patience": 2}}), 1, 0)
    names = {FINAL_STATES[code] for code in records.clients["final_state"]}
    assert names == {"employed", "reneged"}


def test_a_place_that_comes_free_as_someone_arrives_is_theirs():
    # Cohorts of 4 every 3 months, 4 places of exactly 3 months, no waiting
    # list at all: each cohort takes the places the one before leaves at that
    # very moment, so nobody is turned away.
    scenario = make_scenario({"referrals": {"every_months": 3, "cohort_size": 4, "until_month": 9,
                                            "waiting_list_limit": 0},
                              "stages": {"training": {"slots": 4}}})
    result = outcomes_of(scenario)
    assert (result["referred"], result["started"], result["turned_away"]) == (12, 12, 0)
    assert result["mean_wait_months"] == 0


def test_a_replication_run_in_a_chunk_is_the_same_as_run_alone():
    from sim.measure.outcomes import OUTCOMES, monthly_count_rows, outcome_rows, stage_outcome_names
    from sim.model.engine import simulate_chunk

    scenario = make_scenario({
        "referrals": {"=process": "poisson", "rate_per_month": 3, "until_month": 12, "patience": 3},
        "stages": {"training": {"slots": 5, "duration": {"dist": "exponential", "mean": 4},
                                "dropout": {"probability": 0.2}, "outcomes": None, "next": "search"},
                   "search": {"duration": 2, "slots": 2, "outcomes": {"job": 0.6, "benefit": 0.4}}},
        "employment": {"job_loss_hazard_per_month": 0.05, "part_time_share": 0.3},
        "counterfactual": {"own_job_chance_per_year": 0.1},
    })
    chunk = simulate_chunk(scenario, 9, 3, 15)
    rows, monthly = outcome_rows(scenario, chunk), monthly_count_rows(scenario, chunk)
    names = OUTCOMES + stage_outcome_names(scenario)
    for position, replication in enumerate(range(3, 15)):
        alone, in_chunk = simulate(scenario, 9, replication), chunk.replication(position)
        for part in ("clients", "visits", "between_stages"):
            assert getattr(in_chunk, part).keys() == getattr(alone, part).keys()
            for name, values in getattr(alone, part).items():
                np.testing.assert_array_equal(getattr(in_chunk, part)[name], values, err_msg=f"{part}.{name}")
        counted_alone = replication_outcomes(scenario, alone)
        np.testing.assert_allclose(rows[position], [counted_alone[name] for name in names], rtol=1e-12)
        np.testing.assert_array_equal(monthly[position], monthly_counts(scenario, alone))
    # The replications differ, and some wait between stages, so a mix-up would show.
    assert len({tuple(row) for row in rows[:, :6].tolist()}) > 1
    assert len(chunk.between_stages["client"]) > 0


def test_a_stay_ending_exactly_at_the_horizon_on_the_way_to_another_stage_is_still_counted():
    # A fixed month of training that loops back into itself: at the horizon
    # (month 1) the next stay would start where nothing happens any more, so
    # the person is still in the first stay, not nowhere.
    scenario = make_scenario({"horizon_months": 1, "referrals": {"cohort_size": 1},
                              "stages": {"training": {"duration": 1, "=outcomes": {"training": 0.5, "job": 0.5}}}})
    for replication in range(20):
        records = simulate(scenario, 11, replication)
        counts = monthly_counts(scenario, records)
        assert counts.sum(axis=1).tolist() == [1, 1], replication
        looped = records.clients["final_state"][0] == FINAL_STATES.index("in_programme")
        if looped:
            assert counts[1, state_names(scenario).index("training")] == 1
