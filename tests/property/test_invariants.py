"""Invariants that must hold for any valid scenario, checked on random ones."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.measure.outcomes import monthly_counts, replication_outcomes, state_names
from sim.model.engine import simulate
from sim.model.states import FINAL_STATES, NEVER_STARTED
from tests.property.strategies import probability, scenarios

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def assert_everyone_ends_once(scenario, records) -> dict:
    """Every referred person in exactly one final state, counted once among
    the outcomes; the participants within the cap. Returns the outcomes."""
    final = records.clients["final_state"]
    assert np.all((final >= 0) & (final < len(FINAL_STATES)))
    result = replication_outcomes(scenario, records)
    counted = (result["not_accepted"] + result["turned_away"] + result["reneged"] + result["waiting_at_horizon"]
               + result["in_programme_at_horizon"] + result["dropped_out"] + result["completed"]
               + result["left_for_own_job"])
    assert counted == result["referred"] == len(final)
    assert result["started"] <= (scenario.referrals.max_participants or np.inf)
    return result


@SETTINGS
@given(scenario=scenarios(), replication=st.integers(0, 1000))
def test_every_referred_person_ends_in_exactly_one_final_state(scenario, replication):
    records = simulate(scenario, 11, replication)
    result = assert_everyone_ends_once(scenario, records)
    # Per stage: every placement came from exactly one stage's route, and
    # everyone who started entered the first stage.
    assert sum(result[f"placed_from_{stage}"] for stage in scenario.stages) == result["placed"]
    assert result[f"entered_{scenario.first_stage}"] == result["started"]


@SETTINGS
@given(scenario=scenarios(), replication=st.integers(0, 1000))
def test_places_are_never_over_used(scenario, replication):
    # Nobody starts in a stage whose places (at that month, by its schedule)
    # are all in use; when places shrink, those in them stay.
    records = simulate(scenario, 11, replication)
    visits = records.visits
    for stage, schedule in enumerate(records.stage_slots):
        if schedule is None:
            continue
        mine = visits["stage"] == stage
        # At equal times a place is released before it is taken again.
        times = np.concatenate([visits["end"][mine], visits["start"][mine]])
        change = np.concatenate([-np.ones(mine.sum()), np.ones(mine.sum())])
        order = np.lexsort((change, times))
        in_use, starting = np.cumsum(change[order]), change[order] > 0
        months, places = zip(*schedule)
        allowed = np.array(places)[np.searchsorted(months, times[order], side="right") - 1]
        assert np.all(in_use[starting] <= allowed[starting])


@SETTINGS
@given(scenario=scenarios(), replication=st.integers(0, 1000))
def test_nobody_starts_before_referral_or_works_before_finishing(scenario, replication):
    records = simulate(scenario, 11, replication)
    clients, visits = records.clients, records.visits
    referral = dict(zip(clients["client"].tolist(), clients["referral_time"].tolist()))
    assert all(start >= referral[client] for client, start in zip(visits["client"].tolist(), visits["start"].tolist()))
    assert np.all(visits["end"] >= visits["start"])
    started = np.isfinite(clients["start_time"])
    assert np.all(clients["start_time"][started] >= clients["referral_time"][started])
    placed = np.isfinite(clients["job_start"])
    last_end = {}
    for client, end in zip(visits["client"].tolist(), visits["end"].tolist()):
        last_end[client] = max(end, last_end.get(client, -np.inf))
    for client, job_start in zip(clients["client"][placed].tolist(), clients["job_start"][placed].tolist()):
        assert job_start == last_end[client]
    assert np.all(clients["job_end"][placed] >= clients["job_start"][placed])
    # One job at most, found after referral, and only by people the programme did not place.
    own = np.isfinite(clients["own_job_start"])
    assert not np.any(own & placed)
    assert np.all(clients["own_job_start"][own] >= clients["referral_time"][own])
    assert np.all(clients["own_job_end"][own] >= clients["own_job_start"][own])
    without = np.isfinite(clients["counterfactual_job_start"])
    assert np.all(clients["counterfactual_job_start"][without] >= clients["referral_time"][without])


@SETTINGS
@given(scenario=scenarios(), replication=st.integers(0, 1000))
def test_monthly_counts_account_for_everyone_referred(scenario, replication):
    records = simulate(scenario, 11, replication)
    counts = monthly_counts(scenario, records)
    grid = np.arange(counts.shape[0])
    referred_by = np.searchsorted(np.sort(records.clients["referral_time"]), grid, side="right")
    np.testing.assert_array_equal(counts.sum(axis=1), referred_by)
    assert counts.min() >= 0
    # Those who never had a place: everyone who ended so, less those in a job
    # of their own (or back on assistance after losing it) by then.
    never = np.isin(records.clients["final_state"], [FINAL_STATES.index(s) for s in NEVER_STARTED])
    left_by = np.ceil(records.clients["exit_time"][never])[:, None] <= grid
    own_job_by = np.ceil(records.clients["own_job_start"][never])[:, None] <= grid
    column = state_names(scenario).index("did_not_start")
    np.testing.assert_array_equal(counts[:, column], (left_by & ~own_job_by).sum(axis=0))


@settings(max_examples=40, deadline=None)
@given(scenario=scenarios(), replication=st.integers(0, 1000))
def test_the_same_seed_gives_the_same_replication(scenario, replication):
    first, second = simulate(scenario, 5, replication), simulate(scenario, 5, replication)
    for table in ("clients", "visits", "between_stages"):
        for column, values in getattr(first, table).items():
            np.testing.assert_array_equal(values, getattr(second, table)[column])


@SETTINGS
@given(scenario=scenarios(), replication=st.integers(0, 1000), couples=probability, kept=probability)
def test_money_is_consistent_for_any_programme(scenario, replication, couples, kept):
    from sim.measure.money import account
    from sim.measure.outcomes import client_columns
    from sim.scenario.edit import with_changes

    budget = {"benefit": {"couple_share": couples}, "part_time_work": {"benefit_kept": kept},
              "costs": {"per_participant": 100, "per_placement": 50, "fixed_per_month": 10}}
    scenario = with_changes(scenario, {"start": "2021-01", "budget": budget}, "test")
    clients = client_columns(simulate(scenario, 11, replication), replication)
    money, cashflow = account(scenario, clients)
    # Nobody is paid for more than every month from referral to the horizon
    # (months are counted to a millionth each: half a millionth a month apart at most).
    exposure = np.sum(scenario.horizon_months - clients["referral_time"])
    counting = 0.5e-6 * len(cashflow) + 1e-9
    for world in ("with", "without"):
        assert -counting <= money[f"benefit_months_{world}"] <= exposure + counting
    assert money["total_costs"] >= 0 and np.all(np.isfinite(cashflow))
    # Without indexation or administration every full-benefit month is paid
    # at the same rate: the household mix of the 2021 social-assistance norms
    # (EUR 1,075 single, 1,536 couple), whatever the couples' share drawn.
    # Amounts are in cents, each month rounded on its own.
    per_month = (1 - couples) * 1075.0 + couples * 1536.0
    for world in ("with", "without"):
        assert money[f"benefit_paid_{world}"] == pytest.approx(money[f"benefit_months_{world}"] * per_month,
                                                               abs=0.005 * len(cashflow) + 1e-6)
    # Without placements or lock-in, the programme changes no one's benefit.
    if not np.isfinite(clients["job_start"]).any() and all(s.lock_in == 0 for s in scenario.stages.values()) \
            and not (clients["final_state"] == FINAL_STATES.index("exited")).any():
        assert money["net_savings"] == pytest.approx(0, abs=1e-6)
