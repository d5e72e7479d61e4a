"""Which uncertain assumption an outcome hangs on.

Global sensitivity analysis over the scenario's uncertain parameters
(``sim.scenario.uncertain``), with SALib's designs and estimators on the unit cube
of their quantiles:

- ``sobol``: variance-based; the first-order index of a parameter is the
  share of the outcome's variance it explains alone, the total index the
  share it has a hand in, interactions included. ``samples`` base points,
  ``samples x (parameters + 2)`` runs (Saltelli's scheme, no second order).
- ``morris``: elementary effects along ``samples`` trajectories,
  ``samples x (parameters + 1)`` runs; mu* is the mean absolute change of the
  outcome when the parameter moves across its range, sigma how much that
  change depends on the other parameters. Cheaper; a screening.

Every design point is the scenario with those values, run for
``replications`` replications with the scenario's seed. All points meet the
same people with the same luck (common random numbers), so the differences
between them are the parameters' doing, and a parameter the outcome does not
depend on gets an index of exactly zero. The point's outcome is the mean
over its replications.

Budget officers know the one-at-a-time picture too: each parameter at its
5 % and 95 % quantile, the others as in the file (``one_at_a_time``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.errors import Problem, ScenarioError
from sim.interrupts import held_back
from sim.language import _
from sim.measure.columns import unknown_outcomes
from sim.run.runner import run
from sim.scenario.edit import with_uncertain_values
from sim.scenario.schema import Scenario
from sim.scenario.uncertain import parameters, values_at

METHODS = ("sobol", "morris")
#: Morris trajectories move over this many levels of each parameter's quantiles.
MORRIS_LEVELS = 4
#: The one-at-a-time tornado puts each parameter at these quantiles.
LOW_QUANTILE, HIGH_QUANTILE = 0.05, 0.95


@dataclass(frozen=True)
class SensitivityResult:
    scenario: Scenario
    method: str
    outcomes: tuple[str, ...]
    samples: int
    replications: int
    seed: int
    points: pd.DataFrame         # point, one column per parameter (values), mean of each outcome
    indices: pd.DataFrame        # outcome, parameter, the method's indices with 95 % intervals
    one_at_a_time: pd.DataFrame  # outcome, parameter, values and outcomes at the low and high quantile


def check_request(scenario: Scenario, method: str, outcomes: list[str], samples: int) -> list[str]:
    """The uncertain parameters, once the request is known to make sense."""
    names = parameters(scenario)
    problems = unknown_outcomes(scenario, outcomes)
    if method not in METHODS:
        problems.insert(0, Problem("--method", None, None, method, _("expected one of {choices}").format(
            choices=", ".join(METHODS))))
    if samples < 2:
        problems.append(Problem("--samples", None, None, str(samples), _("expected at least {least}").format(
            least=2)))
    if problems:
        raise ScenarioError(problems)
    return names


def design(method: str, parameter_count: int, samples: int, seed: int) -> np.ndarray:
    """[point, parameter]: quantiles at which to run the scenario."""
    from SALib.sample import morris as morris_design
    from SALib.sample import sobol as sobol_design
    problem = _unit_problem([f"x{i}" for i in range(parameter_count)])
    if method == "sobol":
        return sobol_design.sample(problem, samples, calc_second_order=False, seed=seed)
    return morris_design.sample(problem, samples, num_levels=MORRIS_LEVELS, seed=seed)


def analyse(method: str, names: list[str], quantiles: np.ndarray, outcome: np.ndarray, seed: int) -> pd.DataFrame:
    """Per parameter: the indices of ``outcome`` (one value per design point),
    with the half-widths of their 95 % bootstrap intervals."""
    from SALib.analyze import morris as morris_analysis
    from SALib.analyze import sobol as sobol_analysis
    problem = _unit_problem(names)
    if method == "sobol":
        found = sobol_analysis.analyze(problem, outcome, calc_second_order=False, conf_level=0.95,
                                       num_resamples=200, seed=seed)
        columns = {"first_order": found["S1"], "first_order_conf": found["S1_conf"],
                   "total": found["ST"], "total_conf": found["ST_conf"]}
    else:
        found = morris_analysis.analyze(problem, quantiles, outcome, conf_level=0.95, num_resamples=200,
                                        num_levels=MORRIS_LEVELS, seed=seed)
        columns = {"mu_star": found["mu_star"], "mu_star_conf": found["mu_star_conf"],
                   "sigma": found["sigma"], "mu": found["mu"]}
    table = pd.DataFrame({"parameter": names, **{name: np.asarray(values, dtype=float)
                                                 for name, values in columns.items()}})
    # A constant outcome has no variance to share out; its indices are zero, not undefined.
    return table.fillna(0.0) if np.ptp(outcome) == 0 else table


def sensitivity(scenario: Scenario, method: str = "sobol", samples: int = 64, outcomes: tuple[str, ...] = ("placed",),
                replications: int = 20, seed: int | None = None, workers: int | None = None,
                on_point: Callable[[int, int], None] | None = None) -> SensitivityResult:
    names = check_request(scenario, method, list(outcomes), samples)
    seed = scenario.seed if seed is None else seed
    # The first Sobol design of a process loads scipy's direction numbers in
    # compiled code, where a Ctrl-C would be swallowed and the run go on.
    with held_back():
        quantiles = design(method, len(names), samples, seed)
    values = values_at(scenario, quantiles)
    one_at_a_time_quantiles = _one_at_a_time_quantiles(len(names))
    one_at_a_time_values = values_at(scenario, one_at_a_time_quantiles)
    total = len(values) + len(one_at_a_time_values) + 1
    done = 0

    def mean_outcomes(candidate: Scenario) -> dict[str, float]:
        nonlocal done
        table = run(candidate, replications, seed=seed, workers=workers).outcomes
        done += 1
        if on_point is not None:
            on_point(done, total)
        return {outcome: float(table[outcome].mean()) for outcome in outcomes}

    # Every point's scenario is checked before any runs.
    candidates = [with_uncertain_values(scenario, dict(zip(names, row))) for row in values]
    point_rows = [mean_outcomes(candidate) for candidate in candidates]
    points = pd.DataFrame(values, columns=names)
    points.insert(0, "point", range(len(points)))
    points = pd.concat([points, pd.DataFrame(point_rows)], axis=1)
    indices = pd.concat([analyse(method, names, quantiles, points[outcome].to_numpy(), seed).assign(outcome=outcome)
                         for outcome in outcomes], ignore_index=True)
    indices = indices[["outcome", *[c for c in indices.columns if c != "outcome"]]]

    base = mean_outcomes(scenario)
    swings = [mean_outcomes(with_uncertain_values(scenario, {name: one_at_a_time_values[row, index]}))
              for index, name in enumerate(names) for row in (2 * index, 2 * index + 1)]
    rows = []
    for outcome in outcomes:
        for index, name in enumerate(names):
            low, high = swings[2 * index][outcome], swings[2 * index + 1][outcome]
            rows.append({"outcome": outcome, "parameter": name,
                         "value_low": one_at_a_time_values[2 * index, index],
                         "value_high": one_at_a_time_values[2 * index + 1, index],
                         "as_in_file": base[outcome], "at_low": low, "at_high": high,
                         "swing": abs(high - low)})
    return SensitivityResult(scenario, method, tuple(outcomes), samples, replications, seed, points,
                             indices, pd.DataFrame(rows))


def _one_at_a_time_quantiles(parameter_count: int) -> np.ndarray:
    """Rows low, high for each parameter in turn (other columns unused)."""
    quantiles = np.full((2 * parameter_count, parameter_count), 0.5)
    for index in range(parameter_count):
        quantiles[2 * index, index], quantiles[2 * index + 1, index] = LOW_QUANTILE, HIGH_QUANTILE
    return quantiles


def _unit_problem(names: list[str]) -> dict:
    return {"num_vars": len(names), "names": list(names), "bounds": [[0.0, 1.0]] * len(names)}
