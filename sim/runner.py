"""Monte Carlo: many replications of one scenario, on one or many cores.

Replication ``i`` depends only on the scenario, the root seed and ``i`` (see
``sim.streams``), so replications are cut into chunks, run wherever there is
a free core, and put back in place by number: the result is bit for bit the
same whatever the number of workers or the order chunks finish in. Each
chunk reduces its replications to outcome rows and monthly counts before
sending them back, so memory grows with replications, not with clients;
client records, when kept, go to disk as they arrive.
"""

from __future__ import annotations

import math
import tempfile
import time
from collections.abc import Callable, Iterator
from collections import deque
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from sim import executors
from sim.model import FINAL_STATES
from sim.outcomes import OUTCOMES, months, stage_outcome_names, state_names
from sim.scenario import Scenario
from sim.accounting import CASHFLOW
from sim.worker import Chunk, outcome_names, run_chunk

#: Seconds of work a chunk aims at: long enough that sending it to a worker
#: and back costs little, short enough for a smooth progress bar and a prompt
#: stop on Ctrl-C.
CHUNK_SECONDS = 0.5

#: Replications run first, in this process, to time one replication.
PROBE_REPLICATIONS = 4


@dataclass(frozen=True)
class RunResult:
    """Everything a Monte Carlo run produced, before any file is written."""

    scenario: Scenario
    seed: int
    outcomes: pd.DataFrame          # one row per replication, OUTCOMES as columns
    monthly: np.ndarray             # [replication, month, state] people per state
    cashflow: np.ndarray | None     # [replication, month, CASHFLOW] euros, with a budget
    months: np.ndarray
    states: tuple[str, ...]
    clients: ClientRecords | None   # one row per client, on disk, when asked for
    workers: int
    seconds: float

    @property
    def replications(self) -> int:
        return len(self.outcomes)


def run(
    scenario: Scenario,
    replications: int | None = None,
    seed: int | None = None,
    workers: int | None = None,
    keep_clients: bool = False,
    on_progress: Callable[[int], None] | None = None,
    first_replication: int = 0,
    chunk_size: int | None = None,
) -> RunResult:
    """Run ``replications`` (default: the scenario's) replications of ``scenario``,
    numbered from ``first_replication`` (to add replications to earlier ones).

    ``workers`` defaults to every core, unless an executor opened with
    ``sim.executors.using`` is in force, which then runs the chunks.
    ``chunk_size`` defaults to about CHUNK_SECONDS of work, timed on the first
    replications. ``on_progress`` is called in this process with the number
    of replications just finished.
    """
    replications = scenario.replications if replications is None else replications
    if replications < 1:
        raise ValueError(f"replications must be at least 1, got {replications}")
    seed = scenario.seed if seed is None else seed
    shared = executors.current()
    slots = shared.slots if shared is not None else max(1, workers or executors.cores())
    end = first_replication + replications

    grid, states, columns = months(scenario), state_names(scenario), outcome_names(scenario)
    outcomes = np.empty((replications, len(columns)))
    monthly = np.empty((replications, len(grid), len(states)), dtype=np.int32)
    cashflow = (np.empty((replications, math.ceil(scenario.horizon_months), len(CASHFLOW)))
                if scenario.budget is not None else None)
    clients = ClientRecords.being_written(scenario) if keep_clients else None
    started = time.perf_counter()
    chunks = _Chunks(scenario, seed, first_replication, end, slots, keep_clients, chunk_size)
    for result in chunks:
        start = result.first - first_replication
        stop = start + len(result.outcomes)
        outcomes[start:stop] = result.outcomes
        monthly[start:stop] = result.monthly
        if cashflow is not None:
            cashflow[start:stop] = result.cashflow
        if clients is not None:
            clients.add_chunk(result.first, result.clients)
        if on_progress is not None:
            on_progress(len(result.outcomes))
    table = pd.DataFrame(outcomes, columns=list(columns))
    table.insert(0, "replication", np.arange(first_replication, end))
    for column in OUTCOMES + stage_outcome_names(scenario):  # counts of people; the rest are months, shares, euros
        if column not in ("mean_wait_months", "slot_utilisation"):
            table[column] = table[column].astype(np.int64)
    if clients is not None:
        clients.finish()
    return RunResult(
        scenario=scenario,
        seed=seed,
        outcomes=table,
        monthly=monthly,
        cashflow=cashflow,
        months=grid,
        states=states,
        clients=clients,
        workers=chunks.workers_used,
        seconds=time.perf_counter() - started,
    )


class _Chunks:
    """The chunks of replications ``first`` to ``end - 1``, as they finish.

    Unless a chunk size is given, the first few replications run here first
    to time one, and the rest go out in chunks of about CHUNK_SECONDS, at
    least four per worker so that none waits long for the last.
    """

    def __init__(self, scenario: Scenario, seed: int, first: int, end: int, slots: int, keep_clients: bool,
                 chunk_size: int | None):
        self.scenario, self.seed, self.first, self.end = scenario, seed, first, end
        self.slots, self.keep_clients, self.chunk_size = slots, keep_clients, chunk_size
        self.workers_used = 1

    def __iter__(self) -> Iterator[Chunk]:
        first, chunk_size = self.first, self.chunk_size
        if chunk_size is None:
            probe_end = min(self.end, first + PROBE_REPLICATIONS)
            started = time.perf_counter()
            yield run_chunk(self.scenario, self.seed, first, probe_end, self.keep_clients)
            seconds_each = (time.perf_counter() - started) / (probe_end - first)
            first = probe_end
            balanced = math.ceil((self.end - first) / (4 * self.slots))
            chunk_size = max(1, min(balanced, round(CHUNK_SECONDS / max(seconds_each, 1e-6))))
        bounds = [(start, min(start + chunk_size, self.end)) for start in range(first, self.end, chunk_size)]
        shared = executors.current()
        if shared is not None and shared.executor is not None:
            self.workers_used = shared.slots
            yield from _gather(shared.executor, shared.slots, self.scenario, self.seed, bounds, self.keep_clients)
        elif self.slots == 1 or len(bounds) <= 1:
            for start, stop in bounds:
                yield run_chunk(self.scenario, self.seed, start, stop, self.keep_clients)
        else:
            with executors.process_pool(min(self.slots, len(bounds))) as pool:
                self.workers_used = pool.slots
                yield from _gather(pool.executor, pool.slots, self.scenario, self.seed, bounds, self.keep_clients)


def _gather(
    pool: Executor, workers: int, scenario: Scenario, seed: int, bounds: list[tuple[int, int]], keep_clients: bool
) -> Iterator[Chunk]:
    """Chunks as they finish. Two per worker are in flight at a time, and each
    is let go once used: a finished future holds its whole chunk, so
    submitting everything at once would keep every chunk until the end."""
    waiting = deque(bounds)
    running: set[Future] = set()

    def submit_next() -> None:
        first, stop = waiting.popleft()
        running.add(pool.submit(run_chunk, scenario, seed, first, stop, keep_clients))

    try:
        while waiting and len(running) < 2 * workers:
            submit_next()
        while running:
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                running.remove(future)
                if waiting:
                    submit_next()
                yield future.result()
    finally:
        for future in running:
            future.cancel()


class ClientRecords:
    """A run's client records (one row per referred person, see
    ``sim.outcomes.client_columns``) in a Parquet file, one row group per
    chunk of replications, in replication order.

    While a run is going, chunks arrive in any order and each is written to
    a part file at once; ``finish`` joins the parts in order, one at a time,
    so client records never need to fit in memory together.
    """

    def __init__(self, path: Path, scenario: Scenario, folder: tempfile.TemporaryDirectory | None = None):
        self.path = Path(path)
        self._scenario = scenario
        self._folder = folder  # the temporary folder, removed with this object
        self._parts: dict[int, Path] = {}

    @classmethod
    def being_written(cls, scenario: Scenario) -> "ClientRecords":
        folder = tempfile.TemporaryDirectory(prefix="pilotsim-clients-")
        return cls(Path(folder.name) / "clients.parquet", scenario, folder)

    def add_chunk(self, first: int, columns: dict[str, np.ndarray]) -> None:
        part = self.path.with_name(f"part-{first:012d}.parquet")
        self._named(columns).to_parquet(part, index=False)
        self._parts[first] = part

    def finish(self) -> None:
        writer = None
        for first in sorted(self._parts):
            table = pq.read_table(self._parts[first])
            writer = writer or pq.ParquetWriter(self.path, table.schema)
            writer.write_table(table)
            self._parts[first].unlink()
        if writer is not None:
            writer.close()
        self._parts.clear()

    def table(self) -> pd.DataFrame:
        """All records at once (for analysis of runs that fit in memory)."""
        return pd.read_parquet(self.path)

    def by_replication(self) -> Iterator[pd.DataFrame]:
        """Records one replication at a time, reading one row group at a time."""
        file = pq.ParquetFile(self.path)
        for group in range(file.num_row_groups):
            for _, one in file.read_row_group(group).to_pandas().groupby("replication", sort=True):
                yield one

    def _named(self, columns: dict[str, np.ndarray]) -> pd.DataFrame:
        """Codes replaced by names."""
        scenario = self._scenario
        table = pd.DataFrame(columns)
        table["segment"] = pd.Categorical.from_codes(table["segment"], categories=list(scenario.segments))
        table["final_state"] = pd.Categorical.from_codes(table["final_state"], categories=list(FINAL_STATES))
        table["dropped_out_of"] = pd.Categorical.from_codes(table["dropped_out_of"], categories=list(scenario.stages))
        table["placed_from"] = pd.Categorical.from_codes(table["placed_from"], categories=list(scenario.stages))
        return table
