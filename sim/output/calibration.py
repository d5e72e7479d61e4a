"""A calibration's folder: the fitted scenario as a file that extends the
original, the candidates, the posterior, the plausible ranges, and the
published figures against the fitted scenario."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.ticker import FuncFormatter

from sim import language
from sim.analysis.calibration import CalibrationResult, posterior_draws
from sim.language import N_, _, ngettext
from sim.measure.columns import column
from sim.output import fields
from sim.output.fields import label
from sim.output.folders import write_atomically
from sim.output.manifest import write_manifest
from sim.output.style import BAND_COLOUR, NOTE_SIZE, TARGET_COLOUR, TITLE_SIZE, Chart, percent_axis, save_figure
from sim.scenario.edit import set_field

#: What a published figure was used for, in words.
ROLES = {"fitted": N_("fitted"), "held_out": N_("held out"), "input": N_("input")}


def fitted_file_text(result: CalibrationResult, original_file: str) -> str:
    """A scenario file that extends the original with the estimates: in
    English whatever the reader's language, as every file a program reads."""
    with language.speaking("en"):
        return _fitted_file_text(result, original_file)


def _fitted_file_text(result: CalibrationResult, original_file: str) -> str:
    rounds = int(result.candidates["round"].max())
    lines = [f"# Fitted by pilotsim calibrate to {result.observed.source}: {', '.join(result.figures)}",
             f"# ({candidates_in_rounds(len(result.candidates), rounds)}, {result.replications} replications each,"
             f" seed {result.seed}).",
             "# Each value is the posterior median; its plausible (5-95 %) range is in the comment.",
             f"extends: {original_file}",
             f"name: {result.scenario.name}_calibrated"]
    ranges = result.ranges().set_index("parameter")
    nested: dict = {}
    for path, value in result.estimate.items():
        if ranges.loc[path, "bounded"] != "yes":  # its median would be the search range's, not the data's
            lines.append(f"# {path} is left as the original sets it: {range_in_words(ranges.loc[path])}.")
            continue
        set_field(nested, path, round(value, 6))
        complement = result.scenario.free[path].complement
        if complement:
            set_field(nested, complement, round(1 - value, 6))
    lines += _yaml_lines(nested, 0, ranges)
    lines += _uncertain_lines(result, ranges)
    return "\n".join(lines) + "\n"


def _uncertain_lines(result: CalibrationResult, ranges: pd.DataFrame) -> list[str]:
    """The posterior of each parameter the data bound, as an empirical
    distribution of 100 of its quantiles, so that a run with uncertainty
    carries what the fit left uncertain."""
    bounded = [path for path in result.scenario.free if ranges.loc[path, "bounded"] == "yes"]
    left_out = [path for path in result.scenario.free if path not in bounded]
    if not bounded:
        return []
    lines = ["", "# What the fit left uncertain, for `pilotsim run --with-uncertainty`: each fitted",
             "# parameter's posterior (100 of its quantiles). They are drawn independently of each",
             "# other, so any correlation the fit found between them is not kept."]
    if left_out:
        lines.append(f"# Left out, as the data do not bound them: {', '.join(left_out)}.")
    lines.append("uncertain:")
    for path in bounded:
        column = list(result.scenario.free).index(path)
        quantiles = result.posterior.quantiles(column, np.linspace(0.005, 0.995, 100))
        lines.append(f"  {path}: {{dist: empirical, values: [{', '.join(f'{value:.6g}' for value in quantiles)}]}}")
    return lines


def _rounded(value: float, row) -> float:
    """A value of a parameter to four figures of its search range's width (a
    bound found next to a field's limit, 3.6e-11, is 0)."""
    step = 10 ** (np.floor(np.log10(row["searched_high"] - row["searched_low"])) - 3)
    return round(value / step) * step


def value_in_words(value: float, row) -> str:
    """A value of a parameter as its scenario file writes it: 0.2464."""
    return language.significant(_rounded(value, row), 4)


def value_in_unit(value: float, row, start: str | None = None) -> str:
    """A value of a parameter as a reader reads its field: 24.6 %, 20.1 a month."""
    return fields.value_in_words(row["parameter"], _rounded(value, row), start)


def range_in_words(row, shown: Callable[[float], str] | None = None) -> str:
    """The plausible range of a row of ``CalibrationResult.ranges()``, and
    what the data could not say; each value ``shown`` (else as the file writes it)."""
    if shown is None:
        def shown(value: float) -> str:
            return value_in_words(value, row)

    searched = _("searched {low} to {high}").format(low=shown(row["searched_low"]), high=shown(row["searched_high"]))
    low, high = shown(row["plausible_low"]), shown(row["plausible_high"])
    return {"yes": _("plausible {low} to {high} ({searched})"),
            "not below": _("the data do not bound it below; plausible up to {high} ({searched})"),
            "not above": _("the data do not bound it above; plausible from {low} ({searched})"),
            "no": _("the data do not bound it ({searched})")}[row["bounded"]].format(low=low, high=high,
                                                                                    searched=searched)


def candidates_in_rounds(candidates: int, rounds: int) -> str:
    """"60 candidates in 2 rounds"."""
    return ngettext("{candidates} candidates in {rounds} round", "{candidates} candidates in {rounds} rounds",
                    rounds).format(candidates=language.number(candidates), rounds=language.number(rounds))


def figure_in_words(outcome: str, month: float, start: str | None = None) -> str:
    """A published figure as a reader names it: "Placed in paid work at the
    end of Jul 2018 (month 17)", or "at month 17" without a calendar."""
    return _("{outcome} at {moment}").format(outcome=column(outcome).words, moment=language.moment(start, month))


def role_in_words(role: str) -> str:
    return _(ROLES[role]) if role in ROLES else role.replace("_", " ")


def _yaml_lines(node: dict, depth: int, ranges: pd.DataFrame, prefix: str = "") -> list[str]:
    lines = []
    for key, value in node.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            lines.append("  " * depth + f"{key}:")
            lines += _yaml_lines(value, depth + 1, ranges, path + ".")
        else:
            note = f"  # {range_in_words(ranges.loc[path])}" if path in ranges.index else ""
            lines.append("  " * depth + f"{key}: {value}{note}")
    return lines


def parameter_figure(result: CalibrationResult) -> Chart:
    """Per free parameter, what the published figures make of it: the
    posterior over the range searched, the plausible range and the median."""
    ranges = result.ranges()
    start = result.scenario.calendar_start
    figure = Chart(figsize=(8, 0.6 + 2.1 * len(ranges)), layout="constrained")
    for index, row in enumerate(ranges.to_dict("records")):
        def shown(value: float, row=row) -> str:
            return value_in_unit(value, row, start)

        axes = figure.add_subplot(len(ranges), 1, index + 1)
        low, high = row["searched_low"], row["searched_high"]
        position = list(result.scenario.free).index(row["parameter"])
        axes.hist(result.posterior.points[:, position], bins=60, range=(low, high),
                  weights=result.posterior.weights, color=BAND_COLOUR, alpha=0.8)
        axes.axvspan(row["plausible_low"], row["plausible_high"], color=BAND_COLOUR, alpha=0.12,
                     label=_("plausible (5-95 %)"))
        estimate = _("median {value}").format(value=shown(row["estimate"]))
        if row["bounded"] != "yes":  # then the median moves with the range searched
            estimate = _("{median}, set by the range searched").format(median=estimate)
        axes.axvline(row["estimate"], color=TARGET_COLOUR, label=estimate)
        axes.set_xlim(low, high)
        if fields.unit(row["parameter"]).startswith("share"):
            percent_axis(axes.xaxis)
        else:
            axes.xaxis.set_major_formatter(FuncFormatter(lambda value, _position: language.significant(value)))
        axes.set_yticks([])
        axes.set_title(f"{label(row['parameter'])}: {range_in_words(row, shown)}", fontsize=NOTE_SIZE + 1,
                       loc="left", wrap=True)
        axes.legend(fontsize=NOTE_SIZE, loc="upper right", frameon=False)
    figure.axes[-1].set_xlabel(_("value (the x axis spans the range searched; before the data, every value in it "
                                 "was equally likely)"), fontsize=NOTE_SIZE)
    figure.suptitle(_("{name}: what the published figures say about each parameter").format(
        name=result.scenario.title or result.scenario.name), fontsize=TITLE_SIZE, wrap=True)
    return figure


def fit_figure(result: CalibrationResult, fit: pd.DataFrame) -> Chart:
    """Each published figure beside the spread the fitted scenario predicts
    for it, each relative to its own size so that counts and euros share
    one axis."""
    figure = Chart(figsize=(8, 1.4 + 0.55 * len(fit)), layout="constrained")
    axes = figure.subplots()
    labels = [figure_in_words(row.outcome, row.month, result.scenario.calendar_start)
              + (" " + _("(held out)") if row.role == "held_out" else "")
              for row in fit.itertuples()]
    positions = np.arange(len(fit))
    scale = np.maximum(fit["published"].abs().to_numpy(), 1.0)
    axes.errorbar(fit["simulated_median"] / scale, positions,
                  xerr=[(fit["simulated_median"] - fit["simulated_q05"]) / scale,
                        (fit["simulated_q95"] - fit["simulated_median"]) / scale],
                  fmt="o", color=BAND_COLOUR, capsize=3,
                  label=_("predicted: median, 90 % of runs with parameters drawn from the fit"))
    axes.scatter(fit["published"] / scale, positions, marker="x", s=60, color=TARGET_COLOUR, zorder=3,
                 label=_("published"))
    axes.set_yticks(positions, labels, fontsize=NOTE_SIZE)
    axes.xaxis.set_major_formatter(FuncFormatter(lambda value, _position: language.significant(value, 2)))
    axes.set_xlabel(_("relative to the published figure (1: the figure itself)"))
    axes.set_title(_("{name}: published figures against what the fit predicts").format(
        name=result.scenario.title or result.scenario.name),
                   fontsize=TITLE_SIZE, wrap=True)
    axes.grid(axis="x", alpha=0.3)
    figure.legend(loc="outside lower center", fontsize=NOTE_SIZE, ncol=2)
    return figure


def write_calibration(result: CalibrationResult, fit: pd.DataFrame, original: str, folder,
                      command: list[str] | None) -> Path:
    """The fitted scenario (extending ``original``), the candidates, draws
    from the posterior, the plausible ranges, and ``fit``: the published figures against the fitted
    scenario (``sim.analysis.calibration.check_fit``)."""
    folder = Path(folder)

    def write(staging: Path) -> None:
        relative = os.path.relpath(Path(original).resolve(), folder.resolve())
        (staging / f"{result.scenario.name}_calibrated.yaml").write_text(fitted_file_text(result, relative))
        result.candidates.to_csv(staging / "candidates.csv", index=False, float_format="%.6g")
        posterior_draws(result).to_csv(staging / "posterior.csv", index=False, float_format="%.6g")
        result.ranges().to_csv(staging / "parameters.csv", index=False, float_format="%.6g")
        fit.to_csv(staging / "fit.csv", index=False, float_format="%.6g")
        save_figure(fit_figure(result, fit), staging / "plots" / "fit.png")
        save_figure(parameter_figure(result), staging / "plots" / "parameters.png")
        write_manifest(staging, {
            "scenario": result.scenario.name, "observed": result.observed.source,
            "figures": result.figures, "candidates": len(result.candidates),
            "rounds": int(result.candidates["round"].max()), "replications": result.replications,
            "seed": result.seed, "estimate": result.estimate,
        }, command)

    return write_atomically(folder, write)
