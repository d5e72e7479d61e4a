"""Dutch for a Dutch council: the terminal, the plots and the report speak
Dutch with --lang nl, with Dutch number formats, and no English is left."""

from __future__ import annotations

import re
import subprocess
from contextlib import contextmanager

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.text import Text
from typer.testing import CliRunner

from sim import api
from sim import cli as cli_module
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


#: A scenario's field as its file names it (stages.training.slots): the user's to type, in no language.
FIELD_PATH = re.compile(r"\b[a-z_]+(?:\.[a-z_0-9]+)+\b")


def dutch_words(output: str, *own: str) -> list[str]:
    """English words left in a command's Dutch output, once what the user or a
    file wrote (paths, names, fields, commands to type) is taken out."""
    text = " ".join(output.split())
    for words in own:
        text = text.replace(words, " ")
    return ENGLISH.findall(FIELD_PATH.sub(" ", text))


@contextmanager
def wide_tables():
    """Tables as a wide terminal shows them, so that no field's path is cut across lines."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cli_module.out, "_width", 250)
        yield


#: The title of the scenario the calibrations fit: its file's words, in no language of pilotsim's.
INNOVATION = "Brunssum innovative approach with seven providers, 2017-2018"


@pytest.fixture(scope="module")
def calibrated(tmp_path_factory):
    """The same fit in Dutch and in English."""
    folder = tmp_path_factory.mktemp("calibrate")
    outputs = {}
    for lang in ("nl", "en"):
        with wide_tables():
            result = cli.invoke(app, ["calibrate", "brunssum_innovation_2017", "--samples", "12", "-n", "20",
                                      "--workers", "1", "--lang", lang, "--out", str(folder / lang)])
        assert result.exit_code == 0, result.output
        outputs[lang] = result.output
    return folder, outputs


def test_calibrate_answers_in_dutch(calibrated):
    folder, outputs = calibrated
    text = " ".join(outputs["nl"].split())
    for words in ("afgestemde parameters", "kandidaten in", "aannemelijk", "de gegevens begrenzen het niet naar boven",
                  "Gepubliceerde cijfers tegenover wat de afstemming voorspelt",
                  "Geplaatst in betaald werk, eind jul 2018 (maand 17)", "afgestemd", "invoer",
                  "Banen in deeltijd", "Afgestemd scenario en resultaten geschreven naar"):
        assert words in text, words
    assert re.search(r"│ +\d+(,\d)? % tot \d+(,\d)? % │", outputs["nl"])  # a share in percent, with a decimal comma
    assert dutch_words(outputs["nl"], str(folder / "nl"), INNOVATION) == []
    assert FIELD_PATH.findall(text.replace(str(folder / "nl"), "")) == []


def test_a_calibration_writes_the_same_files_in_every_language(calibrated):
    folder, _ = calibrated
    for name in ("brunssum_innovation_2017_calibrated.yaml", "parameters.csv", "fit.csv", "candidates.csv",
                 "posterior.csv"):
        assert (folder / "nl" / name).read_bytes() == (folder / "en" / name).read_bytes(), name
    # The fitted file is read by programs and people who edit scenarios: English, with points, as the others.
    fitted = (folder / "nl" / "brunssum_innovation_2017_calibrated.yaml").read_text()
    assert "# Fitted by pilotsim calibrate" in fitted and "the data do not bound it above" in fitted


def test_sensitivity_and_replications_answer_in_dutch(tmp_path):
    with wide_tables():
        screened = cli.invoke(app, ["sensitivity", str(REFERENCE), "--method", "morris", "--samples", "2", "-n", "3",
                                    "--outcome", "placed", "--workers", "1", "--lang", "nl", "--out",
                                    str(tmp_path / "s")])
    assert screened.exit_code == 0, screened.output
    text = " ".join(screened.output.split())
    assert "Welke aannames geplaatst in betaald werk het meest bewegen (verkenning): 28 combinaties x 3 simulaties" \
        in text
    assert "Uitval uit training" in text
    assert dutch_words(screened.output, str(tmp_path / "s")) == []
    assert FIELD_PATH.findall(text.replace(str(tmp_path / "s"), "")) == []
    with wide_tables():
        shares = cli.invoke(app, ["sensitivity", str(REFERENCE), "--samples", "8", "-n", "2", "--workers", "1",
                                  "--lang", "nl", "--out", str(tmp_path / "sobol")])
    assert shares.exit_code == 0, shares.output
    text = " ".join(shares.output.split())
    for words in ("Waar de spreiding van netto contante waarde van afhangt: 120 combinaties x 2 simulaties",
                  "aandeel van de spreiding, met de samenhang met de andere", "aandeel van de spreiding, op zichzelf",
                  "Netto contante waarde (€ duizend) met de aanname aan haar onder- / bovenkant",
                  "Een aandeel onder nul is toeval in de schatting"):
        assert words in text, words
    assert re.search(r"│ +\d+ % ± \d+ % │", shares.output)
    assert dutch_words(shares.output, str(tmp_path / "sobol")) == []
    assert FIELD_PATH.findall(text.replace(str(tmp_path / "sobol"), "")) == []
    needed = cli.invoke(app, ["replications", "brunssum_logistics_2021", "--workers", "1", "--lang", "nl", "--out",
                              str(tmp_path / "r")])
    assert needed.exit_code == 0, needed.output
    text = " ".join(needed.output.split())
    assert "Geplaatst in betaald werk:" in text and "simulaties geven een gemiddelde van" in text
    assert re.search(r"\b\d+,\d ± \d+,\d+ \(95 %-interval, \d,\d % van het gemiddelde; doel 2,0 %\)", text), text
    assert dutch_words(needed.output, str(tmp_path / "r")) == []


def test_size_answers_in_dutch(tmp_path):
    scenario = tmp_path / "cohort.yaml"
    scenario.write_text("name: cohort\nstart: '2024-01'\nhorizon_months: 6\n"
                        "referrals: {process: cohorts, every_months: 100, cohort_size: 20}\n"
                        "stages:\n  course: {duration: 1, outcomes: {job: 0.6, benefit: 0.4}}\n")
    said = {}
    for target in ("placed>=100", "placed>=20"):
        result = cli.invoke(app, ["size", str(scenario), "--vary", "referrals.cohort_size=20:80", "--target", target,
                                  "--by-month", "4", "-n", "1200", "--workers", "1", "--lang", "nl", "--out",
                                  str(tmp_path / target)])
        assert result.exit_code == 0, result.output
        said[target] = " ".join(result.stdout.split())
        assert dutch_words(result.stdout, str(tmp_path / target)) == []
    assert ("Niet gehaald: zelfs met “Mensen per groep” op 80 hebben 0 van de 1.200 simulaties ten minste 100 "
            "geplaatst in betaald werk uiterlijk eind apr 2024 (maand 4)") in said["placed>=100"]
    assert "2 waarden geprobeerd, 2.400 simulaties. De tabel toont de hoogste; probes.csv bevat ze allemaal." \
        in said["placed>=100"]
    assert re.search(r"Kleinste waarde van “Mensen per groep” met ten minste 20 geplaatst in betaald werk "
                     r"uiterlijk eind apr 2024 \(maand 4\) in ten minste 80 % van de simulaties: \d+",
                     said["placed>=20"])
    assert "De tabel toont die bij het antwoord; probes.csv bevat ze allemaal." in said["placed>=20"]


def test_validate_list_and_new_answer_in_dutch(tmp_path):
    written = tmp_path / "mijn_programma.yaml"
    new = cli.invoke(app, ["new", "mijn_programma", "--out", str(written), "--lang", "nl"])
    assert new.exit_code == 0, new.output
    assert "geschreven: een kopie van brunssum_logistics_2021 met de naam mijn_programma" in " ".join(
        new.output.split())
    assert dutch_words(new.output, str(written), "pilotsim validate", "pilotsim run") == []
    checked = cli.invoke(app, ["validate", str(written), "brunssum_innovation_2017", "--lang", "nl"])
    assert checked.exit_code == 0, checked.output
    assert checked.output.splitlines() == [f"{written}: geldig (mijn_programma, 2 fasen)",
                                           "brunssum_innovation_2017: geldig (brunssum_innovation_2017, 8 fasen)"]
    listed = cli.invoke(app, ["list", "--lang", "nl"])
    assert listed.exit_code == 0, listed.output
    assert "Meegeleverde scenario's (start er een met: pilotsim run NAAM)" in listed.output
    assert "beschrijving" in listed.output and "description" not in listed.output  # the descriptions are the files'


def test_the_validation_report_in_dutch(tmp_path):
    folder = tmp_path / "validatie"
    result = cli.invoke(app, ["validate", "--report", "--out", str(folder), "-n", "20", "--candidates", "12",
                              "--lang", "nl"])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert re.search(r"\d van de 1 achtergehouden cijfers binnen de gesimuleerde 90 %.* in overeenstemming met "
                     r"\d+ van de 11 afgestemde cijfers \(3 andere waren invoer\); 5 exacte controles", text), text
    assert dutch_words(result.output, str(folder)) == []
    report = (folder / "validation.md").read_text(encoding="utf-8")
    for words in ("# Validatie", "### Achtergehouden: toetsen van het model", "## Tegenover exacte uitkomsten",
                  "| controle | exact | gesimuleerd | standaardfout |", "Wet van Little", "(Erlang C), maanden",
                  "| groningen_1000_banen_2018 | ingestroomd in training", "kandidaten in", "tot 1.", "| ja |"):
        assert words in report, words
    # What the files of published figures say of each figure (notes, sources) is theirs; pilotsim's words are Dutch.
    for english in ("# Validation", "Held out:", "Against exact results", "| check |", "| yes |", "Tests:",
                    "candidates in", " to 1,"):
        assert english not in report, english


#: A scenario with a problem of each kind a person often makes.
BAD = """name: Bad Name
horizon_months: -3
segments: {a: {share: 0.5}}
referrals: {process: poison, rate_per_month: x}
stages:
  training: {duration: {dist: weird, mean: 3}, next: nowhere, slotz: 3}
"""

#: Its problems in English, as pilotsim has always written them.
BAD_IN_ENGLISH = [
    "1:7: name: must be lower-case letters, digits, '-', '_' or '.', starting with a letter or digit, got 'Bad Name'",
    "2:17: horizon_months: must be at least 1, got -3",
    "3:11: segments: shares must sum to 1, got 0.5",
    "4:22: referrals.process: must be one of 'poisson', 'cohorts' or 'schedule', got 'poison'",
    "4:46: referrals.rate_per_month: must be a number, got 'x'",
    "6:3: stages: routing among training can never end: none of these stages has dropout or a route to job, benefit "
    "or exit",
    "6:24: stages.training.duration: unknown distribution 'weird' (expected one of: 'fixed', 'uniform', 'triangular', "
    "'exponential', 'gamma', 'lognormal', 'beta', 'truncated_normal', 'empirical')",
    "6:54: stages.training.next: unknown destination 'nowhere' (expected one of: job, benefit, exit, training)",
    "6:70: stages.training.slotz: unknown field (expected one of: slots, duration, dropout, lock_in, on_benefit, next, "
    "outcomes, description); did you mean 'slots'?",
]


def test_a_bad_scenario_is_one_dutch_line_per_problem(tmp_path):
    import sys

    path = tmp_path / "slecht.yaml"
    path.write_text(BAD)
    said = {}
    for lang in ("nl", "en"):
        completed = subprocess.run([sys.executable, "-m", "sim", "validate", str(path), "--lang", lang],
                                   capture_output=True, text=True, timeout=60)
        assert completed.returncode == 2 and completed.stdout == "", completed
        assert "Traceback" not in completed.stderr
        said[lang] = completed.stderr.splitlines()
    assert said["en"] == [f"{path}:{line}" for line in BAD_IN_ENGLISH]
    dutch = said["nl"]
    # The same problems at the same places, the fields as the file names them.
    assert [line.split(": ")[:2] for line in dutch] == [line.split(": ")[:2] for line in said["en"]]
    for words in ("moet bestaan uit kleine letters", "moet minstens 1 zijn, gegeven: -3",
                  "aandelen moeten samen 1 zijn, gegeven: 0.5", "moet een van deze zijn: 'poisson', 'cohorts' of",
                  "moet een getal zijn, gegeven: 'x'", "kan nooit eindigen", "onbekende verdeling 'weird'",
                  "onbekende bestemming 'nowhere' (verwacht een van:", "onbekend veld (verwacht een van:",
                  "bedoelt u 'slots'?"):
        assert sum(words in line for line in dutch) == 1, words
    messages = " ".join(line.split(": ", 2)[2] for line in dutch)
    assert ENGLISH.findall(messages) == [] and "got" not in messages and "expected" not in messages


def test_every_word_on_the_calibration_and_precision_plots_is_dutch():
    from sim.analysis.calibration import calibrate, check_fit
    from sim.analysis.precision import replications_needed
    from sim.output.calibration import fit_figure, parameter_figure
    from sim.output.precision import precision_plot

    plan = api.plan_calibrate("brunssum_innovation_2017", samples=12, replications=20, workers=1)
    fitted = calibrate(plan.base, plan.observed, 12, 20, workers=1)
    fit = check_fit(fitted, workers=1)
    needed = replications_needed(api.load(str(REFERENCE)), ("placed", "npv"), 0.05, 200, workers=1)
    with speaking("nl"):
        figures = {"parameters.png": parameter_figure(fitted), "fit.png": fit_figure(fitted, fit),
                   **{f"precision_{outcome}.png": precision_plot(needed, outcome) for outcome in ("placed", "npv")}}
        for figure in figures.values():
            FigureCanvasAgg(figure).draw()  # the ticks are labelled as they are drawn
        words = {name: plot_words(figure) for name, figure in figures.items()}
    english = {name: ENGLISH.findall(" ".join(found).replace("Brunssum logistics learn-work pilot", "")
                                     .replace(INNOVATION, "")) for name, found in words.items()}
    assert {name: found for name, found in english.items() if found} == {}
    parameters = " ".join(words["parameters.png"])
    assert "Aanmeldingen per maand: de gegevens begrenzen het niet naar boven" in parameters
    # Each parameter in its field's unit, as the terminal shows it: a share in percent.
    assert re.search(r"Banen in deeltijd: aannemelijk \d+(,\d)? % tot \d+(,\d)? % \(doorzocht 10 % tot \d+ %\)",
                     parameters), parameters
    assert re.search(r"mediaan \d+(,\d)? %", parameters) and "50 %" in words["parameters.png"]  # a tick
    assert re.search(r"vanaf \d+(,\d)? per maand", parameters) and "40" in words["parameters.png"]
    assert f"{INNOVATION}: wat de gepubliceerde cijfers over elke parameter zeggen" in parameters
    assert "Geplaatst in betaald werk, eind jul 2018 (maand 17)" in words["fit.png"]
    assert f"{INNOVATION}: gepubliceerde cijfers tegenover wat de afstemming voorspelt" in words["fit.png"]
    assert "halve breedte, % van het gemiddelde" in words["precision_placed.png"]
