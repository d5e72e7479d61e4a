"""Is scenario B really better than A? Paired comparison on common random numbers.

All scenarios run with the same seed, so replication ``i`` of each sees the
same people with the same luck (see ``sim.model.streams``): the difference between
them in that replication is the effect of what the scenarios change, and the
spread of the paired differences is far smaller than that of two independent
runs. For each outcome this module gives the mean paired difference with its
95 % confidence interval, the interval an unpaired comparison of the same
runs would give (to show what the pairing buys), and the chance that the
alternative does better than the baseline in a replication.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.measure.columns import column
from sim.measure.money import later_than
from sim.run.results import RunResult
from sim.run.runner import run
from sim.scenario.schema import Scenario


@dataclass(frozen=True)
class Comparison:
    baseline: RunResult
    alternatives: tuple[RunResult, ...]

    def differences(self) -> pd.DataFrame:
        """Alternative minus baseline, per alternative, replication and outcome."""
        base = self.baseline.outcomes.set_index("replication")
        tables = []
        for alternative in self.alternatives:
            other = alternative.outcomes.set_index("replication")
            shared = [column for column in base.columns if column in other.columns]
            difference = (other[shared] - base[shared]).reset_index()
            difference.insert(0, "scenario", alternative.scenario.name)
            tables.append(difference)
        return pd.concat(tables, ignore_index=True)

    def summary(self) -> pd.DataFrame:
        """Per alternative and outcome: both means, the mean paired difference
        with its 95 % interval, the unpaired interval's half-width for the same
        runs, and the chance the alternative does better (ties count half)."""
        base = self.baseline.outcomes
        rows = []
        for alternative in self.alternatives:
            other = alternative.outcomes
            censored = later_than(self.baseline.scenario).keys() | later_than(alternative.scenario).keys()
            for outcome in base.columns:
                if outcome == "replication" or outcome not in other.columns:
                    continue
                a, b = base[outcome].to_numpy(dtype=float), other[outcome].to_numpy(dtype=float)
                better = column(outcome).better or None
                if outcome in censored:
                    row = _paired_censored(a, b, better)
                else:
                    both = ~(np.isnan(a) | np.isnan(b))
                    row = _paired(a[both], b[both], better)
                rows.append({"scenario": alternative.scenario.name, "outcome": outcome, **row})
        return pd.DataFrame(rows)


def _paired(a: np.ndarray, b: np.ndarray, better: int | None) -> dict:
    from scipy import stats
    n = len(a)
    difference = b - a
    t = stats.t.ppf(0.975, n - 1) if n > 1 else math.nan
    paired_half = t * difference.std(ddof=1) / math.sqrt(n) if n > 1 else math.nan
    unpaired_half = t * math.sqrt((a.var(ddof=1) + b.var(ddof=1)) / n) if n > 1 else math.nan
    mean = difference.mean() if n else math.nan
    same = np.count_nonzero(difference == 0) / n if n else math.nan
    if better is None or n == 0:
        chance = math.nan
    else:
        wins = np.count_nonzero(better * difference > 0) + 0.5 * np.count_nonzero(difference == 0)
        chance = wins / n
    return {
        "baseline_mean": a.mean() if n else math.nan,
        "alternative_mean": b.mean() if n else math.nan,
        "difference": mean,
        "ci95_low": mean - paired_half,
        "ci95_high": mean + paired_half,
        "paired_half_width": paired_half,
        "unpaired_half_width": unpaired_half,
        "chance_better": chance,
        # Ties count half in chance_better; a table says "same in every run" when all are.
        "chance_same": same,
        "replications": n,
    }


def _paired_censored(a: np.ndarray, b: np.ndarray, better: int | None) -> dict:
    """As _paired, for a month that some runs do not reach by the last month
    counted (empty: later). Means and differences only when every run
    reaches it; the chance of doing better counts every run, a later month
    losing to any month reached (two later ones tie)."""
    if not (np.isnan(a).any() or np.isnan(b).any()):
        return _paired(a, b, better)
    row = _paired(np.array([]), np.array([]), None) | {"replications": len(a)}
    if better is not None and len(a):
        a, b = np.where(np.isnan(a), np.inf, a), np.where(np.isnan(b), np.inf, b)
        with np.errstate(invalid="ignore"):  # later and later: a tie, not a difference
            wins = np.count_nonzero(better * (b - a) > 0) + 0.5 * np.count_nonzero(a == b)
        row["chance_better"] = wins / len(a)
    return row


def compare(scenarios: list[Scenario], replications: int | None = None, seed: int | None = None,
            workers: int | None = None, on_progress=None) -> Comparison:
    """Run every scenario on the same random numbers; the first is the baseline."""
    if len(scenarios) < 2:
        raise ValueError("compare needs at least two scenarios")
    replications = replications or scenarios[0].replications
    seed = scenarios[0].seed if seed is None else seed
    results = [run(scenario, replications, seed=seed, workers=workers, on_progress=on_progress)
               for scenario in scenarios]
    return Comparison(results[0], tuple(results[1:]))


