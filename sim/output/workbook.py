"""results.xlsx: a run's figures for a budget officer's spreadsheet, so that
they go into the municipal budget without being typed again.

Four sheets, in the reader's language: the summary (each outcome with its
mean, the range of 90 % of runs and the 95 % interval of the mean, and the
run's sentences above it), money per calendar year, and the assumptions with
what the scenario file says of each. Cells hold numbers, not text: euros
as euros with a euro format, shares as shares with a percent format, so a
formula can use them; Excel shows them with the separators of its own
language. A figure that is not estimated is an empty cell with "not
estimated" beside it, never a zero.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from sim import language
from sim.language import _
from sim.measure.columns import column
from sim.measure.money import prices_in_words
from sim.output.fields import BASES, SECTIONS, assumptions, describe, label, unit
from sim.output.statements import headline_sentences

#: Excel's number formats by unit (the separators follow Excel's language).
FORMATS = {"people": "#,##0.0", "months": "0.00", "month": "0.0", "share": "0.0%", "ratio": "0.00",
           "EUR": '"€" #,##0;"€" -#,##0'}
HEADER = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DCE9F2")
NOTE = Font(italic=True, color="555555")


def write_workbook(path: Path, scenario, summary: pd.DataFrame, document: dict,
                   money_per_year: pd.DataFrame | None) -> Path:
    """Write results.xlsx for a run: its summary table, its ``document``
    (summary.json) in sentences, money per year and the assumptions."""
    workbook = Workbook()
    _summary_sheet(workbook.active, scenario, summary, document)
    if money_per_year is not None:
        _money_sheet(workbook.create_sheet(_("Money per year")), scenario, money_per_year, document)
    _assumptions_sheet(workbook.create_sheet(_("Assumptions")), scenario)
    workbook.save(path)
    return path


def write_what_if_workbook(path: Path, what_if) -> Path:
    """Write results.xlsx for a comparison or a sweep: the what-if table
    (``sim.output.what_if``), a comparison's paired differences, and the
    assumptions of the baseline."""
    workbook = Workbook()
    _what_if_sheet(workbook.active, what_if)
    if what_if.kind == "compare":
        _differences_sheet(workbook.create_sheet(_("Differences")), what_if)
    _assumptions_sheet(workbook.create_sheet(_("Assumptions")), what_if.baseline)
    workbook.save(path)
    return path


def _what_if_sheet(sheet, what_if) -> None:
    sheet.title = _("What if")
    baseline = what_if.baseline
    sheet.append([baseline.title or baseline.name])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append([_("Each option over {runs} runs on the same random numbers: the median and the range of 90 % of "
                    "runs.").format(runs=int(what_if.table["runs"].iloc[0]))])
    sheet["A2"].font = NOTE
    sheet.append([])
    headers = [_("option")]
    for name in what_if.outcomes:
        words = column(name).words
        headers += [f"{words}: {_('median')}", f"{words}: {_('5 % of runs below')}",
                    f"{words}: {_('95 % of runs below')}"]
    if what_if.target is not None:
        outcome, level = what_if.target
        headers += [_("runs reaching {level} or more: {outcome}").format(
            level=f"{level:g}", outcome=column(outcome).words.lower()), _("runs"), _("chance"),
            _("95 % interval, low"), _("95 % interval, high")]
    _header(sheet, headers)
    for option, (_index, row) in zip(what_if.options(), what_if.table.iterrows()):
        cells: list = [option]
        formats = ["General"]
        for name in what_if.outcomes:
            cells += [_number(row[f"{name}_{statistic}"]) for statistic in ("q50", "q05", "q95")]
            formats += [FORMATS[column(name).unit]] * 3
        if what_if.target is not None and "target_hits" in row:
            cells += [int(row["target_hits"]), int(row["runs"]), _number(row["target_chance"]),
                      _number(row["target_chance_low"]), _number(row["target_chance_high"])]
            formats += ["0", "0", "0.0%", "0.0%", "0.0%"]
        sheet.append(cells)
        for cell, number_format in zip(sheet[sheet.max_row], formats):
            cell.number_format = number_format
    _widths(sheet, {1: 50} | {index: 16 for index in range(2, len(headers) + 1)})


def _differences_sheet(sheet, what_if) -> None:
    """A comparison's paired differences from comparison.csv: each alternative
    against the baseline, outcome by outcome."""
    differences = pd.read_csv(what_if.folder / "comparison.csv")
    headers = [_("option"), _("outcome"), _("baseline, mean"), _("option, mean"), _("difference"),
               _("95 % CI, low"), _("95 % CI, high"), _("share of runs better"), _("share of runs the same")]
    _header(sheet, headers)
    called = dict(zip(what_if.table["alternative"], what_if.options()))
    for _index, row in differences.iterrows():
        shown = column(row["outcome"])
        means = [_number(row[key]) for key in ("baseline_mean", "alternative_mean")]
        apart = [_number(row[key]) for key in ("difference", "ci95_low", "ci95_high")]
        if shown.unit == "share":  # shares apart in percentage points, as the report shows them
            apart = [None if value is None else 100 * value for value in apart]
        sheet.append([called[row["scenario"]], shown.words, *means, *apart,
                      _number(row["chance_better"]), _number(row["chance_same"])])
        for cell in sheet[sheet.max_row][2:4]:
            cell.number_format = FORMATS[shown.unit]
        for cell in sheet[sheet.max_row][4:7]:
            cell.number_format = _("0.0 \"pp\"") if shown.unit == "share" else FORMATS[shown.unit]
        for index in (8, 9):
            sheet.cell(sheet.max_row, index).number_format = "0.0%"
    _widths(sheet, {1: 40, 2: 44} | {index: 16 for index in range(3, 10)})


def _summary_sheet(sheet, scenario, summary: pd.DataFrame, document: dict) -> None:
    sheet.title = _("Summary")
    sheet.append([scenario.title or scenario.name])
    sheet["A1"].font = Font(bold=True, size=13)
    for sentence in headline_sentences(document):
        sheet.append([sentence])
    sheet.append([])
    headers = [_("outcome"), _("mean"), _("median"), _("5 % of runs below"), _("95 % of runs below"),
               _("95 % CI of mean, low"), _("95 % CI of mean, high"), _("unit"), _("what is counted")]
    _header(sheet, headers)
    missing = document.get("not_estimated", {})
    for name, row in summary.iterrows():
        shown = column(name)
        cells = [shown.words]
        if name in missing:
            cells += [None] * 6 + [_("not estimated"), _(missing[name])]
        else:
            cells += [_number(row[key]) for key in ("mean", "q50", "q05", "q95", "ci95_low", "ci95_high")]
            cells += [_unit_words(shown.unit, scenario.calendar_start), shown.meaning_words]
        sheet.append(cells)
        for cell in sheet[sheet.max_row][1:7]:
            cell.number_format = FORMATS[shown.unit]
    _widths(sheet, {1: 44, 2: 14, 3: 14, 4: 14, 5: 14, 6: 14, 7: 14, 8: 12, 9: 80})
    for index in range(2, len(headline_sentences(document)) + 2):
        sheet.cell(index, 1).alignment = Alignment(wrap_text=False)


def _money_sheet(sheet, scenario, table: pd.DataFrame, document: dict) -> None:
    items = [("costs", _("costs")), ("benefit_with", _("benefit paid with the programme")),
             ("benefit_without", _("benefit paid without the programme")),
             ("net_savings", _("net savings on benefits")), ("discounted_net", _("savings minus costs, discounted"))]
    headers = [_("year"), _("first month"), _("last month"), _("months counted")]
    for _key, words in items:
        headers += [f"{words}: {_('mean')}", f"{words}: {_('5 % of runs below')}",
                    f"{words}: {_('95 % of runs below')}"]
    sheet.append([_("Euros in {prices}; means and the range of 90 % of runs; a first or last year covers only the "
                    "months counted in it.").format(prices=prices_in_words(scenario))])
    sheet["A1"].font = NOTE
    _header(sheet, headers)
    for year, row in table.iterrows():
        cells = [int(year), row["first_month"], row["last_month"], _number(row["months_counted"])]
        for key, _words in items:
            cells += [_number(row[f"{key}_{statistic}"]) for statistic in ("mean", "q05", "q95")]
        sheet.append(cells)
        for cell in sheet[sheet.max_row][4:]:
            cell.number_format = FORMATS["EUR"]
        sheet.cell(sheet.max_row, 4).number_format = "General"  # 12 months, and 2.5 where a year starts mid-month
    if document.get("not_estimated"):
        sheet.append([])
        sheet.append([_("Empty cells: not estimated.")])
        sheet.cell(sheet.max_row, 1).font = NOTE
    _widths(sheet, {1: 8, 2: 12, 3: 12, 4: 10} | {index: 18 for index in range(5, len(headers) + 1)})


#: A scenario field's unit, as a spreadsheet cell formats its number.
FIELD_FORMATS = {"share": "0.00%", "share_year": "0.00%", "share_month": "0.00%", "EUR": '"€" #,##0',
                 "EUR_month": '"€" #,##0', "months": "0.0", "month": "0.0", "people": "#,##0",
                 "people_month": "0.0", "factor": "0.00", "year": "0"}


def _assumptions_sheet(sheet, scenario) -> None:
    start = scenario.calendar_start
    headers = [_("section"), _("assumption"), _("value"), _("value in words"), _("basis"),
               _("probably at least"), _("probably at most"), _("what the scenario file says"), _("field"),
               _("uncertain part")]
    _header(sheet, headers)
    for row in assumptions(scenario):
        kind = unit(row.path)
        sheet.append([_(SECTIONS.get(row.section, row.section)), label(row.path), row.number,
                      describe(row.path, row.value, start), _(BASES[row.kind]), row.low, row.high,
                      row.note or row.inherited or "", row.path, row.uncertain_part or ""])
        for index in (3, 6, 7):
            sheet.cell(sheet.max_row, index).number_format = FIELD_FORMATS.get(kind, "General")
    _widths(sheet, {1: 20, 2: 44, 3: 12, 4: 30, 5: 12, 6: 14, 7: 14, 8: 90, 9: 40, 10: 14})


def _header(sheet, headers: list[str]) -> None:
    sheet.append(headers)
    for cell in sheet[sheet.max_row]:
        cell.font, cell.fill = HEADER, HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = f"B{sheet.max_row + 1}"  # a coordinate: a cell made here would take the next row


def _widths(sheet, widths: dict[int, int]) -> None:
    for index, width in widths.items():
        sheet.column_dimensions[get_column_letter(index)].width = width


def _number(value) -> float | None:
    """A cell's number; empty where there is none (never a zero for a missing value)."""
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) else value


def _unit_words(unit_name: str, start: str | None = None) -> str:
    if unit_name == "month" and start is not None:  # a month number a reader can date
        return _("month of the programme (1 = {month})").format(month=language.calendar_month(start, 1))
    return {"people": _("people"), "months": _("months"), "month": _("month of the programme"),
            "share": _("share"), "ratio": _("ratio"), "EUR": _("euros")}[unit_name]
