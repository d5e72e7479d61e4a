"""How chances and censored months are told: counts with intervals, never a
certainty that is not one, and no mean over the runs that happen to have a
value."""

import numpy as np
import pandas as pd
import pytest

from sim.language import speaking
from sim.measure.statistics import censored, chance_from_count, percent, summarise
from sim.output.statements import break_even_sentence, pays_sentence


@pytest.mark.parametrize(("share", "text"), [
    (0.0, "0 %"), (1.0, "100 %"), (0.52, "52 %"), (0.998, "99.8 %"), (0.9996, "over 99.9 %"),
    (0.002, "0.2 %"), (0.0004, "under 0.1 %"), (0.995, "99.5 %"),
])
def test_a_percentage_is_never_rounded_to_a_certainty(share, text):
    assert percent(share) == text


def test_all_but_one_run_is_not_a_hundred_percent():
    words = chance_from_count(499, 500, "npv", 0).in_words()
    assert words.startswith("499 of 500 runs (99.8 %;")
    assert "100 %" not in words
    assert chance_from_count(500, 500, "npv", 0).in_words().startswith("500 of 500 runs (100 %;")


def test_runs_that_do_not_break_even_count_as_later_in_the_quantiles():
    # 36 of 100 runs break even (months 30 to 35), the rest later than month 36.
    values = np.full(100, np.nan)
    values[:36] = np.linspace(30, 35, 36)
    table = pd.DataFrame({"break_even_month": values})
    summary = censored(summarise(table), 100, {"break_even_month": 36},
                       lambda name, q: float(np.quantile(values[:36], q)))
    row = summary.loc["break_even_month"]
    assert np.isnan(row["mean"]) and np.isnan(row["ci95_low"])  # no mean over the 36
    assert np.isnan(row["q50"]) and np.isnan(row["q95"])        # later than month 36
    # The 5 % quantile over all 100 runs falls among the 36: as np.quantile
    # with the others set beyond every month.
    assert row["q05"] == pytest.approx(np.quantile(np.where(np.isnan(values), 1e9, values), 0.05))
    assert row["n"] == 36 and row["runs"] == 100 and row["later_than"] == 36


def test_the_break_even_sentence_gives_no_median_when_fewer_than_half_break_even():
    document = {"pays_for_itself": {"hits": 36, "runs": 100}, "money_counted_until_month": 36,
                "breaks_even": {"by": "month 36", "hits": 36, "runs": 100},
                "outcomes": {"break_even_month": {"n": 36, "runs": 100, "later_than": 36, "q05": 31.0,
                                                  "q50": None, "q95": None}}}
    sentence = break_even_sentence(document)
    assert sentence.startswith("Breaks even by month 36 in 36 of 100 runs (36 %;")
    assert "no median" in sentence and "Half of the runs" not in sentence
    assert pays_sentence(document).startswith("Pays for itself (net present value above zero, money counted "
                                              "until month 36) in 36 of 100 runs")


def test_the_break_even_sentence_says_where_the_spread_runs_past_the_last_month():
    document = {"pays_for_itself": {"hits": 90, "runs": 100}, "money_counted_until_month": 48,
                "breaks_even": {"by": "month 48", "hits": 90, "runs": 100},
                "outcomes": {"break_even_month": {"n": 90, "runs": 100, "later_than": 48, "q05": 35.0,
                                                  "q50": 40.0, "q95": None}}}
    assert break_even_sentence(document).endswith(
        "Half of the runs break even by month 40; 90 % of runs between month 35 and later than month 48.")
    # With the calendar month of month 0, months are named; in Dutch, in Dutch.
    dated = document | {"start": "2021-11"}
    assert break_even_sentence(dated).endswith(
        "Half of the runs break even by Feb 2025; 90 % of runs between Sept 2024 and later than the end of "
        "Oct 2025 (month 48).")
    with speaking("nl"):
        assert break_even_sentence(dated) == (
            "Terugverdiend vóór eind okt 2025 (maand 48) in 90 van de 100 simulaties (90 %; 95 %-interval 83 % tot "
            "94 %). De helft van de simulaties is uiterlijk in feb 2025 terugverdiend; 90 % van de simulaties "
            "tussen sep 2024 en later dan eind okt 2025 (maand 48).")


def test_a_figure_not_estimated_is_said_so_with_its_reason():
    document = {"pays_for_itself": {"not_estimated": "not estimated: the scenario gives no costs (budget.costs)"},
                "not_estimated": {"break_even_month": "not estimated: the scenario gives no costs (budget.costs)"}}
    assert pays_sentence(document) == ("Whether the programme pays for itself: not estimated: the scenario gives no "
                                       "costs (budget.costs).")
    assert break_even_sentence(document).startswith("Break-even month: not estimated")


def test_a_month_drawn_for_each_run_is_not_told_as_one_month():
    drawn = "the month drawn for each run (36 to 84)"
    document = {"pays_for_itself": {"hits": 130, "runs": 200}, "money_counted_until_month": 60,
                "money_counted_until_drawn": [36, 84],
                "breaks_even": {"by": drawn, "hits": 130, "runs": 200},
                "outcomes": {"break_even_month": {"n": 130, "runs": 200, "later_than": 60, "q05": 40.0,
                                                  "q50": 55.0, "q95": None}}}
    sentence = break_even_sentence(document)
    assert sentence.startswith("Breaks even by the month drawn for each run (36 to 84) in 130 of 200 runs")
    assert sentence.endswith("between month 40 and later than the months counted.")
    assert "month 60" not in sentence + pays_sentence(document)
