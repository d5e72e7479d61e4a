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

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import matplotlib
import numpy as np
import pandas as pd
from scipy.stats import qmc

matplotlib.use("Agg")  # files only
import matplotlib.pyplot as plt  # noqa: E402

from sim.analysis.backtests import Observed, backtest  # noqa: E402
from sim.errors import Problem, ScenarioError  # noqa: E402
from sim.output.plots import save_figure  # noqa: E402
from sim.output.folders import write_atomically  # noqa: E402
from sim.output.results import write_manifest  # noqa: E402
from sim.run.runner import run  # noqa: E402
from sim.scenario.schema import Scenario  # noqa: E402
from sim.scenario.files import set_field, with_changes  # noqa: E402


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
    months = sorted({o.month for o in observed.observations})
    rows = []
    for index, values in enumerate(points):
        candidate = with_values(scenario, dict(zip(paths, values)))
        row = dict(zip(paths, values))
        squares = []
        for month in months:
            outcomes = run(candidate.model_copy(update={"horizon_months": month}), replications, seed=seed,
                           workers=workers).outcomes
            for observation in (o for o in observed.observations if o.month == month):
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


def with_values(scenario: Scenario, values: dict[str, float]) -> Scenario:
    """The scenario with free parameters set (and their complements)."""
    changes = dict(values)
    for path, value in values.items():
        complement = scenario.free[path].complement
        if complement:
            changes[complement] = 1 - value
    return with_changes(scenario, changes, source="calibration")


def fitted_file_text(result: CalibrationResult, original_file: str) -> str:
    """A scenario file that extends the original with the fitted values."""
    lines = [f"# Fitted by pilotsim calibrate to {result.observed.source}",
             f"# ({len(result.candidates)} candidates, {result.replications} replications each, seed {result.seed};",
             "# plausible 5-95 % ranges in the comments).",
             f"extends: {original_file}",
             f"name: {result.scenario.name}_calibrated"]
    ranges = result.ranges().set_index("parameter")
    nested: dict = {}
    for path, value in result.best.items():
        set_field(nested, path, round(value, 6))
        complement = result.scenario.free[path].complement
        if complement:
            set_field(nested, complement, round(1 - value, 6))
    lines += _yaml_lines(nested, 0, ranges)
    return "\n".join(lines) + "\n"


def _yaml_lines(node: dict, depth: int, ranges: pd.DataFrame, prefix: str = "") -> list[str]:
    lines = []
    for key, value in node.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            lines.append("  " * depth + f"{key}:")
            lines += _yaml_lines(value, depth + 1, ranges, path + ".")
        else:
            note = ""
            if path in ranges.index:
                row = ranges.loc[path]
                note = f"  # plausible {row['plausible_low']:.4g} to {row['plausible_high']:.4g}"
            lines.append("  " * depth + f"{key}: {value}{note}")
    return lines


def write_calibration(result: CalibrationResult, original: str, folder, command: list[str] | None,
                      check_replications: int = 400, workers: int | None = None):
    """The fitted scenario (extending ``original``), the candidates, the
    plausible ranges, and published figures against the fitted scenario."""
    folder = Path(folder)
    check = backtest(with_values(result.scenario, result.best), result.observed, check_replications, workers)

    def write(staging: Path) -> None:
        relative = os.path.relpath(Path(original).resolve(), folder.resolve())
        (staging / f"{result.scenario.name}_calibrated.yaml").write_text(fitted_file_text(result, relative))
        result.candidates.sort_values("distance").to_csv(staging / "candidates.csv", index=False,
                                                         float_format="%.6g")
        result.ranges().to_csv(staging / "parameters.csv", index=False, float_format="%.6g")
        check.to_csv(staging / "fit.csv", index=False, float_format="%.6g")
        figure, axes = plt.subplots(figsize=(8, 0.9 + 0.55 * len(check)))
        labels = [f"{row.outcome} at month {row.month:g}" for row in check.itertuples()]
        positions = np.arange(len(check))
        scale = np.maximum(check["published"].abs().to_numpy(), 1.0)  # each figure relative to its own size
        axes.errorbar(check["simulated_median"] / scale, positions,
                      xerr=[(check["simulated_median"] - check["simulated_q05"]) / scale,
                            (check["simulated_q95"] - check["simulated_median"]) / scale],
                      fmt="o", color="#2a6f97", capsize=3, label="fitted scenario: median, 90 % of runs")
        axes.scatter(check["published"] / scale, positions, marker="x", s=60, color="#c1121f", zorder=3,
                     label="published")
        axes.set_yticks(positions, labels)
        axes.set_xlabel("relative to the published figure")
        axes.set_title(f"{result.scenario.name}: published figures against the fitted scenario")
        axes.grid(axis="x", alpha=0.3)
        axes.legend(loc="upper center", fontsize="small", bbox_to_anchor=(0.5, -0.35 - 0.6 / len(check)), ncol=2)
        save_figure(figure, staging / "plots" / "fit.png")
        write_manifest(staging, {
            "scenario": result.scenario.name, "observed": result.observed.source,
            "candidates": len(result.candidates), "accepted": len(result.accepted),
            "replications": result.replications, "seed": result.seed, "best": result.best,
        }, command)

    return write_atomically(folder, write), check
