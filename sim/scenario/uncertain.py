"""The scenario's uncertain parameters: fields whose value is not known
exactly, each with a distribution of what it might be (the ``uncertain``
section of a scenario file).

A set of values for them is a point in the unit cube: coordinate ``u`` of a
parameter stands for the value at quantile ``u`` of its distribution. The
sensitivity analysis samples the cube (``sim.analysis.sensitivity``); setting the
values gives an ordinary scenario, checked like a file.
"""

from __future__ import annotations

import numpy as np

from sim.errors import Problem, ScenarioError
from sim.language import _
from sim.scenario.edit import with_uncertain_values
from sim.scenario.schema import Scenario

# Away from the ends of the cube, where many inverse distribution functions are infinite.
_EDGE = 1e-6
#: The highest quantile a value is ever drawn at.
HIGHEST_QUANTILE = 1 - _EDGE


def parameters(scenario: Scenario) -> list[str]:
    """The uncertain fields, in the order of the file; refuses a scenario without any."""
    if not scenario.uncertain:
        raise ScenarioError([Problem(scenario.name, None, None, "uncertain",
                                     _("the scenario names no uncertain parameters (see docs/sensitivity.md)"))])
    return list(scenario.uncertain)


def values_at(scenario: Scenario, quantiles: np.ndarray) -> np.ndarray:
    """[point, parameter]: the values at the given quantiles ([point, parameter])."""
    quantiles = np.clip(np.asarray(quantiles, dtype=float), _EDGE, 1 - _EDGE)
    return np.column_stack([distribution.ppf(quantiles[:, column])
                            for column, distribution in enumerate(scenario.uncertain.values())])


def problems_at_the_edges(scenario: Scenario) -> list[Problem]:
    """What goes wrong when one uncertain parameter takes its lowest or its
    highest value drawn (the others at the file's values): found before a run
    with uncertainty starts, not in the replication that draws it."""
    from sim import limits

    problems = []
    for path, distribution in scenario.uncertain.items():
        for edge in (_EDGE, 1 - _EDGE):
            value = float(distribution.ppf(np.array([edge]))[0])
            where = f"uncertain.{path}"
            try:
                drawn = with_uncertain_values(scenario, {path: value})
            except ScenarioError as error:
                reasons = "; ".join(f"{problem.field}: {problem.message}" if problem.field else problem.message
                                    for problem in error.problems)
                problems.append(Problem(where, None, None, "", _("at {value}, a value it may be drawn at, the "
                                                                 "scenario is not valid: {reasons}").format(
                    value=f"{value:.6g}", reasons=reasons)))
                break
            if (too_large := limits.too_many_people(drawn)) is not None:
                problems.append(Problem(where, None, None, "", _("at {value}, a value it may be drawn at, the "
                                                                 "scenario {why}").format(value=f"{value:.6g}",
                                                                                          why=too_large)))
                break
    return problems


