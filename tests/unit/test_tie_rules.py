"""What happens when things coincide, on both engines (fixed durations make
them coincide; docs/model.md states these rules). People are numbered in
order of referral."""

import math

import numpy as np
import pytest

from sim.model import engine, processes
from sim.model.states import FINAL_STATES
from tests.conftest import make_scenario

ENGINES = {"fast": engine.simulate, "processes": processes.simulate}


def one_run(simulate, changes: dict):
    records = simulate(make_scenario(changes), 7, 0)
    clients = records.clients
    final = [FINAL_STATES[code] for code in clients["final_state"].tolist()]
    return records, clients, final


def referred_at(*months) -> dict:
    return {"=referrals": {"process": "schedule", "schedule": [{"month": m, "count": 1} for m in months]}}


@pytest.mark.parametrize("simulate", ENGINES.values(), ids=ENGINES)
def test_a_place_freed_at_a_month_is_free_for_whoever_arrives_then(simulate):
    # One place, three months a stay; the second person is referred as the
    # first one's stay ends, with no room on the waiting list at all.
    changes = referred_at(0, 3) | {"stages": {"training": {"slots": 1}}}
    changes["=referrals"]["waiting_list_limit"] = 0
    _, clients, final = one_run(simulate, changes)
    assert clients["start_time"].tolist() == [0, 3]
    assert final == ["employed", "employed"]


@pytest.mark.parametrize("simulate", ENGINES.values(), ids=ENGINES)
def test_giving_up_at_the_month_a_place_frees_counts_as_gone(simulate):
    # The place frees at month 3; the person waiting since month 1 gives up
    # exactly then (patience 2), so the one waiting since month 2 gets it.
    changes = referred_at(0, 1, 2) | {"stages": {"training": {"slots": 1}}}
    changes["=referrals"]["patience"] = 2
    _, clients, final = one_run(simulate, changes)
    assert final == ["employed", "reneged", "employed"]
    assert clients["exit_time"][1] == 3
    assert clients["start_time"][2] == 3


@pytest.mark.parametrize("simulate", ENGINES.values(), ids=ENGINES)
def test_moving_on_goes_before_the_waiting_list_even_at_the_same_month(simulate):
    # training (one place, 2 months) -> practice (no limit, 2 months) -> back
    # to training. Person 0: training 0-2, practice 2-4, back at month 4, the
    # month person 1's stay (2-4) ends; person 2 has waited since month 3.
    changes = referred_at(0, 1, 3) | {"horizon_months": 5.5, "=stages": {
        "training": {"slots": 1, "duration": 2, "outcomes": {"practice": 1.0}},
        # A route to a job lets the loop end, as a scenario's routes must; a
        # placement factor of 0 closes it for everyone.
        "practice": {"duration": 2, "outcomes": {"training": 0.5, "job": 0.5}},
    }, "segments": {"everyone": {"share": 1.0, "placement_factor": 0.0}}}
    records, clients, final = one_run(simulate, changes)
    visits = records.visits
    back = (visits["client"] == 0) & (visits["stage"] == 0) & ~visits["first"]
    assert visits["start"][back].tolist() == [4]
    assert final[2] == "waiting"
    # Moving on into a place that comes free that month is no wait at all.
    assert len(records.between_stages["client"]) == 0


# An introduction course of 4 months sends people on to coaching (2 places,
# 4 months) or round again; coaching sends them to a job, round again or out.
# Cohorts of 3 every month, so people reach coaching at one month from stays
# that began at one month in both stages.
LOOPS = {"horizon_months": 18, "=referrals": {"process": "cohorts", "every_months": 1, "cohort_size": 3,
                                              "until_month": 12},
         "=stages": {"intake_course": {"duration": 4, "outcomes": {"intake_course": 0.25, "coaching": 0.5,
                                                                   "exit": 0.25}},
                     "coaching": {"slots": 2, "duration": 4, "outcomes": {"job": 0.2, "coaching": 0.4,
                                                                           "exit": 0.4}}}}


def arrivals_at(records, stage: int) -> list[tuple[float, float, int, float]]:
    """(month, start of the stay they came from, person, month they got a
    place) for everyone who moved on to ``stage``."""
    visits, between = records.visits, records.between_stages
    arrivals = []
    to_stage = between["stage"] == stage
    for client, month, until in zip(between["client"][to_stage], between["start"][to_stage], between["end"][to_stage]):
        arrivals.append((client, month, until))
    moved = (visits["stage"] == stage)
    for client, start in zip(visits["client"][moved], visits["start"][moved]):
        waited = (between["client"] == client) & (between["stage"] == stage) & (between["end"] == start)
        if not waited.any():
            arrivals.append((client, start, start))
    found = []
    for client, month, placed in arrivals:
        left = (visits["client"] == client) & (visits["end"] == month) & ~visits["dropped"] & ~visits["found_work"]
        if left.any():
            found.append((month, float(visits["start"][left][0]), int(client), float(placed)))
    return found


@pytest.mark.parametrize("simulate", ENGINES.values(), ids=ENGINES)
def test_people_moving_on_at_one_month_go_in_the_order_their_stays_began_then_of_referral(simulate):
    scenario = make_scenario(LOOPS)
    decided_by_referral_order = 0
    for replication in range(30):
        # Nobody leaves a wait between stages here (no patience, no own
        # chance of work): it is one queue, served in the order of arrival.
        arrivals = sorted(arrivals_at(simulate(scenario, 11, replication), stage=1))
        placed = [place for *_, place in arrivals]
        assert placed == sorted(placed), (replication, arrivals)
        decided_by_referral_order += sum(
            a[:2] == b[:2] and a[3] < b[3] for a, b in zip(arrivals, arrivals[1:]))
    assert decided_by_referral_order > 0  # the rule decided something in these runs


@pytest.mark.parametrize("simulate", ENGINES.values(), ids=ENGINES)
def test_those_who_waited_between_stages_go_first_then_those_moving_on_that_month(simulate):
    # Three referred at 0; an introduction of 1 month, then practice (2
    # places, 3 months), round and round (a placement factor of 0 closes
    # the route to a job). Month 4: persons 0 and 1 come round again as
    # person 2, waiting since 1, is first in line: 2 and then 0 (the
    # earlier referred) get the places, 1 waits. Month 7 likewise.
    changes = {"referrals": {"cohort_size": 3}, "horizon_months": 8, "=stages": {
        "introduction": {"duration": 1, "outcomes": {"practice": 1.0}},
        "practice": {"slots": 2, "duration": 3, "outcomes": {"practice": 0.5, "job": 0.5}},
    }, "segments": {"everyone": {"share": 1.0, "placement_factor": 0.0}}}
    records, _, _ = one_run(simulate, changes)
    between = records.between_stages
    waits = sorted(zip(between["client"].tolist(), between["start"].tolist(), between["end"].tolist()))
    assert waits == [(1, 4, 7), (2, 1, 4), (2, 7, math.inf)]


def test_both_engines_order_people_moving_on_at_one_month_alike():
    scenario = make_scenario(LOOPS)
    for replication in range(30):
        fast, process = (simulate(scenario, 11, replication) for simulate in ENGINES.values())
        for column in ("client", "stage", "start", "end"):
            np.testing.assert_array_equal(fast.visits[column], process.visits[column], err_msg=str(replication))


@pytest.mark.parametrize("simulate", ENGINES.values(), ids=ENGINES)
def test_referrals_at_the_same_month_are_served_in_order_of_referral(simulate):
    changes = {"referrals": {"cohort_size": 3}, "stages": {"training": {"slots": 2}}}
    _, clients, final = one_run(simulate, changes)
    assert clients["start_time"].tolist() == [0, 0, 3]
    assert clients["waiting_list_until"].tolist() == [0, 0, 3]


@pytest.mark.parametrize("simulate", ENGINES.values(), ids=ENGINES)
def test_nothing_happens_at_the_horizon_itself(simulate):
    # Horizon 6: the first stay (0-3) ends before it; the second (3-6) would
    # end exactly at it, as would the third person's patience (from month 4);
    # a referral at month 6 is not made.
    changes = referred_at(0, 3, 4, 6) | {"horizon_months": 6, "stages": {"training": {"slots": 1}}}
    changes["=referrals"]["patience"] = 2
    _, clients, final = one_run(simulate, changes)
    assert final == ["employed", "in_programme", "waiting"]
    assert clients["job_start"][0] == 3 and math.isinf(clients["job_start"][1])
    assert np.isinf(clients["exit_time"][1:]).all()


@pytest.mark.parametrize("simulate", ENGINES.values(), ids=ENGINES)
def test_a_full_pilot_pauses_referrals_and_stops_them_once_all_have_started(simulate):
    # Cap 2 and one place: at month 1 one has started and one waits, so the
    # referral then is not made; at month 4 both have started: none after.
    changes = referred_at(0, 0.5, 1, 4, 5) | {"stages": {"training": {"slots": 1}}}
    changes["=referrals"]["max_participants"] = 2
    _, clients, _ = one_run(simulate, changes)
    assert clients["client"].tolist() == [0, 1]
    assert clients["start_time"].tolist() == [0, 3]
