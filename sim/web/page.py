"""The page ``pilotsim app`` serves (a Streamlit script): choose or upload a
scenario, set its main figures, run it, read the answer, keep variants and
compare them, ask how many places are needed, and download the report, the
results and the scenario as set.

Streamlit runs this script from the top for each person's every click, in
that person's session: what one person sets and runs lives in their
``st.session_state`` only. Runs are cached by scenario, seed and number of
runs, so that an unchanged setting answers at once.
"""

from __future__ import annotations

import io
import math
import tempfile
import threading
import zipfile
from collections import OrderedDict
from pathlib import Path

import pandas as pd
import streamlit as st

from sim import api
from sim.api import _
from sim.web import charts
from sim.web.controls import Control, changes_from, control_key, controls_for

#: The largest scenario file a person may upload (a shipped one is under 20 kB).
MAX_UPLOAD_BYTES = 200_000
#: The largest state or stays file a person may upload (the Brunssum pilot's records at month 12 take 8 kB).
MAX_RECORDS_BYTES = 20_000_000
#: Variants a person may keep side by side.
MAX_VARIANTS = 3
#: The choice of programme that asks for a file of one's own.
UPLOAD = "(upload)"
#: Runs kept for all sessions (the reference's 1,000 runs take about 5 MB).
KEPT_RUNS = 16


@st.cache_resource(show_spinner=False)
def _kept_runs() -> tuple[OrderedDict, threading.Lock]:
    """Runs kept for every session, by the scenario as written, the number of
    runs and the seed: the same inputs give the same result for anyone, so
    an unchanged setting answers at once and nothing of a person's own leaks."""
    return OrderedDict(), threading.Lock()


def _run(scenario_text: str, replications: int, seed: int, progress=None) -> api.RunResult:
    kept, lock = _kept_runs()
    key = (scenario_text, replications, seed)
    with lock:
        if key in kept:
            kept.move_to_end(key)
            return kept[key]
    scenario = api.load_upload("scenario.yaml", scenario_text.encode())
    done = [0]

    def advance(count: int) -> None:
        done[0] += count
        if progress is not None:
            progress.progress(min(done[0] / replications, 1.0),
                              _("{done} of {runs} runs").format(done=api.number(done[0]),
                                                                 runs=api.number(replications)))

    with api.kept_workers():
        result = api.run(scenario, replications, seed=seed, on_progress=advance)
    with lock:
        kept[key] = result
        while len(kept) > KEPT_RUNS:
            kept.popitem(last=False)
    return result


def main() -> None:
    st.title(_("Training-to-work programmes: what the simulation says"))
    base = _choose_scenario()
    if base is None:
        return
    problems: list[str] = []
    scenario = _settings(base, problems)
    replications = _typed_number(_("simulated runs"), "replications", 1000, 20, 10_000, whole=True,
                                 problems=problems)
    seed = st.sidebar.number_input(_("seed (the same seed gives the same answer)"), min_value=0, value=base.seed,
                                   step=1, key=control_key(base, "seed"))
    settings = None
    if problems:
        st.error("\n\n".join(problems))
    elif scenario is not None:
        settings = (api.scenario_text(scenario), int(replications), int(seed))
        if st.button(_("Run"), type="primary", key="run"):
            progress = st.progress(0.0, _("Simulating {runs} runs...").format(runs=api.number(replications)))
            _run(*settings, progress=progress)
            progress.empty()
            # Only once it has finished: a run left by a change of settings midway is not run again
            # (without its progress bar) by the page drawn for that change.
            st.session_state["shown"] = settings
    shown = st.session_state.get("shown")
    if shown is None:
        st.info(_("Set the figures on the left, then press Run."))
    else:
        if settings is None:
            st.warning(_("The answer below is of the last run, with the settings it had."))
        elif shown != settings:
            st.warning(_("The settings changed since this run: press Run for their answer."))
        result = _run(*shown)
        _answer(result)
        _variants(result, shown)
    if settings is not None:
        _sizing(scenario, *settings[1:])
        _under_way(scenario, *settings[1:])
    if shown is not None:
        _downloads(result, shown, (settings[0], scenario.name) if settings is not None
                   else (shown[0], result.scenario.name))


def _choose_scenario() -> api.Scenario | None:
    """A shipped scenario, or one the person uploads (checked as any file)."""
    shipped = api.shipped_scenarios()
    # By file name, not words: the choice stays when the language changes.
    labels = {**_titles(), UPLOAD: _("upload a scenario file...")}
    choice = st.sidebar.selectbox(_("programme"), [*shipped, UPLOAD], format_func=labels.get,
                                  **_chosen("choice", shipped.index(api.REFERENCE)))
    if choice in shipped:
        scenario = _shipped(choice)
        if scenario.description:
            st.sidebar.caption(scenario.description)
        return scenario
    upload = st.sidebar.file_uploader(_("scenario file (YAML)"), type=["yaml", "yml"], key="upload")
    if upload is None:
        return None
    content = upload.getvalue()
    if len(content) > MAX_UPLOAD_BYTES:
        st.error(_("{name}: {size} bytes; a scenario file may have at most {limit}").format(
            name=upload.name, size=api.number(len(content)), limit=api.number(MAX_UPLOAD_BYTES)))
        return None
    try:
        return api.load_upload(upload.name, content)
    except api.ScenarioError as error:
        st.error("\n\n".join(str(problem) for problem in error.problems))
        return None


@st.cache_resource(show_spinner=False)
def _shipped(name: str) -> api.Scenario:
    """A shipped scenario, read once for every session (scenarios are frozen)."""
    return api.load(name)


@st.cache_data(show_spinner=False)
def _titles() -> dict[str, str]:
    """The shipped scenarios by the title their files give them (a person
    knows the programme by it, not by the file's name)."""
    return {name: api.load(name).title or name for name in api.shipped_scenarios()}


def _settings(base: api.Scenario, problems: list[str]) -> api.Scenario | None:
    """The scenario with the person's settings, or None (with the problems
    added to ``problems``, by the labels the person sees) where a setting
    does not fit."""
    st.sidebar.markdown("**" + _("The programme's main figures") + "**")
    st.sidebar.caption(_("Write numbers as {example}").format(
        example=_("{whole} or {part}").format(whole=api.entered(1500), part=api.entered(2.5))))
    controls = controls_for(base)
    settings = {control.path: _control(base, control, problems) for control in controls}
    if problems:
        return None
    try:
        return api.change(base, changes_from(base, settings), by="the web page")
    except api.ScenarioError as error:
        problems.extend(_in_labels(problem, controls) for problem in error.problems)
        return None


def _in_labels(problem: api.Problem, controls: list[Control]) -> str:
    """A problem of a setting by the label of its field, as the page shows it
    (the file's line and column mean nothing here)."""
    words = api.field_label(problem.field)
    if words == problem.field:  # no label of its own: the control that sets it, or a part of it
        words = next((control.label for control in controls if control.path == problem.field
                      or control.path.startswith(problem.field + ".")), problem.field)
    return f"**{words}**: {problem.message}"


def _control(base: api.Scenario, control: Control, problems: list[str]) -> float | None:
    key = control_key(base, control.path)
    if control.kind == "share":  # in percent, as people say it
        return st.sidebar.slider(control.label, 0.0, 100.0, float(round(100 * control.value, 1)), 0.5,
                                 format="%.1f %%", key=key) / 100
    return _typed_number(control.label, key, control.value, 0, control.high, control.kind == "count", problems)


def _typed_number(label: str, key: str, value: float, low: float, high: float, whole: bool,
                  problems: list[str]) -> float | None:
    """A number typed as the reader writes numbers ("6.000" is six thousand in
    Dutch); a browser's own number field would take "6.000" for 6 without a
    word. None, with the problem added, where it is not a number in range."""
    if key not in st.session_state:
        st.session_state[key] = api.entered(value)
    typed = st.sidebar.text_input(label, key=key)
    try:
        number = api.read_number(typed)
    except ValueError as error:
        problems.append(f"**{label}**: {error}")
        return None
    otherwise = api.read_otherwise(typed)
    if otherwise is not None and typed.strip() != api.entered(value):  # "6.000": six here, six thousand there
        problems.append(f"**{label}**: " + _("“{typed}” could mean {here} or {there}: write {here} or {there} "
                                             "for the one you mean").format(
            typed=typed.strip(), here=api.entered(number), there=api.entered(otherwise)))
        return None
    if not low <= number <= high or (whole and not number.is_integer()):
        problems.append(f"**{label}**: " + (_("a whole number from {low} to {high}, not {typed}") if whole else
                                            _("a number from {low} to {high}, not {typed}")).format(
            low=api.entered(low), high=api.entered(high), typed=typed.strip()))
        return None
    st.session_state.setdefault("numbers", {})[key] = number
    return number


def _retype_numbers(language: str) -> None:
    """After a switch of language, the numbers typed so far in the new
    language's way of writing them (a Dutch "6.000" is an English "6,000")."""
    if st.session_state.get("spoken", language) != language:
        with api.speaking(language):
            for key, number in st.session_state.get("numbers", {}).items():
                st.session_state[key] = api.entered(number)
    st.session_state["spoken"] = language


def _answer(result: api.RunResult) -> None:
    """The run in words, its key figures and its four charts."""
    sentences, warnings = api.headline(result)
    st.subheader(_("The answer"))
    for sentence in sentences:
        st.markdown(sentence)
    for warning in warnings:
        st.warning(warning)
    summary = result.summary()
    outcome = charts.promised_outcome(result)
    figures = [*st.columns(2), *st.columns(3)]  # five in one row cut their words
    figures[0].metric(api.column(outcome).words, api.column(outcome).formatted(summary.at[outcome, "mean"]),
                      help=_("mean over runs"))
    level = result.scenario.target.at_least
    if level is not None:
        chance = result.chance(outcome, level)
        figures[1].metric(_("runs reaching the target"), _("{hits} of {runs}").format(
            hits=api.number(chance.hits), runs=api.number(chance.replications)),
            help=chance.in_words())
    if "npv" in summary.index and summary.at["npv", "mean"] == summary.at["npv", "mean"]:
        figures[2].metric(api.column("total_costs").table_label,
                          api.column("total_costs").formatted(summary.at["total_costs", "mean"]),
                          help=_("mean over runs"))
        figures[3].metric(api.column("npv").table_label, api.column("npv").formatted(summary.at["npv", "mean"]),
                          help=_("mean over runs"))
        pays = result.chance("npv", 1e-9)
        figures[4].metric(_("runs in which it pays for itself"), _("{hits} of {runs}").format(
            hits=api.number(pays.hits), runs=api.number(pays.replications)), help=pays.in_words())
    st.markdown("**" + _("What the programme promises") + "**")
    st.altair_chart(charts.for_the_page(charts.placements(result)))
    st.markdown("**" + _("Where everyone referred is, month by month") + "**")
    st.altair_chart(charts.for_the_page(charts.where_people_are(result)))
    money = charts.money_per_year(result)
    if money is not None:
        st.markdown("**" + _("Money per calendar year") + "**")
        st.altair_chart(charts.for_the_page(money))
        st.markdown("**" + _("The chance the net present value is at least each amount") + "**")
        st.altair_chart(charts.for_the_page(charts.pays_for_itself(result)))


def _variants(result: api.RunResult, shown: tuple[str, int, int]) -> None:
    """Keep runs as variants and compare them, paired on the same random numbers."""
    st.subheader(_("Variants"))
    variants: list[dict] = st.session_state.setdefault("variants", [])
    st.session_state.setdefault("variant_name", _("variant {number}").format(number=1))

    def keep() -> None:  # before the page is drawn again, so the name field can offer the next name
        variants.append({"name": st.session_state["variant_name"], "run": shown})
        st.session_state["variant_name"] = _("variant {number}").format(number=len(variants) + 1)

    st.text_input(_("name of this variant"), key="variant_name", disabled=len(variants) >= MAX_VARIANTS)
    st.button(_("Keep as variant"), key="keep", disabled=len(variants) >= MAX_VARIANTS, on_click=keep)
    if not variants:
        st.caption(_("Keep a run as a variant, change the figures, run again and keep that too: the variants are "
                     "then compared here, run by run on the same random numbers."))
        return
    def remove(index: int) -> None:
        del variants[index]

    for column, (index, variant) in zip(st.columns(MAX_VARIANTS), enumerate(variants), strict=False):
        column.markdown(f"**{variant['name']}**")
        column.button(_("Remove"), key=f"remove:{index}", on_click=remove, args=(index,))
    if len(variants) < 2:
        return
    runs = [_run(*variant["run"]) for variant in variants]
    if len({(variant["run"][1], variant["run"][2]) for variant in variants}) > 1:
        st.warning(_("The variants were run with different numbers of runs or seeds: compare them with the same."))
        return
    if len({run.scenario.name for run in runs}) > 1:  # other people, other luck: not a paired comparison
        st.warning(_("The variants are of different programmes: compare variants of one programme."))
        return
    table = api.paired_comparison(runs[0], runs[1:], [variant["name"] for variant in variants])
    st.dataframe(table, hide_index=True)


def _chosen(name: str, default: int = 0) -> dict:
    """The key (and first choice) of a drop-down list whose words change with
    the language: a list of its own in each language, for the browser keeps
    showing the words a list was first drawn with; it starts at the choice
    made in the other language."""
    key = f"{name}:{st.session_state['language']}"
    if key not in st.session_state:
        earlier = next((st.session_state[f"{name}:{other}"] for other in api.LANGUAGES
                        if f"{name}:{other}" in st.session_state), None)
        if earlier is None:
            return {"key": key, "index": default}
        st.session_state[key] = earlier
    return {"key": key}


def _sizing(scenario: api.Scenario, replications: int, seed: int) -> None:
    """How many places (or participants) reach a target with a stated certainty."""
    st.subheader(_("How many places do I need?"))
    counts = [control for control in controls_for(scenario) if control.kind == "count"]
    if not counts:
        st.caption(_("This programme has no number of places or participants to size."))
        return
    # Outside the form: the range below follows the field chosen.
    # By field path, not label: the choice stays when the language changes.
    by_path = {control.path: control for control in counts}
    labels = {path: control.label for path, control in by_path.items()}  # in this run's language, not a later one
    field = by_path[st.selectbox(_("what to size"), list(by_path), format_func=labels.get,
                                 **_chosen("size_field"))]
    with st.form("sizing"):
        low, high = st.slider(_("search between"), 1, int(field.high), (1, max(int(field.value) * 2, 2)),
                              key=f"size_range:{field.path}")
        counted = list(dict.fromkeys([charts.promised_outcome_name(scenario), "placed"]))
        words = {name: api.column(name).words for name in counted}
        outcome = st.selectbox(_("what to count"), counted, format_func=words.get, **_chosen("size_outcome"))
        target = st.number_input(_("target: at least this many"), min_value=1,
                                 value=int(scenario.target.at_least or 50), key="size_target")
        by_month = st.number_input(_("by month (0: by the end of the simulation, {horizon})").format(
            horizon=api.moment(scenario.calendar_start, scenario.horizon_months)), min_value=0,
            max_value=int(scenario.horizon_months), value=0, key="size_by_month")
        certainty = st.slider(_("certainty"), 50, 99, 80, format="%d %%", key="size_certainty") / 100
        asked = st.form_submit_button(_("Find the smallest value"))
    # What the answer is the answer to: shown only while all of it stands.
    question = (api.scenario_text(scenario), replications, seed, st.session_state["language"], field.path, low,
                high, outcome, target, by_month, certainty)
    if asked:
        with st.spinner(_("Searching...")), tempfile.TemporaryDirectory() as folder, api.kept_workers():
            plan = api.plan_size(scenario, f"{field.path}={low}:{high}", f"{outcome}>={target}", certainty,
                                 by_month=by_month or None, replications=200, max_replications=1600,
                                 folder=Path(folder) / "size")
            sized = api.size_and_save(plan, ["pilotsim", "app"])
        sentence, answer = api.sizing_in_words(sized, scenario.calendar_start)
        said = [sentence + (answer or "")]
        # And what that costs, as a run says it: at the answer, or where it is open at the smallest value
        # that surely reaches the target.
        enough = sized.answer if sized.undecided is None else sized.undecided[1]
        if enough is not None:
            at_enough = api.change(scenario, {field.path: enough}, by="the sizing on the web page")
            said.append(_costs_in_words(_run(api.scenario_text(at_enough), replications, seed),
                                        api.quoted_field(field.path),
                                        api.field_value(field.path, enough, scenario.calendar_start)))
        if sized.answer is None and sized.undecided is None:
            said.append(_what_limits_it(sized, field, counts, outcome, target))
        # Found: good news; not reached or still open: a caution, not a success.
        st.session_state["sized"] = (question, sized.answer is not None and sized.undecided is None, said)
    sized_for, found, said = st.session_state.get("sized", (None, True, []))
    if said and sized_for != question:
        st.caption(_("The settings or the question changed since the last answer: press “Find the smallest "
                     "value” for theirs."))
        return
    for sentence in said:
        (st.success if found else st.warning)(sentence)


def _under_way(scenario: api.Scenario, replications: int, seed: int) -> None:
    """The programme continued from its records as of a month (a state file,
    and its stays file): the chance of the target now against at the start,
    and what has happened against what is still to come."""
    st.subheader(_("A pilot under way: will it reach the target?"))
    with st.form("forecast"):
        st.caption(_("The programme's records as of a month: a state file (a row per person referred) and, if "
                     "there is one, its stays file (a row per stay in a stage); docs/running-pilot.md describes "
                     "both."))
        state_file = st.file_uploader(_("state file (CSV or Parquet)"), type=["csv", "parquet"], key="state_upload")
        stays_file = st.file_uploader(_("stays file (CSV or Parquet, if there is one)"), type=["csv", "parquet"],
                                      key="stays_upload")
        last = math.ceil(scenario.horizon_months) - 1  # (at the end of the months simulated, nothing is left)
        as_of = st.number_input(_("the month the records are of (0: the start; at most {last}, the months simulated "
                                  "end at {horizon})").format(last=last, horizon=api.moment(
                                      scenario.calendar_start, scenario.horizon_months)),
                                min_value=0, max_value=last, value=min(12, last), key="as_of")
        asked = st.form_submit_button(_("Forecast from these records"))
    uploads = [(upload.name, upload.getvalue()) for upload in (state_file, stays_file) if upload is not None]
    question = (api.scenario_text(scenario), replications, seed, st.session_state["language"], int(as_of),
                tuple(uploads))
    if asked:
        if state_file is None:
            st.session_state["forecast_answer"] = (question, None, [_("Upload a state file first.")])
        else:
            answer = _forecast(scenario, replications, seed, int(as_of), uploads, stays_file is not None)
            st.session_state["forecast_answer"] = (question, *answer)
    asked_for, forecast, problems = st.session_state.get("forecast_answer", (None, None, []))
    if asked_for != question:
        if asked_for is not None:
            st.caption(_("The settings, the records or the month changed since the last forecast: press “Forecast "
                         "from these records” for theirs."))
        return
    if problems:
        st.error("\n\n".join(problems))
        return
    words = api.forecast_words(forecast)
    st.markdown(f"**{words['title']}**")
    if words["chance"]:
        st.markdown(words["chance"])
    for part in ("people", "money"):
        if words[part] is not None:
            if part == "money":
                st.markdown(words["money"]["title"])
            st.dataframe(_table(words[part]), hide_index=True)
    st.altair_chart(charts.for_the_page(charts.forecast_outcome(forecast)))


def _forecast(scenario: api.Scenario, replications: int, seed: int, as_of: int, uploads: list[tuple[str, bytes]],
              with_stays: bool) -> tuple[api.Forecast | None, list[str]]:
    """The forecast from uploaded records, or the problems with them, one line each."""
    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for name, content in uploads:
            if len(content) > MAX_RECORDS_BYTES:
                return None, [_("{name}: {size} bytes; records may have at most {limit}").format(
                    name=name, size=api.number(len(content)), limit=api.number(MAX_RECORDS_BYTES))]
            # Each in a folder of its own, under its own name: problems name the file as the person knows it.
            path = Path(folder) / str(len(paths)) / Path(name).name
            path.parent.mkdir()
            path.write_bytes(content)
            paths.append(path)
        try:
            plan = api.plan_forecast(scenario, paths[0], as_of, paths[1] if with_stays else None, replications, seed)
        except api.ScenarioError as error:
            return None, [str(problem) for problem in error.problems]
        progress = st.progress(0.0, _("Simulating {runs} runs...").format(runs=api.number(plan.total)))
        done = [0]

        def advance(count: int) -> None:
            done[0] += count
            progress.progress(min(done[0] / plan.total, 1.0), _("{done} of {runs} runs").format(
                done=api.number(done[0]), runs=api.number(plan.total)))

        with api.kept_workers():
            forecast = api.run_forecast(plan, advance)
        progress.empty()
        return forecast, []


def _table(part: dict) -> pd.DataFrame:
    """A table of words as the page shows it: the first column its row names."""
    headings = [heading or " " for heading in part["headings"]]
    return pd.DataFrame(part["rows"], columns=headings)


def _what_limits_it(sized: api.SizingResult, field: Control, counts: list[Control], outcome: str,
                    target: int) -> str:
    """Where more of one figure does not reach the target: how little the
    outcome moves across the range tried, and which other figures to size."""
    lowest, highest = min(sized.probes), max(sized.probes)
    moved = _("From {low} to {high}, the mean {outcome} goes from {before} to {after}; the target is {target}.").format(
        low=api.field_value(field.path, lowest, None), high=api.field_value(field.path, highest, None),
        outcome=api.column(outcome).words.lower(), before=api.number(sized.probes[lowest].mean(outcome), 1),
        after=api.number(sized.probes[highest].mean(outcome), 1), target=api.number(target))
    others = [api.quoted_field(control.path) for control in counts if control.path != field.path]
    if not others:
        return moved + " " + _("Other figures hold it back: the chance of a job, dropout or the months counted.")
    return moved + " " + _("Other figures hold it back: try {others} under “what to size”, or a lower target.").format(
        others=api.listed(others, either=True))


def _costs_in_words(result: api.RunResult, label: str, value: str) -> str:
    summary = result.summary()
    if "total_costs" not in summary.index or summary.at["total_costs", "mean"] != summary.at["total_costs", "mean"]:
        return _("With {field} at {value}: the costs are not estimated (the scenario gives no budget).").format(
            field=label, value=value)
    costs, npv = api.column("total_costs"), api.column("npv")
    return _("With {field} at {value}, over {runs} runs: the programme costs € {costs} thousand on average (90 % of "
             "runs € {low} to {high} thousand); net present value € {npv} thousand.").format(
        field=label, value=value, runs=api.number(result.replications),
        costs=costs.formatted(summary.at["total_costs", "mean"]),
        low=costs.formatted(summary.at["total_costs", "q05"]), high=costs.formatted(summary.at["total_costs", "q95"]),
        npv=npv.formatted(summary.at["npv", "mean"]))


def _downloads(result: api.RunResult, shown: tuple[str, int, int], as_set: tuple[str, str]) -> None:
    """``as_set``: the scenario as set now (its text and name), which may be
    another than the run's once the settings or the programme changed."""
    scenario_text, scenario_name = as_set
    st.subheader(_("Downloads"))
    st.download_button(_("the scenario as set (YAML)"), scenario_text, file_name=f"{scenario_name}.yaml",
                       mime="text/yaml", key="download_scenario")
    if st.button(_("Prepare the report and the results folder"), key="prepare"):
        with st.spinner(_("Writing the results folder and the report...")), tempfile.TemporaryDirectory() as folder:
            name = result.scenario.name
            # The command that makes this run again from the zip's own copy of the scenario as set.
            again = ["pilotsim", "run", f"{name}/scenario.yaml", "--replications", str(shown[1]), "--seed",
                     str(shown[2]), "--lang", st.session_state["language"]]
            written = api.save(result, Path(folder) / name, command=again)
            files = {"html": api.write_report(written).read_bytes()}
            if api.can_print_pdf():
                files["pdf"] = api.write_report(written, output_format="pdf").read_bytes()
            archive = io.BytesIO()
            with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
                for path in sorted(written.rglob("*")):
                    if path.is_file():
                        zipped.write(path, path.relative_to(written.parent))
            files["zip"] = archive.getvalue()
            # Kept with the run they describe: after another run they are prepared anew.
            st.session_state["prepared"] = (shown, st.session_state["language"], files)
    prepared = st.session_state.get("prepared")
    if prepared is not None and prepared[:2] == (shown, st.session_state["language"]):
        files = prepared[2]
        st.download_button(_("the report (HTML)"), files["html"], file_name="report.html", mime="text/html",
                           key="download_report")
        if "pdf" in files:
            st.download_button(_("the report (PDF)"), files["pdf"], file_name="report.pdf", mime="application/pdf",
                               key="download_report_pdf")
        st.download_button(_("the results folder (zip)"), files["zip"], file_name=f"{result.scenario.name}.zip",
                           mime="application/zip", key="download_zip")


@st.cache_resource(show_spinner=False)
def _start_workers() -> bool:
    """The worker processes, started while the page is first drawn, so that
    the first Run does not wait for them."""
    with api.kept_workers():
        return True


def _page() -> None:
    st.set_page_config(page_title="pilotsim", layout="wide")
    _start_workers()
    codes = list(api.LANGUAGES)
    with api.speaking(None):  # the language pilotsim app was started in (PILOTSIM_LANG), until one is chosen
        first = codes.index(api.current_language())
    language = st.sidebar.radio("Language / Taal", codes, index=first, format_func=api.LANGUAGES.get,
                                key="language", horizontal=True)
    _retype_numbers(language)
    with api.speaking(language):
        main()


_page()
