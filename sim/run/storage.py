"""Tables a run writes to disk as chunks arrive: the client records, and the
outcome rows of a run that does not keep them in memory. Each chunk goes to
a part file at once; the parts are joined in replication order at the end."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sim.measure.outcomes import VISIT_ENDINGS, outcome_table
from sim.model.states import FINAL_STATES
from sim.run.scratch import scratch_folder
from sim.scenario.schema import Scenario

#: Rows per row group of a joined Parquet file (whole chunks, so a
#: replication never spans two row groups).
ROW_GROUP_ROWS = 65_536


class _ChunkedParquet:
    """A table written chunk by chunk to a Parquet file, in replication order,
    a replication never split between row groups.

    While a run is going, chunks arrive in any order and each is written to
    a part file at once; ``finish`` joins the parts in order, one at a time,
    so the rows never need to fit in memory together.
    """

    #: Name of the joined file in its temporary folder.
    file_name = "table.parquet"

    def __init__(self, path: Path, scenario: Scenario, folder: tempfile.TemporaryDirectory | None = None):
        self.path = Path(path)
        self._scenario = scenario
        self._folder = folder  # the temporary folder, removed with this object
        self._parts: dict[int, Path] = {}

    @classmethod
    def being_written(cls, scenario: Scenario):
        """An empty table in a temporary folder, removed with the object."""
        # Inside the command's working folder when there is one, so that a
        # killed command leaves nothing behind that the next one cannot remove.
        folder = tempfile.TemporaryDirectory(prefix=f"pilotsim-{Path(cls.file_name).stem}-", dir=scratch_folder())
        return cls(Path(folder.name) / cls.file_name, scenario, folder)

    def add_table(self, first: int, table: pd.DataFrame) -> None:
        part = self.path.with_name(f"part-{first:012d}.parquet")
        table.to_parquet(part, index=False)
        self._parts[first] = part

    def finish(self) -> None:
        # Parts are joined into row groups of about ROW_GROUP_ROWS: the file
        # keeps metadata per row group, which for a row group per chunk of a
        # million-replication run came to hundreds of MB.
        writer, pending = None, None
        for first in sorted(self._parts):
            table = pq.read_table(self._parts[first])
            self._parts[first].unlink()
            pending = table if pending is None else pa.concat_tables([pending, table])
            # A row group ends with the replication that reaches ROW_GROUP_ROWS:
            # the same rows make the same file, however the run was chunked
            # (chunks follow the timing, so workers and engines differ).
            while pending.num_rows > ROW_GROUP_ROWS:
                replication = pending.column("replication")
                last = replication[ROW_GROUP_ROWS - 1].as_py()
                cut = ROW_GROUP_ROWS
                while cut < pending.num_rows and replication[cut].as_py() == last:
                    cut += 1
                if cut == pending.num_rows:
                    break  # the replication may go on in the next part
                writer = self._write(writer, pending.slice(0, cut))
                pending = pending.slice(cut)
        if pending is not None:
            writer = self._write(writer, pending)
        if writer is not None:
            writer.close()
        self._parts.clear()

    def _write(self, writer: pq.ParquetWriter | None, rows: pa.Table) -> pq.ParquetWriter:
        rows = rows.combine_chunks()
        writer = writer or pq.ParquetWriter(self.path, rows.schema)
        # A run where nobody was referred has tables without rows: one empty row group.
        writer.write_table(rows, row_group_size=max(rows.num_rows, 1))
        return writer

    def table(self) -> pd.DataFrame:
        """All rows at once (for analysis of runs that fit in memory)."""
        return pd.read_parquet(self.path)

    def row_groups(self) -> Iterator[pd.DataFrame]:
        """The rows one row group (whole replications) at a time."""
        file = pq.ParquetFile(self.path)
        for group in range(file.num_row_groups):
            yield file.read_row_group(group).to_pandas()


class ReplicationRows(_ChunkedParquet):
    """Outcome rows of a run that does not keep them in memory."""

    file_name = "replications.parquet"

    def add_chunk(self, first: int, outcomes: np.ndarray) -> None:
        self.add_table(first, outcome_table(self._scenario, outcomes, first))


class ClientRecords(_ChunkedParquet):
    """A run's client records (one row per referred person, see
    ``sim.measure.outcomes.client_columns``)."""

    file_name = "clients.parquet"

    def add_chunk(self, first: int, columns: dict[str, np.ndarray]) -> None:
        self.add_table(first, self._named(columns))

    def by_replication(self) -> Iterator[pd.DataFrame]:
        """Records one replication at a time, reading one row group at a time."""
        for rows in self.row_groups():
            for _, one in rows.groupby("replication", sort=True):
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


class VisitRecords(_ChunkedParquet):
    """A run's stays in stages (one row per stay, see
    ``sim.measure.outcomes.visit_columns``), kept with the client records."""

    file_name = "visits.parquet"

    def add_chunk(self, first: int, columns: dict[str, np.ndarray]) -> None:
        table = pd.DataFrame(columns)
        table["stage"] = pd.Categorical.from_codes(table["stage"], categories=list(self._scenario.stages))
        table["ended"] = pd.Categorical.from_codes(table["ended"], categories=list(VISIT_ENDINGS))
        self.add_table(first, table)

