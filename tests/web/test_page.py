"""The web page's logic, through Streamlit's AppTest: set a figure, run,
read the answer, compare variants, size, switch language; every figure
checked against the same run made through sim.api."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from sim import api
from sim.web.controls import control_key
from tests.conftest import PROJECT

PAGE = str(PROJECT / "sim" / "web" / "page.py")
RUNS = 200
REFERENCE = api.REFERENCE


def key(path: str) -> str:
    return control_key(api.load(REFERENCE), path)


@pytest.fixture
def page():
    """The page as a person first sees it, set to a small number of runs."""
    app = AppTest.from_file(PAGE, default_timeout=120)
    app.run()
    assert not app.exception
    app.text_input(key="replications").set_value(str(RUNS)).run()
    return app


def ask_for_places(app: AppTest, between: tuple[int, int], target: int) -> None:
    """Ask the sizing form for places in training (no run needed first)."""
    assert "Places in training" in app.selectbox(key="size_field:en").options
    app.selectbox(key="size_field:en").set_value("stages.training.slots").run()
    app.slider(key="size_range:stages.training.slots").set_value(between)
    app.number_input(key="size_target").set_value(target)
    next(button for button in app.button if button.key.startswith("FormSubmitter:sizing")).click().run()


def metric(app: AppTest, label: str) -> str:
    return next(shown.value for shown in app.metric if shown.label == label)


def test_a_run_answers_with_the_same_figures_as_the_api(page):
    page.button(key="run").click().run()
    assert not page.exception and not page.error
    scenario = api.load(REFERENCE)
    result = api.run(scenario, RUNS, seed=scenario.seed)
    chance = result.chance("off_assistance", 78)
    assert metric(page, "runs reaching the target") == f"{chance.hits} of {RUNS}"
    pays = result.chance("npv", 1e-9)
    assert metric(page, "runs in which it pays for itself") == f"{pays.hits:,} of {RUNS}"
    sentences, _warnings = api.headline(result)
    shown = [block.value for block in page.markdown]
    assert all(sentence in shown for sentence in sentences)
    assert len(page.get("vega_lite_chart")) == 4  # promise, where people are, money per year, pays for itself


def test_a_changed_figure_is_run_with_its_change(page):
    page.text_input(key=key("stages.training.slots")).set_value("20").run()
    page.button(key="run").click().run()
    assert not page.exception and not page.error
    fewer = api.change(api.load(REFERENCE), {"stages.training.slots": 20})
    result = api.run(fewer, RUNS, seed=fewer.seed)
    expected = api.column("off_assistance").formatted(result.summary().at["off_assistance", "mean"])
    assert metric(page, "Placed and off assistance at the horizon") == expected


def test_a_setting_that_does_not_fit_says_where_by_its_label_and_runs_nothing(page):
    page.button(key="run").click().run()
    # Lowest above most often: a triangle that cannot be, refused as in a file.
    page.text_input(key=key("stages.training.duration.low")).set_value("10").run()
    assert not page.exception
    assert page.error[0].value.startswith("**Months in training**: ")
    assert "stages.training" not in page.error[0].value  # the page's words, not the file's field path
    assert not [button for button in page.button if button.key == "run"]
    # The last answer stays, said to be of the settings it had.
    assert page.warning[0].value == "The answer below is of the last run, with the settings it had."
    assert metric(page, "runs reaching the target").endswith(f"of {RUNS}")


def test_a_figure_that_is_not_a_number_says_how_to_write_one(page):
    page.text_input(key=key("budget.costs.per_participant")).set_value("6.0,0").run()
    assert not page.exception
    assert page.error[0].value == ("**Cost per participant**: “6.0,0” is not a number: write, for example, "
                                   "1,500 or 2.5")


def test_a_dutch_figure_is_read_as_dutch_and_kept_across_a_switch_of_language(page):
    # A browser's number field read "6.000" as 6 in Dutch; the page reads it as six thousand.
    page.radio(key="language").set_value("nl").run()
    page.text_input(key=key("budget.costs.per_participant")).set_value("6.000").run()
    page.button(key="run").click().run()
    assert not page.exception and not page.error
    assert "    per_participant: 6000.0\n" in page.session_state["shown"][0]
    page.radio(key="language").set_value("en").run()
    assert page.text_input(key=key("budget.costs.per_participant")).value == "6,000"
    assert not page.error and not page.warning  # the same setting, the same run


def test_variants_are_compared_run_by_run(page):
    page.button(key="run").click().run()
    page.text_input(key="variant_name").set_value("fifty places").run()
    page.button(key="keep").click().run()
    page.text_input(key=key("stages.training.slots")).set_value("30").run()
    page.button(key="run").click().run()
    page.text_input(key="variant_name").set_value("thirty places").run()
    page.button(key="keep").click().run()
    assert not page.exception
    table = page.dataframe[0].value
    assert set(table["variant"]) == {"thirty places"}
    wait = table[table["outcome"] == "Mean wait (months)"].iloc[0]
    assert float(wait["this variant"]) > float(wait["fifty places"])  # fewer places, a longer wait


def test_the_sizing_question_is_answered_as_the_command_answers_it(page):
    ask_for_places(page, (40, 44), 30)
    assert not page.exception and not page.warning
    found = page.success[0].value
    assert found.startswith("Smallest value of “Places in training” with at least 30")
    # And what it costs there, as a run of that value says it.
    places = int(found.rsplit(":", 1)[1])
    at_answer = api.change(api.load(REFERENCE), {"stages.training.slots": places})
    costs = api.run(at_answer, RUNS, seed=at_answer.seed).summary().at["total_costs", "mean"]
    assert f"the programme costs € {api.column('total_costs').formatted(costs)} thousand on average" in \
        page.success[1].value


def test_the_page_speaks_dutch_when_asked(page):
    page.radio(key="language").set_value("nl").run()
    assert not page.exception
    assert page.title[0].value.startswith("Opleiden naar werk")
    page.button(key="run").click().run()
    assert metric(page, "simulaties die het doel halen").endswith(f"van de {RUNS}")


def test_an_uploaded_file_is_read_on_its_own_and_its_problems_name_it():
    text = api.scenario_text(api.load(REFERENCE))
    assert api.load_upload("mine.yaml", text.encode()).name == REFERENCE
    with pytest.raises(api.ScenarioError) as refused:
        api.load_upload("../../etc/mine.yaml", b"extends: /etc/passwd\nname: x\n")
    assert str(refused.value).startswith("mine.yaml:1:10: extends: an uploaded file must stand on its own")
    with pytest.raises(api.ScenarioError) as tagged:
        api.load_upload("tagged.yaml", b"name: !!python/object:os.system x\n")
    assert str(tagged.value).startswith("tagged.yaml:1:")


def test_one_persons_runs_and_variants_stay_in_their_session(page):
    page.text_input(key=key("stages.training.slots")).set_value("20").run()
    page.button(key="run").click().run()
    page.button(key="keep").click().run()
    other = AppTest.from_file(PAGE, default_timeout=120)
    other.run()
    assert not other.exception
    assert other.text_input(key=key("stages.training.slots")).value == "50"  # the scenario's own
    assert not other.metric and "variants" not in other.session_state
    assert other.info[0].value == "Set the figures on the left, then press Run."


def test_variants_keep_their_own_names_in_the_comparison(page):
    for places, name in ((50, "fifty"), (30, "thirty"), (70, "seventy")):
        page.text_input(key=key("stages.training.slots")).set_value(str(places)).run()
        page.button(key="run").click().run()
        page.text_input(key="variant_name").set_value(name).run()
        page.button(key="keep").click().run()
    table = page.dataframe[0].value
    placed = table[table["outcome"] == "Placed in paid work"].set_index("variant")["this variant"].astype(float)
    assert list(placed.index) == ["thirty", "seventy"] and placed["thirty"] < placed["seventy"]
    page.button(key="remove:0").click().run()  # the first kept goes: thirty is now compared against
    table = page.dataframe[0].value
    assert set(table["variant"]) == {"seventy"} and "fifty" not in table.columns
    page.button(key="remove:0").click().run()
    assert not page.dataframe and [shown.value for shown in page.markdown if shown.value == "**seventy**"]


def test_a_scenario_without_a_month_to_count_money_until_has_its_controls():
    app = AppTest.from_file(PAGE, default_timeout=120)
    app.run()
    app.selectbox(key="choice:en").set_value("heerlen_2018").run()
    assert not app.exception and not app.error


def test_a_target_not_reached_is_a_caution_not_a_success(page):
    ask_for_places(page, (40, 42), 130)
    assert not page.exception and not page.success
    assert page.warning[0].value.startswith("Not reached: even with “Places in training” at 42")
    # What holds it back: the mean hardly moves, and the other figure to size.
    assert page.warning[-1].value.startswith("From 40 to 42, the mean placed and off assistance at the horizon goes "
                                             "from ")
    assert page.warning[-1].value.endswith("try “Participants at most” under “what to size”, or a lower target.")


def test_the_downloaded_results_say_the_command_that_makes_them_again(page, tmp_path):
    import io
    import json
    import subprocess
    import sys
    import zipfile

    page.text_input(key=key("stages.training.slots")).set_value("40").run()
    page.button(key="run").click().run()
    page.button(key="prepare").click().run()
    assert not page.exception
    report = page.session_state["prepared"][2]["html"].decode("utf-8")
    assert '<meta name="generator" content="pilotsim report">' in report[:2000]
    zipfile.ZipFile(io.BytesIO(page.session_state["prepared"][2]["zip"])).extractall(tmp_path)
    folder = tmp_path / REFERENCE
    command = json.loads((folder / "manifest.json").read_text())["command"]
    assert command == ["pilotsim", "run", f"{REFERENCE}/scenario.yaml", "--replications", str(RUNS), "--seed",
                       str(api.load(REFERENCE).seed), "--lang", "en"]
    assert "Set by the web page: 40. The file had 50" in (folder / "scenario.yaml").read_text()
    again = tmp_path / "again"
    subprocess.run([sys.executable, "-m", "sim", *command[1:], "--out", str(again)], cwd=tmp_path, check=True,
                   capture_output=True)
    assert (again / "summary.csv").read_text() == (folder / "summary.csv").read_text()


def test_a_run_left_midway_is_not_run_again_by_the_next_draw(page, monkeypatch):
    # A person changes a figure while a long run goes on: Streamlit stops that
    # run at its next progress bar and draws the page anew. The page must then
    # not start the run it left all over again (without a progress bar,
    # keeping the cores busy for every session).
    from streamlit.runtime.scriptrunner_utils.exceptions import StopException

    def stopped_midway(*_args, on_progress=None, **_kwargs):
        on_progress(10)
        raise StopException()

    monkeypatch.setattr(api, "run", stopped_midway)
    page.number_input(key=key("seed")).set_value(4242).run()  # a run no earlier test has kept
    page.button(key="run").click().run()
    assert "shown" not in page.session_state
    monkeypatch.undo()
    page.run()
    assert not page.exception and page.info[0].value == "Set the figures on the left, then press Run."


def test_a_number_written_the_other_languages_way_is_asked_about_not_misread(page):
    page.text_input(key=key("budget.costs.per_participant")).set_value("6.000").run()
    assert page.error[0].value == ("**Cost per participant**: “6.000” could mean 6 or 6,000: write 6 or 6,000 for "
                                   "the one you mean")
    assert not [button for button in page.button if button.key == "run"]
    page.text_input(key=key("budget.costs.per_participant")).set_value("6,000").run()
    assert not page.error


def test_a_sizing_answer_is_not_shown_for_settings_it_was_not_found_with(page):
    ask_for_places(page, (40, 44), 30)
    assert page.success
    page.text_input(key=key("budget.costs.per_participant")).set_value("9,000").run()
    assert not page.success and not page.warning
    assert any(caption.value.startswith("The settings or the question changed since the last answer")
               for caption in page.caption)
    page.text_input(key=key("budget.costs.per_participant")).set_value("5,300").run()
    assert page.success  # the settings it was found with: the answer again


def test_the_scenario_download_is_named_after_the_programme_it_holds(page):
    page.button(key="run").click().run()
    page.selectbox(key="choice:en").set_value("groningen_1000_banen_2018").run()
    from streamlit.runtime.memory_media_file_storage import _calculate_file_id

    download = next(button for button in page.get("download_button") if button.proto.label
                    == "the scenario as set (YAML)")
    # Streamlit serves the file under a hash of its content, type and name.
    text = api.scenario_text(api.load("groningen_1000_banen_2018")).encode()
    served = download.proto.url.rsplit("/", 1)[1].split(".")[0]
    assert served == _calculate_file_id(text, "text/yaml", "groningen_1000_banen_2018.yaml")
    assert served != _calculate_file_id(text, "text/yaml", f"{REFERENCE}.yaml")


def test_places_that_follow_a_schedule_are_labelled_by_stage_and_month():
    from sim.web.controls import controls_for

    scheduled = api.change(api.load(REFERENCE), {"stages.training.slots": [{"from_month": 0, "places": 30},
                                                                          {"from_month": 12, "places": 60}]})
    labels = [control.label for control in controls_for(scheduled) if ".slots." in control.path]
    assert labels == ["Places in training from Nov 2021", "Places in training from Nov 2022"]
    with api.speaking("nl"):
        assert controls_for(scheduled)[3].label == "Plaatsen in training vanaf nov 2021"
    assert api.quoted_field("stages.training.slots.1.places") == \
        "“Places in training, period 2 of the schedule”"


EXAMPLES = PROJECT / "scenarios" / "examples"


def ask_for_a_forecast(app: AppTest, files: list[tuple[str, bytes]], as_of: int = 12) -> None:
    for uploader, (name, content) in zip(("state_upload", "stays_upload"), files, strict=False):
        app.file_uploader(key=uploader).set_value((name, content, "text/csv"))
    app.number_input(key="as_of").set_value(as_of)
    next(button for button in app.button if button.key.startswith("FormSubmitter:forecast")).click().run()


def test_a_forecast_from_uploaded_records_says_what_the_command_says(page):
    files = [(name, (EXAMPLES / name).read_bytes()) for name in ("brunssum_month12.csv", "brunssum_month12_stays.csv")]
    ask_for_a_forecast(page, files)
    assert not page.exception and not page.error
    scenario = api.load(REFERENCE)
    plan = api.plan_forecast(scenario, EXAMPLES / "brunssum_month12.csv", 12, replications=RUNS, seed=scenario.seed)
    words = api.forecast_words(api.run_forecast(plan))
    shown = [block.value for block in page.markdown]
    assert words["chance"] in shown and f"**{words['title']}**" in shown
    assert words["chance"].startswith("78 or more off assistance by the end of Oct 2025 (month 48): now ")
    tables = [table.value for table in page.dataframe]
    people = next(table for table in tables if "referred" in table.iloc[:, 0].tolist())
    assert people.values.tolist() == words["people"]["rows"]
    assert len(page.get("vega_lite_chart")) == 1  # (no run asked for: the forecast's chart alone)
    # A change of the settings asks for the forecast again rather than showing one made with others.
    page.text_input(key="replications").set_value("100").run()
    assert words["chance"] not in [block.value for block in page.markdown]
    assert any("press “Forecast from these records”" in caption.value for caption in page.caption)


def test_messy_records_are_refused_one_line_each_by_the_uploaded_files_name(page, tmp_path):
    state, _stays = api.write_state_file(api.load(REFERENCE), 12, tmp_path / "ours.csv", mistakes=True)
    ask_for_a_forecast(page, [("ours.csv", state.read_bytes())])
    assert not page.exception
    problems = page.error[0].value.split("\n\n")
    assert len(problems) == 3 and all(problem.startswith("ours.csv:") for problem in problems), problems


def test_a_forecast_without_records_asks_for_them(page):
    next(button for button in page.button if button.key.startswith("FormSubmitter:forecast")).click().run()
    assert [error.value for error in page.error] == ["Upload a state file first."]
