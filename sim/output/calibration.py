"""A calibration's folder: the fitted scenario as a file that extends the
original, the candidates, the plausible ranges, and the published figures
against the fitted scenario."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from sim.analysis.calibration import CalibrationResult
from sim.output.folders import write_atomically
from sim.output.manifest import write_manifest
from sim.output.style import BAND_COLOUR, TARGET_COLOUR, Chart, save_figure
from sim.scenario.edit import set_field


def fitted_file_text(result: CalibrationResult, original_file: str) -> str:
    """A scenario file that extends the original with the fitted values."""
    lines = [f"# Fitted by pilotsim calibrate to {result.observed.source}",
             f"# ({len(result.candidates)} candidates, {result.replications} replications each, seed {result.seed};",
             "# plausible 5-95 % ranges in the comments).",
             f"extends: {original_file}",
             f"name: {result.scenario.name}_calibrated"]
    ranges = result.ranges().set_index("parameter")
    nested: dict = {}
    for path, value in result.best.items():
        set_field(nested, path, round(value, 6))
        complement = result.scenario.free[path].complement
        if complement:
            set_field(nested, complement, round(1 - value, 6))
    lines += _yaml_lines(nested, 0, ranges)
    return "\n".join(lines) + "\n"


def _yaml_lines(node: dict, depth: int, ranges: pd.DataFrame, prefix: str = "") -> list[str]:
    lines = []
    for key, value in node.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            lines.append("  " * depth + f"{key}:")
            lines += _yaml_lines(value, depth + 1, ranges, path + ".")
        else:
            note = ""
            if path in ranges.index:
                row = ranges.loc[path]
                note = f"  # plausible {row['plausible_low']:.4g} to {row['plausible_high']:.4g}"
            lines.append("  " * depth + f"{key}: {value}{note}")
    return lines


def write_calibration(result: CalibrationResult, fit: pd.DataFrame, original: str, folder,
                      command: list[str] | None) -> Path:
    """The fitted scenario (extending ``original``), the candidates, the
    plausible ranges, and ``fit``: the published figures against the fitted
    scenario (``sim.analysis.calibration.check_fit``)."""
    folder = Path(folder)

    def write(staging: Path) -> None:
        relative = os.path.relpath(Path(original).resolve(), folder.resolve())
        (staging / f"{result.scenario.name}_calibrated.yaml").write_text(fitted_file_text(result, relative))
        result.candidates.sort_values("distance").to_csv(staging / "candidates.csv", index=False,
                                                         float_format="%.6g")
        result.ranges().to_csv(staging / "parameters.csv", index=False, float_format="%.6g")
        fit.to_csv(staging / "fit.csv", index=False, float_format="%.6g")
        figure = Chart(figsize=(8, 0.9 + 0.55 * len(fit)))
        axes = figure.subplots()
        labels = [f"{row.outcome} at month {row.month:g}" for row in fit.itertuples()]
        positions = np.arange(len(fit))
        scale = np.maximum(fit["published"].abs().to_numpy(), 1.0)  # each figure relative to its own size
        axes.errorbar(fit["simulated_median"] / scale, positions,
                      xerr=[(fit["simulated_median"] - fit["simulated_q05"]) / scale,
                            (fit["simulated_q95"] - fit["simulated_median"]) / scale],
                      fmt="o", color=BAND_COLOUR, capsize=3, label="fitted scenario: median, 90 % of runs")
        axes.scatter(fit["published"] / scale, positions, marker="x", s=60, color=TARGET_COLOUR, zorder=3,
                     label="published")
        axes.set_yticks(positions, labels)
        axes.set_xlabel("relative to the published figure")
        axes.set_title(f"{result.scenario.name}: published figures against the fitted scenario")
        axes.grid(axis="x", alpha=0.3)
        axes.legend(loc="upper center", fontsize="small", bbox_to_anchor=(0.5, -0.35 - 0.6 / len(fit)), ncol=2)
        save_figure(figure, staging / "plots" / "fit.png")
        write_manifest(staging, {
            "scenario": result.scenario.name, "observed": result.observed.source,
            "candidates": len(result.candidates), "accepted": len(result.accepted),
            "replications": result.replications, "seed": result.seed, "best": result.best,
        }, command)

    return write_atomically(folder, write)
