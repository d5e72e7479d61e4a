"""How many replications an outcome needs for a given precision.

The replication algorithm of Hoad, Robinson and Davies (2010, Journal of the
Operational Research Society 61, 1632-1644): with n replications the 95 %
confidence interval of the mean has half-width t(0.975, n - 1) s / sqrt(n);
its precision is that half-width over the mean. The answer is the smallest n
whose precision is within the target and stays within it for the next
``look_ahead(n)`` replications too (a precision that dips below the target by
chance then rises again is not trusted). Replications are numbered, so the
answer does not depend on how many are run at a time.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.errors import Problem, ScenarioError
from sim.language import _
from sim.measure.columns import unknown_outcomes
from sim.run.runner import run
from sim.scenario.schema import Scenario

#: Fewest replications the algorithm looks at (a standard deviation needs 2, HRD start at 3).
FIRST = 3
#: Replications added between looks at the precision.
BATCH = 50


def look_ahead(replications: int) -> int:
    """How many more replications must keep the precision (HRD: 5 up to 100
    replications, then 5 % of them)."""
    return 5 if replications <= 100 else math.floor(5 * replications / 100)


def precision_table(values: np.ndarray) -> pd.DataFrame:
    """For n = FIRST, ..., len(values): the mean of the first n values, the
    half-width of its 95 % confidence interval, and that over the mean."""
    from scipy import stats
    n = np.arange(1, len(values) + 1)
    mean = np.cumsum(values) / n
    squares = np.cumsum((values - values[0]) ** 2)  # shifted, for accuracy
    with np.errstate(invalid="ignore", divide="ignore"):
        variance = (squares - n * (mean - values[0]) ** 2) / (n - 1)
        half_width = stats.t.ppf(0.975, n - 1) * np.sqrt(np.maximum(variance, 0)) / np.sqrt(n)
        relative = half_width / np.abs(mean)
    table = pd.DataFrame({"replications": n, "mean": mean, "half_width": half_width, "precision": relative})
    return table[table["replications"] >= FIRST].reset_index(drop=True)


def enough(table: pd.DataFrame, target: float) -> int | None:
    """The smallest n within the target for itself and its look-ahead, if the
    table is long enough to tell."""
    within = (table["precision"] <= target).to_numpy()
    counts = table["replications"].to_numpy()
    for row in np.flatnonzero(within):
        needed = look_ahead(int(counts[row]))
        if row + needed >= len(within):
            return None  # not enough replications yet to check the look-ahead
        if within[row + 1: row + needed + 1].all():
            return int(counts[row])
    return None


@dataclass(frozen=True)
class PrecisionResult:
    scenario: Scenario
    target: float
    seed: int
    tables: dict[str, pd.DataFrame]       # per outcome, as precision_table
    needed: dict[str, int | None]         # per outcome; None: not reached within the maximum
    run: int                              # replications run

    @property
    def replications(self) -> int | None:
        """Enough for every outcome, or None if one did not get there."""
        counts = list(self.needed.values())
        return None if None in counts else max(counts)


def replications_needed(scenario: Scenario, outcomes: tuple[str, ...], target: float, maximum: int = 10_000,
                        seed: int | None = None, workers: int | None = None,
                        on_progress: Callable[[int], None] | None = None) -> PrecisionResult:
    check_request(scenario, list(outcomes), target, maximum)
    seed = scenario.seed if seed is None else seed
    values = {outcome: np.zeros(0) for outcome in outcomes}
    needed: dict[str, int | None] = {outcome: None for outcome in outcomes}
    done = 0
    while done < maximum:
        batch = min(BATCH if done else max(BATCH, FIRST), maximum - done)
        table = run(scenario, batch, seed=seed, workers=workers, first_replication=done,
                    on_progress=on_progress).outcomes
        done += batch
        for outcome in outcomes:
            values[outcome] = np.concatenate([values[outcome], table[outcome].to_numpy(dtype=float)])
            needed[outcome] = enough(precision_table(values[outcome]), target)
        if all(count is not None for count in needed.values()):
            break
    tables = {outcome: precision_table(values[outcome]) for outcome in outcomes}
    return PrecisionResult(scenario, target, seed, tables, needed, done)


def check_request(scenario: Scenario, outcomes: list[str], target: float, maximum: int) -> None:
    problems = unknown_outcomes(scenario, outcomes)
    if not 0 < target < 1:
        problems.append(Problem("--precision", None, None, f"{target:g}",
                                _("expected a fraction of the mean between 0 and 1, e.g. 0.02")))
    if maximum < FIRST + look_ahead(FIRST):
        problems.append(Problem("--max", None, None, str(maximum), _("expected at least {least}").format(
            least=FIRST + look_ahead(FIRST))))
    if problems:
        raise ScenarioError(problems)
