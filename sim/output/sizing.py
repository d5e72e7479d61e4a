"""A sizing's folder: every value probed, and the chance of the target
against the value."""

from __future__ import annotations

from pathlib import Path

from sim.analysis.sizing import SizingResult, probes_table
from sim.output.folders import write_atomically
from sim.output.manifest import write_manifest
from sim.output.style import BAND_COLOUR, TARGET_COLOUR, Chart, save_figure
from sim.scenario.files import dump_scenario
from sim.scenario.schema import Scenario


def write_sizing(result: SizingResult, base: Scenario, folder: Path, command: list[str] | None) -> Path:
    table = probes_table(result)

    def write(staging: Path) -> None:
        table.to_csv(staging / "probes.csv", index=False, float_format="%.6g")
        (staging / "scenario.yaml").write_text(dump_scenario(base))
        figure = Chart(figsize=(8, 4.5))
        axes = figure.subplots()
        axes.errorbar(table["value"], table["chance"] * 100,
                      yerr=[(table["chance"] - table["chance_low"]) * 100,
                            (table["chance_high"] - table["chance"]) * 100],
                      fmt="o", color=BAND_COLOUR, capsize=3, label="chance at a probed value (95 % interval)")
        axes.axhline(result.confidence * 100, color=TARGET_COLOUR, linestyle="--",
                     label=f"required certainty: {result.confidence:.0%}")
        if result.answer is not None:
            axes.axvline(result.answer, color="grey", linestyle=":", label=f"smallest value: {result.answer}")
        outcome, level = result.target
        when = f" by month {result.by_month:g}" if result.by_month else ""
        axes.set_title(f"Chance of {outcome} >= {level:g}{when} against {result.path}")
        axes.set_xlabel(result.path)
        axes.set_ylabel("chance of reaching the target (%)")
        axes.set_ylim(-3, 103)
        axes.grid(alpha=0.3)
        axes.legend(loc="lower right", fontsize="small")
        save_figure(figure, staging / "plots" / "target_chance.png")
        write_manifest(staging, {
            "scenario": base.name, "varied": result.path, "range": [result.low, result.high],
            "target": {"outcome": outcome, "at_least": level}, "confidence": result.confidence,
            "answer": result.answer, "minimised": result.minimised, "undecided": result.undecided,
        }, command)

    return write_atomically(folder, write)
