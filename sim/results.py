"""Writing a run's results folder, all or nothing.

Files go to a hidden folder beside the destination, which is renamed into
place only when everything is written: an interrupted or failed run leaves
the previous results as they were and no half-written folder behind.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import sys
import tempfile
from datetime import datetime, timezone
from importlib import metadata
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim import plots
from sim.accounting import CASHFLOW, MONEY_OUTCOMES, account, calendar_years
from sim.caseload import CASELOAD_MONEY_OUTCOMES, caseload_savings_per_year
from sim.errors import Problem, ScenarioError
from sim.runner import ClientRecords, RunResult
from sim.scenario_file import dump_scenario, load_scenario
from sim.statistics import FAN_QUANTILES
from sim.worker import outcome_names

_VERSIONED = ("pilotsim", "simpy", "numpy", "scipy", "pandas", "pyarrow", "matplotlib", "pydantic", "ruamel.yaml")


def default_folder(result: RunResult, root: Path = Path("results")) -> Path:
    return root / result.scenario.name


def write_results(result: RunResult, folder: Path, command: list[str] | None = None,
                  extra_plots: dict | None = None) -> Path:
    """Write every output of ``result`` to ``folder`` (replacing it) and return
    it; ``extra_plots`` (file name: figure) go to plots/ beside the usual ones."""
    return write_atomically(folder, lambda staging: _write_all(result, staging, command, extra_plots or {}))


def write_atomically(folder: Path, write: Callable[[Path], None]) -> Path:
    """Let ``write`` fill a hidden folder beside ``folder``, then put it in
    place of ``folder`` in one rename; on any error or interrupt, nothing."""
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".partial", dir=folder.parent))
    try:
        write(staging)
        _swap_into_place(staging, folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return folder


def _write_all(result: RunResult, folder: Path, command: list[str] | None, extra_plots: dict) -> None:
    if result.outcomes is not None:
        result.outcomes.to_csv(folder / "replications.csv", index=False, float_format="%.10g")
        timeseries_table(result).to_parquet(folder / "timeseries.parquet", index=False)
    else:
        # Too many rows for a spreadsheet: the rows as Parquet, the months as distributions.
        shutil.copyfile(result.replication_rows.path, folder / "replications.parquet")
        timeseries_summary(result).to_csv(folder / "timeseries_summary.csv", index=False, float_format="%.6g")
    if result.clients is not None:
        shutil.copyfile(result.clients.path, folder / "clients.parquet")
    if result.cashflow is not None:
        cashflow_table(result).to_parquet(folder / "cashflow.parquet", index=False)
    if result.scenario.budget is not None:
        money_per_year(result).to_csv(folder / "money_per_year.csv", float_format="%.0f")
    summary = result.summary()
    summary.to_csv(folder / "summary.csv", float_format="%.6g")
    (folder / "summary.json").write_text(json.dumps(summary_document(result, summary), indent=2) + "\n")
    (folder / "scenario.yaml").write_text(dump_scenario(result.scenario))
    plots.save_all(result, folder / "plots")
    for name, figure in extra_plots.items():
        plots.save_figure(figure, folder / "plots" / name)
    files = sorted(str(path.relative_to(folder)) for path in folder.rglob("*") if path.is_file())
    write_manifest(folder, {
        "scenario": result.scenario.name,
        "seed": result.seed,
        "replications": result.replications,
        "workers": result.workers,
        "run_seconds": round(result.seconds, 3),
        "files": [*files, "manifest.json"],
    }, command)


def recompute_budget(folder: Path, overrides: dict[str, Any], command: list[str] | None = None) -> RunResult:
    """The money of a finished run again, from its client records, with the
    budget as overridden; every other figure stays as it was. The folder is
    rewritten as a whole, like a run's."""
    folder = Path(folder)
    not_budget = [path for path in overrides if not path.startswith("budget.")]
    if not_budget:
        message = "only budget.* fields change without simulating again; change the scenario and run it"
        raise ScenarioError([Problem(f"--set {path}", None, None, "", message) for path in not_budget])
    for needed in ("scenario.yaml", "replications.csv", "timeseries.parquet", "manifest.json"):
        if not (folder / needed).is_file():
            raise ScenarioError([Problem(str(folder), None, None, "", f"not a pilotsim results folder: no {needed}")])
    if not (folder / "clients.parquet").is_file():
        raise ScenarioError([Problem(str(folder), None, None, "",
                                     "no clients.parquet: run the scenario again with --keep-clients")])
    scenario = load_scenario(folder / "scenario.yaml", overrides)
    if scenario.budget is None:
        raise ScenarioError([Problem(str(folder / "scenario.yaml"), None, None, "budget",
                                     "the scenario has no budget section; add one with --set budget.*")])
    manifest = json.loads((folder / "manifest.json").read_text())
    clients = ClientRecords(folder / "clients.parquet", scenario)
    outcomes = pd.read_csv(folder / "replications.csv")
    money_rows, cashflow = [], []
    for one in clients.by_replication():
        money, flow = account(scenario, client_columns_of(one))
        money_rows.append(money)
        cashflow.append(flow)
    outcomes[list(MONEY_OUTCOMES)] = pd.DataFrame(money_rows, columns=list(MONEY_OUTCOMES))
    if scenario.caseload is not None:
        outcomes[list(CASELOAD_MONEY_OUTCOMES)] = [[caseload_savings_per_year(scenario, fewer)]
                                                   for fewer in outcomes["fewer_recipients"]]
    outcomes = outcomes[["replication", *outcome_names(scenario)]]
    timeseries = pd.read_parquet(folder / "timeseries.parquet")
    states = tuple(column for column in timeseries.columns if column not in ("replication", "month"))
    months = np.sort(timeseries["month"].unique()).astype(float)
    monthly = timeseries[list(states)].to_numpy(dtype=np.int32).reshape(len(outcomes), len(months), -1)
    cashflow = np.stack(cashflow)
    result = RunResult(
        scenario=scenario,
        seed=manifest["seed"],
        outcomes=outcomes,
        monthly=monthly,
        cashflow=cashflow,
        months=months,
        states=states,
        clients=clients,
        workers=manifest["workers"],
        seconds=manifest["run_seconds"],
    )
    write_results(result, folder, command)
    return result


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
    """Per calendar year: mean and 90 % interval over replications of each
    cashflow item (undiscounted, except discounted_net)."""
    if result.cashflow is None:
        return result.aggregates.money_per_year()
    years = calendar_years(result.scenario)
    rows = {}
    for year in np.unique(years):
        per_replication = result.cashflow[:, years == year, :].sum(axis=1)
        row = {}
        for column, name in enumerate(CASHFLOW):
            values = per_replication[:, column]
            row |= {f"{name}_mean": values.mean(), f"{name}_q05": np.quantile(values, 0.05),
                    f"{name}_q95": np.quantile(values, 0.95)}
        rows[int(year)] = row
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("year")


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
    target = result.scenario.target.placed
    if target is not None:
        chance = result.chance("placed", target)
        document["target"] = {
            "outcome": "placed",
            "at_least": target,
            "probability": chance.probability,
            "ci95_low": chance.low,
            "ci95_high": chance.high,
        }
    return document


def _json_number(value) -> float | int | None:
    if isinstance(value, (int, np.integer)):
        return int(value)
    value = float(value)
    return None if np.isnan(value) else value


def package_versions() -> dict[str, str | None]:
    versions = {}
    for package in _VERSIONED:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return versions


def write_manifest(folder: Path, fields: dict, command: list[str] | None) -> None:
    """manifest.json: what was run, the command that runs it again, and the
    versions it ran with."""
    manifest = {
        **fields,
        "written_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": command if command is not None else sys.argv,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": package_versions(),
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")


def _swap_into_place(staging: Path, folder: Path) -> None:
    if folder.exists():
        retired = folder.with_name(f".{folder.name}.replaced")
        shutil.rmtree(retired, ignore_errors=True)
        os.replace(folder, retired)
        os.replace(staging, folder)
        shutil.rmtree(retired, ignore_errors=True)
    else:
        os.replace(staging, folder)
