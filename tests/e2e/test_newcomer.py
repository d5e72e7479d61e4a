"""Slips a newcomer makes, and what pilotsim should answer."""

from __future__ import annotations

import re
import shlex

import pytest
from scipy import stats
from typer.testing import CliRunner

from sim.cli import app
from tests.conftest import REFERENCE

cli = CliRunner()

COHORT = """\
name: cohort
horizon_months: 6
referrals: {process: cohorts, every_months: 100, cohort_size: 20}
stages:
  course: {duration: 1, outcomes: {job: 0.6, benefit: 0.4}}
start: 2021-01
budget: {}
"""


@pytest.fixture
def cohort(write_yaml):
    return write_yaml(COHORT, "cohort.yaml")


def test_size_says_undecided_when_the_replication_cap_leaves_it_open(cohort, tmp_path):
    result = cli.invoke(app, ["size", str(cohort), "--vary", "referrals.cohort_size=20:80", "--target", "placed>=20",
                              "--confidence", "0.8", "-n", "20", "--max-replications", "40", "--workers", "1",
                              "--out", str(tmp_path / "sized")])
    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.split())
    found = re.search(r"undecided between (\d+) and (\d+) at 40 replications", text)
    assert found, text
    low, high = map(int, found.groups())
    # The exact answer: the smallest cohort whose Binomial(n, 0.6) placements
    # reach 20 with at least 80 % probability; what is said to be open holds it.
    exact = next(n for n in range(20, 81) if stats.binom.sf(19, n, 0.6) >= 0.8)
    assert low <= exact <= high, (low, exact, high)
    assert "in at least 80 % of runs:" not in text  # no answer claimed where it is open


def test_size_refuses_a_field_that_does_not_change_the_target(cohort, tmp_path):
    out = tmp_path / "sized"
    result = cli.invoke(app, ["size", str(cohort), "--vary", "budget.costs.per_placement=1:50",
                              "--target", "placed>=12", "-n", "20", "--workers", "1", "--out", str(out)])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "budget.costs.per_placement" in lines[0] and "no effect on placed" in lines[0]
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["cohort.yaml"]


def test_the_suggested_replications_command_works_as_printed(cohort, tmp_path):
    result = cli.invoke(app, ["run", str(cohort), "-n", "5", "--workers", "1", "--set", "name=renamed",
                              "--set", "referrals.cohort_size=12", "--out", str(tmp_path / "run")])
    assert result.exit_code == 0, result.output
    suggestion = re.search(r"\((pilotsim replications .*?) says how many\)", " ".join(result.stderr.split()))
    assert suggestion, result.stderr
    arguments = shlex.split(suggestion.group(1))[1:]
    assert "name=renamed" in arguments and "referrals.cohort_size=12" in " ".join(arguments)
    again = cli.invoke(app, [*arguments, "--max", "60", "--workers", "1", "--out", str(tmp_path / "how_many")])
    assert again.exit_code == 0, again.output


def test_an_unknown_scenario_name_gets_a_suggestion_and_the_list(tmp_path):
    result = cli.invoke(app, ["run", "brunsum_logistics_2021"])
    assert result.exit_code == 2
    line = result.stderr.strip()
    assert "\n" not in line
    assert "did you mean brunssum_logistics_2021?" in line and "heerlen_2018" in line


def test_new_writes_a_commented_starting_scenario_that_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = cli.invoke(app, ["new", "my_programme"])
    assert result.exit_code == 0, result.output
    written = tmp_path / "my_programme.yaml"
    text = written.read_text()
    assert "name: my_programme" in text and "ASSUMPTION" in text and "# " in text
    assert cli.invoke(app, ["validate", str(written)]).exit_code == 0
    ran = cli.invoke(app, ["run", str(written), "-n", "5", "--workers", "1"])
    assert ran.exit_code == 0, ran.output
    assert (tmp_path / "results" / "my_programme" / "manifest.json").is_file()
    again = cli.invoke(app, ["new", "my_programme"])  # never over a user's file
    assert again.exit_code == 2 and "exists" in again.stderr
    assert written.read_text() == text


#: Commands that run replications: each can choose the engine.
SIMULATING = {"run", "compare", "sweep", "size", "calibrate", "sensitivity", "replications", "validate"}
COMMANDS = ["run", "budget", "compare", "sweep", "size", "calibrate", "sensitivity", "replications", "report",
            "validate", "list", "new"]


@pytest.mark.parametrize("columns", [60, 80, 120])
def test_help_never_cuts_an_option_name(columns):
    for command in COMMANDS:
        # terminal_width: what Click reads from a terminal that wide.
        result = cli.invoke(app, [command, "--help"], terminal_width=columns)
        assert result.exit_code == 0, (command, result.output)
        text = result.output
        names = {option for option in re.findall(r"--[a-z][a-z-]+", text)}
        assert "…" not in text, (command, columns)
        assert all(len(line) <= columns for line in text.splitlines()), (command, columns)
        expected = {"--help"} | ({"--out"} if command != "list" else set()) | (
            {"--engine"} if command in SIMULATING else set())
        for option in expected:
            assert option in names, (command, option)


def test_validate_report_goes_to_results_validation_and_nowhere_else(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    # Where the report goes without --out, not what it finds: a quick one. With --out it goes
    # there (tests/e2e/test_cli.py::test_validate_report_writes_every_back_test_and_exact_check).
    result = cli.invoke(app, ["validate", "--report", "-n", "20", "--candidates", "12"])
    assert result.exit_code == 0, result.output
    assert "Erlang C" in (tmp_path / "results" / "validation" / "validation.md").read_text()
    assert sorted(path.name for path in tmp_path.iterdir()) == ["results"]
    assert sorted(path.name for path in (tmp_path / "results").iterdir()) == ["validation"]


FIELD_MESSAGES = {
    "a month that does not exist": (
        REFERENCE.read_text().replace('start: "2021-11"', 'start: "2021-13"'),
        "start: must be a year and month as YYYY-MM (e.g. 2021-11), got '2021-13'"),
    "a list for the whole file": ("- name: x\n- horizon_months: 3\n", "expected a mapping of fields, got a list"),
    "a list where a mapping belongs": (
        REFERENCE.read_text().replace("target: {off_assistance: 78}", "target: [78]"),
        "target: must be a mapping of fields, got a list"),
    "a list for a number": (REFERENCE.read_text().replace("rate_per_month: 7.0", "rate_per_month: [7]"),
                            "referrals.rate_per_month: must be a number, got a list"),
    # Places may be a schedule, a list of periods: a list of numbers is read as one.
    "a list of numbers for places": (REFERENCE.read_text().replace("slots: 50", "slots: [50]"),
                                     "stages.training.slots.0: must be a mapping of fields, got 50"),
    "a mapping for text": (REFERENCE.read_text().replace("name: brunssum_logistics_2021", "name: {a: 1}"),
                           "name: must be text, got a mapping"),
    "text for a chance": (REFERENCE.read_text().replace("acceptance: 0.9", "acceptance: most"),
                          "referrals.acceptance: must be a number, got 'most'"),
}


@pytest.mark.parametrize("case", FIELD_MESSAGES)
def test_each_field_error_gives_its_own_rule_and_the_kind_in_words(tmp_path, case):
    text, expected = FIELD_MESSAGES[case]
    path = tmp_path / "scenario.yaml"
    path.write_text(text)
    result = cli.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert any(line.endswith(expected) for line in lines), lines
    assert "Commented" not in result.stderr


def test_a_missing_file_named_like_a_shipped_scenario_gets_the_suggestion(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = cli.invoke(app, ["run", "brunssum_logistics_2021.yaml"])
    assert result.exit_code == 2
    assert result.stderr.strip() == ("brunssum_logistics_2021.yaml: file not found; did you mean the shipped "
                                     "scenario brunssum_logistics_2021 (pilotsim run brunssum_logistics_2021)?")
