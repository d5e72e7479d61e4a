"""A sweep's folder: the points, their replications and summary, and the
outcomes drawn against the varied fields."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.analysis.sweep import SweepResult, Varied
from sim.measure import columns
from sim.measure.statistics import percent
from sim.output.folders import write_atomically
from sim.output.manifest import write_manifest
from sim.output.style import TARGET_COLOUR, Chart, save_figure
from sim.scenario.files import dump_scenario


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


def sweep_plots(result: SweepResult, target: tuple[str, float] | None, design: str) -> dict[str, Figure]:
    # Outcomes that vary somewhere in the sweep; a flat line at zero says nothing.
    outcomes = [o for o in SWEEP_PLOTTED if o in result.outcomes.columns and result.outcomes[o].nunique() > 1]
    figures = {}
    for varied in result.varied:
        figure = Chart(figsize=(11, 3.3 * -(-len(outcomes) // 2)))
        axes_grid = figure.subplots(-(-len(outcomes) // 2), 2, squeeze=False)
        for axes, outcome in zip(axes_grid.flat, outcomes):
            _outcome_against(axes, result, varied, outcome, design)
            if target is not None and outcome == target[0]:
                axes.axhline(target[1], color=TARGET_COLOUR, linestyle="--", label=f"target {target[1]:g}")
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
    if columns.column(outcome).unit == "EUR":
        axes.set_ylabel("EUR")
    axes.set_xlabel(varied.path)
    axes.grid(alpha=0.3)


def _target_heat_map(result: SweepResult, target: tuple[str, float]) -> Figure:
    outcome, level = target
    first, second = result.varied
    chance = (result.outcomes.groupby("point")[outcome].apply(lambda v: float(np.mean(v >= level)))
              .rename("chance").reset_index().merge(result.points, on="point")
              .pivot(index=second.path, columns=first.path, values="chance"))
    figure = Chart(figsize=(1.2 + 0.55 * chance.shape[1], 1.5 + 0.45 * chance.shape[0]))
    axes = figure.subplots()
    image = axes.imshow(chance.to_numpy() * 100, origin="lower", aspect="auto", cmap="RdYlGn", vmin=0, vmax=100)
    axes.set_xticks(range(chance.shape[1]), [f"{v:g}" for v in chance.columns])
    axes.set_yticks(range(chance.shape[0]), [f"{v:g}" for v in chance.index])
    for (row, column), value in np.ndenumerate(chance.to_numpy()):
        axes.text(column, row, percent(value), ha="center", va="center", fontsize="small")
    axes.set_xlabel(first.path)
    axes.set_ylabel(second.path)
    figure.colorbar(image, label=f"chance of {outcome} >= {level:g} (%)")
    axes.set_title(f"Chance of {outcome} >= {level:g} ({result.replications} replications per point)")
    return figure


class PointStore:
    """A sweep's finished points on disk, one Parquet file each, so that an
    interrupted sweep continues where it stopped when run again. The folder
    belongs to one sweep (its scenario, points, replications and seed): a
    folder left by another sweep is emptied first."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def start(self, definition: dict) -> None:
        key = hashlib.sha256(json.dumps(definition, sort_keys=True).encode()).hexdigest()
        marker = self.folder / "sweep.json"
        if self.folder.exists() and (not marker.is_file() or json.loads(marker.read_text()).get("key") != key):
            shutil.rmtree(self.folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        marker.write_text(json.dumps({"key": key, "points": len(definition["points"])}))

    def _path(self, index: int) -> Path:
        return self.folder / f"point-{index:06d}.parquet"

    def get(self, index: int) -> pd.DataFrame | None:
        saved = self._path(index)
        return pd.read_parquet(saved) if saved.is_file() else None

    def keep(self, index: int, table: pd.DataFrame) -> None:
        saved = self._path(index)
        partial = saved.with_suffix(".partial")
        table.to_parquet(partial, index=False)
        partial.replace(saved)  # a point is either fully kept or not at all
