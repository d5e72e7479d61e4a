"""Back-tests: each shipped scenario with published figures reproduces each
figure within its simulated 90 % interval.

A figure inside the 5-95 % range of 300 replications is one the scenario
could well have produced; the interval's ends are estimated to within about
a percentile at that number of replications.
"""

import pytest

from sim.analysis.backtests import backtest, load_observed, observed_folder
from sim.errors import ScenarioError
from sim.scenario.files import load_scenario
from sim.scenario.shipped import resolve

OBSERVED = sorted(observed_folder().glob("*.yaml"))


def test_there_are_observed_figures_to_test():
    assert {path.stem for path in OBSERVED} >= {"brunssum_logistics_2021", "brunssum_innovation_2017",
                                                 "groningen_1000_banen_2018", "heerlen_2018"}


@pytest.mark.parametrize("path", OBSERVED, ids=[path.stem for path in OBSERVED])
def test_published_figures_lie_within_the_simulated_90_percent_interval(path):
    observed = load_observed(path)
    scenario = load_scenario(resolve(observed.scenario))
    table = backtest(scenario, observed, replications=300, workers=1)
    assert len(table) == len(observed.observations)
    outside = table[~table["within_90"]]
    assert outside.empty, outside.to_string()


def test_an_observed_file_with_an_unknown_outcome_is_reported(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("scenario: x\nsource: y\nobservations:\n  - {outcome: placd, month: 3, value: 1}\n")
    with pytest.raises(ScenarioError, match=r"bad.yaml:4:15: observations.0.outcome: unknown outcome 'placd'"):
        load_observed(path)
