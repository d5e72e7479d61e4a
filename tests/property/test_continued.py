"""A programme continued from its records keeps the rules of any programme:
on random scenarios, from a run's own records at a random month, everyone
ends in exactly one final state, places are never over-used, and what the
records say had happened by then stays so."""

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.model.continued import simulate_chunk
from sim.model.states import FINAL_STATES
from sim.run.runner import run
from sim.state.forecast import continuation_of
from sim.state.generate import state_of_run, stays_of_run
from sim.state.records import ENDED, check_state
from sim.state.stays import check_stays
from tests.property.strategies import scenarios
from tests.property.test_invariants import assert_everyone_ends_once

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def continued(scenario, share: float, replication: int):
    as_of = round(share * scenario.horizon_months, 2)
    kept = run(scenario, 1, seed=11, first_replication=replication, workers=1, keep_clients=True,
               engine="processes")
    clients, visits = kept.clients.table(), kept.visits.table()
    state = check_state(state_of_run(clients, visits, as_of, list(scenario.stages), replication), scenario, as_of)
    records = continuation_of(state, scenario, check_stays(stays_of_run(visits, as_of, replication), scenario,
                                                           as_of))
    return records, simulate_chunk(scenario, records, 12, 0, 1).replication(0)


@SETTINGS
@given(scenario=scenarios(), share=st.floats(0, 0.99), replication=st.integers(0, 1000))
def test_everyone_ends_in_one_final_state_and_the_past_stays_as_the_records_say(scenario, share, replication):
    records, forecast = continued(scenario, share, replication)
    assert_everyone_ends_once(scenario, forecast)
    final = forecast.clients["final_state"]
    known = records.people
    assert np.array_equal(forecast.clients["referral_time"][:known], records.referred)
    assert np.all(forecast.clients["referral_time"][known:] > records.as_of)
    for person, status in enumerate(records.status):
        name = FINAL_STATES[final[person]]
        if status in ("employed", "job_lost"):
            assert forecast.clients["job_start"][person] == records.placed[person]
            assert name in ("employed", "job_lost")
        elif status in ENDED:
            assert (name, forecast.clients["exit_time"][person]) == (status, records.ended[person])


@SETTINGS
@given(scenario=scenarios(), share=st.floats(0, 0.99), replication=st.integers(0, 1000))
def test_places_are_never_over_used_after_the_records(scenario, share, replication):
    records, forecast = continued(scenario, share, replication)
    visits = forecast.visits
    for stage, schedule in enumerate(forecast.stage_slots):
        if schedule is None:
            continue
        # Stays under way at the month or begun after it; at equal times a place is released before it is taken.
        mine = (visits["stage"] == stage) & (visits["end"] > records.as_of)
        times = np.concatenate([visits["end"][mine], np.maximum(visits["start"][mine], records.as_of)])
        change = np.concatenate([-np.ones(mine.sum()), np.ones(mine.sum())])
        order = np.lexsort((change, times))
        in_use, starting = np.cumsum(change[order]), change[order] > 0
        months, places = zip(*schedule)
        allowed = np.array(places)[np.searchsorted(months, times[order], side="right") - 1]
        # Those already in at the month may be more than a schedule allows then (they stay); nobody joins them.
        began_after = np.concatenate([np.zeros(mine.sum(), bool), visits["start"][mine] > records.as_of])[order]
        assert np.all(in_use[starting & began_after] <= allowed[starting & began_after])
