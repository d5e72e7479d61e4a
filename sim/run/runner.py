"""Monte Carlo: many replications of one scenario, on one or many cores.

Replication ``i`` depends only on the scenario, the root seed and ``i`` (see
``sim.model.streams``), so replications are cut into chunks, run wherever there is
a free core, and put back in place by number: the result is bit for bit the
same whatever the number of workers or the order chunks finish in. Each
chunk reduces its replications to outcome rows and monthly counts before
sending them back, so memory grows with replications, not with clients;
client records, when kept, stay in memory up to a million rows and beyond
that go to disk as they arrive (``sim.run.storage``).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait

import numpy as np
import pyarrow as pa

from sim import limits
from sim.errors import ScenarioError
from sim.measure.columns import outcome_names
from sim.measure.money import CASHFLOW, calendar_years, cashflow_months
from sim.measure.outcomes import months, outcome_table, state_names
from sim.model import engines
from sim.run import executors
from sim.run.aggregates import Aggregates
from sim.run.results import AGGREGATE_SLICE, RunResult
from sim.run.storage import ClientRecords, ReplicationRows, VisitRecords
from sim.run.worker import Chunk, run_chunk
from sim.scenario.schema import Scenario

# pyarrow swaps in a signal handler of its own during long reads and writes; a
# Ctrl-C in that moment was lost, or ended the process by the signal after
# its message. Python's own handler raises KeyboardInterrupt when the read
# returns, which every command answers with one line.
pa.enable_signal_handlers(False)

#: Seconds of work a chunk aims at: long enough that sending it to a worker
#: and back costs little, short enough for a smooth progress bar and a prompt
#: stop on Ctrl-C.
CHUNK_SECONDS = 0.5


#: Replications run first, in this process, to time one replication.
PROBE_REPLICATIONS = 4


def run(
    scenario: Scenario,
    replications: int | None = None,
    seed: int | None = None,
    workers: int | None = None,
    keep_clients: bool = False,
    on_progress: Callable[[int], None] | None = None,
    first_replication: int = 0,
    chunk_size: int | None = None,
    keep_replications: bool = True,
    with_uncertainty: bool = False,
    engine: str | None = None,
    continuation=None,
) -> RunResult:
    """Run ``replications`` (default: the scenario's) replications of ``scenario``,
    numbered from ``first_replication`` (to add replications to earlier ones).

    ``workers`` defaults to every core, unless an executor opened with
    ``sim.run.executors.using`` is in force, which then runs the chunks.
    ``chunk_size`` defaults to about CHUNK_SECONDS of work, timed on the first
    replications. ``on_progress`` is called in this process with the number
    of replications just finished.

    Distributions over replications are always gathered as chunks arrive
    (``RunResult.aggregates``). With ``keep_replications=False`` nothing per
    replication stays in memory: outcome rows go to a Parquet file as they
    arrive, and monthly counts and cashflow are kept only as distributions,
    so a million replications fit in a few hundred MB.

    ``with_uncertainty`` draws the scenario's uncertain parameters anew for
    each replication (``sim.scenario.uncertain.drawn_for``), so the spread of the
    outcomes shows what is not known as well as chance.

    ``engine`` (default: as set by ``sim.model.engines.using``, else fast)
    does not change the results, only how quickly they come.

    ``continuation``: the programme continued from its records as of a
    month (``sim.model.continued.Continuation``), on the process engine.
    """
    replications = scenario.replications if replications is None else replications
    if replications < 1:
        raise ValueError(f"replications must be at least 1, got {replications}")
    seed = scenario.seed if seed is None else seed
    shared = executors.current()
    slots = shared.slots if shared is not None else max(1, workers or executors.cores())
    # Refused before it starts when it would not fit the machine (sim.limits).
    # Commands check against the memory free when they start; a run inside a
    # command (a sweep's point) holds up against the installed memory, as the
    # command's own earlier results take some of what is free.
    too_large = limits.estimate(scenario, replications, slots, keep_replications, against_free=False).problems()
    if too_large:
        raise ScenarioError(too_large)
    end = first_replication + replications

    grid, states, columns = months(scenario), state_names(scenario), outcome_names(scenario)
    aggregates = None
    if keep_replications:
        outcomes = np.empty((replications, len(columns)))
        monthly = np.empty((replications, len(grid), len(states)), dtype=np.int32)
        cashflow = (np.empty((replications, cashflow_months(scenario), len(CASHFLOW)))
                    if scenario.budget is not None else None)
        rows = None
    else:
        outcomes = monthly = cashflow = None
        rows = ReplicationRows.being_written(scenario)
        aggregates = Aggregates(columns, states, grid, CASHFLOW,
                                calendar_years(scenario) if scenario.budget is not None else None)
        in_order = _InReplicationOrder(aggregates, first_replication, _slice_for(len(grid), len(states)))
    clients = ClientRecords.being_written(scenario) if keep_clients else None
    visits = VisitRecords.being_written(scenario) if keep_clients else None
    started = time.perf_counter()
    if engine is not None and engine not in engines.ENGINES:
        raise ValueError(f"engine must be one of {', '.join(engines.ENGINES)}, got {engine!r}")
    engine = "processes" if continuation is not None else engines.engine_for(scenario, engine or engines.current())
    chunks = _Chunks(scenario, seed, first_replication, end, slots, keep_clients, chunk_size, with_uncertainty,
                     engine, continuation)
    for result in chunks:
        if keep_replications:
            start = result.first - first_replication
            stop = start + len(result.outcomes)
            outcomes[start:stop] = result.outcomes
            monthly[start:stop] = result.monthly
            if cashflow is not None:
                cashflow[start:stop] = result.cashflow
        else:
            in_order.add(result)
            rows.add_chunk(result.first, result.outcomes)
        if clients is not None:
            clients.add_chunk(result.first, result.clients)
            visits.add_chunk(result.first, result.visits)
        if on_progress is not None:
            on_progress(len(result.outcomes))
    if rows is not None:
        in_order.finish()
    return RunResult(
        scenario=scenario,
        seed=seed,
        outcomes=None if outcomes is None else outcome_table(scenario, outcomes, first_replication),
        monthly=monthly,
        cashflow=cashflow,
        months=grid,
        states=states,
        clients=clients,
        visits=visits,
        workers=chunks.workers_used,
        seconds=time.perf_counter() - started,
        with_uncertainty=with_uncertainty,
        engine=engine,
        streamed=aggregates,
        replication_rows=rows,
    )


class _Chunks:
    """The chunks of replications ``first`` to ``end - 1``, as they finish.

    Unless a chunk size is given, the first few replications run here to
    time one, and the rest go out in chunks of about CHUNK_SECONDS of a
    worker's time, re-estimated from each finished chunk (a worker is often
    faster than this process, which holds more and also gathers results),
    and at most a quarter of what is left per worker, so that none waits
    long for the last.
    """

    def __init__(self, scenario: Scenario, seed: int, first: int, end: int, slots: int, keep_clients: bool,
                 chunk_size: int | None, with_uncertainty: bool = False, engine: str = "fast", continuation=None):
        self.scenario, self.seed, self.first, self.end = scenario, seed, first, end
        self.continuation = continuation
        self.slots, self.keep_clients, self.fixed_size = slots, keep_clients, chunk_size
        self.with_uncertainty = with_uncertainty
        self.engine = engine
        self.workers_used = 1
        self._next = first
        self._seconds = self._timed = 0.0

    def __iter__(self) -> Iterator[Chunk]:
        if self.fixed_size is None:
            # The first replication pays for imports and warm caches; the
            # next ones are timed.
            yield self._here(self._next, self._next + 1)
            yield from self._timed_here(min(self.end, self._next + PROBE_REPLICATIONS - 1))
        if self._next >= self.end:
            return
        shared = executors.current()
        if shared is not None and shared.executor is not None:
            self.workers_used = shared.slots
            yield from _gather(shared.executor, shared.slots, self)
        elif self.slots == 1 or self.end - self._next <= self._size():
            while self._next < self.end:
                yield from self._timed_here(self._next + self._size())
        else:
            with executors.process_pool(self.slots) as pool:
                self.workers_used = pool.slots
                yield from _gather(pool.executor, pool.slots, self)

    def next_bounds(self) -> tuple[int, int] | None:
        """The next chunk to hand out, or None when all are out."""
        if self._next >= self.end:
            return None
        start, stop = self._next, min(self.end, self._next + self._size())
        self._next = stop
        return start, stop

    def learn(self, chunk: Chunk) -> None:
        self._seconds += chunk.seconds
        self._timed += len(chunk.outcomes)

    def _size(self) -> int:
        if self.fixed_size is not None:
            return self.fixed_size
        seconds_each = self._seconds / self._timed if self._timed else CHUNK_SECONDS
        per_worker = math.ceil((self.end - self._next) / (4 * self.slots))
        return max(1, min(per_worker, round(CHUNK_SECONDS / max(seconds_each, 1e-6))))

    def _here(self, start: int, stop: int) -> Chunk:
        self._next = stop
        return run_chunk(self.scenario, self.seed, start, stop, self.keep_clients, self.with_uncertainty,
                         self.engine, self.continuation)

    def _timed_here(self, stop: int) -> Iterator[Chunk]:
        stop = min(stop, self.end)
        if stop > self._next:
            chunk = self._here(self._next, stop)
            self.learn(chunk)
            yield chunk


def _gather(pool: Executor, workers: int, chunks: _Chunks) -> Iterator[Chunk]:
    """Chunks as they finish. Two per worker are in flight at a time, and each
    is let go once used: a finished future holds its whole chunk, so
    submitting everything at once would keep every chunk until the end."""
    running: set[Future] = set()

    def submit_next() -> None:
        bounds = chunks.next_bounds()
        if bounds is not None:
            running.add(pool.submit(run_chunk, chunks.scenario, chunks.seed, *bounds, chunks.keep_clients,
                                    chunks.with_uncertainty, chunks.engine, chunks.continuation))

    try:
        for _ in range(2 * workers):
            submit_next()
        while running:
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                running.remove(future)
                chunk = future.result()
                chunks.learn(chunk)
                submit_next()
                yield chunk
    finally:
        for future in running:
            future.cancel()


def _slice_for(months: int, states: int) -> int:
    """Replications per slice of a summary-only run's distributions: about
    16 MB of monthly counts, at most AGGREGATE_SLICE. It depends on the
    scenario only, never on the machine, so the slices are the same in
    every run."""
    return max(1, min(AGGREGATE_SLICE, (16 << 20) // max(1, 4 * months * states)))


class _InReplicationOrder:
    """Hands chunks to the distributions in replication order and in slices
    of a fixed number of replications. Chunk sizes follow the speed of the
    machine and chunks finish in any order; adding them as they came would
    make the floating-point sums, and the bins, differ in the last digits
    from run to run. Chunks that arrive early wait here until the one
    before them comes: while a chunk straggles, the chunks finished after it
    pile up (each only its outcome rows and monthly counts)."""

    def __init__(self, aggregates: Aggregates, first: int, slice_size: int):
        self.aggregates, self.next, self.slice_size = aggregates, first, slice_size
        self._early: dict[int, Chunk] = {}
        self._held: list[Chunk] = []
        self._held_count = 0

    def add(self, chunk: Chunk) -> None:
        self._early[chunk.first] = chunk
        while self.next in self._early:
            ready = self._early.pop(self.next)
            self.next += len(ready.outcomes)
            # Without the client records, which their own table holds already.
            self._held.append(Chunk(ready.first, ready.outcomes, ready.monthly, ready.cashflow, None, 0.0))
            self._held_count += len(ready.outcomes)
            if self._held_count >= self.slice_size:
                self._hand_on(whole_slices_only=True)

    def finish(self) -> None:
        self._hand_on(whole_slices_only=False)

    def _hand_on(self, whole_slices_only: bool) -> None:
        if not self._held:
            return
        outcomes = np.concatenate([chunk.outcomes for chunk in self._held])
        monthly = np.concatenate([chunk.monthly for chunk in self._held])
        cashflow = (None if self._held[0].cashflow is None
                    else np.concatenate([chunk.cashflow for chunk in self._held]))
        handed = (len(outcomes) // self.slice_size) * self.slice_size if whole_slices_only else len(outcomes)
        for start in range(0, handed, self.slice_size):
            stop = min(start + self.slice_size, handed)
            self.aggregates.add(outcomes[start:stop], monthly[start:stop],
                                None if cashflow is None else cashflow[start:stop])
        rest = slice(handed, None)
        self._held = [] if handed == len(outcomes) else [Chunk(
            first=self.next - (len(outcomes) - handed), outcomes=outcomes[rest], monthly=monthly[rest],
            cashflow=None if cashflow is None else cashflow[rest], clients=None, seconds=0.0)]
        self._held_count = len(outcomes) - handed


