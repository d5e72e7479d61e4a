"""A state file from a simulated run: where each person referred by a month
stood then, as a municipality's client records would say it. Tests and
users try forecasts and fits on it where the truth is known: the rest of
the same run.

Optionally with a few of the mistakes real records have (a missing end
date, a stage spelled another way, a month typed ten times too large), for
the checks of ``sim.state.records`` to find.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.state.records import COLUMN_NAMES, ENDED


def state_of_run(clients: pd.DataFrame, visits: pd.DataFrame, as_of: float, stages: list[str],
                 replication: int = 0) -> pd.DataFrame:
    """The state file's rows for ``replication`` of a run kept with its
    clients (``result.clients.table()``, ``result.visits.table()``), as of
    month ``as_of``; ``stages``: the scenario's stages in order."""
    people = clients[(clients["replication"] == replication) & (clients["referral_time"] <= as_of)]
    stays = visits[visits["replication"] == replication]
    stays_of = {client: group.sort_values("start") for client, group in stays.groupby("client", sort=False)}
    rows = [_row(person, stays_of.get(person.client), as_of, stages) for person in people.itertuples(index=False)]
    return pd.DataFrame(rows, columns=list(COLUMN_NAMES)).astype({"visit": "Int64", "part_time": "boolean"})


def _row(person, stays: pd.DataFrame | None, as_of: float, stages: list[str]) -> dict:
    row = dict.fromkeys(COLUMN_NAMES)
    row.update(person=f"P{person.client + 1:05d}", segment=str(person.segment), referred_month=person.referral_time)
    if person.start_time <= as_of:
        row["started_month"] = person.start_time
    if not person.accepted:
        return row | {"status": "not_accepted", "ended_month": person.referral_time}
    if person.job_start <= as_of:  # placed by then: in work, or the job lost since
        row.update(placed_month=person.job_start, part_time=bool(person.part_time), stage=str(person.placed_from))
        if person.job_end <= as_of:
            return row | {"status": "job_lost", "ended_month": person.job_end}
        return row | {"status": "employed"}
    if person.exit_time <= as_of:
        ended = str(person.final_state)
        assert ended in ENDED, ended  # a path that ended by then, other than by a job
        last = stays.iloc[-1] if stays is not None and not stays.empty else None
        if last is not None and last["start"] <= person.exit_time <= last["end"]:  # ended in (or at the end of) a stay
            row["stage"] = str(last["stage"])
        return row | {"status": ended, "ended_month": person.exit_time}
    so_far = stays[stays["start"] <= as_of] if stays is not None else None
    if so_far is None or so_far.empty:  # not started yet: on the waiting list since referral
        return row | {"status": "waiting", "since_month": person.referral_time}
    current = so_far.iloc[-1]
    if not current["end"] <= as_of:  # (a stay still going at the end of the run has no end: NaN)
        return row | {"status": "in_stage", "stage": str(current["stage"]), "since_month": current["start"],
                      "visit": int(current["visit"])}
    # Done with a stage, waiting for a place in another: the stay they start next says which (one
    # never started before the horizon: the stage after it in the scenario's order).
    later = stays[stays["start"] > as_of]
    waited_for = (str(later.iloc[0]["stage"]) if not later.empty
                  else stages[min(stages.index(str(current["stage"])) + 1, len(stages) - 1)])
    return row | {"status": "between_stages", "stage": waited_for, "since_month": current["end"]}


def stays_of_run(visits: pd.DataFrame, as_of: float, replication: int = 0) -> pd.DataFrame:
    """The stays file's rows for ``replication`` of a run kept with its
    clients: each stay begun by month ``as_of``, its end and how it ended
    only if that was by then."""
    stays = visits[(visits["replication"] == replication) & (visits["start"] <= as_of)].sort_values(
        ["client", "start"])
    over = (stays["end"] <= as_of).to_numpy()  # (a stay going on at the run's end has no end: NaN)
    return pd.DataFrame({
        "person": [f"P{client + 1:05d}" for client in stays["client"]],
        "stage": stays["stage"].astype(str).to_numpy(),
        "visit": stays["visit"].to_numpy(),
        "start_month": stays["start"].to_numpy(),
        "end_month": np.where(over, stays["end"].to_numpy(), np.nan),
        "ended": np.where(over, stays["ended"].astype(str).to_numpy(), None),
    })


#: The mistakes ``with_mistakes`` makes, one row each, in this order.
MISTAKES = ("missing end month", "stage spelled otherwise", "month typed ten times too large")


def with_mistakes(state: pd.DataFrame, seed: int = 0) -> tuple[pd.DataFrame, dict[str, int]]:
    """The rows with a few mistakes real records have, and the row (from 0)
    each is in: an ended person without their end month, a stage written as
    people write it ("Job search" for job_search), a month typed ten times
    too large."""
    messy = state.astype(object).copy()
    random = np.random.default_rng(seed)
    where: dict[str, int] = {}
    ended = [index for index in messy.index if messy.at[index, "status"] in ENDED]
    staged = [index for index in messy.index if pd.notna(messy.at[index, "stage"])]
    if ended:
        where["missing end month"] = int(random.choice(ended))
        messy.at[where["missing end month"], "ended_month"] = None
    if staged:
        row = int(random.choice(staged))
        where["stage spelled otherwise"] = row
        messy.at[row, "stage"] = str(messy.at[row, "stage"]).replace("_", " ").capitalize()
    others = [index for index in messy.index if index not in where.values()]
    if others:
        row = int(random.choice(others))
        where["month typed ten times too large"] = row
        messy.at[row, "referred_month"] = 10 * float(messy.at[row, "referred_month"]) + 100
    return messy, where
