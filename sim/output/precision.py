"""How many replications are enough: the table and the narrowing interval."""

from __future__ import annotations

from pathlib import Path

from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from sim import language
from sim.analysis.precision import PrecisionResult
from sim.language import _
from sim.measure.columns import column
from sim.output.folders import write_atomically
from sim.output.manifest import write_manifest
from sim.output.style import NOTE_SIZE, TARGET_COLOUR, TITLE_SIZE, Chart, count_axis, outcome_axis, save_figure
from sim.scenario.files import dump_scenario


def precision_plot(result: PrecisionResult, outcome: str) -> Figure:
    table = result.tables[outcome]
    needed = result.needed[outcome]
    figure = Chart(figsize=(8, 6.5))
    (upper, lower) = figure.subplots(2, 1, sharex=True)
    shown = column(outcome)
    upper.plot(table["replications"], table["mean"], color="#1d3557", label=_("mean so far"))
    upper.fill_between(table["replications"], table["mean"] - table["half_width"],
                       table["mean"] + table["half_width"], color="#a8dadc", label=_("95 % confidence interval"))
    upper.set_ylabel(outcome_axis(upper.yaxis, shown))
    upper.legend(loc="upper right", fontsize=NOTE_SIZE)
    lower.plot(table["replications"], 100 * table["precision"], color="#1d3557")
    lower.axhline(100 * result.target, color=TARGET_COLOUR, linestyle="--",
                  label=_("target: half-width {share} of the mean").format(
                      share=language.percent(result.target, 0 if round(100 * result.target, 1).is_integer() else 1)))
    if needed is not None:
        for axes in (upper, lower):
            axes.axvline(needed, color="#2a9d8f", linestyle=":")
        lower.annotate(_("{runs} runs").format(runs=language.number(needed)), (needed, 100 * result.target),
                       textcoords="offset points", xytext=(6, 12), color="#2a9d8f")
    lower.set_ylim(0, min(100.0, 4 * 100 * result.target))
    lower.yaxis.set_major_formatter(FuncFormatter(lambda value, _position: language.significant(value)))
    lower.set_ylabel(_("half-width, % of the mean"))
    count_axis(lower.xaxis)
    lower.set_xlabel(_("runs"))
    lower.legend(loc="upper right", fontsize=NOTE_SIZE)
    upper.set_title(_("{title}: how the interval of {outcome} narrows").format(
        title=result.scenario.title or result.scenario.name, outcome=shown.words.lower()), fontsize=TITLE_SIZE)
    figure.tight_layout()
    return figure


def write_precision(result: PrecisionResult, folder: Path, command: list[str] | None) -> Path:
    def write(staging: Path) -> None:
        for outcome, table in result.tables.items():
            table.assign(outcome=outcome).to_csv(staging / f"precision_{outcome}.csv", index=False,
                                                 float_format="%.6g")
            save_figure(precision_plot(result, outcome), staging / "plots" / f"precision_{outcome}.png")
        (staging / "scenario.yaml").write_text(dump_scenario(result.scenario))
        write_manifest(staging, {
            "scenario": result.scenario.name, "target_precision": result.target, "seed": result.seed,
            "replications_run": result.run, "needed": result.needed, "replications": result.replications,
        }, command)

    return write_atomically(folder, write)
