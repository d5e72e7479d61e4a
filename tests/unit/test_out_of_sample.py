"""Out-of-sample checks: fit some published figures, predict the others."""

import pytest
from pydantic import ValidationError

from sim.analysis.backtests import Observation, Observed, OutOfSample
from sim.analysis.out_of_sample import out_of_sample
from sim.run.runner import run
from sim.scenario.edit import with_changes
from tests.conftest import make_scenario

# A cohort of 200 in a stage of 5 months on average, 60 % into a job.
PROGRAMME = make_scenario({"horizon_months": 24, "referrals": {"cohort_size": 200},
                           "stages": {"training": {"duration": {"dist": "exponential", "mean": 5},
                                                   "outcomes": {"job": 0.6, "benefit": 0.4}}}})
CHECK = OutOfSample(description="fit months 4 and 24, predict month 12", fit=["placed@4", "placed@24"],
                    predict=["placed@12"],
                    free={"stages.training.outcomes.job": {"low": 0.2, "high": 0.95,
                                                           "complement": "stages.training.outcomes.benefit"},
                          "stages.training.duration.mean": {"low": 2, "high": 10}})


def published(month_12: float | None = None) -> Observed:
    """One run of the programme, as a programme would publish it."""
    figures = []
    for month in (4, 12, 24):
        value = run(with_changes(PROGRAMME, {"horizon_months": month}, "published"), 1, seed=77,
                    workers=1).outcomes["placed"].iloc[0]
        if month == 12 and month_12 is not None:
            value = month_12
        figures.append(Observation(outcome="placed", month=month, value=float(value), role="fitted",
                                   used_for="the job chance and the stage's length"))
    return Observed(scenario=PROGRAMME.name, source="one run", observations=figures, out_of_sample=[CHECK])


def test_a_figure_the_model_can_produce_is_predicted_within_its_band():
    result = out_of_sample(PROGRAMME, published(), CHECK, samples=12, replications=20, seed=3, workers=1)
    assert result.fit.figures == ["placed@4", "placed@24"]  # the fit never saw month 12
    predicted = result.predicted.iloc[0]
    assert predicted["month"] == 12 and bool(predicted["within_90"]), predicted.to_dict()


def test_a_figure_the_model_cannot_produce_is_reported_outside_its_band():
    # Fewer placed by month 12 than by month 4: no parameter values give that.
    observed = published(month_12=10)
    result = out_of_sample(PROGRAMME, observed, CHECK, samples=12, replications=20, seed=3, workers=1)
    assert not bool(result.predicted.iloc[0]["within_90"])
    # ... and the fit is the same as with the true figure: it never saw it.
    other = out_of_sample(PROGRAMME, published(), CHECK, samples=12, replications=20, seed=3, workers=1)
    assert result.fit.ranges().equals(other.fit.ranges())


def test_a_check_must_name_figures_of_the_file():
    with pytest.raises(ValidationError, match="placed@13"):
        Observed(scenario="x", source="y", observations=published().observations,
                 out_of_sample=[CHECK.model_copy(update={"predict": ["placed@13"]})])
    with pytest.raises(ValidationError, match="either fitted or predicted"):
        OutOfSample(description="both", fit=["placed@4"], predict=["placed@4"], free=CHECK.free)
