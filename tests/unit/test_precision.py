"""How many replications: the sequential method of Hoad, Robinson and Davies."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from typer.testing import CliRunner

from sim.analysis.precision import enough, look_ahead, precision_table, replications_needed
from sim.cli import app
from tests.conftest import make_scenario

cli = CliRunner()


def test_precision_table_matches_the_t_interval_of_every_prefix():
    values = np.random.default_rng(4).gamma(2.0, 3.0, size=40) + 1000  # a large offset tests the accuracy
    table = precision_table(values)
    assert table["replications"].tolist() == list(range(3, 41))
    for n in (3, 10, 40):
        prefix = values[:n]
        low, high = stats.t.interval(0.95, n - 1, loc=prefix.mean(), scale=stats.sem(prefix))
        row = table[table["replications"] == n].iloc[0]
        assert row["mean"] == pytest.approx(prefix.mean(), rel=1e-12)
        assert row["half_width"] == pytest.approx((high - low) / 2, rel=1e-9)
        assert row["precision"] == pytest.approx((high - low) / 2 / prefix.mean(), rel=1e-9)


def test_the_look_ahead_is_five_then_five_percent():
    assert [look_ahead(n) for n in (3, 100, 101, 200, 1000)] == [5, 5, 5, 10, 50]


def test_a_precision_that_dips_below_the_target_and_rises_again_is_not_trusted():
    precision = [0.5] * 7 + [0.01, 0.03] + [0.01] * 20  # n = 3..31; dips at n = 10, settles from n = 12
    table = pd.DataFrame({"replications": np.arange(3, 3 + len(precision)), "precision": precision})
    assert enough(table, 0.02) == 12
    assert enough(table.iloc[:12], 0.02) is None  # n = 12 needs 5 more after it to be trusted


def test_binomial_placements_need_the_replications_the_formula_says():
    # 200 people, each placed with chance 0.5: placements have mean 100 and sd
    # sqrt(50), so a half-width of 2 % of the mean needs about
    # (1.96 x sqrt(50) / 2)^2 = 48 replications. The sample sd of about 48
    # values is off by about 1 / sqrt(2 x 48) = 10 %, so the answer varies by
    # about 20 %; two of those either side.
    scenario = make_scenario({"referrals": {"cohort_size": 200},
                              "stages": {"training": {"outcomes": {"job": 0.5, "benefit": 0.5}}}})
    result = replications_needed(scenario, ("placed",), 0.02, maximum=400, workers=1)
    expected = (1.96 * np.sqrt(50) / 2) ** 2
    assert 0.6 * expected <= result.replications <= 1.4 * expected
    row = result.tables["placed"].set_index("replications").loc[result.replications]
    assert row["precision"] <= 0.02


def test_replications_command_reports_and_writes_the_narrowing(tmp_path):
    out = tmp_path / "precision"
    result = cli.invoke(app, ["replications", "brunssum_logistics_2021", "--outcome", "placed", "--precision",
                              "0.02", "--workers", "1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "placed:" in result.output and "replications give a mean of" in result.output
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
    assert "Warning: the 95 % interval of the mean of placed is ±" in few.output
    many = cli.invoke(app, ["run", str(path), "-n", "400", "--workers", "1", "--out", str(tmp_path / "many")])
    assert many.exit_code == 0, many.output
    assert "Warning" not in many.output
