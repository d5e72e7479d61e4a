"""What a budget officer reads after a run: nothing false. Chances as counts
of runs, break-even with the runs that do not break even, and money a
scenario cannot support said to be not estimated, never zero."""

import json
import re

import pandas as pd
from typer.testing import CliRunner

from sim.cli import app

cli = CliRunner()


def run(tmp_path, *arguments: str) -> tuple[str, dict, pd.DataFrame]:
    out = tmp_path / "run"
    result = cli.invoke(app, ["run", *arguments, "--workers", "1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    return text, json.loads((out / "summary.json").read_text()), pd.read_csv(out / "replications.csv")


def test_a_horizon_at_which_few_runs_break_even_gives_no_median_and_counts_the_rest(tmp_path):
    # Money counted to month 44: the reference breaks even in about a fifth of the runs.
    text, summary, table = run(tmp_path, "-n", "60", "--set", "horizon_months=36",
                               "--set", "budget.count_until_month=44")
    broke_even = int(table["break_even_month"].notna().sum())
    assert 0 < broke_even < 30, broke_even  # fewer than half: the case the sentence is about
    # Month 44 of a pilot that starts in November 2021 ends June 2025.
    assert f"Breaks even by the end of Jun 2025 (month 44) in {broke_even} of 60 runs (" in text
    assert "Fewer than half of the runs break even by then, so there is no median month." in text
    assert "Half of the runs break even" not in text
    positive = int((table["npv"] > 0).sum())
    assert f"in {positive} of 60 runs (" in text
    # The table gives no mean over the runs that break even, and the spread ends "later than".
    row = re.search(r"Break-even month │ *│ *(.*?) │", text)
    assert row is not None and row.group(1).endswith("later than"), text
    assert "Jun 2025" in text[row.end():row.end() + 120]  # the cell's second line, at 80 columns
    assert summary["outcomes"]["break_even_month"]["mean"] is None
    assert summary["outcomes"]["break_even_month"]["q50"] is None
    assert summary["breaks_even"]["hits"] == broke_even


def test_all_but_one_run_is_never_called_a_hundred_percent(tmp_path):
    text, _, table = run(tmp_path, "-n", "40")
    positive = int((table["npv"] > 0).sum())
    shown = re.search(r"Pays for itself \(.*?\) in (\d+) of 40 runs \((.*?);", text)
    assert shown is not None and int(shown.group(1)) == positive
    assert (shown.group(2) == "100 %") == (positive == 40)
    assert "Assumption uncertainty is not included" in text


def test_a_scenario_without_costs_or_counterfactual_prints_not_estimated_never_zero(tmp_path):
    text, summary, table = run(tmp_path, "heerlen_2018", "-n", "4")
    # (The terminal is 80 columns wide here: labels wrap after these words.)
    for label in ("Net benefit savings", "Programme costs", "Net present value", "Benefit-cost ratio", "Cost per net",
                  "Break-even month", "Net into work"):
        assert re.search(label + r"[^│]*│ *not estimated", text), label
    assert " 0k " not in text and "month 0" not in text and "100 %" not in text
    assert "Whether the programme pays for itself: not estimated: the scenario does not say what would happen " \
           "without the programme (counterfactual)." in text
    assert "Warning: stage wvh_paid_job pays a wage (on_benefit: false)" in text
    assert table["npv"].isna().all() and table["total_costs"].isna().all()
    assert table["gross_savings"].notna().all()
    assert "net_savings" in summary["not_estimated"]


def test_recomputing_the_money_of_a_run_with_uncertainty_draws_the_same_assumptions(tmp_path):
    # The reference's costs, saved administration and other outflow are
    # uncertain: `pilotsim budget` must draw each run's values again, as the run did.
    out = tmp_path / "run"
    made = cli.invoke(app, ["run", "-n", "12", "--with-uncertainty", "--workers", "1", "--out", str(out)])
    assert made.exit_code == 0, made.output
    again = cli.invoke(app, ["budget", str(out), "--out", str(tmp_path / "again")])
    assert again.exit_code == 0, again.output
    ran, recomputed = pd.read_csv(out / "replications.csv"), pd.read_csv(tmp_path / "again" / "replications.csv")
    assert ran["total_costs"].nunique() > 1  # the costs were drawn per run
    pd.testing.assert_frame_equal(ran, recomputed, check_exact=False, rtol=1e-12)
    # A value set now wins over the draw: every run pays EUR 20,000 per participant.
    dearer = cli.invoke(app, ["budget", str(out), "--set", "budget.costs.per_participant=20000",
                              "--out", str(tmp_path / "dearer")])
    assert dearer.exit_code == 0, dearer.output
    repriced = pd.read_csv(tmp_path / "dearer" / "replications.csv")
    assert (repriced["total_costs"] >= 20000 * ran["started"]).all()
