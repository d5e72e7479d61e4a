"""What happened in a replication, as the engine hands it to counting."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class _Records:
    """The parts every record set has; times are months since month 0."""

    horizon: float
    stage_names: tuple[str, ...]
    stage_slots: tuple[int | None, ...]
    clients: dict[str, np.ndarray]
    visits: dict[str, np.ndarray]
    between_stages: dict[str, np.ndarray]


@dataclass(frozen=True)
class ReplicationRecords(_Records):
    """Who did what, when, in one replication. Times are months since month 0.

    ``clients`` has one entry per referred person (people the lifetime cap kept
    from being referred are not in it); ``visits`` one entry per stage visit;
    ``between_stages`` one entry per wait for a place in a later stage.
    A time of ``inf`` means "never" (programme events: "not before the
    horizon"; a job's end, an own job and other outflow follow each person's
    draws past the horizon).
    """


_PARTS = ("clients", "visits", "between_stages")


@dataclass(frozen=True)
class ChunkRecords(_Records):
    """The records of consecutive replications, each part end to end: rows
    ``row_offsets[part][i]`` to ``row_offsets[part][i + 1] - 1`` belong to the
    chunk's replication ``i``. Counting works on the whole chunk at once."""

    row_offsets: dict[str, np.ndarray]

    @property
    def replications(self) -> int:
        return len(self.row_offsets["clients"]) - 1

    def replication_of(self, part: str) -> np.ndarray:
        """For each row of ``part``: the number of its replication in the chunk."""
        return np.repeat(np.arange(self.replications), np.diff(self.row_offsets[part]))

    def replication(self, position: int) -> ReplicationRecords:
        """The records of the chunk's replication ``position``."""
        parts = {}
        for part in _PARTS:
            start, stop = self.row_offsets[part][position], self.row_offsets[part][position + 1]
            parts[part] = {name: values[start:stop] for name, values in getattr(self, part).items()}
        return ReplicationRecords(self.horizon, self.stage_names, self.stage_slots, **parts)


def stack_records(batch: list[ReplicationRecords]) -> ChunkRecords:
    """Replications' records end to end, as ``simulate_chunk`` gives them."""
    parts = {part: [getattr(records, part) for records in batch] for part in _PARTS}
    return ChunkRecords(
        horizon=batch[0].horizon,
        stage_names=batch[0].stage_names,
        stage_slots=batch[0].stage_slots,
        **{part: {name: np.concatenate([columns[name] for columns in parts[part]]) for name in parts[part][0]}
           for part in _PARTS},
        row_offsets={part: np.cumsum([0] + [len(columns["client"]) for columns in parts[part]])
                     for part in _PARTS},
    )
