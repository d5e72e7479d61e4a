"""The report for a council member: every figure from the results folder,
and a page a real browser renders."""

import json
import re
import subprocess
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest
from ruamel.yaml import YAML
from typer.testing import CliRunner

from sim.cli import app
from sim.output.report import HEADLESS_FLAGS, METHOD, find_browser
from tests.conftest import REFERENCE

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


def test_every_number_in_the_report_comes_from_the_results_folder(reference_report):
    folder, html = reference_report
    page = _Figures()
    page.feed(html)
    outside = "".join(page.outside)
    assert not re.search(r"\d", outside), re.findall(r".{30}\d.{30}", outside)[:5]
    summary = json.loads((folder / "summary.json").read_text())
    manifest = json.loads((folder / "manifest.json").read_text())
    scenario = YAML(typ="safe", pure=True).load((folder / "scenario.yaml").read_text())
    replications = pd.read_csv(folder / "replications.csv")
    checked = 0
    for source, shown in page.figures:
        file, _, path = source.partition("#")
        if file == "method":
            assert shown == str(METHOD[path])
        elif file == "summary.json":
            path, _, scale = path.partition("/")
            path, _, times = path.partition("*")
            value = _node(summary, path)
            if isinstance(value, str):  # a reason or a warning, in words
                assert shown == value, (source, shown)
                checked += 1
                continue
            value = value * float(times or 1) / float(scale or 1)
            if shown.startswith(("over ", "under ")):  # a share never rounded to a certainty
                bound = float(shown.split(" ")[1])
                assert (value > bound) if shown.startswith("over") else (value < bound), (source, shown, value)
            else:
                assert _matches(shown, value), (source, shown, value)
        elif file == "replications":
            outcome, _, level = path.partition(">")
            assert _matches(shown, 100 * np.mean(replications[outcome] > float(level))), (source, shown)
        elif file == "scenario.yaml":
            allowed = _all_numbers(_node(scenario, path))
            for number in _numbers(shown):
                assert any(_matches(number, value) for value in allowed), (source, shown, allowed)
            if not _numbers(shown):  # a name: the key itself, or a word of the value
                key = path[len("uncertain."):] if path.startswith("uncertain.") else path.split(".")[-1]
                assert shown == key or shown.split(" ")[-1] in str(_node(scenario, path)), source
        elif file == "manifest.json":
            node = _node(manifest, path)
            expected = " ".join(node) if isinstance(node, list) else str(node)
            assert shown in expected or shown.split(" ")[-1] == expected, (source, shown, expected)
        else:
            raise AssertionError(f"unknown source {source}")
        checked += 1
    assert checked > 40
    # The key sentences a council member reads first, in words: chances as counts of runs.
    text = re.sub(r"<[^>]+>", "", html)
    target, pays = summary["target"], summary["pays_for_itself"]
    assert target["outcome"] == "off_assistance"
    assert f"{target['at_least']} or more off assistance in {target['hits']} of {target['runs']} runs (" in text
    assert f"Pays for itself in {pays['hits']} of {pays['runs']} runs (" in text
    assert "Assumption uncertainty is included" in text


def test_the_report_embeds_its_plots_and_needs_no_other_file(reference_report):
    folder, html = reference_report
    images = re.findall(r'<img [^>]*src="([^"]+)"', html)
    assert len(images) >= 8 and all(src.startswith("data:image/png;base64,") for src in images)
    assert not re.search(r'(src|href)="(?!data:)', html)


@pytest.mark.skipif(find_browser() is None, reason="no Chromium installed (Debian's chromium package; .ci/run "
                                                   "installs it)")
def test_a_real_browser_renders_the_report_on_a_phone_without_errors(reference_report, tmp_path):
    folder, _ = reference_report
    screenshot = tmp_path / "phone.png"
    browser = subprocess.run(
        [find_browser(), *HEADLESS_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--window-size=412,1600",
         f"--screenshot={screenshot}", "--enable-logging=stderr", "--v=0", (folder / "report.html").as_uri()],
        capture_output=True, text=True, timeout=120,
    )
    assert browser.returncode == 0, browser.stderr[-2000:]
    # The page has no scripts and loads nothing, so the console must stay silent.
    console = [line for line in browser.stderr.splitlines() if "CONSOLE" in line or "net::ERR" in line]
    assert console == []
    import matplotlib.pyplot as plt

    pixels = plt.imread(screenshot)[:, :, :3]
    assert pixels.shape[:2] == (1600, 412)
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
