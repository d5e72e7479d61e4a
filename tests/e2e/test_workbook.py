"""results.xlsx: the figures a budget officer puts into the municipal budget,
as numbers with their formats, equal to the run's own tables."""

from __future__ import annotations

import pandas as pd
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from sim.api import shipped_scenarios
from sim.cli import app
from tests.conftest import REFERENCE

cli = CliRunner()


def run(folder, *arguments):
    result = cli.invoke(app, ["run", *arguments, "-n", "40", "--workers", "1", "--out", str(folder)])
    assert result.exit_code == 0, result.output
    return load_workbook(folder / "results.xlsx")


def rows_by_first_cell(sheet, header_row: int) -> dict:
    header = [cell.value for cell in sheet[header_row]]
    return {row[0].value: dict(zip(header, row)) for row in sheet.iter_rows(min_row=header_row + 1) if row[0].value}


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    folder = tmp_path_factory.mktemp("workbook") / "reference"
    return folder, run(folder, str(REFERENCE))


def test_the_summary_holds_the_runs_figures_as_numbers_with_their_formats(reference):
    folder, workbook = reference
    assert workbook.sheetnames == ["Summary", "Money per year", "Assumptions"]
    sheet = workbook["Summary"]
    assert sheet["A1"].value == "Brunssum logistics learn-work pilot"
    assert sheet["A2"].value.startswith("78 or more off assistance in ")  # the run's sentences, then the table
    header = next(index for index, row in enumerate(sheet.iter_rows(values_only=True), 1) if row[0] == "outcome")
    rows = rows_by_first_cell(sheet, header)
    summary = pd.read_csv(folder / "summary.csv", index_col=0)
    placed, npv, places = rows["Placed in paid work"], rows["Net present value"], rows["Places in use"]
    # summary.csv keeps six significant digits; the workbook every digit.
    assert placed["mean"].value == pytest.approx(summary.at["placed", "mean"], rel=1e-5)
    assert placed["median"].value == pytest.approx(summary.at["placed", "q50"], rel=1e-5)
    assert npv["mean"].value == pytest.approx(summary.at["npv", "mean"], rel=1e-5)  # euros, not thousands
    assert npv["mean"].number_format.startswith('"€"') and places["mean"].number_format == "0.0%"
    assert rows["Break-even month"]["unit"].value == "month of the programme (1 = Nov 2021)"  # a number one can date
    assert places["mean"].value == pytest.approx(summary.at["slot_utilisation", "mean"], rel=1e-5)  # a share, as %


def test_money_per_year_equals_the_csv_and_the_assumptions_say_their_basis(reference):
    folder, workbook = reference
    money = pd.read_csv(folder / "money_per_year.csv", index_col="year")
    rows = rows_by_first_cell(workbook["Money per year"], 2)
    assert sorted(rows) == list(money.index)
    assert rows[2023]["costs: mean"].value == pytest.approx(money.at[2023, "costs_mean"])
    assert rows[2023]["months counted"].value == 12
    sheet = workbook["Assumptions"]
    header = [cell.value for cell in sheet[1]]
    by_field = {row[header.index("field")]: dict(zip(header, row))
                for row in sheet.iter_rows(min_row=2, values_only=True)}
    rate = by_field["referrals.rate_per_month"]
    assert rate["value"] == 7 and rate["basis"] == "assumption" and rate["assumption"] == "Referrals a month"
    assert by_field["employment.job_loss_hazard_per_month"]["basis"] == "source"
    acceptance = by_field["referrals.acceptance"]
    assert 0.8 < acceptance["probably at least"] < 0.9 < acceptance["probably at most"] < 1


def test_a_figure_not_estimated_is_an_empty_cell_never_zero(tmp_path):
    workbook = run(tmp_path / "heerlen", "heerlen_2018")
    sheet = workbook["Summary"]
    header = next(index for index, row in enumerate(sheet.iter_rows(values_only=True), 1) if row[0] == "outcome")
    npv = rows_by_first_cell(sheet, header)["Net present value"]
    assert npv["mean"].value is None and npv["median"].value is None and npv["unit"].value == "not estimated"


def test_the_workbook_is_in_the_chosen_language(tmp_path):
    workbook = run(tmp_path / "nl", str(REFERENCE), "--lang", "nl")
    assert workbook.sheetnames == ["Samenvatting", "Geld per jaar", "Aannames"]
    assert workbook["Samenvatting"]["A2"].value.startswith("78 of meer uit de bijstand in ")


@pytest.mark.parametrize("name", shipped_scenarios())
def test_every_shipped_scenario_runs_to_a_report_and_a_workbook(name, tmp_path):
    # Each shipped scenario has its own shape (a schedule of referrals, no
    # budget, several stages): every output a user gets must be written for each.
    folder = tmp_path / name
    workbook = run(folder, name)
    assert workbook.sheetnames[0] == "Summary"
    made = cli.invoke(app, ["report", str(folder)])
    assert made.exit_code == 0, made.output
    assert (folder / "report.html").stat().st_size > 10_000
    if name == "brunssum_innovation_2017":  # no budget: the report says money is not estimated, never silent
        assert "Money is not estimated" in (folder / "report.html").read_text(encoding="utf-8")
