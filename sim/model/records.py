"""What happened in a replication, as the engine hands it to counting."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import chain

import numpy as np

from sim.model.draws import ChunkDraws
from sim.model.states import BACK_ON_ASSISTANCE, FINAL_STATES
from sim.scenario.schema import Scenario

_CODE = {name: code for code, name in enumerate(FINAL_STATES)}
#: Interim outcomes while a run goes on: placed (employed or job_lost is
#: decided afterwards), and not out yet.
PLACED, STILL_IN = -1, -2
# By outcome code, the interim marks (negative) included.
_IS_BACK_ON_ASSISTANCE = np.zeros(len(FINAL_STATES) + 2, dtype=bool)
_IS_BACK_ON_ASSISTANCE[[_CODE[name] for name in BACK_ON_ASSISTANCE]] = True
#: How a stay ends.
COMPLETED, DROPPED, FOUND_WORK = 0, 1, 2


@dataclass(frozen=True)
class _Records:
    """The parts every record set has; times are months since month 0."""

    horizon: float
    stage_names: tuple[str, ...]
    stage_slots: tuple[tuple[tuple[float, int], ...] | None, ...]  # per stage: (from month, places)
    clients: dict[str, np.ndarray]
    visits: dict[str, np.ndarray]
    between_stages: dict[str, np.ndarray]


@dataclass(frozen=True)
class ReplicationRecords(_Records):
    """Who did what, when, in one replication. Times are months since month 0.

    ``clients`` has one entry per referred person (people the lifetime cap kept
    from being referred are not in it); ``visits`` one entry per stage visit;
    ``between_stages`` one entry per wait for a place in a later stage.
    A time of ``inf`` means "never" (programme events: "not before the
    horizon"; a job's end, an own job and other outflow follow each person's
    draws past the horizon).
    """

    replications = 1

    def replication_of(self, part: str) -> np.ndarray:
        """For each row of ``part``: the replication, 0 (as in a chunk of one)."""
        return np.zeros(len(getattr(self, part)["client"]), dtype=np.int64)


_PARTS = ("clients", "visits", "between_stages")


@dataclass(frozen=True)
class ChunkRecords(_Records):
    """The records of consecutive replications, each part end to end: rows
    ``row_offsets[part][i]`` to ``row_offsets[part][i + 1] - 1`` belong to the
    chunk's replication ``i``. Counting works on the whole chunk at once."""

    row_offsets: dict[str, np.ndarray]

    @property
    def replications(self) -> int:
        return len(self.row_offsets["clients"]) - 1

    def replication_of(self, part: str) -> np.ndarray:
        """For each row of ``part``: the number of its replication in the chunk."""
        return np.repeat(np.arange(self.replications), np.diff(self.row_offsets[part]))

    def replication(self, position: int) -> ReplicationRecords:
        """The records of the chunk's replication ``position``."""
        parts = {}
        for part in _PARTS:
            start, stop = self.row_offsets[part][position], self.row_offsets[part][position + 1]
            parts[part] = {name: values[start:stop] for name, values in getattr(self, part).items()}
        return ReplicationRecords(self.horizon, self.stage_names, self.stage_slots, **parts)


def stack_records(batch: list[ReplicationRecords]) -> ChunkRecords:
    """Replications' records end to end, as ``simulate_chunk`` gives them."""
    parts = {part: [getattr(records, part) for records in batch] for part in _PARTS}
    return ChunkRecords(
        horizon=batch[0].horizon,
        stage_names=batch[0].stage_names,
        stage_slots=batch[0].stage_slots,
        **{part: {name: np.concatenate([columns[name] for columns in parts[part]]) for name in parts[part][0]}
           for part in _PARTS},
        row_offsets={part: np.cumsum([0] + [len(columns["client"]) for columns in parts[part]])
                     for part in _PARTS},
    )


def records_of_runs(scenario: Scenario, draws: ChunkDraws, runs: list) -> ChunkRecords:
    """The records of a chunk's runs, end to end, from either engine: each
    run keeps, per person, how they left and when (``outcome``,
    ``exit_time``: set when an end is known, possibly past the horizon),
    ``start_time``, ``placed_from``, ``referred``, ``waiting_list`` (those
    still on it), their own chance of work as it stood (``own_chance_left``,
    ``exposed_since``, ``exposure_rate``), its ``stays`` as tuples (person,
    stage, start, end, how it ended, visit number: one append per stay, the
    busiest line of a run), and per wait between stages lists named
    ``between_*``. Ends that fall at or
    past the horizon are undone here (nothing happens at the horizon itself).
    A run that followed its jobs keeps their lengths (``job_length``); else
    they follow from each person's own draws, as nothing in a job competes."""
    horizon = scenario.horizon_months
    people = len(draws.referral_time)
    outcome, placed_from, referred = np.array(
        [_joined(runs, "outcome"), _joined(runs, "placed_from"), _joined(runs, "referred")], dtype=np.int64,
    ).reshape(3, people)
    referred = referred.astype(bool)
    accepted = np.array(draws.accepted, dtype=bool)
    exit_time, start_time = np.array([_joined(runs, "exit_time"), _joined(runs, "start_time")]).reshape(2, people)
    beyond = exit_time >= horizon
    outcome[beyond] = STILL_IN  # known ends past the horizon have not happened
    exit_time[beyond] = np.inf
    outcome[outcome == STILL_IN] = _CODE["in_programme"]
    still_waiting = [first + client for first, run in zip(draws.offsets.tolist(), runs) for client in run.waiting_list]
    outcome[still_waiting] = _CODE["waiting"]
    stays_per_run = [len(run.stays) for run in runs]
    stays = np.fromiter(chain.from_iterable(chain.from_iterable(run.stays for run in runs)), dtype=float,
                        count=6 * sum(stays_per_run)).reshape(-1, 6)
    start, end = stays[:, 2].copy(), stays[:, 3].copy()
    client, stage, ended_by, number = stays[:, [0, 1, 4, 5]].astype(np.int64).T
    visitor = draws.offsets[np.repeat(np.arange(len(runs)), stays_per_run)] + client
    # Person by person, each one's stays in the order made: the engines
    # note them in different orders (the fast one a whole path at once).
    order = np.lexsort((start, visitor))
    client, stage, ended_by, number, start, end, visitor = (
        values[order] for values in (client, stage, ended_by, number, start, end, visitor))
    job_start = np.where(outcome == PLACED, exit_time, np.inf)
    # The process model follows each job to its end; the fast engine leaves
    # jobs to the draws (it has no support after placement, which changes them).
    followed = all(hasattr(run, "job_length") for run in runs)
    part_time, job_end = _job_course(draws, job_start, np.array(_joined(runs, "job_length")) if followed else None)
    # The stays going on at the horizon (one that would end exactly then
    # still is: nothing happens at the horizon).
    staying = end >= horizon
    own_job_start, counterfactual_job_start = _own_jobs(scenario, draws, runs, outcome, exit_time,
                                                        (visitor[staying], stage[staying], end[staying]))
    own_part_time, own_job_end = _job_course(draws, own_job_start)
    counterfactual_part_time, counterfactual_job_end = _job_course(draws, counterfactual_job_start)
    placed = job_start < np.inf
    outcome[placed] = np.where(job_end[placed] <= horizon, _CODE["job_lost"], _CODE["employed"])
    never_started = np.isnan(start_time)
    left_the_list = (outcome == _CODE["reneged"]) | ((outcome == _CODE["found_work_on_own"]) & never_started)
    list_leave = np.where(left_the_list, exit_time, np.where(never_started, np.inf, start_time))
    joined_list = accepted & (outcome != _CODE["turned_away"])  # those who started at once: zero wait
    referral_time = draws.referral_time
    replication = np.repeat(np.arange(len(runs)), np.diff(draws.offsets))
    times = np.array([
        referral_time, np.where(joined_list, list_leave, referral_time), start_time, exit_time,
        job_start, job_end, own_job_start, own_job_end, counterfactual_job_start, counterfactual_job_end,
        draws.other_outflow_time,
    ]).reshape(11, people)
    codes = np.array([
        np.arange(people) - draws.offsets[replication], draws.segment, outcome,
        np.where(placed, placed_from, -1), replication,
    ]).reshape(5, people)
    flags = np.array([accepted, part_time, own_part_time, counterfactual_part_time]).reshape(4, people)
    if not referred.all():
        times, codes, flags = times[:, referred], codes[:, referred], flags[:, referred]
    clients = {
        "client": codes[0],
        "segment": codes[1],
        "referral_time": times[0],
        "accepted": flags[0],
        "waiting_list_until": times[1],
        "start_time": times[2],
        "exit_time": times[3],
        "final_state": codes[2],
        "job_start": times[4],
        "placed_from": codes[3],
        "job_end": times[5],
        "part_time": flags[1],
        "own_job_start": times[6],
        "own_job_end": times[7],
        "own_part_time": flags[2],
        "counterfactual_job_start": times[8],
        "counterfactual_job_end": times[9],
        "counterfactual_part_time": flags[3],
        "other_outflow_time": times[10],
    }
    if scenario.employment.support is not None:  # when coaching after placement ended (NaN: not coached)
        coached_until = np.where(job_start < np.inf, _joined(runs, "coached_until"), np.nan)
        clients["coached_until"] = coached_until[referred] if not referred.all() else coached_until
    end[staying] = np.inf
    visits = {"client": client, "stage": stage, "start": start, "end": end,
              "dropped": ended_by == DROPPED, "found_work": ended_by == FOUND_WORK, "first": number == 0,
              "number": number}
    wait_rows = sum(len(run.between_client) for run in runs)
    client, stage = np.array([_joined(runs, "between_client"), _joined(runs, "between_stage")],
                             dtype=np.int64).reshape(2, wait_rows)
    start, end = np.array([_joined(runs, "between_start"), _joined(runs, "between_end")]).reshape(2, wait_rows)
    waiter = draws.offsets[np.repeat(np.arange(len(runs)), [len(run.between_client) for run in runs])] + client
    order = np.lexsort((start, waiter))
    between = {"client": client[order], "stage": stage[order], "start": start[order], "end": end[order]}
    visits["wait_before"] = _waits_before(visits, visitor, between, waiter[order], referral_time,
                                          tuple(scenario.stages).index(scenario.first_stage))
    return ChunkRecords(
        horizon=horizon,
        stage_names=tuple(scenario.stages),
        stage_slots=tuple(stage.place_schedule for stage in scenario.stages.values()),
        clients=clients,
        visits=visits,
        between_stages=between,
        row_offsets={
            "clients": np.cumsum([0] + np.bincount(codes[4], minlength=len(runs)).tolist()),
            "visits": np.cumsum([0] + stays_per_run),
            "between_stages": np.cumsum([0] + [len(run.between_client) for run in runs]),
        },
    )


def _waits_before(visits: dict, visitor: np.ndarray, between: dict, waiter: np.ndarray,
                  referral_time: np.ndarray, entry_stage: int) -> np.ndarray:
    """For each stay, the months its person waited for the place: on the
    waiting list before a first stay in the first stage, between stages
    before a stay they moved on to (0 if a place was free at once)."""
    wait = np.zeros(len(visitor))
    from_the_list = visits["first"] & (visits["stage"] == entry_stage)
    wait[from_the_list] = visits["start"][from_the_list] - referral_time[visitor[from_the_list]]
    # A wait between stages that ended in a place is followed by the person's
    # stay in that stage starting as it ended (stays are in order per person).
    got_place = np.isfinite(between["end"])
    first_stay = np.searchsorted(visitor, waiter[got_place])
    for person, stage, since, until, row in zip(waiter[got_place], between["stage"][got_place],
                                                between["start"][got_place], between["end"][got_place], first_stay):
        while row < len(visitor) and visitor[row] == person:  # (none if they left for work of their own)
            if visits["stage"][row] == stage and visits["start"][row] == until:
                wait[row] = until - since
                break
            row += 1
    return wait


def _joined(runs: list, name: str) -> list:
    """The runs' lists called ``name``, one after the other."""
    joined = []
    for run in runs:
        joined += getattr(run, name)
    return joined


def _own_jobs(scenario: Scenario, draws: ChunkDraws, runs: list, outcome: np.ndarray,
              exit_time: np.ndarray, staying: tuple[np.ndarray, np.ndarray, np.ndarray],
              ) -> tuple[np.ndarray, np.ndarray]:
    """When people find work on their own (inf: never), with the programme
    and, on the same draws, without it. Times past the horizon are kept:
    the money may be counted beyond it (budget.count_until_month). After
    the horizon nobody enters or leaves a stage: those in one at the horizon
    (``staying``: person, stage and planned end of their stay) keep looking
    at its lock-in rate, those waiting at the full rate."""
    own_hazard = scenario.without_programme.own_job_hazard_per_month
    if own_hazard == 0:
        return np.full(len(outcome), np.inf), np.full(len(outcome), np.inf)
    without = draws.own_job_without_programme
    # With it: those who left while waiting or in a stage found work then;
    # those back on assistance go on from what they had left when they
    # left the programme (the chance they used up so far is subtracted).
    # (For those still in the programme exit_time is inf and the result,
    # nan or inf, is not used.)
    rate, since, chance_left = np.array(
        [_joined(runs, "exposure_rate"), _joined(runs, "exposed_since"), _joined(runs, "own_chance_left")],
    ).reshape(3, len(outcome))
    with np.errstate(invalid="ignore"):
        after_leaving = exit_time + (chance_left - rate * (exit_time - since)) / own_hazard
    with_programme = np.where(
        outcome == _CODE["found_work_on_own"], exit_time,
        np.where(_IS_BACK_ON_ASSISTANCE[outcome], after_leaving, np.inf),
    )
    # Still there at the horizon. Waiting, or between stages: the full chance
    # goes on from where it stood.
    horizon = scenario.horizon_months
    still_there = (outcome == _CODE["in_programme"]) | (outcome == _CODE["waiting"])
    with np.errstate(invalid="ignore", divide="ignore"):
        after_horizon = np.maximum(since + chance_left / rate, horizon)
        # In a stay: what was left at its start was used at the stage's rate
        # until its planned end; at the horizon the part after it is unused.
        person, stage, end = staying
        stage_rate = own_hazard * (1 - np.array([s.lock_in for s in scenario.stages.values()]))[stage]
        left_at_horizon = chance_left[person] + stage_rate * (end - horizon)
        after_horizon[person] = np.where(stage_rate > 0, horizon + left_at_horizon / stage_rate, np.inf)
    with_programme[still_there] = after_horizon[still_there]
    return with_programme, without


def _job_course(draws: ChunkDraws, job_start: np.ndarray, length: np.ndarray | None = None,
                ) -> tuple[np.ndarray, np.ndarray]:
    """Part-time or not, and when the job ends (inf: never), for jobs
    starting at ``job_start`` (inf: no job). A person has one job draw,
    whichever way the job was found; ``length``: as the run followed it
    (support after placement changes it). Ends past the horizon are kept, for money
    counted beyond it."""
    placed = job_start < np.inf
    return draws.part_time & placed, job_start + (draws.job_length if length is None else length)
