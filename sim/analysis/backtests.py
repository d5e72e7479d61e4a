"""Back-tests: does a scenario reproduce what its programme reported?

An observed-figures file (``scenarios/observed/<scenario>.yaml``) lists
published figures, each an outcome at a month with its role. The
scenario is run up to each of those months, and each figure is set beside
the simulated median and 90 % interval of that outcome.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from sim.errors import Problem, ScenarioError
from sim.measure import columns
from sim.run.runner import run
from sim.scenario.edit import with_changes
from sim.scenario.files import read_model
from sim.scenario.schema import Scenario
from sim.scenario.shipped import scenarios_folder


class Observation(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    outcome: str
    month: Annotated[float, Field(ge=1)]  # the horizon of a run, which is at least a month
    value: float
    # What the figure was used for: entered as a parameter (input: it agrees
    # by construction), to set parameters (fitted: agreement says the
    # scenario is consistent with it, no more), or nothing but the check
    # (held_out: the only kind that tests the model).
    role: Literal["input", "fitted", "held_out"]
    used_for: str | None = None  # for an input or fitted figure: the parameters it set
    note: str | None = None
    source: str | None = None  # where it is not the file's source

    @field_validator("outcome")
    @classmethod
    def _known_outcome(cls, outcome: str) -> str:
        # Per-stage outcomes (entered_<stage>, placed_from_<stage>), and whether
        # the scenario has the budget or caseload an outcome needs, are checked
        # against the scenario when the back-test runs.
        if not columns.is_known(outcome):
            known = columns.names(columns.PROGRAMME + columns.MONEY + columns.CASELOAD + columns.CASELOAD_MONEY)
            raise ValueError(f"unknown outcome '{outcome}' (expected one of: {', '.join(known)})")
        return outcome

    @model_validator(mode="after")
    def _says_what_it_set(self) -> Observation:
        if self.role != "held_out" and not self.used_for:
            raise ValueError(f"a figure with role {self.role} says which parameters it set (used_for)")
        return self


class Observed(BaseModel):
    """Published figures for one scenario."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    scenario: str
    source: str
    observations: list[Observation] = Field(min_length=1)


def observed_folder() -> Path:
    return scenarios_folder() / "observed"


def load_observed(path: str | Path) -> Observed:
    """Read and check an observed-figures file."""
    return read_model(path, Observed)


def backtest(scenario: Scenario, observed: Observed, replications: int = 400,
             workers: int | None = None) -> pd.DataFrame:
    """One row per published figure: the figure, the simulated median and 90 %
    interval at its month, and whether the figure lies in that interval."""
    rows = []
    for month in sorted({observation.month for observation in observed.observations}):
        at_month = with_changes(scenario, {"horizon_months": month}, f"back-test at month {month:g}")
        outcomes = run(at_month, replications, workers=workers).outcomes
        for observation in (o for o in observed.observations if o.month == month):
            if observation.outcome not in outcomes.columns:
                raise ScenarioError([Problem(observed.scenario, None, None, "observations",
                                             f"scenario {scenario.name} has no outcome '{observation.outcome}'")])
            values = outcomes[observation.outcome].to_numpy(dtype=float)
            low, median, high = np.quantile(values, [0.05, 0.5, 0.95])
            rows.append({"outcome": observation.outcome, "month": month, "published": observation.value,
                         "simulated_median": median, "simulated_q05": low, "simulated_q95": high,
                         "within_90": bool(low <= observation.value <= high), "note": observation.note,
                         "role": observation.role, "used_for": observation.used_for,
                         "source": observation.source or observed.source})
    return pd.DataFrame(rows)
