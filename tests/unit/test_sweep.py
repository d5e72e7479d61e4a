"""Sweeps: the points, common random numbers across them, and resuming."""

import numpy as np
import pandas as pd
import pytest

from sim.analysis.sweep import grid, latin_hypercube, parse_vary, scenario_at, sweep
from sim.errors import ScenarioError
from sim.output.sweep import PointStore
from tests.conftest import make_scenario

BASE = make_scenario({"referrals": {"cohort_size": 30}, "stages": {"training": {"slots": 10}}})


def test_vary_reads_ranges_and_lists_and_keeps_whole_numbers_whole():
    slots = parse_vary("stages.training.slots=5:20:5", BASE)
    assert slots.values == (5, 10, 15, 20) and slots.whole_numbers
    acceptance = parse_vary("referrals.acceptance=0.5,0.75,1", BASE)
    assert acceptance.values == (0.5, 0.75, 1.0) and not acceptance.whole_numbers
    assert len(grid([slots, acceptance])) == 12
    with pytest.raises(ScenarioError, match="must be whole numbers"):
        parse_vary("stages.training.slots=2.5,3", BASE)
    with pytest.raises(ScenarioError, match="low:high:step"):
        parse_vary("stages.training.slots=9:3:1", BASE)


def test_a_latin_hypercube_covers_each_range_once_per_stratum():
    slots = parse_vary("stages.training.slots=1:40:1", BASE)
    points = latin_hypercube([slots], 10, seed=3)
    values = sorted(point["stages.training.slots"] for point in points)
    assert all(isinstance(value, int) for value in values)
    # One point in each tenth of the range [1, 40].
    assert [int((value - 1) / 3.9) for value in values] == list(range(10))


def test_a_point_that_makes_an_invalid_scenario_is_reported():
    slots = parse_vary("stages.training.slots=0,5", BASE)
    with pytest.raises(ScenarioError, match="stages.training.slots: must be at least 1, got 0"):
        scenario_at(BASE, {"stages.training.slots": 0}, [slots])


def test_points_share_their_random_numbers():
    # Only intake acceptance differs between the points, so with common
    # random numbers everyone accepted at 0.5 is also accepted at 0.8.
    acceptance = parse_vary("referrals.acceptance=0.5,0.8", BASE)
    result = sweep(BASE, [acceptance], grid([acceptance]), 20, 4)
    by_point = result.outcomes.pivot(index="replication", columns="point", values="not_accepted")
    assert (by_point[1] <= by_point[0]).all()


class _Stop(Exception):
    pass


def test_an_interrupted_sweep_resumes_to_the_same_results(tmp_path):
    slots = parse_vary("stages.training.slots=4:12:2", BASE)
    points = grid([slots])
    whole = sweep(BASE, [slots], points, 15, 9).outcomes

    def stop_after_two(done, total, resumed):
        if done == 2:
            raise _Stop

    with pytest.raises(_Stop):
        sweep(BASE, [slots], points, 15, 9, PointStore(tmp_path / "resumed"), on_point=stop_after_two)
    assert len(list((tmp_path / "resumed").glob("point-*.parquet"))) == 2
    seen = []
    resumed = sweep(BASE, [slots], points, 15, 9, PointStore(tmp_path / "resumed"),
                    on_point=lambda done, total, was_resumed: seen.append(was_resumed)).outcomes
    assert seen == [True, True, False, False, False]
    pd.testing.assert_frame_equal(resumed, whole, check_exact=True)


def test_a_changed_sweep_does_not_reuse_old_points(tmp_path):
    slots = parse_vary("stages.training.slots=4,8", BASE)
    sweep(BASE, [slots], grid([slots]), 10, 9, PointStore(tmp_path))
    seen = []
    sweep(BASE, [slots], grid([slots]), 12, 9, PointStore(tmp_path),
          on_point=lambda done, total, was_resumed: seen.append(was_resumed))
    assert seen == [False, False]


def test_more_places_in_a_sweep_never_lengthen_the_mean_wait():
    slots = parse_vary("stages.training.slots=2:12:2", BASE)
    result = sweep(BASE, [slots], grid([slots]), 20, 2)
    waits = result.outcomes.pivot(index="replication", columns="point", values="mean_wait_months").to_numpy()
    assert np.all(np.diff(waits, axis=1) <= 1e-12)
