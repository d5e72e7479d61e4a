"""The experiments as a user runs them from the command line: sensitivity,
replications, runs with uncertainty, and the executor options."""

import re

import pandas as pd
import pytest
from typer.testing import CliRunner

from sim import cli as cli_module
from sim.cli import app
from sim.output.fields import label
from sim.scenario.files import load_scenario
from tests.conftest import REFERENCE

cli = CliRunner()


def test_replications_command_reports_and_writes_the_narrowing(tmp_path):
    out = tmp_path / "precision"
    result = cli.invoke(app, ["replications", "brunssum_logistics_2021", "--outcome", "placed", "--precision",
                              "0.02", "--workers", "1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Placed in paid work:" in result.output and "replications give a mean of" in result.output
    table = pd.read_csv(out / "precision_placed.csv")
    assert {"replications", "mean", "half_width", "precision"} <= set(table.columns)
    assert (out / "plots" / "precision_placed.png").is_file()


def test_replications_refuses_a_precision_that_is_not_a_fraction(tmp_path):
    result = cli.invoke(app, ["replications", "brunssum_logistics_2021", "--precision", "2",
                              "--out", str(tmp_path / "p")])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "--precision: 2: expected a fraction of the mean between 0 and 1, e.g. 0.02"]
    assert not (tmp_path / "p").exists()


def test_run_warns_when_the_headline_interval_is_wider_than_5_percent(tmp_path, write_yaml):
    # 20 people placed with chance 0.5: sd sqrt(5), so 4 replications leave a
    # half-width of about 3.18 x 2.24 / 2 / 10 = 36 % of the mean; 400 about 2 %.
    path = write_yaml("name: coin\nhorizon_months: 12\nreferrals: {process: cohorts, every_months: 12, "
                      "cohort_size: 20}\nstages: {training: {duration: 3, outcomes: {job: 0.5, benefit: 0.5}}}\n")
    few = cli.invoke(app, ["run", str(path), "-n", "4", "--workers", "1", "--out", str(tmp_path / "few")])
    assert few.exit_code == 0, few.output
    assert "Warning: the 95 % interval of the mean of placed in paid work is ±" in few.output
    many = cli.invoke(app, ["run", str(path), "-n", "400", "--workers", "1", "--out", str(tmp_path / "many")])
    assert many.exit_code == 0, many.output
    assert "Warning" not in many.output


def test_sensitivity_command_writes_indices_tornado_and_plots(tmp_path):
    out = tmp_path / "sensitivity"
    result = cli.invoke(app, ["sensitivity", str(REFERENCE), "--method", "morris", "--samples", "2", "-n", "3",
                              "--outcome", "placed", "--workers", "1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    indices = pd.read_csv(out / "indices.csv")
    assert list(indices.columns) == ["outcome", "parameter", "mu_star", "mu_star_conf", "sigma", "mu"]
    assert set(indices["parameter"]) == set(load_scenario(REFERENCE).uncertain)
    assert (out / "one_at_a_time.csv").is_file() and (out / "points.csv").is_file()
    assert {p.name for p in (out / "plots").iterdir()} == {"indices_placed.png", "one_at_a_time_placed.png"}
    assert "Which assumptions move placed in paid work most (screening)" in result.output


def test_sobol_table_names_the_assumptions_and_their_shares_in_words_and_warns_as_its_plot(tmp_path, monkeypatch):
    monkeypatch.setattr(cli_module.out, "_width", 250)  # a label whole on its line
    out = tmp_path / "indices"
    result = cli.invoke(app, ["sensitivity", str(REFERENCE), "--samples", "8", "-n", "2", "--workers", "1",
                              "--out", str(out)])
    assert result.exit_code == 0, result.output
    shown = result.output.replace(str(out), "")
    for path in load_scenario(REFERENCE).uncertain:
        assert path not in shown and label(path) in shown, path
    for jargon in ("sobol", "total index", "first-order"):
        assert jargon not in shown.lower(), jargon
    assert "What the spread of placed in paid work depends on: 120 combinations x 2 replications" in shown
    assert "share of the spread, with its interplay with the others" in shown
    assert "share of the spread, on its own" in shown
    assert re.search(r"│ +\d+ % ± \d+ % │", shown)
    # Each table says what its plot warns of, once, below it.
    indices = pd.read_csv(out / "indices.csv").groupby("outcome")
    above = sum(bool((rows["first_order"] > rows["total"]).any()) for _, rows in indices)
    negative = sum(bool((rows[["first_order", "total"]] < 0).to_numpy().any()) for _, rows in indices)
    assert above and negative  # so small a design shows both
    assert shown.count("Warning: for some assumptions 'on its own' is above 'with its interplay'") == above
    assert shown.count("A share below zero is chance in the estimate: read it as about zero.") == negative
    # Money in thousands of euros, as every other table shows it.
    assert "Net present value (€ thousand) with the assumption at its low / high end" in shown
    swings = pd.read_csv(out / "one_at_a_time.csv").set_index(["outcome", "parameter"])
    npv = swings.loc["npv"].sort_values("swing").iloc[-1]
    assert f"{npv['at_low'] / 1000:,.0f} / {npv['at_high'] / 1000:,.0f}" in shown
    assert f"{npv['at_low']:,.0f}" not in shown


@pytest.mark.parametrize("arguments, message", [
    (["--outcome", "placedd"], "--outcome: placedd: not an outcome of this scenario"),
    (["--method", "fast"], "--method: fast: expected one of sobol, morris"),
])
def test_sensitivity_refuses_bad_requests_in_one_line(tmp_path, arguments, message):
    result = cli.invoke(app, ["sensitivity", str(REFERENCE), *arguments, "--out", str(tmp_path / "s")])
    assert result.exit_code == 2
    assert result.output.strip().splitlines()[0].startswith(message)
    assert not (tmp_path / "s").exists()


def test_sensitivity_needs_uncertain_parameters(tmp_path, write_yaml):
    path = write_yaml("name: plain\nhorizon_months: 12\nreferrals: {process: cohorts, every_months: 12, "
                      "cohort_size: 5}\nstages: {training: {duration: 3, outcomes: {job: 1.0}}}\n")
    result = cli.invoke(app, ["sensitivity", str(path), "--out", str(tmp_path / "s")])
    assert result.exit_code == 2
    assert "names no uncertain parameters" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_run_with_uncertainty_needs_an_uncertain_section(tmp_path, write_yaml):
    path = write_yaml("name: plain\nhorizon_months: 12\nreferrals: {process: cohorts, every_months: 12, "
                      "cohort_size: 5}\nstages: {training: {duration: 3, outcomes: {job: 1.0}}}\n")
    result = cli.invoke(app, ["run", str(path), "--with-uncertainty", "--out", str(tmp_path / "r")])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "--with-uncertainty: scenario plain names no uncertain parameters (an uncertain: section; see "
        "docs/sensitivity.md)"]
    assert not (tmp_path / "r").exists()


def test_run_with_uncertainty_plots_chance_beside_chance_and_ignorance(tmp_path):
    out = tmp_path / "uncertain"
    result = cli.invoke(app, ["run", str(REFERENCE), "--with-uncertainty", "-n", "40", "--workers", "1",
                              "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "uncertain assumptions drawn for each run" in " ".join(result.output.split())
    assert {"uncertainty_placed.png", "pays_for_itself.png"} <= {p.name for p in (out / "plots").iterdir()}


def test_a_scheduler_that_is_not_an_address_is_one_line_and_exit_2(tmp_path):
    pytest.importorskip("distributed", reason="the dask extra is not installed")
    result = cli.invoke(app, ["run", "-n", "5", "--out", str(tmp_path / "out"),
                                      "--executor", "dask", "--scheduler", "nonsense://x"])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("cannot reach the Dask scheduler at nonsense://x: ")
    assert not (tmp_path / "out").exists()
