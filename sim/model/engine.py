"""Replications of a training-to-work programme, simulated with SimPy.

The path of a person: referred -> accepted at intake (or not) -> waiting list
(turned away when full, may give up) -> one or more stages, each with a
number of places, a duration and a chance of dropping out -> routed to the
next stage, a job, back to ordinary assistance, or out of scope. Throughout,
people may find work on their own (the counterfactual section), which takes
them off the list or out of their place. What happens in a job (part-time or
not, how long it lasts) does not compete for anything, so it is worked out
after the simulation from each person's own draws, as is the same person's
course without the programme.

Everything random is drawn up front, for a chunk of replications at once
(``sim.model.draws``); each replication then runs on its own, and what happened is
turned into records for the whole chunk (``simulate_chunk``). The event
loop is SimPy's, but only moments when people compete for something are
events: a place coming free while someone waits for it, and someone reaching
a stage with limited places. Between them, referrals and the paths of people
who compete for nothing are worked out directly, in time order (see "events"
below); that keeps the cost per person low without hiding the flow.
"""

from __future__ import annotations

import gc
import heapq
import math
from collections import deque
from contextlib import contextmanager

import numpy as np
import simpy

from sim.model.draws import BENEFIT, EXIT, JOB, ChunkDraws, StagePlan
from sim.model.records import ChunkRecords, ReplicationRecords
from sim.model.states import BACK_ON_ASSISTANCE, FINAL_STATES
from sim.scenario.schema import Scenario

_CODE = {name: code for code, name in enumerate(FINAL_STATES)}
_PLACED = -1  # interim mark: has a job; employed or job_lost is decided afterwards
_STILL_IN = -2
_TERMINAL_OUTCOME = {JOB: _PLACED, BENEFIT: _CODE["completed_no_job"], EXIT: _CODE["exited"]}
# By outcome code, the interim marks (negative) included.
_IS_BACK_ON_ASSISTANCE = np.zeros(len(FINAL_STATES) + 2, dtype=bool)
_IS_BACK_ON_ASSISTANCE[[_CODE[name] for name in BACK_ON_ASSISTANCE]] = True

# How a stay in a stage ends.
_COMPLETED, _DROPPED, _FOUND_WORK = 0, 1, 2
# Why someone leaves a wait before getting a place.
_PATIENCE, _OWN_JOB = 0, 1


def simulate(scenario: Scenario, seed: int, replication: int) -> ReplicationRecords:
    """Run replication number ``replication`` of ``scenario`` with root ``seed``."""
    return simulate_chunk(scenario, seed, replication, replication + 1).replication(0)


def simulate_chunk(scenario: Scenario, seed: int, first: int, stop: int) -> ChunkRecords:
    """Run replications ``first`` to ``stop - 1``. Each has its own random
    streams and its own run, so its records are the same in any chunk; the
    numpy work on either side of the runs (drawing, and turning what happened
    into records) is done for the whole chunk at once."""
    with _cycle_collector_paused():
        draws = ChunkDraws(scenario, seed, first, stop)
        runs = [_ProgrammeRun(scenario, draws, position) for position in range(stop - first)]
        for position in range(len(runs)):  # no loop variable: it would keep the last run alive
            runs[position].run()
        records = _chunk_records(scenario, draws, runs)
        del runs  # freed before the collector is back on, so it has nothing to walk
    return records


@contextmanager
def _cycle_collector_paused():
    """The runs make many small objects that live until the chunk is done;
    Python's cycle collector would walk them again and again (a fifth of the
    time). They hold no cycles, so they are freed as soon as they are let go
    (SimPy's environments do hold a few, collected once it is back on)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class _ProgrammeRun:
    """One replication: who gets a place when, and how each stay ends."""

    def __init__(self, scenario: Scenario, draws: ChunkDraws, position: int):
        self.draws = draws
        self.position = position
        self.env = simpy.Environment()
        self.horizon = scenario.horizon_months
        self.stages = tuple(scenario.stages.values())
        self.slots = [stage.slots for stage in self.stages]  # read on every start; plain list is quickest
        self.entry_stage = tuple(scenario.stages).index(scenario.first_stage)

        # This replication's people, numbered from 0, in order of referral.
        first, stop = draws.offsets[position], draws.offsets[position + 1]
        n = stop - first
        self.referrals_due = draws.referral_times[first:stop]
        self.next_referral = 0  # the number of the first referral not yet taken
        self.accepted = draws.accepted[first:stop]
        self.patience = draws.patience[first:stop] if draws.patience is not None else None
        self.plans: list[list[StagePlan]] = [[] for _ in self.stages]  # by stage, then visit number

        self.outcome = [_STILL_IN] * n
        self.placed_from = [-1] * n           # the stage whose route led to the job
        self.start_time = [math.nan] * n      # first start in the entry stage
        self.exit_time = [math.inf] * n       # left the programme (job, assistance, exit)
        self.visits_made = [[0] * n for _ in self.stages]  # by stage, then client
        self.waiting_list: dict[int, float] = {}  # client -> month joined, in order of arrival
        # Heap of (month, client, why, wait): when someone waiting would leave
        # (patience or own job), settled lazily; wait is -1 for the waiting
        # list, else the number of the wait between stages it belongs to.
        self.leaving_waits: list[tuple[float, int, int, int]] = []
        self.waiting_between = [-1] * n  # number of the client's current wait between stages

        # The own chance of finding work (counterfactual section). Each person
        # finds work on their own once the hazard they have been exposed to
        # reaches a unit exponential draw: without the programme at the full
        # rate from referral; in it, less in stages with lock-in, and not at
        # all once placed. Same draw in both worlds: common random numbers.
        self.own_hazard = scenario.without_programme.own_job_hazard_per_month
        self.lock_in = [stage.lock_in for stage in self.stages]
        self.own_chance_left = draws.own_chances[first:stop]
        self.exposed_since = list(self.referrals_due)
        self.exposure_rate = [self.own_hazard] * n

        # Per limited stage, a heap of the moments its stays end: the places
        # taken are the stays not yet over. A place coming free matters only
        # to someone waiting for it, so there is an event for it only then.
        self.stay_ends: list[list[float]] = [[] for _ in self.stages]
        self.look_again_at = [math.inf] * len(self.stages)  # earliest event due for the stage
        self.queues: list[deque] = [deque() for _ in self.stages]
        self.started = 0
        self.cap = scenario.referrals.max_participants
        self.list_limit = scenario.referrals.waiting_list_limit
        self.referred = [False] * n

        self.visit_client: list[int] = []
        self.visit_stage: list[int] = []
        self.visit_start: list[float] = []
        self.visit_end: list[float] = []
        self.visit_ended_by: list[int] = []
        self.visit_number: list[int] = []     # 0 for a person's first visit to the stage
        self.between_client: list[int] = []
        self.between_stage: list[int] = []
        self.between_start: list[float] = []
        self.between_end: list[float] = []

    # --- events --------------------------------------------------------------
    #
    # Only two things happen at a moment of their own, as SimPy events: a place
    # comes free while someone waits for it, and someone who finished a stage
    # reaches a later stage with limited places. Everything else is worked out
    # at the moment it is decided: a referral is taken as soon as no event lies
    # before it, a person's path is followed for as long as it competes for
    # nothing, and people leaving a wait are settled when someone next looks.
    # Events pass their exact month along: the model's clock is ``time``, not
    # SimPy's, which may differ from it in the last digit.

    def run(self) -> None:
        self._take_referrals_before_next_event()
        self.env.run(until=self.horizon)
        # Events at the horizon itself do not happen; leaving a wait likewise.
        self._settle_waits(up_to=self.horizon, inclusive=False)

    def _take_referrals_before_next_event(self) -> None:
        """Take the referrals due before the next event, in order. Nothing but
        referrals changes the programme until then, so taking one before SimPy's
        clock reaches it decides the same as an event of its own would."""
        due, peek = self.referrals_due, self.env.peek
        while self.next_referral < len(due):
            time = due[self.next_referral]
            if time >= self.horizon or time > peek():
                return
            self.next_referral += 1
            self._refer(self.next_referral - 1, time)

    def _refer(self, client: int, time: float) -> None:
        if self.leaving_waits and self.leaving_waits[0][0] <= time:
            self._settle_waits(up_to=time)
        if self.cap is not None and self.started + len(self.waiting_list) >= self.cap:
            if self.started >= self.cap:
                self.next_referral = len(self.referrals_due)  # for good: nobody else is referred
            return  # the pilot is full: the municipality stops referring
        self.referred[client] = True
        if not self.accepted[client]:
            self._leave(client, _CODE["not_accepted"], time)
            return
        stage = self.entry_stage
        if self._has_free_place(stage, time):
            self._start(client, stage, time)
        elif self.list_limit is not None and len(self.waiting_list) >= self.list_limit:
            self._leave(client, _CODE["turned_away"], time)
        else:
            self.waiting_list[client] = time
            if self.patience is not None:
                heapq.heappush(self.leaving_waits, (time + self.patience[client], client, _PATIENCE, -1))
            self._watch_for_own_job(client, -1, time)
            self._look_again_when_a_place_frees(stage)

    def _on_place_free(self, event: simpy.Event) -> None:
        stage, time = event.value
        if time == self.look_again_at[stage]:
            self.look_again_at[stage] = math.inf
        self._settle_waits(up_to=time)
        self._fill_free_places(stage, time)
        if self._someone_waiting(stage):
            self._look_again_when_a_place_frees(stage)
        self._take_referrals_before_next_event()

    def _on_reaching_stage(self, event: simpy.Event) -> None:
        client, stage, time = event.value
        self._settle_waits(up_to=time)
        self._enter_later_stage(client, stage, time)
        self._take_referrals_before_next_event()

    def _at(self, time: float, callback, value: tuple) -> None:
        if time >= self.horizon:
            return  # would not happen; left pending, it would keep this run alive in a cycle
        # SimPy's clock may be a rounding step past ``time``; never schedule back.
        event = self.env.timeout(max(time - self.env.now, 0.0), value=value)
        event.callbacks.append(callback)

    def _look_again_when_a_place_frees(self, stage: int) -> None:
        """Someone waits for ``stage``: see that an event looks at it when the
        first stay in it ends."""
        ends = self.stay_ends[stage]
        if ends and ends[0] < self.look_again_at[stage]:
            self.look_again_at[stage] = ends[0]
            self._at(ends[0], self._on_place_free, (stage, ends[0]))

    def _watch_for_own_job(self, client: int, wait: int, time: float) -> None:
        if self.own_hazard > 0:
            moment = time + self.own_chance_left[client] / self.own_hazard
            heapq.heappush(self.leaving_waits, (moment, client, _OWN_JOB, wait))

    def _settle_waits(self, up_to: float, inclusive: bool = True) -> None:
        """Take out of every wait the people who left it by ``up_to`` (patience
        ran out, or they found work on their own), as of the moment they left.

        Only decisions look at the waits, so instead of an event per person
        (most of whom get a place first) the waits are brought up to date
        whenever a decision is about to look at them. Leaving at the very
        moment a place comes free counts as gone.
        """
        leaving = self.leaving_waits
        while leaving and (leaving[0][0] <= up_to if inclusive else leaving[0][0] < up_to):
            moment, client, why, wait = heapq.heappop(leaving)
            if wait < 0:
                if self.waiting_list.pop(client, None) is None:
                    continue  # got a place, or left the list already
            elif self.waiting_between[client] == wait:
                self.waiting_between[client] = -1  # the queue skips them from now on
                self.between_end[wait] = moment
            else:
                continue
            self.outcome[client] = _CODE["reneged"] if why == _PATIENCE else _CODE["found_work_on_own"]
            self.exit_time[client] = moment

    # --- moves ---------------------------------------------------------------

    def _places_taken(self, stage: int, time: float) -> int:
        """Stays in ``stage`` not over at ``time`` (a place that comes free at
        that very moment is free)."""
        ends = self.stay_ends[stage]
        while ends and ends[0] <= time:
            heapq.heappop(ends)
        return len(ends)

    def _has_free_place(self, stage: int, time: float) -> bool:
        slots = self.slots[stage]
        return slots is None or (self._places_taken(stage, time) < slots and not self._someone_waiting(stage))

    def _someone_waiting(self, stage: int) -> bool:
        return bool(self._first_in_queue(stage)) or (stage == self.entry_stage and bool(self.waiting_list))

    def _first_in_queue(self, stage: int) -> deque:
        """The queue between stages, without those at its head who already left it."""
        queue = self.queues[stage]
        while queue and self.waiting_between[queue[0][0]] != queue[0][1]:
            queue.popleft()
        return queue

    def _fill_free_places(self, stage: int, time: float) -> None:
        """Places came free: people moving on from an earlier stage go first,
        then the waiting list in order of arrival."""
        while self._places_taken(stage, time) < self.slots[stage]:
            queue = self._first_in_queue(stage)
            if queue:
                client, wait = queue.popleft()
                self.waiting_between[client] = -1
                self.between_end[wait] = time
            elif stage == self.entry_stage and self.waiting_list:
                client = next(iter(self.waiting_list))
                del self.waiting_list[client]
            else:
                return
            self._start(client, stage, time)

    def _enter_later_stage(self, client: int, stage: int, time: float) -> None:
        if self._has_free_place(stage, time):
            self._start(client, stage, time)
            return
        wait = len(self.between_client)
        self.queues[stage].append((client, wait))
        self.waiting_between[client] = wait
        self._watch_for_own_job(client, wait, time)
        self.between_client.append(client)
        self.between_stage.append(stage)
        self.between_start.append(time)
        self.between_end.append(math.inf)
        self._look_again_when_a_place_frees(stage)

    def _start(self, client: int, stage: int, time: float) -> None:
        """``client`` takes a place in ``stage`` at ``time``. What follows for
        them competes for nothing until they leave the programme or reach a
        stage with limited places, so it is followed now, stay by stay; ends
        past the horizon are undone in _records."""
        own_hazard = self.own_hazard
        while True:
            visits_made = self.visits_made[stage]
            visit_number = visits_made[client]
            visits_made[client] = visit_number + 1
            if visit_number == 0 and stage == self.entry_stage:
                self.start_time[client] = time
                self.started += 1
            plans = self.plans[stage]
            if visit_number == len(plans):  # visits are numbered 0, 1, 2..., so this is the next one
                plans.append(self.draws.plan(self.position, stage, visit_number))
            plan = plans[visit_number]
            stay = plan.time_in_stage[client]
            ended_by = _DROPPED if plan.dropped[client] else _COMPLETED
            if own_hazard > 0:
                # Finding work on one's own competes with finishing and
                # dropout; in the stage it runs at the lock-in rate, after it
                # at the full rate again.
                chance_left = (self.own_chance_left[client]
                               - self.exposure_rate[client] * (time - self.exposed_since[client]))
                rate = own_hazard * (1 - self.lock_in[stage])
                if rate > 0 and chance_left / rate < stay:
                    stay, ended_by = chance_left / rate, _FOUND_WORK
                end = time + stay
                self.own_chance_left[client] = chance_left - rate * (end - time)
                self.exposed_since[client] = end
                self.exposure_rate[client] = own_hazard
            else:
                end = time + stay
            self.visit_client.append(client)
            self.visit_stage.append(stage)
            self.visit_start.append(time)
            self.visit_end.append(end)
            self.visit_ended_by.append(ended_by)
            self.visit_number.append(visit_number)
            if self.slots[stage] is not None:
                heapq.heappush(self.stay_ends[stage], end)
            # Leaving is written out here rather than through _leave: this is
            # the busiest line of the model, and the call costs 4 % of a run.
            if ended_by != _COMPLETED:
                self.outcome[client] = _CODE["dropped_out"] if ended_by == _DROPPED else _CODE["found_work_on_own"]
                self.exit_time[client] = end
                return
            destination = plan.destination[client]
            if destination < 0:
                self.outcome[client] = _TERMINAL_OUTCOME[destination]
                self.exit_time[client] = end
                if destination == JOB:
                    self.placed_from[client] = stage
                return
            if end >= self.horizon:
                return  # still in the programme at the horizon
            if self.slots[destination] is not None:
                self._at(end, self._on_reaching_stage, (client, destination, end))
                return
            stage, time = destination, end

    def _leave(self, client: int, outcome: int, time: float) -> None:
        self.outcome[client] = outcome
        self.exit_time[client] = time

# --- records: what happened, for the whole chunk at once ----------------------


def _chunk_records(scenario: Scenario, draws: ChunkDraws, runs: list[_ProgrammeRun]) -> ChunkRecords:
    """The runs' records end to end. Ends known in advance that fall past the
    horizon are undone here, and jobs are worked out: what happens in a job
    competes for nothing, so it follows from each person's own draws."""
    horizon = scenario.horizon_months
    people = len(draws.referral_time)
    outcome, placed_from, referred = np.array(
        [_joined(runs, "outcome"), _joined(runs, "placed_from"), _joined(runs, "referred")], dtype=np.int64,
    ).reshape(3, people)
    referred = referred.astype(bool)
    accepted = np.array(draws.accepted, dtype=bool)
    exit_time, start_time = np.array([_joined(runs, "exit_time"), _joined(runs, "start_time")]).reshape(2, people)
    beyond = exit_time > horizon
    outcome[beyond] = _STILL_IN  # known ends past the horizon have not happened
    exit_time[beyond] = np.inf
    outcome[outcome == _STILL_IN] = _CODE["in_programme"]
    still_waiting = [first + client for first, run in zip(draws.offsets.tolist(), runs) for client in run.waiting_list]
    outcome[still_waiting] = _CODE["waiting"]
    visit_rows = sum(len(run.visit_client) for run in runs)
    client, stage, ended_by, number = np.array(
        [_joined(runs, "visit_client"), _joined(runs, "visit_stage"), _joined(runs, "visit_ended_by"),
         _joined(runs, "visit_number")], dtype=np.int64,
    ).reshape(4, visit_rows)
    start, end = np.array([_joined(runs, "visit_start"), _joined(runs, "visit_end")]).reshape(2, visit_rows)
    visitor = draws.offsets[np.repeat(np.arange(len(runs)), [len(run.visit_client) for run in runs])] + client
    job_start = np.where(outcome == _PLACED, exit_time, np.inf)
    part_time, job_end = _job_course(draws, job_start)
    # The stays going on at the horizon (one that ends exactly there on its
    # way to another stage is kept: see below).
    staying = (end > horizon) | ((end == horizon) & (outcome[visitor] == _CODE["in_programme"]))
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
    # A stay that ends exactly at the horizon with a route to another stage:
    # the next stay would start at the horizon, where nothing happens any
    # more, so the person is still in this one (else they would be nowhere).
    end[staying] = np.inf
    visits = {"client": client, "stage": stage, "start": start, "end": end,
              "dropped": ended_by == _DROPPED, "found_work": ended_by == _FOUND_WORK, "first": number == 0}
    wait_rows = sum(len(run.between_client) for run in runs)
    client, stage = np.array([_joined(runs, "between_client"), _joined(runs, "between_stage")],
                             dtype=np.int64).reshape(2, wait_rows)
    start, end = np.array([_joined(runs, "between_start"), _joined(runs, "between_end")]).reshape(2, wait_rows)
    between = {"client": client, "stage": stage, "start": start, "end": end}
    return ChunkRecords(
        horizon=horizon,
        stage_names=tuple(scenario.stages),
        stage_slots=tuple(stage.slots for stage in scenario.stages.values()),
        clients=clients,
        visits=visits,
        between_stages=between,
        row_offsets={
            "clients": np.cumsum([0] + np.bincount(codes[4], minlength=len(runs)).tolist()),
            "visits": np.cumsum([0] + [len(run.visit_client) for run in runs]),
            "between_stages": np.cumsum([0] + [len(run.between_client) for run in runs]),
        },
    )


def _joined(runs: list[_ProgrammeRun], name: str) -> list:
    """The runs' lists called ``name``, one after the other."""
    joined = []
    for run in runs:
        joined += getattr(run, name)
    return joined


def _own_jobs(scenario: Scenario, draws: ChunkDraws, runs: list[_ProgrammeRun], outcome: np.ndarray,
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
    # Without the programme: the full own chance from referral on.
    without = draws.referral_time + draws.own_chance / own_hazard
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


def _job_course(draws: ChunkDraws, job_start: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Part-time or not, and when the job ends (inf: never), for jobs
    starting at ``job_start`` (inf: no job). A person has one job draw,
    whichever way the job was found. Ends past the horizon are kept, for
    money counted beyond it."""
    placed = job_start < np.inf
    return draws.part_time & placed, job_start + draws.job_length  # inf where there is no job
