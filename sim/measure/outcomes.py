"""What one replication amounts to: outcome counts and people per state per month.

Computed from the client records afterwards, so the model stays about who
goes where and this module about what is counted. Definitions are in
``docs/model.md``; they are repeated here next to the code that implements them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.measure import columns
from sim.measure.columns import waited_for_between_stages
from sim.measure.places import months_kept_open, shrinks
from sim.model.records import ChunkRecords, ReplicationRecords, stack_records
from sim.model.states import BACK_ON_ASSISTANCE, FINAL_STATES, NEVER_STARTED
from sim.scenario.schema import Scenario, Stage

_CODE = {name: code for code, name in enumerate(FINAL_STATES)}

#: The programme's columns of replications.csv, in order (see sim.measure.columns).
OUTCOMES = columns.names(columns.PROGRAMME)

#: Unemployment insurance follows a job held at least 26 weeks (in months).
UI_QUALIFYING_MONTHS = 26 * 7 / (365.25 / 12)


def assistance_resumes(job_start: np.ndarray, job_end: np.ndarray, insurance_months: float) -> np.ndarray:
    """When assistance resumes after a job: at its end, or after unemployment
    insurance when the job lasted 26 weeks."""
    with np.errstate(invalid="ignore"):  # no job: inf - inf
        return job_end + np.where(job_end - job_start >= UI_QUALIFYING_MONTHS, insurance_months, 0.0)


def part_time_ends_benefit(scenario: Scenario) -> bool:
    """Whether a part-time job ends the benefit. Only a budget's part-time
    rule can say: when the earnings are at least the benefit, or none of the
    benefit is kept; otherwise (and without a budget) part-time workers stay
    on a reduced benefit."""
    if scenario.budget is None:
        return False
    rule = scenario.budget.part_time_work
    if rule.earnings_per_month is None:
        return rule.kept_share == 0
    return rule.earnings_per_month >= scenario.budget.benefit.mean_per_month


def stage_outcome_names(scenario: Scenario) -> tuple[str, ...]:
    """Per stage: people who entered it by the horizon, and placements routed
    from it (columns of replications.csv after OUTCOMES)."""
    return columns.stage_columns(scenario)


def state_names(scenario: Scenario) -> tuple[str, ...]:
    """The states counted each month, in display order."""
    return (
        "waiting_list",
        *scenario.stages,
        "between_stages",
        "employed_full_time",
        "employed_part_time",
        "in_work_found_on_own",
        "did_not_start",
        "back_on_assistance",
        "exited",
    )


def months(scenario: Scenario) -> np.ndarray:
    """The month boundaries at which states are counted: 0, 1, ..., horizon."""
    return np.arange(int(np.floor(scenario.horizon_months)) + 1, dtype=float)


def replication_outcomes(scenario: Scenario, records: ReplicationRecords) -> dict[str, float]:
    """The outcomes of one replication, by name (see ``outcome_rows``)."""
    names = OUTCOMES + stage_outcome_names(scenario)
    return dict(zip(names, outcome_rows(scenario, stack_records([records]))[0].tolist()))


def monthly_counts(scenario: Scenario, records: ReplicationRecords) -> np.ndarray:
    """People in each state at each month boundary, for one replication (see
    ``monthly_count_rows``)."""
    return monthly_count_rows(scenario, stack_records([records]))[0]


class _Part:
    """One part of a chunk's records (clients, visits or waits between stages),
    counted per replication."""

    def __init__(self, chunk: ChunkRecords, part: str):
        self.columns = getattr(chunk, part)
        self.replication = chunk.replication_of(part)
        self.replications = chunk.replications

    def __getitem__(self, column: str) -> np.ndarray:
        return self.columns[column]

    def count(self, where: np.ndarray, kinds: int = 1, kind: np.ndarray | int = 0) -> np.ndarray:
        """[replication, kind]: rows where ``where`` holds."""
        key = self.replication[where] * kinds + (kind[where] if isinstance(kind, np.ndarray) else kind)
        return np.bincount(key, minlength=self.replications * kinds).reshape(self.replications, kinds)

    def total(self, values: np.ndarray, where: np.ndarray) -> np.ndarray:
        """Per replication: the sum of ``values`` where ``where`` holds."""
        return np.bincount(self.replication[where], weights=values[where], minlength=self.replications)


def outcome_rows(scenario: Scenario, chunk: ChunkRecords) -> np.ndarray:
    """[replication, outcome]: the columns of replications.csv (OUTCOMES, then
    ``stage_outcome_names``) for each replication of ``chunk``, counted for
    all of them at once (for one replication, the fixed cost of each numpy
    call would outweigh the counting)."""
    clients, visits = _Part(chunk, "clients"), _Part(chunk, "visits")
    everyone = np.ones(len(clients.replication), dtype=bool)
    final = clients["final_state"]
    start_time, referral_time = clients["start_time"], clients["referral_time"]
    job_start, job_end = clients["job_start"], clients["job_end"]
    horizon = scenario.horizon_months
    started = np.isfinite(start_time)
    placed = np.isfinite(job_start)
    time_in_work = np.minimum(job_end, horizon) - job_start
    in_state = clients.count(everyone, len(FINAL_STATES), final)
    counts = {name: in_state[:, code] for name, code in _CODE.items()}
    started_count = clients.count(started)[:, 0]
    placed_count = clients.count(placed)[:, 0]
    with np.errstate(invalid="ignore"):  # nobody started: no mean wait
        mean_wait = clients.total(start_time - referral_time, started) / started_count
    # Jobs of one's own are recorded past the horizon too, for the money.
    found_on_own = clients.count(clients["own_job_start"] <= horizon)[:, 0]
    found_without = clients.count(clients["counterfactual_job_start"] <= horizon)[:, 0]
    # Leaving the scope is not the programme's doing: after it, people count
    # as they would have without the programme (as in the money).
    left_scope = (final == _CODE["exited"]) & (clients["exit_time"] <= clients["counterfactual_job_start"])
    found_after_leaving = clients.count(left_scope & (clients["counterfactual_job_start"] <= horizon))[:, 0]
    stages = len(scenario.stages)
    nan = np.full(len(placed_count), np.nan)
    columns = {
        "referred": clients.count(everyone)[:, 0],
        "not_accepted": counts["not_accepted"],
        "turned_away": counts["turned_away"],
        "reneged": counts["reneged"],
        "started": started_count,
        "mean_wait_months": mean_wait,
        "dropped_out": counts["dropped_out"],
        "completed": counts["completed_no_job"] + counts["exited"] + counts["employed"] + counts["job_lost"],
        "completed_no_job": counts["completed_no_job"],
        "exited": counts["exited"],
        "left_for_own_job": counts["found_work_on_own"],
        "placed": placed_count,
        "placed_part_time": clients.count(clients["part_time"])[:, 0],
        "found_work_on_own": found_on_own,
        # Without a counterfactual the world without the programme is unknown, not empty.
        "found_work_without_programme": found_without if scenario.counterfactual is not None else nan,
        "net_into_work": (placed_count + found_on_own + found_after_leaving - found_without
                          if scenario.counterfactual is not None else nan),
        "sustained": clients.count(placed & (time_in_work >= scenario.employment.sustained_months))[:, 0],
        "back_on_benefit": counts["job_lost"],
        "employed_at_horizon": counts["employed"],
        "off_assistance": clients.count(
            placed & (~clients["part_time"].astype(bool) | part_time_ends_benefit(scenario))
            & (assistance_resumes(job_start, job_end, scenario.employment.unemployment_insurance_months) > horizon)
        )[:, 0],
        "waiting_at_horizon": counts["waiting"],
        "in_programme_at_horizon": counts["in_programme"],
        "slot_utilisation": _slot_utilisation(scenario, visits),
    }
    entry_stage = tuple(scenario.stages).index(scenario.first_stage)
    moved_on = ~(visits["first"] & (visits["stage"] == entry_stage))
    for stage in waited_for_between_stages(scenario):
        into = moved_on & (visits["stage"] == tuple(scenario.stages).index(stage))
        with np.errstate(invalid="ignore"):  # nobody moved on to it: no mean
            columns[f"mean_wait_before_{stage}"] = visits.total(visits["wait_before"], into) / visits.count(into)[:, 0]
    entered = visits.count(visits["first"], stages, visits["stage"])  # first visits: distinct people
    placed_from = clients.count(placed, stages, clients["placed_from"])
    for index, stage in enumerate(scenario.stages):
        columns[f"entered_{stage}"] = entered[:, index]
        columns[f"placed_from_{stage}"] = placed_from[:, index]
    return np.column_stack([columns[name] for name in OUTCOMES + stage_outcome_names(scenario)]).astype(float)


def _slot_utilisation(scenario: Scenario, visits: _Part) -> np.ndarray:
    """Per replication: place-months used over place-months offered, summed
    over stages with a limited number of places. A stage offers its places
    from the start of intake until the last person leaves it (or the horizon),
    and those its schedule closed while people are still in them."""
    used = np.zeros(visits.replications)
    offered = np.zeros(visits.replications)
    visit_stage, start, end = visits["stage"], visits["start"], np.minimum(visits["end"], scenario.horizon_months)
    for index, stage in enumerate(scenario.stages.values()):
        if stage.slots is None:
            continue
        in_stage = visit_stage == index
        used += visits.total(end - start, in_stage)
        # Visits come replication by replication, so each replication's last
        # end is the maximum over its own run of rows.
        rows = visits.count(in_stage)[:, 0]
        some = rows > 0
        first_row = np.cumsum(rows) - rows
        last_end = np.zeros(visits.replications)
        last_end[some] = np.maximum.reduceat(end[in_stage], first_row[some])
        offered += np.where(some, _place_months(stage, scenario.referrals.from_month, last_end), 0.0)
        if shrinks(stage):
            stays = np.split(np.flatnonzero(in_stage), np.cumsum(rows)[:-1])
            offered += [months_kept_open(stage, start[stay], end[stay]) for stay in stays]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(offered > 0, used / np.where(offered > 0, offered, 1.0), np.nan)


def _place_months(stage: Stage, start: float, ends: np.ndarray) -> np.ndarray:
    """Places ``stage`` offers from ``start`` to each of ``ends`` (place-months), as its schedule says."""
    schedule = stage.place_schedule
    untils = [month for month, _ in schedule[1:]] + [np.inf]
    return sum(places * np.clip(np.minimum(ends, until) - max(start, since), 0.0, None)
               for (since, places), until in zip(schedule, untils))


def monthly_count_rows(scenario: Scenario, chunk: ChunkRecords) -> np.ndarray:
    """[replication, month, state]: people in each state (as ``state_names``)
    at each month boundary (as ``months``). A person counts in a state at month
    m when they entered it at or before m and left it after m."""
    grid = months(scenario)
    clients, visits, between = (_Part(chunk, part) for part in ("clients", "visits", "between_stages"))
    final, exit_time = clients["final_state"], clients["exit_time"]
    job_start, job_end = clients["job_start"], clients["job_end"]
    placed = np.isfinite(job_start)
    part_time = clients["part_time"]
    own_job_start, own_job_end = clients["own_job_start"], clients["own_job_end"]
    never = np.full(len(final), np.inf)
    # On ordinary assistance without having started (refused, list full, gave
    # up waiting) or back on it after a stage without a job, each until any
    # job found on one's own; and back on it after losing a job (either kind).
    never_started = np.isin(final, [_CODE[s] for s in NEVER_STARTED])
    after_programme = np.isin(final, [_CODE[s] for s in BACK_ON_ASSISTANCE]) & ~never_started
    own = np.isfinite(own_job_start)
    visit_stage, visit_start, visit_end = visits["stage"], visits["start"], visits["end"]
    # (replication of each row, entered, left) per state, in state_names order.
    spells = [(clients.replication, clients["referral_time"], clients["waiting_list_until"])]
    for stage in range(len(scenario.stages)):
        in_stage = visit_stage == stage
        spells.append((visits.replication[in_stage], visit_start[in_stage], visit_end[in_stage]))
    spells.append((between.replication, between["start"], between["end"]))
    full_time_job, part_time_job = placed & ~part_time, placed & part_time
    spells += [
        (clients.replication[full_time_job], job_start[full_time_job], job_end[full_time_job]),
        (clients.replication[part_time_job], job_start[part_time_job], job_end[part_time_job]),
        (clients.replication[own], own_job_start[own], own_job_end[own]),
        (clients.replication, np.where(never_started, exit_time, np.inf), np.where(never_started, own_job_start,
                                                                                    np.inf)),
        (np.tile(clients.replication, 3),
         np.concatenate([np.where(after_programme, exit_time, np.inf), job_end, own_job_end]),
         np.concatenate([np.where(after_programme, own_job_start, np.inf), never, never])),
        (clients.replication, np.where(final == _CODE["exited"], exit_time, np.inf), never),
    ]
    state = np.repeat(np.arange(len(spells)), [len(replication) for replication, _, _ in spells])
    replication = np.concatenate([replication for replication, _, _ in spells])
    shape = (chunk.replications, len(spells), len(grid))
    entered = _reached_by_month(np.concatenate([starts for _, starts, _ in spells]), replication, state, shape)
    left = _reached_by_month(np.concatenate([ends for _, _, ends in spells]), replication, state, shape)
    return (entered - left).astype(np.int32)


def _reached_by_month(times: np.ndarray, replication: np.ndarray, state: np.ndarray,
                      shape: tuple[int, int, int]) -> np.ndarray:
    """[replication, month, state]: how many of ``times`` of each replication
    and state are at or before each month boundary. A time is at or before
    boundary m exactly when its ceiling is, so one histogram of ceilings and a
    running sum do it for all at once (times past the last boundary, inf
    included, fall outside)."""
    replications, states, months = shape
    first_boundary = np.minimum(np.ceil(times), months).astype(np.int64)
    key = (replication * states + state) * (months + 1) + first_boundary
    histogram = np.bincount(key, minlength=replications * states * (months + 1))
    return histogram.reshape(replications, states, months + 1)[:, :, :months].cumsum(axis=2).transpose(0, 2, 1)


#: How a stay ended, in visits.parquet.
VISIT_ENDINGS = ("completed", "dropped_out", "found_work_on_own", "still_in")


def visit_columns(records: ReplicationRecords | ChunkRecords, first_replication: int) -> dict[str, np.ndarray]:
    """One entry per stay in a stage, in order per person: the stage (a
    code), which visit to it (1 for the first), the months waited for the
    place, start, end (NaN: still in it at the horizon) and how it ended
    (an index of VISIT_ENDINGS). The records may be a chunk's, whose first
    replication is number ``first_replication``."""
    visits = records.visits
    still_in = np.isinf(visits["end"])
    ended = np.select([still_in, visits["dropped"], visits["found_work"]], [3, 1, 2], default=0)
    return {
        "replication": first_replication + records.replication_of("visits"),
        "client": visits["client"],
        "stage": visits["stage"],
        "visit": visits["number"] + 1,
        "wait_before": visits["wait_before"],
        "start": visits["start"],
        "end": np.where(still_in, np.nan, visits["end"]),
        "ended": ended,
    }


def client_columns(records: ReplicationRecords | ChunkRecords, first_replication: int) -> dict[str, np.ndarray]:
    """One entry per referred client: their path through the programme, as
    numpy columns (the parent process turns them into a table). The records
    may be a chunk's, whose first replication is number ``first_replication``.

    Codes stay codes here: ``segment`` indexes the scenario's segments,
    ``final_state`` indexes FINAL_STATES and ``dropped_out_of`` the stages
    (-1: none). Per stage: first start, last end, number of visits and the
    months spent in it up to the horizon.
    Times that never come are NaN (jobs' ends, own jobs and other outflow
    are kept past the horizon, for money counted beyond it).
    """
    clients, visits = records.clients, records.visits
    count = len(clients["client"])
    in_chunk = records.replication_of("clients")
    columns = {"replication": first_replication + in_chunk, **clients}
    # Client numbers are increasing within a replication, so a visit's row is
    # found by bisection on (replication, client).
    numbered = int(clients["client"].max()) + 1 if count else 1
    rows = np.searchsorted(in_chunk * numbered + clients["client"],
                           records.replication_of("visits") * numbered + visits["client"])
    dropped_out_of = np.full(count, -1)
    for stage, name in enumerate(records.stage_names):
        in_stage = visits["stage"] == stage
        first_start, last_end = np.full(count, np.nan), np.full(count, np.nan)
        np.fmin.at(first_start, rows[in_stage], visits["start"][in_stage])
        np.fmax.at(last_end, rows[in_stage], visits["end"][in_stage])
        stay = np.minimum(visits["end"][in_stage], records.horizon) - visits["start"][in_stage]
        columns[f"{name}_start"] = first_start
        columns[f"{name}_end"] = last_end
        columns[f"{name}_visits"] = np.bincount(rows[in_stage], minlength=count)
        # As floats even when nobody entered the stage: numpy then gives whole
        # zeros, and chunks of a run would disagree on the column's type.
        columns[f"{name}_months"] = np.bincount(rows[in_stage], weights=stay, minlength=count).astype(float)
        dropped_out_of[rows[in_stage & visits["dropped"]]] = stage
    columns["dropped_out_of"] = dropped_out_of
    return {name: np.where(np.isinf(values), np.nan, values) if values.dtype.kind == "f" else values
            for name, values in columns.items()}


def outcome_table(scenario: Scenario, outcomes: np.ndarray, first_replication: int) -> pd.DataFrame:
    """Outcome rows as replications.csv has them: numbered, counts of people as integers."""
    names = columns.outcome_names(scenario)
    # The programme's people are whole numbers; the caseload's columns stay floats, as written since they came.
    counted_in_people = {name for name in OUTCOMES + stage_outcome_names(scenario) if columns.column(name).whole_people}
    table = {"replication": np.arange(first_replication, first_replication + len(outcomes))}
    for index, column in enumerate(names):  # the rest are months, shares, euros
        values = outcomes[:, index]
        # Not estimated (no counterfactual): left empty, so not an integer column.
        whole = column in counted_in_people and not np.isnan(values).any()
        table[column] = values.astype(np.int64) if whole else values
    return pd.DataFrame(table)
