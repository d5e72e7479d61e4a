"""How many replications are enough: the table and the narrowing interval."""

from __future__ import annotations

from pathlib import Path

from matplotlib.figure import Figure

from sim.analysis.precision import PrecisionResult
from sim.output.folders import write_atomically
from sim.output.manifest import write_manifest
from sim.output.style import TARGET_COLOUR, Chart, save_figure
from sim.scenario.files import dump_scenario


def precision_plot(result: PrecisionResult, outcome: str) -> Figure:
    table = result.tables[outcome]
    needed = result.needed[outcome]
    figure = Chart(figsize=(8, 6.5))
    (upper, lower) = figure.subplots(2, 1, sharex=True)
    upper.plot(table["replications"], table["mean"], color="#1d3557", label="mean so far")
    upper.fill_between(table["replications"], table["mean"] - table["half_width"],
                       table["mean"] + table["half_width"], color="#a8dadc", label="95 % confidence interval")
    upper.set_ylabel(outcome)
    upper.legend(loc="upper right", fontsize="small")
    lower.plot(table["replications"], 100 * table["precision"], color="#1d3557")
    lower.axhline(100 * result.target, color=TARGET_COLOUR, linestyle="--",
                  label=f"target: half-width {result.target:.0%} of the mean")
    if needed is not None:
        for axes in (upper, lower):
            axes.axvline(needed, color="#2a9d8f", linestyle=":")
        lower.annotate(f"{needed} replications", (needed, 100 * result.target), textcoords="offset points",
                       xytext=(6, 12), color="#2a9d8f")
    lower.set_ylim(0, min(100.0, 4 * 100 * result.target))
    lower.set_ylabel("half-width, % of the mean")
    lower.set_xlabel("replications")
    lower.legend(loc="upper right", fontsize="small")
    upper.set_title(f"{result.scenario.title or result.scenario.name}: how the interval of {outcome} narrows",
                    fontsize="medium")
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
