"""Fitting a programme's parameters to its own records: on records written
from runs of known parameters, the 90 % intervals cover the truth about 90 %
of the time, and the months of those still in work are needed (left out,
jobs look nine times shorter)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim import api
from sim.state.fit import fit_state
from sim.state.generate import state_of_run
from sim.state.records import check_state

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
    # Covered in K of RUNS: binomial(RUNS, 0.9); three standard errors below 0.9 is 0.848. The count and
    # Poisson intervals are exact and so conservative: above 0.9 is allowed up to 0.99.
    lowest = 0.9 - 3 * math.sqrt(0.9 * 0.1 / RUNS)
    for field, value in truth.items():
        covered = [fit[field].low <= value <= fit[field].high for fit in estimates if field in fit]
        assert len(covered) == RUNS, field
        assert lowest <= np.mean(covered) <= 0.99, (field, np.mean(covered))


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
    state = api.read_state(tmp_path / "state.csv", api.load(api.REFERENCE), 24)
    for estimate in api.fit_records(state, api.load(api.REFERENCE)):
        field = estimate.field.split(".")
        assert getattr(getattr(scenario, field[0]), field[1]) == estimate.uncertainty["mean"]
        assert scenario.uncertain[estimate.field].mean == estimate.uncertainty["mean"]
        assert scenario.notes[estimate.field].startswith(
            f"Set by the fit to state.csv as of month 24 (90 % interval {estimate.low:.3g} to {estimate.high:.3g}; "
            f"{estimate.records} records, {estimate.under_way} still under way): ")
    assert pilotsim("fit", "--state", "state.csv", "--as-of", "24", "--out", "fitted.yaml").returncode == 2
