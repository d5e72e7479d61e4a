"""Distributions over replications gathered as chunks arrive, for runs too
large to keep every replication in memory (a million replications of the
reference would need 4 GB for its monthly counts and cashflow alone).

Each series (an outcome, a state at a month, a month's cumulative saving) is
kept as a histogram of BINS bins plus exact running sums:

- the count, mean and standard deviation are exact (Chan's pairwise update,
  as numerically sound as numpy's own two-pass formulas to about 1e-12);
- a series of whole numbers whose range fits in BINS (people counts: every
  outcome and monthly count of the shipped scenarios) has bins one wide, so
  its quantiles and its chance of reaching a target are exact, equal to
  ``np.quantile`` on all the values;
- any other series starts with bins fitted to its first values and doubles
  their width when a later value falls outside; a quantile is then placed by
  linear interpolation inside its bin, off by at most one bin width (its
  range / BINS).

Missing values (NaN: a break-even never reached) are counted apart, as
``summarise`` leaves them out.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.measure.statistics import t_quantile

#: Bins per series: 4,096 keeps counts up to 4,095 people exact.
BINS = 4096


class Binned:
    """Streaming distributions of ``names`` series side by side."""

    def __init__(self, names: list[str]):
        self.names = list(names)
        size = len(self.names)
        self.counts = np.zeros((size, BINS), dtype=np.int64)
        self.origin = np.full(size, np.nan)   # left edge of bin 0, per series
        self.width = np.ones(size)            # bin width, per series
        self.whole = np.ones(size, dtype=bool)  # every value so far a whole number
        self.n = np.zeros(size, dtype=np.int64)
        self.mean = np.zeros(size)
        self.m2 = np.zeros(size)
        self.missing = np.zeros(size, dtype=np.int64)
        self.lowest = np.full(size, np.inf)
        self.highest = np.full(size, -np.inf)

    def add(self, values: np.ndarray) -> None:
        """Add replications: ``values`` is [replication, series]."""
        values = np.asarray(values, dtype=float)
        present = ~np.isnan(values)
        self.missing += (~present).sum(axis=0)
        self._add_moments(values, present)
        # Per series, the batch's extremes (inf and -inf where it has no value).
        low = np.where(present, values, np.inf).min(axis=0)
        high = np.where(present, values, -np.inf).max(axis=0)
        self.lowest, self.highest = np.fmin(self.lowest, low), np.fmax(self.highest, high)
        self._fit_ranges(values, present, low, high)
        offsets = np.floor((values - self.origin) / self.width)
        offsets = np.clip(np.nan_to_num(offsets, nan=0), 0, BINS - 1).astype(np.int64)
        flat = (np.arange(len(self.names)) * BINS + offsets)[present]
        self.counts += np.bincount(flat, minlength=self.counts.size).reshape(self.counts.shape)

    def _add_moments(self, values: np.ndarray, present: np.ndarray) -> None:
        n_batch = present.sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            batch_mean = np.where(n_batch > 0, np.nansum(values, axis=0) / n_batch, 0.0)
            batch_m2 = np.nansum((values - batch_mean) ** 2, axis=0)
            total = self.n + n_batch
            delta = batch_mean - self.mean
            share = np.where(total > 0, n_batch / np.maximum(total, 1), 0.0)
            self.mean = self.mean + delta * share
            self.m2 = self.m2 + batch_m2 + delta ** 2 * self.n * share
        self.n = total

    def _fit_ranges(self, values: np.ndarray, present: np.ndarray, low: np.ndarray, high: np.ndarray) -> None:
        """Make every series' bins cover its new values (``low`` to ``high``), widening them if needed."""
        seen = present.any(axis=0)
        if not seen.any():
            return
        self.whole &= np.all(~present | (values == np.round(values)), axis=0)
        for series in np.flatnonzero(seen & np.isnan(self.origin)):
            if self.whole[series] and high[series] - low[series] < BINS // 2:
                # Whole numbers: unit bins, centred on what came first.
                self.origin[series] = np.floor(low[series]) - (BINS - (high[series] - low[series])) // 2
                self.width[series] = 1.0
            else:
                # Room for half as much again on either side before the first doubling.
                span = max(high[series] - low[series], abs(high[series]), 1e-9)
                self.width[series] = 2 * span / BINS
                self.origin[series] = low[series] - span / 2
        outside = seen & ((low < self.origin) | (high >= self.origin + BINS * self.width))
        for series in np.flatnonzero(outside):
            while low[series] < self.origin[series] or high[series] >= self.origin[series] + BINS * self.width[series]:
                self._double(series, downwards=low[series] < self.origin[series])

    def _double(self, series: int, downwards: bool) -> None:
        """Twice as wide bins: old pairs merge; the range grows up, or down
        (then the old range is the upper half of the new one)."""
        old = self.counts[series]
        shift = BINS if downwards else 0
        new = np.zeros(BINS, dtype=np.int64)
        np.add.at(new, (np.arange(BINS) + shift) // 2, old)
        self.counts[series] = new
        if downwards:
            self.origin[series] -= BINS * self.width[series]
        self.width[series] *= 2

    # --- what is read back ---------------------------------------------------

    def index(self, name: str) -> int:
        return self.names.index(name)

    def sd(self) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.n > 1, np.sqrt(self.m2 / np.maximum(self.n - 1, 1)), np.nan)

    def quantiles(self, qs, series: np.ndarray | None = None) -> np.ndarray:
        """[quantile, series], as np.quantile's default (linear between order
        statistics), exact for unit bins."""
        chosen = np.arange(len(self.names)) if series is None else np.asarray(series)
        result = np.full((len(qs), len(chosen)), np.nan)
        for column, s in enumerate(chosen):
            n = int(self.n[s])
            if n == 0:
                continue
            cumulative = np.cumsum(self.counts[s])
            for row, q in enumerate(qs):
                position = (n - 1) * q
                below = int(np.floor(position))
                low = self._order_statistic(s, cumulative, below)
                high = self._order_statistic(s, cumulative, min(below + 1, n - 1))
                result[row, column] = low + (position - below) * (high - low)
        return result

    def _order_statistic(self, series: int, cumulative: np.ndarray, k: int) -> float:
        """The k-th smallest value (from 0): its bin's left edge for unit bins
        of whole numbers, else spread evenly within the bin."""
        bin_index = int(np.searchsorted(cumulative, k, side="right"))
        left = self.origin[series] + bin_index * self.width[series]
        if self.whole[series] and self.width[series] == 1.0:
            return float(left)
        before = cumulative[bin_index - 1] if bin_index else 0
        inside = self.counts[series, bin_index]
        return float(left + self.width[series] * (k - before + 0.5) / inside)

    def at_least(self, name: str, threshold: float) -> int:
        """Replications with a value of at least ``threshold`` (exact for unit bins)."""
        s = self.index(name)
        edges = self.origin[s] + self.width[s] * np.arange(BINS)
        return int(self.counts[s][edges >= threshold - 1e-9 * max(1.0, abs(threshold))].sum())

    def histogram(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """Occupied range of a series: bin edges and counts."""
        s = self.index(name)
        occupied = np.flatnonzero(self.counts[s])
        first, last = occupied[0], occupied[-1] + 1
        edges = self.origin[s] + self.width[s] * np.arange(first, last + 1)
        return edges, self.counts[s, first:last]

    def summary(self) -> pd.DataFrame:
        """The table ``sim.measure.statistics.summarise`` gives for all values."""
        sd = self.sd()
        q05, q50, q95 = self.quantiles((0.05, 0.5, 0.95))
        with np.errstate(invalid="ignore"):
            half_width = np.where(self.n > 1, t_quantile(0.975, np.maximum(self.n - 1, 1)) * sd
                                  / np.sqrt(np.maximum(self.n, 1)), np.nan)
        mean = np.where(self.n > 0, self.mean, np.nan)
        table = pd.DataFrame({"mean": mean, "sd": sd, "q05": q05, "q50": q50, "q95": q95,
                              "ci95_low": mean - half_width, "ci95_high": mean + half_width, "n": self.n},
                             index=pd.Index(self.names, name="outcome"))
        return table


class Aggregates:
    """A run's distributions, gathered chunk by chunk: the outcomes, people in
    each state at each month and, with a budget, the cumulative discounted
    net saving per month and the cashflow per calendar year."""

    def __init__(self, outcome_names: tuple[str, ...], states: tuple[str, ...], months: np.ndarray,
                 cashflow_columns: tuple[str, ...] = (), cashflow_years: np.ndarray | None = None):
        self.states, self.months = states, months
        self.outcomes = Binned(list(outcome_names))
        self.monthly = Binned([f"{state} at {month:g}" for month in months for state in states])
        self.cashflow_columns, self.years = cashflow_columns, cashflow_years
        self.cashflow = None
        if cashflow_years is not None:
            self.calendar_years = np.unique(cashflow_years)
            self.cashflow = Binned([f"cumulative net to month {m + 1}" for m in range(len(cashflow_years))]
                                   + [f"{year} {name}" for year in self.calendar_years for name in cashflow_columns])

    @property
    def replications(self) -> int:
        # Every series sees every replication, as a value or as missing.
        return int(self.outcomes.n[0] + self.outcomes.missing[0]) if self.outcomes.names else 0

    def add(self, outcomes: np.ndarray, monthly: np.ndarray, cashflow: np.ndarray | None) -> None:
        """One chunk: outcomes [replication, outcome], monthly [replication,
        month, state], cashflow [replication, month, column] (net last)."""
        self.outcomes.add(outcomes)
        self.monthly.add(monthly.reshape(len(monthly), -1))
        if self.cashflow is not None and cashflow is not None:
            cumulative = np.cumsum(cashflow[:, :, -1], axis=1)
            per_year = [cashflow[:, self.years == year, :].sum(axis=1) for year in self.calendar_years]
            self.cashflow.add(np.hstack([cumulative, *per_year]))

    def state_fan(self, state: int, quantiles) -> np.ndarray:
        """[quantile, month] of the people in ``state``."""
        series = np.arange(len(self.months)) * len(self.states) + state
        return self.monthly.quantiles(quantiles, series)

    def state_means(self) -> np.ndarray:
        """[month, state]: the mean over runs of the people in each state."""
        return self.monthly.mean.reshape(len(self.months), len(self.states)).copy()

    def state_peak(self, state: int) -> float:
        """Most people ever seen in ``state`` in any month and replication."""
        series = np.arange(len(self.months)) * len(self.states) + state
        return float(self.monthly.highest[series].max())

    def cumulative_net_fan(self, quantiles) -> np.ndarray:
        """[quantile, month] of the cumulative discounted net saving at the end of each month."""
        return self.cashflow.quantiles(quantiles, np.arange(len(self.years)))

    def money_per_year(self) -> pd.DataFrame:
        """Per calendar year: mean and 5-95 % range of each cashflow item."""
        first = len(self.years)
        rows = {}
        for y, year in enumerate(self.calendar_years):
            series = first + y * len(self.cashflow_columns) + np.arange(len(self.cashflow_columns))
            q05, q95 = self.cashflow.quantiles((0.05, 0.95), series)
            row = {}
            for column, name in enumerate(self.cashflow_columns):
                row |= {f"{name}_mean": self.cashflow.mean[series[column]], f"{name}_q05": q05[column],
                        f"{name}_q95": q95[column]}
            rows[int(year)] = row
        return pd.DataFrame.from_dict(rows, orient="index").rename_axis("year")
