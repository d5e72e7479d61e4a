"""Summaries of Monte Carlo output: spread, confidence intervals, target odds."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special

from sim import language
from sim.language import _

#: Quantiles drawn in fan charts: 90 % band, 50 % band and the median.
FAN_QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


def summarise(outcomes: pd.DataFrame) -> pd.DataFrame:
    """Per outcome: mean, sd, 5/50/95 % quantiles and the 95 % confidence
    interval of the mean (Student t; replications are independent)."""
    rows = {}
    for column in outcomes.columns:
        if column == "replication":
            continue
        values = outcomes[column].to_numpy(dtype=float)
        values = values[~np.isnan(values)]
        n = len(values)
        mean = values.mean() if n else np.nan
        sd = values.std(ddof=1) if n > 1 else np.nan
        half_width = t_quantile(0.975, n - 1) * sd / np.sqrt(n) if n > 1 else np.nan
        q05, q50, q95 = np.quantile(values, [0.05, 0.5, 0.95]) if n else (np.nan,) * 3
        rows[column] = {
            "mean": mean,
            "sd": sd,
            "q05": q05,
            "q50": q50,
            "q95": q95,
            "ci95_low": mean - half_width,
            "ci95_high": mean + half_width,
            "n": n,
        }
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("outcome")


def censored(summary: pd.DataFrame, runs: int, later_than: Mapping[str, float],
             quantile_of_present: Callable[[str, float], float]) -> pd.DataFrame:
    """The summary with outcomes whose empty values mean "later than month
    M" (a break-even month not reached by the last month counted) treated
    so: such runs count, at the top, in the quantiles, which are empty where
    they fall among them; the mean, its interval and the spread are left
    empty, as a mean over the runs that happen to have a value is not one
    over the runs. Adds ``runs`` (all runs) beside ``n`` (runs with a value)
    and ``later_than`` (M, for those outcomes)."""
    summary = summary.copy()
    summary["runs"] = runs
    summary["later_than"] = np.nan
    for name, month in later_than.items():
        if name not in summary.index:
            continue
        present = int(summary.at[name, "n"])
        summary.loc[name, ["mean", "sd", "ci95_low", "ci95_high"]] = np.nan
        summary.at[name, "later_than"] = month
        for column, q in (("q05", 0.05), ("q50", 0.5), ("q95", 0.95)):
            # np.quantile's position among all runs, the censored ones last.
            position = (runs - 1) * q
            inside = present > 0 and np.ceil(position) <= present - 1
            summary.at[name, column] = (quantile_of_present(name, position / max(present - 1, 1))
                                        if inside else np.nan)
    return summary


def percent(share: float) -> str:
    """A share as a percentage, written 0 % or 100 % only when it is exactly so."""
    if share <= 0 or share >= 1:
        return language.percent(min(max(share, 0), 1))
    for decimals in (0, 1):
        if 0 < round(100 * share, decimals) < 100:
            return language.percent(share, decimals)
    return (_("over {share}") if share > 0.5 else _("under {share}")).format(
        share=language.percent(0.999 if share > 0.5 else 0.001, 1))


@dataclass(frozen=True)
class TargetChance:
    """How often an outcome reached its target, with a 95 % Wilson interval."""

    outcome: str
    target: float
    hits: int
    replications: int
    low: float
    high: float

    @property
    def probability(self) -> float:
        return self.hits / self.replications

    def fields(self) -> dict:
        """As summary.json and forecast.json keep it."""
        return {"hits": self.hits, "runs": self.replications, "probability": self.probability,
                "ci95_low": self.low, "ci95_high": self.high}

    @classmethod
    def from_fields(cls, fields: dict, outcome: str = "", target: float = 0) -> TargetChance:
        return cls(outcome, target, fields["hits"], fields["runs"], fields["ci95_low"], fields["ci95_high"])

    def in_words(self) -> str:
        """"499 of 500 runs (over 99 %; 95 % interval 98.9 % to 99.9 %)": a
        count first, so that a share of runs is never read as a certainty."""
        return _("{hits} of {runs} runs ({share}; 95 % interval {low} to {high})").format(
            hits=language.number(self.hits), runs=language.number(self.replications),
            share=percent(self.probability), low=percent(self.low), high=percent(self.high))


def target_chance(values: np.ndarray, outcome: str, target: float) -> TargetChance:
    return chance_from_count(int(np.count_nonzero(np.asarray(values) >= target)), len(values), outcome, target)


def chance_from_count(hits: int, replications: int, outcome: str, target: float) -> TargetChance:
    low, high = wilson_interval(hits, replications)
    return TargetChance(outcome, target, hits, replications, low, high)


# The two quantiles below come from scipy.special, not scipy.stats: loading
# scipy.stats takes half a second, more than a thousand runs of a pilot.

def t_quantile(level: float, degrees_of_freedom):
    """Student's t quantile (scipy.stats.t.ppf)."""
    return special.stdtrit(degrees_of_freedom, level)


def wilson_interval(hits: int, trials: int, confidence: float = 0.95) -> tuple[float, float]:
    """The Wilson score interval of a share (as scipy.stats.binomtest's
    proportion_ci with method="wilson"): 0 and 1 at the edges."""
    z = special.ndtri(1 - (1 - confidence) / 2)
    share = hits / trials
    middle = (share + z**2 / (2 * trials)) / (1 + z**2 / trials)
    half = z * np.sqrt(share * (1 - share) / trials + z**2 / (4 * trials**2)) / (1 + z**2 / trials)
    return (0.0 if hits == 0 else float(middle - half)), (1.0 if hits == trials else float(middle + half))


def promise(values: np.ndarray, certainty: float, weights: np.ndarray | None = None) -> int:
    """The largest N such that at least N happens in a share ``certainty`` of
    the runs; ``weights``: percent of runs each value stands for (binned
    runs), else every value is one run."""
    values = np.asarray(values, dtype=float)
    weights = np.full(len(values), 100 / len(values)) if weights is None else np.asarray(weights, dtype=float)
    order = np.argsort(values)[::-1]
    reached = np.cumsum(weights[order]) / 100  # share of runs with at least each value, from the top down
    return int(values[order][np.argmax(reached >= certainty - 1e-12)])


def pays_for_itself(npv: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """For each threshold t: the share of replications whose net present value
    is at least -t, the chance the programme costs no more than the t euros
    the municipality is willing to put in (negative t: a saving it demands)."""
    ordered = np.sort(np.asarray(npv, dtype=float))
    return 1 - np.searchsorted(ordered, -np.asarray(thresholds, dtype=float), side="left") / len(ordered)
