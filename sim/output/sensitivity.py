"""A sensitivity analysis's folder: the indices, the one-at-a-time swings and
the design points as tables, and per outcome a chart of the indices and a
tornado of the swings."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim import language
from sim.analysis.sensitivity import HIGH_QUANTILE, LOW_QUANTILE, SensitivityResult
from sim.language import N_, _
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

#: The two Sobol indices of an assumption, as the chart's legend and the
#: terminal's table name them: its share of the spread of the outcome ...
WITH_INTERPLAY = N_("with its interplay with the others")
ON_ITS_OWN = N_("on its own")
#: ... and Morris's two measures of how it moves the outcome.
MEAN_EFFECT = N_("mean effect of a step")
EFFECT_VARIES = N_("how much the effect varies (depends on the other assumptions)")


def indices_title(result: SensitivityResult, outcome: str) -> str:
    """What the chart and the table of indices of ``outcome`` answer."""
    words = column(outcome).words.lower()
    if result.method == "sobol":
        return _("What the spread of {outcome} depends on").format(outcome=words)
    return _("Which assumptions move {outcome} most (screening)").format(outcome=words)


def indices_warnings(result: SensitivityResult, outcome: str) -> list[str]:
    """What a reader of the Sobol indices of ``outcome`` must be told: the
    estimates contradict each other where the design is too small."""
    if result.method != "sobol":
        return []
    table = result.indices[result.indices["outcome"] == outcome]
    warnings = []
    if (table["first_order"] > table["total"]).any():
        warnings.append(_("Warning: for some assumptions 'on its own' is above 'with its interplay', which cannot "
                          "be: the design is too small to tell them apart (more --samples)."))
    if (table[["first_order", "total"]] < 0).to_numpy().any():
        warnings.append(_("A share below zero is chance in the estimate: read it as about zero."))
    return warnings


def indices_in_words(result: SensitivityResult, outcome: str) -> pd.DataFrame:
    """The indices of ``outcome`` as a table shows them, the assumption it
    hangs on most first: each assumption's label, its indices (shares of
    the spread in percent; effects in the outcome's unit), and the mean
    outcome with the assumption at the low and at the high end of what it
    might be."""
    indices = result.indices[result.indices["outcome"] == outcome].set_index("parameter")
    swings = result.one_at_a_time[result.one_at_a_time["outcome"] == outcome].set_index("parameter")
    shown = column(outcome)
    in_table = shown.table_label.strip()
    if result.method == "sobol":
        main = "total"
        measures = {_("share of the spread, {how}").format(how=_(WITH_INTERPLAY)): ("total", language.percent),
                    _("share of the spread, {how}").format(how=_(ON_ITS_OWN)): ("first_order", language.percent)}
    else:
        main = "mu_star"
        measures = {_("{effect} on {outcome}").format(effect=_(MEAN_EFFECT), outcome=in_table[:1].lower()
                                                       + in_table[1:]): ("mu_star", shown.formatted),
                    _(EFFECT_VARIES): ("sigma", shown.formatted)}
    plus_or_minus = _("{value} ± {margin}")
    rows = []
    for name, row in indices.sort_values(main, ascending=False).iterrows():
        cells = [label(name)]
        for measure, in_words in measures.values():
            cells.append(plus_or_minus.format(value=in_words(row[measure]), margin=in_words(row[f"{measure}_conf"]))
                         if f"{measure}_conf" in row else in_words(row[measure]))
        swing = swings.loc[name]
        cells.append(f"{shown.formatted(swing['at_low'])} / {shown.formatted(swing['at_high'])}")
        rows.append(cells)
    return pd.DataFrame(rows, columns=[_("assumption"), *measures, _(
        "{outcome} with the assumption at its low / high end").format(outcome=in_table)])


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
                  label=_(WITH_INTERPLAY))
        axes.barh(rows - 0.2, table["first_order"], height=0.4, xerr=table["first_order_conf"],
                  color=SERIES_COLOURS[1], capsize=3, label=_(ON_ITS_OWN))
        axes.set_xlabel(_("share of the spread of the outcome it accounts for"))
        percent_axis(axes.xaxis)
        notes.append(_("Bars: the estimate with its 95 % interval."))
        notes += indices_warnings(result, outcome)
    else:
        axes.barh(rows, table[main], xerr=table[main_conf], color=SERIES_COLOURS[0], capsize=3,
                  label=_(MEAN_EFFECT))
        axes.plot(table["sigma"], rows, "D", color=SERIES_COLOURS[1], label=_(EFFECT_VARIES))
        axes.set_xlabel(outcome_axis(axes.xaxis, shown))
    axes.set_yticks(rows, [label(parameter) for parameter in table["parameter"]], fontsize=NOTE_SIZE)
    axes.axvline(0, color="black", linewidth=0.8)
    legend_outside(axes, ncol=2)
    figure.suptitle(indices_title(result, outcome), fontsize=TITLE_SIZE)
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
