"""The money of a whole chunk of replications at once: the same as each
replication's alone, to the last bit, and months counted as the overlap of
each interval with each month."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.measure.money import _MonthGrid, account, account_chunk, cashflow_months
from sim.measure.outcomes import client_columns
from sim.measure.places import kept_open_in_replications, kept_open_in_run
from sim.model.engine import simulate_chunk
from sim.scenario.files import load_scenario
from tests.conftest import REFERENCE, make_scenario

times = st.one_of(st.floats(-2, 40), st.sampled_from([math.inf, -math.inf, math.nan, 0.0, 1.0, 12.0]))
intervals = st.lists(st.tuples(st.integers(0, 2), times, times, st.floats(0, 10)), max_size=40)


@settings(max_examples=300, deadline=None)
@given(intervals, st.integers(1, 24), st.floats(0.5, 30))
def test_months_in_each_month_are_the_overlap_of_each_interval_with_it(rows, month_count, until):
    grid = _MonthGrid(month_count, until, replications=3)
    replication, starts, ends, weights = (np.array(column) for column in zip(*rows)) if rows else [np.zeros(0)] * 4
    counted = grid.months_in(starts, ends, replication.astype(np.int64), weights)
    # Month m is [m, m + 1) cut at the last month counted; nothing before month 0.
    top = min(until, month_count)
    expected = np.zeros((3, month_count))
    for group, start, end, weight in rows:
        if not math.isfinite(start):
            continue
        for month in range(month_count):
            overlap = min(end, month + 1, top) - max(start, month)
            if overlap > 0:  # NaN ends compare false: never counted
                expected[group, month] += weight * overlap
    # At most 40 intervals of at most 10 x 40 months: the float sums differ by
    # far less than a millionth of a month, the precision money is counted to.
    np.testing.assert_allclose(counted, expected, rtol=0, atol=1e-9)


def test_events_are_counted_in_their_month_until_the_last_counted():
    grid = _MonthGrid(4, 2.5, replications=2)
    # (A time before month 0 counts nowhere, and not in the replication before.)
    times = np.array([0.0, 0.99, 1.0, 2.4, 2.5, 3.0, np.inf, np.nan, -1.5])
    counted = grid.events_in(times, np.array([0, 0, 1, 1, 1, 0, 0, 1, 1]))
    assert counted.tolist() == [[2, 0, 0, 0], [0, 1, 1, 0]]


def chunk_and_each(scenario, seed, replications):
    """The money of a chunk's replications accounted together, and one by one."""
    records = simulate_chunk(scenario, seed, 0, replications)
    clients = client_columns(records, 0)
    visits = [records.replication(position).visits for position in range(replications)]
    months = cashflow_months(scenario)
    together = account_chunk(scenario, clients, clients["replication"], replications, months,
                             kept_open_in_replications(scenario, visits))
    alone = []
    for position in range(replications):
        one = clients["replication"] == position
        alone.append(account(scenario, {name: values[one] for name, values in clients.items()}, months,
                             kept_open_in_run(scenario, visits[position])))
    return together, alone


SHRINKING = [{"from_month": 0, "places": 4}, {"from_month": 3, "places": 1}, {"from_month": 12, "places": 3}]


@pytest.mark.parametrize("case", ["reference", "places a schedule closed kept open"])
def test_a_chunk_is_accounted_as_its_replications_one_by_one(case):
    if case == "reference":
        scenario, replications = load_scenario(REFERENCE), 25
    else:
        scenario, replications = make_scenario({
            "referrals": {"process": "poisson", "rate_per_month": 1.5, "until_month": 12},
            "stages": {"training": {"slots": SHRINKING, "duration": 9}},
            "budget": {"start": "2021-01", "benefit": {"norm_year": 2021},
                       "costs": {"per_place_per_month": 100, "per_participant": 50}}}), 12
    (money, cashflow), alone = chunk_and_each(scenario, 3, replications)
    if case != "reference":  # the case is about places kept open: some runs have them
        assert sum(len(kept_open_in_run(scenario, records.visits)[0]) > 0
                   for records in (simulate_chunk(scenario, 3, 0, replications).replication(position)
                                   for position in range(replications))) > 0
    assert len(set(money["npv"].tolist())) > 1  # the replications differ, so a mix-up would show
    for position, (one_money, one_cashflow) in enumerate(alone):
        assert {name: values[position] for name, values in money.items()} == pytest.approx(one_money, nan_ok=True,
                                                                                              rel=0, abs=0)
        assert np.array_equal(cashflow[position], one_cashflow)


@pytest.mark.parametrize("case", ["reference", "places a schedule closed kept open", "runs where nobody is referred"])
def test_the_budget_worked_out_again_is_the_runs_money_to_the_last_bit(tmp_path, case):
    # Chunks of 7 replications in the run, one row group in the records: each
    # replication's money must not depend on what it was accounted with.
    from sim.measure.money import MONEY_OUTCOMES
    from sim.output.run_folder import recompute_budget, write_results
    from sim.run.runner import run

    budget = {"start": "2021-01", "benefit": {"norm_year": 2021},
              "costs": {"per_place_per_month": 100, "per_participant": 50, "fixed_per_month": 1000}}
    scenario = {
        "reference": lambda: load_scenario(REFERENCE),
        "places a schedule closed kept open": lambda: make_scenario({
            "referrals": {"process": "poisson", "rate_per_month": 1.5, "until_month": 12},
            "stages": {"training": {"slots": SHRINKING, "duration": 9}}, "budget": budget}),
        # 0.15 a month for three months: most runs refer nobody and have no client records at all.
        "runs where nobody is referred": lambda: make_scenario({
            "referrals": {"process": "poisson", "rate_per_month": 0.15, "until_month": 3}, "budget": budget}),
    }[case]()
    result = run(scenario, 30, seed=5, workers=1, keep_clients=True, chunk_size=7)
    if case == "runs where nobody is referred":
        referred = result.outcomes["referred"]
        assert (referred == 0).any() and (referred > 0).any()
    write_results(result, tmp_path / "run")
    again = recompute_budget(tmp_path / "run", {})
    money = list(MONEY_OUTCOMES)
    np.testing.assert_array_equal(again.outcomes[money].to_numpy(), result.outcomes[money].to_numpy())
    np.testing.assert_array_equal(again.cashflow, result.cashflow)


def test_client_records_of_replications_the_run_did_not_have_are_refused(tmp_path):
    import pandas as pd

    from sim.errors import ScenarioError
    from sim.output.run_folder import recompute_budget, write_results
    from sim.run.runner import run

    write_results(run(load_scenario(REFERENCE), 3, seed=5, workers=1, keep_clients=True), tmp_path / "run")
    records = tmp_path / "run" / "clients.parquet"
    table = pd.read_parquet(records)
    table.loc[table["replication"] == 2, "replication"] = 7
    table.to_parquet(records, index=False)
    with pytest.raises(ScenarioError) as caught:
        recompute_budget(tmp_path / "run", {})
    [problem] = caught.value.problems
    assert problem.file.endswith("clients.parquet")
    assert problem.message.endswith("replications.csv does not have: 7")
