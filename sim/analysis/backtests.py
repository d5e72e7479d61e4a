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
from sim.scenario.schema import FreeParameter, Scenario
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
    # "About 1,000": the step the figure was rounded to, if it was. Calibration
    # then allows for the rounding (a spread of step / sqrt(12)).
    rounded_to: Annotated[float, Field(gt=0)] | None = None
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


def label(observation: Observation) -> str:
    """A figure as out-of-sample checks name it: outcome@month."""
    return f"{observation.outcome}@{observation.month:g}"


class OutOfSample(BaseModel):
    """A check of the scenario out of sample: fit ``free`` to the figures in
    ``fit``, then predict those in ``predict`` (each named outcome@month)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    description: str
    fit: list[str] = Field(min_length=1)
    predict: list[str] = Field(min_length=1)
    free: dict[str, FreeParameter] = Field(min_length=1)
    # What else in the scenario was set with the predicted figures in view,
    # which makes the check weaker than a clean one.
    caveat: str | None = None

    @model_validator(mode="after")
    def _apart(self) -> OutOfSample:
        if both := set(self.fit) & set(self.predict):
            raise ValueError(f"a figure is either fitted or predicted, not both: {', '.join(sorted(both))}")
        return self


class Observed(BaseModel):
    """Published figures for one scenario."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    scenario: str
    source: str
    observations: list[Observation] = Field(min_length=1)
    out_of_sample: list[OutOfSample] = Field(default_factory=list)

    @model_validator(mode="after")
    def _checks_name_figures(self) -> Observed:
        known = {label(observation) for observation in self.observations}
        for check in self.out_of_sample:
            if unknown := [figure for figure in check.fit + check.predict if figure not in known]:
                raise ValueError(f"out_of_sample names figures the file does not have: {', '.join(unknown)} "
                                 f"(expected outcome@month of: {', '.join(sorted(known))})")
        return self


def observed_folder() -> Path:
    return scenarios_folder() / "observed"


def load_observed(path: str | Path) -> Observed:
    """Read and check an observed-figures file."""
    return read_model(path, Observed)


def backtest(scenario: Scenario, observed: Observed, replications: int = 400,
             workers: int | None = None) -> pd.DataFrame:
    """One row per published figure: the figure, the simulated median and 90 %
    interval at its month, and whether the figure lies in that interval."""
    simulated = {}
    for month in sorted({observation.month for observation in observed.observations}):
        at_month = with_changes(scenario, {"horizon_months": month}, f"back-test at month {month:g}")
        outcomes = run(at_month, replications, workers=workers).outcomes
        for observation in (o for o in observed.observations if o.month == month):
            simulated[label(observation)] = outcome_values(outcomes, observation, scenario, observed)
    return figures_against(observed, simulated)


def outcome_values(outcomes: pd.DataFrame, observation: Observation, scenario: Scenario,
                   observed: Observed) -> np.ndarray:
    """The runs' values of the figure's outcome; refuses an outcome the scenario has not."""
    if observation.outcome not in outcomes.columns:
        raise ScenarioError([Problem(observed.scenario, None, None, "observations",
                                     f"scenario {scenario.name} has no outcome '{observation.outcome}'")])
    return outcomes[observation.outcome].to_numpy(dtype=float)


def figures_against(observed: Observed, simulated: dict[str, np.ndarray]) -> pd.DataFrame:
    """One row per figure of ``observed`` that ``simulated`` has runs for
    (by outcome@month): the median and 90 % of the runs beside it."""
    rows = []
    for observation in observed.observations:
        if label(observation) not in simulated:
            continue
        low, median, high = np.quantile(simulated[label(observation)], [0.05, 0.5, 0.95])
        rows.append({"outcome": observation.outcome, "month": observation.month, "published": observation.value,
                     "simulated_median": median, "simulated_q05": low, "simulated_q95": high,
                     "within_90": bool(low <= observation.value <= high), "note": observation.note,
                     "role": observation.role, "used_for": observation.used_for,
                     "source": observation.source or observed.source})
    return pd.DataFrame(rows)
