"""The charts of a run: each function draws one figure from a RunResult (or,
for the uncertainty charts, from the outcome tables of the two runs) and
returns it; ``save_all`` writes them as PNG files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from sim.measure.columns import state_label
from sim.measure.money import drawn_count_until, months_counted_in_words, not_estimated, pilot_end_month
from sim.measure.places import shrinks
from sim.measure.statistics import FAN_QUANTILES, pays_for_itself
from sim.output.style import BAND_COLOUR, TARGET_COLOUR, Chart, save_figure
from sim.run.results import RunResult
from sim.scenario.schema import Scenario


def save_all(result: RunResult, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return [save_figure(figure, folder / name) for name, figure in all_figures(result).items()]


def all_figures(result: RunResult) -> dict[str, Figure]:
    """The plots of a run, by file name, as ``pilotsim run`` writes them."""
    figures = {
        "placements.png": placements(result),
        "states_over_time.png": states_over_time(result),
        "waiting_list.png": waiting_list(result),
        "place_utilisation.png": place_utilisation(result),
    }
    if result.scenario.budget is not None and "npv" not in not_estimated(result.scenario):
        # Without costs or a counterfactual these would show figures that are
        # not estimated as if they were; the tables and report say why instead.
        figures |= {"npv.png": npv(result), "cumulative_net_saving.png": cumulative_net_saving(result),
                    "waterfall.png": waterfall(result)}
    return {name: figure for name, figure in figures.items() if figure is not None}


#: The outcome the placements figure shows, as its title and axis say it.
PROMISED = {"placed": ("People placed in paid work by month {horizon}", "people placed (count)"),
            "off_assistance": ("People off assistance altogether at month {horizon}",
                               "people off assistance: placed in a job that ends the benefit, not back on it (count)")}


def placements(result: RunResult) -> Figure:
    """How many people find work (or, when that is the promise, leave
    assistance altogether): the spread over replications, the target, and
    the chance of reaching it."""
    horizon = result.scenario.horizon_months
    figure = Chart(figsize=(8, 4.5))
    axes = figure.subplots()
    outcome = result.scenario.target.outcome or "placed"
    _histogram(axes, result, outcome)
    title, x_label = PROMISED[outcome]
    title = title.format(horizon=f"{horizon:g}")
    target = result.scenario.target.at_least
    if target is not None:
        chance = result.chance(outcome, target)
        axes.axvline(target - 0.5, color=TARGET_COLOUR, linewidth=2,
                     label=f"target: {target} or more")
        title += f"\n{target} or more in {chance.in_words()}"
        axes.legend(loc="upper left")
    axes.set_title(title)
    axes.set_xlabel(x_label)
    axes.set_ylabel("share of replications (%)")
    _note_replications(axes, result)
    return figure


def states_over_time(result: RunResult) -> Figure:
    """Where people are, month by month: median and 50 %/90 % bands per state."""
    shown = [index for index, _ in enumerate(result.states) if result.aggregates.state_peak(index) > 0]
    columns = 3
    rows = max(1, -(-len(shown) // columns))
    figure = Chart(figsize=(12, 3.2 * rows))
    axes_grid = figure.subplots(rows, columns, sharex=True, squeeze=False)
    for axes, index in zip(axes_grid.flat, shown):
        _fan_chart(axes, result.months, result.aggregates.state_fan(index, FAN_QUANTILES))
        axes.set_title(state_label(result.states[index]))
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
    figure = Chart(figsize=(8, 4.5))
    axes = figure.subplots()
    _fan_chart(axes, result.months, result.aggregates.state_fan(index, FAN_QUANTILES))
    limit = result.scenario.referrals.waiting_list_limit
    if limit is not None:
        axes.axhline(limit, color=TARGET_COLOUR, linestyle="--", label=f"list limit: {limit}")
        axes.set_ylim(top=max(axes.get_ylim()[1], limit * 1.1))
    axes.set_title("Waiting list for a first place (median, 50 % and 90 % bands)")
    axes.set_xlabel("months since start of pilot")
    axes.set_ylabel("people waiting")
    axes.legend(loc="center right")  # the list fills the middle months; the limit runs along the top
    _note_replications(axes, result)
    return figure


def place_utilisation(result: RunResult) -> Figure | None:
    """People in places per month beside the number of places, for each
    stage with a limited number (one unit in every panel, whether a stage's
    places are fixed or follow a schedule)."""
    limited = [(name, stage) for name, stage in result.scenario.stages.items() if stage.slots]
    if not limited:
        return None
    figure = Chart(figsize=(8 * len(limited) ** 0.5, 4.5))
    axes_row = figure.subplots(1, len(limited), squeeze=False)
    for axes, (name, stage) in zip(axes_row[0], limited):
        people = result.aggregates.state_fan(result.states.index(name), FAN_QUANTILES)
        _fan_chart(axes, result.months, people)
        months, places = zip(*stage.place_schedule)
        label = f"all {places[0]} places" if len(places) == 1 else "places (schedule)"
        if shrinks(stage):  # people above the line are not a fault
            axes.annotate("a place the schedule closes stays open until the person in it leaves", xy=(0, -0.22),
                          xycoords="axes fraction", ha="left", fontsize="small", color="grey")
        axes.step([*months, result.months[-1]], [*places, places[-1]], where="post", color=TARGET_COLOUR,
                  linestyle="--", label=label)
        axes.set_ylim(0, 1.4 * max(max(places), people.max()))  # room for the legend above the bands
        axes.set_xlabel("months since start of pilot")
        axes.set_ylabel("people in places")
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        axes.set_title(f"Places in use: {name} (median, 50 % and 90 % bands)")
        axes.legend(loc="upper right", ncol=2, fontsize="small")
    _note_replications(axes_row[0][0], result)
    figure.tight_layout()
    return figure


def _fan_chart(axes, months: np.ndarray, quantiles: np.ndarray) -> None:
    """Bands from [FAN_QUANTILES, month]."""
    q05, q25, q50, q75, q95 = quantiles
    axes.fill_between(months, q05, q95, color=BAND_COLOUR, alpha=0.18, linewidth=0, label="90 % band")
    axes.fill_between(months, q25, q75, color=BAND_COLOUR, alpha=0.35, linewidth=0, label="50 % band")
    axes.plot(months, q50, color=BAND_COLOUR, linewidth=2, label="median")
    axes.set_ylim(bottom=0)
    axes.grid(alpha=0.3)


def _histogram(axes, result: RunResult, outcome: str, scale: float = 1.0, bins: int | None = None) -> None:
    """Share of replications per value of ``outcome`` (whole numbers: one bar
    each; otherwise ``bins`` bars)."""
    values, weights = result.weighted_values(outcome, whole_numbers=bins is None)
    values = values / scale
    edges = np.arange(values.min(), values.max() + 2) - 0.5 if bins is None else bins
    axes.hist(values, bins=edges, weights=weights, color=BAND_COLOUR, alpha=0.85)


def _note_replications(axes, result: RunResult) -> None:
    axes.annotate(f"{result.replications} replications, seed {result.seed}", xy=(1, -0.16),
                  xycoords="axes fraction", ha="right", fontsize="small", color="grey")


# --- money (scenarios with a budget) ----------------------------------------


def npv(result: RunResult) -> Figure:
    """Net present value over replications and the chance the programme pays
    for itself within the months counted."""
    figure = Chart(figsize=(8, 4.5))
    axes = figure.subplots()
    _histogram(axes, result, "npv", scale=1000, bins=40)
    axes.axvline(0, color=TARGET_COLOUR, linewidth=2, label="break-even")
    chance = result.chance("npv", 1e-9)
    spread = "chance and uncertain assumptions" if result.with_uncertainty else "chance alone"
    until = months_counted_in_words(result.scenario, result.with_uncertainty)
    axes.set_title(f"Net present value, money counted until {until} ({spread})\n"
                   f"Pays for itself in {chance.in_words()}", fontsize="medium")
    axes.set_xlabel("net present value (EUR thousand; savings net of what would have happened anyway, minus costs)")
    axes.set_ylabel("share of replications (%)")
    axes.legend(loc="upper left")
    _note_replications(axes, result)
    return figure


def cumulative_net_saving(result: RunResult) -> Figure:
    """Discounted savings minus costs, added up month by month, with the
    months in which the programme breaks even."""
    cumulative = result.aggregates.cumulative_net_fan(FAN_QUANTILES) / 1000
    months = np.arange(1, cumulative.shape[1] + 1)
    figure = Chart(figsize=(8, 4.5))
    axes = figure.subplots()
    _fan_chart(axes, months, cumulative)
    axes.set_ylim(auto=True)
    axes.relim()
    axes.autoscale()
    axes.axhline(0, color="black", linewidth=1)
    pilot_end = pilot_end_month(result.scenario)
    if pilot_end < months[-1]:
        axes.axvline(pilot_end, color="black", linestyle=":", linewidth=1,
                     label=f"end of the pilot (month {pilot_end:g}): the continuation decision")
    break_even = result.summary().loc["break_even_month"]
    last = break_even["later_than"]
    if break_even["n"] > 0 and not np.isnan(break_even["q05"]):
        # Runs that do not break even by the last month counted are later than it.
        high = break_even["q95"] if not np.isnan(break_even["q95"]) else months[-1]
        later = (f"later than {last:g}" if drawn_count_until(result.scenario, result.with_uncertainty) is None
                 else "later than counted")
        until = f"{high:.0f}" if not np.isnan(break_even["q95"]) else later
        axes.axvspan(break_even["q05"], high, color=TARGET_COLOUR, alpha=0.12,
                     label=f"break-even, 90 % of runs: month {break_even['q05']:.0f} to {until} "
                           f"({break_even['n']:.0f} of {break_even['runs']:.0f} runs break even by "
                           f"{months_counted_in_words(result.scenario, result.with_uncertainty)})")
    axes.set_title("Net saving minus costs, discounted and added up month by month\n(median, 50 % and 90 % of runs)",
                   fontsize="medium")
    axes.set_xlabel("months since the start of the pilot (at the end of each month)")
    axes.set_ylabel("savings minus costs (EUR thousand)")
    axes.legend(loc="upper left", fontsize="small")
    _note_replications(axes, result)
    return figure


def waterfall(result: RunResult) -> Figure:
    """Where the money goes, averaged over replications (undiscounted)."""
    mean = result.summary()["mean"] / 1000
    steps = [
        ("Gross savings\n(benefit not paid\nto those placed)", mean["gross_savings"]),
        ("Would have\nhappened anyway\n(and lock-in)", mean["net_savings"] - mean["gross_savings"]),
        ("Net savings", None),
        ("Programme costs", -mean["total_costs"]),
        ("Net result\n(undiscounted)", None),
    ]
    figure = Chart(figsize=(9, 5))
    axes = figure.subplots()
    level, lowest, highest = 0.0, 0.0, 0.0
    for position, (_, change) in enumerate(steps):
        if change is None:  # a subtotal bar from zero
            axes.bar(position, level, color="#555555")
            axes.annotate(f"{level:,.0f}", (position, level), ha="center", va="bottom" if level >= 0 else "top")
            continue
        colour = "#2a9d8f" if change >= 0 else TARGET_COLOUR
        axes.bar(position, change, bottom=level, color=colour)
        axes.annotate(f"{change:+,.0f}", (position, level + change), ha="center",
                      va="bottom" if change >= 0 else "top")
        level += change
        lowest, highest = min(lowest, level, level - change), max(highest, level, level - change)
    axes.set_ylim(lowest * 1.15, highest * 1.15)  # room for the labels
    axes.axhline(0, color="black", linewidth=1)
    axes.set_xticks(range(len(steps)), [label for label, _ in steps])
    axes.set_ylabel("EUR thousand (mean over replications, undiscounted)")
    until = months_counted_in_words(result.scenario, result.with_uncertainty)
    axes.set_title(f"Where the money goes, counted until {until}: mean over runs, undiscounted", fontsize="medium")
    axes.annotate(f"Discounted at {100 * result.scenario.budget.discount_rate:g} % a year, the net result is a net "
                  f"present value of EUR {mean['npv']:,.0f} thousand.", xy=(0, -0.22), xycoords="axes fraction",
                  fontsize="small")
    _note_replications(axes, result)
    return figure


# --- chance and ignorance, side by side ------------------------------------------


def chance_and_ignorance_plots(chance_only: pd.DataFrame, with_uncertainty: pd.DataFrame, scenario: Scenario
                               ) -> dict[str, Figure]:
    """Placements (and, with a budget, the chance of paying for itself) from
    a plain run beside a run with the uncertain parameters drawn."""
    runs = {"chance only": (chance_only, "#457b9d"), "chance and uncertain assumptions": (with_uncertainty, "#e76f51")}
    figures = {}
    figure = Chart(figsize=(8, 4.5))
    axes = figure.subplots()
    outcome = scenario.target.outcome or "placed"
    counts = np.concatenate([table[outcome].to_numpy() for table, _ in runs.values()])
    bins = np.arange(counts.min() - 0.5, counts.max() + 1.5)
    for label, (table, colour) in runs.items():
        low, high = np.quantile(table[outcome], [0.05, 0.95])
        axes.hist(table[outcome], bins=bins, histtype="step", linewidth=1.8, color=colour, density=True,
                  label=f"{label}: 90 % of runs {low:.0f} to {high:.0f}")
        axes.axvspan(low, high, color=colour, alpha=0.08)
    if scenario.target.at_least is not None:
        axes.axvline(scenario.target.at_least, color="black", linestyle="--",
                     label=f"target {scenario.target.at_least}")
    axes.set_xlabel(PROMISED[outcome][0].format(horizon=f"{scenario.horizon_months:g}").lower())
    axes.set_ylabel("share of runs")
    axes.legend(loc="upper left", fontsize="small")
    axes.set_title(f"{scenario.title or scenario.name}: chance alone, and with what is not known", fontsize="medium")
    figure.tight_layout()
    figures["uncertainty_placed.png"] = figure
    if scenario.budget is not None:
        figure = Chart(figsize=(8, 4.5))
        axes = figure.subplots()
        npv = np.concatenate([table["npv"].to_numpy() for table, _ in runs.values()])
        reach = max(abs(np.quantile(npv, 0.005)), abs(np.quantile(npv, 0.995)))
        thresholds = np.linspace(-reach, reach, 401)
        for label, (table, colour) in runs.items():
            axes.plot(thresholds / 1000, 100 * pays_for_itself(table["npv"].to_numpy(), thresholds), color=colour,
                      label=label)
        axes.axvline(0, color="black", linewidth=0.8)
        axes.set_xlabel(f"net cost the municipality accepts, money counted until "
                        f"{months_counted_in_words(scenario, True)}, EUR thousand (negative: a saving it demands), "
                        "discounted", fontsize="small")
        axes.set_ylabel("chance the programme stays within it, %")
        axes.set_ylim(0, 102)
        axes.legend(loc="lower right", fontsize="small")
        axes.set_title(f"{scenario.title or scenario.name}: does it pay for itself?", fontsize="medium")
        figure.tight_layout()
        figures["pays_for_itself.png"] = figure
    return figures
