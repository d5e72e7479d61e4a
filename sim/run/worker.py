"""What a worker process does: simulate a chunk of replications and reduce
each to what the parent keeps (outcome row, monthly counts, with a budget
the money and monthly cashflow, with a caseload section the net change in
recipients, optionally the client columns).

This module imports only what the simulation needs, not pandas or
matplotlib, so each worker process stays small (about 60 MB).
"""

from __future__ import annotations

import os
import signal
import threading
import time
from dataclasses import dataclass

import numpy as np

from sim.measure.caseload import caseload_outcomes
from sim.measure.columns import outcome_names
from sim.measure.money import account_chunk, cashflow_months
from sim.measure.outcomes import client_columns, monthly_count_rows, outcome_rows, visit_columns
from sim.measure.places import kept_open_in_replications
from sim.model.engines import simulate_chunk
from sim.scenario.schema import Scenario


@dataclass(frozen=True)
class Chunk:
    first: int                    # number of the chunk's first replication
    outcomes: np.ndarray          # [replication, outcome] as OUTCOMES
    monthly: np.ndarray           # [replication, month, state]
    cashflow: np.ndarray | None   # [replication, month, CASHFLOW], with a budget
    clients: dict[str, np.ndarray] | None
    seconds: float                # time the worker spent on it
    visits: dict[str, np.ndarray] | None = None  # with the clients: one row per stay


def run_chunk(scenario: Scenario, seed: int, first: int, stop: int, keep_clients: bool,
              with_uncertainty: bool = False, engine: str = "fast", continuation=None) -> Chunk:
    """Replications ``first`` to ``stop - 1`` on ``engine``; ``with_uncertainty``:
    each with its own draw of the scenario's uncertain parameters;
    ``continuation``: continued from a programme's records (sim.model.continued)."""
    if with_uncertainty:
        from sim.model.draws import drawn_for

        months = cashflow_months(scenario) if scenario.budget is not None else 0
        return _joined([_run(drawn_for(scenario, seed, replication), seed, replication, replication + 1,
                             keep_clients, months, engine, continuation) for replication in range(first, stop)])
    return _run(scenario, seed, first, stop, keep_clients, cashflow_months(scenario) if scenario.budget else 0,
                engine, continuation)


def _run(scenario: Scenario, seed: int, first: int, stop: int, keep_clients: bool, months: int,
         engine: str, continuation=None) -> Chunk:
    """As run_chunk, for one scenario; ``months``: the cashflow's length."""
    started = time.perf_counter()
    chunk = simulate_chunk(scenario, seed, first, stop, engine, continuation)
    counted = outcome_rows(scenario, chunk)
    clients = client_columns(chunk, first) if keep_clients or scenario.budget is not None else None
    cashflow, per_replication = None, {}
    if scenario.budget is not None:
        kept_open = kept_open_in_replications(scenario, (chunk.replication(position).visits
                                                         for position in range(stop - first)))
        per_replication, cashflow = account_chunk(scenario, clients, clients["replication"] - first, stop - first,
                                                  months, kept_open)
    if scenario.caseload is not None:  # one replication at a time
        rows = [caseload_outcomes(scenario, chunk.replication(position), seed, replication)
                for position, replication in enumerate(range(first, stop))]
        per_replication |= {name: np.array([row[name] for row in rows], dtype=float) for name in rows[0]}
    money_and_caseload = outcome_names(scenario)[counted.shape[1]:]
    extra = np.column_stack([per_replication[name] for name in money_and_caseload]) if money_and_caseload else None
    return Chunk(
        first=first,
        outcomes=counted if extra is None else np.hstack([counted, extra]),
        monthly=monthly_count_rows(scenario, chunk),
        cashflow=cashflow,
        clients=clients if keep_clients else None,
        seconds=time.perf_counter() - started,
        visits=visit_columns(chunk, first) if keep_clients else None,
    )


def _concatenated(tables: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    return {name: np.concatenate([table[name] for table in tables]) for name in tables[0]}


def _joined(chunks: list[Chunk]) -> Chunk:
    """Consecutive chunks as one."""
    kept = chunks[0].clients is not None
    return Chunk(
        first=chunks[0].first,
        outcomes=np.vstack([chunk.outcomes for chunk in chunks]),
        monthly=np.concatenate([chunk.monthly for chunk in chunks]),
        cashflow=np.concatenate([chunk.cashflow for chunk in chunks]) if chunks[0].cashflow is not None else None,
        clients=_concatenated([chunk.clients for chunk in chunks]) if kept else None,
        seconds=sum(chunk.seconds for chunk in chunks),
        visits=_concatenated([chunk.visits for chunk in chunks]) if kept else None,
    )


def prepare_worker(parent: int) -> None:
    """Run first in each worker process.

    Ctrl-C reaches every process in the terminal's group; workers ignore it
    so the parent alone decides how to stop, and says so once. The parent
    keeps SIGINT blocked while it starts workers, so that a Ctrl-C in that
    moment cannot reach a worker before it ignores it; it is unblocked here.

    A parent that is killed outright cannot stop its workers, so each worker
    watches for that itself and exits within a fraction of a second instead
    of holding its memory for ever. ``parent`` is the parent's process id as
    the parent knows it: read here, it would already be another's if the
    parent died before this worker started."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    threading.Thread(target=_exit_when_orphaned, args=(parent,), name="pilotsim-parent-watch", daemon=True).start()


#: How often a worker looks whether its parent is still there.
PARENT_CHECK_SECONDS = 0.2


def _exit_when_orphaned(parent: int) -> None:
    while _alive(parent):
        time.sleep(PARENT_CHECK_SECONDS)
    os._exit(1)


def _alive(process: int) -> bool:
    """Running, and not a zombie waiting for its own parent to notice. (Not
    "still my parent": workers started by a fork server have that server as
    their parent.)"""
    try:
        with open(f"/proc/{process}/stat") as stat:
            state = stat.read().rsplit(")", 1)[1].split()[0]
        return state not in ("Z", "X")
    except FileNotFoundError:
        return False
    except (OSError, IndexError):  # no /proc: ask the system instead
        try:
            os.kill(process, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            pass
        return True
