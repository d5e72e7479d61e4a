"""What if: a comparison's scenarios and a sweep's points side by side, in
what_if.csv, the report and the workbook, every figure traced to the runs."""

import json
import re

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook
from ruamel.yaml import YAML
from typer.testing import CliRunner

from sim.cli import app
from sim.output.report import find_browser
from sim.output.what_if import CHANGES_NAMED, SHOWN
from sim.scenario.files import notes_in
from tests.conftest import REFERENCE
from tests.e2e.browser import screenshot
from tests.e2e.test_report import _Figures, _matches, _numbers, check_figure_of_any_report, check_scenario_figure

cli = CliRunner()
RUNS = 60
#: The reference's target: 78 off assistance.
TARGET = ("off_assistance", 78)


def invoke(*arguments):
    result = cli.invoke(app, [str(argument) for argument in arguments])
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="module")
def comparison(tmp_path_factory):
    folder = tmp_path_factory.mktemp("what_if")
    more = folder / "more_places.yaml"
    more.write_text(f"extends: {REFERENCE}\nname: more_places\ntitle: Eighty places and more referrals\n"
                    "stages: {training: {slots: 80}}\nreferrals: {rate_per_month: 9}\n")
    invoke("compare", REFERENCE, more, "-n", RUNS, "--workers", 1, "--out", folder / "compare")
    invoke("report", folder / "compare")
    return folder / "compare"


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    folder = tmp_path_factory.mktemp("what_if") / "sweep"
    invoke("sweep", REFERENCE, "--vary", "stages.training.slots=30,50,70", "--vary", "referrals.rate_per_month=7,9",
           "-n", RUNS, "--workers", 1, "--out", folder)
    invoke("report", folder)
    return folder


def _wilson(hits: int, runs: int) -> tuple[float, float]:
    """The 95 % Wilson score interval, written out."""
    z = 1.959963984540054
    share = hits / runs
    centre = (share + z * z / (2 * runs)) / (1 + z * z / runs)
    half = z * np.sqrt(share * (1 - share) / runs + z * z / (4 * runs * runs)) / (1 + z * z / runs)
    return centre - half, centre + half


def _runs_of(folder) -> list[pd.DataFrame]:
    """Each option's runs, straight from the folder's per-run files."""
    manifest = json.loads((folder / "manifest.json").read_text())
    if "baseline" in manifest:
        return [pd.read_csv(folder / f"replications_{name}.csv")
                for name in [manifest["baseline"], *manifest["alternatives"]]]
    runs = pd.read_csv(folder / "replications.csv")
    return [table for _, table in runs.groupby("point", sort=True)]


@pytest.mark.parametrize("kind", ["comparison", "sweep"])
def test_the_table_of_options_is_counted_from_each_options_runs(kind, request):
    folder = request.getfixturevalue(kind)
    table = pd.read_csv(folder / "what_if.csv")
    options = _runs_of(folder)
    assert len(table) == (2 if kind == "comparison" else 6)
    for row, runs in zip(table.itertuples(), options):
        assert row.runs == len(runs) == RUNS
        for outcome in SHOWN:
            values = runs[outcome].dropna().to_numpy()
            for level, statistic in ((0.05, "q05"), (0.5, "q50"), (0.95, "q95")):
                assert getattr(row, f"{outcome}_{statistic}") == pytest.approx(np.quantile(values, level), rel=1e-9)
        hits = int((runs[TARGET[0]] >= TARGET[1]).sum())
        assert row.target_hits == hits and row.target_at_least == TARGET[1]
        assert (row.target_chance_low, row.target_chance_high) == pytest.approx(_wilson(hits, RUNS), abs=1e-9)
    if kind == "sweep":  # every combination once, as the points file says
        points = pd.read_csv(folder / "points.csv")
        assert table[["stages.training.slots", "referrals.rate_per_month"]].to_numpy().tolist() == \
            points[["stages.training.slots", "referrals.rate_per_month"]].to_numpy().tolist()


def _flat(data, path=()):
    """A scenario file's figures by dotted path (a distribution is one figure)."""
    if isinstance(data, dict) and "dist" not in data and data:
        return {key: value for name, item in data.items() for key, value in _flat(item, (*path, str(name))).items()}
    return {".".join(path): data}


@pytest.mark.parametrize("kind", ["comparison", "sweep"])
def test_every_number_in_the_what_if_report_comes_from_the_folder(kind, request):
    folder = request.getfixturevalue(kind)
    html = (folder / "report.html").read_text(encoding="utf-8")
    page = _Figures()
    page.feed(html)
    outside = "".join(page.outside)
    assert not re.search(r"\d", outside), re.findall(r".{30}\d.{30}", outside)[:5]
    table = pd.read_csv(folder / "what_if.csv")
    manifest = json.loads((folder / "manifest.json").read_text())
    differences = pd.read_csv(folder / "comparison.csv") if kind == "comparison" else None
    yaml = YAML(typ="safe", pure=True)
    files = {path.relative_to(folder).as_posix(): path.read_text()
             for path in [*folder.glob("scenarios/*.yaml"), *folder.glob("scenario.yaml")]}
    scenarios = {name: yaml.load(text) for name, text in files.items()}
    base_file = f"scenarios/{manifest['baseline']}.yaml" if kind == "comparison" else "scenario.yaml"
    notes = notes_in(files[base_file])
    kinds = set()
    for source, shown in page.figures:
        file, _, path = source.partition("#")
        path, _, scale = path.partition("/")
        path, _, times = path.partition("*")
        factor = float(times or 1) / float(scale or 1)
        kinds.add(file.split("@")[0])
        if file == "what_if.csv@count":
            assert shown == str(len(table))
        elif file == "what_if.csv@count-1":
            assert shown == str(len(table) - 1)
        elif file == "what_if.csv":
            row, _, name = path.partition(".")
            value = table.at[int(row), name]
            if pd.isna(value):
                assert shown == "not estimated", source
            elif shown.startswith(("over ", "under ")):  # a share never rounded to a certainty
                bound = float(shown.split(" ")[1])
                assert (value * factor > bound) if shown.startswith("over") else (value * factor < bound), source
            else:
                assert _matches(_numbers(shown)[0], value * factor), (source, shown, value)
        elif file == "comparison.csv":
            row, _, name = path.partition(".")
            assert _matches(_numbers(shown)[0], differences.at[int(row), name] * factor), (source, shown)
        elif "@changes-" in file:  # how many more figures an alternative changes than are named
            name = file.split("@")[0]
            before, after = _flat(scenarios[base_file]), _flat(scenarios[name])
            changed = {key for key in before.keys() | after.keys()
                       if key not in ("name", "title", "description", "sources", "replications", "seed")
                       and before.get(key) != after.get(key)}
            assert int(shown) == len(changed) - CHANGES_NAMED, (source, shown, sorted(changed))
        elif file in scenarios:
            check_scenario_figure(scenarios[file], source.partition("#")[2], shown)
        else:
            check_figure_of_any_report(source, shown, notes, manifest)
    assert {"what_if.csv", "method", base_file, "comment"} <= kinds
    if kind == "comparison":
        assert {"comparison.csv", "scenarios/more_places.yaml"} <= kinds
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html))
    # The options are named as a reader knows them, with what each changes.
    if kind == "comparison":
        assert "Eighty places and more referrals" in text
        assert "Places in training: 50 → 80" in text and "Referrals a month: 7 a month → 9 a month" in text
        assert "against the baseline:" in text
        # Shares apart are percentage points; a difference the same in every run says so.
        places_in_use = text[text.index("Places in use"):][:120]
        assert re.search(r"-?\d+\.\d pp \(-?\d+\.\d pp to -?\d+\.\d pp\)", places_in_use), places_in_use
    else:
        assert "Places in training: 30; Referrals a month: 7 a month" in text
        assert "Places in training and Referrals a month: 6 values tried" in text
    assert "Uncertainty about the assumptions is not included" in text
    assert "stages.training.slots" not in text


def test_the_workbook_has_the_table_of_options_as_numbers(comparison, sweep):
    for folder in (comparison, sweep):
        table = pd.read_csv(folder / "what_if.csv")
        sheet = load_workbook(folder / "results.xlsx")["What if"]
        header = [cell.value for cell in sheet[4]]
        placed = header.index("Placed in paid work: median") + 1
        reached = header.index("runs reaching 78 or more: placed and off assistance at the horizon") + 1
        for row_number, row in enumerate(table.itertuples(), start=5):
            assert sheet.cell(row_number, placed).value == pytest.approx(row.placed_q50)
            assert sheet.cell(row_number, reached).value == row.target_hits
            assert sheet.cell(row_number, reached + 2).number_format == "0.0%"
        npv = header.index("Net present value: median") + 1
        assert sheet.cell(5, npv).number_format.startswith('"€"')
    differences = load_workbook(comparison / "results.xlsx")["Differences"]
    assert differences.cell(1, 1).value == "option"
    assert differences.cell(2, 1).value == "Eighty places and more referrals"


def test_the_what_if_report_in_dutch_has_no_english(comparison, tmp_path):
    output = tmp_path / "rapport.html"
    invoke("report", comparison, "--lang", "nl", "--out", output)
    html = output.read_text(encoding="utf-8")
    text = re.sub(r"\s+", " ", re.sub(r"<(style|[^>]+)>", " ", html.split("<body>")[1]))
    assert "Wat als" in text and "tegenover de basis" in text
    for english in ("What if", "runs reaching", "against the baseline", "not estimated", "better in"):
        assert english not in text


@pytest.mark.skipif(find_browser() is None, reason="no Chromium installed (Debian's chromium package; .ci/run "
                                                   "installs it)")
def test_a_real_browser_shows_the_table_of_options(sweep, tmp_path):
    pixels = screenshot(sweep / "report.html", 1000, 1400, tmp_path)
    # The table's rows alternate text and rules down the page's first screen: a
    # table of six options has many dark rows, a page that failed has none.
    dark_rows = (pixels.mean(axis=2) < 0.4).any(axis=1)
    assert dark_rows.mean() > 0.3


@pytest.mark.parametrize("damage", [
    lambda folder: (folder / "what_if.csv").write_text("alternative,runs\nnot,a number\n"),
    lambda folder: (folder / "scenarios" / "more_places.yaml").unlink(),
    lambda folder: (folder / "comparison.csv").write_text(""),
], ids=["what_if.csv unreadable", "a scenario missing", "comparison.csv empty"])
def test_a_broken_comparison_folder_is_one_line_and_status_2(comparison, tmp_path, damage):
    import shutil

    folder = tmp_path / "compare"
    shutil.copytree(comparison, folder)
    (folder / "report.html").unlink()
    damage(folder)
    made = cli.invoke(app, ["report", str(folder)])
    assert made.exit_code == 2, made.output
    assert len(made.output.strip().splitlines()) == 1 and str(folder) in made.output
    assert not (folder / "report.html").exists()


def test_a_variant_that_keeps_its_files_title_is_called_by_its_name(tmp_path):
    variant = tmp_path / "sixty_places.yaml"
    variant.write_text(f"extends: {REFERENCE}\nname: sixty_places\nstages: {{training: {{slots: 60}}}}\n")
    invoke("compare", REFERENCE, variant, "-n", 20, "--workers", 1, "--out", tmp_path / "compare")
    invoke("report", tmp_path / "compare")
    text = re.sub(r"<[^>]+>", "", (tmp_path / "compare" / "report.html").read_text(encoding="utf-8"))
    assert "sixty_places against the baseline" in text and "brunssum_logistics_2021 (the baseline)" in text
    sheet = load_workbook(tmp_path / "compare" / "results.xlsx")["What if"]
    assert [sheet.cell(row, 1).value for row in (5, 6)] == ["brunssum_logistics_2021", "sixty_places"]


def test_report_refuses_a_folder_of_another_command_in_one_line(tmp_path):
    folder = tmp_path / "size"
    invoke("size", REFERENCE, "--vary", "stages.training.slots=40:42", "--target", "placed>=10", "-n", 20,
           "--max-replications", 40, "--workers", 1, "--out", folder)
    made = cli.invoke(app, ["report", str(folder)])
    assert made.exit_code == 2 and len(made.output.strip().splitlines()) == 1
    assert "written by pilotsim size: a report is made of the folder of pilotsim run, compare or sweep" in made.output
