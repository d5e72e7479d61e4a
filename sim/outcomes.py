"""What one replication amounts to: outcome counts and people per state per month.

Computed from the client records afterwards, so the model stays about who
goes where and this module about what is counted. Definitions are in
``docs/model.md``; they are repeated here next to the code that implements them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.model import FINAL_STATES, ReplicationRecords
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
    "placed",                   # found a job by the horizon
    "placed_part_time",         # of whom part-time
    "sustained",                # in work for at least employment.sustained_months
    "back_on_benefit",          # placed, then lost the job before the horizon
    "employed_at_horizon",      # placed and still in work at the horizon
    "waiting_at_horizon",       # still on the waiting list at the horizon
    "in_programme_at_horizon",  # in a stage (or between stages) at the horizon
    "slot_utilisation",         # place-months used / offered, limited stages only
)


def state_names(scenario: Scenario) -> tuple[str, ...]:
    """The states counted each month, in display order."""
    return (
        "waiting_list",
        *scenario.stages,
        "between_stages",
        "employed_full_time",
        "employed_part_time",
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
    return {
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
        "placed": int(placed.sum()),
        "placed_part_time": int(clients["part_time"].sum()),
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
    back_since = np.where(
        final == _CODE["job_lost"],
        clients["job_end"],
        np.where(np.isin(final, [_CODE[s] for s in _BACK_ON_ASSISTANCE]), exit_time, np.inf),
    )
    exited_since = np.where(final == _CODE["exited"], exit_time, np.inf)
    spells = [(clients["referral_time"], clients["waiting_list_until"])]
    for stage in range(len(records.stage_names)):
        in_stage = visits["stage"] == stage
        spells.append((visits["start"][in_stage], visits["end"][in_stage]))
    spells += [
        (between["start"], between["end"]),
        (clients["job_start"][placed & ~part_time], clients["job_end"][placed & ~part_time]),
        (clients["job_start"][placed & part_time], clients["job_end"][placed & part_time]),
        (back_since, np.full(len(final), np.inf)),
        (exited_since, np.full(len(final), np.inf)),
    ]
    counts = np.empty((len(grid), len(spells)), dtype=np.int32)
    for column, (starts, ends) in enumerate(spells):
        counts[:, column] = np.searchsorted(np.sort(starts), grid, side="right") - np.searchsorted(
            np.sort(ends), grid, side="right"
        )
    return counts


_BACK_ON_ASSISTANCE = ("not_accepted", "turned_away", "reneged", "dropped_out", "completed_no_job")


def client_table(scenario: Scenario, records: ReplicationRecords, replication: int) -> pd.DataFrame:
    """One row per referred client: their path through the programme.

    Stage columns give the first start and last end in each stage and the
    number of visits; ``dropped_out_of`` names the stage left early, if any.
    """
    clients, visits = records.clients, records.visits
    segment_names = np.array(list(scenario.segments))
    table = pd.DataFrame(
        {
            "replication": replication,
            "client": clients["client"],
            "segment": pd.Categorical(segment_names[clients["segment"]], categories=list(scenario.segments)),
            "referral_time": clients["referral_time"],
            "accepted": clients["accepted"],
            "waiting_list_until": clients["waiting_list_until"],
            "start_time": clients["start_time"],
            "exit_time": clients["exit_time"],
            "final_state": pd.Categorical.from_codes(clients["final_state"], categories=list(FINAL_STATES)),
            "job_start": clients["job_start"],
            "job_end": clients["job_end"],
            "part_time": clients["part_time"],
        }
    )
    row_of = pd.Series(np.arange(len(table)), index=clients["client"])
    dropped_stage = np.full(len(table), None, dtype=object)
    for stage, name in enumerate(records.stage_names):
        in_stage = visits["stage"] == stage
        rows = row_of[visits["client"][in_stage]].to_numpy()
        first_start = np.full(len(table), np.nan)
        last_end = np.full(len(table), np.nan)
        count = np.zeros(len(table), dtype=np.int64)
        np.fmin.at(first_start, rows, visits["start"][in_stage])
        np.fmax.at(last_end, rows, visits["end"][in_stage])
        np.add.at(count, rows, 1)
        table[f"{name}_start"] = first_start
        table[f"{name}_end"] = last_end
        table[f"{name}_visits"] = count
        dropped_stage[rows[visits["dropped"][in_stage]]] = name
    table["dropped_out_of"] = dropped_stage
    return table.replace([np.inf], np.nan)
