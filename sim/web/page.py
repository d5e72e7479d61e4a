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
import tempfile
import threading
import zipfile
from collections import OrderedDict
from pathlib import Path

import streamlit as st

from sim import api
from sim.api import _
from sim.web import charts
from sim.web.controls import Control, changes_from, control_key, controls_for

#: The largest scenario file a person may upload (a shipped one is under 20 kB).
MAX_UPLOAD_BYTES = 200_000
#: Variants a person may keep side by side.
MAX_VARIANTS = 3
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
    scenario = _settings(base)
    if scenario is None:
        return
    replications = st.sidebar.number_input(_("simulated runs"), min_value=20, max_value=10_000, value=1000, step=100,
                                           key="replications")
    seed = st.sidebar.number_input(_("seed (the same seed gives the same answer)"), min_value=0, value=scenario.seed,
                                   step=1, key=control_key(base, "seed"))
    text = api.scenario_text(scenario)
    if st.button(_("Run"), type="primary", key="run"):
        st.session_state["shown"] = (text, int(replications), int(seed))
        progress = st.progress(0.0, _("Simulating {runs} runs...").format(runs=api.number(replications)))
        _run(*st.session_state["shown"], progress=progress)
        progress.empty()
    shown = st.session_state.get("shown")
    if shown is None:
        st.info(_("Set the figures on the left, then press Run."))
        return
    result = _run(*shown)
    if shown[0] != text or shown[1:] != (replications, seed):
        st.warning(_("The settings changed since this run: press Run for their answer."))
    _answer(result)
    _variants(result, shown)
    _sizing(result.scenario, shown[1], shown[2])
    _downloads(result, text, shown)


def _choose_scenario() -> api.Scenario | None:
    """A shipped scenario, or one the person uploads (checked as any file)."""
    shipped = api.shipped_scenarios()
    choice = st.sidebar.selectbox(_("programme"), [*shipped, _("upload a scenario file...")], key="choice",
                                  index=shipped.index(api.REFERENCE))
    if choice in shipped:
        return api.load(choice)
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
        _problems(error)
        return None


def _settings(base: api.Scenario) -> api.Scenario | None:
    """The scenario with the person's settings, or None (with the problems
    shown) where a setting does not fit."""
    st.sidebar.markdown("**" + _("The programme's main figures") + "**")
    settings = {control.path: _control(base, control) for control in controls_for(base)}
    try:
        return api.change(base, changes_from(base, settings))
    except api.ScenarioError as error:
        _problems(error)
        return None


def _control(base: api.Scenario, control: Control) -> float:
    key = control_key(base, control.path)
    if control.kind == "share":  # in percent, as people say it
        return st.sidebar.slider(control.label, 0.0, 100.0, float(round(100 * control.value, 1)), 0.5,
                                 format="%.1f %%", key=key) / 100
    if control.kind == "count":
        return st.sidebar.number_input(control.label, 0, int(control.high), int(control.value), 1, key=key)
    return st.sidebar.number_input(control.label, 0.0, float(control.high), float(control.value), float(control.step),
                                   key=key)


def _problems(error: api.ScenarioError) -> None:
    st.error("\n\n".join(str(problem) for problem in error.problems))


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
    st.altair_chart(charts.placements(result))
    st.markdown("**" + _("Where everyone referred is, month by month") + "**")
    st.altair_chart(charts.where_people_are(result))
    money = charts.money_per_year(result)
    if money is not None:
        st.markdown("**" + _("Money per calendar year") + "**")
        st.altair_chart(money)
        st.markdown("**" + _("The chance the net present value is at least each amount") + "**")
        st.altair_chart(charts.pays_for_itself(result))


def _variants(result: api.RunResult, shown: tuple[str, int, int]) -> None:
    """Keep runs as variants and compare them, paired on the same random numbers."""
    st.subheader(_("Variants"))
    variants: list[dict] = st.session_state.setdefault("variants", [])
    st.session_state.setdefault("variant_name", _("variant {number}").format(number=1))

    def keep() -> None:  # before the page is drawn again, so the name field can offer the next name
        variants.append({"name": st.session_state["variant_name"], "run": shown})
        st.session_state["variant_name"] = _("variant {number}").format(number=len(variants) + 1)

    st.text_input(_("name of this variant"), key="variant_name")
    st.button(_("Keep as variant"), key="keep", disabled=len(variants) >= MAX_VARIANTS, on_click=keep)
    if not variants:
        st.caption(_("Keep a run as a variant, change the figures, run again and keep that too: the variants are "
                     "then compared here, run by run on the same random numbers."))
        return
    st.write(", ".join(variant["name"] for variant in variants))
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


def _sizing(scenario: api.Scenario, replications: int, seed: int) -> None:
    """How many places (or participants) reach a target with a stated certainty."""
    st.subheader(_("How many places do I need?"))
    counts = [control for control in controls_for(scenario) if control.kind == "count"]
    if not counts:
        return
    # Outside the form: the range below follows the field chosen.
    field = st.selectbox(_("what to size"), counts, format_func=lambda control: control.label, key="size_field")
    with st.form("sizing"):
        low, high = st.slider(_("search between"), 1, int(field.high), (1, max(int(field.value) * 2, 2)),
                              key=f"size_range:{field.path}")
        counted = list(dict.fromkeys([charts.promised_outcome_name(scenario), "placed"]))
        outcome = st.selectbox(_("what to count"), counted, format_func=lambda name: api.column(name).words,
                               key="size_outcome")
        target = st.number_input(_("target: at least this many"), min_value=1,
                                 value=int(scenario.target.at_least or 50), key="size_target")
        by_month = st.number_input(_("by month (0: by the end of the simulation, {horizon})").format(
            horizon=api.moment(scenario.calendar_start, scenario.horizon_months)), min_value=0,
            max_value=int(scenario.horizon_months), value=0, key="size_by_month")
        certainty = st.slider(_("certainty"), 50, 99, 80, format="%d %%", key="size_certainty") / 100
        asked = st.form_submit_button(_("Find the smallest value"))
    if asked:
        with st.spinner(_("Searching...")), tempfile.TemporaryDirectory() as folder:
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
            at_enough = api.change(scenario, {field.path: enough})
            said.append(_costs_in_words(_run(api.scenario_text(at_enough), replications, seed),
                                        api.quoted_field(field.path),
                                        api.field_value(field.path, enough, scenario.calendar_start)))
        # Found: good news; not reached or still open: a caution, not a success.
        st.session_state["sized"] = (sized.answer is not None and sized.undecided is None, said)
    found, said = st.session_state.get("sized", (True, []))
    for sentence in said:
        (st.success if found else st.warning)(sentence)


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


def _downloads(result: api.RunResult, scenario_text: str, shown: tuple[str, int, int]) -> None:
    st.subheader(_("Downloads"))
    st.download_button(_("the scenario as set (YAML)"), scenario_text, file_name=f"{result.scenario.name}.yaml",
                       mime="text/yaml", key="download_scenario")
    if st.button(_("Prepare the report and the results folder"), key="prepare"):
        with st.spinner(_("Writing the results folder and the report...")), tempfile.TemporaryDirectory() as folder:
            written = api.save(result, Path(folder) / result.scenario.name)
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


def _page() -> None:
    st.set_page_config(page_title="pilotsim", layout="wide")
    codes = list(api.LANGUAGES)
    with api.speaking(None):  # the language pilotsim app was started in (PILOTSIM_LANG), until one is chosen
        first = codes.index(api.current_language())
    language = st.sidebar.radio("Language / Taal", codes, index=first, format_func=api.LANGUAGES.get,
                                key="language", horizontal=True)
    with api.speaking(language):
        main()


_page()
