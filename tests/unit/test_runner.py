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


def _worker_id() -> int:
    import os

    return os.getpid()


def test_kept_workers_serve_later_blocks_and_a_broken_pool_is_replaced(reference, baseline):
    import os
    import signal
    import time

    with executors.kept(workers=2) as opened:
        first = run(reference, REPLICATIONS, keep_clients=True, chunk_size=7)
        workers = {opened.executor.submit(_worker_id).result() for _ in range(20)}
    with executors.kept() as again:  # a later block: the same processes, not new ones
        second = run(reference, REPLICATIONS, keep_clients=True, chunk_size=7)
        assert again.executor is opened.executor
        workers |= {again.executor.submit(_worker_id).result() for _ in range(20)}
    assert len(workers) <= opened.slots  # no process started for the second block
    assert_identical(first, baseline)
    assert_identical(second, baseline)
    assert executors.current() is None  # outside the blocks, runs open their own pool as before
    os.kill(next(iter(workers)), signal.SIGKILL)  # a worker dies (out of memory, killed)
    # The pool notices from its own thread; meanwhile the other worker may still answer.
    deadline = time.monotonic() + 60
    with pytest.raises(executors.BrokenProcessPool):
        while time.monotonic() < deadline:
            opened.executor.submit(_worker_id).result(timeout=10)
            time.sleep(0.05)
    with executors.kept() as replaced:
        assert replaced.executor is not opened.executor
        assert_identical(run(reference, REPLICATIONS, keep_clients=True, chunk_size=7), baseline)


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




def test_records_spilled_to_part_files_are_the_records_kept_in_memory(monkeypatch):
    from sim.run import storage

    scenario = load_scenario(REFERENCE)
    kept = run(scenario, 12, seed=3, workers=1, keep_clients=True, chunk_size=4)
    monkeypatch.setattr(storage, "MEMORY_ROWS", 100)  # every chunk goes to a part file
    parts = []
    write_table = storage.pq.write_table
    monkeypatch.setattr(storage.pq, "write_table",
                        lambda table, path, **options: parts.append(path) or write_table(table, path, **options))
    spilled = run(scenario, 12, seed=3, workers=1, keep_clients=True, chunk_size=4)
    assert len(parts) == 2 * 3  # clients and stays, each of the three chunks of four
    assert list(spilled.clients.path.parent.glob("part-*")) == []  # joined and removed
    pd.testing.assert_frame_equal(kept.clients.table(), spilled.clients.table())
    pd.testing.assert_frame_equal(kept.visits.table(), spilled.visits.table())


def test_records_are_written_when_first_needed_and_nothing_is_added_after():
    kept = run(load_scenario(REFERENCE), 6, seed=3, workers=1, keep_clients=True, chunk_size=3)
    folder = kept.clients._file.parent
    assert not kept.clients._file.exists()  # kept in memory until a results folder asks for the file
    assert kept.clients.table()["replication"].unique().tolist() == list(range(6))
    with pytest.raises(RuntimeError, match="written already"):
        kept.clients.add_chunk(6, {"client": np.zeros(0)})
    assert sorted(path.name for path in folder.iterdir()) == ["clients.parquet"]


def test_a_large_runs_plots_are_drawn_here_not_copied_to_every_worker(monkeypatch):
    from sim.output import run_figures

    result = run(load_scenario(REFERENCE), 40, seed=2, workers=1)
    with executors.using("processes", 2):
        assert run_figures._figures_bytes(result) > 40 * 1000  # an outcome row and months of counts and money
        monkeypatch.setattr(run_figures, "DRAWN_ELSEWHERE_BYTES", run_figures._figures_bytes(result) - 1)
        assert run_figures.start_drawing(result) is None
        monkeypatch.setattr(run_figures, "DRAWN_ELSEWHERE_BYTES", run_figures._figures_bytes(result))
        drawing = run_figures.start_drawing(result)
        assert drawing is not None
        for _name, future in drawing:
            future.result()


@pytest.mark.parametrize("code", ["en", "nl"])
def test_plots_drawn_in_the_workers_are_those_drawn_here(tmp_path, code):
    import time

    from sim import language
    from sim.output import run_figures

    result = run(load_scenario(REFERENCE), 40, seed=2, workers=1)
    with language.speaking(code):
        here = run_figures.finish_drawing(None, result, tmp_path / "here")
        with executors.using("processes", 2) as open_executor:
            # Both workers busy for long enough that this process takes the
            # plots they have not begun, as it does when its tables are written
            # before they are done: some are drawn there, some here.
            busy = [open_executor.executor.submit(time.sleep, 3) for _worker in range(2)]
            drawing = run_figures.start_drawing(result)
            assert drawing is not None and len(drawing) == 7  # one plot a task
            there = run_figures.finish_drawing(drawing, result, tmp_path / "there")
            taken_here = [name for name, future in drawing if future.cancelled()]
            assert 1 <= len(taken_here) < 7, taken_here
            assert drawing[0][1].done() and not drawing[0][1].cancelled()  # the first, queued for a worker
            for future in busy:
                future.result()
    assert sorted(path.name for path in there) == sorted(path.name for path in here)
    assert len(here) == 7  # with the money's three
    for path in here:
        assert (tmp_path / "there" / path.name).read_bytes() == path.read_bytes(), path.name


def test_a_workers_plots_of_one_run_gather_its_distributions_once(monkeypatch):
    from dataclasses import replace

    from sim.output import run_figures
    from sim.run.aggregates import Aggregates

    result = run(load_scenario(REFERENCE), 20, seed=2, workers=1)
    monkeypatch.setattr(run_figures, "_drawing_in_this_worker", None)
    gathered = []
    add = Aggregates.add
    monkeypatch.setattr(Aggregates, "add", lambda self, *chunk: (gathered.append(self), add(self, *chunk))[1])

    def task(name, token):  # each task unpickles its own copy of the run
        return run_figures.drawn_as_png(replace(result, clients=None, visits=None, replication_rows=None),
                                        name, "en", token)

    first = task("states_over_time.png", "run 1")
    assert len(gathered) == 1  # 20 replications: one slice
    assert task("waiting_list.png", "run 1") == run_figures.drawn_as_png(result, "waiting_list.png", "en")
    assert len(set(map(id, gathered))) == 2  # this worker's once, and once for the copy drawn as here
    assert task("states_over_time.png", "run 2") == first  # another run's tasks gather their own
    assert len(set(map(id, gathered))) == 3


def test_records_that_fail_to_be_written_are_not_handed_out_half_written(monkeypatch):
    from sim.run import storage

    kept = run(load_scenario(REFERENCE), 6, seed=3, workers=1, keep_clients=True, chunk_size=2)
    monkeypatch.setattr(storage, "ROW_GROUP_ROWS", 200)  # a row group every replication or two
    written = []
    write = storage._ChunkedParquet._write

    def fail_on_the_second_row_group(self, writer, rows):
        if written:
            raise OSError("No space left on device")
        written.append(rows.num_rows)
        return write(self, writer, rows)

    monkeypatch.setattr(storage._ChunkedParquet, "_write", fail_on_the_second_row_group)
    with pytest.raises(OSError, match="No space"):
        kept.clients.table()
    assert written and not kept.clients._file.exists()  # the first row group was written, then removed
    with pytest.raises(RuntimeError, match="could not be written"):
        kept.clients.table()
