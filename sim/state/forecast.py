"""A forecast: the programme continued from its records as of a month
(``sim.model.continued``), many times over, set beside a fresh run of the
same scenario from month 0, so a reader sees how the chance of the target
stands now against how it stood at the start, and which money has been
spent or saved already and which is still to come.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.model.continued import _ENDED_BY, Continuation
from sim.run.results import RunResult
from sim.scenario.schema import Scenario
from sim.state.records import State


def continuation_of(state: State, scenario: Scenario, stays: pd.DataFrame | None = None) -> Continuation:
    """The checked records (``read_state``; the stays file, if there is one:
    ``read_stays``) as the process model continues from them."""
    people = state.people.sort_values("referred_month", kind="stable").reset_index(drop=True)
    stage_number = {name: number for number, name in enumerate(scenario.stages)}
    segment_number = {name: number for number, name in enumerate(scenario.segments)}
    number_of = {person: index for index, person in enumerate(people["person"])}

    def months(column: str) -> np.ndarray:
        return people[column].to_numpy(dtype=float)

    stage = np.array([stage_number.get(name, -1) if isinstance(name, str) else -1 for name in people["stage"]],
                     dtype=int)
    visit = np.nan_to_num(people["visit"].to_numpy(dtype=float), nan=1.0).astype(int) - 1
    visits_made = np.zeros((len(scenario.stages), len(people)), dtype=int)
    in_stage = (people["status"] == "in_stage").to_numpy()
    visits_made[stage[in_stage], np.flatnonzero(in_stage)] = visit[in_stage] + 1
    past = {"person": np.zeros(0, dtype=int), "stage": np.zeros(0, dtype=int), "number": np.zeros(0, dtype=int),
            "start": np.zeros(0), "end": np.zeros(0), "ended_by": np.zeros(0, dtype=int)}
    if stays is not None and len(stays):
        person = stays["person"].map(number_of).to_numpy(dtype=int)
        stays_stage = stays["stage"].map(stage_number).to_numpy(dtype=int)
        number = stays["visit"].to_numpy(dtype=int) - 1
        np.maximum.at(visits_made, (stays_stage, person), number + 1)
        ended = stays["end_month"].notna().to_numpy()
        past = {"person": person[ended], "stage": stays_stage[ended], "number": number[ended],
                "start": stays["start_month"].to_numpy(dtype=float)[ended],
                "end": stays["end_month"].to_numpy(dtype=float)[ended],
                "ended_by": stays["ended"][ended].map(_ENDED_BY).to_numpy(dtype=int)}
    part_time = people["part_time"].map(lambda value: bool(value) if isinstance(value, (bool, np.bool_)) else False)
    started = months("started_month")
    if stays is not None and len(stays):  # (someone who found work of their own in a stage has a stay, maybe no start)
        first_stay = stays.groupby("person")["start_month"].min()
        started = np.where(np.isnan(started), people["person"].map(first_stay).to_numpy(dtype=float), started)
    full_rate, in_stages = _exposure(people, started, stays, stage_number,
                                     stage_number[scenario.first_stage], float(state.as_of))
    return Continuation(
        as_of=float(state.as_of),
        person=tuple(people["person"]),
        referred=months("referred_month"),
        segment=np.array([segment_number.get(name, -1) if isinstance(name, str) else -1
                          for name in people["segment"]], dtype=int),
        status=tuple(people["status"]),
        stage=stage,
        since=months("since_month"),
        visit=visit,
        started=started,
        placed=months("placed_month"),
        part_time=part_time.to_numpy(dtype=bool),
        ended=months("ended_month"),
        visits_made=visits_made,
        past_stays=past,
        months_at_full_rate=full_rate,
        months_in_stages=in_stages,
    )


def _exposure(people: pd.DataFrame, started: np.ndarray, stays: pd.DataFrame | None, stage_number: dict,
              entry_stage: int, as_of: float) -> tuple[np.ndarray, np.ndarray]:
    """The months each person could find work of their own in the programme
    until they left it or the month of the records, whichever came first:
    at the full rate (waiting, between stages) and in each stage (at its
    lock-in rate). Without the stays, the months since the start count as
    months in the stage the records name (else the first)."""
    referred = people["referred_month"].to_numpy(dtype=float)
    left = np.fmin(people["placed_month"].to_numpy(dtype=float), people["ended_month"].to_numpy(dtype=float))
    until = np.fmin(left, as_of)  # (NaN for those still in: the month of the records)
    until = np.where(np.isnan(until), as_of, until)
    in_stages = np.zeros((len(stage_number), len(people)))
    began = np.where(np.isnan(started), until, started)
    if stays is not None and len(stays):
        number_of = {person: index for index, person in enumerate(people["person"])}
        person = stays["person"].map(number_of).to_numpy(dtype=int)
        start = stays["start_month"].to_numpy(dtype=float)
        end = np.fmin(stays["end_month"].to_numpy(dtype=float), until[person])
        end = np.where(np.isnan(end), until[person], end)
        np.add.at(in_stages, (stays["stage"].map(stage_number).to_numpy(dtype=int), person),
                  np.maximum(end - start, 0.0))
    else:
        named = np.array([stage_number.get(name, entry_stage) if isinstance(name, str) else entry_stage
                          for name in people["stage"]], dtype=int)
        in_stages[named, np.arange(len(people))] = until - began
    return (began - referred) + np.maximum(until - began - in_stages.sum(axis=0), 0.0), in_stages


@dataclass(frozen=True)
class Forecast:
    """The programme continued from its records (``result``), and as it
    looked from month 0 (``at_start``: a fresh run of the same scenario,
    seed and replications)."""

    result: RunResult
    at_start: RunResult
    state: State
    stays_file: str | None
    continuation: Continuation  # the records as the model took them

    @property
    def as_of(self) -> float:
        return self.state.as_of
