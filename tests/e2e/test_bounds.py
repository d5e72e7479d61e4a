"""Values that pass the schema's types but would crash a run or take the
machine: refused at validation, or before the run starts with the estimate
and the limit, one line each, exit status 2, nothing written."""

from __future__ import annotations

import time

import numpy as np
import pytest
from typer.testing import CliRunner

from sim import limits
from sim.cli import app
from sim.errors import ScenarioError
from sim.run.runner import run
from sim.scenario.files import load_scenario
from tests.conftest import REFERENCE, make_scenario

cli = CliRunner()

SMALL = """\
name: small
horizon_months: 24
referrals: {process: poisson, rate_per_month: 5, until_month: 12}
stages:
  course:
    slots: 10
    duration: {dist: triangular, low: 2, mode: 3, high: 5}
    outcomes: {job: 0.5, benefit: 0.5}
start: "2024-01"
budget: {}
"""


@pytest.fixture
def small(write_yaml):
    return write_yaml(SMALL, "small.yaml")


def refused(result, *words: str) -> list[str]:
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    lines = result.stderr.strip().splitlines()
    assert lines, result.output
    for word in words:
        assert any(word in line for line in lines), (word, lines)
    return lines


# Each: a --set of a value of the right type that would crash a run, and what its one line must say.
AT_VALIDATION = {
    "infinite horizon": ("horizon_months=.inf", "horizon_months: must be a finite number"),
    "infinite rate": ("referrals.rate_per_month=.inf", "referrals.rate_per_month: must be a finite number"),
    "not a number": ("referrals.rate_per_month=.nan", "referrals.rate_per_month: must be a finite number"),
    "infinite cost": ("budget.costs.fixed_per_month=.inf", "budget.costs.fixed_per_month: must be a finite number"),
    "overflowing cost": ("budget.costs.fixed_per_month=1e308", "budget.costs.fixed_per_month: must be at most"),
    "a boolean for places": ("stages.course.slots=true", "stages.course.slots: must be a whole number, got true"),
    "a boolean for a chance": ("referrals.acceptance=false", "referrals.acceptance: must be a number, got false"),
    "ten thousand centuries": ("horizon_months=1e7", "horizon_months: must be at most 6000"),
    "a vanishing horizon": ("horizon_months=1e-300", "horizon_months: must be at least 1"),
    "a trillion places": ("stages.course.slots=1000000000000", "stages.course.slots: must be at most 10000000"),
    "replications in the file": ("replications=1000000000000", "replications: must be at most 10000000"),
    "gamma too narrow to sample": ("stages.course.duration={dist: gamma, mean: 5, sd: 1e-200}",
                                   "stages.course.duration: cannot be sampled"),
    "lognormal too wide to sample": ("stages.course.duration={dist: lognormal, mean: 5, sd: 1e200}",
                                     "stages.course.duration: cannot be sampled"),
    "truncated normal all below zero": ("stages.course.duration={dist: truncated_normal, mean: -1e10, sd: 1}",
                                        "stages.course.duration: cannot be sampled"),
}


@pytest.mark.parametrize("case", AT_VALIDATION)
def test_values_that_would_crash_a_run_are_refused_at_validation(small, tmp_path, case):
    setting, expected = AT_VALIDATION[case]
    out = tmp_path / "out"
    lines = refused(cli.invoke(app, ["run", str(small), "-n", "5", "--workers", "1", "--out", str(out),
                                     "--set", setting]), expected)
    assert len(lines) == 1 and lines[0].startswith(f"--set {setting.split('=')[0]}")
    assert not out.exists()


def test_a_boolean_in_the_file_is_not_a_number(tmp_path):
    path = tmp_path / "bool.yaml"
    path.write_text(SMALL.replace("slots: 10", "slots: true"))
    lines = refused(cli.invoke(app, ["validate", str(path)]))
    assert lines == [f"{path}:6:12: stages.course.slots: must be a whole number, got true"]


RUN_TOO_BIG = {
    "a billion referrals a month": (["--set", "referrals.rate_per_month=1e9"], "people per replication"),
    "cohorts every nanosecond": (["--set", "referrals={process: cohorts, every_months: 1e-9, cohort_size: 5}"],
                                 "people per replication"),
    "cohorts beyond counting": (["--set", "referrals={process: cohorts, every_months: 5e-324, cohort_size: 1}"],
                                "more than 1e15 people per replication"),
    "a trillion replications": (["-n", "1000000000000"], "at most 10,000,000 replications"),
    "a stage that sends nearly everyone back": (
        ["--set", "stages.course={slots: 10, duration: 1e-9, outcomes: {job: 1e-7, course: 0.9999998, benefit: 1e-7}}"],
        "stays in stages per replication"),
    "years of work": (["--set", "referrals.rate_per_month=5000", "-n", "2000000", "--summary-only"], "hours on"),
    "every month of a century kept": (["--set", "horizon_months=1200", "-n", "5000000", "--per-replication"],
                                      "memory"),
}


@pytest.mark.parametrize("case", RUN_TOO_BIG)
def test_a_run_that_would_not_fit_is_refused_before_it_starts_with_the_estimate(small, tmp_path, case):
    arguments, expected = RUN_TOO_BIG[case]
    out = tmp_path / "out"
    started = time.perf_counter()
    result = cli.invoke(app, ["run", str(small), "--workers", "1", "--out", str(out), *arguments])
    assert time.perf_counter() - started < 5
    lines = refused(result, expected)
    assert len(lines) == 1 and ("limit" in lines[0] or "at most" in lines[0]), lines
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["small.yaml"]


def test_an_uncertain_value_that_would_not_fit_is_refused_before_the_run(small, write_yaml, tmp_path):
    path = write_yaml(f"extends: {small}\nname: wide\nuncertain:\n"
                      "  referrals.rate_per_month: {dist: uniform, low: 1, high: 1e9}\n", "wide.yaml")
    started = time.perf_counter()
    result = cli.invoke(app, ["run", str(path), "-n", "20", "--with-uncertainty", "--workers", "1",
                              "--out", str(tmp_path / "out")])
    assert time.perf_counter() - started < 5
    lines = refused(result, "people per replication")
    assert len(lines) == 1 and lines[0].startswith("uncertain.referrals.rate_per_month: at 9.99999e+08")
    assert not (tmp_path / "out").exists()


def test_workers_are_bounded_by_the_cores(small, tmp_path):
    too_many = limits.MAX_WORKERS_PER_CORE * limits.cores() + 1
    refused(cli.invoke(app, ["run", str(small), "-n", "5", "--workers", str(too_many), "--out",
                             str(tmp_path / "a")]), f"at most {limits.MAX_WORKERS_PER_CORE * limits.cores()}")
    assert not (tmp_path / "a").exists()
    more_than_cores = cli.invoke(app, ["run", str(small), "-n", "5", "--workers", str(limits.cores() + 1),
                                       "--out", str(tmp_path / "b")])
    assert more_than_cores.exit_code == 0, more_than_cores.output
    assert "more workers than cores" in more_than_cores.stderr


def test_a_sweep_grid_of_millions_is_refused_without_building_it(small, tmp_path):
    started = time.perf_counter()
    result = cli.invoke(app, ["sweep", str(small), "--vary", "stages.course.slots=1:2000000:1",
                              "--out", str(tmp_path / "s")])
    assert time.perf_counter() - started < 5
    refused(result, "2,000,000 points", f"at most {limits.MAX_POINTS:,}")
    result = cli.invoke(app, ["sweep", str(small), "--vary", "stages.course.slots=1:2000:1",
                              "--vary", "referrals.rate_per_month=1:2000:1", "--out", str(tmp_path / "s")])
    refused(result, "4,000,000 points")
    assert not (tmp_path / "s").exists()


def test_sizing_over_a_huge_range_does_not_build_the_range(small, tmp_path):
    started = time.perf_counter()
    result = cli.invoke(app, ["size", str(small), "--vary", "stages.course.slots=1:1000000000000",
                              "--target", "placed>=5", "--out", str(tmp_path / "s")])
    assert time.perf_counter() - started < 5
    refused(result, "stages.course.slots: must be at most 10000000")


# --- the estimate itself --------------------------------------------------------------


@pytest.mark.parametrize("changes", [
    {},
    {"=referrals": {"process": "poisson", "rate_per_month": 7.5, "until_month": 18}},
    {"referrals": {"every_months": 2.5, "cohort_size": 6}},
    {"=referrals": {"process": "schedule", "schedule": [{"month": 0, "count": 12}, {"month": 30, "count": 40}]}},
])
def test_the_estimate_of_people_matches_what_a_run_refers(changes):
    # The mean of 200 replications is within 4 standard errors of the
    # estimate (for Poisson referrals the sd of a count is its square root;
    # the other processes refer a fixed number).
    scenario = make_scenario(changes)
    estimate = limits.estimate(scenario, 200)
    referred = run(scenario, 200, workers=1).outcomes["referred"].to_numpy()
    standard_error = np.sqrt(estimate.people_per_replication / 200)
    assert abs(referred.mean() - estimate.people_per_replication) <= 4 * standard_error + 1e-9, (
        referred.mean(), estimate.people_per_replication)


def test_the_estimate_of_stays_matches_what_a_run_makes():
    # Training once, then job search until it ends: going on with chance 0.5,
    # so 1 / (1 - 0.5) = 2 searches; 3 stays a person, all accepted.
    scenario = make_scenario({"=stages": {
        "training": {"duration": 1, "next": "job_search"},
        "job_search": {"duration": 0.5, "outcomes": {"job": 0.3, "job_search": 0.5, "benefit": 0.2}}}})
    assert limits.stays_per_person(scenario) == pytest.approx(3.0)
    clients = run(scenario, 200, workers=1, keep_clients=True).clients.table()
    stays = clients[["training_visits", "job_search_visits"]].sum(axis=1).to_numpy()
    # Searches per person are geometric with mean 2 and sd sqrt(0.5) / 0.5 = 1.41.
    assert abs(stays.mean() - 3.0) <= 4 * 1.41 / np.sqrt(len(stays)), stays.mean()


def test_the_reference_is_well_inside_the_limits():
    estimate = limits.estimate(load_scenario(REFERENCE), 1000)
    assert 100 < estimate.people_per_replication < 200
    assert estimate.memory_bytes < 1e9 and not estimate.problems()


def test_the_api_refuses_the_same_runs():
    with pytest.raises(ScenarioError) as raised:
        load_scenario(REFERENCE, {"referrals.rate_per_month": 1e9})
    assert "people per replication" in str(raised.value)
    # A scenario changed without being checked again is still refused by the run.
    reference = load_scenario(REFERENCE)
    unchecked = reference.model_copy(update={"referrals": reference.referrals.model_copy(
        update={"rate_per_month": 1e9})})
    with pytest.raises(ScenarioError) as raised:
        run(unchecked, 5, workers=1)
    assert "people per replication" in str(raised.value)
    with pytest.raises(ScenarioError) as raised:
        run(reference, 20_000_000, workers=1)
    assert "at most 10,000,000 replications" in str(raised.value)
