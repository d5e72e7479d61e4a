"""pilotsim from Python: the steps of the ``pilotsim`` command as functions.

    from sim import api as pilotsim

    scenario = pilotsim.load("brunssum_logistics_2021")          # a shipped scenario, or a file
    wider = pilotsim.change(scenario, {"stages.training.slots": 60})
    result = pilotsim.run(wider, replications=500)
    result.outcomes                       # pandas: one row per replication
    result.summary()                      # pandas: mean, sd, quantiles and 95 % CI per outcome
    result.chance("placed", 78)           # the chance of 78 or more, with its interval
    pilotsim.figures(result)["placements.png"]                    # matplotlib figures
    pilotsim.save(result, "results/wider")                        # the folder `pilotsim run` writes

Every function here is what the command runs; ``docs/api.md`` lists them
with the command each one stands behind. Scenarios are frozen: ``change``
gives a new one, checked like a file, and raises ``ScenarioError`` (one
problem per line) when a value does not fit.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from sim.analysis.backtests import backtest, load_observed
from sim.analysis.calibration import calibrate
from sim.analysis.compare import compare
from sim.analysis.precision import replications_needed
from sim.analysis.sensitivity import sensitivity
from sim.analysis.sizing import size
from sim.analysis.sweep import parse_target, parse_vary, sweep
from sim.errors import ScenarioError
from sim.output.run_figures import all_figures
from sim.output.run_folder import recompute_budget, write_results
from sim.run.runner import RunResult, run
from sim.scenario import shipped
from sim.scenario.edit import with_changes
from sim.scenario.files import load_scenario
from sim.scenario.schema import Scenario

__all__ = [
    "Scenario", "RunResult", "ScenarioError",
    "load", "change", "shipped_scenarios", "run", "figures", "save", "recompute_budget",
    "compare", "sweep", "parse_vary", "parse_target", "size", "calibrate", "backtest", "load_observed",
    "sensitivity", "replications_needed",
]


def load(name_or_path: str | Path, changes: dict[str, Any] | None = None) -> Scenario:
    """A scenario file, or a shipped scenario by name, with ``changes`` (field
    path: value, as ``--set`` takes them) applied before it is checked."""
    return load_scenario(shipped.resolve(str(name_or_path)), changes or {})


def change(scenario: Scenario, changes: dict[str, Any]) -> Scenario:
    """The scenario with some fields set, e.g. ``{"stages.training.slots": 60}``."""
    return with_changes(scenario, changes, "change " + ", ".join(f"{path}={value}" for path, value in changes.items()))


def shipped_scenarios() -> list[str]:
    """The names of the scenarios that come with pilotsim."""
    return [path.stem for path in shipped.shipped_scenarios()]


def figures(result: RunResult) -> dict[str, Figure]:
    """The plots of a run by file name (placements.png, states_over_time.png, ...)."""
    return all_figures(result)


def save(result: RunResult, folder: str | Path) -> Path:
    """Write the results folder ``pilotsim run`` writes. ``folder`` must be new,
    or a results folder pilotsim wrote, which is replaced once the new one
    is complete; anything else raises ``ScenarioError`` (docs/limits.md)."""
    return write_results(result, Path(folder), command=None)
