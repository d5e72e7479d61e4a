"""A sensitivity analysis's folder: the indices, the one-at-a-time swings and
the design points as tables, and per outcome a chart of the indices and a
tornado of the swings."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from sim.analysis.sensitivity import HIGH_QUANTILE, LOW_QUANTILE, SensitivityResult
from sim.output.folders import write_atomically
from sim.output.manifest import write_manifest
from sim.output.style import Chart, save_figure
from sim.scenario.files import dump_scenario


def sensitivity_plots(result: SensitivityResult) -> dict[str, Figure]:
    figures = {}
    for outcome in result.outcomes:
        figures[f"indices_{outcome}.png"] = _indices_chart(result, outcome)
        figures[f"one_at_a_time_{outcome}.png"] = _tornado(result, outcome)
    return figures


def _indices_chart(result: SensitivityResult, outcome: str) -> Figure:
    table = result.indices[result.indices["outcome"] == outcome]
    main, main_conf, label = (("total", "total_conf", "total index") if result.method == "sobol"
                              else ("mu_star", "mu_star_conf", f"mu* (mean absolute effect on {outcome})"))
    table = table.sort_values(main)  # largest at the top
    figure = Chart(figsize=(8, 1.2 + 0.5 * len(table)))
    axes = figure.subplots()
    rows = np.arange(len(table))
    if result.method == "sobol":
        axes.barh(rows + 0.2, table[main], height=0.4, xerr=table[main_conf], color="#457b9d", label=label,
                  capsize=3)
        axes.barh(rows - 0.2, table["first_order"], height=0.4, xerr=table["first_order_conf"], color="#e9c46a",
                  label="first-order index (alone)", capsize=3)
        axes.set_xlabel("share of the variance of the outcome")
    else:
        axes.barh(rows, table[main], xerr=table[main_conf], color="#457b9d", label=label, capsize=3)
        axes.plot(table["sigma"], rows, "D", color="#e76f51", label="sigma (depends on other parameters)")
        axes.set_xlabel(outcome)
    axes.set_yticks(rows, table["parameter"])
    axes.axvline(0, color="black", linewidth=0.8)
    axes.legend(loc="lower right", fontsize="small")
    axes.set_title(f"{result.scenario.title or result.scenario.name}: what {outcome} hangs on\n"
                   f"{result.method}, {len(result.points)} points x {result.replications} replications, "
                   f"bars 95 % intervals", fontsize="medium")
    figure.tight_layout()
    return figure


def _tornado(result: SensitivityResult, outcome: str) -> Figure:
    table = result.one_at_a_time[result.one_at_a_time["outcome"] == outcome].sort_values("swing")
    base = float(table["as_in_file"].iloc[0])
    figure = Chart(figsize=(8, 1.2 + 0.5 * len(table)))
    axes = figure.subplots()
    rows = np.arange(len(table))
    axes.barh(rows, table["at_low"] - base, left=base, color="#e76f51",
              label=f"parameter at its {LOW_QUANTILE:.0%} quantile")
    axes.barh(rows, table["at_high"] - base, left=base, color="#2a9d8f",
              label=f"parameter at its {HIGH_QUANTILE:.0%} quantile")
    labels = [f"{row.parameter}\n{row.value_low:.3g} to {row.value_high:.3g}" for row in table.itertuples()]
    axes.set_yticks(rows, labels, fontsize="small")
    axes.axvline(base, color="black", linewidth=0.8)
    axes.set_xlabel(f"mean {outcome} ({result.replications} replications; the file's values give {base:,.4g})")
    axes.legend(loc="lower right", fontsize="small")
    axes.set_title(f"{result.scenario.title or result.scenario.name}: one assumption at a time", fontsize="medium")
    figure.tight_layout()
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
