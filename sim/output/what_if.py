"""What if: a comparison's scenarios or a sweep's points side by side, each
with the spread of its key outcomes and its chance of the target, as a
council reads a table of options.

One table per folder, worked out from the folder's own per-run files
(replications_<scenario>.csv of a comparison, replications.csv of a sweep),
written as what_if.csv beside them, and read back by the report and the
workbook, so that the three say the same.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.errors import Problem, ScenarioError
from sim.measure.statistics import chance_from_count, summarise
from sim.output.fields import describe, label
from sim.output.folders import MANIFEST
from sim.scenario.files import load_scenario
from sim.scenario.schema import Scenario

#: The outcomes a what-if table shows, when the runs have them.
SHOWN = ("placed", "off_assistance", "net_into_work", "total_costs", "npv")
#: The statistics of each outcome, as what_if.csv names its columns.
STATISTICS = ("mean", "q05", "q50", "q95")
TABLE = "what_if.csv"
#: How many changed fields a comparison's row names before "and N more".
CHANGES_NAMED = 4


@dataclass(frozen=True)
class WhatIf:
    """A comparison or a sweep, read from its folder."""

    kind: str                  # "compare" or "sweep"
    folder: Path
    manifest: dict
    baseline: Scenario         # the first scenario of a comparison; the swept scenario
    scenarios: dict[str, Scenario]  # a comparison's, by name (a sweep: the swept one)
    target: tuple[str, float] | None
    table: pd.DataFrame        # what_if.csv: a row per scenario or point

    @property
    def outcomes(self) -> list[str]:
        return [name for name in SHOWN if f"{name}_q50" in self.table.columns]

    @property
    def varied(self) -> list[str]:
        return self.manifest.get("varied", [])

    def options(self) -> list[str]:
        """Each row's option in words: a scenario's title, a sweep point's values."""
        if self.kind == "compare":
            return option_names([self.scenarios[name] for name in self.table["alternative"]])
        return ["; ".join(f"{label(path)}: {self.value_in_words(path, row[path])}" for path in self.varied)
                for _, row in self.table.iterrows()]

    def value_in_words(self, path: str, value: Any) -> str:
        """A swept value as the scenario would write it: 40, not 40.0, for a whole number."""
        value = value.item() if isinstance(value, np.generic) else value  # as read from what_if.csv
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return describe(path, value, self.baseline.calendar_start)

    def changes(self, name: str) -> list[tuple[str, Any, Any]]:
        """What a comparison's scenario changes from the baseline: each field's
        path with its value in the baseline and in the scenario (None: not set)."""
        before, after = _fields(self.baseline), _fields(self.scenarios[name])
        return [(path, before.get(path), after.get(path)) for path in dict.fromkeys([*after, *before])
                if before.get(path) != after.get(path)]


def option_names(scenarios: list[Scenario]) -> list[str]:
    """What to call each compared scenario: its title, or its name where
    another shares the title (a variant that extends a file keeps its title)."""
    titles = [scenario.title or scenario.name for scenario in scenarios]
    return [title if titles.count(title) == 1 else scenario.name for title, scenario in zip(titles, scenarios)]


def is_what_if(folder: Path) -> bool:
    """A folder that pilotsim compare or pilotsim sweep wrote."""
    return written_by(folder) in ("compare", "sweep")


#: The fields only one command's manifest has, by command.
MANIFEST_MARKS = {"compare": {"baseline", "alternatives"}, "sweep": {"varied", "design", "points"},
                  "size": {"answer", "confidence"}, "sensitivity": {"method", "parameters"},
                  "calibrate": {"observed", "estimate"}, "replications": {"target_precision"}}


def written_by(folder: Path) -> str | None:
    """The pilotsim command whose folder ``folder`` is, as its manifest shows
    (None: a run's, or no folder of pilotsim's)."""
    fields = _manifest(Path(folder)).keys()
    return next((command for command, marks in MANIFEST_MARKS.items() if marks <= fields), None)


def open_what_if(folder: Path, manifest: dict | None = None) -> WhatIf:
    """The comparison or sweep in ``folder``; ``manifest``: its fields, while
    the folder is being written and has no manifest yet."""
    folder = Path(folder)
    manifest = _manifest(folder) if manifest is None else manifest
    try:
        if "baseline" in manifest:
            names = [manifest["baseline"], *manifest["alternatives"]]
            scenarios = {name: load_scenario(folder / "scenarios" / f"{name}.yaml") for name in names}
            baseline = scenarios[names[0]]
            target = scenario_target(baseline)
            kind = "compare"
        else:
            baseline = load_scenario(folder / "scenario.yaml")
            scenarios = {baseline.name: baseline}
            chosen = manifest.get("target")
            target = (chosen["outcome"], float(chosen["at_least"])) if chosen else None
            kind = "sweep"
        table = (pd.read_csv(folder / TABLE) if (folder / TABLE).is_file()
                 else what_if_table(folder, target, manifest.get("baseline") and names))
    except (KeyError, TypeError, ValueError, OSError) as error:  # files that are not as compare or sweep write them
        raise ScenarioError([Problem(str(folder), None, None, "", "its files are not as pilotsim compare or sweep "
                                     f"writes them (no {' '.join(str(error).split())[:200]})")]) from None
    return WhatIf(kind, folder, manifest, baseline, scenarios, target, table)


def write_what_if(folder: Path, manifest: dict) -> WhatIf:
    """what_if.csv and results.xlsx in a comparison's or sweep's folder being
    written (``manifest``: the fields its manifest will have)."""
    from sim.output.workbook import write_what_if_workbook

    # Opened before its table is written, the folder's table is counted from its runs.
    what_if = open_what_if(folder, manifest)
    what_if.table.to_csv(Path(folder) / TABLE, index=False, float_format="%.10g")
    write_what_if_workbook(Path(folder) / "results.xlsx", what_if)
    return what_if


def what_if_table(folder: Path, target: tuple[str, float] | None, scenarios: list[str] | None) -> pd.DataFrame:
    """The table of options from the per-run files of a comparison of
    ``scenarios`` (baseline first), or else of a sweep: a row per scenario or
    point with the runs, each shown outcome's mean and 5/50/95 % quantiles
    over runs, and, given a target, how many runs reach it with the 95 %
    interval of that chance."""
    folder = Path(folder)
    if scenarios:
        groups = [({"alternative": name}, pd.read_csv(folder / f"replications_{name}.csv")) for name in scenarios]
    else:
        points = pd.read_csv(folder / "points.csv").set_index("point")
        runs = pd.read_csv(folder / "replications.csv")
        groups = [({"alternative": int(point), **points.loc[point].to_dict()}, table.drop(columns=["point"]))
                  for point, table in runs.groupby("point", sort=True)]
    rows = []
    for identity, runs in groups:
        row: dict[str, Any] = {**identity, "runs": len(runs)}
        shown = [name for name in SHOWN if name in runs.columns]
        summary = summarise(runs[shown])
        for name in shown:
            for statistic in STATISTICS:
                row[f"{name}_{statistic}"] = summary.at[name, statistic]
        if target is not None and target[0] in runs.columns:
            values = runs[target[0]].to_numpy(float)
            chance = chance_from_count(int(np.count_nonzero(values >= target[1])), len(values), *target)
            row |= {"target_outcome": target[0], "target_at_least": target[1], "target_hits": chance.hits,
                    "target_chance": chance.probability, "target_chance_low": chance.low,
                    "target_chance_high": chance.high}
        rows.append(row)
    return pd.DataFrame(rows)


def scenario_target(scenario: Scenario) -> tuple[str, float] | None:
    for outcome in ("off_assistance", "placed"):
        level = getattr(scenario.target, outcome)
        if level is not None:
            return outcome, float(level)
    return None


def _manifest(folder: Path) -> dict:
    path = folder / MANIFEST
    if not path.is_file() or path.stat().st_size > 10_000_000:
        return {}
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError):  # the run folder's reader says what is wrong
        return {}
    return manifest if isinstance(manifest, dict) else {}


def _fields(scenario: Scenario) -> dict[str, Any]:
    """A scenario's figures by dotted path (a distribution or a schedule is one figure)."""
    data = scenario.model_dump(mode="json", by_alias=True, exclude={"name", "title", "description", "sources",
                                                                     "replications", "seed"})
    flat: dict[str, Any] = {}

    def walk(value: Any, path: tuple[str, ...]) -> None:
        if isinstance(value, dict) and "dist" not in value and value:
            for key, item in value.items():
                walk(item, (*path, str(key)))
        elif value is not None and path[-1] != "description":
            flat[".".join(path)] = value

    walk(data, ())
    return flat
