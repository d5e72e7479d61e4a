"""The charts of a run: each function draws one figure from a RunResult (or,
for the uncertainty charts, from the outcome tables of the two runs) and
returns it; ``save_all`` writes them as PNG files (drawn in the command's
worker processes while it writes the tables, where it has them).

Each is drawn for a council member rather than a statistician: its title
says the answer, months are calendar months where the scenario gives its
``start``, money is in thousands of euros with the discounting said, chances
are counts of runs, and the words are in the reader's language.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim import language
from sim.language import N_, _
from sim.measure.columns import state_label
from sim.measure.money import months_counted_in_words, not_estimated, pilot_end_month
from sim.measure.places import shrinks
from sim.measure.statistics import FAN_QUANTILES, pays_for_itself, percent, promise
from sim.output.statements import TARGET_WORDS
from sim.output.style import (
    BAND_COLOUR,
    GAIN_COLOUR,
    LOSS_COLOUR,
    NOTE_SIZE,
    PALETTE,
    TARGET_COLOUR,
    TITLE_SIZE,
    Chart,
    calendar_axis,
    count_axis,
    finish,
    legend_outside,
    percent_axis,
    png_bytes,
    save_figure,
    thousands_axis,
)
from sim.run import executors
from sim.run.results import RunResult
from sim.scenario.schema import Scenario


def save_all(result: RunResult, folder: Path) -> list[Path]:
    return finish_drawing(start_drawing(result), result, folder)


def all_figures(result: RunResult) -> dict[str, Figure]:
    """The plots of a run, by file name, as ``pilotsim run`` writes them."""
    drawn = {name: make(result) for name, make in figure_makers(result).items()}
    return {name: figure for name, figure in drawn.items() if figure is not None}


def figure_makers(result: RunResult) -> dict[str, Callable[[RunResult], Figure | None]]:
    """What draws each plot of a run, by file name (a plot that has nothing
    to show draws None)."""
    makers = {"placements.png": placements, "states_over_time.png": states_over_time,
              "waiting_list.png": waiting_list, "place_utilisation.png": place_utilisation}
    if result.scenario.budget is not None and "npv" not in not_estimated(result.scenario):
        # Without costs or a counterfactual these would show figures that are
        # not estimated as if they were; the tables and report say why instead.
        makers |= {"npv.png": npv, "cumulative_net_saving.png": cumulative_net_saving, "waterfall.png": waterfall}
    return makers


# --- drawing beside the writing of the tables ---------------------------------------
#
# Drawing the plots takes about a second, as long as the rest of the results
# folder; a command's worker processes are idle once the run is over, so the
# plots are drawn there, one a task, while this process writes the tables;
# then this process draws those no worker has begun. The workers were forked
# after the plotting library was loaded.
# Each task carries its own copy of the run's figures, so a large run, which
# takes long enough that a second does not matter, draws them here.

#: Bytes of a run's figures (outcome rows, monthly counts and cashflow) up to
#: which its plots are drawn in the workers: about 2,500 replications of the
#: reference. Each plot's task carries its own copy, which a worker unpickles
#: before it can tell that it holds one already: at 5,000 replications the
#: peak was 20 to 65 MB higher than with a copy a worker, to save under a
#: second of a run of six or seven.
DRAWN_ELSEWHERE_BYTES = 12_000_000


def start_drawing(result: RunResult) -> list[tuple[str, Future]] | None:
    """Set the plots drawing in the command's local worker processes, if it
    has two or more and the run is not large, one plot a task, by file name;
    None: they are drawn here, by ``finish_drawing``."""
    open_executor = executors.current()
    if open_executor is None or not isinstance(open_executor.executor, ProcessPoolExecutor) \
            or open_executor.slots < 2 or _figures_bytes(result) > DRAWN_ELSEWHERE_BYTES:
        return None
    # What the plots need, without the records on disk (a worker must not own their temporary files).
    sent = replace(result, clients=None, visits=None, replication_rows=None)
    run_token = uuid.uuid4().hex
    return [(name, open_executor.executor.submit(drawn_as_png, sent, name, language.current(), run_token))
            for name in figure_makers(result)]


def _figures_bytes(result: RunResult) -> int:
    """Bytes of what a worker would be sent to draw the plots."""
    parts = (result.outcomes, result.monthly, result.cashflow)
    return sum(part.memory_usage(index=False).sum() if isinstance(part, pd.DataFrame) else part.nbytes
               for part in parts if part is not None)


def finish_drawing(drawing: list[tuple[str, Future]] | None, result: RunResult, folder: Path) -> list[Path]:
    """Write the plots to ``folder``: those drawn by the workers, or draw them here."""
    folder.mkdir(parents=True, exist_ok=True)
    if drawing is None:
        return [save_figure(figure, folder / name) for name, figure in all_figures(result).items()]
    # This process has written the tables by now: rather than wait, it draws
    # the plots no worker has begun, from the last, while the workers go on
    # from the first (the workers take a few ahead, which cannot be taken back).
    pngs = {}
    for name, future in reversed(drawing):
        if not future.cancel():
            break  # begun, and so is every plot before it
        pngs[name] = drawn_as_png(result, name, language.current())
    for name, future in drawing:
        if name not in pngs:
            pngs[name] = future.result()
    written = [folder / name for name, _future in drawing if pngs[name] is not None]
    for path in written:
        path.write_bytes(pngs[path.name])
    return written


#: In a worker process: the run whose plots it drew last, by the token its
#: tasks carried. Five of the plots read the run's distributions, which take
#: 0.04 to 0.08 s to gather at 1,000 replications: gathered once a worker
#: rather than once a plot. Kept until the worker draws another run's plots.
_drawing_in_this_worker: tuple[str, RunResult] | None = None


def drawn_as_png(result: RunResult, name: str, language_code: str, run_token: str | None = None) -> bytes | None:
    """The plot ``name`` of a run as a PNG file's bytes, in ``language_code``
    (a worker's process speaks its own); None if it has nothing to show.
    Tasks with the same ``run_token`` share what they gather of the run."""
    global _drawing_in_this_worker
    if run_token is not None:
        if _drawing_in_this_worker is not None and _drawing_in_this_worker[0] == run_token:
            result = _drawing_in_this_worker[1]
        else:
            _drawing_in_this_worker = (run_token, result)
    with language.speaking(language_code):
        figure = figure_makers(result)[name](result)
    return None if figure is None else png_bytes(figure)


#: The outcome the placements figure shows: what it counts, as a noun phrase.
PROMISED = {"placed": N_("people placed in paid work"),
            "off_assistance": N_("people off assistance altogether (placed, job ends the benefit, not back on it)")}

#: The certainties a promise is stated with.
CERTAINTIES = (0.8, 0.9)


def placements(result: RunResult) -> Figure:
    """How many people find work (or, when that is the promise, leave
    assistance altogether): the spread over runs, and beside it the promise
    curve, the chance of at least N for every N, with what can be promised
    at 80 % and 90 % certainty."""
    scenario = result.scenario
    outcome = scenario.target.outcome or "placed"
    values, weights = result.weighted_values(outcome, whole_numbers=True)
    figure = Chart(figsize=(10, 4.6))
    spread, curve = figure.subplots(1, 2, gridspec_kw={"width_ratios": (1.1, 1)})
    edges = np.arange(values.min(), values.max() + 2) - 0.5
    spread.hist(values, bins=edges, weights=weights, color=BAND_COLOUR, alpha=0.85)
    spread.set_ylabel(_("share of runs"))
    percent_axis(spread.yaxis, share=False)
    counts = np.arange(values.min(), values.max() + 1)
    chance = np.array([weights[values >= n].sum() / 100 for n in counts])
    curve.step(counts, 100 * chance, where="mid", color=BAND_COLOUR, linewidth=2)
    curve.set_ylim(0, 102)
    curve.set_ylabel(_("chance of at least this many"))
    percent_axis(curve.yaxis, share=False)
    promised = {}
    for certainty, style in zip(CERTAINTIES, (":", "--")):
        promised[certainty] = promise(values, certainty, weights)
        curve.axhline(100 * certainty, color="dimgrey", linestyle=style, linewidth=1)
        curve.plot([promised[certainty]], [100 * certainty], "o", color=BAND_COLOUR)
        curve.annotate(_("at least {count} with {certainty} certainty").format(
            count=language.number(promised[certainty]), certainty=language.percent(certainty)),
            (promised[certainty], 100 * certainty), xytext=(8, 2 if certainty > 0.85 else -2),
            textcoords="offset points", ha="left", va="bottom" if certainty > 0.85 else "top", fontsize=NOTE_SIZE)
    for axes in (spread, curve):
        count_axis(axes.xaxis)
        axes.grid(alpha=0.3)
        axes.set_xlabel(_("people"))
    counted = _("Counted: {what} by {when}.").format(what=_(PROMISED[outcome]), when=language.moment(
        scenario.calendar_start, scenario.horizon_months))
    title = _("At least {low} with 90 % certainty, at least {high} with 80 %").format(
        low=language.number(promised[0.9]), high=language.number(promised[0.8]))
    target = scenario.target.at_least
    if target is not None:
        reached = result.chance(outcome, target)
        for axes in (spread, curve):
            axes.axvline(target - 0.5 if axes is spread else target, color=TARGET_COLOUR, linewidth=2)
        spread.annotate(_("target: {target}").format(target=language.number(target)), (target - 0.5, 1),
                        xycoords=("data", "axes fraction"), xytext=(4, -4), textcoords="offset points",
                        color=TARGET_COLOUR, va="top", fontsize=NOTE_SIZE)
        title = _("{target} or more {outcome} in {chance}").format(
            target=language.number(target), outcome=_(TARGET_WORDS[outcome]), chance=reached.in_words()) + "\n" + title
    figure.suptitle(title, fontsize=TITLE_SIZE)
    finish(figure, result.replications, result.seed, result.with_uncertainty, counted)
    return figure


#: The order of the stacked areas, bottom up: who the programme has now,
#: then who it helped, then who it did not.
_STACK_COLOURS = {"waiting_list": PALETTE["orange"], "between_stages": PALETTE["yellow"],
                  "employed_full_time": PALETTE["green"], "employed_part_time": "#66C5AB",
                  "in_work_found_on_own": PALETTE["sky"], "did_not_start": PALETTE["grey"],
                  "back_on_assistance": PALETTE["vermilion"], "exited": "#DDDDDD"}
_STAGE_COLOURS = (PALETTE["blue"], PALETTE["purple"], "#005A8C", "#A35A85", "#3C8DC0")


def stacked_states(result: RunResult) -> list[str]:
    """The states a stack of where people are shows, bottom up in the order
    of the flow; those nobody is ever in left out."""
    means = result.aggregates.state_means()
    order = ["waiting_list", *result.scenario.stages, "between_stages", "employed_full_time", "employed_part_time",
             "in_work_found_on_own", "did_not_start", "back_on_assistance", "exited"]
    return [state for state in order if state in result.states and means[:, result.states.index(state)].max() > 0]


def stacked_state_colours(result: RunResult) -> list[str]:
    """The colour of each state ``stacked_states`` gives, in its order: the
    same in the report's picture and the web page's chart."""
    stages = list(result.scenario.stages)
    return [_STACK_COLOURS.get(state) or _STAGE_COLOURS[stages.index(state) % len(_STAGE_COLOURS)]
            for state in stacked_states(result)]


def states_over_time(result: RunResult) -> Figure:
    """Where everyone referred is, month by month: the mean over runs of each
    state, stacked, so the height is everyone referred by then."""
    scenario = result.scenario
    means = result.aggregates.state_means()
    shown = stacked_states(result)
    colours = stacked_state_colours(result)
    figure = Chart(figsize=(9, 6))
    axes = figure.subplots()
    axes.stackplot(result.months, *(means[:, result.states.index(state)] for state in shown), colors=colours,
                   labels=[state_label(state) for state in shown], linewidth=0)
    axes.set_xlim(result.months[0], result.months[-1])
    axes.set_ylim(bottom=0)
    axes.set_ylabel(_("people (mean over runs)"))
    count_axis(axes.yaxis)
    calendar_axis(axes, scenario.calendar_start, result.months[-1])
    axes.grid(alpha=0.3, axis="y")
    referred = means[-1].sum()
    in_work = sum(means[-1, result.states.index(state)] for state in
                  ("employed_full_time", "employed_part_time", "in_work_found_on_own"))
    axes.set_title(_("Where the {referred} people referred are: {in_work} in work at the end (mean of the runs)")
                   .format(referred=language.number(referred), in_work=language.number(in_work)),
                   fontsize=TITLE_SIZE)
    handles, labels = axes.get_legend_handles_labels()
    # The legend reads top down like the stack, under the plot where it covers nothing.
    axes.legend(handles[::-1], labels[::-1], loc="upper left", bbox_to_anchor=(0, -0.12), ncol=2, frameon=False,
                fontsize=NOTE_SIZE)
    finish(figure, result.replications, result.seed, result.with_uncertainty)
    return figure


def waiting_list(result: RunResult) -> Figure | None:
    """The waiting list for a first place: median and the middle 50 % and 90 %
    of runs per month, the list's limit, and the busiest month in the title."""
    scenario = result.scenario
    index = result.states.index("waiting_list")
    if result.aggregates.state_peak(index) == 0:
        return None  # nobody waits in any run: a flat line at zero would say nothing
    fan = result.aggregates.state_fan(index, FAN_QUANTILES)
    figure = Chart(figsize=(8, 4.5))
    axes = figure.subplots()
    _fan_chart(axes, result.months, fan)
    limit = scenario.referrals.waiting_list_limit
    if limit is not None:
        axes.axhline(limit, color=TARGET_COLOUR, linestyle="--", label=_("most the list may hold: {limit}").format(
            limit=language.number(limit)))
        axes.set_ylim(top=max(axes.get_ylim()[1], limit * 1.1))
    # The busiest month over the runs, not of the median: a median of 1 for a
    # month reads as an event where the runs wait up to 10.
    busiest = int(np.argmax(fan[4]))
    # Counted at month boundaries: the count at month m is the list at the end of month m.
    title = _("Waiting list at its longest, {when}: at most {high} in 90 % of runs (median {median})").format(
        median=language.number(fan[2, busiest]), high=language.number(fan[4, busiest]),
        when=language.moment(scenario.calendar_start, result.months[busiest]))
    axes.set_title(title, fontsize=TITLE_SIZE)
    axes.set_ylabel(_("people waiting"))
    count_axis(axes.yaxis)
    calendar_axis(axes, scenario.calendar_start, result.months[-1])
    legend_outside(axes, ncol=4)
    finish(figure, result.replications, result.seed, result.with_uncertainty)
    return figure


def place_utilisation(result: RunResult) -> Figure | None:
    """People in places per month beside the number of places, for each
    stage with a limited number; the title gives the share of place-months
    used, the figure the tables show, and says why it is below the months
    when every place is full."""
    scenario = result.scenario
    limited = [(name, stage) for name, stage in scenario.stages.items() if stage.slots]
    if not limited:
        return None
    figure = Chart(figsize=(8 * len(limited) ** 0.5, 4.8))
    axes_row = figure.subplots(1, len(limited), squeeze=False)
    for axes, (name, stage) in zip(axes_row[0], limited):
        people = result.aggregates.state_fan(result.states.index(name), FAN_QUANTILES)
        _fan_chart(axes, result.months, people)
        months, places = zip(*stage.place_schedule)
        axes.step([*months, result.months[-1]], [*places, places[-1]], where="post", color=TARGET_COLOUR,
                  linestyle="--", label=_("places"))
        axes.set_ylim(0, 1.1 * max(max(places), people.max()))
        axes.set_ylabel(_("people in places: {stage}").format(stage=name.replace("_", " ")))
        count_axis(axes.yaxis)
        calendar_axis(axes, scenario.calendar_start, result.months[-1])
        legend_outside(axes, ncol=4)
    used = result.summary().loc["slot_utilisation", "mean"]
    # Counted as slot_utilisation is: a stage offers its places until the last person leaves it.
    figure.suptitle(_("{used} of the place-months offered are used, from the start until the last person leaves; "
                      "places stand empty as the list runs dry and after intake ends").format(used=percent(used)),
                    fontsize=TITLE_SIZE, wrap=True)
    # People above the line are not a fault where places close.
    note = (_("A place the schedule closes stays open until the person in it leaves.")
            if any(shrinks(stage) for _name, stage in limited) else "")
    finish(figure, result.replications, result.seed, result.with_uncertainty, note)
    return figure


def _fan_chart(axes, months: np.ndarray, quantiles: np.ndarray) -> None:
    """Bands from [FAN_QUANTILES, month]."""
    q05, q25, q50, q75, q95 = quantiles
    axes.fill_between(months, q05, q95, color=BAND_COLOUR, alpha=0.18, linewidth=0, label=_("90 % of runs"))
    axes.fill_between(months, q25, q75, color=BAND_COLOUR, alpha=0.35, linewidth=0, label=_("middle half of runs"))
    axes.plot(months, q50, color=BAND_COLOUR, linewidth=2, label=_("median"))
    axes.set_xlim(months[0], months[-1])
    axes.set_ylim(bottom=0)
    axes.grid(alpha=0.3)


# --- money (scenarios with a budget) ----------------------------------------


def _discounting(scenario: Scenario) -> str:
    return _("discounted at {rate} a year").format(rate=language.percent(scenario.budget.discount_rate, 2))


def npv(result: RunResult) -> Figure:
    """Net present value over runs and the chance the programme pays for
    itself within the months counted."""
    scenario = result.scenario
    figure = Chart(figsize=(8, 4.6))
    axes = figure.subplots()
    values, weights = result.weighted_values("npv", whole_numbers=False)
    values = values / 1000
    axes.hist(values, bins=40, weights=weights, color=BAND_COLOUR, alpha=0.85)
    axes.axvline(0, color=TARGET_COLOUR, linewidth=2)
    axes.annotate(_("pays for itself →"), (0, 1), xycoords=("data", "axes fraction"), xytext=(4, -4),
                  textcoords="offset points", va="top", color=TARGET_COLOUR, fontsize=NOTE_SIZE)
    chance = result.chance("npv", 1e-9)
    axes.set_title(_("Pays for itself by {until}\nin {chance}").format(
        until=months_counted_in_words(scenario, result.with_uncertainty), chance=chance.in_words()),
        fontsize=TITLE_SIZE, wrap=True)
    axes.set_xlabel(_("savings on benefits net of what would have happened anyway, minus costs: € thousand, {rate}")
                    .format(rate=_discounting(scenario)), fontsize=NOTE_SIZE)
    axes.set_ylabel(_("share of runs"))
    percent_axis(axes.yaxis, share=False)
    thousands_axis(axes.xaxis)
    axes.grid(alpha=0.3)
    finish(figure, result.replications, result.seed, result.with_uncertainty)
    return figure


def cumulative_net_saving(result: RunResult) -> Figure:
    """Discounted savings minus costs, added up month by month, with the end
    of the pilot and the months in which the programme breaks even."""
    scenario = result.scenario
    cumulative = result.aggregates.cumulative_net_fan(FAN_QUANTILES) / 1000
    months = np.arange(1, cumulative.shape[1] + 1)
    figure = Chart(figsize=(8, 4.8))
    axes = figure.subplots()
    _fan_chart(axes, months, cumulative)
    axes.set_ylim(auto=True)
    axes.relim()
    axes.autoscale()
    axes.axhline(0, color="black", linewidth=1)
    pilot_end = pilot_end_month(scenario)
    if pilot_end < months[-1]:
        axes.axvline(pilot_end, color="black", linestyle=":", linewidth=1,
                     label=_("end of the pilot: {when}").format(when=language.moment(scenario.calendar_start,
                                                                                      pilot_end)))
    break_even = result.summary().loc["break_even_month"]
    if break_even["n"] > 0 and not np.isnan(break_even["q50"]):
        title = _("Half of the runs have earned back the costs by {month}").format(
            month=language.calendar_month(scenario.calendar_start, round(break_even["q50"])))
    else:
        title = _("Fewer than half of the runs earn back the costs by {until}").format(
            until=months_counted_in_words(scenario, result.with_uncertainty))
    axes.set_title(title, fontsize=TITLE_SIZE)
    axes.set_ylabel(_("savings minus costs so far, € thousand"))
    thousands_axis(axes.yaxis)
    calendar_axis(axes, scenario.calendar_start, months[-1])
    legend_outside(axes, ncol=2)
    finish(figure, result.replications, result.seed, result.with_uncertainty,
           _("Added up at the end of each month, {rate}.").format(rate=_discounting(scenario)))
    return figure


def waterfall(result: RunResult) -> Figure:
    """Where the money goes, averaged over runs, undiscounted: the bars add up
    to the undiscounted net result, and the title says so."""
    scenario = result.scenario
    mean = result.summary()["mean"] / 1000
    steps = [
        (_("Benefit not paid\nto those placed"), mean["gross_savings"]),
        (_("Would have\nhappened anyway"), mean["net_savings"] - mean["gross_savings"]),
        (_("Net savings"), None),
        (_("Programme costs"), -mean["total_costs"]),
        (_("Net result"), None),
    ]
    figure = Chart(figsize=(9, 5))
    axes = figure.subplots()
    level, lowest, highest = 0.0, 0.0, 0.0
    for position, (_label, change) in enumerate(steps):
        if change is None:  # a subtotal bar from zero
            axes.bar(position, level, color="#555555")
            axes.annotate(language.number(level), (position, level), ha="center",
                          va="bottom" if level >= 0 else "top")
            continue
        axes.bar(position, change, bottom=level, color=GAIN_COLOUR if change >= 0 else LOSS_COLOUR)
        axes.annotate(("+" if change >= 0 else "") + language.number(change), (position, level + change),
                      ha="center", va="bottom" if change >= 0 else "top")
        level += change
        lowest, highest = min(lowest, level, level - change), max(highest, level, level - change)
    axes.set_ylim(lowest * 1.15 - 0.05 * highest, highest * 1.15)  # room for the labels
    axes.axhline(0, color="black", linewidth=1)
    axes.set_xticks(range(len(steps)), [label for label, _change in steps], fontsize=NOTE_SIZE)
    axes.set_ylabel(_("€ thousand, mean over runs, not discounted"))
    thousands_axis(axes.yaxis)
    axes.set_title(_("Net result {result} thousand euros by {until} (not discounted)").format(
        result=language.number(level), until=months_counted_in_words(scenario, result.with_uncertainty)),
        fontsize=TITLE_SIZE)
    finish(figure, result.replications, result.seed, result.with_uncertainty,
           _("\"Would have happened anyway\": benefit saved without the programme too (people finding work on "
             "their own), and benefit paid longer while people train. {discounting}: a net present value of {npv} "
             "thousand euros.").format(discounting=_discounting(scenario).capitalize(),
                                       npv=language.number(mean["npv"])))
    return figure


# --- chance and ignorance, side by side ------------------------------------------


def chance_and_ignorance_plots(chance_only: pd.DataFrame, with_uncertainty: pd.DataFrame, scenario: Scenario
                               ) -> dict[str, Figure]:
    """Placements (and, with a budget, the chance of paying for itself) from
    a plain run beside a run with the uncertain assumptions drawn as well."""
    runs = {_("chance alone"): (chance_only, PALETTE["blue"]),
            _("chance and uncertain assumptions"): (with_uncertainty, PALETTE["orange"])}
    figures = {}
    figure = Chart(figsize=(8, 4.8))
    axes = figure.subplots()
    outcome = scenario.target.outcome or "placed"
    counts = np.concatenate([table[outcome].to_numpy() for table, _colour in runs.values()])
    bins = np.arange(counts.min() - 0.5, counts.max() + 1.5)
    widths = []
    for label, (table, colour) in runs.items():
        low, high = np.quantile(table[outcome], [0.05, 0.95])
        widths.append(high - low)
        axes.hist(table[outcome], bins=bins, histtype="step", linewidth=1.8, color=colour,
                  weights=np.full(len(table), 100 / len(table)),
                  label=_("{label}: 90 % of runs {low} to {high}").format(label=label, low=language.number(low),
                                                                          high=language.number(high)))
        axes.axvspan(low, high, color=colour, alpha=0.08)
    if scenario.target.at_least is not None:
        axes.axvline(scenario.target.at_least, color=TARGET_COLOUR, linestyle="--",
                     label=_("target: {target}").format(target=language.number(scenario.target.at_least)))
    axes.set_xlabel(_("{what} by {when}").format(what=_(PROMISED[outcome]), when=language.moment(
        scenario.calendar_start, scenario.horizon_months)), fontsize=NOTE_SIZE)
    axes.set_ylabel(_("share of runs"))
    percent_axis(axes.yaxis, share=False)
    count_axis(axes.xaxis)
    legend_outside(axes, ncol=1)
    axes.set_title(_("Not knowing the assumptions widens the range of 90 % of runs from {plain} people wide to "
                     "{drawn}").format(plain=language.number(widths[0]), drawn=language.number(widths[1])),
                   fontsize=TITLE_SIZE, wrap=True)
    finish(figure, len(with_uncertainty), None, True)
    figures["uncertainty_placed.png"] = figure
    if scenario.budget is not None:
        figure = Chart(figsize=(8, 4.8))
        axes = figure.subplots()
        npv = np.concatenate([table["npv"].to_numpy() for table, _colour in runs.values()])
        reach = max(abs(np.quantile(npv, 0.005)), abs(np.quantile(npv, 0.995)))
        results = np.linspace(-reach, reach, 401)
        chances = {}
        for label, (table, colour) in runs.items():
            # The chance the net present value is at least each result.
            chances[label] = pays_for_itself(table["npv"].to_numpy(), -results)
            axes.plot(results / 1000, 100 * chances[label], color=colour, linewidth=2, label=label)
        axes.axvline(0, color="black", linewidth=0.8)
        axes.set_xlabel(_("net present value at least, € thousand (money counted until {until}, {rate})").format(
            until=months_counted_in_words(scenario, True), rate=_discounting(scenario)), fontsize=NOTE_SIZE)
        axes.set_ylabel(_("chance"))
        percent_axis(axes.yaxis, share=False)
        thousands_axis(axes.xaxis)
        axes.set_ylim(0, 102)
        axes.grid(alpha=0.3)
        legend_outside(axes, ncol=2)
        plain, drawn = (float(np.interp(0, results, chances[label])) for label in runs)
        axes.set_title(_("Pays for itself: {plain} with chance alone, {drawn} with the assumptions uncertain too")
                       .format(plain=percent(plain), drawn=percent(drawn)), fontsize=TITLE_SIZE, wrap=True)
        finish(figure, len(with_uncertainty), None, True)
        figures["pays_for_itself.png"] = figure
    return figures
