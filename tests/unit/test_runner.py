"""Same seed, same results: whatever the number of workers, the chunk size or
the executor."""

import numpy as np
import pandas as pd
import pytest

from sim.run import executors
from sim.run.runner import run
from sim.scenario.files import load_scenario
from tests.conftest import REFERENCE

REPLICATIONS = 45


@pytest.fixture(scope="module")
def reference():
    return load_scenario(REFERENCE)


@pytest.fixture(scope="module")
def baseline(reference):
    return run(reference, REPLICATIONS, workers=1, chunk_size=REPLICATIONS, keep_clients=True)


def assert_identical(result, baseline):
    pd.testing.assert_frame_equal(result.outcomes, baseline.outcomes, check_exact=True)
    np.testing.assert_array_equal(result.monthly, baseline.monthly)
    np.testing.assert_array_equal(result.cashflow, baseline.cashflow)
    pd.testing.assert_frame_equal(result.clients.table(), baseline.clients.table(), check_exact=True)


@pytest.mark.parametrize(("workers", "chunk_size"), [(1, None), (1, 1), (2, None), (2, 1), (2, 7), (2, 44)])
def test_bit_identical_for_any_number_of_workers_and_chunk_size(reference, baseline, workers, chunk_size):
    result = run(reference, REPLICATIONS, workers=workers, chunk_size=chunk_size, keep_clients=True)
    assert_identical(result, baseline)
    if workers == 2 and chunk_size is not None:
        assert result.workers == 2


def test_one_executor_serves_several_runs(reference, baseline):
    with executors.using("processes", workers=2):
        first = run(reference, REPLICATIONS, keep_clients=True)
        second = run(reference, REPLICATIONS, keep_clients=True)
    assert_identical(first, baseline)
    assert_identical(second, baseline)


def test_an_unknown_executor_is_refused():
    with pytest.raises(executors.ExecutorUnavailable, match="unknown executor 'mpi'"):
        with executors.using("mpi"):
            pass


def test_a_dask_cluster_gives_the_same_results(reference, baseline):
    distributed = pytest.importorskip("distributed", reason="the dask extra is not installed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        with executors.using("dask", scheduler=cluster.scheduler_address) as opened:
            assert opened.slots == 2
            result = run(reference, REPLICATIONS, keep_clients=True, chunk_size=5)
    assert result.workers == 2
    assert_identical(result, baseline)


