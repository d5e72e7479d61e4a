"""Paired comparison on common random numbers, and what must hold when only
capacity or intake changes."""

import numpy as np
import pytest

from sim.analysis.compare import compare
from sim.measure.outcomes import replication_outcomes
from sim.model.engine import simulate
from sim.scenario.files import load_scenario, parse_overrides
from tests.conftest import REFERENCE, make_scenario


def reference_with(*settings: str):
    return load_scenario(REFERENCE, parse_overrides(list(settings)))


def test_a_scenario_compared_with_itself_differs_in_nothing():
    comparison = compare([reference_with(), reference_with("name=same_again")], replications=40, workers=1)
    summary = comparison.summary().set_index("outcome")
    # The break-even month has no mean difference when some runs do not
    # break even by the last month counted; every other outcome has one.
    assert summary["difference"].isna().sum() <= 1
    assert (summary["difference"].dropna().abs() < 1e-9).all()
    assert summary.loc["placed", "chance_better"] == 0.5  # every replication a tie
    assert summary.loc["break_even_month", "chance_better"] == 0.5  # "later" against "later" too
    assert summary.loc["placed", "ci95_low"] == summary.loc["placed", "ci95_high"] == 0


def test_pairing_narrows_the_interval_for_a_real_change():
    comparison = compare([reference_with(), reference_with("name=better_job_search",
                                                           "stages.job_search.outcomes.job=0.85",
                                                           "stages.job_search.outcomes.benefit=0.15")],
                         replications=200, workers=1)
    placed = comparison.summary().set_index("outcome").loc["placed"]
    # A better job-search route must place more people, seen clearly...
    assert placed["ci95_low"] > 0 and placed["chance_better"] > 0.9
    # ...with a paired interval much narrower than the unpaired one (measured: about 5x).
    assert placed["paired_half_width"] < placed["unpaired_half_width"] / 2


def test_differences_are_per_replication_and_scenario():
    comparison = compare([reference_with(), reference_with("name=more_places", "stages.training.slots=70")],
                         replications=30, workers=1)
    differences = comparison.differences()
    assert len(differences) == 30 and set(differences["scenario"]) == {"more_places"}
    expected = comparison.alternatives[0].outcomes["placed"] - comparison.baseline.outcomes["placed"]
    np.testing.assert_array_equal(differences["placed"], expected)


# Functional checks: on the same random numbers, in a programme without a
# lifetime cap, list limit or patience (which decide who is referred at all),
# more places never lengthen the mean wait and more referrals never reduce
# the number who start.
OPEN_QUEUE = {"horizon_months": 60,
              "=referrals": {"process": "poisson", "rate_per_month": 3, "until_month": 36},
              "stages": {"training": {"duration": {"dist": "triangular", "low": 2, "mode": 4, "high": 9}}}}


@pytest.mark.parametrize("replication", range(20))
def test_more_places_never_lengthen_the_mean_wait(replication):
    waits = [replication_outcomes(scenario, simulate(scenario, 5, replication))["mean_wait_months"]
             for scenario in (make_scenario(OPEN_QUEUE | {"stages": {"training": OPEN_QUEUE["stages"]["training"]
                                                                     | {"slots": slots}}})
                              for slots in (6, 8, 10, 14, 20))]
    assert all(later <= earlier + 1e-12 for earlier, later in zip(waits, waits[1:])), waits


@pytest.mark.parametrize("replication", range(20))
def test_more_referrals_never_reduce_the_number_started(replication):
    started = []
    for rate in (1, 2, 3, 5, 8):
        changes = OPEN_QUEUE | {"=referrals": OPEN_QUEUE["=referrals"] | {"rate_per_month": rate},
                                "stages": {"training": OPEN_QUEUE["stages"]["training"] | {"slots": 8}}}
        scenario = make_scenario(changes)
        started.append(replication_outcomes(scenario, simulate(scenario, 5, replication))["started"])
    assert started == sorted(started), started
