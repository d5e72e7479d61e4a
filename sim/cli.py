"""The ``pilotsim`` command: a thin shell over the Python API."""

from __future__ import annotations

import math
import re
import shlex
import shutil
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

from sim import limits
from sim.errors import Problem, ScenarioError
from sim.measure import columns
from sim.output import folders
from sim.run import executors
from sim.scenario import shipped
from sim.scenario.files import load_scenario, parse_overrides
from sim.scenario.schema import MAX_NAME_LENGTH, NAME_PATTERN, Scenario

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

#: The --set option, shared by every command that reads a scenario.
SetOption = Annotated[
    Optional[list[str]],
    typer.Option("--set", metavar="PATH=VALUE",
                 help="Change a field of the scenario, e.g. --set stages.training.slots=60 (repeatable)."),
]

WorkersOption = Annotated[
    Optional[int], typer.Option("--workers", "-w", min=1, metavar="N",
                                help="Processes to use (default: all cores; at most "
                                     f"{limits.MAX_WORKERS_PER_CORE} per core).")
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
SeedOption = Annotated[Optional[int], typer.Option("--seed", min=0, metavar="N",
                                                   help="Root seed (default: the scenario's).")]

#: The rule for every --out, in the help of each command that writes.
OUT_RULE = ("A new path, or a folder pilotsim wrote (replaced when the new results are complete); anything else "
            "is refused.")

#: Runs larger than this keep distributions rather than every replication
#: (100,000 replications of the reference keep about 2 GB per replication).
SUMMARY_ONLY_ABOVE = 100_000

@app.command(short_help="Run a scenario many times: tables, a summary and plots.")
def run(
    scenario: Annotated[
        Optional[str],
        typer.Argument(help=f"Scenario file, or the name of a shipped one. Default: {shipped.REFERENCE}."),
    ] = None,
    replications: Annotated[
        Optional[int], typer.Option("-n", "--replications", min=1, metavar="N",
                                    help="Replications (default: the scenario's).")
    ] = None,
    seed: SeedOption = None,
    out_dir: Annotated[
        Optional[Path], typer.Option("--out", metavar="FOLDER",
                                     help=f"Results folder (default: results/<scenario name>). {OUT_RULE}")
    ] = None,
    keep_clients: Annotated[
        Optional[bool],
        typer.Option("--keep-clients/--no-keep-clients",
                     help="Write clients.parquet, one row per client (default: when the scenario has a budget, "
                          "so `pilotsim budget` can recompute the money).", show_default=False),
    ] = None,
    per_replication: Annotated[
        Optional[bool],
        typer.Option("--per-replication/--summary-only",
                     help="Keep every replication's monthly counts and cashflow (timeseries.parquet, "
                          "cashflow.parquet, replications.csv), or only their distributions "
                          f"(timeseries_summary.csv, replications.parquet; memory stays flat). Default: per "
                          f"replication up to {SUMMARY_ONLY_ABOVE:,} replications.", show_default=False),
    ] = None,
    with_uncertainty: Annotated[
        bool, typer.Option("--with-uncertainty",
                           help="Draw the scenario's uncertain parameters anew for each replication, so the spread "
                                "shows what is not known as well as chance (needs an uncertain: section).")
    ] = False,
    workers: WorkersOption = None,
    executor: ExecutorOption = "processes",
    scheduler: SchedulerOption = None,
    overrides: SetOption = None,
) -> None:
    """Run a scenario many times and write tables, a summary and plots."""
    from sim.output.run_figures import chance_and_ignorance_plots as plot_chance_and_ignorance
    from sim.output.run_folder import write_results
    from sim.run.runner import run as run_replications

    loaded = _load_or_exit(scenario or shipped.REFERENCE, overrides)
    if with_uncertainty and not loaded.uncertain:
        _exit_with([Problem("--with-uncertainty", None, None, "",
                            f"scenario {loaded.name} names no uncertain parameters (an uncertain: section; see "
                            "docs/sensitivity.md)")])
    if with_uncertainty:
        from sim.scenario.uncertain import problems_at_the_edges

        _exit_if(problems_at_the_edges(loaded))
    count = replications or loaded.replications
    if per_replication is None:
        per_replication = count <= SUMMARY_ONLY_ABOVE
    if keep_clients is None:
        keep_clients = loaded.budget is not None and per_replication
    _refuse_too_large(loaded, count, workers, per_replication, f"-n {count}" if replications else "replications")
    # With uncertainty, a plain run on the same numbers shows what chance alone does.
    compared = with_uncertainty and per_replication
    folder = out_dir or Path("results") / loaded.name
    with _interrupts(), _destination(folder), _executor(executor, workers, scheduler):
        with _progress() as progress:
            task = progress.add_task(f"{loaded.name}", total=count * (2 if compared else 1))
            chance_only = run_replications(
                loaded, count, seed=seed, workers=workers, on_progress=lambda done: progress.advance(task, done),
            ) if compared else None
            result = run_replications(
                loaded, count, seed=seed, workers=workers, keep_clients=keep_clients,
                keep_replications=per_replication, on_progress=lambda done: progress.advance(task, done),
                with_uncertainty=with_uncertainty,
            )
        extra = (plot_chance_and_ignorance(chance_only.outcomes, result.outcomes, loaded) if compared else {})
        write_results(result, folder, command=_command(), extra_plots=extra)

    summary = result.summary()
    headline = columns.HEADLINE + (columns.MONEY_HEADLINE if loaded.budget is not None else ())
    if loaded.caseload is not None:
        headline += tuple(name for name in columns.CASELOAD_HEADLINE if name in summary.index)
    title = f"{loaded.title or loaded.name}: {result.replications} replications, seed {result.seed}"
    if with_uncertainty:
        title += ", uncertain parameters drawn per replication"
    out.print(_headline_table(loaded, summary, headline, title))
    target = loaded.target.placed
    if target is not None:
        chance = result.chance("placed", target)
        out.print(
            f"Chance of placing {target} or more: {chance.probability:.0%} "
            f"(95 % interval {chance.low:.0%} to {chance.high:.0%})"
        )
    if loaded.budget is not None:
        chance = result.chance("npv", 1e-9)
        out.print(
            f"Chance the programme pays for itself by month {loaded.horizon_months:g}: {chance.probability:.0%} "
            f"(95 % interval {chance.low:.0%} to {chance.high:.0%})", soft_wrap=True
        )
    out.print(f"Results written to {folder}/ in {result.seconds:.1f} s on {result.workers} worker(s).", soft_wrap=True)
    _warn_if_imprecise(summary, ["placed", "npv"] if loaded.budget is not None else ["placed"],
                       scenario or shipped.REFERENCE, overrides or [])


#: Above this half-width of the 95 % interval, as a share of the mean, a run's
#: headline figures are flagged as too imprecise to quote.
IMPRECISE_ABOVE = 0.05


def _warn_if_imprecise(summary, outcomes: list[str], scenario: str, overrides: list[str]) -> None:
    for outcome in outcomes:
        row = summary.loc[outcome]
        if row["mean"] == 0 or math.isnan(row["mean"]):
            continue
        relative = (row["ci95_high"] - row["mean"]) / abs(row["mean"])
        if relative > IMPRECISE_ABOVE:
            # The scenario and its --set changes as given, so the command works as printed.
            suggestion = shlex.join(["pilotsim", "replications", scenario,
                                     *(part for change in overrides for part in ("--set", change)),
                                     "--outcome", outcome])
            err.print(f"Warning: the 95 % interval of the mean of {outcome} is ± {relative:.1%} of it, wider than "
                      f"{IMPRECISE_ABOVE:.0%}; run more replications ({suggestion} says how many).", soft_wrap=True)


@app.command(short_help="Recompute the money of a run, without simulating again.")
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
    from sim.output.run_folder import RunFolder, recompute_budget, write_results

    changes = _overrides_or_exit(overrides)
    try:
        RunFolder.open(results_dir)  # a folder that is no run is said before anything is made
    except ScenarioError as error:
        _exit_with(error.problems)
    run_folder = results_dir.resolve()
    folder = out_dir or run_folder.with_name(run_folder.name + "_budget")
    if folder.resolve() == run_folder or run_folder in folder.resolve().parents:
        _exit_with([Problem(f"--out {folder}", None, None, "",
                            "is the run's own folder or inside it; budget writes a new folder beside the run and "
                            "never changes the run")])
    with _interrupts(), _destination(folder):
        try:
            result = recompute_budget(results_dir, changes)
        except ScenarioError as error:
            _exit_with(error.problems)
        write_results(result, folder, _command(), provenance={"recomputed_from": str(results_dir)})
    summary = result.summary()
    out.print(_headline_table(result.scenario, summary, columns.MONEY_HEADLINE,
                              f"{result.scenario.title or result.scenario.name}: money, {result.replications} "
                              f"replications, discount rate {result.scenario.budget.discount_rate:.2%}"))
    out.print(f"Results with the new money written to {folder}/ (the run in {results_dir}/ is unchanged).",
              soft_wrap=True)


@app.command(short_help="Compare scenarios on the same random numbers.")
def compare(
    scenarios: Annotated[list[str], typer.Argument(help="Two or more scenarios; the first is the baseline.")],
    replications: Annotated[
        Optional[int], typer.Option("-n", "--replications", min=2, metavar="N",
                                    help="Replications (default: the first's).")
    ] = None,
    seed: SeedOption = None,
    out_dir: Annotated[
        Optional[Path], typer.Option("--out", metavar="FOLDER",
                                     help="Results folder (default: results/compare_<first>_<second>...). "
                                          + OUT_RULE)
    ] = None,
    workers: WorkersOption = None,
    executor: ExecutorOption = "processes",
    scheduler: SchedulerOption = None,
    overrides: SetOption = None,
) -> None:
    """Compare scenarios on the same random numbers: paired differences, their
    confidence intervals, and the chance each beats the first."""
    from sim.analysis.compare import compare as compare_scenarios
    from sim.output.compare import write_comparison

    if len(scenarios) < 2:
        _exit_with([Problem("compare", None, None, "", "needs at least two scenarios")])
    loaded = [_load_or_exit(name, overrides) for name in scenarios]
    names = [scenario.name for scenario in loaded]
    if len(set(names)) < len(names):
        _exit_with([Problem("compare", None, None, "",
                            f"scenarios must have different names, got {', '.join(names)}")])
    count = replications or loaded[0].replications
    for scenario in loaded:  # the tables of every scenario are kept to the end
        _refuse_too_large(scenario, count * len(loaded), workers, True, f"-n {count}")
    folder = out_dir or Path("results") / _folder_name("compare_" + "_".join(names))
    with _interrupts(), _destination(folder), _executor(executor, workers, scheduler):
        with _progress() as progress:
            task = progress.add_task("comparing", total=count * len(loaded))
            comparison = compare_scenarios(loaded, count, seed=seed, workers=workers,
                                           on_progress=lambda done: progress.advance(task, done))
        write_comparison(comparison, folder, command=_command())
    summary = comparison.summary()
    for alternative in comparison.alternatives:
        rows = summary[summary["scenario"] == alternative.scenario.name].drop(columns="scenario").set_index("outcome")
        table = Table(title=f"{alternative.scenario.name} against {names[0]}: {count} paired replications, "
                            f"seed {comparison.baseline.seed}")
        for column, justify in (("outcome", "left"), (names[0], "right"), (alternative.scenario.name, "right"),
                                ("difference (95 % CI)", "right"), ("chance better", "right")):
            table.add_column(column, justify=justify)
        for outcome in columns.HEADLINE + columns.MONEY_HEADLINE + columns.CASELOAD_HEADLINE:
            if outcome not in rows.index or math.isnan(rows.loc[outcome, "difference"]):
                continue
            row, shown = rows.loc[outcome], columns.column(outcome)
            chance = row["chance_better"]
            table.add_row(
                shown.table_label, shown.formatted(row["baseline_mean"]), shown.formatted(row["alternative_mean"]),
                f"{shown.formatted(row['difference'])} ({shown.formatted(row['ci95_low'])} to "
                f"{shown.formatted(row['ci95_high'])})",
                "" if math.isnan(chance) else f"{chance:.0%}",
            )
        out.print(table)
    out.print(f"Results written to {folder}/", soft_wrap=True)


@app.command(short_help="Run a scenario at many values of some of its fields.")
def sweep(
    scenario: Annotated[str, typer.Argument(help="Scenario file or shipped scenario name.")],
    vary: Annotated[
        list[str],
        typer.Option("--vary", metavar="PATH=SPEC",
                     help="A field and its values: low:high:step (ends included) or v1,v2,... (repeatable; at most "
                          f"{limits.MAX_POINTS:,} points in all)."),
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
                                    help="Target for the chance charts (default: the scenario's target.placed).")
    ] = None,
    out_dir: Annotated[
        Optional[Path], typer.Option("--out", metavar="FOLDER",
                                     help=f"Results folder (default: results/sweep_<scenario name>). {OUT_RULE}")
    ] = None,
    workers: WorkersOption = None,
    executor: ExecutorOption = "processes",
    scheduler: SchedulerOption = None,
    overrides: SetOption = None,
) -> None:
    """Run a scenario at many values of some of its fields, on the same random
    numbers. Interrupted sweeps continue where they stopped when run again."""
    from sim.analysis import sweep as sweeping
    from sim.output.sweep import write_sweep

    base = _load_or_exit(scenario, overrides)
    if design not in ("grid", "lhs"):
        _exit_with([Problem(f"--design {design}", None, None, "", "expected grid or lhs")])
    try:
        varied = [sweeping.parse_vary(text, base) for text in vary]
        count = math.prod(len(v.values) for v in varied) if design == "grid" else points
        problems = limits.too_many_points(count, "--vary " + " --vary ".join(vary))
        problems += limits.too_many_replications(count * replications, f"-n {replications}")
        if problems:
            raise ScenarioError(problems)
        chosen_target = sweeping.parse_target(target, base) if target else (
            ("placed", float(base.target.placed)) if base.target.placed is not None else None)
        seed = base.seed if seed is None else seed
        grid_points = (sweeping.grid(varied) if design == "grid"
                       else sweeping.latin_hypercube(varied, points, seed))
        for point in grid_points:  # every point must make a valid scenario before anything runs
            _refuse_too_large(sweeping.scenario_at(base, point, varied), replications, workers, True,
                              f"-n {replications}")
    except ScenarioError as error:
        _exit_with(error.problems)
    folder = out_dir or Path("results") / _folder_name(f"sweep_{base.name}")
    done_points = 0

    def interrupted() -> str:
        return (f"Interrupted after {done_points} of {len(grid_points)} points; the finished points are kept: "
                "run the same command again to continue.")

    with _interrupts(interrupted), _destination(folder) as claim, _executor(executor, workers, scheduler):
        # Finished points are kept here until the sweep is complete, so that
        # an interrupted sweep continues where it stopped.
        work = claim.path.with_name(f".{claim.path.name}.work")
        with _progress() as progress:
            task = progress.add_task(f"{len(grid_points)} points", total=len(grid_points) * replications)

            def on_point(done: int, total: int, resumed: bool) -> None:
                nonlocal done_points
                done_points = done

            result = sweeping.sweep(base, varied, grid_points, replications, seed, work, workers=workers,
                                    on_point=on_point, on_progress=lambda n: progress.advance(task, n))
        summary = sweeping.point_summary(result, chosen_target)
        write_sweep(result, summary, chosen_target, folder, _command(), design)
    shutil.rmtree(work, ignore_errors=True)
    _print_sweep_table(summary, varied, chosen_target)
    out.print(f"Results written to {folder}/", soft_wrap=True)


@app.command(short_help="The smallest value of a field that reaches a target.")
def size(
    scenario: Annotated[str, typer.Argument(help="Scenario file or shipped scenario name.")],
    vary: Annotated[str, typer.Option("--vary", metavar="PATH=LOW:HIGH",
                                      help="The whole-number field to size and the range to search.")],
    target: Annotated[Optional[str], typer.Option("--target", metavar="OUTCOME>=VALUE",
                                                  help="Default: the scenario's target.placed.")] = None,
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
    out_dir: Annotated[Optional[Path], typer.Option("--out", metavar="FOLDER",
                                                    help=f"Default: results/size_<scenario name>. {OUT_RULE}")
                       ] = None,
    workers: WorkersOption = None,
    executor: ExecutorOption = "processes",
    scheduler: SchedulerOption = None,
    overrides: SetOption = None,
) -> None:
    """Find the smallest value of a field (places, intake...) that reaches a
    target with the stated certainty, spending replications where the answer
    is decided."""
    from sim.analysis import sizing
    from sim.analysis import sweep as sweeping
    from sim.output.sizing import write_sizing

    base = _load_or_exit(scenario, overrides)
    path, _, spec = vary.partition("=")
    try:
        low, high = (int(part) for part in spec.split(":"))
        if not 0 <= low < high:
            raise ValueError
    except ValueError:
        _exit_with([Problem(f"--vary {vary}", None, None, "", "expected PATH=LOW:HIGH with whole numbers, LOW < HIGH")])
    try:
        varied = sweeping.whole_number_range(path, low, high, base)
        chosen_target = sweeping.parse_target(target, base) if target else (
            ("placed", float(base.target.placed)) if base.target.placed is not None else None)
        if chosen_target is None:
            raise ScenarioError([Problem("--target", None, None, "", "give a target, e.g. placed>=78")])
        problems = limits.too_many_replications(max_replications, f"--max-replications {max_replications}")
        if problems:
            raise ScenarioError(problems)
        for end in (low, high):  # both ends must make a scenario that can run
            _refuse_too_large(sweeping.scenario_at(base, {path: end}, [varied]), max_replications, workers, True,
                              f"--max-replications {max_replications}")
    except ScenarioError as error:
        _exit_with(error.problems)
    folder = out_dir or Path("results") / _folder_name(f"size_{base.name}")
    with _interrupts(), _destination(folder), _executor(executor, workers, scheduler):
        with err.status("searching...") as status:
            try:
                result = sizing.size(
                    base, varied, chosen_target, confidence, seed=base.seed if seed is None else seed,
                    by_month=by_month, start_replications=replications, max_replications=max_replications,
                    workers=workers, minimise=minimise,
                    on_probe=lambda p: status.update(f"{path} = {p.value}: chance {p.chance.probability:.0%} "
                                                     f"({p.replications} replications)"))
            except ScenarioError as error:  # e.g. a field that does not move the target
                _exit_with(error.problems)
        write_sizing(result, base, folder, _command())
    outcome, level = chosen_target
    when = f" by month {by_month:g}" if by_month else ""
    asked = f"{path} with {outcome} >= {level:g}{when} in at least {confidence:.0%} of runs"
    if result.answer is None:
        out.print(f"Not reached: even at {path} = {high}, the chance of {outcome} >= {level:g}{when} is "
                  f"{result.probes[high].chance.probability:.0%}, below {confidence:.0%}.", soft_wrap=True)
    elif result.undecided is not None:
        first, surely = result.undecided
        upper = f"{surely}" if surely is not None else f"{high} or more"
        out.print(f"The smallest {asked} is undecided between {first} and {upper} at {max_replications} "
                  f"replications: the 95 % intervals of the chances there include {confidence:.0%}. Raise "
                  "--max-replications to decide it.", soft_wrap=True)
    else:
        out.print(Text.assemble(f"Smallest {asked}: ", (str(result.answer), "bold")), soft_wrap=True)
    table = Table(title="Probes next to the answer")
    for column in ("value", "chance", "95 % interval", "replications"):
        table.add_column(column, justify="right")
    for probe in result.neighbourhood():
        table.add_row(str(probe.value), f"{probe.chance.probability:.1%}",
                      f"{probe.chance.low:.1%} to {probe.chance.high:.1%}", str(probe.replications))
    out.print(table)
    if result.minimised is not None:
        out.print(f"Lowest mean {result.minimised[0]} among values reaching the target: "
                  f"{path} = {result.minimised[1]}", soft_wrap=True)
    total = sum(probe.replications for probe in result.probes.values())
    out.print(f"{len(result.probes)} values probed, {total} replications. Results written to {folder}/",
              soft_wrap=True)


@app.command(short_help="Fit a scenario's free parameters to published figures.")
def calibrate(
    scenario: Annotated[str, typer.Argument(help="Scenario with a free: section, file or shipped name.")],
    observed: Annotated[Optional[Path], typer.Option(
        "--observed", metavar="FILE", help="Published figures (default: scenarios/observed/<scenario name>.yaml).")
    ] = None,
    samples: Annotated[int, typer.Option("--samples", min=10, metavar="N", help="Candidate parameter sets.")] = 60,
    replications: Annotated[int, typer.Option("-n", "--replications", min=10, metavar="N",
                                              help="Replications per candidate.")] = 100,
    accept: Annotated[float, typer.Option("--accept", min=0.01, max=0.5, metavar="SHARE",
                                          help="Share of candidates kept as plausible.")] = 0.1,
    seed: SeedOption = None,
    out_dir: Annotated[Optional[Path], typer.Option("--out", metavar="FOLDER",
                                                    help=f"Default: results/calibrate_<scenario name>. {OUT_RULE}")
                       ] = None,
    workers: WorkersOption = None,
    executor: ExecutorOption = "processes",
    scheduler: SchedulerOption = None,
    overrides: SetOption = None,
) -> None:
    """Fit the scenario's free parameters to published figures (approximate
    Bayesian computation) and write the fitted scenario."""
    from sim.analysis import calibration
    from sim.analysis.backtests import load_observed, observed_folder
    from sim.output.calibration import write_calibration

    base = _load_or_exit(scenario, overrides)
    path = shipped.resolve(scenario)
    try:
        figures = load_observed(observed or observed_folder() / f"{base.name}.yaml")
        if not base.free:
            raise ScenarioError([Problem(str(path), None, None, "free",
                                         "declare the parameters to fit, e.g. free: {referrals.rate_per_month: "
                                         "{low: 5, high: 15}}")])
        problems = limits.too_many_points(samples, f"--samples {samples}")
        problems += limits.too_many_replications(samples * replications, f"-n {replications}")
        if problems:
            raise ScenarioError(problems)
        _refuse_too_large(base, replications, workers, True, f"-n {replications}")
    except ScenarioError as error:
        _exit_with(error.problems)
    folder = out_dir or Path("results") / _folder_name(f"calibrate_{base.name}")
    with _interrupts(), _destination(folder), _executor(executor, workers, scheduler):
        try:
            with _progress() as progress:
                task = progress.add_task("candidates", total=samples)
                result = calibration.calibrate(base, figures, samples, replications, accept, seed, workers,
                                               on_candidate=lambda done, total: progress.update(task, completed=done))
            check = calibration.check_fit(result, workers=workers)
            write_calibration(result, check, str(path), folder, _command())
        except ScenarioError as error:
            _exit_with(error.problems)
    table = Table(title=f"{base.name}: fitted parameters ({samples} candidates, best {len(result.accepted)} kept)")
    for column in ("parameter", "best", "plausible (5-95 %)", "searched"):
        table.add_column(column, justify="left" if column == "parameter" else "right")
    for row in result.ranges().itertuples():
        table.add_row(row.parameter, f"{row.best:.4g}", f"{row.plausible_low:.4g} to {row.plausible_high:.4g}",
                      f"{row.prior_low:g} to {row.prior_high:g}")
    out.print(table)
    fit = Table(title="Published figures against the fitted scenario (90 % of runs)")
    for column in ("figure", "published", "simulated median", "90 % of runs"):
        fit.add_column(column, justify="left" if column == "figure" else "right")
    for row in check.itertuples():
        fit.add_row(f"{row.outcome} at month {row.month:g}", _figure(row.published), _figure(row.simulated_median),
                    f"{_figure(row.simulated_q05)} to {_figure(row.simulated_q95)}")
    out.print(fit)
    out.print(f"Fitted scenario and results written to {folder}/", soft_wrap=True)


@app.command(short_help="Which uncertain assumptions the outcomes hang on.")
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
    out_dir: Annotated[
        Optional[Path], typer.Option("--out", metavar="FOLDER",
                                     help=f"Results folder (default: results/sensitivity_<scenario name>). {OUT_RULE}")
    ] = None,
    workers: WorkersOption = None,
    executor: ExecutorOption = "processes",
    scheduler: SchedulerOption = None,
    overrides: SetOption = None,
) -> None:
    """Which of the scenario's uncertain assumptions (its uncertain: section)
    the outcomes hang on: global sensitivity indices with 95 % intervals, and
    a one-at-a-time tornado."""
    from sim.analysis import sensitivity as analysis
    from sim.output.sensitivity import write_sensitivity

    base = _load_or_exit(scenario, overrides)
    outcomes = outcome or (["placed", "npv"] if base.budget is not None else ["placed"])
    seed = base.seed if seed is None else seed
    points = samples * (len(base.uncertain) + (2 if method == "sobol" else 1))
    _exit_if(limits.too_many_points(points, f"--samples {samples}")
             + limits.too_many_replications(points * replications, f"-n {replications}"))
    _refuse_too_large(base, replications, workers, True, f"-n {replications}")
    folder = out_dir or Path("results") / _folder_name(f"sensitivity_{base.name}")
    with _interrupts(), _destination(folder), _executor(executor, workers, scheduler):
        try:
            with _progress("runs") as progress:
                task = progress.add_task(f"{method}, {len(base.uncertain)} parameters", total=None)

                def on_point(done: int, total: int) -> None:
                    progress.update(task, completed=done, total=total)

                # The request and every design point are checked before anything runs.
                result = analysis.sensitivity(base, method, samples, tuple(outcomes), replications, seed, workers,
                                              on_point=on_point)
        except ScenarioError as error:
            _exit_with(error.problems)
        write_sensitivity(result, folder, _command())
    for name in outcomes:
        _print_indices_table(result, name)
    out.print(f"Results written to {folder}/", soft_wrap=True)


def _print_indices_table(result, outcome: str) -> None:
    indices = result.indices[result.indices["outcome"] == outcome].set_index("parameter")
    swings = result.one_at_a_time[result.one_at_a_time["outcome"] == outcome].set_index("parameter")
    main = "total" if result.method == "sobol" else "mu_star"
    table = Table(title=f"What {outcome} hangs on ({result.method}, {len(result.points)} points x "
                        f"{result.replications} replications)")
    table.add_column("parameter", overflow="fold")
    if result.method == "sobol":
        table.add_column("total index", justify="right")
        table.add_column("first-order", justify="right")
    else:
        table.add_column("mu* (mean effect)", justify="right")
        table.add_column("sigma", justify="right")
    table.add_column(f"{outcome} at 5 % / 95 % quantile", justify="right")
    for name, row in indices.sort_values(main, ascending=False).iterrows():
        swing = swings.loc[name]
        if result.method == "sobol":
            cells = (f"{row['total']:.2f} ± {row['total_conf']:.2f}",
                     f"{row['first_order']:.2f} ± {row['first_order_conf']:.2f}")
        else:
            cells = (f"{_figure(row['mu_star'])} ± {_figure(row['mu_star_conf'])}", _figure(row["sigma"]))
        table.add_row(name, *cells, f"{_figure(swing['at_low'])} / {_figure(swing['at_high'])}")
    out.print(table)


@app.command("replications", short_help="How many replications an outcome needs.")
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
    out_dir: Annotated[
        Optional[Path], typer.Option("--out", metavar="FOLDER",
                                     help="Results folder (default: results/replications_<scenario name>). "
                                          + OUT_RULE)
    ] = None,
    workers: WorkersOption = None,
    executor: ExecutorOption = "processes",
    scheduler: SchedulerOption = None,
    overrides: SetOption = None,
) -> None:
    """How many replications the mean of an outcome needs to be known within
    a given precision (the sequential method of Hoad, Robinson and Davies)."""
    from sim.analysis import precision as sequential
    from sim.output.precision import write_precision

    base = _load_or_exit(scenario, overrides)
    outcomes = tuple(outcome or ["placed"])
    # Replications run in batches; what is kept of all of them is a column per outcome.
    _exit_if(limits.too_many_replications(maximum, f"--max {maximum}"))
    _refuse_too_large(base, min(maximum, max(sequential.BATCH, sequential.FIRST)), workers, True, f"--max {maximum}")
    folder = out_dir or Path("results") / _folder_name(f"replications_{base.name}")
    with _interrupts(), _destination(folder), _executor(executor, workers, scheduler):
        try:
            with _progress() as progress:
                task = progress.add_task(f"{base.name}, up to", total=maximum)
                result = sequential.replications_needed(base, outcomes, precision, maximum, seed, workers,
                                                        on_progress=lambda done: progress.advance(task, done))
        except ScenarioError as error:  # a request that makes no sense, refused before anything runs
            _exit_with(error.problems)
        write_precision(result, folder, _command())
    for name, needed in result.needed.items():
        table = result.tables[name]
        if needed is None:
            last = table.iloc[-1]
            out.print(f"{name}: not within {precision:.1%} after {result.run} replications (half-width "
                      f"{last['precision']:.1%} of the mean {last['mean']:.4g}); raise --max.", soft_wrap=True)
            continue
        row = table[table["replications"] == needed].iloc[0]
        out.print(f"{name}: {needed} replications give a mean of {row['mean']:.4g} ± {row['half_width']:.3g} "
                  f"(95 % interval, {row['precision']:.1%} of the mean; target {precision:.1%}).", soft_wrap=True)
    if result.replications is not None:
        out.print(f"Use -n {result.replications} or more.")
    out.print(f"Results written to {folder}/", soft_wrap=True)


@app.command(short_help="One readable file of a run, for a council.")
def report(
    folder: Annotated[Path, typer.Argument(metavar="RESULTS", help="A results folder written by pilotsim run.")],
    output_format: Annotated[str, typer.Option("--format", help="html (one self-contained file) or pdf "
                                                                 "(printed by Chromium).")] = "html",
    output: Annotated[Optional[Path], typer.Option("--out", metavar="FILE",
                                                   help="File to write (default: report.html or report.pdf in the "
                                                        "results folder): a new file, or a report pilotsim wrote, "
                                                        "which is replaced.")] = None,
) -> None:
    """A report for a council member: the question, the key figures with their
    uncertainty in words, the plots, the assumptions with their sources, and
    how to reproduce it."""
    from sim.output.report import write_report

    if output_format not in ("html", "pdf"):
        _exit_with([Problem(f"--format {output_format}", None, None, "", "expected html or pdf")])
    with _interrupts("Interrupted: no report was written."):
        try:
            written = write_report(folder, output, output_format)
        except ScenarioError as error:  # a folder that is not a complete run, or a place not to write
            _exit_with(error.problems)
    out.print(f"Report written to {written}", soft_wrap=True)


def _print_sweep_table(summary, varied, target) -> None:
    table = Table(title="Per point: median (90 % of runs)")
    shown = [o for o in ("placed", "mean_wait_months", "net_into_work", "npv") if o in set(summary["outcome"])]
    for v in varied:
        table.add_column(v.path.split(".")[-1], justify="right")
    for outcome in shown:
        table.add_column(outcome.replace("_", " "), justify="right")
    if target is not None:
        table.add_column(f"chance {target[0]} >= {target[1]:g}", justify="right")
    for _, rows in summary.groupby("point", sort=True):
        rows = rows.set_index("outcome")
        first = rows.iloc[0]
        cells = [f"{first[v.path]:g}" for v in varied]
        for outcome in shown:
            row = rows.loc[outcome]
            scale = 1000 if outcome == "npv" else 1
            style = "{:,.0f}k" if outcome == "npv" else "{:.2f}" if outcome == "mean_wait_months" else "{:.0f}"
            cells.append(f"{style.format(row['q50'] / scale)} ({style.format(row['q05'] / scale)}-"
                         f"{style.format(row['q95'] / scale)})")
        if target is not None:
            cells.append(f"{first['target_chance']:.0%}")
        table.add_row(*cells)
    out.print(table)


@app.command(short_help="Check scenario files; with --report, validate the model.")
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
) -> None:
    """Check scenario files and report every problem, one line each; with
    --report, also validate the model against published figures and exact
    results, and write validation.md."""
    if not scenarios and not report:
        _exit_with([Problem("validate", None, None, "", "give scenario files to check, or --report")])
    if report:
        folder = out_dir or Path("results") / "validation"
        with _interrupts("Interrupted: no report was written."), _destination(folder):
            _write_validation_report(folder, replications)
    failed = False
    for name in scenarios or []:
        try:
            scenario = load_scenario(shipped.resolve(name), parse_overrides(overrides or []))
        except ScenarioError as error:
            failed = True
            _print_problems(error)
        else:
            out.print(f"{name}: valid ({scenario.name}, {len(scenario.stages)} stages)", soft_wrap=True)
    if failed:
        raise typer.Exit(2)


@app.command("list", short_help="List the shipped scenarios.")
def list_scenarios() -> None:
    """List the shipped scenarios."""
    table = Table(title="Shipped scenarios (run one with: pilotsim run NAME)")
    table.add_column("name")
    table.add_column("description")
    for path in shipped.shipped_scenarios():
        table.add_row(path.stem, shipped.one_line_description(path))
    out.print(table)


@app.command(short_help="Start a scenario of your own from the reference.")
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
    name = name.removesuffix(".yaml")
    if not re.fullmatch(NAME_PATTERN, name) or len(name) > MAX_NAME_LENGTH:
        _exit_with([Problem(name, None, None, "", "a name must be lower-case letters, digits, '-', '_' or '.', "
                                                  f"starting with a letter or digit, at most {MAX_NAME_LENGTH} long")])
    path = out_file or Path(f"{name}.yaml")
    if path.exists() or path.is_symlink():
        _exit_with([Problem(str(path), None, None, "", "already exists; give another name or --out FILE")])
    text = shipped.starting_scenario(name)
    with _interrupts("Interrupted: nothing was written."):
        try:
            folders.write_file_atomically(path, lambda staging: staging.write_text(text, encoding="utf-8"))
        except ScenarioError as error:
            _exit_with(error.problems)
    out.print(f"Written {path}: a copy of {shipped.REFERENCE} named {name}. Change its figures to your programme's, "
              f"then: pilotsim validate {shlex.quote(str(path))} && pilotsim run {shlex.quote(str(path))}",
              soft_wrap=True)


def _write_validation_report(folder: Path, replications: int) -> None:
    from sim.analysis import validation
    from sim.analysis.backtests import backtest, load_observed, observed_folder
    from sim.output.manifest import write_manifest

    backtests = []
    with err.status("back-tests...") as status:
        for observed_path in sorted(observed_folder().glob("*.yaml")):
            observed = load_observed(observed_path)
            status.update(f"back-test: {observed.scenario}")
            table = backtest(load_scenario(shipped.resolve(observed.scenario)), observed, replications)
            backtests.append((observed, table))
        status.update("checks against exact results...")
        binomial, chi_square_p = validation.binomial_checks()
        checks = [*binomial, validation.erlang_c_check(), *validation.littles_law_checks()]
    text = validation.report(backtests, checks, chi_square_p, replications)

    def write(staging: Path) -> None:
        (staging / "validation.md").write_text(text, encoding="utf-8")
        write_manifest(staging, {"replications": replications}, _command())

    folders.write_atomically(folder, write)
    outside = sum(int((~table["within_90"]).sum()) for _, table in backtests)
    failed = sum(not check.passed for check in checks)
    out.print(f"{sum(len(t) for _, t in backtests)} published figures, {outside} outside the simulated 90 %; "
              f"{len(checks)} exact checks, {failed} failed. Report written to {folder / 'validation.md'}",
              soft_wrap=True)


def _load_or_exit(name: str, overrides: list[str] | None = None) -> Scenario:
    try:
        return load_scenario(shipped.resolve(name), parse_overrides(overrides or []))
    except ScenarioError as error:
        _exit_with(error.problems)


def _overrides_or_exit(overrides: list[str] | None) -> dict:
    try:
        return parse_overrides(overrides or [])
    except ScenarioError as error:
        _exit_with(error.problems)


def _print_problems(error: ScenarioError) -> None:
    for problem in error.problems:
        err.print(str(problem), soft_wrap=True)


def _exit_with(problems: list[Problem]) -> None:
    """One line per problem on standard error, and exit status 2."""
    for problem in problems:
        err.print(str(problem), soft_wrap=True)
    raise typer.Exit(2)


def _exit_if(problems: list[Problem]) -> None:
    if problems:
        _exit_with(problems)


def _refuse_too_large(scenario: Scenario, replications: int, workers: int | None, keep_replications: bool,
                      option: str) -> None:
    """Refuse, before anything is claimed or started, a run that would not fit
    the machine (sim.limits), and bad --workers."""
    problems, _ = limits.worker_problems(workers)
    _exit_if(problems)  # the estimate below would only repeat them in other words
    slots = workers or executors.cores()
    _exit_if(limits.estimate(scenario, replications, slots, keep_replications, option).problems())


@contextmanager
def _destination(folder: Path) -> Iterator[folders.Claim]:
    """Claim the results folder for the command (sim.output.folders): refused, it is
    one line and exit 2, before any work."""
    try:
        with folders.claimed(folder) as claim:
            yield claim
    except folders.DestinationRefused as error:
        _exit_with(error.problems)


@contextmanager
def _interrupts(message: str | Callable[[], str] = "Interrupted: no results were written.") -> Iterator[None]:
    """Ctrl-C: one line and exit status 130. Whatever the command claimed has
    been let go by then; the folder at --out is as it was, unless the new
    results were already complete and in place, which the line then says."""
    already = len(folders.put_in_place_so_far)
    try:
        yield
    except KeyboardInterrupt:
        written = folders.put_in_place_so_far[already:]
        if written:
            err.print(f"Interrupted after the results were written to {written[-1]}.", soft_wrap=True)
        else:
            err.print(message() if callable(message) else message, soft_wrap=True)
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


def _folder_name(name: str) -> str:
    """A default folder's name: names of several scenarios joined may be too
    long for a file system; shortened, it stays recognisable."""
    return name if len(name.encode()) <= folders.MAX_NAME_BYTES else name[: folders.MAX_NAME_BYTES - 8] + "_etc"


def _figure(value: float) -> str:
    """A published or simulated count or amount as people read it: 1,023 or 3.84 M."""
    if abs(value) >= 1e6:
        return f"{value / 1e6:,.2f} M"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


@contextmanager
def _executor(kind: str, workers: int | None, scheduler: str | None) -> Iterator[None]:
    """One executor for every run of the command; one line and exit 2 when it cannot be had."""
    problems, warning = limits.worker_problems(workers)
    _exit_if(problems)
    if warning:
        err.print(warning, soft_wrap=True)
    try:
        with executors.using(kind, workers, scheduler):
            yield
    except executors.ExecutorUnavailable as error:
        err.print(str(error), soft_wrap=True)
        raise typer.Exit(2) from None


def _headline_table(scenario: Scenario, summary, rows: tuple[str, ...], title: str) -> Table:
    """Mean, spread and confidence interval of the chosen outcomes."""
    table = Table(title=title)
    table.add_column("outcome")
    table.add_column("mean", justify="right")
    table.add_column("90 % of runs", justify="right")
    table.add_column("95 % CI of mean", justify="right")
    for outcome in rows:
        row, shown = summary.loc[outcome], columns.column(outcome)
        if math.isnan(row["mean"]):  # e.g. place use when no stage has limited places
            table.add_row(shown.table_label, "n/a", "n/a", "n/a")
            continue
        table.add_row(
            shown.table_label,
            shown.formatted(row["mean"]),
            f"{shown.formatted(row['q05'], spread=True)} to {shown.formatted(row['q95'], spread=True)}",
            f"{shown.formatted(row['ci95_low'])} to {shown.formatted(row['ci95_high'])}",
        )
    return table


def _progress(unit: str = "replications") -> Progress:
    return Progress(
        TextColumn("{task.description}", style="bold", markup=False),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn(unit),
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
    except ScenarioError as error:  # found only once the work had started: still one line per problem
        _print_problems(error)
        code = 2
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
