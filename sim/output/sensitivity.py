"""A sensitivity analysis's folder: the indices, the one-at-a-time swings and
the design points as tables, and per outcome a chart of the indices and a
tornado of the swings."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from sim import language
from sim.analysis.sensitivity import HIGH_QUANTILE, LOW_QUANTILE, SensitivityResult
from sim.language import _
from sim.measure.columns import column
from sim.output.fields import label, value_in_words
from sim.output.folders import write_atomically
from sim.output.manifest import write_manifest
from sim.output.style import (
    NOTE_SIZE,
    SERIES_COLOURS,
    TITLE_SIZE,
    Chart,
    finish,
    legend_outside,
    outcome_axis,
    percent_axis,
    save_figure,
)
from sim.scenario.files import dump_scenario


def sensitivity_plots(result: SensitivityResult) -> dict[str, Figure]:
    figures = {}
    for outcome in result.outcomes:
        figures[f"indices_{outcome}.png"] = _indices_chart(result, outcome)
        figures[f"one_at_a_time_{outcome}.png"] = _tornado(result, outcome)
    return figures


def _indices_chart(result: SensitivityResult, outcome: str) -> Figure:
    """How much of the spread of ``outcome`` each uncertain assumption
    accounts for (Sobol), or how strongly it moves it (Morris), with the
    warnings a reader needs when the design is too small."""
    table = result.indices[result.indices["outcome"] == outcome]
    shown = column(outcome)
    main, main_conf = ("total", "total_conf") if result.method == "sobol" else ("mu_star", "mu_star_conf")
    table = table.sort_values(main)  # largest at the top
    figure = Chart(figsize=(9, 2.4 + 0.5 * len(table)))
    axes = figure.subplots()
    rows = np.arange(len(table))
    notes = []
    if result.method == "sobol":
        axes.barh(rows + 0.2, table[main], height=0.4, xerr=table[main_conf], color=SERIES_COLOURS[0], capsize=3,
                  label=_("with its interplay with the others"))
        axes.barh(rows - 0.2, table["first_order"], height=0.4, xerr=table["first_order_conf"],
                  color=SERIES_COLOURS[1], capsize=3, label=_("on its own"))
        axes.set_xlabel(_("share of the spread of the outcome it accounts for"))
        percent_axis(axes.xaxis)
        notes.append(_("Bars: the estimate with its 95 % interval."))
        if (table["first_order"] > table["total"]).any():
            notes.append(_("Warning: for some assumptions 'on its own' is above 'with its interplay', which cannot "
                           "be: the design is too small to tell them apart (more --samples)."))
        if (table[["first_order", "total"]] < 0).to_numpy().any():
            notes.append(_("A share below zero is chance in the estimate: read it as about zero."))
        title = _("What the spread of {outcome} depends on").format(outcome=shown.words.lower())
    else:
        axes.barh(rows, table[main], xerr=table[main_conf], color=SERIES_COLOURS[0], capsize=3,
                  label=_("mean effect of a step"))
        axes.plot(table["sigma"], rows, "D", color=SERIES_COLOURS[1],
                  label=_("how much the effect varies (depends on the other assumptions)"))
        axes.set_xlabel(outcome_axis(axes.xaxis, shown))
        title = _("Which assumptions move {outcome} most (screening)").format(outcome=shown.words.lower())
    axes.set_yticks(rows, [label(parameter) for parameter in table["parameter"]], fontsize=NOTE_SIZE)
    axes.axvline(0, color="black", linewidth=0.8)
    legend_outside(axes, ncol=2)
    figure.suptitle(title, fontsize=TITLE_SIZE)
    finish(figure, result.replications, result.seed, per_point=True, note=" ".join(
        [_("{points} combinations (points) of the uncertain assumptions.").format(
            points=language.number(len(result.points))), *notes]))
    return figure


def _tornado(result: SensitivityResult, outcome: str) -> Figure:
    """One assumption at a time at the low and high end of what it might be,
    the others as in the file: how far the mean of the outcome moves."""
    table = result.one_at_a_time[result.one_at_a_time["outcome"] == outcome].sort_values("swing")
    base = float(table["as_in_file"].iloc[0])
    shown = column(outcome)
    start = result.scenario.calendar_start
    figure = Chart(figsize=(9, 2.4 + 0.55 * len(table)))
    axes = figure.subplots()
    rows = np.arange(len(table))
    axes.barh(rows, table["at_low"] - base, left=base, color=SERIES_COLOURS[1],
              label=_("the assumption at its low end ({share} likely lower)").format(share=language.percent(
                  LOW_QUANTILE)))
    axes.barh(rows, table["at_high"] - base, left=base, color=SERIES_COLOURS[0],
              label=_("the assumption at its high end ({share} likely higher)").format(share=language.percent(
                  1 - HIGH_QUANTILE)))
    labels = [_("{field}: {low} to {high}").format(field=label(row.parameter),
                                                     low=value_in_words(row.parameter, row.value_low, start),
                                                     high=value_in_words(row.parameter, row.value_high, start))
              for row in table.itertuples()]
    axes.set_yticks(rows, labels, fontsize=NOTE_SIZE)
    axes.axvline(base, color="black", linewidth=0.8)
    axes.set_xlabel(_("mean of {outcome}").format(outcome=outcome_axis(axes.xaxis, shown).lower()))
    legend_outside(axes, ncol=1)
    top = table.iloc[-1]
    figure.suptitle(_("{outcome}: {field} moves it most").format(outcome=shown.words,
                                                                 field=label(top["parameter"]).lower()),
                    fontsize=TITLE_SIZE)
    finish(figure, result.replications, result.seed, note=_(
        "One assumption at a time; the others as in the scenario file, which give {base} (the line).").format(
        base=shown.formatted(base) + (" " + _("€ thousand") if shown.unit == "EUR" else "")))
    return figure


def write_sensitivity(result: SensitivityResult, folder: Path, command: list[str] | None) -> Path:
    def write(staging: Path) -> None:
        result.indices.to_csv(staging / "indices.csv", index=False, float_format="%.6g")
        result.one_at_a_time.to_csv(staging / "one_at_a_time.csv", index=False, float_format="%.6g")
        result.points.to_csv(staging / "points.csv", index=False, float_format="%.8g")
        (staging / "scenario.yaml").write_text(dump_scenario(result.scenario))
        for name, figure in sensitivity_plots(result).items():
            save_figure(figure, staging / "plots" / name)
        write_manifest(staging, {
            "scenario": result.scenario.name, "method": result.method, "samples": result.samples,
            "points": len(result.points), "parameters": list(result.scenario.uncertain),
            "outcomes": list(result.outcomes), "replications": result.replications, "seed": result.seed,
        }, command)

    return write_atomically(folder, write)
