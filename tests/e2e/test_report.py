"""The report for a council member: every figure from the results folder,
and a page a real browser renders."""

import json
import re
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest
from ruamel.yaml import YAML
from scipy import stats
from typer.testing import CliRunner

from sim.cli import app
from sim.output.report import METHOD, find_browser
from sim.scenario.files import notes_in
from tests.conftest import REFERENCE
from tests.e2e.browser import screenshot

cli = CliRunner()


@pytest.fixture(scope="module")
def reference_report(tmp_path_factory):
    folder = tmp_path_factory.mktemp("report") / "reference"
    run = cli.invoke(app, ["run", str(REFERENCE), "-n", "80", "--with-uncertainty", "--workers", "1",
                           "--out", str(folder)])
    assert run.exit_code == 0, run.output
    made = cli.invoke(app, ["report", str(folder)])
    assert made.exit_code == 0, made.output
    return folder, (folder / "report.html").read_text(encoding="utf-8")


class _Figures(HTMLParser):
    """The sourced figures of a page, and all text outside them (style aside)."""

    def __init__(self):
        super().__init__()
        self.figures, self.outside, self._source, self._in_style = [], [], None, False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "span" and "figure" in (attributes.get("class") or ""):
            self._source = attributes["data-source"]
            self.figures.append([self._source, ""])
        self._in_style = self._in_style or tag == "style"

    def handle_endtag(self, tag):
        if tag == "span":
            self._source = None
        if tag == "style":
            self._in_style = False

    def handle_data(self, data):
        if self._source is not None:
            self.figures[-1][1] += data
        elif not self._in_style:
            self.outside.append(data)


def _numbers(text: str) -> list[str]:
    return re.findall(r"-?\d[\d,]*\.?\d*", text)


def _matches(shown: str, value: float) -> bool:
    """``shown`` is ``value`` rounded to the digits shown."""
    decimals = len(shown.split(".")[1]) if "." in shown else 0
    return abs(float(shown.replace(",", "")) - value) <= 0.5 * 10**-decimals + 1e-9


def _node(data, path: str):
    for whole_keys in ("uncertain.", "versions."):  # their keys have dots of their own
        if path.startswith(whole_keys):
            return data[whole_keys[:-1]][path[len(whole_keys):]]
    for key in path.split("."):
        data = data[int(key)] if isinstance(data, list) else data[key]
    return data


def _all_numbers(node) -> list[float]:
    if isinstance(node, bool):
        return []
    if isinstance(node, (int, float)):
        return [float(node)]
    if isinstance(node, dict):
        return [n for value in node.values() for n in _all_numbers(value)]
    if isinstance(node, list):
        return [n for value in node for n in _all_numbers(value)]
    return [float(n.replace(",", "")) for n in _numbers(str(node))]


def _promise(values: np.ndarray, certainty: float) -> int:
    """The largest N with at least N in a share ``certainty`` of the runs, by counting."""
    return max(n for n in range(int(values.max()) + 1) if np.mean(values >= n) >= certainty)


def _quantile(spec: dict, level: float) -> float:
    """A quantile of a distribution as a scenario writes it (those the reference uses)."""
    if spec["dist"] == "uniform":
        return spec["low"] + level * (spec["high"] - spec["low"])
    if spec["dist"] == "beta":  # by its mean and sd: the method of moments
        mean, variance = spec["mean"], spec["sd"] ** 2
        common = mean * (1 - mean) / variance - 1
        return float(stats.beta.ppf(level, mean * common, (1 - mean) * common))
    raise AssertionError(f"no quantile for {spec['dist']} here")


def _calendar_agrees(shown: str, start: str, months: float) -> bool:
    """"the end of Oct 2023 (month 24)" or "Nov 2021": the calendar month in
    which ``months`` after ``start`` falls, and the month number if given."""
    month = pd.Period(start, freq="M") + max(int(np.ceil(months)) - 1, 0)
    numbers = [float(n.replace(",", "")) for n in _numbers(shown)]
    return (month.year in numbers and month.strftime("%b")[:3] in shown
            and all(n in (month.year, months) for n in numbers))


def check_figure_of_any_report(source: str, shown: str, notes: dict, manifest: dict) -> None:
    """The figures every report has: the method's constants, calendar months,
    the scenario file's comments, and the manifest's record of the run."""
    file, _, path = source.partition("#")
    if file == "method":
        assert shown == str(METHOD[path])
    elif file == "calendar":
        start, _, months = path.partition("+")
        assert _calendar_agrees(shown, start, float(months)), (source, shown)
    elif file == "comment":  # what the scenario file says of a figure, word for word
        assert shown == notes[path], (source, shown)
    elif file == "manifest.json":
        node = _node(manifest, path)
        expected = " ".join(node) if isinstance(node, list) else str(node)
        assert shown in expected or shown.split(" ")[-1] == expected, (source, shown, expected)
    else:
        raise AssertionError(f"unknown source {source}")


def check_scenario_figure(scenario: dict, path: str, shown: str) -> None:
    """``shown`` is the figure at ``path`` of a scenario file as read: a value
    (scaled by ``*factor``), a count of entries (``@count``), a quantile of an
    uncertain one (``@q05``), a share of two fields (``a/b``), a calendar
    month, or a name."""
    path, _, times = path.partition("*")
    if path.endswith("@count"):  # how many entries a section has
        allowed = [len(_node(scenario, path.removesuffix("@count")))]
    elif "@q" in path:  # where an uncertain figure probably lies: a quantile of what is known of it
        path, _, level = path.partition("@q")
        allowed = [_quantile(_node(scenario, path), int(level) / 100) * float(times or 1)]
    elif "/" in path:  # a share of two fields
        top, bottom = path.split("/")
        allowed = [_node(scenario, top) / _node(scenario, bottom) * float(times or 1)]
    else:
        allowed = [n * float(times or 1) for n in _all_numbers(_node(scenario, path))]
    start = scenario.get("start")
    for number in _numbers(shown):
        assert any(_matches(number, value) for value in allowed) or (
            start and _calendar_agrees(shown, start, max(allowed))), (path, shown, allowed)
    if not _numbers(shown):  # a name: the key itself, or a word of the value
        key = path[len("uncertain."):] if path.startswith("uncertain.") else path.split(".")[-1]
        value = _node(scenario, path)
        assert shown.replace(" ", "_") == key or shown.split(" ")[-1] in str(value) or isinstance(
            value, (dict, bool)), path


def check_run_report(folder, html):
    """Every number of a run's report is a figure traced to a file of its
    folder, and agrees with it. Returns the page's figures, the files they
    come from, and the folder's summary and scenario."""
    page = _Figures()
    page.feed(html)
    outside = "".join(page.outside)
    assert not re.search(r"\d", outside), re.findall(r".{30}\d.{30}", outside)[:5]
    summary = json.loads((folder / "summary.json").read_text())
    manifest = json.loads((folder / "manifest.json").read_text())
    forecast = json.loads((folder / "forecast.json").read_text()) if (folder / "forecast.json").is_file() else None
    text = (folder / "scenario.yaml").read_text()
    scenario = YAML(typ="safe", pure=True).load(text)
    notes = notes_in(text)
    replications = pd.read_csv(folder / "replications.csv")
    money = pd.read_csv(folder / "money_per_year.csv", index_col="year")
    checked, kinds = 0, set()
    for source, shown in page.figures:
        file, _, path = source.partition("#")
        kinds.add(file)
        if file in ("summary.json", "forecast.json"):
            path, _, scale = path.partition("/")
            path, _, times = path.partition("*")
            document = summary if file == "summary.json" else forecast
            value = (sum(_node(document, path.removesuffix("@sum")).values()) if path.endswith("@sum")
                     else _node(document, path))
            if isinstance(value, str):  # a reason or a warning, in words
                assert shown == value, (source, shown)
            elif isinstance(value, list):  # a range: each number shown is one of its ends
                assert all(any(_matches(n, v) for v in value) for n in _numbers(shown)), (source, shown)
            else:
                value = value * float(times or 1) / float(scale or 1)
                if shown.startswith(("over ", "under ")):  # a share never rounded to a certainty
                    bound = float(shown.split(" ")[1])
                    assert (value > bound) if shown.startswith("over") else (value < bound), (source, shown)
                else:
                    assert _matches(_numbers(shown)[0], value), (source, shown, value)
        elif file == "replications":
            if path.startswith("promise:"):
                _, outcome, certainty = path.split(":")
                assert int(shown) == _promise(replications[outcome].to_numpy(), int(certainty) / 100), source
            else:
                outcome, _, level = path.partition(">")
                assert _matches(shown, 100 * np.mean(replications[outcome] > float(level))), (source, shown)
        elif file == "money_per_year.csv":
            path, _, scale = path.partition("/")
            year, _, column = path.partition(".")
            value = int(year) if column == "year" else money.at[int(year), column] / float(scale or 1)
            assert _matches(_numbers(shown)[0], value), (source, shown, value)
        elif file == "scenario.yaml":
            check_scenario_figure(scenario, path, shown)
        else:
            check_figure_of_any_report(source, shown, notes, manifest)
        checked += 1
    return page, kinds, checked, summary, scenario


def test_every_number_in_the_report_comes_from_the_results_folder(reference_report):
    folder, html = reference_report
    page, kinds, checked, summary, scenario = check_run_report(folder, html)
    assert checked > 80
    assert {"summary.json", "replications", "money_per_year.csv", "calendar", "comment", "scenario.yaml"} <= kinds
    # The key sentences a council member reads first, in words: chances as counts of runs.
    text = re.sub(r"<[^>]+>", "", html)
    target, pays = summary["target"], summary["pays_for_itself"]
    assert target["outcome"] == "off_assistance"
    assert f"The plan: {target['at_least']} off assistance by the end of Oct 2025 (month 48), of 130 participants " \
           "(60 %). The simulation reaches that in " \
           f"{target['hits']} of {target['runs']} runs (" in text
    assert "What can be promised: at least " in text
    assert f"It pays for itself (net present value above zero, discounted) in {pays['hits']} of {pays['runs']} runs (" \
        in text
    assert "Uncertainty about the assumptions is included" in text
    # Every assumption says what it rests on.
    assert text.count("ASSUMPTION") >= 10 and "not stated" in text
    # Every uncertain figure shows where it probably lies, a distribution's parameter too.
    ranges = {source for source, _ in page.figures if source.endswith("@q05") or "@q05*" in source}
    assert len(ranges) == len(scenario["uncertain"]), sorted(ranges)
    assert "most often: 7.2 months to 10.8 months" in text


def test_a_forecasts_report_shows_what_happened_and_what_is_to_come_each_figure_from_its_folder(tmp_path):
    made = cli.invoke(app, ["state", "--as-of", "12", "--out", str(tmp_path / "state.csv")])
    assert made.exit_code == 0, made.output
    folder = tmp_path / "forecast"
    forecast = cli.invoke(app, ["forecast", "--state", str(tmp_path / "state.csv"), "--as-of", "12", "-n", "60",
                                "--workers", "1", "--out", str(folder)])
    assert forecast.exit_code == 0, forecast.output
    assert cli.invoke(app, ["report", str(folder)]).exit_code == 0
    html = (folder / "report.html").read_text(encoding="utf-8")
    page, kinds, _checked, _summary, _scenario = check_run_report(folder, html)
    assert "forecast.json" in kinds
    sources = {source for source, _shown in page.figures}
    assert {"forecast.json#target.now.hits", "forecast.json#target.at_start.hits",
            "forecast.json#people.placed.already", "forecast.json#money.total_costs.to_come.mean/1000"} <= sources
    text = " ".join(re.sub(r"<[^>]+>", "", html).split())
    assert "A forecast from the records as of the end of Oct 2022 (month 12)." in text
    assert ("This forecast continues the records of 89 people in state.csv as of the end of Oct 2022 (month 12) ("
            in text)
    assert ", with their stays in state_stays.csv." in text
    assert "78 or more off assistance by the end of Oct 2025 (month 48): from the records, in 0 of 60 runs (" in text
    assert "From the records: the target as it looks now beside how it looked at the start" in text


def test_the_report_embeds_its_plots_and_needs_no_other_file(reference_report):
    folder, html = reference_report
    images = re.findall(r'<img [^>]*src="([^"]+)"', html)
    assert len(images) >= 8 and all(src.startswith("data:image/png;base64,") for src in images)
    assert not re.search(r'(src|href)="(?!data:)', html)


@pytest.mark.skipif(find_browser() is None, reason="no Chromium installed (Debian's chromium package; .ci/run "
                                                   "installs it)")
def test_a_real_browser_renders_the_report_on_a_phone_without_errors(reference_report, tmp_path):
    folder, _ = reference_report
    pixels = screenshot(folder / "report.html", 412, 1600, tmp_path)
    assert pixels.std() > 0.05  # text and plots, not a blank page
    assert (pixels.mean(axis=2) < 0.5).mean() > 0.01  # dark text is there


@pytest.mark.skipif(find_browser() is None, reason="no Chromium installed")
def test_the_report_prints_to_pdf(reference_report, tmp_path):
    folder, _ = reference_report
    made = cli.invoke(app, ["report", str(folder), "--format", "pdf", "--out", str(tmp_path / "report.pdf")])
    assert made.exit_code == 0, made.output
    assert (tmp_path / "report.pdf").read_bytes()[:5] == b"%PDF-"


def test_report_refuses_a_folder_that_is_not_a_run(tmp_path):
    made = cli.invoke(app, ["report", str(tmp_path / "nothing")])
    assert made.exit_code == 2
    assert len(made.output.strip().splitlines()) == 1
    assert "no such folder" in made.output


def test_a_report_in_another_language_than_its_pictures_says_so_in_that_language(reference_report, tmp_path):
    folder, _ = reference_report
    made = cli.invoke(app, ["report", str(folder), "--lang", "nl", "--out", str(tmp_path / "rapport.html")])
    assert made.exit_code == 0, made.output
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", (tmp_path / "rapport.html").read_text(encoding="utf-8")))
    assert "De grafieken zijn in het Engels getekend" in text and "--lang nl" in text
    assert "English" not in text
