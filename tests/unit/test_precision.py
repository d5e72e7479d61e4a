"""How many replications: the sequential method of Hoad, Robinson and Davies."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from typer.testing import CliRunner

from sim.analysis.precision import enough, look_ahead, precision_table, replications_needed
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


