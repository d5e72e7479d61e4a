"""Sweeps: one scenario run at many values of one or more of its fields.

Every point runs with the same seed, so the points meet the same people with
the same luck (common random numbers) and differences between points show
the effect of the varied fields. Points are a full grid of the listed values
or a Latin hypercube over ranges (``scipy.stats.qmc``).

A sweep can be interrupted and resumed: each finished point is handed at
once to a store of finished points (``pilotsim sweep`` keeps them on disk
beside the destination, ``sim.output.sweep.PointStore``), and running the
same sweep again skips the points already done. A point's results depend only on the scenario,
the seed and the number of replications, so a resumed sweep ends exactly as
an uninterrupted one would.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import pandas as pd

from sim import limits
from sim.errors import Problem, ScenarioError
from sim.measure.money import later_than
from sim.measure.statistics import censored, summarise, target_chance
from sim.run.runner import run
from sim.scenario.edit import field_at, with_changes
from sim.scenario.files import dump_scenario
from sim.scenario.schema import Scenario


@dataclass(frozen=True)
class Varied:
    """One field to vary: the values of a grid, or the range of a hypercube."""

    path: str
    values: tuple[float, ...]
    whole_numbers: bool

    @property
    def low(self) -> float:
        return min(self.values)

    @property
    def high(self) -> float:
        return max(self.values)


def parse_vary(text: str, scenario: Scenario) -> Varied:
    """``path=low:high:step`` (both ends included) or ``path=v1,v2,...``.

    A field that holds a whole number in the scenario (such as places) is
    kept whole."""
    path, equals, spec = text.partition("=")
    where = f"--vary {text}"
    if not equals or not path or not spec:
        raise ScenarioError([Problem(where, None, None, "", "expected path=low:high:step or path=v1,v2,...")])
    try:
        if ":" in spec:
            parts = [float(part) for part in spec.split(":")]
            if len(parts) != 3 or not all(map(math.isfinite, parts)) or parts[2] <= 0 or parts[1] < parts[0]:
                raise ValueError
            low, high, step = parts
            # Counted before they are made: a range of millions would take the memory.
            count = math.floor((high - low) / step + 0.5) + 1
            if count > limits.MAX_POINTS:
                raise ScenarioError(limits.too_many_points(count, where))
            values = tuple(np.round(np.arange(low, high + step / 2, step), 10))
        else:
            values = tuple(float(part) for part in spec.split(","))
            if not all(map(math.isfinite, values)):
                raise ValueError
            if len(values) > limits.MAX_POINTS:
                raise ScenarioError(limits.too_many_points(len(values), where))
    except ValueError:
        raise ScenarioError([Problem(where, None, None, path,
                                     "expected low:high:step with low <= high and step > 0, or v1,v2,...")]) from None
    current = field_at(scenario.model_dump(mode="json", by_alias=True), path)
    _refuse_a_whole_schedule(where, path, current)
    whole = isinstance(current, int) and not isinstance(current, bool)
    if whole and any(value != round(value) for value in values):
        raise ScenarioError([Problem(where, None, None, path, f"must be whole numbers, got {spec}")])
    return Varied(path, tuple(dict.fromkeys(values)), whole)


def whole_number_range(path: str, low: int, high: int, scenario: Scenario) -> Varied:
    """A whole-number field searched between ``low`` and ``high`` (sizing),
    without listing the values between."""
    where = f"--vary {path}={low}:{high}"
    current = field_at(scenario.model_dump(mode="json", by_alias=True), path)
    _refuse_a_whole_schedule(where, path, current)
    if isinstance(current, bool) or not isinstance(current, (int, float)) and current is not None:
        raise ScenarioError([Problem(where, None, None, path, f"must name a number of the scenario, got {current!r}")])
    return Varied(path, (low, high), True)


def _refuse_a_whole_schedule(where: str, path: str, current: object) -> None:
    """Setting a schedule of places to one number would drop the schedule
    without a word: a period's places are varied instead."""
    if isinstance(current, list):
        raise ScenarioError([Problem(where, None, None, path,
                                     f"is a schedule of places (periods 0 to {len(current) - 1}); vary one "
                                     f"period's places, e.g. {path}.0.places")])


def grid(varied: list[Varied]) -> list[dict[str, float]]:
    return [dict(zip([v.path for v in varied], combination))
            for combination in itertools.product(*(v.values for v in varied))]


def latin_hypercube(varied: list[Varied], points: int, seed: int) -> list[dict[str, float]]:
    from scipy.stats import qmc
    sample = qmc.LatinHypercube(d=len(varied), seed=seed).random(points)
    scaled = qmc.scale(sample, [v.low for v in varied], [v.high for v in varied]) if varied else sample
    return [{v.path: (round(value) if v.whole_numbers else float(value)) for v, value in zip(varied, row)}
            for row in scaled]


def scenario_at(base: Scenario, point: dict[str, float], varied: list[Varied]) -> Scenario:
    """The base scenario with the point's values set (and checked like a file)."""
    changes = {v.path: int(point[v.path]) if v.whole_numbers else point[v.path] for v in varied}
    return with_changes(base, changes, source="--vary " + ", ".join(f"{k}={point[k]:g}" for k in point))


@dataclass(frozen=True)
class SweepResult:
    base: Scenario
    varied: tuple[Varied, ...]
    points: pd.DataFrame          # point, one column per varied field
    outcomes: pd.DataFrame        # point, replication, outcomes
    replications: int
    seed: int


class FinishedPoints(Protocol):
    """Where a sweep keeps the points it has finished, so that an interrupted
    sweep can continue (``sim.output.sweep.PointStore`` keeps them on disk)."""

    def start(self, definition: dict) -> None:
        """Hold the points of the sweep ``definition`` describes: points kept
        for any other sweep are let go."""

    def get(self, index: int) -> pd.DataFrame | None: ...

    def keep(self, index: int, table: pd.DataFrame) -> None: ...


def sweep(base: Scenario, varied: list[Varied], points: list[dict[str, float]], replications: int, seed: int,
          finished: FinishedPoints | None = None, workers: int | None = None,
          on_point: Callable[[int, int, bool], None] | None = None,
          on_progress: Callable[[int], None] | None = None) -> SweepResult:
    """Run every point on the same random numbers. Points already in
    ``finished`` are taken from there, new ones are kept there as they
    finish; ``on_point(done, total, resumed)`` reports progress in points."""
    scenarios = [scenario_at(base, point, varied) for point in points]  # check them all before running any
    if finished is not None:
        # A point's rows depend on these alone: kept points of the same
        # definition can stand in for running them again.
        finished.start({"scenario": dump_scenario(base), "points": points, "replications": replications,
                        "seed": seed})
    tables = []
    for index, scenario in enumerate(scenarios):
        table = finished.get(index) if finished is not None else None
        resumed = table is not None
        if resumed:
            if on_progress is not None:
                on_progress(replications)
        else:
            table = run(scenario, replications, seed=seed, workers=workers, on_progress=on_progress).outcomes
            table.insert(0, "point", index)
            if finished is not None:
                finished.keep(index, table)
        tables.append(table)
        if on_point is not None:
            on_point(index + 1, len(points), resumed)
    point_table = pd.DataFrame(points)
    point_table.insert(0, "point", range(len(points)))
    return SweepResult(base, tuple(varied), point_table, pd.concat(tables, ignore_index=True), replications, seed)


def point_summary(result: SweepResult, target: tuple[str, float] | None) -> pd.DataFrame:
    """Per point and outcome: the usual summary, with the point's values and,
    given a target, the chance of reaching it."""
    rows = []
    varied = {v.path for v in result.varied}
    values_at_point = result.points.set_index("point")
    for point, table in result.outcomes.groupby("point", sort=True):
        # Break-even months not reached by the point's last month counted are later, not left out.
        censor = later_than(result.base)
        if censor and "budget.count_until_month" in varied:
            censor = {name: float(values_at_point.loc[point, "budget.count_until_month"]) for name in censor}
        values = table.drop(columns=["point"])
        summary = censored(summarise(values), len(values), censor,
                           lambda name, q, values=values: float(np.nanquantile(values[name].to_numpy(float), q)))
        summary = summary.reset_index()
        summary.insert(0, "point", point)
        rows.append(summary)
    summary = pd.concat(rows, ignore_index=True).merge(result.points, on="point")
    if target is not None:
        outcome, level = target
        chances = {point: target_chance(table[outcome].to_numpy(), outcome, level)
                   for point, table in result.outcomes.groupby("point")}
        summary["target_chance"] = summary["point"].map(lambda p: chances[p].probability)
        summary["target_chance_low"] = summary["point"].map(lambda p: chances[p].low)
        summary["target_chance_high"] = summary["point"].map(lambda p: chances[p].high)
    return summary


def parse_target(text: str, scenario: Scenario | None = None) -> tuple[str, float]:
    """``outcome>=value``: the level an outcome must reach; with ``scenario``,
    an outcome it has."""
    outcome, at_least, level = text.partition(">=")
    where = f"--target {text}"
    try:
        value = float(level)
    except ValueError:
        raise ScenarioError([Problem(where, None, None, "", "expected outcome>=value, e.g. placed>=78")]) from None
    if not math.isfinite(value):
        raise ScenarioError([Problem(where, None, None, "", f"the level must be a finite number, got {level.strip()}")])
    if scenario is not None:
        from sim.measure.columns import outcome_names

        known = outcome_names(scenario)
        if outcome.strip() not in known:
            raise ScenarioError([Problem(where, None, None, "", f"{outcome.strip()!r} is not an outcome of this "
                                                                f"scenario; known: {', '.join(known)}")])
    return outcome.strip(), value
