"""Calibration: which values of a scenario's free parameters reproduce the
figures a programme published?

Approximate Bayesian computation by rejection. Candidate values are drawn as
a Latin hypercube over the declared ranges (a uniform prior). Each candidate
runs on the same seed, so the distance to the published figures changes
smoothly with the parameters instead of jumping with the luck of each run.
The distance is the root mean square, over the published figures, of
(published - simulated mean) / simulated standard deviation: how many
run-to-run spreads the figure lies from what the candidate produces. The
closest fraction of candidates is kept as the set of plausible values; its
best is the fitted point and its 5-95 % range the uncertainty of each
parameter.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import qmc

from sim.analysis.backtests import Observed, backtest
from sim.errors import Problem, ScenarioError
from sim.run.runner import run
from sim.scenario.edit import with_changes, with_free_values
from sim.scenario.schema import Scenario


@dataclass(frozen=True)
class CalibrationResult:
    scenario: Scenario
    observed: Observed
    candidates: pd.DataFrame     # one row per candidate: parameter values, distance, simulated means
    accepted: pd.DataFrame       # the plausible ones, closest first
    replications: int
    seed: int

    @property
    def best(self) -> dict[str, float]:
        return {path: float(self.accepted.iloc[0][path]) for path in self.scenario.free}

    def ranges(self) -> pd.DataFrame:
        """Per free parameter: best value and the 5-95 % range of the plausible set."""
        rows = []
        for path, free in self.scenario.free.items():
            values = self.accepted[path].to_numpy()
            rows.append({"parameter": path, "best": self.best[path], "plausible_low": np.quantile(values, 0.05),
                         "plausible_high": np.quantile(values, 0.95), "prior_low": free.low,
                         "prior_high": free.high})
        return pd.DataFrame(rows)


def calibrate(scenario: Scenario, observed: Observed, samples: int = 60, replications: int = 100,
              accept: float = 0.1, seed: int | None = None, workers: int | None = None,
              on_candidate: Callable[[int, int], None] | None = None) -> CalibrationResult:
    if not scenario.free:
        raise ScenarioError([Problem(scenario.name, None, None, "free",
                                     "the scenario declares no free parameters to calibrate")])
    seed = scenario.seed if seed is None else seed
    paths = list(scenario.free)
    lows = [scenario.free[p].low for p in paths]
    highs = [scenario.free[p].high for p in paths]
    points = qmc.scale(qmc.LatinHypercube(d=len(paths), seed=seed).random(samples), lows, highs)
    # A held-out figure is kept for the check alone: the fit never sees it.
    used = [o for o in observed.observations if o.role != "held_out"]
    months = sorted({o.month for o in used})
    rows = []
    for index, values in enumerate(points):
        candidate = with_free_values(scenario, dict(zip(paths, values)))
        row = dict(zip(paths, values))
        squares = []
        for month in months:
            at_month = with_changes(candidate, {"horizon_months": month}, f"calibration at month {month:g}")
            outcomes = run(at_month, replications, seed=seed, workers=workers).outcomes
            for observation in (o for o in used if o.month == month):
                simulated = outcomes[observation.outcome].to_numpy(dtype=float)
                spread = max(simulated.std(ddof=1), 1e-9)
                row[f"{observation.outcome}@{month:g}"] = simulated.mean()
                squares.append(((observation.value - simulated.mean()) / spread) ** 2)
        row["distance"] = float(np.sqrt(np.mean(squares)))
        rows.append(row)
        if on_candidate is not None:
            on_candidate(index + 1, samples)
    candidates = pd.DataFrame(rows)
    kept = max(2, int(round(accept * samples)))
    accepted = candidates.nsmallest(kept, "distance").reset_index(drop=True)
    return CalibrationResult(scenario, observed, candidates, accepted, replications, seed)


def check_fit(result: CalibrationResult, replications: int = 400, workers: int | None = None) -> pd.DataFrame:
    """The published figures against the fitted scenario, with fresh
    replications (a back-test of the best candidate)."""
    return backtest(with_free_values(result.scenario, result.best), result.observed, replications, workers)
