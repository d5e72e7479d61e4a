"""What a run gives back: one RunResult, whichever way its replications were
kept. A run keeps every replication's rows in memory up to a size, and
beyond it only their distributions, with the rows on disk; RunResult answers
the same questions (summary, chances, histograms, distributions) either way,
so that callers need not know which."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from sim.measure.columns import outcome_names
from sim.measure.money import CASHFLOW, calendar_years, later_than
from sim.measure.statistics import TargetChance, censored, chance_from_count, summarise, target_chance
from sim.run.aggregates import Aggregates
from sim.run.storage import ClientRecords, ReplicationRows, VisitRecords
from sim.scenario.schema import Scenario

#: Replications turned into distributions at a time, to bound the memory it takes.
AGGREGATE_SLICE = 5000


@dataclass(frozen=True)
class RunResult:
    """Everything a Monte Carlo run produced, before any file is written."""

    scenario: Scenario
    seed: int
    outcomes: pd.DataFrame | None   # one row per replication, outcome_names as columns (None: not kept)
    monthly: np.ndarray | None      # [replication, month, state] people per state (None: not kept)
    cashflow: np.ndarray | None     # [replication, month, CASHFLOW] euros, with a budget, when kept
    months: np.ndarray
    states: tuple[str, ...]
    clients: ClientRecords | None   # one row per client, on disk, when asked for
    workers: int
    seconds: float
    with_uncertainty: bool = False      # each replication drew the uncertain assumptions
    engine: str = "fast"                # which engine ran it (the results are the same)
    visits: VisitRecords | None = None  # one row per stay in a stage, on disk, with the clients
    streamed: Aggregates | None = None  # distributions gathered as chunks arrived, when rows were not kept
    replication_rows: ReplicationRows | None = None  # outcome rows on disk, when not kept in memory

    @cached_property
    def aggregates(self) -> Aggregates:
        """Distributions over replications (for plots and large runs): as
        gathered during the run, or from the kept rows on first use."""
        if self.streamed is not None:
            return self.streamed
        scenario = self.scenario
        columns = outcome_names(scenario)
        aggregates = Aggregates(columns, self.states, self.months, CASHFLOW,
                                calendar_years(scenario) if scenario.budget is not None else None)
        values = self.outcomes[list(columns)].to_numpy(dtype=float)
        for start in range(0, len(values), AGGREGATE_SLICE):
            stop = start + AGGREGATE_SLICE
            aggregates.add(values[start:stop], self.monthly[start:stop],
                           None if self.cashflow is None else self.cashflow[start:stop])
        return aggregates

    @property
    def per_replication(self) -> bool:
        """Every replication's rows kept (else only their distributions, and
        the outcome rows on disk: a summary-only run)."""
        return self.outcomes is not None

    @property
    def replications(self) -> int:
        return len(self.outcomes) if self.per_replication else self.aggregates.replications

    def weighted_values(self, outcome: str, whole_numbers: bool) -> tuple[np.ndarray, np.ndarray]:
        """Values of ``outcome`` over the replications with the percentage of
        runs each stands for, for a histogram: every finite value when the
        rows are kept; else the stored bins, a whole number at its left edge
        and other bins at their middle."""
        if self.per_replication:
            values = self.outcomes[outcome].to_numpy(dtype=float)
            values = values[np.isfinite(values)]
            return values, np.full(len(values), 100 / len(values))
        edges, counts = self.aggregates.outcomes.histogram(outcome)
        values = edges[:-1] if whole_numbers else (edges[:-1] + edges[1:]) / 2
        return values, 100 * counts / counts.sum()

    def summary(self) -> pd.DataFrame:
        """Per outcome: mean, sd, quantiles, confidence interval of the mean
        (exact from the rows when kept, else from the distributions); the
        break-even month with the runs that do not break even counted as
        later than the last month counted (``sim.measure.statistics.censored``)."""
        if self.per_replication:
            summary = summarise(self.outcomes)

            def quantile_of_present(name: str, q: float) -> float:
                values = self.outcomes[name].to_numpy(dtype=float)
                return float(np.quantile(values[~np.isnan(values)], q))
        else:
            binned = self.aggregates.outcomes
            summary = binned.summary()

            def quantile_of_present(name: str, q: float) -> float:
                return float(binned.quantiles([q], [binned.index(name)])[0, 0])
        return censored(summary, self.replications, later_than(self.scenario, self.with_uncertainty),
                        quantile_of_present)

    def chance(self, outcome: str, target: float) -> TargetChance:
        """How often ``outcome`` reached ``target``, with its 95 % interval."""
        if self.per_replication:
            return target_chance(self.outcomes[outcome].to_numpy(), outcome, target)
        binned = self.aggregates.outcomes
        present = int(binned.n[binned.index(outcome)])
        return chance_from_count(binned.at_least(outcome, target), present, outcome, target)


