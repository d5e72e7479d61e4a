"""Where a run keeps the tables it writes as it goes (client records, the
rows of a summary-only run) until they are put in a results folder.

A command that claims a results folder points this at its working folder
beside the destination (``sim.output.folders``), so that a killed command
leaves nothing anywhere else and the next command there removes it all.
Outside a command (a notebook), the system's temporary folder is used.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

_scratch: ContextVar[Path | None] = ContextVar("pilotsim_scratch", default=None)


def scratch_folder() -> Path | None:
    """The folder for a run's temporary tables (None: the system's)."""
    return _scratch.get()


@contextmanager
def scratch_in(folder: Path) -> Iterator[None]:
    token = _scratch.set(folder)
    try:
        yield
    finally:
        _scratch.reset(token)
