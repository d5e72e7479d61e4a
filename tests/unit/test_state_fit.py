"""Fitting a programme's parameters to its own records: on records written
from runs of known parameters, the 90 % intervals cover the truth about 90 %
of the time, and the months of those still in work are needed (left out,
jobs look nine times shorter)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from sim import api
from sim.state.fit import fit_state
from sim.state.generate import state_of_run
from sim.state.records import check_state
from tests.conftest import PROJECT

#: Runs, each a programme's records at one month: independent draws of the estimates.
RUNS = 300
AS_OF = 36


@pytest.fixture(scope="module")
def fitted():
    scenario = api.load(api.REFERENCE)
    result = api.run(scenario, RUNS, seed=scenario.seed, keep_clients=True)
    clients, visits = result.clients.table(), result.visits.table()
    states = [check_state(state_of_run(clients, visits, AS_OF, list(scenario.stages), replication), scenario, AS_OF)
              for replication in range(RUNS)]
    return scenario, states, [{estimate.field: estimate for estimate in fit_state(state, scenario)}
                              for state in states]


def test_the_intervals_cover_the_parameters_the_records_came_from_about_90_percent_of_the_time(fitted):
    scenario, _states, estimates = fitted
    truth = {"referrals.acceptance": scenario.referrals.acceptance,
             "referrals.rate_per_month": scenario.referrals.rate_per_month,
             "employment.job_loss_hazard_per_month": scenario.employment.job_loss_hazard_per_month,
             "employment.part_time_share": scenario.employment.part_time_share}
    # Covered in K of RUNS: binomial(RUNS, 0.9), within three standard errors of 0.9 (0.848 to 0.952).
    error = 3 * math.sqrt(0.9 * 0.1 / RUNS)
    for field, value in truth.items():
        covered = [fit[field].low <= value <= fit[field].high for fit in estimates if field in fit]
        assert len(covered) == RUNS, field
        assert 0.9 - error <= np.mean(covered) <= 0.9 + error, (field, np.mean(covered))
        # And what a fitted scenario gets: on average, the truth (within three standard errors of the mean).
        written = np.array([fit[field].written for fit in estimates])
        assert abs(written.mean() - value) < 3 * written.std() / math.sqrt(RUNS), (field, written.mean())


def test_the_part_time_share_is_the_scenarios_before_each_groups_factor():
    scenario = api.load(api.REFERENCE)
    assert scenario.segments["single_parent"].part_time_factor == 1.5
    rows = pd.DataFrame({"person": [f"P{number}" for number in range(200)], "segment": "single_parent",
                         "referred_month": 1.0, "status": "employed", "started_month": 1.0, "placed_month": 2.0,
                         "part_time": [number < 60 for number in range(200)]})
    state = check_state(rows.astype(str), scenario.model_copy(update={"referrals": scenario.referrals.model_copy(
        update={"max_participants": None})}), 12)
    share = next(estimate for estimate in fit_state(state, scenario) if estimate.field == "employment.part_time_share")
    assert share.value == pytest.approx(0.3 / 1.5, abs=1e-4)  # 60 of 200 part-time, at 1.5 times the share
    assert share.low < 0.2 < share.high


def test_all_accepted_gives_an_interval_that_reaches_one():
    scenario = api.load(api.REFERENCE)
    rows = pd.DataFrame({"person": ["P1", "P2", "P3"], "segment": "general", "referred_month": "1",
                         "status": "waiting", "since_month": "1"})
    acceptance = fit_state(check_state(rows, scenario, 12), scenario)[0]
    assert (acceptance.field, acceptance.value, acceptance.high, acceptance.written) == \
        ("referrals.acceptance", 1.0, 1.0, 1.0)


def test_no_job_lost_yet_leaves_the_scenarios_hazard_as_it_was(tmp_path):
    scenario = api.load(api.REFERENCE)
    rows = pd.DataFrame({"person": ["P1", "P2"], "segment": "general", "referred_month": "1", "status": "employed",
                         "started_month": "1", "placed_month": "2", "part_time": ["no", "yes"]})
    state = check_state(rows, scenario, 12)
    hazard = next(estimate for estimate in fit_state(state, scenario)
                  if estimate.field == "employment.job_loss_hazard_per_month")
    assert (hazard.value, hazard.written) == (0.0, None)
    fitted, _estimates = api.write_fitted_scenario(scenario, state, tmp_path / "fitted.yaml")
    assert fitted.employment.job_loss_hazard_per_month == scenario.employment.job_loss_hazard_per_month


def test_those_still_in_work_count_for_the_months_they_kept_their_job(fitted):
    scenario, states, estimates = fitted
    hazard = scenario.employment.job_loss_hazard_per_month
    fitted_hazards = np.array([fit["employment.job_loss_hazard_per_month"].value for fit in estimates])
    # The mean of RUNS estimates, within three of its standard errors of the truth.
    assert abs(fitted_hazards.mean() - hazard) < 3 * fitted_hazards.std() / math.sqrt(RUNS)
    # Counting only the jobs lost, and their months, ignores everyone still in work: far too high.
    ignoring = []
    for state in states:
        lost = state.people[state.people["status"] == "job_lost"]
        if len(lost):
            ignoring.append(len(lost) / float((lost["ended_month"] - lost["placed_month"]).sum()))
    assert np.mean(ignoring) > 5 * hazard


def test_pilotsim_fit_writes_a_valid_scenario_with_each_fit_commented(tmp_path):
    import subprocess
    import sys

    from tests.conftest import PROJECT

    def pilotsim(*arguments):
        return subprocess.run([sys.executable, "-m", "sim", *arguments], cwd=tmp_path, capture_output=True,
                              text=True, env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(PROJECT),
                                              "PILOTSIM_LANG": "en", "COLUMNS": "200"})

    assert pilotsim("state", "--as-of", "24", "--out", "state.csv").returncode == 0
    fitted = pilotsim("fit", "--state", "state.csv", "--as-of", "24", "--out", "fitted.yaml")
    assert fitted.returncode == 0, fitted.stderr
    assert "Accepted at intake" in fitted.stdout and "Written fitted.yaml" in fitted.stdout
    scenario = api.load(tmp_path / "fitted.yaml")
    reference = api.load(api.REFERENCE)
    state = api.read_state(tmp_path / "state.csv", reference, 24)
    estimates = api.fit_records(state, reference, api.read_stays(tmp_path / "state_stays.csv", reference, state))
    assert "stages.training.duration.mode" in {estimate.field for estimate in estimates}  # the stays beside, read
    for estimate in estimates:
        value = scenario.model_dump(mode="json", by_alias=True)
        for key in estimate.field.split("."):
            value = value[key]
        assert value == estimate.written
        assert scenario.uncertain[estimate.field].model_dump(mode="json", by_alias=True, exclude_none=True) == \
            estimate.uncertainty
        assert scenario.notes[estimate.field].startswith(
            f"Set by the fit to state.csv as of month 24 (90 % interval {estimate.low:.3g} to {estimate.high:.3g}; "
            f"{estimate.records} records, {estimate.under_way} still under way): ")
    assert pilotsim("fit", "--state", "state.csv", "--as-of", "24", "--out", "fitted.yaml").returncode == 2


# --- stages, from the stays file ------------------------------------------------------

STAGE_TRUTH = {"stages.training.duration.mode": 9.0, "stages.training.dropout.probability": 0.15,
               "stages.job_search.duration.mean": 3.0, "stages.job_search.outcomes.job": 0.78}


def stage_fits(runs: int, as_of: float, still_going: bool = True):
    """The stage fits of ``runs`` runs of the reference, each from its records at ``as_of``; without
    ``still_going``, as if the stays not yet over were not in the records."""
    from sim.state.fit import fit_stays
    from sim.state.generate import stays_of_run

    scenario = api.load(api.REFERENCE)
    assert {field: value for field, value in STAGE_TRUTH.items()} == {
        "stages.training.duration.mode": scenario.stages["training"].duration.mode,
        "stages.training.dropout.probability": scenario.stages["training"].dropout.probability,
        "stages.job_search.duration.mean": scenario.stages["job_search"].duration.mean,
        "stages.job_search.outcomes.job": scenario.stages["job_search"].outcomes["job"]}
    result = api.run(scenario, runs, seed=scenario.seed, keep_clients=True)
    clients, visits = result.clients.table(), result.visits.table()
    fits = []
    for replication in range(runs):
        state = check_state(state_of_run(clients, visits, as_of, list(scenario.stages), replication), scenario,
                            as_of)
        stays = stays_of_run(visits, as_of, replication)
        if not still_going:
            stays = stays[stays["ended"].notna()]
        fits.append({estimate.field: estimate for estimate in fit_stays(stays, state, scenario)})
    return fits


def assert_covered(fits, runs: int) -> None:
    # Covered in K of runs: binomial(runs, 0.9), so at least three standard errors below 0.9; profile-likelihood
    # intervals are approximate, so not above 0.99 either.
    lowest = 0.9 - 3 * math.sqrt(0.9 * 0.1 / runs)
    for field, value in STAGE_TRUTH.items():
        covered = np.mean([fit[field].low <= value <= fit[field].high for fit in fits])
        assert lowest <= covered <= 0.99, (field, covered)
        estimates = np.array([fit[field].value for fit in fits])
        # The mean of the estimates within three of its standard errors of the truth.
        assert abs(estimates.mean() - value) < 3 * estimates.std() / math.sqrt(runs), (field, estimates.mean())


def test_stage_durations_and_dropout_are_fitted_with_the_stays_still_going():
    assert_covered(stage_fits(40, 24), 40)


@pytest.mark.slow
def test_stage_durations_and_dropout_cover_the_truth_in_300_runs():
    assert_covered(stage_fits(300, 24), 300)


def test_leaving_out_the_stays_still_going_makes_training_look_shorter_and_dropout_likelier():
    runs = 40
    with_them, without = stage_fits(runs, 12), stage_fits(runs, 12, still_going=False)
    for fits, mode_within in ((with_them, True), (without, False)):
        modes = np.array([fit["stages.training.duration.mode"].value for fit in fits])
        assert (abs(modes.mean() - 9.0) < 3 * modes.std() / math.sqrt(runs)) == mode_within
    mode_without = np.mean([fit["stages.training.duration.mode"].value for fit in without])
    dropout_without = np.mean([fit["stages.training.dropout.probability"].value for fit in without])
    assert mode_without < 8.5 and dropout_without > 0.25  # (measured: 7.9 and 0.30 against 9 and 0.15)


@pytest.mark.parametrize("family", ["triangular", "exponential", "gamma", "lognormal"])
def test_the_durations_density_and_chances_are_scipys(family):
    from scipy import stats

    from sim.state.fit import _Duration

    mine, theirs = {
        "triangular": (_Duration("triangular", 6, 8, 12, 0), stats.triang(c=2 / 6, loc=6, scale=6)),
        "exponential": (_Duration("exponential", 0, 3, math.inf, 0), stats.expon(scale=3)),
        "gamma": (_Duration("gamma", 0, 4, math.inf, 2), stats.gamma(4.0, scale=1.0)),
        "lognormal": (_Duration("lognormal", 0, 4, math.inf, 2),
                      stats.lognorm(math.sqrt(math.log1p(0.25)), scale=math.exp(math.log(4) - math.log1p(0.25) / 2))),
    }[family]
    months = np.linspace(0, 30, 301)
    np.testing.assert_allclose(mine.pdf(months), theirs.pdf(months), atol=1e-12)
    np.testing.assert_allclose(mine.cdf(months), theirs.cdf(months), atol=1e-12)
    for chance in (0.01, 0.3, 0.7, 0.99):
        assert mine.ppf(chance) == pytest.approx(theirs.ppf(chance), rel=1e-9)


def test_a_job_dated_days_after_the_search_ended_still_counts_as_where_it_led():
    from sim.state.fit import fit_stays
    from sim.state.stays import read_stays

    scenario = api.load(api.REFERENCE)
    examples = PROJECT / "scenarios" / "examples"
    state = api.read_state(examples / "brunssum_month12.csv", scenario, 12)
    stays = read_stays(examples / "brunssum_month12_stays.csv", scenario, 12)

    def job_share(records):
        return next(estimate for estimate in fit_stays(stays, records, scenario)
                    if estimate.field == "stages.job_search.outcomes.job")

    on_the_day = job_share(state)
    assert (on_the_day.records, round(on_the_day.value, 3)) == (6, 0.667)
    # A contract a day later (0.03 months), as real records date it.
    later = state.people.copy()
    later["placed_month"] = later["placed_month"] + 0.03
    a_day_later = job_share(type(state)(state.as_of, later, state.file))
    assert (a_day_later.records, a_day_later.value) == (on_the_day.records, on_the_day.value)
