"""The scenario's uncertain parameters: fields whose value is not known
exactly, each with a distribution of what it might be (the ``uncertain``
section of a scenario file).

A set of values for them is a point in the unit cube: coordinate ``u`` of a
parameter stands for the value at quantile ``u`` of its distribution. The
sensitivity analysis samples the cube (``sim.sensitivity``); setting the
values gives an ordinary scenario, checked like a file.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sim.errors import Problem, ScenarioError
from sim.scenario.schema import Scenario
from sim.scenario.files import scenario_from_dict
from sim.model.streams import RandomStreams

# Away from the ends of the cube, where many inverse distribution functions are infinite.
_EDGE = 1e-6


def parameters(scenario: Scenario) -> list[str]:
    """The uncertain fields, in the order of the file; refuses a scenario without any."""
    if not scenario.uncertain:
        raise ScenarioError([Problem(scenario.name, None, None, "uncertain",
                                     "the scenario names no uncertain parameters (see docs/sensitivity.md)")])
    return list(scenario.uncertain)


def values_at(scenario: Scenario, quantiles: np.ndarray) -> np.ndarray:
    """[point, parameter]: the values at the given quantiles ([point, parameter])."""
    quantiles = np.clip(np.asarray(quantiles, dtype=float), _EDGE, 1 - _EDGE)
    return np.column_stack([distribution.ppf(quantiles[:, column])
                            for column, distribution in enumerate(scenario.uncertain.values())])


def drawn_for(scenario: Scenario, seed: int, replication: int) -> Scenario:
    """The scenario as replication ``replication`` sees it when the uncertain
    parameters are drawn per replication: one uniform each from the
    replication's own ``uncertain`` stream, so the draw does not depend on
    the worker or the chunk, and two scenarios with the same uncertain
    section draw the same quantiles."""
    quantiles = RandomStreams(seed, replication).uniforms("uncertain", len(scenario.uncertain))
    values = values_at(scenario, quantiles[None, :])[0]
    return with_values(scenario, dict(zip(scenario.uncertain, values.tolist())))


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
                drawn = with_values(scenario, {path: value})
            except ScenarioError as error:
                reasons = "; ".join(f"{problem.field}: {problem.message}" if problem.field else problem.message
                                    for problem in error.problems)
                problems.append(Problem(where, None, None, "", f"at {value:.6g}, a value it may be drawn at, the "
                                                               f"scenario is not valid: {reasons}"))
                break
            if (too_large := limits.too_many_people(drawn)) is not None:
                problems.append(Problem(where, None, None, "", f"at {value:.6g}, a value it may be drawn at, the "
                                                               f"scenario {too_large}"))
                break
    return problems


def with_values(scenario: Scenario, values: dict[str, float]) -> Scenario:
    """The scenario with the given fields set.

    A field that holds a whole number (places, a cap) is rounded. A route's
    chance (``stages.S.outcomes.K``) or a segment's share
    (``segments.K.share``) takes its value from the others, which keep their
    proportions, so that routes and shares still add up to one."""
    data = scenario.model_dump(mode="json", by_alias=True, exclude_none=True)
    for path, value in values.items():
        keys = path.split(".")
        parent = _node(data, keys[:-1])
        if isinstance(parent.get(keys[-1]), int):
            value = int(round(value))
        if len(keys) == 4 and keys[0] == "stages" and keys[2] == "outcomes":
            _rescale_others(parent, keys[-1], value)
        elif len(keys) == 3 and keys[0] == "segments" and keys[2] == "share":
            shares = {name: segment["share"] for name, segment in data["segments"].items()}
            _rescale_others(shares, keys[1], value)
            for name, share in shares.items():
                data["segments"][name]["share"] = share
        parent[keys[-1]] = value
    source = "uncertain values " + ", ".join(f"{path}={value:.6g}" for path, value in values.items())
    return scenario_from_dict(data, source=source)


def _node(data: dict, keys: list[str]) -> Any:
    for key in keys:
        data = data[key]
    return data


def _rescale_others(parts: dict[str, float], chosen: str, value: float) -> None:
    others = {name: share for name, share in parts.items() if name != chosen}
    total = sum(others.values())
    for name, share in others.items():
        parts[name] = (1 - value) * (share / total if total > 0 else 1 / len(others))
    parts[chosen] = value

