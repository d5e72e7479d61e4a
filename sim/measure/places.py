"""Places a stage offers over time: as its schedule says, and more while
people stay on in places the schedule has closed.

When a schedule lowers a stage's places, nobody is sent away: a closed
place closes when the person in it leaves. Until then it is still offered,
in use, and paid for, so both the use of places and their cost count it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np

from sim.scenario.schema import Scenario, Stage


def shrinks(stage: Stage) -> bool:
    """Whether the stage's schedule ever lowers its places (only then can
    people be in more places than it offers)."""
    places = [count for _, count in stage.place_schedule or ()]
    return any(later < earlier for earlier, later in zip(places, places[1:]))


def kept_open(stage: Stage, starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(since, until, places): the periods in which more people were in the
    stage than its schedule offered, and by how many, for one run's stays
    in it (each from ``starts`` to ``ends``)."""
    schedule_months, scheduled = (np.array(values, dtype=float) for values in zip(*stage.place_schedule))
    months = np.unique(np.concatenate([starts, ends, schedule_months]))
    # In places from each of these months on: begun by then, less ended by then.
    in_places = (np.searchsorted(np.sort(starts), months, side="right")
                 - np.searchsorted(np.sort(ends), months, side="right"))
    offered = scheduled[np.searchsorted(schedule_months, months, side="right") - 1]
    beyond = np.maximum(in_places - offered, 0)[:-1]
    some = beyond > 0
    return months[:-1][some], months[1:][some], beyond[some]


def months_kept_open(stage: Stage, starts: np.ndarray, ends: np.ndarray) -> float:
    """Place-months kept open beyond the schedule (see ``kept_open``)."""
    since, until, places = kept_open(stage, starts, ends)
    return float(np.sum((until - since) * places))


def kept_open_in_run(scenario: Scenario, visits: Mapping[str, np.ndarray]) -> tuple[np.ndarray, ...] | None:
    """``kept_open`` over every stage of one run (its ``visits``: stage
    numbers, starts and ends), stays counted up to the horizon; None if no
    stage's schedule lowers its places."""
    periods = [kept_open(stage, visits["start"][visits["stage"] == index],
                         np.minimum(visits["end"][visits["stage"] == index], scenario.horizon_months))
               for index, stage in enumerate(scenario.stages.values()) if shrinks(stage)]
    if not periods:
        return None
    return tuple(np.concatenate(parts) for parts in zip(*periods))


#: The stays of a replication in which nobody was in a stage.
NO_STAYS = {"stage": np.zeros(0, dtype=np.int64), "start": np.zeros(0), "end": np.zeros(0)}


def kept_open_in_replications(scenario: Scenario, visits: Iterable[Mapping[str, np.ndarray]]
                              ) -> tuple[np.ndarray, ...] | None:
    """``kept_open_in_run`` for consecutive replications (each's ``visits``),
    as (since, until, places, which of them); None if no stage's schedule
    lowers its places."""
    if not any(shrinks(stage) for stage in scenario.stages.values()):
        return None
    periods = [kept_open_in_run(scenario, one) for one in visits]
    if not periods:
        return None
    since, until, places = (np.concatenate(parts) for parts in zip(*periods))
    which = np.repeat(np.arange(len(periods)), [len(period[0]) for period in periods])
    return since, until, places, which
