"""Sizing against a case with a closed form."""

from scipy import stats

from sim.analysis.sizing import size
from sim.analysis.sweep import parse_vary
from tests.conftest import make_scenario


def test_sizing_finds_the_binomial_answer():
    # A single cohort of N people, no limit on places, each placed with chance
    # 0.6. The smallest N with P(Binomial(N, 0.6) >= 20) >= 0.8 is 37
    # (P = 0.818 at 37, 0.764 at 36). With up to 6,400 replications a probe's
    # standard error is 0.005, so both neighbours are decided (3.6 and 7
    # standard errors from 0.8).
    p, needed, confidence = 0.6, 20, 0.8
    exact = next(n for n in range(needed, 200) if stats.binom.sf(needed - 1, n, p) >= confidence)
    assert exact == 37
    scenario = make_scenario({"referrals": {"cohort_size": 20},
                              "stages": {"training": {"duration": 1, "outcomes": {"job": p, "benefit": 1 - p}}}})
    result = size(scenario, parse_vary("referrals.cohort_size=20:80:1", scenario), ("placed", needed), confidence,
                  seed=8, workers=1)
    assert result.answer == exact
    below, at = result.probes[exact - 1].chance, result.probes[exact].chance
    assert below.high < confidence <= at.low  # both sides decided by their 95 % intervals
    # Replications went where the answer is decided: far fewer at the range's ends.
    assert result.probes[80].replications < result.probes[exact].replications


def test_a_target_out_of_reach_says_so():
    scenario = make_scenario({"referrals": {"cohort_size": 5}})
    result = size(scenario, parse_vary("referrals.cohort_size=5:10:1", scenario), ("placed", 50), 0.8,
                  seed=8, workers=1)
    assert result.answer is None and result.probes[10].chance.probability == 0


def test_minimise_picks_the_cheapest_value_that_reaches_the_target():
    # Every cohort size from the answer up reaches the target; the mean number
    # waiting grows with the cohort, so the smallest is also the least waiting.
    scenario = make_scenario({"referrals": {"cohort_size": 20},
                              "stages": {"training": {"slots": 10, "outcomes": {"job": 0.6, "benefit": 0.4}}}})
    result = size(scenario, parse_vary("referrals.cohort_size=20:60:1", scenario), ("placed", 20), 0.8,
                  seed=8, workers=1, minimise="mean_wait_months")
    assert result.minimised == ("mean_wait_months", result.answer)


def test_the_plot_says_undecided_where_the_command_does():
    # The replication cap can leave an answer standing and the search open
    # (answer 52, undecided between 51 and 52): the plot must not claim 52.
    from types import SimpleNamespace

    import pandas as pd

    from sim.output.sizing import sizing_plot

    open_answer = SimpleNamespace(path="stages.training.slots", target=("placed", 60.0), confidence=0.8, by_month=30,
                                  answer=52, undecided=(51, 52), high=100)
    table = pd.DataFrame({"value": [51, 52], "chance": [0.79, 0.81], "chance_low": [0.78, 0.8],
                          "chance_high": [0.8, 0.82], "replications": [6400, 6400]})
    from sim.api import load
    from tests.conftest import REFERENCE

    figure = sizing_plot(open_answer, load(REFERENCE), table)
    title = figure.axes[0].get_title()
    assert "undecided between 51 and 52" in title and " give " not in title
