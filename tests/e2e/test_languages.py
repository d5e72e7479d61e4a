"""Dutch for a Dutch council: the terminal, the plots and the report speak
Dutch with --lang nl, with Dutch number formats, and no English is left."""

from __future__ import annotations

import re

import numpy as np
import pytest
from matplotlib.text import Text
from typer.testing import CliRunner

from sim import api
from sim.cli import app
from sim.language import speaking
from sim.output.report import find_browser
from sim.output.run_figures import chance_and_ignorance_plots
from tests.conftest import REFERENCE
from tests.e2e.browser import screenshot

cli = CliRunner()

#: Words that mark English left in a Dutch output (none is Dutch as well).
ENGLISH = re.compile(r"\b(runs?|people|placed|months?|share|chance|median|thousand|waiting|target|pays|the|"
                     r"with|and|costs?|savings|until|replications?|written|warning)\b", re.IGNORECASE)


@pytest.fixture(scope="module")
def dutch_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("nl") / "reference"
    result = cli.invoke(app, ["run", str(REFERENCE), "-n", "60", "--workers", "1", "--lang", "nl", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out, result.output


def test_run_in_dutch_prints_dutch_words_and_dutch_numbers(dutch_run):
    _, output = dutch_run
    text = " ".join(output.split())
    assert "Terugverdienmaand" in text and "van de 60 simulaties" in text
    assert "Netto contante" in text and "duizend)" in text  # (the terminal here wraps labels at 80 columns)
    # A decimal comma, a thousands point, a Dutch calendar month.
    assert re.search(r"│ +\d+,\d │", output) and re.search(r"\b1\.\d{3}\b", output) and "okt 2026" in text
    # The sentences and the table's labels are Dutch throughout; the command
    # a user may type (--with-uncertainty) and the folder's path are not words.
    sentences = (text.replace("`pilotsim run --with-uncertainty`", "").replace(str(dutch_run[0]), "")
                 .replace("Brunssum logistics learn-work pilot", "")  # the scenario's own title
                 .replace(f"pilotsim replications {REFERENCE} --outcome npv", ""))
    assert ENGLISH.findall(sentences) == [], sentences


def plot_words(figure) -> list[str]:
    return [text.get_text() for text in figure.findobj(Text) if text.get_text().strip() and text.get_visible()]


@pytest.mark.parametrize("with_uncertainty", [False, True])
def test_every_word_on_the_run_plots_is_dutch(with_uncertainty):
    scenario = api.load(str(REFERENCE))
    result = api.run(scenario, replications=60, workers=1, with_uncertainty=with_uncertainty)
    with speaking("nl"):
        figures = api.figures(result)
        if with_uncertainty:
            plain = api.run(scenario, replications=60, workers=1)
            figures |= chance_and_ignorance_plots(plain.outcomes, result.outcomes, scenario)
        english = {name: ENGLISH.findall(" ".join(plot_words(figure))) for name, figure in figures.items()}
    assert len(figures) >= 7
    assert {name: found for name, found in english.items() if found} == {}
    with speaking("en"):
        assert "share of runs" in plot_words(api.figures(result)["placements.png"])


def test_the_report_in_dutch_is_dutch_apart_from_what_the_scenario_file_says(dutch_run):
    out, _ = dutch_run
    made = cli.invoke(app, ["report", str(out), "--lang", "nl"])
    assert made.exit_code == 0, made.output
    html = (out / "report.html").read_text(encoding="utf-8")
    assert '<html lang="nl">' in html and "In het kort" in html and "Geld per kalenderjaar" in html
    # The scenario's own words (its title, description, sources, the comments
    # over its figures, the names of its stages) are as its author wrote them.
    own = r'<span class="figure" data-source="(comment|scenario\.yaml#(description|sources|name|stages\.|segments\.))' \
          r'[^"]*">[^<]*</span>'
    words = re.sub(r"<[^>]+>", " ", re.sub(own, " ", re.sub(r"<(style|title|code)>.*?</\1>", " ", html, flags=re.S)))
    words = words.replace("Brunssum logistics learn-work pilot", "")
    assert ENGLISH.findall(words) == [], re.findall(r".{40}\b(?:" + ENGLISH.pattern[4:-3] + r")\b.{40}", words)[:5]
    assert re.search(r"\d,\d %", words)  # a Dutch decimal comma


def test_every_word_on_the_compare_sweep_size_and_sensitivity_plots_is_dutch():
    from sim.analysis.compare import compare
    from sim.analysis.sensitivity import sensitivity
    from sim.analysis.sizing import probes_table, size
    from sim.analysis.sweep import grid, parse_vary, sweep
    from sim.output.compare import plot as comparison_plot
    from sim.output.sensitivity import sensitivity_plots
    from sim.output.sizing import sizing_plot
    from sim.output.sweep import sweep_plots

    base = api.load(str(REFERENCE))
    wider = api.change(base, {"stages.training.slots": 60, "name": "wider", "title": "Met zestig plaatsen"})
    slots, rate = parse_vary("stages.training.slots=30:50:20", base), parse_vary("referrals.rate_per_month=5,7", base)
    swept = sweep(base, [slots, rate], grid([slots, rate]), 20, seed=1, workers=1)
    sized = size(base, parse_vary("stages.training.slots=20:60:40", base), ("placed", 60), 0.8, seed=1,
                 start_replications=20, max_replications=40, workers=1)
    screened = sensitivity(base, "morris", samples=4, outcomes=("placed", "npv"), replications=4, workers=1)
    with speaking("nl"):
        figures = {"differences.png": comparison_plot(compare([base, wider], replications=20, workers=1)),
                   **sweep_plots(swept, ("placed", 70), "grid"), "sizing.png": sizing_plot(sized, base,
                                                                                          probes_table(sized)),
                   **sensitivity_plots(screened)}
        english = {name: ENGLISH.findall(" ".join(plot_words(figure))) for name, figure in figures.items()}
    assert {"differences.png", "target_chance.png", "sizing.png", "indices_npv.png"} <= set(figures)
    assert {name: found for name, found in english.items() if found} == {}


@pytest.mark.skipif(find_browser() is None, reason="no Chromium installed (Debian's chromium package; .ci/run "
                                                   "installs it)")
def test_a_real_browser_shows_the_dutch_report_without_errors(dutch_run, tmp_path):
    out, _ = dutch_run
    made = cli.invoke(app, ["report", str(out), "--lang", "nl", "--out", str(tmp_path / "rapport.html")])
    assert made.exit_code == 0, made.output
    pixels = screenshot(tmp_path / "rapport.html", 900, 1400, tmp_path)
    assert pixels.std() > 0.05  # text and a summary box, not a blank page
    assert (pixels.mean(axis=2) < 0.5).mean() > 0.01  # dark text is there
    # The summary box (a light blue) is on the first screen, where a reader starts.
    summary_blue = np.all(np.abs(pixels - np.array([0xF1, 0xF6, 0xF9]) / 255) < 0.01, axis=2)
    assert summary_blue[:900].mean() > 0.05


def test_the_data_files_are_the_same_in_every_language(dutch_run, tmp_path):
    out, _ = dutch_run
    english = tmp_path / "en"
    result = cli.invoke(app, ["run", str(REFERENCE), "-n", "60", "--workers", "1", "--lang", "en", "--out",
                              str(english)])
    assert result.exit_code == 0, result.output
    # What a program reads does not change with the reader's language; only the words a person reads do.
    for name in ("summary.json", "summary.csv", "replications.csv", "money_per_year.csv", "scenario.yaml"):
        assert (out / name).read_bytes() == (english / name).read_bytes(), name
