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
from matplotlib.ticker import FuncFormatter, MaxNLocator

from sim import language
from sim.analysis.sweep import SweepResult, Varied
from sim.language import _, ngettext
from sim.measure import columns
from sim.measure.statistics import wilson_interval
from sim.model import engines
from sim.output.fields import label, value_in_words
from sim.output.folders import write_atomically
from sim.output.manifest import write_manifest
from sim.output.style import (
    BAND_COLOUR,
    CHANCE_COLOURS,
    NOTE_SIZE,
    SERIES_COLOURS,
    TARGET_COLOUR,
    TITLE_SIZE,
    Chart,
    finish,
    outcome_axis,
    percent_axis,
    save_figure,
)
from sim.output.what_if import write_what_if
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
        fields = {
            "scenario": result.base.name, "varied": [v.path for v in result.varied], "design": design,
            "points": len(result.points), "replications": result.replications, "seed": result.seed,
            "target": None if target is None else {"outcome": target[0], "at_least": target[1]},
            "engine": engines.engine_for(result.base, engines.current()),
            "language": language.current(),
        }
        write_what_if(staging, fields)
        write_manifest(staging, fields, command)

    return write_atomically(folder, write)


#: Outcomes plotted against the varied fields, when present.
SWEEP_PLOTTED = ("placed", "net_into_work", "mean_wait_months", "waiting_at_horizon", "slot_utilisation", "npv")


def sweep_plots(result: SweepResult, target: tuple[str, float] | None, design: str) -> dict[str, Figure]:
    # Outcomes that vary somewhere in the sweep; a flat line at zero says nothing.
    outcomes = [o for o in SWEEP_PLOTTED if o in result.outcomes.columns and result.outcomes[o].nunique() > 1]
    figures = {}
    for varied in result.varied:
        figure = Chart(figsize=(11, 1.2 + 3.1 * -(-len(outcomes) // 2)))
        axes_grid = figure.subplots(-(-len(outcomes) // 2), 2, squeeze=False)
        for axes, outcome in zip(axes_grid.flat, outcomes):
            _outcome_against(axes, result, varied, outcome, design)
            if target is not None and outcome == target[0]:
                axes.axhline(target[1], color=TARGET_COLOUR, linestyle="--",
                             label=_("target: {target}").format(target=language.number(target[1])))
        for axes in list(axes_grid.flat)[len(outcomes):]:
            axes.set_visible(False)
        handles, labels = axes_grid.flat[0].get_legend_handles_labels()
        for axes in axes_grid.flat:  # one legend for all panels, under them
            for handle, words in zip(*axes.get_legend_handles_labels()):
                if words not in labels:
                    handles.append(handle)
                    labels.append(words)
        figure.legend(handles, labels, loc="lower center", ncol=min(4, len(labels)), frameon=False,
                      fontsize=NOTE_SIZE, bbox_to_anchor=(0.5, 0.035))
        figure.suptitle(_("{title}: what changes with {field}").format(title=result.base.title or result.base.name,
                                                                       field=label(varied.path).lower()),
                        fontsize=TITLE_SIZE)
        finish(figure, result.replications, result.seed, per_point=True, note=_(
            "Each point: the median of its runs (line), the middle half and 90 % of runs (bands)."))
        figure.subplots_adjust(bottom=figure.subplotpars.bottom + 0.06)
        figures[f"against_{varied.path.replace('.', '_')}.png"] = figure
    if target is not None and design == "grid" and len(result.varied) == 2:
        figures["target_chance.png"] = _target_heat_map(result, target)
    return figures


def _outcome_against(axes, result: SweepResult, varied: Varied, outcome: str, design: str) -> None:
    joined = result.outcomes[["point", outcome]].merge(result.points, on="point")
    others = [v.path for v in result.varied if v.path != varied.path]
    start = result.base.calendar_start
    if design == "grid" and len(others) <= 1:
        groups = joined.groupby(others[0]) if others else [(None, joined)]
        for index, (other_value, table) in enumerate(groups):
            by_value = table.groupby(varied.path)[outcome]
            x = np.array(sorted(table[varied.path].unique()))
            q = by_value.quantile([0.05, 0.25, 0.5, 0.75, 0.95]).unstack().loc[x]
            words = (_("median") if other_value is None else
                     f"{label(others[0])}: {value_in_words(others[0], other_value, start)}")
            colour = SERIES_COLOURS[index % len(SERIES_COLOURS)]
            axes.plot(x, q[0.5], marker="o", markersize=3, label=words, color=colour)
            axes.fill_between(x, q[0.25], q[0.75], color=colour, alpha=0.3, linewidth=0)
            axes.fill_between(x, q[0.05], q[0.95], color=colour, alpha=0.12, linewidth=0)
    else:  # scattered points: each point's median, with its 90 % range
        q = joined.groupby("point")[outcome].quantile([0.05, 0.5, 0.95]).unstack()
        x = result.points.set_index("point").loc[q.index, varied.path]
        axes.errorbar(x, q[0.5], yerr=[q[0.5] - q[0.05], q[0.95] - q[0.5]], fmt="o", markersize=3,
                      elinewidth=0.8, alpha=0.7, color=BAND_COLOUR, label=_("a point: median and 90 % of runs"))
    shown = columns.column(outcome)
    axes.set_title(outcome_axis(axes.yaxis, shown), fontsize=NOTE_SIZE + 2)
    axes.set_xlabel(label(varied.path), fontsize=NOTE_SIZE)
    tried = np.sort(result.points[varied.path].unique())
    if design == "grid" and len(tried) <= 8:  # the values tried, and only those: no 7.25 between 7 and 9
        axes.set_xticks(tried)
    elif varied.whole_numbers:  # places, people: no "42.5 places"
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.xaxis.set_major_formatter(FuncFormatter(lambda value, _position: language.significant(value)))
    axes.grid(alpha=0.3)


def _target_heat_map(result: SweepResult, target: tuple[str, float]) -> Figure:
    """The chance of the target in every cell of a two-field grid, as a count
    of runs; a warning when neighbouring cells cannot be told apart."""
    outcome, level = target
    first, second = result.varied
    start = result.base.calendar_start
    counted = (result.outcomes.groupby("point")[outcome].agg(hits=lambda v: int(np.sum(v >= level)), runs="size")
               .reset_index().merge(result.points, on="point"))
    counted["chance"] = counted["hits"] / counted["runs"]
    chance = counted.pivot(index=second.path, columns=first.path, values="chance")
    hits = counted.pivot(index=second.path, columns=first.path, values="hits").to_numpy()
    runs = counted.pivot(index=second.path, columns=first.path, values="runs").to_numpy()
    figure = Chart(figsize=(2.6 + 0.75 * chance.shape[1], 2.4 + 0.5 * chance.shape[0]))
    axes = figure.subplots()
    image = axes.imshow(chance.to_numpy() * 100, origin="lower", aspect="auto", cmap=CHANCE_COLOURS, vmin=0,
                        vmax=100)
    axes.set_xticks(range(chance.shape[1]), [value_in_words(first.path, v, start) for v in chance.columns])
    axes.set_yticks(range(chance.shape[0]), [value_in_words(second.path, v, start) for v in chance.index])
    # Each cell a count of runs, as every chance pilotsim states: "0 of 100", never a bare "0 %".
    for (row, column), value in np.ndenumerate(chance.to_numpy()):
        axes.text(column, row, _("{hits} of {runs}").format(hits=language.number(hits[row, column]),
                                                            runs=language.number(runs[row, column])),
                  ha="center", va="center", fontsize=NOTE_SIZE, color="white" if value < 0.55 else "black")
    axes.set_xlabel(label(first.path))
    axes.set_ylabel(label(second.path))
    colourbar = figure.colorbar(image)
    colourbar.set_label(_("chance"))
    percent_axis(colourbar.ax.yaxis, share=False)
    shown = columns.column(outcome)
    title = _("Chance of {level} or more: {outcome}").format(level=language.number(level),
                                                             outcome=shown.words.lower())
    if not hits.any():  # the answer, where there is one to give
        title = _("{title}: reached in no run at any value tried").format(title=title)
    axes.set_title(title, fontsize=TITLE_SIZE, wrap=True)
    alike = neighbours_alike(hits, runs)
    note = _("Each cell: the share of its runs that reach the target.")
    if alike:
        note += " " + ngettext(
            "Warning: {count} pair of neighbouring cells differ by less than chance allows (their 95 % intervals "
            "overlap); run more replications per point before choosing between them.",
            "Warning: {count} pairs of neighbouring cells differ by less than chance allows (their 95 % intervals "
            "overlap); run more replications per point before choosing between them.", alike).format(count=alike)
    finish(figure, int(runs.min()), result.seed, per_point=True, note=note)
    return figure


def neighbours_alike(hits: np.ndarray, runs: np.ndarray) -> int:
    """How many pairs of neighbouring cells (one step apart in one field) have
    different chances whose 95 % Wilson intervals overlap."""
    low, high = np.vectorize(lambda k, n: wilson_interval(int(k), int(n)))(hits, runs)
    share = hits / runs
    alike = 0
    for axis in (0, 1):
        first, second = (slice(None, -1), slice(1, None))
        index_a = (first, slice(None)) if axis == 0 else (slice(None), first)
        index_b = (second, slice(None)) if axis == 0 else (slice(None), second)
        differs = share[index_a] != share[index_b]
        overlap = (low[index_a] <= high[index_b]) & (low[index_b] <= high[index_a])
        alike += int(np.sum(differs & overlap))
    return alike


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
