"""The ``pilotsim`` command: a thin shell over the Python API."""

from __future__ import annotations

import enum
import functools
import inspect
import math
import shlex
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from sim import api
from sim.api import Problem, ScenarioError, _, ngettext
from sim.measure import columns

try:  # Typer from 0.2x carries its own copy of click
    from typer._click import exceptions as click_exceptions
except ImportError:
    from click import exceptions as click_exceptions

app = typer.Typer(
    help="Simulate training-to-work programmes for people on social assistance.\n\n"
    "A scenario file describes a programme; pilotsim runs it many times and "
    "shows the spread of outcomes.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    # Click's own help: it wraps to any terminal width and never cuts an
    # option's name (rich's boxed help cut them at 80 columns).
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)
# Nothing a user wrote is read as markup or emoji codes: a position such as
# "file.yaml:100:30" would otherwise print as "file.yaml💯30".
out = Console(markup=False, emoji=False, highlight=False)
err = Console(stderr=True, markup=False, emoji=False, highlight=False)


def command(*args, **kwargs):
    """A pilotsim command. Whatever problem the API finds in the request (a
    scenario, an option, a folder, an executor that cannot be had) is one
    line per problem on standard error and exit status 2, in every command
    alike."""
    def register(function):
        @functools.wraps(function)
        def answered(*call_args, lang: Language | None = None, **call_kwargs):
            try:
                with api.speaking(lang.value if lang is not None else None):
                    return function(*call_args, **call_kwargs)
            except ScenarioError as error:
                _exit_with(error.problems)
            except api.ExecutorUnavailable as error:
                err.print(str(error), soft_wrap=True)
                raise typer.Exit(2) from None
        # Every command takes --lang, without each one declaring it.
        signature = inspect.signature(function, eval_str=True)
        answered.__signature__ = signature.replace(parameters=[*signature.parameters.values(), LANGUAGE_PARAMETER])
        return app.command(*args, **kwargs)(answered)
    return register

#: --lang, on every command: the language of tables, plots, reports and workbooks.
Language = enum.Enum("Language", {code: code for code in api.LANGUAGES}, type=str)
LANGUAGE_PARAMETER = inspect.Parameter(
    "lang", inspect.Parameter.KEYWORD_ONLY, default=None,
    annotation=Annotated[Optional[Language], typer.Option(
        "--lang", metavar="|".join(api.LANGUAGES),
        help="Language of what is written: en (English) or nl (Nederlands). Default: the PILOTSIM_LANG setting, "
             "else the system's language, else English.", show_default=False)])

#: The --set option, shared by every command that reads a scenario.
SetOption = Annotated[
    Optional[list[str]],
    typer.Option("--set", metavar="PATH=VALUE",
                 help="Change a field of the scenario, e.g. --set stages.training.slots=60 (repeatable)."),
]

WorkersOption = Annotated[
    Optional[int], typer.Option("--workers", "-w", min=1, metavar="N",
                                help="Processes to use (default: all cores; at most "
                                     f"{api.MAX_WORKERS_PER_CORE} per core).")
]
ExecutorOption = Annotated[
    str, typer.Option("--executor", envvar="PILOTSIM_EXECUTOR",
                      help="Where replications run: processes (this machine) or dask (a cluster; needs the "
                           "dask extra).", show_envvar=False),
]
SchedulerOption = Annotated[
    Optional[str], typer.Option("--scheduler", help="Dask scheduler address, e.g. tcp://host:8786 (default: the "
                                                    "DASK_SCHEDULER_ADDRESS setting, else a local cluster).")
]
Engine = enum.Enum("Engine", {name: name for name in api.ENGINES}, type=str)
EngineOption = Annotated[
    Engine, typer.Option("--engine",
                      help="fast, or processes: the model as SimPy processes, for reading and extending it. "
                           "Same results; fast is several times quicker."),
]
ScenarioArgument = Annotated[str, typer.Argument(help=f"Scenario file, or the name of a shipped one. Default: "
                                                      f"{api.REFERENCE}.")]
StateOption = Annotated[Path, typer.Option("--state", metavar="FILE",
                                           help="The state file: CSV, or Parquet by its suffix.")]
ReplicationsOption = Annotated[Optional[int], typer.Option("-n", "--replications", min=1, metavar="N",
                                                           help="Replications (default: the scenario's).")]
SeedOption = Annotated[Optional[int], typer.Option("--seed", min=0, metavar="N",
                                                   help="Root seed (default: the scenario's).")]

#: The rule for every --out, in the help of each command that writes.
OUT_RULE = ("A new path, or a folder pilotsim wrote (replaced when the new results are complete); anything else "
            "is refused.")


def out_option(default: str) -> object:
    """The --out option of a command that writes a results folder."""
    return Annotated[Optional[Path], typer.Option("--out", metavar="FOLDER",
                                                  help=f"Results folder (default: {default}). {OUT_RULE}")]


@command(short_help="Run a scenario many times: tables, a summary and plots.")
def run(
    scenario: Annotated[
        Optional[str],
        typer.Argument(help=f"Scenario file, or the name of a shipped one. Default: {api.REFERENCE}."),
    ] = None,
    replications: ReplicationsOption = None,
    seed: SeedOption = None,
    out_dir: out_option("results/<scenario name>") = None,
    keep_clients: Annotated[
        Optional[bool],
        typer.Option("--keep-clients/--no-keep-clients",
                     help="Write clients.parquet, one row per client, and visits.parquet, one row per stay in a "
                          "stage (default: when the scenario has a budget, "
                          "so `pilotsim budget` can recompute the money).", show_default=False),
    ] = None,
    per_replication: Annotated[
        Optional[bool],
        typer.Option("--per-replication/--summary-only",
                     help="Keep every replication's monthly counts and cashflow (timeseries.parquet, "
                          "cashflow.parquet, replications.csv), or only their distributions "
                          f"(timeseries_summary.csv, replications.parquet; memory stays flat). Default: per "
                          f"replication up to {api.SUMMARY_ONLY_ABOVE:,} replications.", show_default=False),
    ] = None,
    with_uncertainty: Annotated[
        bool, typer.Option("--with-uncertainty",
                           help="Draw the scenario's uncertain parameters anew for each replication, so the spread "
                                "shows what is not known as well as chance (needs an uncertain: section).")
    ] = False,
    workers: WorkersOption = None,
    executor: ExecutorOption = "processes",
    scheduler: SchedulerOption = None,
    engine: EngineOption = Engine.fast,
    overrides: SetOption = None,
) -> None:
    """Run a scenario many times and write tables, a summary and plots."""
    loaded = _load(scenario or api.REFERENCE, overrides, engine)
    plan = api.plan_run(loaded, replications, seed, workers, keep_clients, per_replication, with_uncertainty, out_dir,
                        option=f"-n {replications}" if replications else "replications")
    with _interrupts(), api.claim(plan.folder), _executor(executor, workers, scheduler, engine):
        with _progress() as progress:
            task = progress.add_task(f"{loaded.name}", total=plan.total)
            result = api.run_and_save(plan, _command(), on_progress=lambda done: progress.advance(task, done)).result
    folder = plan.folder

    summary = result.summary()
    headline = columns.HEADLINE + (columns.MONEY_HEADLINE if loaded.budget is not None else ())
    if loaded.caseload is not None:
        headline += tuple(name for name in columns.CASELOAD_HEADLINE if name in summary.index)
    title = _("{title}: {runs} runs, seed {seed}").format(
        title=loaded.title or loaded.name, runs=api.number(result.replications), seed=result.seed)
    if with_uncertainty:
        title += _(", uncertain assumptions drawn for each run")
    if loaded.budget is not None:
        title += _("; money counted until {until}, in {prices}").format(
            until=api.months_counted_in_words(loaded, with_uncertainty), prices=api.prices_in_words(loaded))
    out.print(_headline_table(loaded, summary, headline, title, with_uncertainty))
    _say_headline(result)
    out.print(_("Results written to {folder}/ in {seconds} s on {workers} worker(s).").format(
        folder=folder, seconds=api.number(result.seconds, 1), workers=result.workers), soft_wrap=True)
    _warn_if_imprecise(result, ["placed", "npv"] if loaded.budget is not None else ["placed"],
                       scenario or api.REFERENCE, overrides or [])


def _warn_if_imprecise(result, outcomes: list[str], scenario: str, overrides: list[str]) -> None:
    for outcome, relative in api.imprecise(result, outcomes).items():
        # The scenario and its --set changes as given, so the command works as printed.
        suggestion = shlex.join(["pilotsim", "replications", scenario,
                                 *(part for change in overrides for part in ("--set", change)),
                                 "--outcome", outcome])
        err.print(_("Warning: the 95 % interval of the mean of {outcome} is ± {relative} of it, wider than "
                    "{limit}; run more replications ({suggestion} says how many).").format(
            outcome=columns.column(outcome).words.lower(), relative=api.percent(relative),
            limit=api.percent(api.IMPRECISE_ABOVE), suggestion=suggestion), soft_wrap=True)


@command(short_help="Recompute the money of a run, without simulating again.")
def budget(
    results_dir: Annotated[Path, typer.Argument(metavar="RESULTS", help="A results folder written by pilotsim run.")],
    overrides: Annotated[
        Optional[list[str]],
        typer.Option("--set", metavar="PATH=VALUE",
                     help="Change a budget field, e.g. --set budget.discount_rate=0.03 (repeatable)."),
    ] = None,
    out_dir: Annotated[
        Optional[Path], typer.Option("--out", metavar="FOLDER",
                                     help=f"Where the recomputed results go (default: beside the run, its name "
                                          f"with _budget). The run itself is never changed. {OUT_RULE}")
    ] = None,
) -> None:
    """Recompute the money of a run from its client records, without simulating
    again, and write the run's results with the new money to a new folder."""
    plan = api.plan_budget(results_dir, api.parse_changes(overrides), out_dir)
    folder = plan.folder
    with _interrupts(), api.claim(folder):
        result = api.budget_and_save(plan, _command())

    summary = result.summary()
    out.print(_headline_table(result.scenario, summary, columns.MONEY_HEADLINE,
                              _("{title}: money, {runs} runs, discounted at {rate} a year; money counted until "
                                "{until}").format(title=result.scenario.title or result.scenario.name,
                                                  runs=api.number(result.replications),
                                                  rate=api.percent(result.scenario.budget.discount_rate),
                                                  until=api.months_counted_in_words(result.scenario,
                                                                                    result.with_uncertainty)),
                              result.with_uncertainty))
    _say_headline(result)
    out.print(_("Results with the new money written to {folder}/ (the run in {run}/ is unchanged).").format(
        folder=folder, run=results_dir), soft_wrap=True)


@command(short_help="Compare scenarios on the same random numbers.")
def compare(
    scenarios: Annotated[list[str], typer.Argument(help="Two or more scenarios; the first is the baseline.")],
    replications: Annotated[
        Optional[int], typer.Option("-n", "--replications", min=2, metavar="N",
                                    help="Replications (default: the first's).")
    ] = None,
    seed: SeedOption = None,
    out_dir: out_option("results/compare_<first>_<second>...") = None,
    workers: WorkersOption = None,
    executor: ExecutorOption = "processes",
    scheduler: SchedulerOption = None,
    engine: EngineOption = Engine.fast,
    overrides: SetOption = None,
) -> None:
    """Compare scenarios on the same random numbers: paired differences, their
    confidence intervals, and the chance each beats the first."""
    plan = api.plan_compare(scenarios, replications, seed, workers, out_dir, changes=api.parse_changes(overrides))
    names, count, folder = [scenario.name for scenario in plan.scenarios], plan.replications, plan.folder
    for loaded in plan.scenarios:
        _say_engine(loaded, engine)
    with _interrupts(), api.claim(folder), _executor(executor, workers, scheduler, engine):
        with _progress() as progress:
            task = progress.add_task(_("comparing"), total=plan.total)
            comparison = api.compare_and_save(plan, _command(), on_progress=lambda done: progress.advance(task, done))

    summary = comparison.summary()
    for alternative in comparison.alternatives:
        rows = summary[summary["scenario"] == alternative.scenario.name].drop(columns="scenario").set_index("outcome")
        # The names above the table, whole: a table's columns would cut them.
        out.print("\n" + _("{alternative} (alternative) against {baseline} (baseline): {runs} paired runs, seed "
                           "{seed}").format(alternative=alternative.scenario.name, baseline=names[0],
                                            runs=api.number(count), seed=comparison.baseline.seed), soft_wrap=True)
        table = Table()
        for column, justify in ((_("outcome"), "left"), (_("baseline"), "right"), (_("alternative"), "right"),
                                (_("difference (95 % CI)"), "right"), (_("chance better"), "right")):
            table.add_column(column, justify=justify, no_wrap=column == _("chance better"))
        for outcome in columns.HEADLINE + columns.MONEY_HEADLINE + columns.CASELOAD_HEADLINE:
            if outcome not in rows.index or math.isnan(rows.loc[outcome, "difference"]):
                continue
            row, shown = rows.loc[outcome], columns.column(outcome)
            chance = row["chance_better"]
            table.add_row(
                shown.table_label, shown.formatted(row["baseline_mean"]), shown.formatted(row["alternative_mean"]),
                _("{difference} ({low} to {high})").format(difference=shown.formatted_difference(row["difference"]),
                                                           low=shown.formatted_difference(row["ci95_low"]),
                                                           high=shown.formatted_difference(row["ci95_high"])),
                "" if math.isnan(chance) else _("same in every run") if row["chance_same"] == 1
                else api.percent(chance),
            )
        out.print(table)
    out.print(_("Results written to {folder}/").format(folder=folder), soft_wrap=True)


@command(short_help="Run a scenario at many values of some of its fields.")
def sweep(
    scenario: Annotated[str, typer.Argument(help="Scenario file or shipped scenario name.")],
    vary: Annotated[
        list[str],
        typer.Option("--vary", metavar="PATH=SPEC",
                     help="A field and its values: low:high:step (ends included) or v1,v2,... (repeatable; at most "
                          f"{api.MAX_POINTS:,} points in all)."),
    ],
    design: Annotated[
        str, typer.Option("--design", help="grid: every combination; lhs: a Latin hypercube of --points points.")
    ] = "grid",
    points: Annotated[int, typer.Option("--points", min=2, metavar="N", help="Points of a Latin hypercube.")] = 20,
    replications: Annotated[
        Optional[int], typer.Option("-n", "--replications", min=2, metavar="N", help="Replications per point.")
    ] = 200,
    seed: SeedOption = None,
    target: Annotated[
        Optional[str], typer.Option("--target", metavar="OUTCOME>=VALUE",
                                    help="Target for the chance charts (default: the scenario's target).")
    ] = None,
    out_dir: out_option("results/sweep_<scenario name>") = None,
    workers: WorkersOption = None,
    executor: ExecutorOption = "processes",
    scheduler: SchedulerOption = None,
    engine: EngineOption = Engine.fast,
    overrides: SetOption = None,
) -> None:
    """Run a scenario at many values of some of its fields, on the same random
    numbers. Interrupted sweeps continue where they stopped when run again."""
    plan = api.plan_sweep(_load(scenario, overrides, engine), vary, design, points, replications, seed, target, workers,
                          out_dir)
    varied, chosen_target, folder = plan.varied, plan.target, plan.folder
    done_points = 0

    def interrupted() -> str:
        return _("Interrupted after {done} of {points} points; the finished points are kept: run the same command "
                 "again to continue.").format(done=done_points, points=len(plan.points))

    def on_point(done: int, total: int, resumed: bool) -> None:
        nonlocal done_points
        done_points = done

    with _interrupts(interrupted), api.claim(folder), _executor(executor, workers, scheduler, engine):
        with _progress() as progress:
            task = progress.add_task(ngettext("{count} point", "{count} points", len(plan.points)).format(
                count=len(plan.points)), total=plan.total)
            _result, summary = api.sweep_and_save(plan, _command(), on_point=on_point,
                                            on_progress=lambda n: progress.advance(task, n))
    _print_sweep_table(summary, varied, chosen_target)
    out.print(_("Results written to {folder}/").format(folder=folder), soft_wrap=True)


@command(short_help="The smallest value of a field that reaches a target.")
def size(
    scenario: Annotated[str, typer.Argument(help="Scenario file or shipped scenario name.")],
    vary: Annotated[str, typer.Option("--vary", metavar="PATH=LOW:HIGH",
                                      help="The whole-number field to size and the range to search.")],
    target: Annotated[Optional[str], typer.Option("--target", metavar="OUTCOME>=VALUE",
                                                  help="Default: the scenario's target.")] = None,
    confidence: Annotated[float, typer.Option("--confidence", min=0.01, max=0.99, metavar="SHARE",
                                              help="Required chance of reaching the target.")] = 0.8,
    by_month: Annotated[Optional[float], typer.Option("--by-month", min=1, metavar="MONTH",
                                                      help="Count the target by this month.")] = None,
    minimise: Annotated[Optional[str], typer.Option("--minimise", metavar="OUTCOME",
                                                    help="Among values reaching the target, the one with the "
                                                         "lowest mean of this outcome (e.g. total_costs).")] = None,
    replications: Annotated[int, typer.Option("-n", "--replications", min=20, metavar="N",
                                              help="Replications of a value's first round.")] = 200,
    max_replications: Annotated[int, typer.Option("--max-replications", min=20, metavar="N",
                                                  help="Replications of a value at most.")] = 6400,
    seed: SeedOption = None,
    out_dir: out_option("results/size_<scenario name>") = None,
    workers: WorkersOption = None,
    executor: ExecutorOption = "processes",
    scheduler: SchedulerOption = None,
    engine: EngineOption = Engine.fast,
    overrides: SetOption = None,
) -> None:
    """Find the smallest value of a field (places, intake...) that reaches a
    target with the stated certainty, spending replications where the answer
    is decided."""
    plan = api.plan_size(_load(scenario, overrides, engine), vary, target, confidence, by_month, minimise, replications,
                         max_replications, seed, workers, out_dir)
    path, folder = plan.varied.path, plan.folder
    start = plan.base.calendar_start

    def value(number: int) -> str:
        return api.field_value(path, number, start)

    with _interrupts(), api.claim(folder), _executor(executor, workers, scheduler, engine):
        with err.status(_("searching...")) as status:
            result = api.size_and_save(
                plan, _command(),
                on_probe=lambda p: status.update(_("{field} {value}: {hits} of {runs} runs").format(
                    field=api.field_label(path), value=value(p.value), hits=api.number(p.chance.hits),
                    runs=api.number(p.chance.replications))))
    sentence, answer = api.sizing_in_words(result, start)
    if result.undecided is not None:
        sentence += " " + _("Raise --max-replications to decide it.")
    out.print(Text.assemble(sentence, (answer or "", "bold")), soft_wrap=True)
    shown = result.neighbourhood()
    table = Table(title=_("Probes next to the answer") if result.answer is not None else _("The highest value probed"))
    for column in (_("value"), _("chance"), _("95 % interval"), _("replications")):
        table.add_column(column, justify="right")
    for probe in shown:
        table.add_row(value(probe.value), _("{hits} of {runs} runs").format(
            hits=api.number(probe.chance.hits), runs=api.number(probe.chance.replications)),
                      _("{low} to {high}").format(low=api.percent(probe.chance.low),
                                                  high=api.percent(probe.chance.high)),
                      api.number(probe.replications))
    out.print(table)
    if result.minimised is not None:
        out.print(_("Lowest mean {outcome} among values reaching the target: {field} at {value}").format(
            outcome=columns.column(result.minimised[0]).words.lower(), field=api.quoted_field(path),
            value=value(result.minimised[1])), soft_wrap=True)
    total = sum(probe.replications for probe in result.probes.values())
    said = [ngettext("{values} value probed, {runs} replications.", "{values} values probed, {runs} replications.",
                     len(result.probes)).format(values=api.number(len(result.probes)), runs=api.number(total))]
    if len(shown) < len(result.probes):
        said.append(_("The table shows those next to the answer; probes.csv has every one.")
                    if result.answer is not None else _("The table shows the highest; probes.csv has every one."))
    said.append(_("Results written to {folder}/").format(folder=folder))
    out.print(" ".join(said), soft_wrap=True)


@command(short_help="Fit a scenario's free parameters to published figures.")
def calibrate(
    scenario: Annotated[str, typer.Argument(help="Scenario with a free: section, file or shipped name.")],
    observed: Annotated[Optional[Path], typer.Option(
        "--observed", metavar="FILE", help="Published figures (default: scenarios/observed/<scenario name>.yaml).")
    ] = None,
    samples: Annotated[int, typer.Option(
        "--samples", min=1, metavar="N",
        help="Candidate parameter sets a round (at least 6 for one free parameter, 12 for two, 20 for three).")
    ] = 30,
    replications: Annotated[int, typer.Option("-n", "--replications", min=10, metavar="N",
                                              help="Replications per candidate.")] = 40,
    seed: SeedOption = None,
    out_dir: out_option("results/calibrate_<scenario name>") = None,
    workers: WorkersOption = None,
    executor: ExecutorOption = "processes",
    scheduler: SchedulerOption = None,
    engine: EngineOption = Engine.fast,
    overrides: SetOption = None,
) -> None:
    """Fit the scenario's free parameters to the published figures that are
    not held out, and write the scenario at the estimates.

    The likelihood of parameter values is the chance that one run with them
    gives the published figures (a synthetic likelihood: normal, with the
    simulated means, spreads and correlations, learned by an emulator from
    rounds of candidates that zoom in on where the posterior lies). The
    estimate is the posterior median, the plausible range its 5-95 %; a range
    the posterior piles up against is widened, and a parameter the data do
    not bound is said to be so. See docs/calibration.md."""
    plan = api.plan_calibrate(scenario, api.parse_changes(overrides), observed, samples, replications, seed,
                              workers, out_dir)
    base = plan.base
    _say_engine(base, engine)
    folder = plan.folder
    with _interrupts(), api.claim(folder), _executor(executor, workers, scheduler, engine):
        with _progress(_("candidates")) as progress:
            task = progress.add_task(_("candidates"), total=samples)
            result, check = api.calibrate_and_save(
                plan, _command(),
                on_candidate=lambda done, planned: progress.update(task, completed=done, total=planned))
    table = Table(title=_("{name}: fitted parameters ({candidates}, {runs} runs each)").format(
        name=base.title or base.name, candidates=api.candidates_in_rounds(len(result.candidates),
                                                            int(result.candidates["round"].max())),
        runs=api.number(replications)))
    for column, justify in ((_("parameter"), "left"), (_("estimate"), "right"), (_("plausible (5-95 %)"), "right"),
                            (_("searched"), "right"), (_("share of searched"), "right")):
        table.add_column(column, justify=justify, overflow="fold")
    to = _("{low} to {high}")
    unbounded = []
    for row in result.ranges().to_dict("records"):
        def words(value: float, row=row) -> str:
            return api.value_in_unit(value, row, base.calendar_start)

        parameter = api.field_label(row["parameter"])

        low = _("below") if row["bounded"] in ("not below", "no") else words(row["plausible_low"])
        high = _("above") if row["bounded"] in ("not above", "no") else words(row["plausible_high"])
        # Unbounded, the median and the share are the search range's, not the data's.
        bounded = row["bounded"] == "yes"
        table.add_row(parameter, words(row["estimate"]) if bounded else _("not bounded"),
                      to.format(low=low, high=high),
                      to.format(low=words(row["searched_low"]), high=words(row["searched_high"])),
                      api.percent(row["narrowed_to"]) if bounded else "-")
        if not bounded:
            unbounded.append(f"{parameter}: {api.range_in_words(row, words)}")
        if (row["searched_low"], row["searched_high"]) != (row["asked_low"], row["asked_high"]):
            unbounded.append(_("{parameter}: the search was widened from {low} to {high}, as the posterior piled up "
                               "at a bound").format(parameter=parameter, low=words(row["asked_low"]),
                                                    high=words(row["asked_high"])))
    out.print(table)
    for line in unbounded:
        out.print(line, soft_wrap=True)
    fit = Table(title=_("Published figures against what the fit predicts (90 % of runs, parameters drawn from the "
                        "posterior)"))
    for column, justify in ((_("figure"), "left"), (_("role"), "left"), (_("published"), "right"),
                            (_("simulated median"), "right"), (_("90 % of runs"), "right")):
        fit.add_column(column, justify=justify, overflow="fold")
    for row in check.itertuples():
        fit.add_row(api.figure_in_words(row.outcome, row.month, base.calendar_start), api.role_in_words(row.role),
                    _figure(row.published), _figure(row.simulated_median),
                    to.format(low=_figure(row.simulated_q05), high=_figure(row.simulated_q95)))
    out.print(fit)
    out.print(_("Fitted scenario and results written to {folder}/").format(folder=folder), soft_wrap=True)


@command(short_help="Which uncertain assumptions the outcomes hang on.")
def sensitivity(
    scenario: Annotated[str, typer.Argument(help="Scenario file or shipped scenario name.")],
    method: Annotated[str, typer.Option("--method", help="sobol (variance shares) or morris (a cheaper screening).")]
    = "sobol",
    samples: Annotated[
        int, typer.Option("--samples", min=2, metavar="N",
                          help="Base samples (sobol: runs = samples x (parameters + 2)) or trajectories (morris: "
                               "samples x (parameters + 1)).")
    ] = 64,
    outcome: Annotated[
        Optional[list[str]], typer.Option("--outcome", help="Outcome to analyse (repeatable; default: placed, "
                                                            "and npv when the scenario has a budget).")
    ] = None,
    replications: Annotated[
        int, typer.Option("-n", "--replications", min=2, metavar="N",
                          help="Replications per point, on the same random numbers.")
    ] = 20,
    seed: SeedOption = None,
    out_dir: out_option("results/sensitivity_<scenario name>") = None,
    workers: WorkersOption = None,
    executor: ExecutorOption = "processes",
    scheduler: SchedulerOption = None,
    engine: EngineOption = Engine.fast,
    overrides: SetOption = None,
) -> None:
    """Which of the scenario's uncertain assumptions (its uncertain: section)
    the outcomes hang on: global sensitivity indices with 95 % intervals, and
    a one-at-a-time tornado."""
    base = _load(scenario, overrides, engine)
    plan = api.plan_sensitivity(base, method, samples, outcome, replications, seed, workers, out_dir)
    outcomes, folder = plan.outcomes, plan.folder
    with _interrupts(), api.claim(folder), _executor(executor, workers, scheduler, engine):
        with _progress(_("runs")) as progress:
            task = progress.add_task(ngettext("{method}, {count} parameter", "{method}, {count} parameters",
                                              len(base.uncertain)).format(method=method,
                                                                          count=len(base.uncertain)), total=None)

            def on_point(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            result = api.sensitivity_and_save(plan, _command(), on_point=on_point)
    for name in outcomes:
        _print_indices_table(result, name)
    out.print(_("Results written to {folder}/").format(folder=folder), soft_wrap=True)


def _print_indices_table(result, outcome: str) -> None:
    shown = api.indices_in_words(result, outcome)
    table = Table(title=_("{title}: {points} combinations x {runs} replications").format(
        title=api.indices_title(result, outcome), points=api.number(len(result.points)),
        runs=api.number(result.replications)))
    table.add_column(shown.columns[0], overflow="fold")
    for header in shown.columns[1:]:
        table.add_column(header, justify="right")
    for row in shown.itertuples(index=False):
        table.add_row(*row)
    if out.measure(table, options=out.options.update_width(10_000)).maximum > out.width:
        # The figures' headers wrap narrow, so that the labels, which a reader looks for, keep the width.
        for column, header in zip(table.columns[1:], shown.columns[1:], strict=True):
            column.max_width = max(14, int(shown[header].str.len().max()))
    out.print(table)
    for warning in api.indices_warnings(result, outcome):
        out.print(warning, soft_wrap=True)


@command("replications", short_help="How many replications an outcome needs.")
def replications_command(
    scenario: Annotated[str, typer.Argument(help="Scenario file or shipped scenario name.")],
    outcome: Annotated[
        Optional[list[str]], typer.Option("--outcome", help="Outcome whose mean must be precise (repeatable; "
                                                            "default: placed).")
    ] = None,
    precision: Annotated[
        float, typer.Option("--precision", metavar="SHARE",
                            help="Target half-width of the 95 % interval, as a fraction of the mean.")
    ] = 0.02,
    maximum: Annotated[int, typer.Option("--max", metavar="N", help="Give up after this many replications.")
                       ] = 10_000,
    seed: SeedOption = None,
    out_dir: out_option("results/replications_<scenario name>") = None,
    workers: WorkersOption = None,
    executor: ExecutorOption = "processes",
    scheduler: SchedulerOption = None,
    engine: EngineOption = Engine.fast,
    overrides: SetOption = None,
) -> None:
    """How many replications the mean of an outcome needs to be known within
    a given precision (the sequential method of Hoad, Robinson and Davies)."""
    base = _load(scenario, overrides, engine)
    plan = api.plan_replications(base, outcome, precision, maximum, seed, workers, out_dir)
    folder = plan.folder
    with _interrupts(), api.claim(folder), _executor(executor, workers, scheduler, engine):
        with _progress() as progress:
            task = progress.add_task(_("{name}, up to").format(name=base.name), total=maximum)
            result = api.replications_and_save(plan, _command(),
                                               on_progress=lambda done: progress.advance(task, done))
    for name, needed in result.needed.items():
        table = result.tables[name]
        if needed is None:
            last = table.iloc[-1]
            out.print(_("{outcome}: not within {target} after {runs} replications (half-width {precision} of the "
                        "mean {mean}); raise --max.").format(
                outcome=columns.column(name).words, target=api.precise_percent(precision), runs=api.number(result.run),
                precision=api.precise_percent(last["precision"]), mean=api.significant(last["mean"], 4)),
                soft_wrap=True)
            continue
        row = table[table["replications"] == needed].iloc[0]
        out.print(_("{outcome}: {runs} replications give a mean of {mean} ± {margin} (95 % interval, {precision} of "
                    "the mean; target {target}).").format(
            outcome=columns.column(name).words, runs=api.number(needed), mean=api.significant(row["mean"], 4),
            margin=api.significant(row["half_width"], 3), precision=api.precise_percent(row["precision"]),
            target=api.precise_percent(precision)), soft_wrap=True)
    if result.replications is not None:
        out.print(_("Use -n {runs} or more.").format(runs=result.replications))
    out.print(_("Results written to {folder}/").format(folder=folder), soft_wrap=True)


@command(short_help="One readable file of a run, a comparison or a sweep, for a council.")
def report(
    folder: Annotated[Path, typer.Argument(metavar="RESULTS", help="A results folder written by pilotsim run, "
                                                                    "compare or sweep.")],
    output_format: Annotated[str, typer.Option("--format", help="html (one self-contained file) or pdf "
                                                                 "(printed by Chromium).")] = "html",
    output: Annotated[Optional[Path], typer.Option("--out", metavar="FILE",
                                                   help="File to write (default: report.html or report.pdf in the "
                                                        "results folder): a new file, or a report pilotsim wrote, "
                                                        "which is replaced.")] = None,
) -> None:
    """A report for a council member: the question, the key figures with their
    uncertainty in words, the plots, the assumptions with their sources, and
    how to reproduce it. Of a comparison or a sweep: the options side by side
    (what if), each with its chance of the target."""
    with _interrupts(_("Interrupted: no report was written.")):
        written = api.write_report(folder, output, output_format)
    out.print(_("Report written to {path}").format(path=written), soft_wrap=True)


#: Characters a sweep table's column takes with its borders: a median and its
#: range wrap to "76 (69 to" over "86)"; the chance, "0 of 100" over "(0 %–4 %)".
SWEEP_COLUMN_WIDTH = 12
SWEEP_CHANCE_WIDTH = 15


def _print_sweep_table(summary, varied, target) -> None:
    table = Table(title=_("Per point: median (90 % of runs)"))
    # As many outcomes as the terminal has room for, in order of interest: a
    # cropped chance would misread (all columns are in summary.csv anyway).
    shown = [o for o in ("placed", "npv", "net_into_work", "mean_wait_months") if o in set(summary["outcome"])]
    room = out.width - SWEEP_COLUMN_WIDTH * len(varied) - (SWEEP_CHANCE_WIDTH if target is not None else 0)
    shown = shown[:max(1, room // SWEEP_COLUMN_WIDTH)]
    for v in varied:
        table.add_column(api.field_label(v.path), justify="right")
    for outcome in shown:
        table.add_column(columns.column(outcome).table_label, justify="right")
    if target is not None:
        table.add_column(_("runs with {level} or more: {outcome}").format(
            level=f"{target[1]:g}", outcome=columns.column(target[0]).words.lower()), justify="right",
            min_width=len("(10 %–10 %)"))  # an interval on one line
    for _point, rows in summary.groupby("point", sort=True):
        rows = rows.set_index("outcome")
        first = rows.iloc[0]
        cells = [f"{first[v.path]:g}" for v in varied]
        for outcome in shown:
            row, as_shown = rows.loc[outcome], columns.column(outcome)
            q05, q50, q95 = (as_shown.formatted(row[q], spread=True) for q in ("q05", "q50", "q95"))
            cells.append(_("{median} ({low} to {high})").format(median=q50, low=q05, high=q95))
        if target is not None:  # a chance as a count of runs, with its 95 % interval
            runs = int(first["runs"])
            cells.append(_("{hits} of {runs}").format(hits=api.number(round(first["target_chance"] * runs)),
                                                     runs=api.number(runs)) + "\n"
                         + f"({api.percent(first['target_chance_low'])}–{api.percent(first['target_chance_high'])})")
        table.add_row(*cells)
    out.print(table)


@command(short_help="Check scenario files; with --report, validate the model.")
def validate(
    scenarios: Annotated[Optional[list[str]], typer.Argument(help="Scenario files or shipped scenario names.")
                         ] = None,
    overrides: SetOption = None,
    report: Annotated[bool, typer.Option(
        "--report", help="Also run the back-tests and the checks against exact results and write the report.")
    ] = False,
    out_dir: Annotated[Optional[Path], typer.Option(
        "--out", metavar="FOLDER", help=f"Where the report goes, as validation.md (default: results/validation). "
                                        f"{OUT_RULE}")] = None,
    replications: Annotated[int, typer.Option("-n", "--replications", min=20, metavar="N",
                                              help="Replications per back-test.")] = 1000,
    candidates: Annotated[int, typer.Option(
        "--candidates", min=6, metavar="N", help="Candidates a round for each out-of-sample fit (as calibrate's "
                                                 "--samples), each run 40 times.")] = 30,
    engine: EngineOption = Engine.fast,
) -> None:
    """Check scenario files and report every problem, one line each; with
    --report, also validate the model against published figures (back-tests,
    and out-of-sample checks: fit some figures, predict the others) and exact
    results, and write validation.md."""
    if not scenarios and not report:
        _exit_with([Problem("validate", None, None, "", _("give scenario files to check, or --report"))])
    if report:
        folder = out_dir or api.default_folder("validation")
        with _interrupts(_("Interrupted: no report was written.")), api.claim(folder), api.using_engine(engine.value):
            with err.status(_("back-tests...")) as status:
                done = api.validation_report(folder, replications, _command(), on_step=status.update,
                                             candidates=candidates)
        (held_out, tested_within), (fitted, consistent), (inputs, _inputs_within) = (
            done.with_role(role) for role in ("held_out", "fitted", "input"))
        predicted, predicted_within = done.predicted
        out.print(_("{within} of {held_out} held-out figures within the simulated 90 % and {predicted_within} of "
                    "{predicted} more figures predicted out of sample within their predicted 90 % (the tests; the "
                    "second kind weaker, see each check's caveat); consistent with {consistent} of {fitted} fitted "
                    "figures ({inputs} more were inputs); {checks} exact checks, {failed} failed. Report written to "
                    "{path}").format(within=tested_within, held_out=held_out, predicted_within=predicted_within,
                                     predicted=predicted, consistent=consistent, fitted=fitted, inputs=inputs,
                                     checks=len(done.checks), failed=done.checks_failed,
                                     path=folder / "validation.md"), soft_wrap=True)
    failed = False
    for name in scenarios or []:
        try:
            scenario = api.load(name, api.parse_changes(overrides))
        except ScenarioError as error:
            failed = True
            _print_problems(error)
        else:
            out.print(ngettext("{file}: valid ({name}, {count} stage)", "{file}: valid ({name}, {count} stages)",
                               len(scenario.stages)).format(file=name, name=scenario.name,
                                                            count=len(scenario.stages)), soft_wrap=True)
    if failed:
        raise typer.Exit(2)


AsOfOption = Annotated[float, typer.Option("--as-of", min=0, metavar="MONTH",
                                           help="The month the state is of, counted from the programme's month 0.")]


StaysOption = Annotated[Optional[Path], typer.Option(
    "--stays", metavar="FILE", help="The stays file beside the state (one row per stay in a stage: "
                                    "docs/running-pilot.md). Default: <state file>_stays beside it, if there is one.")]


@command("state", short_help="Write a state file (clients as of a month) from a simulated run.")
def state_command(
    scenario: ScenarioArgument = api.REFERENCE,
    as_of: Annotated[float, typer.Option("--as-of", min=0, metavar="MONTH",
                                         help="The month the state is of, counted from the programme's month 0.")
                     ] = 12,
    replication: Annotated[int, typer.Option("--replication", min=0, metavar="N",
                                             help="Which replication of the run to take it from.")] = 0,
    seed: SeedOption = None,
    mistakes: Annotated[bool, typer.Option(
        "--with-mistakes", help="Put in a few mistakes real records have (a missing end month, a stage spelled "
                                "otherwise, a month typed ten times too large), for validate-state to find.")
    ] = False,
    out_file: Annotated[Optional[Path], typer.Option(
        "--out", metavar="FILE", help="Where to write it: .csv or .parquet (default: state_<scenario name>_month"
                                      "<MONTH>.csv here); the stays go beside it, in <name>_stays.csv. New files "
                                      "only: an existing one is never replaced.")
    ] = None,
    overrides: SetOption = None,
) -> None:
    """Write a state file (docs/running-pilot.md): where each person referred
    by a month stood then, in one replication of a simulated run of the
    scenario, as a municipality's client records would say it."""
    loaded = api.load(scenario, api.parse_changes(overrides))
    path = out_file or Path(f"state_{loaded.name}_month{as_of:g}.csv")
    with _interrupts(_("Interrupted: nothing was written.")):
        _path, stays_path = api.write_state_file(loaded, as_of, path, replication, seed, mistakes)
    state_counts = api.read_state(path, loaded, as_of).counts() if not mistakes else None
    out.print(_("Written {path}: the clients of {name} as of month {as_of}{counts}; and {stays}: their stays in "
                "its stages.").format(path=path, name=loaded.name, as_of=f"{as_of:g}", stays=stays_path,
                                      counts=f" ({_counted(state_counts)})" if state_counts else ""),
              soft_wrap=True)


@command("validate-state", short_help="Check a state file against a scenario.")
def validate_state(
    file: Annotated[Path, typer.Argument(help="The state file: CSV, or Parquet by its suffix.")],
    as_of: AsOfOption,
    scenario: Annotated[str, typer.Option("--scenario", help="Scenario file, or the name of a shipped one.")
                        ] = api.REFERENCE,
    stays_file: StaysOption = None,
    overrides: SetOption = None,
) -> None:
    """Check a state file (a programme's clients as of a month), and its stays
    file if there is one, against the scenario: every problem one line with
    the row and column, exit status 2."""
    loaded = api.load(scenario, api.parse_changes(overrides))
    state = api.read_state(file, loaded, as_of)
    stays_path, stays = api.stays_for(file, stays_file, loaded, state)
    out.print(_("{file}: valid: {people} people as of month {as_of} ({counts}).").format(
        file=file, people=len(state.people), as_of=f"{as_of:g}", counts=_counted(state.counts())), soft_wrap=True)
    if stays is not None:
        out.print(_("{file}: valid: {stays} stays, {going} still going.").format(
            file=stays_path, stays=len(stays), going=int(stays["ended"].isna().sum())), soft_wrap=True)


@command("fit", short_help="Fit a scenario's parameters to a programme's own records.")
def fit_command(
    state_file: StateOption,
    as_of: AsOfOption,
    scenario: ScenarioArgument = api.REFERENCE,
    out_file: Annotated[Optional[Path], typer.Option(
        "--out", metavar="FILE", help="Where to write the fitted scenario (default: <scenario name>_fitted_month"
                                      "<MONTH>.yaml here). A new file only: an existing one is never replaced.")
    ] = None,
    stays_file: StaysOption = None,
    overrides: SetOption = None,
) -> None:
    """Estimate from a programme's records (a state file) what they can tell
    of its parameters: referrals a month, acceptance at intake, the job loss
    hazard (those still in work counted for the months they kept their job)
    and the part-time share; with its stays file, each stage's duration and
    chance of dropping out (stays still going counted as far as they went);
    each with a 90 % interval. Write the scenario with those values, their
    uncertainty under uncertain:, and each changed field commented with its
    fit."""
    loaded = api.load(scenario, api.parse_changes(overrides))
    state = api.read_state(state_file, loaded, as_of)
    _stays_path, stays = api.stays_for(state_file, stays_file, loaded, state)
    path = out_file or Path(f"{loaded.name}_fitted_month{as_of:g}.yaml")
    with _interrupts(_("Interrupted: nothing was written.")):
        _fitted, estimates = api.write_fitted_scenario(loaded, state, path, stays)
    table = Table(title=_("What the records of {people} people as of month {as_of} say").format(
        people=len(state.people), as_of=f"{as_of:g}"))
    for heading in (_("field"), _("scenario had"), _("the records say"), _("90 % interval"), _("records"),
                    _("still under way")):
        table.add_column(heading)
    for estimate in estimates:
        had = api.field_value(estimate.field, _field_in(loaded, estimate.field), loaded.calendar_start)
        def shown(value: float, field: str = estimate.field) -> str:
            return api.field_value(field, value, loaded.calendar_start)

        table.add_row(api.field_label(estimate.field), had, shown(estimate.value),
                      _("{low} to {high}").format(low=shown(estimate.low), high=shown(estimate.high)),
                      api.number(estimate.records), api.number(estimate.under_way))
    out.print(table)
    kept = [api.field_label(estimate.field) for estimate in estimates if not (estimate.written or 0) > 0]
    out.print(_("Written {path}: {name} with these fitted and their uncertainty under uncertain:{kept}.").format(
        path=path, name=loaded.name, kept=_("; kept as the scenario had them, for the records hold too little of "
                                            "them: {fields}").format(fields=api.listed(kept)) if kept else ""),
              soft_wrap=True)


@command("forecast", short_help="Continue a programme under way from its records: will it reach its target?")
def forecast_command(
    state_file: StateOption,
    as_of: AsOfOption,
    scenario: ScenarioArgument = api.REFERENCE,
    stays_file: StaysOption = None,
    replications: ReplicationsOption = None,
    seed: SeedOption = None,
    out_dir: out_option("results/<scenario name>_forecast") = None,
    with_uncertainty: Annotated[
        bool, typer.Option("--with-uncertainty",
                           help="Draw the scenario's uncertain parameters anew for each replication (needs an "
                                "uncertain: section; a scenario written by pilotsim fit has one).")
    ] = False,
    workers: WorkersOption = None,
    overrides: SetOption = None,
) -> None:
    """Continue a programme from its records as of a month (a state file and
    its stays file), many times over: people in a stage keep the time they
    have spent there, people waiting keep their place in the list, and the
    scenario's referrals, jobs and money go on from the month. Writes what
    pilotsim run writes, plus the chance of the target now against the
    chance at the start, and what has already happened against what is
    still to come (forecast.json, forecast.csv, plots/forecast.png)."""
    loaded = api.load(scenario, api.parse_changes(overrides))
    plan = api.plan_forecast(loaded, state_file, as_of, stays_file, replications, seed, workers, with_uncertainty,
                             out_dir)
    with _interrupts(), api.claim(plan.folder), _executor("processes", workers, None):
        with _progress() as progress:
            task = progress.add_task(f"{loaded.name}", total=plan.total)
            forecast = api.forecast_and_save(plan, _command(), on_progress=lambda done: progress.advance(task, done))
    _say_forecast(forecast)
    out.print(_("Results written to {folder}/ in {seconds} s on {workers} worker(s).").format(
        folder=plan.folder, seconds=api.number(forecast.result.seconds + forecast.at_start.seconds, 1),
        workers=forecast.result.workers), soft_wrap=True)


def _say_forecast(forecast: api.Forecast) -> None:
    """The people and money already counted and still to come, and the chance of the target now and then."""
    words = api.forecast_words(forecast)
    for part, title in (("people", words["title"]), ("money", words["money"] and words["money"]["title"])):
        if words[part] is None:
            continue
        table = Table(title=title)
        for heading in words[part]["headings"]:
            table.add_column(heading, justify="right" if heading else "left")
        for row in words[part]["rows"]:
            table.add_row(*row)
        out.print(table)
        if part == "people" and words["chance"]:
            out.print(words["chance"], soft_wrap=True)
        if part == "money":
            out.print(words["money"]["note"], style="dim", soft_wrap=True)


def _field_in(scenario: api.Scenario, path: str):
    value = scenario.model_dump(mode="json", by_alias=True)
    for key in path.split("."):
        value = value[key]
    return value


def _counted(counts: dict[str, int]) -> str:
    return ", ".join(f"{status} {count}" for status, count in counts.items())


@command("app", short_help="A web page: set a programme's figures, run it, compare, size, download.")
def web_app(
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port of the page.")] = 8501,
    host: Annotated[str, typer.Option("--host", help="Address to serve on. Default: this machine only; "
                                                     "0.0.0.0 lets other machines reach it.")] = "127.0.0.1",
    no_browser: Annotated[bool, typer.Option("--no-browser", help="Do not open a browser.")] = False,
) -> None:
    """Serve the web page for planners and budget officers: choose or upload a
    scenario, set its main figures, run it, keep variants and compare them,
    ask how many places are needed, and download the report and results.
    Ctrl-C stops it."""
    import os

    out.print(_("The page is at http://{host}:{port}/ (Ctrl-C stops it).").format(host=host, port=port),
              soft_wrap=True)
    sys.stdout.flush()
    # This process becomes the server, so that Ctrl-C or a stop signal ends
    # the page itself; it opens in the language of this command.
    command = api.web_page(port, host, open_browser=not no_browser)
    os.execve(command[0], command, {**os.environ, "PILOTSIM_LANG": api.current_language()})


@command("list", short_help="List the shipped scenarios.")
def list_scenarios() -> None:
    """List the shipped scenarios."""
    table = Table(title=_("Shipped scenarios (run one with: pilotsim run NAME)"))
    table.add_column(_("name"))
    table.add_column(_("description"))
    for name, description in api.shipped_descriptions().items():
        table.add_row(name, description)
    out.print(table)


@command(short_help="Start a scenario of your own from the reference.")
def new(
    name: Annotated[str, typer.Argument(help="The new programme's name: lower-case letters, digits, '-', '_' or "
                                             "'.'; the file is NAME.yaml.")],
    out_file: Annotated[Optional[Path], typer.Option("--out", metavar="FILE",
                                                     help="Where to write it (default: NAME.yaml here). A new "
                                                          "file only: an existing one is never replaced.")] = None,
) -> None:
    """Write a scenario file to start a programme of your own: a copy of the
    reference pilot with all its comments (where each figure comes from,
    which are assumptions), under a new name, ready to be changed."""
    with _interrupts(_("Interrupted: nothing was written.")):
        written = api.new_scenario(name, out_file)
    path, name = written.path, written.name
    out.print(_("Written {path}: a copy of {reference} named {name}. Change its figures to your programme's, "
                "then: {commands}").format(path=path, reference=api.REFERENCE, name=name, commands=(
                    f"pilotsim validate {shlex.quote(str(path))} && pilotsim run {shlex.quote(str(path))}")),
              soft_wrap=True)


def _load(name: str, overrides: list[str] | None, engine: Engine) -> api.Scenario:
    scenario = api.load(name, api.parse_changes(overrides))
    _say_engine(scenario, engine)
    return scenario


def _say_engine(scenario: api.Scenario, engine: Engine) -> None:
    """One line when the scenario runs on the process engine though --engine
    asked for the fast one."""
    notice = api.engine_notice(scenario)
    if notice is not None and engine != Engine.processes:
        err.print(notice, soft_wrap=True)


def _print_problems(error: ScenarioError) -> None:
    for problem in error.problems:
        err.print(str(problem), soft_wrap=True)


def _exit_with(problems: list[Problem]) -> None:
    """One line per problem on standard error, and exit status 2."""
    for problem in problems:
        err.print(str(problem), soft_wrap=True)
    raise typer.Exit(2)


@contextmanager
def _interrupts(message: str | Callable[[], str] | None = None) -> Iterator[None]:
    """Ctrl-C: one line and exit status 130. Whatever the command claimed has
    been let go by then; the folder at --out is as it was, unless the new
    results were already complete and in place, which the line then says."""
    already = len(api.results_put_in_place())
    try:
        yield
    except KeyboardInterrupt:
        written = api.results_put_in_place()[already:]
        if written:
            err.print(_("Interrupted after the results were written to {path}.").format(path=written[-1]),
                      soft_wrap=True)
        else:
            said = message() if callable(message) else message
            err.print(said or _("Interrupted: no results were written."), soft_wrap=True)
        raise typer.Exit(130) from None


def _during_an_interrupt(error: BaseException) -> bool:
    while error is not None:
        if isinstance(error, KeyboardInterrupt):
            return True
        error = error.__context__
    return False


def _command() -> list[str]:
    """This command as typed, for the manifest."""
    return ["pilotsim", *sys.argv[1:]]


def _figure(value: float) -> str:
    """A published or simulated count or amount as people read it: 1,023 or 3.84 M (1.023 or 3,84 mln.)."""
    if abs(value) >= 1e6:
        return _("{millions} M").format(millions=api.number(value / 1e6, 2))
    return api.number(value) if abs(value) >= 100 else api.significant(value, 3)


@contextmanager
def _executor(kind: str, workers: int | None, scheduler: str | None, engine: Engine = Engine.fast,
              ) -> Iterator[None]:
    """One executor and one engine for every run of the command."""
    with api.using_executor(kind, workers, scheduler, warn=lambda warning: err.print(warning, soft_wrap=True)), \
            api.using_engine(engine.value):
        yield


def _headline_table(scenario: api.Scenario, summary, rows: tuple[str, ...], title: str,
                    with_uncertainty: bool = False) -> Table:
    """Mean, spread and confidence interval of the chosen outcomes."""
    table = Table(title=title)
    table.add_column(_("outcome"))
    table.add_column(_("mean"), justify="right")
    table.add_column(_("90 % of runs"), justify="right")
    table.add_column(_("95 % CI of mean"), justify="right")
    missing = api.not_estimated(scenario)
    drawn = api.drawn_count_until(scenario, with_uncertainty)
    to = _("{low} to {high}")
    for outcome in rows:
        row, shown = summary.loc[outcome], columns.column(outcome)
        label = shown.table_label
        if outcome == "npv_at_pilot_end":
            label = _("{label}, {month}").format(label=label, month=api.calendar_month(
                scenario.calendar_start, api.pilot_end_month(scenario)))
        if outcome in missing:
            table.add_row(label, _("not estimated"), "", "")
            continue
        later_than = row.get("later_than", math.nan)
        if not math.isnan(later_than):  # runs past the last month counted have no value; no mean over the rest
            later = (_("later than {month}").format(month=api.calendar_month(scenario.calendar_start, later_than))
                     if drawn is None else _("later than counted"))
            low, high = (later if math.isnan(row[q]) else api.calendar_month(scenario.calendar_start, round(row[q]))
                         for q in ("q05", "q95"))
            table.add_row(label, "", to.format(low=low, high=high), "")
            continue
        if math.isnan(row["mean"]):  # e.g. place use when no stage has limited places
            table.add_row(label, _("n/a"), _("n/a"), _("n/a"))
            continue
        table.add_row(
            label,
            shown.formatted(row["mean"]),
            to.format(low=shown.formatted(row["q05"], spread=True), high=shown.formatted(row["q95"], spread=True)),
            to.format(low=shown.formatted(row["ci95_low"]), high=shown.formatted(row["ci95_high"])),
        )
    return table


def _say_headline(result: api.RunResult) -> None:
    """The run's chances and money in words (as the report says them), then
    what its money leaves out."""
    sentences, warnings = api.headline(result)
    for sentence in sentences:
        out.print(sentence, soft_wrap=True)
    for warning in warnings:
        err.print(_("Warning: {warning}.").format(warning=warning), soft_wrap=True)


def _progress(unit: str | None = None) -> Progress:
    return Progress(
        TextColumn("{task.description}", style="bold", markup=False),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn(unit or _("replications"), markup=False),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
    )


def main() -> int:
    """The ``pilotsim`` command (see ``sim.__main__``), returning its exit
    status. Mistakes on the command line are one line too, and failures of
    the machine (a full disk, no memory left) a line that says what
    happened, not a traceback."""
    command = typer.main.get_command(app)
    try:
        # Click's context and invocation without Typer's main, which would turn
        # a Ctrl-C into a silent exit status 130.
        with command.make_context("pilotsim", sys.argv[1:]) as context:
            command.invoke(context)
        code = 0
    except typer.Exit as done:
        code = done.exit_code
    except click_exceptions.NoArgsIsHelpError as error:
        error.show()
        code = error.exit_code
    except click_exceptions.UsageError as error:
        where = error.ctx.command_path if error.ctx is not None else "pilotsim"
        err.print(f"{' '.join(error.format_message().split())} (see {where} --help)", soft_wrap=True)
        code = 2
    except (typer.Abort, KeyboardInterrupt):
        err.print("Interrupted: no results were written.")
        code = 130
    except MemoryError:
        err.print("pilotsim ran out of memory: use fewer replications or workers, or --summary-only", soft_wrap=True)
        code = 1
    except OSError as error:  # the disk, not the input: the command's folder is left as it was
        if _during_an_interrupt(error):  # a pipe to a worker closed as Ctrl-C stopped it
            err.print("Interrupted: no results were written.")
            return 130
        where = f"{error.filename}: " if error.filename else ""
        err.print(f"pilotsim could not go on: {where}{error.strerror or error}", soft_wrap=True)
        code = 1
    return code or 0
