"""Two engines, one model.

``processes`` (``sim.model.processes``) is the model as SimPy processes: a
process per person, places as resources. ``fast`` (``sim.model.engine``)
follows the same rules with events only where people compete, several times
quicker. Both read the same draws and write the same records
(``tests/property/test_engines.py``). A scenario that uses something the fast
engine does not do runs on the process engine, whichever is asked for.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from sim.model.records import ChunkRecords, ReplicationRecords
from sim.scenario.schema import Scenario

ENGINES = ("fast", "processes")

_current: ContextVar[str] = ContextVar("pilotsim_engine", default="fast")


def current() -> str:
    """The engine asked for with ``using`` around this call (default fast)."""
    return _current.get()


@contextmanager
def using(engine: str) -> Iterator[None]:
    """Every run inside uses ``engine`` (unless the scenario needs the process engine)."""
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}, got {engine!r}")
    token = _current.set(engine)
    try:
        yield
    finally:
        _current.reset(token)


def not_in_fast_engine(scenario: Scenario) -> list[str]:
    """What ``scenario`` uses that only the process engine does (by field)."""
    return ["employment.support"] if scenario.employment.support is not None else []


def fallback_notice(scenario: Scenario) -> str | None:
    """The line that says a scenario runs on the process engine, and why."""
    missing = not_in_fast_engine(scenario)
    if not missing:
        return None
    return (f"{scenario.name} uses {', '.join(missing)}, which only the process engine simulates: "
            "it runs on that engine (same rules, slower; docs/model.md).")


def engine_for(scenario: Scenario, asked: str) -> str:
    return "processes" if asked == "processes" or not_in_fast_engine(scenario) else "fast"


def simulate(scenario: Scenario, seed: int, replication: int, engine: str | None = None) -> ReplicationRecords:
    """Replication ``replication`` on ``engine`` (default: as ``using`` says)."""
    return simulate_chunk(scenario, seed, replication, replication + 1, engine).replication(0)


def simulate_chunk(scenario: Scenario, seed: int, first: int, stop: int, engine: str | None = None,
                   continuation=None) -> ChunkRecords:
    """Replications ``first`` to ``stop - 1`` on ``engine`` (default: as
    ``using`` says; see ``engine_for``); with ``continuation``, the
    programme continued from its records (sim.model.continued), which only
    the process model does."""
    if continuation is not None:
        from sim.model import continued

        return continued.simulate_chunk(scenario, continuation, seed, first, stop)
    if engine_for(scenario, engine or current()) == "processes":
        from sim.model import processes

        return processes.simulate_chunk(scenario, seed, first, stop)
    from sim.model import engine as fast

    return fast.simulate_chunk(scenario, seed, first, stop)
