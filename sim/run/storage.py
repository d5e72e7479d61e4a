"""Tables a run writes to disk as chunks arrive: the client records, and the
outcome rows of a run that does not keep them in memory. Chunks are kept in
memory up to MEMORY_ROWS rows (a run of a thousand replications writes its
file once, when the file is first needed); beyond that each goes to a part
file as it comes, and the parts are joined in replication order then."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
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
#: Rows a table keeps in memory before its chunks go to part files (about
#: 200 MB of the reference's client records): writing a small Parquet file
#: per chunk and reading them back cost a run of a thousand replications a
#: second.
MEMORY_ROWS = 1_000_000


class _ChunkedParquet:
    """A table written chunk by chunk to a Parquet file, in replication order,
    a replication never split between row groups.

    While a run is going, chunks arrive in any order; they are kept in memory
    as they came (made into a table only when written) until they hold
    MEMORY_ROWS rows, and from then on each is written to a part file at
    once. The file itself is written when it is first asked for (``path``):
    the chunks are joined in order, one at a time, so the rows of a large
    run never need to fit in memory together. A results folder asks for it
    after setting its plots drawing, so the two go on side by side.
    """

    #: Name of the joined file in its temporary folder.
    file_name = "table.parquet"

    def __init__(self, path: Path, scenario: Scenario, folder: tempfile.TemporaryDirectory | None = None):
        self._file = Path(path)
        self._scenario = scenario
        self._folder = folder  # the temporary folder, removed with this object
        self._parts: dict[int, Path] = {}
        self._kept: dict[int, Callable[[], pa.Table]] = {}  # what makes each chunk's table
        self._kept_rows = 0
        self._written = False
        self._lost = False  # the joining failed part way: the chunks it had taken are gone

    @property
    def path(self) -> Path:
        """The file, with every chunk added so far in it: written the first
        time it is asked for, which takes a moment and may fail as any
        writing may (the file is then removed, and asking again fails too)."""
        if self._lost:
            raise RuntimeError(f"{self._file.name} could not be written: its records are lost")
        if self._kept or self._parts:
            self._join()
        return self._file

    @classmethod
    def being_written(cls, scenario: Scenario):
        """An empty table in a temporary folder, removed with the object."""
        # Inside the command's working folder when there is one, so that a
        # killed command leaves nothing behind that the next one cannot remove.
        folder = tempfile.TemporaryDirectory(prefix=f"pilotsim-{Path(cls.file_name).stem}-", dir=scratch_folder())
        return cls(Path(folder.name) / cls.file_name, scenario, folder)

    def add_table(self, first: int, rows: int, table: Callable[[], pa.Table]) -> None:
        """Chunk ``first``, of ``rows`` rows, as ``table()`` makes it."""
        if self._written:
            raise RuntimeError(f"{self._file.name} is written already: a chunk added now would be lost")
        self._kept[first] = table
        self._kept_rows += rows
        if self._kept_rows > MEMORY_ROWS:
            for kept_first, kept in self._kept.items():
                part = self._file.with_name(f"part-{kept_first:012d}.parquet")
                made = kept()
                pq.write_table(made, part, use_dictionary=_coded(made.schema))
                self._parts[kept_first] = part
            self._kept.clear()
            self._kept_rows = 0

    @staticmethod
    def _arrow(columns: dict[str, np.ndarray], named: dict[str, list[str]]) -> pa.Table:
        """Columns as an Arrow table, codes in ``named`` as the names they stand for
        (a dictionary column, read back as a pandas Categorical; a negative code is none)."""
        arrays = {}
        for name, values in columns.items():
            if name in named:
                codes = pa.array(values, type=pa.int8(), mask=np.asarray(values) < 0)
                arrays[name] = pa.DictionaryArray.from_arrays(codes, pa.array(named[name], type=pa.string()))
            else:
                arrays[name] = pa.array(values)
        return pa.table(arrays)

    def _join(self) -> None:
        self._written = True
        try:
            self._join_in_order()
        except BaseException:  # (a Ctrl-C too) no half-written file is ever handed out
            self._lost = True
            self._file.unlink(missing_ok=True)
            raise

    def _join_in_order(self) -> None:
        # Parts are joined into row groups of about ROW_GROUP_ROWS: the file
        # keeps metadata per row group, which for a row group per chunk of a
        # million-replication run came to hundreds of MB.
        writer, pending = None, None
        for first in sorted({*self._parts, *self._kept}):
            if first in self._kept:
                table = self._kept.pop(first)()
            else:
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
        self._kept_rows = 0

    def _write(self, writer: pq.ParquetWriter | None, rows: pa.Table) -> pq.ParquetWriter:
        rows = rows.combine_chunks()
        writer = writer or pq.ParquetWriter(self._file, rows.schema, use_dictionary=_coded(rows.schema))
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


def _coded(schema: pa.Schema) -> list[str]:
    """The columns to write with a dictionary: those of names given as codes.
    Times and counts are nearly all different, and a dictionary for them
    made the client records a fifth larger and three times slower to write."""
    return [field.name for field in schema if pa.types.is_dictionary(field.type)]


class ReplicationRows(_ChunkedParquet):
    """Outcome rows of a run that does not keep them in memory."""

    file_name = "replications.parquet"

    def add_chunk(self, first: int, outcomes: np.ndarray) -> None:
        def table() -> pa.Table:
            return pa.Table.from_pandas(outcome_table(self._scenario, outcomes, first), preserve_index=False)

        self.add_table(first, len(outcomes), table)


class ClientRecords(_ChunkedParquet):
    """A run's client records (one row per referred person, see
    ``sim.measure.outcomes.client_columns``)."""

    file_name = "clients.parquet"

    def add_chunk(self, first: int, columns: dict[str, np.ndarray]) -> None:
        stages = list(self._scenario.stages)
        named = {"segment": list(self._scenario.segments), "final_state": list(FINAL_STATES),
                 "dropped_out_of": stages, "placed_from": stages}
        self.add_table(first, len(columns["client"]), lambda: self._arrow(columns, named))


class VisitRecords(_ChunkedParquet):
    """A run's stays in stages (one row per stay, see
    ``sim.measure.outcomes.visit_columns``), kept with the client records."""

    file_name = "visits.parquet"

    def add_chunk(self, first: int, columns: dict[str, np.ndarray]) -> None:
        named = {"stage": list(self._scenario.stages), "ended": list(VISIT_ENDINGS)}
        self.add_table(first, len(columns["client"]), lambda: self._arrow(columns, named))

