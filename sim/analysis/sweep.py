"""Sweeps: one scenario run at many values of one or more of its fields.

Every point runs with the same seed, so the points meet the same people with
the same luck (common random numbers) and differences between points show
the effect of the varied fields. Points are a full grid of the listed values
or a Latin hypercube over ranges (``scipy.stats.qmc``).

A sweep can be interrupted and resumed: each finished point is saved at once
in a work folder beside the destination, and running the same sweep again
skips the points already done. A point's results depend only on the scenario,
the seed and the number of replications, so a resumed sweep ends exactly as
an uninterrupted one would.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import matplotlib
import numpy as np
import pandas as pd
from scipy.stats import qmc

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from sim import limits
from sim.errors import Problem, ScenarioError
from sim.output.plots import save_figure
from sim.output.folders import write_atomically
from sim.output.results import write_manifest
from sim.run.runner import run
from sim.scenario.schema import Scenario
from sim.scenario.files import dump_scenario, with_changes
from sim.analysis.statistics import summarise, target_chance


@dataclass(frozen=True)
class Varied:
    """One field to vary: the values of a grid, or the range of a hypercube."""

    path: str
    values: tuple[float, ...]
    whole_numbers: bool

    @property
    def low(self) -> float:
        return min(self.values)

    @property
    def high(self) -> float:
        return max(self.values)


def parse_vary(text: str, scenario: Scenario) -> Varied:
    """``path=low:high:step`` (both ends included) or ``path=v1,v2,...``.

    A field that holds a whole number in the scenario (such as places) is
    kept whole."""
    path, equals, spec = text.partition("=")
    where = f"--vary {text}"
    if not equals or not path or not spec:
        raise ScenarioError([Problem(where, None, None, "", "expected path=low:high:step or path=v1,v2,...")])
    try:
        if ":" in spec:
            parts = [float(part) for part in spec.split(":")]
            if len(parts) != 3 or not all(map(math.isfinite, parts)) or parts[2] <= 0 or parts[1] < parts[0]:
                raise ValueError
            low, high, step = parts
            # Counted before they are made: a range of millions would take the memory.
            count = math.floor((high - low) / step + 0.5) + 1
            if count > limits.MAX_POINTS:
                raise ScenarioError(limits.too_many_points(count, where))
            values = tuple(np.round(np.arange(low, high + step / 2, step), 10))
        else:
            values = tuple(float(part) for part in spec.split(","))
            if not all(map(math.isfinite, values)):
                raise ValueError
            if len(values) > limits.MAX_POINTS:
                raise ScenarioError(limits.too_many_points(len(values), where))
    except ValueError:
        raise ScenarioError([Problem(where, None, None, path,
                                     "expected low:high:step with low <= high and step > 0, or v1,v2,...")]) from None
    current = _field_value(scenario.model_dump(mode="json", by_alias=True), path.split("."))
    whole = isinstance(current, int) and not isinstance(current, bool)
    if whole and any(value != round(value) for value in values):
        raise ScenarioError([Problem(where, None, None, path, f"must be whole numbers, got {spec}")])
    return Varied(path, tuple(dict.fromkeys(values)), whole)


def whole_number_range(path: str, low: int, high: int, scenario: Scenario) -> Varied:
    """A whole-number field searched between ``low`` and ``high`` (sizing),
    without listing the values between."""
    where = f"--vary {path}={low}:{high}"
    current = _field_value(scenario.model_dump(mode="json", by_alias=True), path.split("."))
    if isinstance(current, bool) or not isinstance(current, (int, float)) and current is not None:
        raise ScenarioError([Problem(where, None, None, path, f"must name a number of the scenario, got {current!r}")])
    return Varied(path, (low, high), True)


def grid(varied: list[Varied]) -> list[dict[str, float]]:
    return [dict(zip([v.path for v in varied], combination))
            for combination in itertools.product(*(v.values for v in varied))]


def latin_hypercube(varied: list[Varied], points: int, seed: int) -> list[dict[str, float]]:
    sample = qmc.LatinHypercube(d=len(varied), seed=seed).random(points)
    scaled = qmc.scale(sample, [v.low for v in varied], [v.high for v in varied]) if varied else sample
    return [{v.path: (round(value) if v.whole_numbers else float(value)) for v, value in zip(varied, row)}
            for row in scaled]


def scenario_at(base: Scenario, point: dict[str, float], varied: list[Varied]) -> Scenario:
    """The base scenario with the point's values set (and checked like a file)."""
    changes = {v.path: int(point[v.path]) if v.whole_numbers else point[v.path] for v in varied}
    return with_changes(base, changes, source="--vary " + ", ".join(f"{k}={point[k]:g}" for k in point))


@dataclass(frozen=True)
class SweepResult:
    base: Scenario
    varied: tuple[Varied, ...]
    points: pd.DataFrame          # point, one column per varied field
    outcomes: pd.DataFrame        # point, replication, outcomes
    replications: int
    seed: int


def sweep(base: Scenario, varied: list[Varied], points: list[dict[str, float]], replications: int, seed: int,
          work_folder: Path, workers: int | None = None,
          on_point: Callable[[int, int, bool], None] | None = None,
          on_progress: Callable[[int], None] | None = None) -> SweepResult:
    """Run every point, keeping each finished one in ``work_folder`` so that an
    interrupted sweep can continue; ``on_point(done, total, resumed)`` reports
    progress in points."""
    scenarios = [scenario_at(base, point, varied) for point in points]  # check them all before running any
    work_folder = Path(work_folder)
    definition = {"scenario": dump_scenario(base), "points": points, "replications": replications, "seed": seed}
    key = hashlib.sha256(json.dumps(definition, sort_keys=True).encode()).hexdigest()
    marker = work_folder / "sweep.json"
    if work_folder.exists() and (not marker.is_file() or json.loads(marker.read_text()).get("key") != key):
        shutil.rmtree(work_folder)  # another sweep's leftovers: start afresh
    work_folder.mkdir(parents=True, exist_ok=True)
    marker.write_text(json.dumps({"key": key, "points": len(points)}))
    tables = []
    for index, scenario in enumerate(scenarios):
        saved = work_folder / f"point-{index:06d}.parquet"
        resumed = saved.is_file()
        if resumed:
            if on_progress is not None:
                on_progress(replications)
        else:
            table = run(scenario, replications, seed=seed, workers=workers, on_progress=on_progress).outcomes
            table.insert(0, "point", index)
            partial = saved.with_suffix(".partial")
            table.to_parquet(partial, index=False)
            partial.replace(saved)  # a point is either fully saved or not at all
        tables.append(pd.read_parquet(saved))
        if on_point is not None:
            on_point(index + 1, len(points), resumed)
    point_table = pd.DataFrame(points)
    point_table.insert(0, "point", range(len(points)))
    return SweepResult(base, tuple(varied), point_table, pd.concat(tables, ignore_index=True), replications, seed)


def point_summary(result: SweepResult, target: tuple[str, float] | None) -> pd.DataFrame:
    """Per point and outcome: the usual summary, with the point's values and,
    given a target, the chance of reaching it."""
    rows = []
    for point, table in result.outcomes.groupby("point", sort=True):
        summary = summarise(table.drop(columns=["point"])).reset_index()
        summary.insert(0, "point", point)
        rows.append(summary)
    summary = pd.concat(rows, ignore_index=True).merge(result.points, on="point")
    if target is not None:
        outcome, level = target
        chances = {point: target_chance(table[outcome].to_numpy(), outcome, level)
                   for point, table in result.outcomes.groupby("point")}
        summary["target_chance"] = summary["point"].map(lambda p: chances[p].probability)
        summary["target_chance_low"] = summary["point"].map(lambda p: chances[p].low)
        summary["target_chance_high"] = summary["point"].map(lambda p: chances[p].high)
    return summary


def parse_target(text: str, scenario: Scenario | None = None) -> tuple[str, float]:
    """``outcome>=value``: the level an outcome must reach; with ``scenario``,
    an outcome it has."""
    outcome, at_least, level = text.partition(">=")
    where = f"--target {text}"
    try:
        value = float(level)
    except ValueError:
        raise ScenarioError([Problem(where, None, None, "", "expected outcome>=value, e.g. placed>=78")]) from None
    if not math.isfinite(value):
        raise ScenarioError([Problem(where, None, None, "", f"the level must be a finite number, got {level.strip()}")])
    if scenario is not None:
        from sim.run.worker import outcome_names

        known = outcome_names(scenario)
        if outcome.strip() not in known:
            raise ScenarioError([Problem(where, None, None, "", f"{outcome.strip()!r} is not an outcome of this "
                                                                f"scenario; known: {', '.join(known)}")])
    return outcome.strip(), value


def write_sweep(result: SweepResult, summary: pd.DataFrame, target: tuple[str, float] | None, folder: Path,
                command: list[str] | None, design: str) -> Path:
    def write(staging: Path) -> None:
        result.points.to_csv(staging / "points.csv", index=False)
        result.outcomes.to_csv(staging / "replications.csv", index=False, float_format="%.10g")
        summary.to_csv(staging / "summary.csv", index=False, float_format="%.6g")
        (staging / "scenario.yaml").write_text(dump_scenario(result.base))
        for name, figure in sweep_plots(result, target, design).items():
            save_figure(figure, staging / "plots" / name)
        write_manifest(staging, {
            "scenario": result.base.name, "varied": [v.path for v in result.varied], "design": design,
            "points": len(result.points), "replications": result.replications, "seed": result.seed,
            "target": None if target is None else {"outcome": target[0], "at_least": target[1]},
        }, command)

    return write_atomically(folder, write)


#: Outcomes plotted against the varied fields, when present.
SWEEP_PLOTTED = ("placed", "net_into_work", "mean_wait_months", "waiting_at_horizon", "slot_utilisation", "npv")


def sweep_plots(result: SweepResult, target: tuple[str, float] | None, design: str) -> dict[str, plt.Figure]:
    # Outcomes that vary somewhere in the sweep; a flat line at zero says nothing.
    outcomes = [o for o in SWEEP_PLOTTED if o in result.outcomes.columns and result.outcomes[o].nunique() > 1]
    figures = {}
    for varied in result.varied:
        figure, axes_grid = plt.subplots(-(-len(outcomes) // 2), 2, figsize=(11, 3.3 * -(-len(outcomes) // 2)),
                                         squeeze=False)
        for axes, outcome in zip(axes_grid.flat, outcomes):
            _outcome_against(axes, result, varied, outcome, design)
            if target is not None and outcome == target[0]:
                axes.axhline(target[1], color="#c1121f", linestyle="--", label=f"target {target[1]:g}")
                axes.legend(loc="best", fontsize="small")
        for axes in list(axes_grid.flat)[len(outcomes):]:
            axes.set_visible(False)
        figure.suptitle(f"{result.base.title or result.base.name}: outcomes against {varied.path} "
                        f"({result.replications} replications per point, seed {result.seed})")
        figure.tight_layout()
        figures[f"against_{varied.path.replace('.', '_')}.png"] = figure
    if target is not None and design == "grid" and len(result.varied) == 2:
        figures["target_chance.png"] = _target_heat_map(result, target)
    return figures


def _outcome_against(axes, result: SweepResult, varied: Varied, outcome: str, design: str) -> None:
    joined = result.outcomes[["point", outcome]].merge(result.points, on="point")
    others = [v.path for v in result.varied if v.path != varied.path]
    if design == "grid" and len(others) <= 1:
        groups = joined.groupby(others[0]) if others else [(None, joined)]
        for other_value, table in groups:
            by_value = table.groupby(varied.path)[outcome]
            x = np.array(sorted(table[varied.path].unique()))
            q = by_value.quantile([0.05, 0.25, 0.5, 0.75, 0.95]).unstack().loc[x]
            label = "median" if other_value is None else f"{others[0].split('.')[-1]} = {other_value:g}"
            line, = axes.plot(x, q[0.5], marker="o", markersize=3, label=label)
            axes.fill_between(x, q[0.25], q[0.75], color=line.get_color(), alpha=0.3, linewidth=0)
            axes.fill_between(x, q[0.05], q[0.95], color=line.get_color(), alpha=0.12, linewidth=0)
        axes.legend(loc="best", fontsize="small")
    else:  # scattered points: each point's median, with its 90 % range
        q = joined.groupby("point")[outcome].quantile([0.05, 0.5, 0.95]).unstack()
        x = result.points.set_index("point").loc[q.index, varied.path]
        axes.errorbar(x, q[0.5], yerr=[q[0.5] - q[0.05], q[0.95] - q[0.5]], fmt="o", markersize=3,
                      elinewidth=0.8, alpha=0.7)
    axes.set_title(f"{outcome.replace('_', ' ')} (median, 50 % and 90 % bands)", fontsize="medium")
    if outcome == "npv":
        axes.set_ylabel("EUR")
    axes.set_xlabel(varied.path)
    axes.grid(alpha=0.3)


def _target_heat_map(result: SweepResult, target: tuple[str, float]) -> plt.Figure:
    outcome, level = target
    first, second = result.varied
    chance = (result.outcomes.groupby("point")[outcome].apply(lambda v: float(np.mean(v >= level)))
              .rename("chance").reset_index().merge(result.points, on="point")
              .pivot(index=second.path, columns=first.path, values="chance"))
    figure, axes = plt.subplots(figsize=(1.2 + 0.55 * chance.shape[1], 1.5 + 0.45 * chance.shape[0]))
    image = axes.imshow(chance.to_numpy() * 100, origin="lower", aspect="auto", cmap="RdYlGn", vmin=0, vmax=100)
    axes.set_xticks(range(chance.shape[1]), [f"{v:g}" for v in chance.columns])
    axes.set_yticks(range(chance.shape[0]), [f"{v:g}" for v in chance.index])
    for (row, column), value in np.ndenumerate(chance.to_numpy()):
        axes.text(column, row, f"{value:.0%}", ha="center", va="center", fontsize="small")
    axes.set_xlabel(first.path)
    axes.set_ylabel(second.path)
    figure.colorbar(image, label=f"chance of {outcome} >= {level:g} (%)")
    axes.set_title(f"Chance of {outcome} >= {level:g} ({result.replications} replications per point)")
    return figure


def _field_value(data: Any, keys: list[str]) -> Any:
    for key in keys:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data

