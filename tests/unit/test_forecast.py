"""A forecast: the programme continued from its records as of a month.

From an empty programme at month 0 it is the fresh run, draw for draw; from
records where the target is already reached, every run reaches it; from a
run's own records at month 12, the forecast's 90 % bands hold the rest of
that run about 90 % of the time. What the records leave open is drawn given
what they say: the rest of a stay given the months spent, the patience left
given the wait so far, and the waiting list keeps its order.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from sim import api
from sim.model.continued import rest_of_stay
from sim.model.records import COMPLETED, DROPPED
from sim.model.streams import RandomStreams
from sim.run.runner import run
from sim.state.forecast import continuation_of
from sim.state.generate import state_of_run, stays_of_run
from sim.state.records import check_state
from sim.state.stays import check_stays
from tests.conftest import PROJECT, make_scenario


def records_of(scenario, clients, visits, as_of, replication):
    """A run's own records at ``as_of``, read as a municipality's file would be."""
    state = check_state(state_of_run(clients, visits, as_of, list(scenario.stages), replication), scenario, as_of)
    return continuation_of(state, scenario, check_stays(stays_of_run(visits, as_of, replication), scenario, as_of))


def test_a_forecast_from_an_empty_programme_at_month_0_is_the_fresh_run_draw_for_draw():
    scenario = api.load(api.REFERENCE)
    fresh = run(scenario, 30, seed=3, workers=1, engine="processes")
    kept = run(scenario, 1, seed=3, workers=1, keep_clients=True)
    continuation = records_of(scenario, kept.clients.table(), kept.visits.table(), 0, 0)
    assert continuation.people == 0  # (referrals come after month 0)
    forecast = run(scenario, 30, seed=3, workers=1, continuation=continuation)
    pd.testing.assert_frame_equal(forecast.outcomes, fresh.outcomes)
    assert np.array_equal(forecast.monthly, fresh.monthly)
    assert np.array_equal(forecast.cashflow, fresh.cashflow)


def test_a_forecast_from_month_0_with_people_already_in_a_stage_has_the_fresh_runs_distribution():
    # Cohorts of 20 every 6 months from month 0: at month 0 the first cohort
    # is in training (0 months spent), so the draws differ; the distribution may not.
    scenario = make_scenario({
        "horizon_months": 36,
        "referrals": {"every_months": 6, "cohort_size": 20, "until_month": 18},
        "stages": {"training": {"slots": 25, "duration": {"dist": "triangular", "low": 2, "mode": 4, "high": 8},
                                "dropout": {"probability": 0.3}, "outcomes": {"job": 0.6, "benefit": 0.4}}},
    })
    kept = run(scenario, 1, seed=1, workers=1, keep_clients=True)
    continuation = records_of(scenario, kept.clients.table(), kept.visits.table(), 0, 0)
    assert continuation.status == ("in_stage",) * 20
    runs = 1500
    fresh = run(scenario, runs, seed=2, workers=1, engine="processes").outcomes
    forecast = run(scenario, runs, seed=2, workers=1, continuation=continuation).outcomes
    for outcome in ("placed", "dropped_out", "mean_wait_months"):
        # Two independent samples of RUNS: their means differ by less than 4 standard errors of the difference.
        error = math.sqrt((fresh[outcome].var() + forecast[outcome].var()) / runs)
        assert abs(fresh[outcome].mean() - forecast[outcome].mean()) < 4 * error, outcome
    assert not fresh["placed"].equals(forecast["placed"])  # (not the same draws: a test that can tell)


def test_from_records_that_reached_the_target_every_run_reaches_it():
    scenario = api.load(api.REFERENCE)
    kept = run(scenario, 1, seed=4, workers=1, keep_clients=True)
    clients, visits = kept.clients.table(), kept.visits.table()
    placed_by_30 = int((clients["job_start"] <= 30).sum())
    assert placed_by_30 > 40
    records = records_of(scenario, clients, visits, 30, 0)
    reached = run(api.change(scenario, {"target": {"placed": placed_by_30}}), 200, seed=5, workers=1,
                  continuation=records)
    assert reached.chance("placed", placed_by_30).hits == 200
    # Twenty more than the records have is not sure (so the check above can fail).
    assert reached.chance("placed", placed_by_30 + 20).hits < 200


def calibration(truth_runs: int, forecast_runs: int) -> dict[str, int]:
    """For each of ``truth_runs`` runs of the reference: its records at month
    12 forecast ``forecast_runs`` times. Where the run's own outcome falls
    among its forecasts (a randomised rank, so ties count as they should):
    under a calibrated forecast uniform, so within the middle 90 % in a
    binomial(truth_runs, 0.9) number of runs."""
    scenario = api.load(api.REFERENCE)
    truth = run(scenario, truth_runs, seed=1, workers=1, keep_clients=True)
    clients, visits = truth.clients.table(), truth.visits.table()
    tie_breaks = np.random.default_rng(0).random(truth_runs)
    inside = dict.fromkeys(("placed", "off_assistance", "employed_at_horizon", "npv"), 0)
    for replication in range(truth_runs):
        forecast = run(scenario, forecast_runs, seed=100 + replication, workers=1,
                       continuation=records_of(scenario, clients, visits, 12, replication)).outcomes
        for outcome in inside:
            value, values = truth.outcomes[outcome][replication], forecast[outcome].to_numpy()
            rank = (np.count_nonzero(values < value) + tie_breaks[replication] * (np.count_nonzero(values == value)
                                                                                   + 1)) / (forecast_runs + 1)
            inside[outcome] += 0.05 <= rank <= 0.95
    return inside


def assert_about_90_percent(inside: dict[str, int], runs: int) -> None:
    # Binomial(runs, 0.9): within three standard errors.
    error = 3 * math.sqrt(runs * 0.9 * 0.1)
    for outcome, count in inside.items():
        assert 0.9 * runs - error <= count <= 0.9 * runs + error, (outcome, count, runs)


def test_forecasts_from_a_runs_own_records_at_month_12_hold_its_future_about_90_percent_of_the_time():
    assert_about_90_percent(calibration(truth_runs=50, forecast_runs=40), 50)


@pytest.mark.slow
def test_forecasts_are_calibrated_over_400_runs():
    assert_about_90_percent(calibration(truth_runs=400, forecast_runs=100), 400)


def fresh_stays_still_going(duration, dropout: float, spent: float, count: int, seed: int):
    """The stage's rule from the start, kept where the stay outlasts ``spent``."""
    generator = np.random.default_rng(seed)
    full = duration.ppf(generator.random(count))
    dropped = generator.random(count) < dropout
    stay = np.where(dropped, full * generator.random(count), full)
    going = stay > spent
    return stay[going] - spent, dropped[going]


@pytest.mark.parametrize("spent", [0.0, 4.0, 7.0, 11.0])
def test_the_rest_of_a_stay_is_the_stages_rule_given_the_months_spent(spent):
    scenario = api.load(api.REFERENCE)
    training = scenario.stages["training"]  # triangular 6, 9, 12; 15 % drop out a uniform share of the way
    count = 20_000
    left, ended_by = rest_of_stay(training, np.full(count, spent), np.ones(count), RandomStreams(1, 0), "rest")
    reference_left, reference_dropped = fresh_stays_still_going(training.duration, 0.15, spent, 200_000, 2)
    assert left.min() > 0
    # Means within four standard errors of the difference (the reference sample is ten times larger).
    error = math.sqrt(left.var() / count + reference_left.var() / len(reference_left))
    assert abs(left.mean() - reference_left.mean()) < 4 * error
    dropped = ended_by == DROPPED
    error = math.sqrt(dropped.var() / count + reference_dropped.var() / len(reference_dropped))
    assert abs(dropped.mean() - reference_dropped.mean()) < 4 * error + 1e-12
    if spent == 11.0:  # few drop out that late: a dropout must come in the last month of a stay of 11 to 12
        assert dropped.mean() < 0.02


def test_a_stay_longer_than_the_stage_allows_ends_at_once_completed():
    training = api.load(api.REFERENCE).stages["training"]  # at most 12 months
    left, ended_by = rest_of_stay(training, np.array([13.0]), np.ones(1), RandomStreams(1, 0), "rest")
    assert left.tolist() == [0.0] and ended_by.tolist() == [COMPLETED]


#: Referrals in a scenario where nobody is referred after the records (the one referral comes after the horizon).
NOBODY_MORE = {"process": "schedule", "schedule": [{"month": 30, "count": 1}]}


def waiting_records(scenario, rows: list[dict], as_of: float):
    columns = ["person", "referred_month", "status", "stage", "since_month", "started_month"]
    return continuation_of(check_state(pd.DataFrame(rows, columns=columns).astype(object), scenario, as_of), scenario)


def test_the_waiting_list_keeps_its_order_and_those_in_a_stage_keep_their_place():
    # One place, taken since month 0 for a stay of 10 months; two waiting, the one since month 3 listed last.
    scenario = make_scenario({"=referrals": NOBODY_MORE, "stages": {"training": {"slots": 1, "duration": 10}}})
    records = waiting_records(scenario, [
        {"person": "A", "referred_month": 0, "status": "in_stage", "stage": "training", "since_month": 0,
         "started_month": 0},
        {"person": "B", "referred_month": 5, "status": "waiting", "since_month": 5},
        {"person": "C", "referred_month": 3, "status": "waiting", "since_month": 3},
    ], 6)
    result = run(scenario, 1, seed=1, workers=1, keep_clients=True, continuation=records)
    clients = result.clients.table().set_index("client")
    # People in order of referral: A, C, B. A ends at 10, C (waiting longest) starts then, B at 20.
    assert clients["start_time"].tolist() == [0.0, 10.0, 20.0]
    assert clients["job_start"].tolist()[:2] == [10.0, 20.0] and np.isnan(clients["job_start"].iloc[2])


def test_patience_left_is_drawn_given_the_wait_so_far():
    # Patience uniform on 2 to 10 months: someone who has waited 6 gives up 0 to 4 months from now, 2 on average.
    scenario = make_scenario({"=referrals": NOBODY_MORE | {"patience": {"dist": "uniform", "low": 2, "high": 10}},
                              "stages": {"training": {"slots": 1, "duration": 30}}})
    rows = [{"person": "A", "referred_month": 0, "status": "in_stage", "stage": "training", "since_month": 0,
             "started_month": 0}]
    rows += [{"person": f"W{number}", "referred_month": 0, "status": "waiting", "since_month": 0}
             for number in range(200)]
    result = run(scenario, 5, seed=1, workers=1, keep_clients=True, continuation=waiting_records(scenario, rows, 6))
    clients = result.clients.table()
    gave_up = clients[clients["final_state"] == "reneged"]["exit_time"].to_numpy() - 6
    assert len(gave_up) == 5 * 200
    assert gave_up.min() >= 0 and gave_up.max() <= 4
    # Uniform on 0 to 4: mean 2, standard deviation 4 / sqrt(12); 1,000 of them, within four standard errors.
    assert abs(gave_up.mean() - 2) < 4 * (4 / math.sqrt(12)) / math.sqrt(len(gave_up))


def pilotsim(*arguments, cwd):
    return subprocess.run([sys.executable, "-m", "sim", *arguments], cwd=cwd, capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(PROJECT), "PILOTSIM_LANG": "en"})


def test_the_forecast_command_writes_a_runs_results_with_the_forecast_and_refuses_messy_records(tmp_path):
    assert pilotsim("state", "--as-of", "12", "--out", "state.csv", cwd=tmp_path).returncode == 0
    done = pilotsim("forecast", "--state", "state.csv", "--as-of", "12", "-n", "40", "--out", "forecast",
                    cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "from the records of 89 people as of the end of Oct 2022 (month 12); 40 runs" in " ".join(
        done.stdout.split())
    assert "78 or more off assistance by the end of Oct 2025 (month 48): now 0 of 40 runs" in " ".join(
        done.stdout.split())
    folder = tmp_path / "forecast"
    document = json.loads((folder / "forecast.json").read_text())
    assert document["stays_file"] == "state_stays.csv"  # found beside the state file
    assert document["people"]["placed"]["already"] == 4
    table = pd.read_csv(folder / "forecast.csv")
    replications = pd.read_csv(folder / "replications.csv")
    assert (table["placed_total"] == replications["placed"]).all()
    assert (table["placed_to_come"] == replications["placed"] - 4).all()
    # Money already spent by month 12 and still to come add up to the run's costs.
    assert np.allclose(table["total_costs_already"] + table["total_costs_to_come"], replications["total_costs"])
    assert (folder / "plots" / "forecast.png").stat().st_size > 10_000
    # Messy records: one line per problem, exit 2, nothing written.
    assert pilotsim("state", "--as-of", "12", "--with-mistakes", "--out", "messy.csv", cwd=tmp_path).returncode == 0
    refused = pilotsim("forecast", "--state", "messy.csv", "--as-of", "12", "--out", "messy_forecast", cwd=tmp_path)
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 3
    assert not (tmp_path / "messy_forecast").exists()


def test_the_shipped_example_is_the_reference_runs_records_at_month_12(tmp_path):
    # docs/running-pilot.md works through these records; they are what pilotsim state writes today.
    scenario = api.load(api.REFERENCE)
    written, stays = api.write_state_file(scenario, 12, tmp_path / "brunssum_month12.csv")
    examples = PROJECT / "scenarios" / "examples"
    assert written.read_text() == (examples / "brunssum_month12.csv").read_text()
    assert stays.read_text() == (examples / "brunssum_month12_stays.csv").read_text()
    state = api.read_state(examples / "brunssum_month12.csv", scenario, 12)
    assert state.counts() == {"in_stage": 61, "dropped_out": 13, "not_accepted": 6, "employed": 4,
                              "completed_no_job": 2, "reneged": 2, "found_work_on_own": 1}


def test_records_at_the_end_of_the_months_simulated_leave_nothing_to_forecast():
    scenario = api.load(api.REFERENCE)
    with pytest.raises(api.ScenarioError) as refused:
        api.plan_forecast(scenario, PROJECT / "scenarios" / "examples" / "brunssum_month12.csv", 48)
    assert str(refused.value) == ("--as-of: a month before the end of the months simulated (48), got 48: after it "
                                  "there is nothing to forecast")


def paired_differences(scenario, runs: int, as_of: float) -> dict[str, tuple[float, float]]:
    """For each of ``runs`` runs: its records at ``as_of`` forecast once, on
    the run's own seed and number (those referred later take the same draws,
    which leaves less noise in the difference and no bias: the people of the
    records draw anew). Per outcome, the mean of forecast minus run, and its
    standard error."""
    from sim.measure.columns import outcome_names
    from sim.run.worker import run_chunk

    truth = run(scenario, runs, seed=1, workers=1, keep_clients=True)
    clients, visits = truth.clients.table(), truth.visits.table()
    columns = list(outcome_names(scenario))
    forecasts = np.array([run_chunk(scenario, 1, replication, replication + 1, False,
                                    continuation=records_of(scenario, clients, visits, as_of, replication)).outcomes[0]
                          for replication in range(runs)])
    differences = forecasts - truth.outcomes[columns].to_numpy()
    return {column: (float(values.mean()), float(values.std() / math.sqrt(len(values))))
            for column, values in zip(columns, differences.T) if np.isfinite(values).all()}


def assert_unbiased(differences: dict, outcomes: tuple[str, ...]) -> None:
    # A forecast from a run's records is that run's future on average: the mean difference within four of
    # its standard errors of nothing.
    for outcome in outcomes:
        mean, error = differences[outcome]
        assert abs(mean) <= 4 * error + 1e-9, (outcome, mean, error)


def test_forecasts_from_runs_records_are_their_futures_on_average_money_included():
    differences = paired_differences(api.load(api.REFERENCE), 300, 12)
    assert_unbiased(differences, ("placed", "off_assistance", "employed_at_horizon", "started", "dropped_out",
                                  "found_work_without_programme", "net_savings", "total_costs", "npv"))


def test_forecasts_with_few_coaches_after_placement_are_their_futures_on_average():
    # Two coaches for six months, jobs lost at 10 % a month (a tenth of that while coached): who got a coach
    # before the month of the records decides who keeps a job after it.
    scenario = make_scenario({
        "start": "2024-01", "horizon_months": 24, "referrals": {"every_months": 2, "cohort_size": 3, "until_month": 12},
        "stages": {"training": {"duration": {"dist": "uniform", "low": 1, "high": 3}}},
        "employment": {"job_loss_hazard_per_month": 0.1,
                       "support": {"months": 6, "job_loss_factor": 0.1, "slots": 2, "cost_per_month": 100}},
        "counterfactual": {"own_job_chance_per_year": 0.1},
        "budget": {"costs": {"per_participant": 1000}}})
    differences = paired_differences(scenario, 400, 10)
    assert_unbiased(differences, ("employed_at_horizon", "sustained", "back_on_benefit", "total_costs",
                                  "net_savings"))


def test_who_got_a_coach_before_the_records_is_worked_out_as_a_run_decides_it():
    from sim.model.continued import simulate_chunk

    scenario = make_scenario({"=referrals": NOBODY_MORE, "stages": {"training": {"slots": 1}},
                              "employment": {"job_loss_hazard_per_month": 0.1,
                                             "support": {"months": 6, "job_loss_factor": 0.0, "slots": 1}}})
    columns = ["person", "referred_month", "status", "started_month", "placed_month", "part_time", "ended_month"]
    rows = [["A", 0, "employed", 0, 1, False, None],   # the coach, until month 7
            ["B", 0, "employed", 0, 2, False, None],   # none free
            ["C", 0, "job_lost", 0, 3, False, 4],      # none free
            ["D", 0, "employed", 0, 7.5, False, None]]  # A's coach is free again
    state = check_state(pd.DataFrame(rows, columns=columns).astype(object), scenario, 8)
    clients = simulate_chunk(scenario, continuation_of(state, scenario), 1, 0, 1).replication(0).clients
    coached = clients["coached_until"]
    assert coached[0] == 7 and np.isnan(coached[1]) and np.isnan(coached[2]) and coached[3] == 13.5
    # Coached with no risk, A and D keep their jobs until then; B is at the plain risk from the month on.
    assert clients["job_end"][0] >= 7 and clients["job_end"][3] >= 13.5


def test_someone_who_had_a_place_needs_the_month_they_started(tmp_path):
    scenario = api.load(api.REFERENCE)
    path = tmp_path / "records.csv"
    path.write_text("person,segment,referred_month,status,ended_month\nP1,general,1,dropped_out,5\n"
                    "P2,general,1,reneged,3\n")
    with pytest.raises(api.ScenarioError) as refused:
        api.read_state(path, scenario, 12)
    assert [str(problem) for problem in refused.value.problems] == [
        "records.csv:2:1: started_month: needed for a person who is dropped_out"]
