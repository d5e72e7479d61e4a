"""Writing a run's results folder, all or nothing, and reading one back.

Files are written to an empty folder that is put in place only when
everything is written (``sim.output.folders``): an interrupted or failed run leaves
the previous results as they were and no half-written folder behind.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sim import language
from sim.errors import Problem, ScenarioError
from sim.measure.caseload import CASELOAD_MONEY_OUTCOMES, caseload_savings_per_year
from sim.measure.columns import outcome_names
from sim.measure.money import (
    CASHFLOW,
    MONEY_OUTCOMES,
    STILL_THERE,
    account,
    account_chunk,
    calendar_years,
    cashflow_months,
    count_until_month,
    drawn_count_until,
    money_warnings,
    months_counted_in_words,
    not_estimated,
    pilot_end_month,
    prices_in_words,
)
from sim.measure.places import NO_STAYS, kept_open_in_replications, kept_open_in_run
from sim.measure.statistics import FAN_QUANTILES, chance_from_count
from sim.model.draws import drawn_for
from sim.output import run_figures as plots
from sim.output.folders import MANIFEST, write_atomically
from sim.output.manifest import write_manifest
from sim.output.style import save_figure
from sim.run.results import RunResult
from sim.run.storage import ClientRecords
from sim.scenario.edit import with_changes
from sim.scenario.files import dump_scenario, load_scenario


def write_results(result: RunResult, folder: Path, command: list[str] | None = None,
                  extra_plots: dict | None = None, provenance: dict | None = None,
                  extra_files: dict | None = None) -> Path:
    """Write every output of ``result`` to ``folder`` and return it;
    ``extra_plots`` (file name: figure) go to plots/ beside the usual ones,
    ``provenance`` (e.g. the run a budget was recomputed from) to the manifest,
    ``extra_files`` (file name: a function that writes it to the path it is
    given) beside the tables. ``folder`` must be new or a results folder
    (``sim.output.folders``)."""
    return write_atomically(folder, lambda staging: _write_all(result, staging, command, extra_plots or {},
                                                               provenance or {}, extra_files or {}))


def _write_all(result: RunResult, folder: Path, command: list[str] | None, extra_plots: dict,
               provenance: dict, extra_files: dict) -> None:
    drawing = plots.start_drawing(result)  # (in the workers, while the tables are written here)
    if result.per_replication:
        result.outcomes.to_csv(folder / "replications.csv", index=False, float_format="%.10g")
        timeseries_table(result).to_parquet(folder / "timeseries.parquet", index=False)
    else:
        # Too many rows for a spreadsheet: the rows as Parquet, the months as distributions.
        _link_or_copy(result.replication_rows.path, folder / "replications.parquet")
        timeseries_summary(result).to_csv(folder / "timeseries_summary.csv", index=False, float_format="%.6g")
    if result.clients is not None:
        _link_or_copy(result.clients.path, folder / "clients.parquet")
    if result.visits is not None:
        _link_or_copy(result.visits.path, folder / "visits.parquet")
    if result.cashflow is not None:
        cashflow_table(result).to_parquet(folder / "cashflow.parquet", index=False)
    money = money_per_year(result) if result.scenario.budget is not None else None
    if money is not None:
        money.to_csv(folder / "money_per_year.csv", float_format="%.2f")
    summary = result.summary()
    summary.to_csv(folder / "summary.csv", float_format="%.6g")
    document = summary_document(result, summary)
    (folder / "summary.json").write_text(json.dumps(document, indent=2) + "\n")
    # Loaded here, not with the module: openpyxl takes 0.15 s, which the plots being drawn meanwhile hide.
    from sim.output.workbook import write_workbook

    write_workbook(folder / "results.xlsx", result.scenario, summary, document, money)
    (folder / "scenario.yaml").write_text(dump_scenario(result.scenario))
    plots.finish_drawing(drawing, result, folder / "plots")
    for name, figure in extra_plots.items():
        save_figure(figure, folder / "plots" / name)
    for name, write in extra_files.items():
        write(folder / name)
    write_manifest(folder, {
        "scenario": result.scenario.name,
        "seed": result.seed,
        "replications": result.replications,
        "workers": result.workers,
        "run_seconds": round(result.seconds, 3),
        "with_uncertainty": result.with_uncertainty,
        "engine": result.engine,
        "language": language.current(),  # of the plots' words
        **provenance,
    }, command)


def _link_or_copy(source: Path, destination: Path) -> None:
    """A table the run already wrote to its scratch folder: linked when on the
    same disk (no second copy of what may be hundreds of MB), else copied."""
    try:
        os.link(source, destination)
    except OSError:
        shutil.copyfile(source, destination)


#: Prices kept outside the budget section, which change no one's path either.
PRICES_ELSEWHERE = ("employment.support.cost_per_month",)


def recompute_budget(folder: Path, overrides: dict[str, Any]) -> RunResult:
    """The money of a finished run again, from its client records, with the
    budget as overridden; every other figure stays as it was. Nothing is
    written: the folder of the run is left as it is (write the result with
    ``write_results`` to a new folder, as ``pilotsim budget`` does)."""
    folder = Path(folder)
    not_budget = [path for path in overrides if not path.startswith("budget.") and path not in PRICES_ELSEWHERE]
    if not_budget:
        message = ("only budget.* fields and the price of coaching change without simulating again; "
                   "change the scenario and run it")
        raise ScenarioError([Problem(f"--set {path}", None, None, "", message) for path in not_budget])
    run_folder = RunFolder.open(folder, overrides)
    scenario = run_folder.scenario
    if scenario.budget is None:
        raise ScenarioError([Problem(str(folder / "scenario.yaml"), None, None, "budget",
                                     "the scenario has no budget section; add one with --set budget.*")])
    outcomes = run_folder.replications(exclude=MONEY_OUTCOMES + CASELOAD_MONEY_OUTCOMES)
    timeseries = run_folder.timeseries(len(outcomes))
    clients = run_folder.clients()
    with_uncertainty = run_folder.manifest.get("with_uncertainty") is True
    months = cashflow_months(scenario)
    stays = run_folder.stays_in_scheduled_places()
    money_of: dict[int, tuple[dict[str, float], np.ndarray]] = {}

    def account_for(replications: list[int], columns: dict[str, np.ndarray], in_group: np.ndarray) -> None:
        if with_uncertainty:
            # As in the run: each replication with its own draw of the
            # assumptions, except what --set changes now.
            for position, replication in enumerate(replications):
                drawn = drawn_for(scenario, run_folder.manifest["seed"], replication)
                drawn = with_changes(drawn, overrides, "--set") if overrides else drawn
                one = in_group == position
                kept_open = kept_open_in_run(drawn, stays[replication]) if replication in stays else None
                money_of[replication] = account(drawn, {name: values[one] for name, values in columns.items()},
                                                months, kept_open)
            return
        kept_open = kept_open_in_replications(scenario, [stays.get(replication, NO_STAYS)
                                                         for replication in replications])
        money, flows = account_chunk(scenario, columns, in_group, len(replications), months, kept_open)
        for position, replication in enumerate(replications):
            money_of[replication] = ({name: float(values[position]) for name, values in money.items()},
                                     flows[position])

    with run_folder.reading("clients.parquet"):
        nobody = None  # the client columns, without rows
        for rows in clients.row_groups():
            columns = client_columns_of(rows)
            nobody = {name: values[:0] for name, values in columns.items()}
            replications, in_group = np.unique(rows["replication"].to_numpy(), return_inverse=True)
            if len(replications):
                account_for(replications.tolist(), columns, in_group)
    numbers = outcomes["replication"].tolist()
    unknown = sorted(money_of.keys() - set(numbers))
    if unknown:
        shown = language.listed([str(number) for number in unknown[:5]])
        raise run_folder.problem("clients.parquet", f"holds replications that replications.csv does not have: {shown}")
    if nobody is None:
        raise run_folder.problem("clients.parquet", "holds no row groups: not as pilotsim run writes it")
    # A run where nobody was referred has no client records: its money is that of nobody.
    referred_nobody = [number for number in numbers if number not in money_of]
    if referred_nobody:
        account_for(referred_nobody, nobody, np.zeros(0, dtype=np.int64))
    money_rows = [money_of[number][0] for number in numbers]
    cashflow = [money_of[number][1] for number in numbers]
    outcomes[list(MONEY_OUTCOMES)] = pd.DataFrame(money_rows, columns=list(MONEY_OUTCOMES))
    if scenario.caseload is not None:
        outcomes[list(CASELOAD_MONEY_OUTCOMES)] = [[caseload_savings_per_year(scenario, fewer)]
                                                   for fewer in outcomes["fewer_recipients"]]
    outcomes = outcomes[["replication", *outcome_names(scenario)]]
    states = tuple(column for column in timeseries.columns if column not in ("replication", "month"))
    months = np.sort(timeseries["month"].unique()).astype(float)
    monthly = timeseries[list(states)].to_numpy(dtype=np.int32).reshape(len(outcomes), len(months), -1)
    return RunResult(
        scenario=scenario,
        seed=run_folder.manifest["seed"],
        outcomes=outcomes,
        monthly=monthly,
        cashflow=np.stack(cashflow),
        months=months,
        states=states,
        clients=clients,
        workers=run_folder.manifest["workers"],
        seconds=run_folder.manifest["run_seconds"],
        with_uncertainty=with_uncertainty,
    )


class RunFolder:
    """A results folder of ``pilotsim run``, read with every file checked:
    whatever is missing or does not parse is one problem naming the file."""

    #: Fields every run's manifest has, with their kind.
    MANIFEST_FIELDS = {"seed": int, "replications": int, "workers": int, "run_seconds": (int, float), "files": list}
    #: Bytes of a JSON file of the folder at most (a manifest or a summary is a few KB).
    MAX_JSON_BYTES = 10_000_000
    #: Bytes per value a table of the folder may take at most on disk, with a
    #: MB to spare: a table far larger than its rows and columns is not one
    #: the run wrote, and is not read whole into memory.
    BYTES_PER_VALUE = 100

    def __init__(self, path: Path, manifest: dict, scenario):
        self.path, self.manifest, self.scenario = path, manifest, scenario

    @classmethod
    def open(cls, folder: Path, overrides: dict[str, Any] | None = None) -> RunFolder:
        folder = Path(folder)
        if not folder.exists():
            raise ScenarioError([Problem(str(folder), None, None, "", "no such folder; give a results folder of "
                                                                      "pilotsim run")])
        if not folder.is_dir():
            raise ScenarioError([Problem(str(folder), None, None, "", "not a folder; give a results folder of "
                                                                      "pilotsim run")])
        if not (folder / MANIFEST).is_file():
            raise ScenarioError([Problem(str(folder), None, None, "",
                                         "not a results folder of pilotsim run (no manifest.json)")])
        reader = cls(folder, {}, None)
        manifest = reader._json(MANIFEST)
        if not isinstance(manifest, dict):
            raise reader.problem(MANIFEST, f"expected a JSON object of fields, got {type(manifest).__name__}")
        missing = [name for name in cls.MANIFEST_FIELDS if name not in manifest]
        if missing:
            raise reader.problem(MANIFEST, f"no {', '.join(missing)}: not the manifest of a pilotsim run")
        wrong = [name for name, kind in cls.MANIFEST_FIELDS.items()
                 if not isinstance(manifest[name], kind) or isinstance(manifest[name], bool)]
        if wrong or manifest["replications"] < 1 or not all(isinstance(name, str) for name in manifest["files"]):
            raise reader.problem(MANIFEST, f"{', '.join(wrong) or 'files'}: not as pilotsim run writes it")
        # A complete folder has every file its manifest lists.
        absent = [name for name in manifest["files"] if not (folder / name).is_file()]
        if absent:
            raise reader.problem(absent[0], "missing, though manifest.json lists it: the folder is not complete"
                                            + (f" ({len(absent) - 1} more missing)" if len(absent) > 1 else ""))
        if not (folder / "scenario.yaml").is_file():
            raise reader.problem("scenario.yaml", "missing: every results folder of pilotsim run has one")
        reader.manifest = manifest
        reader.scenario = load_scenario(folder / "scenario.yaml", overrides)  # problems name file and line
        return reader

    def replications(self, exclude: tuple[str, ...] = ()) -> pd.DataFrame:
        """replications.csv, with the rows and columns a run of the scenario writes."""
        name = "replications.csv"
        if not (self.path / name).is_file():
            if (self.path / "replications.parquet").is_file():
                raise self.problem(name, "missing: the run kept only distributions (--summary-only); run it again "
                                         "with --per-replication")
            raise self.problem(name, "missing")
        wanted = ["replication", *(column for column in outcome_names(self.scenario) if column not in exclude)]
        self._check_size(name, self.manifest["replications"] * len(outcome_names(self.scenario)))
        with self.reading(name):
            table = pd.read_csv(self.path / name)
        self._check_table(name, table, wanted, self.manifest["replications"])
        not_numbers = [column for column in wanted if not pd.api.types.is_numeric_dtype(table[column])]
        if not_numbers:
            raise self.problem(name, f"column {not_numbers[0]} holds something other than numbers")
        return table

    def replication_rows(self) -> pd.DataFrame | None:
        """The outcome rows, from replications.csv or, for a summary-only run,
        replications.parquet; None when the folder has neither."""
        if (self.path / "replications.csv").is_file():
            return self.replications()
        name = "replications.parquet"
        if not (self.path / name).is_file():
            return None
        with self.reading(name):
            table = pd.read_parquet(self.path / name)
        self._check_table(name, table, ["replication", *outcome_names(self.scenario)], self.manifest["replications"])
        return table

    def timeseries(self, replications: int) -> pd.DataFrame:
        name = "timeseries.parquet"
        if not (self.path / name).is_file():
            raise self.problem(name, "missing")
        from sim.measure.outcomes import months, state_names

        wanted = ["replication", "month", *state_names(self.scenario)]
        rows = replications * len(months(self.scenario))
        self._check_size(name, rows * len(wanted))
        with self.reading(name):
            table = pd.read_parquet(self.path / name)
        self._check_table(name, table, wanted, rows)
        return table

    def clients(self) -> ClientRecords:
        name = "clients.parquet"
        if not (self.path / name).is_file():
            raise self.problem(name, "missing: run the scenario again with --keep-clients")
        with self.reading(name):
            pq.ParquetFile(self.path / name)
        return ClientRecords(self.path / name, self.scenario)

    def stays_in_scheduled_places(self) -> dict[int, dict[str, np.ndarray]]:
        """Per replication, the stays (stage numbers, starts, ends: inf while
        still going on at the horizon) from visits.parquet, where a stage's
        places follow a schedule: the places a schedule closed stay open
        until their people leave (``sim.measure.places``). Empty without
        schedules."""
        scenario = self.scenario
        if not any(isinstance(stage.slots, list) for stage in scenario.stages.values()):
            return {}
        name = "visits.parquet"
        if not (self.path / name).is_file():
            raise self.problem(name, "missing: run the scenario again with --keep-clients")
        with self.reading(name):
            visits = pd.read_parquet(self.path / name, columns=["replication", "stage", "start", "end"])
            visits["stage"] = visits["stage"].map(list(scenario.stages).index).astype(int)
            visits["end"] = visits["end"].fillna(np.inf)  # (still in the stage at the horizon)
            return {int(replication): {column: one[column].to_numpy() for column in ("stage", "start", "end")}
                    for replication, one in visits.groupby("replication", sort=True)}

    def summary(self) -> dict:
        name = "summary.json"
        if not (self.path / name).is_file():
            raise self.problem(name, "missing")
        document = self._json(name)
        if not isinstance(document, dict) or not isinstance(document.get("outcomes"), dict):
            raise self.problem(name, "expected a JSON object with the outcomes of the run")
        return document

    def _json(self, name: str) -> Any:
        self._check_size(name, None)
        with self.reading(name):
            return json.loads((self.path / name).read_text(encoding="utf-8"))

    def _check_size(self, name: str, values: int | None) -> None:
        """Refuse to read a file far larger than what the run wrote there."""
        limit = self.MAX_JSON_BYTES if values is None else values * self.BYTES_PER_VALUE + 1_000_000
        size = (self.path / name).stat().st_size
        if size > limit:
            raise self.problem(name, f"{size / 1e6:,.0f} MB, far more than the run wrote there (at most "
                                     f"{limit / 1e6:,.0f} MB); not read")

    @contextmanager
    def reading(self, name: str) -> Iterator[None]:
        """Any failure to read or parse ``name`` as one problem naming it."""
        try:
            yield
        except ScenarioError:
            raise
        except RecursionError:
            raise self.problem(name, "cannot be read (nested too deep)") from None
        except (OSError, ValueError, KeyError, TypeError, IndexError, UnicodeDecodeError, pa.ArrowException,
                pd.errors.ParserError, pd.errors.EmptyDataError) as error:
            detail = " ".join(str(error).split()) or type(error).__name__
            if isinstance(error, KeyError):
                detail = f"no column or field {detail}"
            raise self.problem(name, f"cannot be read ({detail[:200]})") from None

    def problem(self, name: str, message: str) -> ScenarioError:
        return ScenarioError([Problem(str(self.path / name), None, None, "", message)])

    def _check_table(self, name: str, table: pd.DataFrame, columns: list[str], rows: int) -> None:
        missing = [column for column in columns if column not in table.columns]
        if missing:
            shown = ", ".join(missing[:4]) + (f" and {len(missing) - 4} more" if len(missing) > 4 else "")
            raise self.problem(name, f"no column {shown}: not as pilotsim run writes it for this scenario")
        if len(table) != rows:
            raise self.problem(name, f"{len(table):,} rows where the run wrote {rows:,}")


def client_columns_of(table: pd.DataFrame) -> dict[str, np.ndarray]:
    """A saved client table as the columns the accounting reads, names back to codes."""
    return {
        column: (values.cat.codes.to_numpy() if isinstance(values.dtype, pd.CategoricalDtype) else values.to_numpy())
        for column, values in table.items()
    }


def timeseries_table(result: RunResult) -> pd.DataFrame:
    """One row per replication and month, one column per state."""
    replications, month_count, _ = result.monthly.shape
    table = pd.DataFrame(result.monthly.reshape(replications * month_count, -1), columns=list(result.states))
    table.insert(0, "month", np.tile(result.months, replications))
    table.insert(0, "replication", np.repeat(np.arange(replications), month_count))
    return table


def timeseries_summary(result: RunResult) -> pd.DataFrame:
    """One row per month and state: mean, sd and the fan-chart quantiles over replications."""
    binned = result.aggregates.monthly
    sd = binned.sd()
    quantiles = binned.quantiles(FAN_QUANTILES)
    table = pd.DataFrame({
        "month": np.repeat(result.months, len(result.states)),
        "state": np.tile(result.states, len(result.months)),
        "mean": binned.mean,
        "sd": sd,
    })
    for row, q in enumerate(FAN_QUANTILES):
        table[f"q{round(q * 100):02d}"] = quantiles[row]
    return table


def cashflow_table(result: RunResult) -> pd.DataFrame:
    """Euros per replication and month (month m covers [m, m + 1))."""
    replications, month_count, _ = result.cashflow.shape
    table = pd.DataFrame(result.cashflow.reshape(replications * month_count, -1), columns=list(CASHFLOW))
    table.insert(0, "year", np.tile(calendar_years(result.scenario), replications))
    table.insert(0, "month", np.tile(np.arange(month_count), replications))
    table.insert(0, "replication", np.repeat(np.arange(replications), month_count))
    return table


def money_per_year(result: RunResult) -> pd.DataFrame:
    """Per calendar year: which months of the pilot it covers, and the mean
    and 90 % interval over replications of each cashflow item (undiscounted,
    except discounted_net), in the prices of the benefit norm's year; with
    ``budget.price_index_per_year``, the same in the prices of each year."""
    scenario = result.scenario
    if result.cashflow is None:
        table = result.aggregates.money_per_year()
    else:
        years = calendar_years(scenario)
        rows = {}
        for year in np.unique(years):
            per_replication = result.cashflow[:, years == year, :].sum(axis=1)
            row = {}
            for column, name in enumerate(CASHFLOW):
                values = per_replication[:, column]
                row |= {f"{name}_mean": values.mean(), f"{name}_q05": np.quantile(values, 0.05),
                        f"{name}_q95": np.quantile(values, 0.95)}
            rows[int(year)] = row
        table = pd.DataFrame.from_dict(rows, orient="index").rename_axis("year")
    # A budget year is a calendar year; the pilot's first and last rarely are whole.
    years = calendar_years(scenario)
    first = pd.Period(scenario.calendar_start, freq="M")
    months = {int(year): np.flatnonzero(years == year) for year in np.unique(years)}
    # Each run may count to its own drawn month: then the mean over them.
    counted = np.array([count_until_month(scenario)])
    if drawn_count_until(scenario, result.with_uncertainty) is not None:
        counted = scenario.uncertain["budget.count_until_month"].ppf((np.arange(1000) + 0.5) / 1000)
    table.insert(0, "months_counted", [float(np.clip(counted[:, None] - months[year], 0, 1).sum(axis=1).mean())
                                       for year in table.index])
    table.insert(0, "last_month", [str(first + int(months[year][-1])) for year in table.index])
    table.insert(0, "first_month", [str(first + int(months[year][0])) for year in table.index])
    benefit = scenario.budget.benefit
    with language.speaking("en"):  # data: the same whatever the reader's language
        table.insert(3, "unit", f"EUR, {prices_in_words(scenario)}")
    reasons = not_estimated(scenario)
    blank = {"net_savings": "net_savings", "benefit_without": "benefit_paid_without", "costs": "total_costs",
             "discounted_net": "npv"}
    for item, outcome in blank.items():
        if outcome in reasons:  # not estimated: empty, never zero
            table[[f"{item}_mean", f"{item}_q05", f"{item}_q95"]] = np.nan
    rise = scenario.budget.price_index_per_year
    if rise is not None:
        factor = (1 + rise) ** (table.index.to_numpy() - benefit.norm_year)
        table["nominal_unit"] = f"EUR, prices of each year ({100 * rise:g} % a year from {benefit.norm_year})"
        for item in CASHFLOW[:-1]:  # discounting works in constant prices
            for statistic in ("mean", "q05", "q95"):
                table[f"{item}_{statistic}_nominal"] = table[f"{item}_{statistic}"] * factor
    return table


def summary_document(result: RunResult, summary: pd.DataFrame) -> dict:
    document: dict = {
        "scenario": result.scenario.name,
        "replications": result.replications,
        "seed": result.seed,
        "outcomes": {
            outcome: {key: _json_number(value) for key, value in row.items()}
            for outcome, row in summary.to_dict(orient="index").items()
        },
    }
    scenario = result.scenario
    document["start"] = scenario.calendar_start
    document["with_uncertainty"] = result.with_uncertainty
    document["uncertain"] = list(scenario.uncertain)
    if scenario.target.outcome is not None:
        document["target"] = {"outcome": scenario.target.outcome, "at_least": scenario.target.at_least,
                              **result.chance(scenario.target.outcome, scenario.target.at_least).fields()}
    reasons = not_estimated(scenario)
    document["not_estimated"] = reasons
    if scenario.budget is not None:
        still_there = sum(summary.at[name, "mean"] for name in STILL_THERE)
        with language.speaking("en"):  # data: the same whatever the reader's language
            document["warnings"] = money_warnings(scenario, still_there)
        document["money_counted_until_month"] = count_until_month(scenario)
        with language.speaking("en"):  # summary.json is data: its words do not change with the reader
            document["money_counted_until"] = months_counted_in_words(scenario, result.with_uncertainty)
        drawn = drawn_count_until(scenario, result.with_uncertainty)
        document["money_counted_until_drawn"] = None if drawn is None else [float(drawn[0]), float(drawn[1])]
        document["pilot_end_month"] = pilot_end_month(scenario)
        if "npv" in reasons:
            document["pays_for_itself"] = {"not_estimated": reasons["npv"]}
        else:
            # Above zero: a run that exactly breaks even has not paid for itself.
            document["pays_for_itself"] = {"outcome": "npv", "above": 0,
                                           "counted_until_month": count_until_month(scenario),
                                           "counted_until": document["money_counted_until"],
                                           **result.chance("npv", 1e-9).fields()}
        if "break_even_month" not in reasons:
            row = summary.loc["break_even_month"]
            document["breaks_even"] = {
                "by_month": count_until_month(scenario),
                "by": document["money_counted_until"],
                **chance_from_count(int(row["n"]), int(row["runs"]), "break_even_month", 0).fields()}
    return document


def _json_number(value) -> float | int | None:
    if isinstance(value, (int, np.integer)):
        return int(value)
    value = float(value)
    return None if np.isnan(value) else value


