"""Where chunks of replications run: local processes, or a Dask cluster.

A run cuts its replications into chunks (``sim.run.runner``) and hands them to an
executor. Without anything said, each run opens a pool of local processes
and closes it when done. A command that makes many runs (a sweep, a sizing,
a calibration) opens one executor for all of them with ``using``, so that
processes start once, or so that every run goes to a Dask cluster:

    with using("dask", scheduler="tcp://host:8786"):
        sweep(...)

Results do not depend on the executor: replication ``i`` depends only on the
scenario, the seed and ``i``, and chunks are put back in place by number.
"""

from __future__ import annotations

import atexit
import os
import signal
import threading
from collections.abc import Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from sim.limits import cores

#: The executors a user can name.
KINDS = ("processes", "dask")


@dataclass(frozen=True)
class OpenExecutor:
    """An executor for chunks and how many it runs at once."""

    executor: Executor | None  # None: run chunks in this process, one after another
    slots: int


_current: ContextVar[OpenExecutor | None] = ContextVar("pilotsim_executor", default=None)


class ExecutorUnavailable(RuntimeError):
    """The executor asked for cannot be used here (not installed, not reachable)."""


def current() -> OpenExecutor | None:
    """The executor opened by ``using`` around this call, if any."""
    return _current.get()


@contextmanager
def shared(workers: int | None = None) -> Iterator[None]:
    """For an analysis that makes many small runs (a calibration, a
    prediction, a validation report): one pool of local processes for all
    of them, unless a command has opened an executor already. Starting a
    pool per run would cost more than the runs."""
    if current() is not None:
        yield
        return
    with using("processes", workers):
        yield


@contextmanager
def process_pool(workers: int) -> Iterator[OpenExecutor]:
    """``workers`` local processes (none beyond this one when 1)."""
    if workers <= 1:
        yield OpenExecutor(None, 1)
        return
    pool = _started_pool(workers)
    try:
        yield OpenExecutor(pool, workers)
    finally:
        # On Ctrl-C (or any error) drop the chunks not yet started; the ones
        # running finish within about half a second.
        pool.shutdown(wait=True, cancel_futures=True)


def _started_pool(workers: int) -> ProcessPoolExecutor:
    # Imported here: the worker module is what each process loads, and this
    # module is imported by the CLI before any process exists.
    from sim.run.worker import prepare_worker

    pool = ProcessPoolExecutor(max_workers=workers, initializer=prepare_worker, initargs=(os.getpid(),))
    # Workers are forked on the first submission; a Ctrl-C in that moment
    # would reach a worker before it ignores it, and print its traceback.
    # Blocked now, it waits until the workers are started, then reaches
    # this process.
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        pool.submit(_started)
    finally:
        if signal.SIGINT not in blocked:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    return pool


def _started() -> None:
    """Nothing: submitted once so that the pool starts its workers."""


_kept: OpenExecutor | None = None
_kept_lock = threading.Lock()


@contextmanager
def kept(workers: int | None = None) -> Iterator[OpenExecutor]:
    """Every run inside the block on one pool of local processes that stays
    for the life of this process: a web page's server or a notebook makes
    run after run, and starting workers anew for each would cost more than
    a run of a thousand replications (the workers, forked from this process,
    also find its modules already imported). The pool starts on first use;
    ``workers`` counts only then (default: all cores). A pool broken by a
    worker's death is replaced."""
    global _kept
    with _kept_lock:
        if _kept is None or _broken(_kept):
            workers = workers or cores()
            _kept = OpenExecutor(_started_pool(workers) if workers > 1 else None, workers)
            if _kept.executor is not None:
                atexit.register(_kept.executor.shutdown, wait=False, cancel_futures=True)
        open_executor = _kept
    token = _current.set(open_executor)
    try:
        yield open_executor
    finally:
        _current.reset(token)


def _broken(open_executor: OpenExecutor) -> bool:
    """Whether a worker of the pool died (killed, out of memory): the pool then takes no more work."""
    if open_executor.executor is None:
        return False
    try:
        open_executor.executor.submit(_started)
    except BrokenProcessPool:
        return True
    return False


@contextmanager
def dask_cluster(scheduler: str | None = None) -> Iterator[OpenExecutor]:
    """The Dask cluster at ``scheduler`` (default: the DASK_SCHEDULER_ADDRESS
    setting; with neither, a local cluster of this machine's cores)."""
    try:
        from distributed import Client
    except ImportError:
        raise ExecutorUnavailable("the dask executor needs the dask extra: pip install 'pilotsim[dask]'") from None
    address = scheduler or os.environ.get("DASK_SCHEDULER_ADDRESS")
    try:
        client = Client(address, timeout="10s") if address else Client(processes=True, dashboard_address=None)
    except (OSError, ValueError) as error:  # unreachable, or not an address
        raise ExecutorUnavailable(f"cannot reach the Dask scheduler at {address}: {error}") from None
    try:
        # pure=False: a chunk is a computation to run, not a value to cache by its arguments.
        executor = client.get_executor(pure=False)
        yield OpenExecutor(executor, max(1, sum(client.nthreads().values())))
    finally:
        client.close()


@contextmanager
def using(kind: str = "processes", workers: int | None = None, scheduler: str | None = None) -> Iterator[OpenExecutor]:
    """Open one executor for every run made inside the block."""
    if kind not in KINDS:
        raise ExecutorUnavailable(f"unknown executor '{kind}' (expected one of: {', '.join(KINDS)})")
    opened = dask_cluster(scheduler) if kind == "dask" else process_pool(workers or cores())
    with opened as open_executor:
        token = _current.set(open_executor)
        try:
            yield open_executor
        finally:
            _current.reset(token)
