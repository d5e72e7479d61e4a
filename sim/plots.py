"""The charts a planner looks at first. Each function draws one figure from a
RunResult and returns it; ``save_all`` writes them as PNG files."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; no screen needed on servers and in CI

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from sim.runner import RunResult  # noqa: E402
from sim.statistics import fan, target_chance  # noqa: E402

_BAND_COLOUR = "#2a6f97"
_TARGET_COLOUR = "#c1121f"
_STATE_LABELS = {
    "waiting_list": "Waiting list",
    "between_stages": "Waiting between stages",
    "employed_full_time": "In work, full-time",
    "employed_part_time": "In work, part-time",
    "in_work_found_on_own": "In work, found on own",
    "back_on_assistance": "Back on ordinary assistance",
    "exited": "Left scope (moved, other benefit)",
}


def save_all(result: RunResult, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    figures = {
        "placements.png": placements(result),
        "states_over_time.png": states_over_time(result),
        "waiting_list.png": waiting_list(result),
        "place_utilisation.png": place_utilisation(result),
    }
    paths = []
    for name, figure in figures.items():
        if figure is None:
            continue
        path = folder / name
        figure.savefig(path, dpi=120, bbox_inches="tight")
        plt.close(figure)
        paths.append(path)
    return paths


def placements(result: RunResult) -> Figure:
    """How many people find work: the spread over replications, the target, and
    the chance of reaching it."""
    placed = result.outcomes["placed"].to_numpy()
    horizon = result.scenario.horizon_months
    figure, axes = plt.subplots(figsize=(8, 4.5))
    bins = np.arange(placed.min(), placed.max() + 2) - 0.5
    axes.hist(placed, bins=bins, weights=np.full(len(placed), 100 / len(placed)),
              color=_BAND_COLOUR, alpha=0.85)
    title = f"People placed in paid work by month {horizon:g}"
    target = result.scenario.target.placed
    if target is not None:
        chance = target_chance(placed, "placed", target)
        axes.axvline(target - 0.5, color=_TARGET_COLOUR, linewidth=2,
                     label=f"target: {target} or more")
        title += (f"\nChance of reaching {target}: {chance.probability:.0%} "
                  f"(95 % interval {chance.low:.0%} to {chance.high:.0%})")
        axes.legend(loc="upper left")
    axes.set_title(title)
    axes.set_xlabel("people placed (count)")
    axes.set_ylabel("share of replications (%)")
    _note_replications(axes, result)
    return figure


def states_over_time(result: RunResult) -> Figure:
    """Where people are, month by month: median and 50 %/90 % bands per state."""
    shown = [index for index, _ in enumerate(result.states) if result.monthly[:, :, index].max() > 0]
    columns = 3
    rows = max(1, -(-len(shown) // columns))
    figure, axes_grid = plt.subplots(rows, columns, figsize=(12, 3.2 * rows), sharex=True, squeeze=False)
    for axes, index in zip(axes_grid.flat, shown):
        _fan_chart(axes, result.months, result.monthly[:, :, index])
        axes.set_title(_label(result.states[index]))
        axes.set_ylabel("people")
    for axes in list(axes_grid.flat)[len(shown):]:
        axes.set_visible(False)
    for axes in axes_grid[-1]:
        axes.set_xlabel("months since start of pilot")
    axes_grid.flat[0].legend(loc="upper left", fontsize="small")
    figure.suptitle(f"{result.scenario.title or result.scenario.name}: people in each state "
                    f"({result.replications} replications; median, 50 % and 90 % bands)")
    figure.tight_layout()
    return figure


def waiting_list(result: RunResult) -> Figure:
    index = result.states.index("waiting_list")
    figure, axes = plt.subplots(figsize=(8, 4.5))
    _fan_chart(axes, result.months, result.monthly[:, :, index])
    limit = result.scenario.referrals.waiting_list_limit
    if limit is not None:
        axes.axhline(limit, color=_TARGET_COLOUR, linestyle="--", label=f"list limit: {limit}")
        axes.set_ylim(top=max(axes.get_ylim()[1], limit * 1.1))
    axes.set_title("Waiting list for a first place (median, 50 % and 90 % bands)")
    axes.set_xlabel("months since start of pilot")
    axes.set_ylabel("people waiting")
    axes.legend(loc="center right")  # the list fills the middle months; the limit runs along the top
    _note_replications(axes, result)
    return figure


def place_utilisation(result: RunResult) -> Figure | None:
    """Share of places in use per month, for each stage with a limited number."""
    limited = [(name, stage.slots) for name, stage in result.scenario.stages.items() if stage.slots]
    if not limited:
        return None
    figure, axes_row = plt.subplots(1, len(limited), figsize=(8 * len(limited) ** 0.5, 4.5), squeeze=False)
    for axes, (name, slots) in zip(axes_row[0], limited):
        in_use = 100 * result.monthly[:, :, result.states.index(name)] / slots
        _fan_chart(axes, result.months, in_use)
        axes.axhline(100, color=_TARGET_COLOUR, linestyle="--", label=f"all {slots} places")
        axes.set_ylim(0, 110)
        axes.set_title(f"Places in use: {name} (median, 50 % and 90 % bands)")
        axes.set_xlabel("months since start of pilot")
        axes.set_ylabel("places in use (% of places)")
        axes.legend(loc="upper right")
    _note_replications(axes_row[0][0], result)
    figure.tight_layout()
    return figure


def _fan_chart(axes, months: np.ndarray, values: np.ndarray) -> None:
    q05, q25, q50, q75, q95 = fan(values)
    axes.fill_between(months, q05, q95, color=_BAND_COLOUR, alpha=0.18, linewidth=0, label="90 % band")
    axes.fill_between(months, q25, q75, color=_BAND_COLOUR, alpha=0.35, linewidth=0, label="50 % band")
    axes.plot(months, q50, color=_BAND_COLOUR, linewidth=2, label="median")
    axes.set_ylim(bottom=0)
    axes.grid(alpha=0.3)


def _label(state: str) -> str:
    return _STATE_LABELS.get(state, f"In stage: {state.replace('_', ' ')}")


def _note_replications(axes, result: RunResult) -> None:
    axes.annotate(f"{result.replications} replications, seed {result.seed}", xy=(1, -0.16),
                  xycoords="axes fraction", ha="right", fontsize="small", color="grey")
