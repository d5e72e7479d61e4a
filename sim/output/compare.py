"""A comparison's folder: the paired differences as tables and one figure."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from sim import language
from sim.analysis.compare import Comparison
from sim.language import _
from sim.measure.columns import column
from sim.output.folders import write_atomically
from sim.output.manifest import write_manifest
from sim.output.style import BAND_COLOUR, MUTED_COLOUR, NOTE_SIZE, TITLE_SIZE, Chart, finish, outcome_axis, save_figure
from sim.output.what_if import option_names, write_what_if
from sim.scenario.files import dump_scenario

#: Outcomes drawn in the comparison plot, when the scenarios have them.
PLOTTED = ("placed", "net_into_work", "sustained", "mean_wait_months", "npv")


def write_comparison(comparison: Comparison, folder: Path, command: list[str] | None = None) -> Path:
    def write(staging: Path) -> None:
        comparison.summary().to_csv(staging / "comparison.csv", index=False, float_format="%.6g")
        comparison.differences().to_csv(staging / "differences.csv", index=False, float_format="%.10g")
        (staging / "scenarios").mkdir()
        for result in (comparison.baseline, *comparison.alternatives):
            (staging / "scenarios" / f"{result.scenario.name}.yaml").write_text(dump_scenario(result.scenario))
            result.outcomes.to_csv(staging / f"replications_{result.scenario.name}.csv", index=False,
                                   float_format="%.10g")
        save_figure(plot(comparison), staging / "plots" / "differences.png")
        fields = {
            "baseline": comparison.baseline.scenario.name,
            "alternatives": [result.scenario.name for result in comparison.alternatives],
            "seed": comparison.baseline.seed,
            "replications": comparison.baseline.replications,
            "engine": comparison.baseline.engine,
            "language": language.current(),
        }
        write_what_if(staging, fields)
        write_manifest(staging, fields, command)

    return write_atomically(folder, write)


def plot(comparison: Comparison) -> Figure:
    """Mean paired difference with its 95 % interval per outcome, and, thin,
    the interval the same runs would give without pairing."""
    summary = comparison.summary()
    # An outcome no alternative estimates (money without a budget) would be an empty panel.
    estimated = set(summary.loc[summary["difference"].notna(), "outcome"])
    outcomes = [outcome for outcome in PLOTTED if outcome in estimated]
    alternatives = [result.scenario for result in comparison.alternatives]
    names = [scenario.name for scenario in alternatives]
    baseline = comparison.baseline.scenario
    baseline_called, *called = option_names([baseline, *alternatives])
    figure = Chart(figsize=(9, 1.6 + (0.9 + 0.35 * len(names)) * len(outcomes)))
    axes_column = figure.subplots(len(outcomes), 1, squeeze=False)
    for axes, outcome in zip(axes_column[:, 0], outcomes):
        rows = summary[summary["outcome"] == outcome].set_index("scenario").loc[names]
        positions = np.arange(len(names))
        axes.errorbar(rows["difference"], positions, xerr=rows["unpaired_half_width"], fmt="none",
                      ecolor=MUTED_COLOUR, elinewidth=1, capsize=4, label=_("95 % interval without pairing"))
        axes.errorbar(rows["difference"], positions, xerr=rows["paired_half_width"], fmt="o", color=BAND_COLOUR,
                      elinewidth=4, capsize=0, label=_("95 % interval, paired"))
        axes.axvline(0, color="black", linewidth=1)
        axes.set_yticks(positions, called,
                        fontsize=NOTE_SIZE)
        axes.set_ylim(-0.7, len(names) - 0.3)
        shown = column(outcome)
        axes.set_title(_("{outcome}: difference").format(outcome=outcome_axis(axes.xaxis, shown)), loc="left",
                       fontsize=NOTE_SIZE + 2)
        axes.grid(axis="x", alpha=0.3)
    handles, labels = axes_column[0, 0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="lower center", ncol=2, frameon=False, fontsize=NOTE_SIZE,
                  bbox_to_anchor=(0.5, 0.04))
    figure.suptitle(_("Against {baseline}: what changes, with the same random numbers in both").format(
        baseline=baseline_called), fontsize=TITLE_SIZE)
    finish(figure, comparison.baseline.replications, comparison.baseline.seed,
           note=_("Right of the line: more than in {baseline}. Both scenarios meet the same people and the same "
                  "chances, so the paired interval (thick) is narrower than comparing two separate runs "
                  "(thin).").format(baseline=baseline_called))
    figure.subplots_adjust(bottom=figure.subplotpars.bottom + 0.05)
    return figure
