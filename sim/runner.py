"""Monte Carlo: many replications of one scenario, on one or many cores.

Replication ``i`` depends only on the scenario, the root seed and ``i`` (see
``sim.streams``), so replications are cut into chunks, run wherever there is
a free core, and put back in place by number: the result is bit for bit the
same whatever the number of workers or the order chunks finish in. Each
chunk reduces its replications to outcome rows and monthly counts before
sending them back, so memory grows with replications, not with clients.
"""

from __future__ import annotations

import math
import os
import signal
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.model import simulate
from sim.outcomes import OUTCOMES, client_table, monthly_counts, months, replication_outcomes, state_names
from sim.scenario import Scenario

#: Replications per chunk at most: about half a second of work on the
#: reference scenario, small enough for a smooth progress bar.
MAX_CHUNK = 250


@dataclass(frozen=True)
class RunResult:
    """Everything a Monte Carlo run produced, before any file is written."""

    scenario: Scenario
    seed: int
    outcomes: pd.DataFrame          # one row per replication, OUTCOMES as columns
    monthly: np.ndarray             # [replication, month, state] people per state
    months: np.ndarray
    states: tuple[str, ...]
    clients: pd.DataFrame | None    # one row per client, when asked for
    workers: int
    seconds: float

    @property
    def replications(self) -> int:
        return len(self.outcomes)


@dataclass(frozen=True)
class _Chunk:
    first: int
    outcomes: np.ndarray
    monthly: np.ndarray
    clients: pd.DataFrame | None


def run(
    scenario: Scenario,
    replications: int | None = None,
    seed: int | None = None,
    workers: int | None = None,
    keep_clients: bool = False,
    on_progress: Callable[[int], None] | None = None,
) -> RunResult:
    """Run ``replications`` (default: the scenario's) replications of ``scenario``.

    ``workers`` defaults to every core; ``on_progress`` is called in this
    process with the number of replications just finished.
    """
    replications = scenario.replications if replications is None else replications
    if replications < 1:
        raise ValueError(f"replications must be at least 1, got {replications}")
    seed = scenario.seed if seed is None else seed
    workers = max(1, workers or os.cpu_count() or 1)
    chunk = max(1, min(MAX_CHUNK, math.ceil(replications / (4 * workers))))
    bounds = [(first, min(first + chunk, replications)) for first in range(0, replications, chunk)]

    grid, states = months(scenario), state_names(scenario)
    outcomes = np.empty((replications, len(OUTCOMES)))
    monthly = np.empty((replications, len(grid), len(states)), dtype=np.int32)
    client_tables: dict[int, pd.DataFrame] = {}
    started = time.perf_counter()
    used_workers = 1 if len(bounds) == 1 else min(workers, len(bounds))
    for result in _run_chunks(scenario, seed, bounds, used_workers, keep_clients):
        stop = result.first + len(result.outcomes)
        outcomes[result.first:stop] = result.outcomes
        monthly[result.first:stop] = result.monthly
        if result.clients is not None:
            client_tables[result.first] = result.clients
        if on_progress is not None:
            on_progress(len(result.outcomes))
    table = pd.DataFrame(outcomes, columns=list(OUTCOMES))
    table.insert(0, "replication", np.arange(replications))
    for column in OUTCOMES:
        if column not in ("mean_wait_months", "slot_utilisation"):
            table[column] = table[column].astype(np.int64)
    clients = (
        pd.concat([client_tables[first] for first in sorted(client_tables)], ignore_index=True)
        if keep_clients
        else None
    )
    return RunResult(
        scenario=scenario,
        seed=seed,
        outcomes=table,
        monthly=monthly,
        months=grid,
        states=states,
        clients=clients,
        workers=used_workers,
        seconds=time.perf_counter() - started,
    )


def _run_chunks(
    scenario: Scenario, seed: int, bounds: list[tuple[int, int]], workers: int, keep_clients: bool
) -> Iterator[_Chunk]:
    if workers == 1:
        for first, stop in bounds:
            yield run_chunk(scenario, seed, first, stop, keep_clients)
        return
    pool = ProcessPoolExecutor(max_workers=workers, initializer=_leave_interrupts_to_the_parent)
    try:
        yield from _gather(pool, scenario, seed, bounds, keep_clients)
    finally:
        # On Ctrl-C (or any error) drop the chunks not yet started; the ones
        # running finish within about half a second.
        pool.shutdown(wait=True, cancel_futures=True)


def _leave_interrupts_to_the_parent() -> None:
    """Ctrl-C reaches every process in the terminal's group; workers ignore it
    so the parent alone decides how to stop, and says so once."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _gather(
    pool: Executor, scenario: Scenario, seed: int, bounds: list[tuple[int, int]], keep_clients: bool
) -> Iterator[_Chunk]:
    futures = [pool.submit(run_chunk, scenario, seed, first, stop, keep_clients) for first, stop in bounds]
    try:
        for future in as_completed(futures):
            yield future.result()
    finally:
        for future in futures:
            future.cancel()


def run_chunk(scenario: Scenario, seed: int, first: int, stop: int, keep_clients: bool) -> _Chunk:
    """Replications ``first`` to ``stop - 1``, reduced to what the parent keeps."""
    outcomes, monthly, tables = [], [], []
    for replication in range(first, stop):
        records = simulate(scenario, seed, replication)
        row = replication_outcomes(scenario, records)
        outcomes.append([row[name] for name in OUTCOMES])
        monthly.append(monthly_counts(scenario, records))
        if keep_clients:
            tables.append(client_table(scenario, records, replication))
    return _Chunk(
        first=first,
        outcomes=np.array(outcomes, dtype=float),
        monthly=np.stack(monthly),
        clients=pd.concat(tables, ignore_index=True) if keep_clients else None,
    )
