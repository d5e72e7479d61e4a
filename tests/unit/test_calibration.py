"""Calibration recovers parameters from figures simulated with them."""

from sim.analysis.backtests import Observation, Observed
from sim.analysis.calibration import calibrate
from sim.output.calibration import fitted_file_text
from sim.run.runner import run
from sim.scenario.edit import with_changes, with_free_values
from tests.conftest import make_scenario


def test_calibration_recovers_a_known_job_chance_and_duration():
    # A cohort of 200 with a job chance of 0.6 after a stage of 5 months: the
    # "published" figures are the mean outcomes of that truth, on another seed.
    truth = make_scenario({"horizon_months": 30, "referrals": {"cohort_size": 200},
                           "stages": {"training": {"duration": {"dist": "exponential", "mean": 5},
                                                   "outcomes": {"job": 0.6, "benefit": 0.4}}},
                           "free": {"stages.training.outcomes.job": {"low": 0.2, "high": 0.95,
                                                                     "complement": "stages.training.outcomes.benefit"},
                                    "stages.training.duration.mean": {"low": 2, "high": 10}}})
    figures = []
    for month in (4, 24):
        outcomes = run(with_changes(truth, {"horizon_months": month}, "test"), 200, seed=999, workers=1).outcomes
        figures.append(Observation(outcome="placed", month=month, value=float(outcomes["placed"].mean()),
                                   role="fitted", used_for="the job chance and the stage's length"))
    observed = Observed(scenario=truth.name, source="simulated truth", observations=figures)
    result = calibrate(truth, observed, samples=80, replications=60, accept=0.1, seed=3, workers=1)
    ranges = result.ranges().set_index("parameter")
    for path, true_value in (("stages.training.outcomes.job", 0.6), ("stages.training.duration.mean", 5.0)):
        row = ranges.loc[path]
        assert row["plausible_low"] <= true_value <= row["plausible_high"], (path, row.to_dict())
    assert abs(result.best["stages.training.outcomes.job"] - 0.6) < 0.08
    # The plausible set is narrower than the prior: the figures told us something.
    job = ranges.loc["stages.training.outcomes.job"]
    assert job["plausible_high"] - job["plausible_low"] < 0.5 * (job["prior_high"] - job["prior_low"])
    fitted = with_free_values(truth, result.best)
    best_job = result.best["stages.training.outcomes.job"]
    assert abs(fitted.stages["training"].outcomes["benefit"] - (1 - best_job)) < 1e-12
    assert "extends: original.yaml" in fitted_file_text(result, "original.yaml")


def test_calibration_never_sees_a_held_out_figure():
    scenario = make_scenario({"free": {"stages.training.duration": {"low": 2, "high": 20}}})
    fitted = Observation(outcome="placed", month=12, value=10, role="fitted", used_for="the length of training")
    # A held-out figure no candidate could come near: if the fit saw it, every distance would change.
    held_out = Observation(outcome="placed", month=12, value=1e6, role="held_out")
    results = [calibrate(scenario, Observed(scenario=scenario.name, source="test", observations=figures),
                         samples=6, replications=10, seed=3, workers=1).candidates
               for figures in ([fitted], [fitted, held_out])]
    assert results[0]["distance"].tolist() == results[1]["distance"].tolist()
    assert "placed@12" in results[1].columns
