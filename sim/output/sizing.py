"""A sizing's folder: every value probed, and the chance of the target
against the value."""

from __future__ import annotations

from pathlib import Path

from sim import language
from sim.analysis.sizing import SizingResult, probes_table
from sim.language import _
from sim.measure import columns
from sim.measure.statistics import percent
from sim.output.fields import label, quoted, value_in_words
from sim.output.folders import write_atomically
from sim.output.manifest import write_manifest
from sim.output.style import (
    BAND_COLOUR,
    TARGET_COLOUR,
    TITLE_SIZE,
    Chart,
    finish,
    legend_outside,
    percent_axis,
    save_figure,
)
from sim.scenario.files import dump_scenario
from sim.scenario.schema import Scenario


def write_sizing(result: SizingResult, base: Scenario, folder: Path, command: list[str] | None) -> Path:
    table = probes_table(result)

    def write(staging: Path) -> None:
        table.to_csv(staging / "probes.csv", index=False, float_format="%.6g")
        (staging / "scenario.yaml").write_text(dump_scenario(base))
        figure = sizing_plot(result, base, table)
        save_figure(figure, staging / "plots" / "target_chance.png")
        outcome, level = result.target
        write_manifest(staging, {
            "scenario": base.name, "varied": result.path, "range": [result.low, result.high],
            "target": {"outcome": outcome, "at_least": level}, "confidence": result.confidence,
            "answer": result.answer, "minimised": result.minimised, "undecided": result.undecided,
        }, command)

    return write_atomically(folder, write)


def sizing_plot(result: SizingResult, base: Scenario, table) -> Chart:
    """The chance of the target at every value probed, with its interval, the
    certainty asked for, and the answer in the title."""
    outcome, level = result.target
    start = base.calendar_start
    field = label(result.path)
    figure = Chart(figsize=(8, 4.8))
    axes = figure.subplots()
    axes.errorbar(table["value"], table["chance"] * 100,
                  yerr=[(table["chance"] - table["chance_low"]) * 100, (table["chance_high"] - table["chance"]) * 100],
                  fmt="o", color=BAND_COLOUR, capsize=3, label=_("chance at a value tried (95 % interval)"))
    axes.axhline(result.confidence * 100, color=TARGET_COLOUR, linestyle="--",
                 label=_("certainty asked for: {certainty}").format(certainty=language.percent(result.confidence)))
    when = language.moment(start, result.by_month if result.by_month else base.horizon_months)
    goal = _("{level} or more {outcome} by {when}").format(level=language.number(level),
                                                           outcome=columns.column(outcome).words.lower(), when=when)
    # Undecided first, as the command says it: the cap on runs can leave an answer standing and the search open.
    if result.undecided is not None:
        title = _("{field}: undecided between {low} and {high} for {goal}").format(
            field=field, low=value_in_words(result.path, result.undecided[0], start),
            high=value_in_words(result.path, result.undecided[1], start) if result.undecided[1] is not None
            else _("beyond {high}").format(high=value_in_words(result.path, result.high, start)), goal=goal)
    elif result.answer is not None:
        axes.axvline(result.answer, color="dimgrey", linestyle=":")
        title = _("{field}: {answer} give {goal} with {certainty} certainty").format(
            field=field, answer=value_in_words(result.path, result.answer, start), goal=goal,
            certainty=language.percent(result.confidence))
    else:
        title = _("{field}: no value up to {high} gives {goal} with {certainty} certainty").format(
            field=field, high=value_in_words(result.path, result.high, start), goal=goal,
            certainty=language.percent(result.confidence))
    axes.set_title(title, fontsize=TITLE_SIZE, wrap=True)
    axes.set_xlabel(field)
    axes.set_ylabel(_("chance of reaching the target"))
    percent_axis(axes.yaxis, share=False)
    axes.set_ylim(-3, 103)
    axes.grid(alpha=0.3)
    legend_outside(axes, ncol=2)
    finish(figure, int(table["replications"].max()), None,
           note=_("Each value is tried with more runs until its chance is clearly above or below the certainty "
                  "asked for; the most runs at one value:"))
    return figure


def sizing_in_words(result: SizingResult, start: str | None) -> tuple[str, str | None]:
    """The answer of a sizing as a sentence, and the value found (None where
    none is): undecided first, as the plot says it, for the cap on runs can
    leave an answer standing and the search open."""
    outcome, level = result.target
    outcome_words = columns.column(outcome).words.lower()
    when = _(" by {moment}").format(moment=language.moment(start, result.by_month)) if result.by_month else ""
    share, level = language.percent(result.confidence), language.significant(level, 6)
    # The label in quotes: mid-sentence, "participants at most" would read as the sentence's own words.
    field = quoted(result.path)

    def value(number: int) -> str:
        return value_in_words(result.path, number, start)

    asked = _("{field} with at least {level} {outcome}{when} in at least {share} of runs").format(
        field=field, outcome=outcome_words, level=level, when=when, share=share)
    if result.undecided is not None:
        first, surely = result.undecided
        upper = value(surely) if surely is not None else _("{high} or more").format(high=value(result.high))
        return _("The smallest value of {asked} is undecided between {first} and {upper} at {runs} replications: "
                 "the 95 % intervals of the chances there include {share}.").format(
            asked=asked, first=value(first), upper=upper, runs=language.number(result.max_replications),
            share=share), None
    if result.answer is None:
        chance = result.probes[result.high].chance
        return _("Not reached: even with {field} at {high}, {hits} of {runs} runs have at least {level} "
                 "{outcome}{when} (95 % interval {low} to {top}), fewer than {share}.").format(
            field=field, high=value(result.high), hits=language.number(chance.hits),
            runs=language.number(chance.replications), level=level, outcome=outcome_words, when=when,
            low=percent(chance.low), top=percent(chance.high), share=share), None
    if result.answer == result.low:  # the bottom of the range already reaches it: less may do too
        return _("Smallest value of {asked}, from {low} on (the lowest searched; lower may do too): ").format(
            asked=asked, low=value(result.low)), value(result.answer)
    return _("Smallest value of {asked}: ").format(asked=asked), value(result.answer)

