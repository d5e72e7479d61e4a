"""pilotsim from Python: everything the ``pilotsim`` command does, as functions.

    from sim import api as pilotsim

    scenario = pilotsim.load("brunssum_logistics_2021")          # a shipped scenario, or a file
    wider = pilotsim.change(scenario, {"stages.training.slots": 60})
    result = pilotsim.run(wider, replications=500)
    result.outcomes                       # pandas: one row per replication
    result.summary()                      # pandas: mean, sd, quantiles and 95 % CI per outcome
    result.chance("placed", 78)           # the chance of 78 or more, with its interval
    pilotsim.figures(result)["placements.png"]                    # matplotlib figures
    pilotsim.save(result, "results/wider")                        # the folder `pilotsim run` writes

Each command of ``pilotsim`` is two calls here: ``plan_<command>`` checks
the request against the scenario and the machine (and refuses, with one
problem per line, anything that would not run or would not fit) and
decides what the command left open (the results folder, the replications
to keep, whether a plain run goes beside an uncertain one); then
``<command>_and_save`` runs the plan and writes its folder. The command
line only reads options, shows progress and prints tables.

Scenarios are frozen: ``change`` gives a new one, checked like a file, and
raises ``ScenarioError`` (one problem per line) when a value does not fit.
``docs/api.md`` lists the functions with the command each one stands behind.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from sim import language, limits
from sim.analysis import precision as sequential
from sim.analysis import sweep as sweeping
from sim.analysis import validation
from sim.analysis.backtests import Observed, backtest, load_observed, observed_folder
from sim.analysis.calibration import (
    MOST_ROUNDS,
    CalibrationResult,
    calibrate,
    check_fit,
    check_free,
    smallest_design,
)
from sim.analysis.compare import Comparison, compare
from sim.analysis.out_of_sample import OutOfSampleResult, counted_predictions, freed_for, out_of_sample
from sim.analysis.precision import PrecisionResult, replications_needed
from sim.analysis.precision import check_request as check_precision_request
from sim.analysis.sensitivity import SensitivityResult, sensitivity
from sim.analysis.sensitivity import check_request as check_sensitivity_request
from sim.analysis.sizing import SizingResult, size
from sim.analysis.sweep import Varied, parse_target, parse_vary, sweep
from sim.errors import Problem, ScenarioError
from sim.language import (
    LANGUAGES,
    _,
    calendar_month,
    entered,
    listed,
    moment,
    money,
    ngettext,
    number,
    read_number,
    read_otherwise,
    separators,
    significant,
    speaking,
    thousand_euros,
)
from sim.language import (
    current as current_language,
)
from sim.measure.columns import column, state_label
from sim.measure.money import (
    STILL_THERE,
    count_until_month,
    drawn_count_until,
    money_warnings,
    months_counted_in_words,
    not_estimated,
    pilot_end_month,
    prices_in_words,
)
from sim.measure.statistics import pays_for_itself, percent
from sim.model import engines
from sim.model.engines import ENGINES, not_in_fast_engine
from sim.model.engines import fallback_notice as engine_notice
from sim.output import folders
from sim.output.calibration import (
    candidates_in_rounds,
    figure_in_words,
    range_in_words,
    role_in_words,
    value_in_unit,
    value_in_words,
    write_calibration,
)
from sim.output.compare import write_comparison
from sim.output.fields import DISTRIBUTION_PARTS
from sim.output.fields import label as field_label
from sim.output.fields import quoted as quoted_field
from sim.output.fields import value_in_words as field_value
from sim.output.forecast import forecast_document, forecast_figure, forecast_table, forecast_words
from sim.output.precision import write_precision
from sim.output.run_figures import all_figures, chance_and_ignorance_plots, stacked_state_colours, stacked_states
from sim.output.run_folder import (
    RunFolder,
    money_per_year,
    recompute_budget,
    summary_document,
    timeseries_summary,
    write_results,
)
from sim.output.sensitivity import (
    indices_in_words,
    indices_title,
    indices_warnings,
    sensitivity_plots,
    write_sensitivity,
)
from sim.output.sizing import sizing_in_words, write_sizing
from sim.output.statements import headline_sentences
from sim.output.sweep import PointStore, write_sweep
from sim.output.validation import validation_markdown, write_validation
from sim.run import executors
from sim.run.executors import ExecutorUnavailable
from sim.run.results import RunResult
from sim.run.runner import run
from sim.scenario import shipped
from sim.scenario.edit import with_changes
from sim.scenario.files import dump_scenario, load_scenario, parse_overrides
from sim.scenario.schema import MAX_NAME_LENGTH, NAME_PATTERN, Scenario
from sim.scenario.uncertain import problems_at_the_edges
from sim.state.fit import Estimate, fit_state, fit_stays, fitted_scenario
from sim.state.forecast import Forecast, continuation_of
from sim.state.generate import state_of_run, stays_of_run, with_mistakes
from sim.state.records import State
from sim.state.records import read_state as read_state_file
from sim.state.stays import read_stays as read_stays_file

__all__ = [
    "LANGUAGES", "speaking", "_", "calendar_month", "moment", "number", "entered", "read_number", "read_otherwise",
    "listed", "separators", "money", "thousand_euros", "field_label",
    "field_value", "column", "money_per_year", "sensitivity_figures",
    "Scenario", "RunResult", "ScenarioError", "Problem", "ExecutorUnavailable",
    "REFERENCE", "SUMMARY_ONLY_ABOVE", "IMPRECISE_ABOVE", "MAX_WORKERS_PER_CORE", "MAX_POINTS", "REPORT_FORMATS",
    "imprecise", "NewScenario", "pays_for_itself", "chance_and_ignorance_plots", "observed_folder", "not_estimated",
    "headline", "count_until_month",
    "percent", "months_counted_in_words", "drawn_count_until", "pilot_end_month", "prices_in_words",
    "load", "change", "parse_changes", "shipped_scenarios", "run", "figures", "save", "recompute_budget",
    "compare", "sweep", "parse_vary", "parse_target", "size", "calibrate", "backtest", "load_observed",
    "sensitivity", "replications_needed", "write_report", "new_scenario", "using_executor",
    "plan_run", "run_and_save", "plan_budget", "budget_and_save", "plan_compare", "compare_and_save",
    "plan_sweep", "sweep_and_save", "plan_size", "size_and_save", "plan_calibrate", "calibrate_and_save",
    "plan_sensitivity", "sensitivity_and_save", "plan_replications", "replications_and_save",
    "validation_report", "shipped_descriptions", "claim", "results_put_in_place", "default_folder", "check_run_size",
    "ENGINES", "using_engine", "not_in_fast_engine", "engine_notice", "range_in_words",
    "value_in_words", "candidates_in_rounds", "figure_in_words", "role_in_words", "ngettext", "significant",
    "precise_percent", "indices_in_words", "indices_title", "indices_warnings", "value_in_unit",
    "quoted_field", "DISTRIBUTION_PARTS", "load_upload", "scenario_text", "paired_comparison", "sizing_in_words",
    "stacked_states", "stacked_state_colours", "timeseries_summary", "state_label", "web_page", "kept_workers",
    "current_language", "can_print_pdf", "write_state_file", "read_state", "State",
    "fit_records", "write_fitted_scenario", "Estimate", "read_stays", "stays_path_beside",
    "plan_forecast", "forecast_and_save", "run_forecast", "Forecast", "stays_for", "forecast_words",
]

#: Runs larger than this keep distributions rather than every replication
#: (100,000 replications of the reference keep about 2 GB per replication).
SUMMARY_ONLY_ABOVE = 100_000

#: The shipped scenario a command runs when none is named.
REFERENCE = shipped.REFERENCE

#: Above this half-width of the 95 % interval, as a share of the mean, a
#: run's headline figures are too imprecise to quote.
IMPRECISE_ABOVE = 0.05

#: Bounds on requests, stated in the command line's help.
MAX_WORKERS_PER_CORE = limits.MAX_WORKERS_PER_CORE
MAX_POINTS = limits.MAX_POINTS

REPORT_FORMATS = ("html", "pdf")


def precise_percent(share: float) -> str:
    """A share to a tenth of a percent: 2.0 % (2,0 %)."""
    return language.percent(share, 1)


def load(name_or_path: str | Path, changes: dict[str, Any] | None = None) -> Scenario:
    """A scenario file, or a shipped scenario by name, with ``changes`` (field
    path: value, as ``--set`` takes them) applied before it is checked."""
    return load_scenario(shipped.resolve(str(name_or_path)), changes or {})


def load_upload(name: str, content: bytes) -> Scenario:
    """A scenario file a person uploaded, read as any file but on its own
    (no ``extends:``) from a folder of its own; its problems name the file
    as the person knows it."""
    shown = re.sub(r"[^A-Za-z0-9._-]", "_", Path(name).name)[:100] or "upload.yaml"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / shown
        path.write_bytes(content)
        try:
            return load_scenario(path, {}, on_its_own=True)
        except ScenarioError as error:
            raise ScenarioError([replace(problem, file=problem.file.replace(str(path), shown))
                                 for problem in error.problems]) from None


def kept_workers(workers: int | None = None):
    """A block in which every run uses one pool of worker processes kept
    for the life of this process (a web page's server, a notebook): the
    pool starts once, on the first block, and the runs after it do not wait
    for workers to start. ``with api.kept_workers(): api.run(...)``."""
    return executors.kept(workers)


def web_page(port: int = 8501, host: str = "127.0.0.1", open_browser: bool = True) -> list[str]:
    """The command that serves the web page (``pilotsim app``) on ``host``
    (this machine only, by default) and ``port``: Streamlit running
    sim/web/page.py, uploads at most 1 MB, no usage statistics sent."""
    page = Path(__file__).resolve().parent / "web" / "page.py"
    return [sys.executable, "-m", "streamlit", "run", str(page), "--server.port", str(port), "--server.address", host,
            "--server.headless", "false" if open_browser else "true", "--server.maxUploadSize", "1",
            "--browser.gatherUsageStats", "false", "--global.developmentMode", "false",
            "--server.fileWatcherType", "none", "--client.toolbarMode", "minimal"]


def scenario_text(scenario: Scenario) -> str:
    """The scenario as a file writes it, every figure with its comment."""
    return dump_scenario(scenario)


def paired_comparison(baseline: RunResult, others: list[RunResult], names: list[str]) -> pd.DataFrame:
    """Runs of the same seed and number of runs compared run by run, as
    ``pilotsim compare`` does: for the key outcomes, each variant's mean, its
    difference from the first with the 95 % interval, and the share of runs
    in which it does better; in the reader's words."""
    rows = []
    # One variant at a time: variants of one programme share its name, so only their order tells them apart.
    summary = pd.concat([Comparison(baseline, (other,)).summary().assign(variant=name)
                         for other, name in zip(others, names[1:])], ignore_index=True)
    for _index, row in summary.iterrows():
        if row["outcome"] not in COMPARED or row["difference"] != row["difference"]:
            continue
        shown = column(row["outcome"])
        rows.append({
            _("variant"): row["variant"],
            _("outcome"): shown.table_label,
            names[0]: shown.formatted(row["baseline_mean"]),
            _("this variant"): shown.formatted(row["alternative_mean"]),
            _("difference (95 % interval)"): _("{difference} ({low} to {high})").format(
                difference=shown.formatted_difference(row["difference"]),
                low=shown.formatted_difference(row["ci95_low"]), high=shown.formatted_difference(row["ci95_high"])),
            _("better in"): "" if row["chance_better"] != row["chance_better"] else
            _("same in every run") if row["chance_same"] == 1 else percent(row["chance_better"]),
        })
    return pd.DataFrame(rows)


#: The outcomes a comparison of variants shows.
COMPARED = ("placed", "off_assistance", "net_into_work", "mean_wait_months", "slot_utilisation", "total_costs",
            "npv")


def change(scenario: Scenario, changes: dict[str, Any], by: str | None = None) -> Scenario:
    """The scenario with some fields set, e.g. ``{"stages.training.slots": 60}``.
    ``by`` says who set them, in the comment each changed field gets in the
    scenario's text ("Set by the web page: 60. The file had 50: ...") and in
    the problems of a value that does not fit; without it, the changes
    themselves."""
    return with_changes(scenario, changes,
                        by or "change " + ", ".join(f"{path}={value}" for path, value in changes.items()))


def shipped_scenarios() -> list[str]:
    """The names of the scenarios that come with pilotsim."""
    return [path.stem for path in shipped.shipped_scenarios()]


def figures(result: RunResult) -> dict[str, Figure]:
    """The plots of a run by file name (placements.png, states_over_time.png, ...)."""
    return all_figures(result)


def sensitivity_figures(result: SensitivityResult) -> dict[str, Figure]:
    """The plots ``pilotsim sensitivity`` writes, by file name: per outcome,
    indices_<outcome>.png (which assumptions move it most) and
    one_at_a_time_<outcome>.png (each assumption at the ends of its range)."""
    return sensitivity_plots(result)


def save(result: RunResult, folder: str | Path, command: list[str] | None = None) -> Path:
    """Write the results folder ``pilotsim run`` writes. ``folder`` must be new,
    or a results folder pilotsim wrote, which is replaced once the new one
    is complete; anything else raises ``ScenarioError`` (docs/limits.md).
    ``command`` is the one the manifest and the report give to make the run
    again (default: the program that called this)."""
    return write_results(result, Path(folder), command=command)


def parse_changes(assignments: list[str] | None) -> dict[str, Any]:
    """``path=value`` texts as ``--set`` takes them (values read as YAML)."""
    return parse_overrides(assignments or [])


def imprecise(result: RunResult, outcomes: list[str]) -> dict[str, float]:
    """The outcomes whose mean is known only within more than IMPRECISE_ABOVE
    of itself (half-width of the 95 % interval / mean), with that share."""
    summary, found = result.summary(), {}
    for outcome in outcomes:
        row = summary.loc[outcome]
        if row["mean"] == 0 or row["mean"] != row["mean"]:  # nothing to be relative to
            continue
        relative = (row["ci95_high"] - row["mean"]) / abs(row["mean"])
        if relative > IMPRECISE_ABOVE:
            found[outcome] = relative
    return found


def headline(result: RunResult) -> tuple[list[str], list[str]]:
    """What a run says in words, as the report says it: the chance of the
    target, whether it pays for itself and when it breaks even (as counts of
    runs), whether assumption uncertainty is in the spread; and the warnings
    on its money."""
    summary = result.summary()
    document = summary_document(result, summary)
    if result.scenario.budget is None:
        return headline_sentences(document), []
    # summary.json keeps its warnings in English; the reader gets them in theirs.
    still_there = sum(summary.at[name, "mean"] for name in STILL_THERE)
    return headline_sentences(document), money_warnings(result.scenario, still_there)


def can_print_pdf() -> bool:
    """Whether a report can be printed as PDF here (Chromium is installed)."""
    from sim.output import report as council_report  # (jinja2: only for a report)

    return council_report.find_browser() is not None


def write_report(folder: str | Path, output: str | Path | None = None, output_format: str = "html") -> Path:
    """The report of a results folder for a council, as HTML or PDF (default:
    report.<format> in the folder): a new file, or a report pilotsim wrote."""
    if output_format not in REPORT_FORMATS:
        raise ScenarioError([Problem(f"--format {output_format}", None, None, "",
                                     f"expected {' or '.join(REPORT_FORMATS)}")])
    from sim.output import report as council_report  # (jinja2: only for a report)

    return council_report.write_report(Path(folder), Path(output) if output is not None else None, output_format)


@dataclass(frozen=True)
class NewScenario:
    path: Path
    name: str


def _refuse_existing(path: Path) -> None:
    """A file a command makes is a new one: one that exists (or a link) is the user's."""
    if path.exists() or path.is_symlink():
        raise ScenarioError([Problem(str(path), None, None, "", _("already exists; give another name or --out "
                                                                  "FILE"))])


def new_scenario(name: str, path: str | Path | None = None) -> NewScenario:
    """Write a scenario file to start a programme of one's own: the reference
    with all its comments, under ``name``, at ``path`` (default NAME.yaml).
    A new file only: an existing one is never replaced."""
    name = name.removesuffix(".yaml")
    if not re.fullmatch(NAME_PATTERN, name) or len(name) > MAX_NAME_LENGTH:
        raise ScenarioError([Problem(name, None, None, "", _("a name must be lower-case letters, digits, '-', '_' "
                                                             "or '.', starting with a letter or digit, at most {most} "
                                                             "long").format(most=MAX_NAME_LENGTH))])
    path = Path(path) if path is not None else Path(f"{name}.yaml")
    _refuse_existing(path)
    text = shipped.starting_scenario(name)
    folders.write_file_atomically(path, lambda staging: staging.write_text(text, encoding="utf-8"))
    return NewScenario(path, name)


# --- a programme under way ---------------------------------------------------------


def stays_path_beside(path: str | Path) -> Path:
    """Where the stays file of the state file at ``path`` goes: state.csv, state_stays.csv."""
    path = Path(path)
    return path.with_name(f"{path.stem}_stays{path.suffix}")


def write_state_file(scenario: Scenario, as_of: float, path: str | Path, replication: int = 0,
                     seed: int | None = None, mistakes: bool = False) -> tuple[Path, Path]:
    """Write a state file and its stays file (docs/running-pilot.md): where
    each person referred by month ``as_of`` stood then in replication
    ``replication`` of a run of ``scenario``, and each stay in a stage begun
    by then; CSV or Parquet by the suffix of ``path``, the stays beside it
    (``stays_path_beside``). ``mistakes``: the state with a few of the
    mistakes real records have, for ``read_state`` to find. New files only:
    an existing one is never replaced."""
    path = Path(path)
    stays_path = stays_path_beside(path)
    if path.suffix.lower() not in (".csv", ".parquet"):
        raise ScenarioError([Problem(str(path), None, None, "", _("a state file is .csv or .parquet"))])
    if not 0 <= as_of <= scenario.horizon_months:
        raise ScenarioError([Problem("--as-of", None, None, "", _("a month from 0 to {horizon} (the months "
                                                                  "simulated), got {as_of}").format(
            horizon=f"{scenario.horizon_months:g}", as_of=f"{as_of:g}"))])
    for target in (path, stays_path):
        _refuse_existing(target)
    result = run(scenario, replication + 1, seed=seed, keep_clients=True, workers=1)
    visits = result.visits.table()
    rows = state_of_run(result.clients.table(), visits, as_of, list(scenario.stages), replication)
    if mistakes:
        rows, _where = with_mistakes(rows, seed=replication)
    for target, table in ((path, rows), (stays_path, stays_of_run(visits, as_of, replication))):
        if target.suffix.lower() == ".parquet":
            folders.write_file_atomically(target, lambda staging, table=table: table.to_parquet(staging, index=False))
        else:
            folders.write_file_atomically(target, lambda staging, table=table: table.to_csv(staging, index=False))
    return path, stays_path


def read_state(path: str | Path, scenario: Scenario, as_of: float) -> State:
    """A state file (CSV or Parquet) checked against ``scenario`` as of month
    ``as_of``; raises ScenarioError with every problem, one line each
    (file:line:column: column name: what was expected)."""
    return read_state_file(path, scenario, as_of)


def read_stays(path: str | Path, scenario: Scenario, state: State) -> pd.DataFrame:
    """A stays file (CSV or Parquet) checked against ``scenario`` and the
    persons of ``state``; raises ScenarioError with every problem."""
    return read_stays_file(path, scenario, state.as_of, set(state.people["person"]))


def stays_for(state_path: str | Path, stays_path: str | Path | None, scenario: Scenario, state: State,
              ) -> tuple[Path | None, pd.DataFrame | None]:
    """The stays file given, else the one beside the state file if there is
    one (``stays_path_beside``), read and checked; (None, None) if neither."""
    beside = stays_path_beside(state_path)
    chosen = Path(stays_path) if stays_path is not None else beside if beside.exists() else None
    return (chosen, read_stays(chosen, scenario, state)) if chosen is not None else (None, None)


def fit_records(state: State, scenario: Scenario, stays: pd.DataFrame | None = None) -> list[Estimate]:
    """What a state file's records (and its stays, if given) say of the
    scenario's parameters, each with its 90 % interval, the records it rests
    on and those still under way."""
    return fit_state(state, scenario) + (fit_stays(stays, state, scenario) if stays is not None else [])


def write_fitted_scenario(scenario: Scenario, state: State, path: str | Path,
                          stays: pd.DataFrame | None = None) -> tuple[Scenario, list[Estimate]]:
    """Write ``scenario`` with the parameters its records tell set to what they
    say, their uncertainty under ``uncertain:``, each changed field commented
    with the fit; a new file only."""
    path = Path(path)
    if path.suffix.lower() not in (".yaml", ".yml"):
        raise ScenarioError([Problem(str(path), None, None, "", _("a scenario file is .yaml or .yml"))])
    _refuse_existing(path)
    estimates = fit_records(state, scenario, stays)
    fitted = fitted_scenario(scenario, estimates, state.file, state.as_of)
    text = dump_scenario(fitted)
    folders.write_file_atomically(path, lambda staging: staging.write_text(text, encoding="utf-8"))
    return fitted, estimates


@dataclass(frozen=True)
class ForecastPlan:
    scenario: Scenario
    state: State
    stays: pd.DataFrame | None
    stays_file: Path | None
    replications: int
    seed: int | None
    workers: int | None
    keep_clients: bool
    with_uncertainty: bool
    folder: Path

    @property
    def total(self) -> int:
        """Replications run in all: the forecast, and the same from the start."""
        return 2 * self.replications


def plan_forecast(scenario: Scenario, state_path: str | Path, as_of: float, stays_path: str | Path | None = None,
                  replications: int | None = None, seed: int | None = None, workers: int | None = None,
                  with_uncertainty: bool = False, folder: str | Path | None = None) -> ForecastPlan:
    """Check a forecast before it runs: the state file (and its stays file:
    the one given, else the one beside it if there is one) against the
    scenario, the size of the run, the folder (default
    results/<scenario name>_forecast). Raises ScenarioError with every problem."""
    _check_uncertainty(scenario, with_uncertainty)
    if as_of >= scenario.horizon_months:
        raise ScenarioError([Problem("--as-of", None, None, "", _(
            "a month before the end of the months simulated ({horizon}), got {as_of}: after it there is nothing to "
            "forecast").format(horizon=f"{scenario.horizon_months:g}", as_of=f"{as_of:g}"))])
    state = read_state(state_path, scenario, as_of)
    stays_path, stays = stays_for(state_path, stays_path, scenario, state)
    count = replications or scenario.replications
    check_run_size(scenario, count, workers, True, f"-n {count}")
    return ForecastPlan(scenario, state, stays, stays_path, count, seed, workers, scenario.budget is not None,
                        with_uncertainty, _folder_or(folder, f"{scenario.name}_forecast"))


def run_forecast(plan: ForecastPlan, on_progress: Callable[[int], None] | None = None,
                 keep_clients: bool = False) -> Forecast:
    """The programme continued from its records, and the same scenario from
    the start (the same seed and number of runs), nothing written."""
    continuation = continuation_of(plan.state, plan.scenario, plan.stays)
    at_start = run(plan.scenario, plan.replications, seed=plan.seed, workers=plan.workers,
                   on_progress=on_progress, with_uncertainty=plan.with_uncertainty)
    result = run(plan.scenario, plan.replications, seed=plan.seed, workers=plan.workers, keep_clients=keep_clients,
                 on_progress=on_progress, with_uncertainty=plan.with_uncertainty, continuation=continuation)
    return Forecast(result, at_start, plan.state, plan.stays_file.name if plan.stays_file else None, continuation)


def forecast_and_save(plan: ForecastPlan, command: list[str] | None = None,
                      on_progress: Callable[[int], None] | None = None) -> Forecast:
    """Run the forecast and the same scenario from the start, and write the
    forecast's results folder (as a run's, with forecast.json, forecast.csv
    and plots/forecast.png)."""
    with folders.claimed(plan.folder):
        forecast = run_forecast(plan, on_progress, keep_clients=plan.keep_clients)
        document = forecast_document(forecast)
        write_results(forecast.result, plan.folder, command=command,
                      extra_plots={"forecast.png": forecast_figure(forecast)},
                      provenance={"forecast": {"as_of_month": plan.state.as_of, "state_file": plan.state.file,
                                               "stays_file": document["stays_file"]}},
                      extra_files={
                          "forecast.json": lambda path: path.write_text(json.dumps(document, indent=2) + "\n"),
                          "forecast.csv": lambda path: forecast_table(forecast).to_csv(path, index=False,
                                                                                     float_format="%.2f"),
                      })
    return forecast


# --- what every command checks ----------------------------------------------------


def default_folder(name: str) -> Path:
    """``results/<name>``; names of several scenarios joined may be too long
    for a file system: shortened, the name stays recognisable."""
    if len(name.encode()) > folders.MAX_NAME_BYTES:
        name = name[: folders.MAX_NAME_BYTES - 8] + "_etc"
    return Path("results") / name


def _folder_or(folder: str | Path | None, name: str) -> Path:
    """The folder asked for, else results/<name>."""
    return Path(folder) if folder is not None else default_folder(name)


def check_run_size(scenario: Scenario, replications: int, workers: int | None, keep_replications: bool,
                   option: str) -> None:
    """Refuse, before anything is claimed or started, a run that would not
    fit the machine (sim.limits), and bad ``workers``. ``option`` names how
    the replications were asked for, for the message."""
    problems, _ = limits.worker_problems(workers)
    if problems:  # the estimate would only repeat them in other words
        raise ScenarioError(problems)
    slots = workers or executors.cores()
    _refuse(limits.estimate(scenario, replications, slots, keep_replications, option).problems())


@contextmanager
def using_executor(kind: str = "processes", workers: int | None = None, scheduler: str | None = None,
                   warn: Callable[[str], None] | None = None) -> Iterator[None]:
    """One executor for every run inside the block (processes, or a Dask
    cluster); ``warn`` hears of more workers than cores."""
    problems, warning = limits.worker_problems(workers)
    _refuse(problems)
    if warning and warn is not None:
        warn(warning)
    with executors.using(kind, workers, scheduler):
        yield


@contextmanager
def using_engine(engine: str = "fast") -> Iterator[None]:
    """Every run inside the block simulates on ``engine``: ``fast`` or
    ``processes`` (the SimPy process model). The results are the same; a
    scenario that uses something only the process engine does runs on it
    anyway (``not_in_fast_engine``)."""
    with engines.using(engine):
        yield


def _check_uncertainty(scenario: Scenario, with_uncertainty: bool) -> None:
    """With --with-uncertainty: the scenario names uncertain parameters, none at an impossible edge."""
    if not with_uncertainty:
        return
    if not scenario.uncertain:
        raise ScenarioError([Problem("--with-uncertainty", None, None, "",
                                     f"scenario {scenario.name} names no uncertain parameters (an uncertain: "
                                     "section; see docs/sensitivity.md)")])
    _refuse(problems_at_the_edges(scenario))


def _refuse(problems: list[Problem]) -> None:
    if problems:
        raise ScenarioError(problems)


def _target(text: str | None, scenario: Scenario) -> tuple[str, float] | None:
    """A target as OUTCOME>=VALUE, else the scenario's own."""
    if text:
        return parse_target(text, scenario)
    target = scenario.target
    return (target.outcome, float(target.at_least)) if target.outcome is not None else None


# --- run ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RunPlan:
    scenario: Scenario
    replications: int
    seed: int | None
    workers: int | None
    keep_clients: bool
    per_replication: bool    # else only distributions are kept (memory stays flat)
    with_uncertainty: bool
    folder: Path

    @property
    def with_chance_alone(self) -> bool:
        """With uncertainty, a plain run on the same numbers shows what chance alone does."""
        return self.with_uncertainty and self.per_replication

    @property
    def total(self) -> int:
        """Replications run in all."""
        return self.replications * (2 if self.with_chance_alone else 1)


@dataclass(frozen=True)
class RunOutcome:
    result: RunResult
    chance_alone: RunResult | None  # the plain run beside an uncertain one
    folder: Path


def plan_run(scenario: Scenario, replications: int | None = None, seed: int | None = None,
             workers: int | None = None, keep_clients: bool | None = None, per_replication: bool | None = None,
             with_uncertainty: bool = False, folder: str | Path | None = None, option: str | None = None) -> RunPlan:
    """Check a run and decide its defaults: the scenario's replications;
    every replication kept up to SUMMARY_ONLY_ABOVE; client records kept
    when there is a budget (so the money can be recomputed); the folder
    results/<scenario name>."""
    _check_uncertainty(scenario, with_uncertainty)
    count = replications or scenario.replications
    if per_replication is None:
        per_replication = count <= SUMMARY_ONLY_ABOVE
    if keep_clients is None:
        keep_clients = scenario.budget is not None and per_replication
    check_run_size(scenario, count, workers, per_replication, option or f"-n {count}")
    return RunPlan(scenario, count, seed, workers, keep_clients, per_replication, with_uncertainty,
                   _folder_or(folder, scenario.name))


def run_and_save(plan: RunPlan, command: list[str] | None = None,
                 on_progress: Callable[[int], None] | None = None) -> RunOutcome:
    """Run the plan and write its results folder."""
    with folders.claimed(plan.folder):
        chance_alone = run(plan.scenario, plan.replications, seed=plan.seed, workers=plan.workers,
                           on_progress=on_progress) if plan.with_chance_alone else None
        result = run(plan.scenario, plan.replications, seed=plan.seed, workers=plan.workers,
                     keep_clients=plan.keep_clients, keep_replications=plan.per_replication,
                     on_progress=on_progress, with_uncertainty=plan.with_uncertainty)
        extra = (chance_and_ignorance_plots(chance_alone.outcomes, result.outcomes, plan.scenario)
                 if chance_alone is not None else {})
        write_results(result, plan.folder, command=command, extra_plots=extra)
    return RunOutcome(result, chance_alone, plan.folder)


# --- budget -------------------------------------------------------------------------


@dataclass(frozen=True)
class BudgetPlan:
    run_folder: Path
    changes: dict[str, Any]
    folder: Path


def plan_budget(run_folder: str | Path, changes: dict[str, Any] | None = None,
                folder: str | Path | None = None) -> BudgetPlan:
    """The money of a saved run again, into a new folder (default: beside the
    run, its name with _budget). The run itself is never changed."""
    RunFolder.open(Path(run_folder))  # a folder that is no run is said before anything is made
    resolved = Path(run_folder).resolve()
    folder = Path(folder) if folder is not None else resolved.with_name(resolved.name + "_budget")
    if folder.resolve() == resolved or resolved in folder.resolve().parents:
        raise ScenarioError([Problem(f"--out {folder}", None, None, "",
                                     "is the run's own folder or inside it; budget writes a new folder beside the "
                                     "run and never changes the run")])
    return BudgetPlan(Path(run_folder), dict(changes or {}), folder)


def budget_and_save(plan: BudgetPlan, command: list[str] | None = None) -> RunResult:
    with folders.claimed(plan.folder):
        result = recompute_budget(plan.run_folder, plan.changes)
        write_results(result, plan.folder, command, provenance={"recomputed_from": str(plan.run_folder)})
    return result


# --- compare ------------------------------------------------------------------------


@dataclass(frozen=True)
class ComparePlan:
    scenarios: tuple[Scenario, ...]
    replications: int
    seed: int | None
    workers: int | None
    folder: Path

    @property
    def total(self) -> int:
        return self.replications * len(self.scenarios)


def plan_compare(scenarios: list[Scenario | str | Path], replications: int | None = None, seed: int | None = None,
                 workers: int | None = None, folder: str | Path | None = None,
                 changes: dict[str, Any] | None = None) -> ComparePlan:
    """``scenarios``: scenarios, or files and shipped names, read with
    ``changes`` applied to each; the first is the baseline."""
    if len(scenarios) < 2:
        raise ScenarioError([Problem("compare", None, None, "", "needs at least two scenarios")])
    scenarios = [scenario if isinstance(scenario, Scenario) else load(scenario, changes) for scenario in scenarios]
    names = [scenario.name for scenario in scenarios]
    if len(set(names)) < len(names):
        raise ScenarioError([Problem("compare", None, None, "",
                                     f"scenarios must have different names, got {', '.join(names)}")])
    count = replications or scenarios[0].replications
    for scenario in scenarios:  # the tables of every scenario are kept to the end
        check_run_size(scenario, count * len(scenarios), workers, True, f"-n {count}")
    folder = _folder_or(folder, "compare_" + "_".join(names))
    return ComparePlan(tuple(scenarios), count, seed, workers, folder)


def compare_and_save(plan: ComparePlan, command: list[str] | None = None,
                     on_progress: Callable[[int], None] | None = None) -> Comparison:
    with folders.claimed(plan.folder):
        comparison = compare(list(plan.scenarios), plan.replications, seed=plan.seed, workers=plan.workers,
                             on_progress=on_progress)
        write_comparison(comparison, plan.folder, command=command)
    return comparison


# --- sweep --------------------------------------------------------------------------


@dataclass(frozen=True)
class SweepPlan:
    base: Scenario
    varied: tuple[Varied, ...]
    design: str                  # grid or lhs
    points: tuple[dict[str, float], ...]
    replications: int
    seed: int
    target: tuple[str, float] | None
    workers: int | None
    folder: Path

    @property
    def total(self) -> int:
        return len(self.points) * self.replications


def plan_sweep(base: Scenario, vary: list[str], design: str = "grid", points: int = 20, replications: int = 200,
               seed: int | None = None, target: str | None = None, workers: int | None = None,
               folder: str | Path | None = None) -> SweepPlan:
    """Every point is made and checked before any runs."""
    if design not in ("grid", "lhs"):
        raise ScenarioError([Problem(f"--design {design}", None, None, "", "expected grid or lhs")])
    varied = [parse_vary(text, base) for text in vary]
    count = math.prod(len(one.values) for one in varied) if design == "grid" else points
    _refuse(limits.too_many_points(count, "--vary " + " --vary ".join(vary))
            + limits.too_many_replications(count * replications, f"-n {replications}"))
    chosen_target = _target(target, base)
    seed = base.seed if seed is None else seed
    grid_points = sweeping.grid(varied) if design == "grid" else sweeping.latin_hypercube(varied, points, seed)
    for point in grid_points:
        check_run_size(sweeping.scenario_at(base, point, varied), replications, workers, True, f"-n {replications}")
    folder = _folder_or(folder, f"sweep_{base.name}")
    return SweepPlan(base, tuple(varied), design, tuple(grid_points), replications, seed, chosen_target, workers,
                     folder)


def sweep_and_save(plan: SweepPlan, command: list[str] | None = None,
                   on_point: Callable[[int, int, bool], None] | None = None,
                   on_progress: Callable[[int], None] | None = None):
    """Run every point and write the folder; returns the result and its
    per-point summary. Finished points are kept beside the folder until the
    sweep is complete, so that an interrupted sweep continues where it
    stopped when run again."""
    with folders.claimed(plan.folder) as claim:
        work = claim.path.with_name(f".{claim.path.name}.work")
        result = sweep(plan.base, list(plan.varied), list(plan.points), plan.replications, plan.seed, PointStore(work),
                       workers=plan.workers, on_point=on_point, on_progress=on_progress)
        summary = sweeping.point_summary(result, plan.target)
        write_sweep(result, summary, plan.target, plan.folder, command, plan.design)
    shutil.rmtree(work, ignore_errors=True)
    return result, summary


# --- size ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SizePlan:
    base: Scenario
    varied: Varied
    target: tuple[str, float]
    confidence: float
    by_month: float | None
    minimise: str | None
    replications: int
    max_replications: int
    seed: int
    workers: int | None
    folder: Path


def plan_size(base: Scenario, vary: str, target: str | None = None, confidence: float = 0.8,
              by_month: float | None = None, minimise: str | None = None, replications: int = 200,
              max_replications: int = 6400, seed: int | None = None, workers: int | None = None,
              folder: str | Path | None = None) -> SizePlan:
    """``vary`` is PATH=LOW:HIGH, whole numbers; both ends must make a
    scenario that can run."""
    path, _equals, spec = vary.partition("=")
    try:
        low, high = (int(part) for part in spec.split(":"))
        if not 0 <= low < high:
            raise ValueError
    except ValueError:
        raise ScenarioError([Problem(f"--vary {vary}", None, None, "",
                                     "expected PATH=LOW:HIGH with whole numbers, LOW < HIGH")]) from None
    varied = sweeping.whole_number_range(path, low, high, base)
    if by_month is not None:  # a month the scenario cannot be counted at is refused here, not half way
        with_changes(base, {"horizon_months": float(by_month)}, f"--by-month {by_month:g}")
    chosen_target = _target(target, base)
    if chosen_target is None:
        raise ScenarioError([Problem("--target", None, None, "", "give a target, e.g. placed>=78")])
    _refuse(limits.too_many_replications(max_replications, f"--max-replications {max_replications}"))
    for end in (low, high):
        check_run_size(sweeping.scenario_at(base, {path: end}, [varied]), max_replications, workers, True,
                       f"--max-replications {max_replications}")
    folder = _folder_or(folder, f"size_{base.name}")
    return SizePlan(base, varied, chosen_target, confidence, by_month, minimise, replications, max_replications,
                    base.seed if seed is None else seed, workers, folder)


def size_and_save(plan: SizePlan, command: list[str] | None = None, on_probe=None) -> SizingResult:
    with folders.claimed(plan.folder):
        result = size(plan.base, plan.varied, plan.target, plan.confidence, seed=plan.seed, by_month=plan.by_month,
                      start_replications=plan.replications, max_replications=plan.max_replications,
                      workers=plan.workers, minimise=plan.minimise, on_probe=on_probe)
        write_sizing(result, plan.base, plan.folder, command)
    return result


# --- calibrate ----------------------------------------------------------------------


@dataclass(frozen=True)
class CalibratePlan:
    base: Scenario
    file: Path                   # the scenario's file, which the fitted one extends
    observed: Observed
    samples: int
    replications: int
    seed: int | None
    workers: int | None
    folder: Path


def plan_calibrate(name_or_path: str | Path, changes: dict[str, Any] | None = None,
                   observed: str | Path | None = None, samples: int = 30, replications: int = 40,
                   seed: int | None = None, workers: int | None = None,
                   folder: str | Path | None = None) -> CalibratePlan:
    """The scenario file (or shipped name) to fit, which the fitted file will
    extend; ``observed`` defaults to scenarios/observed/<scenario name>.yaml."""
    base = load(name_or_path, changes)
    path = shipped.resolve(str(name_or_path))
    figures = load_observed(observed or observed_folder() / f"{base.name}.yaml")
    if not base.free:
        raise ScenarioError([Problem(str(path), None, None, "free",
                                     _("declare the parameters to fit, e.g. {example}").format(
                                         example="free: {referrals.rate_per_month: {low: 5, high: 15}}"))])
    check_free(base, str(path))
    for check in figures.out_of_sample:
        freed_for(base, figures, check)
    if samples < smallest_design(len(base.free)):
        raise ScenarioError([Problem("--samples", None, None, "", _(
            "{count} free parameters need at least {least} candidates a round, got {samples}").format(
                count=len(base.free), least=smallest_design(len(base.free)), samples=samples))])
    _refuse(limits.too_many_points(samples, f"--samples {samples}")
            + limits.too_many_replications(MOST_ROUNDS * samples * replications, f"-n {replications}"))
    check_run_size(base, replications, workers, True, f"-n {replications}")
    folder = _folder_or(folder, f"calibrate_{base.name}")
    return CalibratePlan(base, path, figures, samples, replications, seed, workers, folder)


def calibrate_and_save(plan: CalibratePlan, command: list[str] | None = None,
                       on_candidate: Callable[[int, int], None] | None = None):
    """The fit, then the published figures against the fitted scenario;
    returns both."""
    with folders.claimed(plan.folder):
        result: CalibrationResult = calibrate(plan.base, plan.observed, plan.samples, plan.replications,
                                              plan.seed, plan.workers, on_candidate=on_candidate)
        check = check_fit(result, workers=plan.workers)
        write_calibration(result, check, str(plan.file), plan.folder, command)
    return result, check


# --- sensitivity --------------------------------------------------------------------


@dataclass(frozen=True)
class SensitivityPlan:
    base: Scenario
    method: str
    samples: int
    outcomes: tuple[str, ...]
    replications: int
    seed: int
    workers: int | None
    folder: Path


def plan_sensitivity(base: Scenario, method: str = "sobol", samples: int = 64, outcomes: list[str] | None = None,
                     replications: int = 20, seed: int | None = None, workers: int | None = None,
                     folder: str | Path | None = None) -> SensitivityPlan:
    """Outcomes default to placed, and npv when the scenario has a budget.
    Every design point is checked too, when ``sensitivity`` makes them,
    before any of them runs."""
    chosen = tuple(outcomes or (["placed", "npv"] if base.budget is not None else ["placed"]))
    check_sensitivity_request(base, method, list(chosen), samples)
    points = samples * (len(base.uncertain) + (2 if method == "sobol" else 1))
    _refuse(limits.too_many_points(points, f"--samples {samples}")
            + limits.too_many_replications(points * replications, f"-n {replications}"))
    check_run_size(base, replications, workers, True, f"-n {replications}")
    folder = _folder_or(folder, f"sensitivity_{base.name}")
    return SensitivityPlan(base, method, samples, chosen, replications, base.seed if seed is None else seed,
                           workers, folder)


def sensitivity_and_save(plan: SensitivityPlan, command: list[str] | None = None,
                         on_point: Callable[[int, int], None] | None = None) -> SensitivityResult:
    with folders.claimed(plan.folder):
        result = sensitivity(plan.base, plan.method, plan.samples, plan.outcomes, plan.replications, plan.seed,
                             plan.workers, on_point=on_point)
        write_sensitivity(result, plan.folder, command)
    return result


# --- replications -------------------------------------------------------------------


@dataclass(frozen=True)
class ReplicationsPlan:
    base: Scenario
    outcomes: tuple[str, ...]
    precision: float
    maximum: int
    seed: int | None
    workers: int | None
    folder: Path


def plan_replications(base: Scenario, outcomes: list[str] | None = None, precision: float = 0.02,
                      maximum: int = 10_000, seed: int | None = None, workers: int | None = None,
                      folder: str | Path | None = None) -> ReplicationsPlan:
    _refuse(limits.too_many_replications(maximum, f"--max {maximum}"))
    check_precision_request(base, list(outcomes or ["placed"]), precision, maximum)
    # Replications run in batches; what is kept of all of them is a column per outcome.
    check_run_size(base, min(maximum, max(sequential.BATCH, sequential.FIRST)), workers, True, f"--max {maximum}")
    folder = _folder_or(folder, f"replications_{base.name}")
    return ReplicationsPlan(base, tuple(outcomes or ["placed"]), precision, maximum, seed, workers, folder)


def replications_and_save(plan: ReplicationsPlan, command: list[str] | None = None,
                          on_progress: Callable[[int], None] | None = None) -> PrecisionResult:
    with folders.claimed(plan.folder):
        result = replications_needed(plan.base, plan.outcomes, plan.precision, plan.maximum, plan.seed,
                                     plan.workers, on_progress=on_progress)
        write_precision(result, plan.folder, command)
    return result


# --- validation ---------------------------------------------------------------------


@dataclass(frozen=True)
class ValidationReport:
    backtests: list[tuple[Observed, Any]]   # published figures and the model against them
    checks: list[validation.Check]          # against exact results
    folder: Path
    out_of_sample: list[tuple[Observed, OutOfSampleResult]] = field(default_factory=list)

    @property
    def predicted(self) -> tuple[int, int]:
        """Figures predicted out of sample by checks whose fit bounds every
        parameter, other than figures already held out, and how many lie
        within their predicted 90 %."""
        tables = [counted_predictions(result) for _, result in self.out_of_sample]
        return sum(len(table) for table in tables), sum(int(table["within_90"].sum()) for table in tables)

    def with_role(self, role: str) -> tuple[int, int]:
        """Published figures with ``role`` (input, fitted, held_out), and how many lie within the simulated 90 %."""
        rows = [table[table["role"] == role] for _, table in self.backtests]
        return sum(len(part) for part in rows), sum(int(part["within_90"].sum()) for part in rows)

    @property
    def checks_failed(self) -> int:
        return sum(not check.passed for check in self.checks)


def validation_report(folder: str | Path | None = None, replications: int = 1000, command: list[str] | None = None,
                      on_step: Callable[[str], None] | None = None, candidates: int = 30,
                      fit_replications: int = 40) -> ValidationReport:
    """Back-test every shipped scenario with published figures, run the
    out-of-sample checks their files declare (``candidates`` a round,
    ``fit_replications`` each), check the model against exact results, and
    write validation.md (default folder results/validation)."""
    folder = _folder_or(folder, "validation")
    step = on_step or (lambda _: None)
    everything = [load_observed(path) for path in sorted(observed_folder().glob("*.yaml"))]
    for observed in everything:  # every check's parameters refused before anything runs
        for check in observed.out_of_sample:
            freed_for(load_scenario(shipped.resolve(observed.scenario)), observed, check)
            if candidates < smallest_design(len(check.free)):
                raise ScenarioError([Problem("--candidates", None, None, "", _(
                    "{scenario}'s check '{check}' fits {count} parameters, which need at least {least} candidates a "
                    "round").format(scenario=observed.scenario, check=check.description, count=len(check.free),
                                    least=smallest_design(len(check.free))))])
    with folders.claimed(folder), executors.shared():
        backtests = []
        for observed in everything:
            step(_("back-test: {scenario}").format(scenario=observed.scenario))
            table = backtest(load_scenario(shipped.resolve(observed.scenario)), observed, replications)
            backtests.append((observed, table))
        predictions = []
        for observed, _result in backtests:
            for check in observed.out_of_sample:
                step(_("out of sample: {scenario}, {check}").format(scenario=observed.scenario,
                                                                    check=check.description))
                scenario = load_scenario(shipped.resolve(observed.scenario))
                predictions.append((observed, out_of_sample(scenario, observed, check, candidates, fit_replications)))
        step(_("checks against exact results..."))
        binomial, chi_square_p = validation.binomial_checks()
        checks = [*binomial, validation.erlang_c_check(), *validation.littles_law_checks()]
        write_validation(folder, validation_markdown(backtests, checks, chi_square_p, replications, predictions),
                         replications, command)
    return ValidationReport(backtests, checks, folder, predictions)


@contextmanager
def claim(folder: str | Path) -> Iterator[None]:
    """Hold ``folder`` from now until the block ends: refused (one problem,
    ``ScenarioError``) if it is not a new path or a folder pilotsim wrote, and
    no other pilotsim command may write there meanwhile. The ``*_and_save``
    functions claim their folder themselves; claiming it earlier, before an
    executor starts, refuses a bad folder before any work."""
    with folders.claimed(folder):
        yield


def results_put_in_place() -> list[Path]:
    """Every folder or file this process has put in place so far, oldest first."""
    return list(folders.put_in_place_so_far)


def shipped_descriptions() -> dict[str, str]:
    """The shipped scenarios, each with the first line of its description."""
    return {path.stem: shipped.one_line_description(path) for path in shipped.shipped_scenarios()}
