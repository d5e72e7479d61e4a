"""What one replication amounts to: outcome counts and people per state per month.

Computed from the client records afterwards, so the model stays about who
goes where and this module about what is counted. Definitions are in
``docs/model.md``; they are repeated here next to the code that implements them.
"""

from __future__ import annotations

import numpy as np

from sim.model import BACK_ON_ASSISTANCE, FINAL_STATES, ReplicationRecords
from sim.scenario import Scenario

_CODE = {name: code for code, name in enumerate(FINAL_STATES)}

#: Columns of replications.csv, in order.
OUTCOMES = (
    "referred",                 # referred and assessed at intake
    "not_accepted",             # refused at intake
    "turned_away",              # accepted, but the waiting list was full
    "reneged",                  # gave up waiting
    "started",                  # took up a place in the first stage
    "mean_wait_months",         # from referral to start, among those who started
    "dropped_out",              # left a stage early
    "completed",                # went through the programme to its end
    "completed_no_job",         # completed, back to ordinary assistance
    "exited",                   # completed, left the scope (moved, other benefit)
    "left_for_own_job",         # left while waiting or in a stage: found work on their own
    "placed",                   # found a job by the horizon
    "placed_part_time",         # of whom part-time
    "found_work_on_own",        # found work without the programme's help (while waiting, in a stage or after)
    "found_work_without_programme",  # the same people without the programme: found work on their own
    "net_into_work",            # placed + found_work_on_own - found_work_without_programme
    "sustained",                # in work for at least employment.sustained_months
    "back_on_benefit",          # placed, then lost the job before the horizon
    "employed_at_horizon",      # placed and still in work at the horizon
    "waiting_at_horizon",       # still on the waiting list at the horizon
    "in_programme_at_horizon",  # in a stage (or between stages) at the horizon
    "slot_utilisation",         # place-months used / offered, limited stages only
)


def stage_outcome_names(scenario: Scenario) -> tuple[str, ...]:
    """Per stage: people who entered it by the horizon, and placements routed
    from it (columns of replications.csv after OUTCOMES)."""
    return tuple(name for stage in scenario.stages for name in (f"entered_{stage}", f"placed_from_{stage}"))


def state_names(scenario: Scenario) -> tuple[str, ...]:
    """The states counted each month, in display order."""
    return (
        "waiting_list",
        *scenario.stages,
        "between_stages",
        "employed_full_time",
        "employed_part_time",
        "in_work_found_on_own",
        "back_on_assistance",
        "exited",
    )


def months(scenario: Scenario) -> np.ndarray:
    """The month boundaries at which states are counted: 0, 1, ..., horizon."""
    return np.arange(int(np.floor(scenario.horizon_months)) + 1, dtype=float)


def replication_outcomes(scenario: Scenario, records: ReplicationRecords) -> dict[str, float]:
    clients, visits = records.clients, records.visits
    final = clients["final_state"]
    started = np.isfinite(clients["start_time"])
    placed = np.isfinite(clients["job_start"])
    wait = clients["start_time"][started] - clients["referral_time"][started]
    sustained_months = scenario.employment.sustained_months
    time_in_work = np.minimum(clients["job_end"], records.horizon) - clients["job_start"]
    counts = {name: int(np.count_nonzero(final == code)) for name, code in _CODE.items()}
    found_on_own = int(np.isfinite(clients["own_job_start"]).sum())
    found_without = int(np.isfinite(clients["counterfactual_job_start"]).sum())
    # Distinct (stage, client) pairs, as one integer each: np.unique on rows
    # is several times slower.
    width = int(visits["client"].max()) + 1 if len(visits["client"]) else 1
    entered = np.unique(visits["stage"] * width + visits["client"]) // width
    stages = len(records.stage_names)
    entered_counts = np.bincount(entered, minlength=stages)
    placed_counts = np.bincount(clients["placed_from"][placed], minlength=stages)
    per_stage = {}
    for index, stage in enumerate(records.stage_names):
        per_stage[f"entered_{stage}"] = int(entered_counts[index])
        per_stage[f"placed_from_{stage}"] = int(placed_counts[index])
    return per_stage | {
        "referred": len(final),
        "not_accepted": counts["not_accepted"],
        "turned_away": counts["turned_away"],
        "reneged": counts["reneged"],
        "started": int(started.sum()),
        "mean_wait_months": float(wait.mean()) if len(wait) else float("nan"),
        "dropped_out": counts["dropped_out"],
        "completed": counts["completed_no_job"] + counts["exited"] + counts["employed"] + counts["job_lost"],
        "completed_no_job": counts["completed_no_job"],
        "exited": counts["exited"],
        "left_for_own_job": counts["found_work_on_own"],
        "placed": int(placed.sum()),
        "placed_part_time": int(clients["part_time"].sum()),
        "found_work_on_own": found_on_own,
        "found_work_without_programme": found_without,
        "net_into_work": int(placed.sum()) + found_on_own - found_without,
        "sustained": int(np.count_nonzero(placed & (time_in_work >= sustained_months))),
        "back_on_benefit": counts["job_lost"],
        "employed_at_horizon": counts["employed"],
        "waiting_at_horizon": counts["waiting"],
        "in_programme_at_horizon": counts["in_programme"],
        "slot_utilisation": _slot_utilisation(scenario, records, visits),
    }


def _slot_utilisation(scenario: Scenario, records: ReplicationRecords, visits: dict) -> float:
    """Place-months used over place-months offered, summed over stages with a
    limited number of places. A stage offers its places from the start of
    intake until the last person leaves it (or the horizon)."""
    used = offered = 0.0
    for stage, slots in enumerate(records.stage_slots):
        in_stage = visits["stage"] == stage
        if slots is None or not in_stage.any():
            continue
        ends = np.minimum(visits["end"][in_stage], records.horizon)
        used += float(np.sum(ends - visits["start"][in_stage]))
        offered += slots * (float(ends.max()) - scenario.referrals.from_month)
    return used / offered if offered > 0 else float("nan")


def monthly_counts(scenario: Scenario, records: ReplicationRecords) -> np.ndarray:
    """People in each state (columns, as ``state_names``) at each month boundary
    (rows, as ``months``). A person counts in a state at month m when they
    entered it at or before m and left it after m."""
    grid = months(scenario)
    clients, visits, between = records.clients, records.visits, records.between_stages
    final, exit_time = clients["final_state"], clients["exit_time"]
    placed = np.isfinite(clients["job_start"])
    part_time = clients["part_time"]
    own_job_start, own_job_end = clients["own_job_start"], clients["own_job_end"]
    # Back on ordinary assistance: after leaving without a job until any job
    # found on one's own, and after losing a job (either kind) for good.
    after_programme = np.isin(final, [_CODE[s] for s in BACK_ON_ASSISTANCE])
    back_from = np.concatenate([np.where(after_programme, exit_time, np.inf), clients["job_end"], own_job_end])
    back_until = np.concatenate([np.where(after_programme, own_job_start, np.inf), np.full(2 * len(final), np.inf)])
    own = np.isfinite(own_job_start)
    exited_since = np.where(final == _CODE["exited"], exit_time, np.inf)
    spells = [(clients["referral_time"], clients["waiting_list_until"])]
    for stage in range(len(records.stage_names)):
        in_stage = visits["stage"] == stage
        spells.append((visits["start"][in_stage], visits["end"][in_stage]))
    spells += [
        (between["start"], between["end"]),
        (clients["job_start"][placed & ~part_time], clients["job_end"][placed & ~part_time]),
        (clients["job_start"][placed & part_time], clients["job_end"][placed & part_time]),
        (own_job_start[own], own_job_end[own]),
        (back_from, back_until),
        (exited_since, np.full(len(final), np.inf)),
    ]
    state = np.repeat(np.arange(len(spells)), [len(starts) for starts, _ in spells])
    entered = _reached_by_month(np.concatenate([starts for starts, _ in spells]), state, len(spells), len(grid))
    left = _reached_by_month(np.concatenate([ends for _, ends in spells]), state, len(spells), len(grid))
    return (entered - left).astype(np.int32)


def _reached_by_month(times: np.ndarray, state: np.ndarray, states: int, months: int) -> np.ndarray:
    """[month, state]: how many of ``times`` of each state are at or before
    each month boundary. A time is at or before boundary m exactly when its
    ceiling is, so one histogram of ceilings and a running sum do it for all
    states at once (times past the last boundary, inf included, fall outside)."""
    first_boundary = np.minimum(np.ceil(times), months).astype(np.int64)
    histogram = np.bincount(state * (months + 1) + first_boundary, minlength=states * (months + 1))
    return histogram.reshape(states, months + 1)[:, :months].cumsum(axis=1).T



def client_columns(records: ReplicationRecords, replication: int) -> dict[str, np.ndarray]:
    """One entry per referred client: their path through the programme, as
    numpy columns (the parent process turns them into a table).

    Codes stay codes here: ``segment`` indexes the scenario's segments,
    ``final_state`` indexes FINAL_STATES and ``dropped_out_of`` the stages
    (-1: none). Per stage: first start, last end, number of visits and the
    months spent in it up to the horizon.
    Times not reached by the horizon are NaN.
    """
    clients, visits = records.clients, records.visits
    count = len(clients["client"])
    columns = {"replication": np.full(count, replication), **clients}
    # Client numbers are increasing, so a visit's row is found by bisection.
    rows = np.searchsorted(clients["client"], visits["client"])
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
        columns[f"{name}_months"] = np.bincount(rows[in_stage], weights=stay, minlength=count)
        dropped_out_of[rows[in_stage & visits["dropped"]]] = stage
    columns["dropped_out_of"] = dropped_out_of
    return {name: np.where(np.isinf(values), np.nan, values) if values.dtype.kind == "f" else values
            for name, values in columns.items()}
