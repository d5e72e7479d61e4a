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
def test_figures_used_to_build_a_scenario_lie_within_the_simulated_90_percent_interval(path):
    # Input and fitted figures: a scenario that did not reproduce them would
    # not be the scenario it claims to be. Held-out figures are reported in
    # validation.md whatever they show, never tuned to.
    observed = load_observed(path)
    scenario = load_scenario(resolve(observed.scenario))
    table = backtest(scenario, observed, replications=300, workers=1)
    assert len(table) == len(observed.observations)
    outside = table[~table["within_90"] & (table["role"] != "held_out")]
    assert outside.empty, outside.to_string()


def test_an_observed_file_with_an_unknown_outcome_is_reported(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("scenario: x\nsource: y\nobservations:\n  - {outcome: placd, month: 3, value: 1, role: held_out}\n")
    with pytest.raises(ScenarioError, match=r"bad.yaml:4:15: observations.0.outcome: unknown outcome 'placd'"):
        load_observed(path)


@pytest.mark.parametrize("line, message", [
    ("{outcome: placed, month: 3, value: 1}", "observations.0.role: required"),
    ("{outcome: placed, month: 3, value: 1, role: guessed}", "observations.0.role: must be one of"),
    ("{outcome: placed, month: 3, value: 1, role: fitted}",
     "a figure with role fitted says which parameters it set (used_for)"),
])
def test_every_figure_says_what_it_was_used_for(tmp_path, line, message):
    path = tmp_path / "roles.yaml"
    path.write_text(f"scenario: x\nsource: y\nobservations:\n  - {line}\n")
    with pytest.raises(ScenarioError) as caught:
        load_observed(path)
    assert message in str(caught.value.problems[0])
