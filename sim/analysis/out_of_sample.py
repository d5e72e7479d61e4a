"""Out-of-sample checks: fit a scenario to some of a programme's published
figures, then predict the others.

A check in an observed-figures file (``out_of_sample:``) names the figures
to fit, the figures to predict, and the parameters to fit with their search
ranges. The fit is ``sim.analysis.calibration.calibrate`` with the predicted
figures held out, so it never sees them; the prediction draws parameter
values from the fit's posterior and runs each, so its band holds what the
fitted figures leave uncertain as well as chance. A predicted figure outside
its band is reported, not tuned away.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from sim.analysis.backtests import Observed, OutOfSample, label
from sim.analysis.calibration import CalibrationResult, calibrate, check_fit, check_free
from sim.scenario.edit import with_changes
from sim.scenario.schema import Scenario


@dataclass(frozen=True)
class OutOfSampleResult:
    check: OutOfSample
    fit: CalibrationResult
    figures: pd.DataFrame   # one row per fitted and predicted figure, as check_fit gives them

    @property
    def predicted(self) -> pd.DataFrame:
        return self.figures[self.figures["role"] == "held_out"]

    @property
    def unbounded(self) -> list[str]:
        """Parameters the fitted figures do not bound: a prediction that
        leans on one is not a test, and is not counted as one."""
        return [path for path, sides in self.fit.unbounded.items() if any(sides)]


def freed_for(scenario: Scenario, observed: Observed, check: OutOfSample) -> Scenario:
    """The scenario with the check's free parameters in place of its own,
    refused at once (one line per problem) if any cannot be searched."""
    free = {path: parameter.model_dump(exclude_none=True) for path, parameter in check.free.items()}
    where = f"{observed.scenario}: out_of_sample '{check.description}'"
    freed = with_changes(scenario, {"free": free}, where)
    check_free(freed, where)
    return freed


def out_of_sample(scenario: Scenario, observed: Observed, check: OutOfSample, samples: int = 30,
                  replications: int = 40, seed: int | None = None, workers: int | None = None,
                  on_candidate: Callable[[int, int], None] | None = None) -> OutOfSampleResult:
    fitted, predicted = set(check.fit), set(check.predict)
    figures = []
    for observation in observed.observations:
        if label(observation) in fitted:
            figures.append(observation.model_copy(update={"role": "fitted", "used_for": "the check's fit"}))
        elif label(observation) in predicted:
            figures.append(observation.model_copy(update={"role": "held_out", "used_for": None}))
    split = observed.model_copy(update={"observations": figures, "out_of_sample": []})
    freed = freed_for(scenario, observed, check)
    fit = calibrate(freed, split, samples, replications, seed, workers, on_candidate)
    figures = check_fit(fit, workers=workers)
    roles = {label(o): o.role for o in observed.observations}
    figures["original_role"] = [roles[f"{row.outcome}@{row.month:g}"] for row in figures.itertuples()]
    return OutOfSampleResult(check, fit, figures)


def counted_predictions(result: OutOfSampleResult) -> pd.DataFrame:
    """The predictions that count as tests: none when the fit leaves a
    parameter unbounded, and never a figure the file holds out already
    (counted by the back-tests)."""
    if result.unbounded:
        return result.predicted.iloc[0:0]
    return result.predicted[result.predicted["original_role"] != "held_out"]
