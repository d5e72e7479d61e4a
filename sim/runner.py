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
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.model import FINAL_STATES
from sim.outcomes import OUTCOMES, months, state_names
from sim.scenario import Scenario
from sim.accounting import CASHFLOW
from sim.worker import Chunk, leave_interrupts_to_the_parent, outcome_names, run_chunk

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
    cashflow: np.ndarray | None     # [replication, month, CASHFLOW] euros, with a budget
    months: np.ndarray
    states: tuple[str, ...]
    clients: pd.DataFrame | None    # one row per client, when asked for
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

    grid, states, columns = months(scenario), state_names(scenario), outcome_names(scenario)
    outcomes = np.empty((replications, len(columns)))
    monthly = np.empty((replications, len(grid), len(states)), dtype=np.int32)
    cashflow = (np.empty((replications, math.ceil(scenario.horizon_months), len(CASHFLOW)))
                if scenario.budget is not None else None)
    client_chunks: dict[int, dict[str, np.ndarray]] = {}
    started = time.perf_counter()
    used_workers = 1 if len(bounds) == 1 else min(workers, len(bounds))
    for result in _run_chunks(scenario, seed, bounds, used_workers, keep_clients):
        stop = result.first + len(result.outcomes)
        outcomes[result.first:stop] = result.outcomes
        monthly[result.first:stop] = result.monthly
        if cashflow is not None:
            cashflow[result.first:stop] = result.cashflow
        if result.clients is not None:
            client_chunks[result.first] = result.clients
        if on_progress is not None:
            on_progress(len(result.outcomes))
    table = pd.DataFrame(outcomes, columns=list(columns))
    table.insert(0, "replication", np.arange(replications))
    for column in OUTCOMES:  # counts of people; the rest are months, shares and euros
        if column not in ("mean_wait_months", "slot_utilisation"):
            table[column] = table[column].astype(np.int64)
    clients = None
    if keep_clients:
        clients = _client_table(scenario, [client_chunks[first] for first in sorted(client_chunks)])
    return RunResult(
        scenario=scenario,
        seed=seed,
        outcomes=table,
        monthly=monthly,
        cashflow=cashflow,
        months=grid,
        states=states,
        clients=clients,
        workers=used_workers,
        seconds=time.perf_counter() - started,
    )


def _run_chunks(
    scenario: Scenario, seed: int, bounds: list[tuple[int, int]], workers: int, keep_clients: bool
) -> Iterator[Chunk]:
    if workers == 1:
        for first, stop in bounds:
            yield run_chunk(scenario, seed, first, stop, keep_clients)
        return
    pool = ProcessPoolExecutor(max_workers=workers, initializer=leave_interrupts_to_the_parent)
    try:
        yield from _gather(pool, scenario, seed, bounds, keep_clients)
    finally:
        # On Ctrl-C (or any error) drop the chunks not yet started; the ones
        # running finish within about half a second.
        pool.shutdown(wait=True, cancel_futures=True)


def _gather(
    pool: Executor, scenario: Scenario, seed: int, bounds: list[tuple[int, int]], keep_clients: bool
) -> Iterator[Chunk]:
    futures = [pool.submit(run_chunk, scenario, seed, first, stop, keep_clients) for first, stop in bounds]
    try:
        for future in as_completed(futures):
            yield future.result()
    finally:
        for future in futures:
            future.cancel()


def _client_table(scenario: Scenario, chunks: list[dict[str, np.ndarray]]) -> pd.DataFrame:
    """The workers' client columns as one table, codes replaced by names."""
    table = pd.DataFrame({name: np.concatenate([chunk[name] for chunk in chunks]) for name in chunks[0]})
    table["segment"] = pd.Categorical.from_codes(table["segment"], categories=list(scenario.segments))
    table["final_state"] = pd.Categorical.from_codes(table["final_state"], categories=list(FINAL_STATES))
    table["dropped_out_of"] = pd.Categorical.from_codes(table["dropped_out_of"], categories=list(scenario.stages))
    return table
