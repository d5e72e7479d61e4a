"""The fast engine: the rules of the process model (``sim.model.processes``,
where they read as SimPy processes) with events only where people compete.

The path of a person: referred -> accepted at intake (or not) -> waiting list
(turned away when full, may give up) -> one or more stages, each with a
number of places (fixed, or a schedule), a duration and a chance of dropping
out -> routed to the next stage, a job, back to ordinary assistance, or out
of scope. Throughout, people may find work on their own (the counterfactual
section), which takes them off the list or out of their place.

Everything random is drawn up front, for a chunk of replications at once
(``sim.model.draws``); each replication then runs on its own, and what
happened is turned into records for the whole chunk
(``sim.model.records``, shared with the process model). Only moments when
people compete for something are events: a place coming free while someone
waits for it, someone reaching a stage with limited places, and a month at
which places grow. They wait in a heap of their own, in SimPy's order (by
month, then priority, then as made): a run pays for nothing else of an
event loop. Between them, referrals
and the paths of people who compete for nothing are worked out directly, in
time order (see "events" below); that keeps the cost per person low. Both
engines write the same records (``tests/property/test_engines.py``); what
goes first when things coincide is listed in ``docs/model.md``.
"""

from __future__ import annotations

import gc
import heapq
import math
from bisect import bisect_right
from collections import deque
from contextlib import contextmanager
from itertools import count

import numpy as np

from sim.model.clock import NORMAL, moving_on_from
from sim.model.draws import ChunkDraws, VisitNumbers
from sim.model.records import (
    COMPLETED,
    DROPPED,
    FOUND_WORK,
    PLACED,
    STILL_IN,
    ChunkRecords,
    ReplicationRecords,
    records_of_runs,
)
from sim.model.states import BENEFIT, DESTINATION_CODES, EXIT, FINAL_STATES, JOB
from sim.scenario.schema import Scenario, Stage

_CODE = {name: code for code, name in enumerate(FINAL_STATES)}
_TERMINAL_OUTCOME = {JOB: PLACED, BENEFIT: _CODE["completed_no_job"], EXIT: _CODE["exited"]}
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
        first_visits = [_StagePlan.of(stage, numbers, draws, scenario)
                        for stage, numbers in zip(scenario.stages.values(), draws.first_visits)]
        runs = [_ProgrammeRun(scenario, draws, position, first_visits) for position in range(stop - first)]
        for position in range(len(runs)):  # no loop variable: it would keep the last run alive
            runs[position].run()
        records = records_of_runs(scenario, draws, runs)
        del runs  # freed before the collector is back on, so it has nothing to walk
    return records


@contextmanager
def _cycle_collector_paused():
    """The runs make many small objects that live until the chunk is done;
    Python's cycle collector would walk them again and again (a fifth of the
    time). They hold no cycles, so they are freed as soon as they are let go."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class _ProgrammeRun:
    """One replication: who gets a place when, and how each stay ends."""

    def __init__(self, scenario: Scenario, draws: ChunkDraws, position: int, first_visits: list[_StagePlan]):
        self.draws = draws
        self.scenario = scenario
        self.position = position
        # The events: (month, priority, number, what happens, with what), in
        # SimPy's order (sim.model.clock): by month, then priority, then as made.
        self.events: list[tuple] = []
        self.numbered = count()
        self.horizon = scenario.horizon_months
        self.stages = tuple(scenario.stages.values())
        self.limited = [stage.slots is not None for stage in self.stages]  # read on every start
        # Places over time: (months a period begins, places in it), per limited stage.
        self.place_periods = [tuple(zip(*stage.place_schedule)) if stage.slots is not None else None
                              for stage in self.stages]
        self.entry_stage = tuple(scenario.stages).index(scenario.first_stage)

        # This replication's people, numbered from 0, in order of referral.
        first, stop = draws.offsets[position], draws.offsets[position + 1]
        n = stop - first
        self.referrals_due = draws.referral_times[first:stop]
        self.next_referral = 0  # the number of the first referral not yet taken
        self.accepted = draws.accepted[first:stop]
        self.patience = draws.patience[first:stop] if draws.patience is not None else None
        # By stage, then visit number: the first visits' plans are the chunk's, cut to this replication.
        self.plans = [[plan.cut(first, stop)] for plan in first_visits]

        self.outcome = [STILL_IN] * n
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
        self.own_rates = [self.own_hazard * (1 - stage.lock_in) for stage in self.stages]  # in each stage
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

        # (client, stage, start, end, how it ended, visit number: 0 for a person's first to the stage)
        self.stays: list[tuple] = []
        self.stay_noted = self.stays.append
        self.between_client: list[int] = []
        self.between_stage: list[int] = []
        self.between_start: list[float] = []
        self.between_end: list[float] = []

    # --- events --------------------------------------------------------------
    #
    # Only two things happen at a moment of their own, as events: a place
    # comes free while someone waits for it, and someone who finished a stage
    # reaches a later stage with limited places. Everything else is worked out
    # at the moment it is decided: a referral is taken as soon as no event lies
    # before it or at its month (sim.model.clock: referrals come after the
    # rest), a person's path is followed for as long as it competes for
    # nothing, and people leaving a wait are settled when someone next looks.

    def run(self) -> None:
        # More places from a month on: whoever waits may start then. (Fewer
        # need no event: stays that end free no place until below the number.)
        for stage, periods in enumerate(self.place_periods):
            if periods is not None:
                months, places = periods
                for month, before, after in zip(months[1:], places, places[1:]):
                    if after > before:
                        self._at(month, self._on_place_free, (stage, month))
        self._take_referrals_before_next_event()
        events, next_event = self.events, heapq.heappop
        while events:  # (all before the horizon: see _at)
            _, _, _, happen, value = next_event(events)
            happen(value)
        # Events at the horizon itself do not happen; leaving a wait likewise.
        self._settle_waits(up_to=self.horizon, inclusive=False)

    def _take_referrals_before_next_event(self) -> None:
        """Take the referrals due before the next event, in order. Nothing but
        referrals changes the programme until then, so taking one before the
        clock reaches it decides the same as an event of its own would."""
        due, events = self.referrals_due, self.events
        while self.next_referral < len(due):
            time = due[self.next_referral]
            if time >= self.horizon or (events and time >= events[0][0]):
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

    def _on_place_free(self, value: tuple[int, float]) -> None:
        stage, time = value
        if time == self.look_again_at[stage]:
            self.look_again_at[stage] = math.inf
        self._settle_waits(up_to=time)
        self._fill_free_places(stage, time)
        if self._someone_waiting(stage):
            self._look_again_when_a_place_frees(stage)
        self._take_referrals_before_next_event()

    def _on_reaching_stage(self, value: tuple[int, int, float]) -> None:
        client, stage, time = value
        self._settle_waits(up_to=time)
        self._enter_later_stage(client, stage, time)
        self._take_referrals_before_next_event()

    def _at(self, time: float, callback, value: tuple, priority: tuple = (NORMAL,)) -> None:
        if time >= self.horizon:
            return  # would not happen
        heapq.heappush(self.events, (time, priority, next(self.numbered), callback, value))

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

    def _has_free_place(self, stage: int, time: float, moving_on: bool = False) -> bool:
        """A place nobody waiting before this person has a claim to: people
        moving on go before the waiting list, so only others moving on
        come before them."""
        if not self.limited[stage]:
            return True
        ahead = bool(self._first_in_queue(stage)) if moving_on else self._someone_waiting(stage)
        return self._places_taken(stage, time) < self._places(stage, time) and not ahead

    def _places(self, stage: int, time: float) -> int:
        """Places in ``stage`` at ``time``, as its schedule says from that month on."""
        months, places = self.place_periods[stage]
        return places[0] if len(places) == 1 else places[bisect_right(months, time) - 1]

    def _someone_waiting(self, stage: int) -> bool:
        return bool(self._first_in_queue(stage)) or (stage == self.entry_stage and bool(self.waiting_list))

    def _first_in_queue(self, stage: int) -> deque:
        """The queue between stages, without those at its head who already left it."""
        queue = self.queues[stage]
        while queue and self.waiting_between[queue[0][0]] != queue[0][1]:
            queue.popleft()
        return queue

    def _fill_free_places(self, stage: int, time: float, moving_on_only: bool = False) -> None:
        """Places came free: people moving on from an earlier stage go first,
        then the waiting list in order of arrival (``moving_on_only``: not
        yet). Only the places free now: one freed by a stay that begins and
        ends at this very moment goes to whoever moves on from it, if they
        come back (an event of its own)."""
        for _ in range(self._places(stage, time) - self._places_taken(stage, time)):
            queue = self._first_in_queue(stage)
            if queue:
                client, wait = queue.popleft()
                self.waiting_between[client] = -1
                self.between_end[wait] = time
            elif stage == self.entry_stage and self.waiting_list and not moving_on_only:
                client = next(iter(self.waiting_list))
                del self.waiting_list[client]
            else:
                return
            self._start(client, stage, time)

    def _enter_later_stage(self, client: int, stage: int, time: float) -> None:
        # Places freed this month go to those moving on who waited longer,
        # then to this person, before the waiting list.
        if self.queues[stage]:
            self._fill_free_places(stage, time, moving_on_only=True)
        if self._has_free_place(stage, time, moving_on=True):
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
        # The busiest lines of the model: what they use is looked up once.
        own_hazard, own_rates, limited, horizon = self.own_hazard, self.own_rates, self.limited, self.horizon
        stay_noted = self.stay_noted
        while True:
            visits_made = self.visits_made[stage]
            visit_number = visits_made[client]
            visits_made[client] = visit_number + 1
            if visit_number == 0 and stage == self.entry_stage:
                self.start_time[client] = time
                self.started += 1
            plans = self.plans[stage]
            if visit_number == len(plans):  # visits are numbered 0, 1, 2..., so this is the next one
                numbers = self.draws.visit_numbers(self.position, stage, visit_number)
                plans.append(_StagePlan.of(self.stages[stage], numbers, self.draws, self.scenario,
                                           *self.draws.offsets[self.position:self.position + 2]))
            plan = plans[visit_number]
            stay = plan.time_in_stage[client]
            ended_by = DROPPED if plan.dropped[client] else COMPLETED
            if own_hazard > 0:
                # Finding work on one's own competes with finishing and
                # dropout; in the stage it runs at the lock-in rate, after it
                # at the full rate again.
                own_chance_left = self.own_chance_left
                chance_left = own_chance_left[client] - self.exposure_rate[client] * (time - self.exposed_since[client])
                rate = own_rates[stage]
                if rate > 0 and chance_left / rate < stay:
                    stay, ended_by = chance_left / rate, FOUND_WORK
                end = time + stay
                own_chance_left[client] = chance_left - rate * (end - time)
                self.exposed_since[client] = end
                self.exposure_rate[client] = own_hazard
            else:
                end = time + stay
            stay_noted((client, stage, time, end, ended_by, visit_number))
            if limited[stage]:
                heapq.heappush(self.stay_ends[stage], end)
            if ended_by != COMPLETED:
                self.outcome[client] = _CODE["dropped_out"] if ended_by == DROPPED else _CODE["found_work_on_own"]
                self.exit_time[client] = end
                return
            destination = plan.destination[client]
            if destination < 0:
                self.outcome[client] = _TERMINAL_OUTCOME[destination]
                self.exit_time[client] = end
                if destination == JOB:
                    self.placed_from[client] = stage
                return
            if end >= horizon:
                return  # still in the programme at the horizon
            if limited[destination]:
                self._at(end, self._on_reaching_stage, (client, destination, end), moving_on_from(time, client))
                return
            stage, time = destination, end

    def _leave(self, client: int, outcome: int, time: float) -> None:
        self.outcome[client] = outcome
        self.exit_time[client] = time


class _StagePlan:
    """For one stage and visit number, each person's stay decided in advance
    from their numbers, by the rules of the process model
    (``sim.model.processes``, ``Programme.stay`` and ``Programme.destination``),
    for a whole chunk or replication at once: the time in the stage if they
    start it, whether it ends in dropout, and where they go next (another
    stage's number, or JOB, BENEFIT, EXIT). Lists: quicker to read one by one."""

    def __init__(self, time_in_stage: list[float], dropped: list[bool], destination: list[int]):
        self.time_in_stage, self.dropped, self.destination = time_in_stage, dropped, destination

    def cut(self, start: int, stop: int) -> _StagePlan:
        return _StagePlan(self.time_in_stage[start:stop], self.dropped[start:stop], self.destination[start:stop])

    @classmethod
    def of(cls, stage: Stage, numbers: VisitNumbers, draws: ChunkDraws, scenario: Scenario,
           start: int = 0, stop: int | None = None) -> _StagePlan:
        """``numbers`` belong to people ``start`` to ``stop`` of the chunk."""
        dropout_factor, placement_factor = draws.dropout_factor[start:stop], draws.placement_factor[start:stop]
        duration = numbers.duration
        dropout = stage.dropout
        if dropout is None or not dropout.possible:
            dropped = np.zeros(len(duration), dtype=bool)
            time_in_stage = duration
        elif dropout.probability is not None:
            chance = np.minimum(dropout.probability * dropout_factor, 1.0)
            dropped = numbers.dropout < chance
            time_in_stage = np.where(dropped, duration * numbers.dropout_time, duration)
        else:
            hazard = dropout.hazard_per_month * dropout_factor
            with np.errstate(divide="ignore", over="ignore"):  # no hazard: never
                time_to_dropout = numbers.dropout_exponential / hazard
            dropped = time_to_dropout < duration
            time_in_stage = np.minimum(duration, time_to_dropout)
        destination = _routes(stage, numbers.route, placement_factor, scenario)
        return cls(time_in_stage.tolist(), dropped.tolist(), destination.tolist())


def _routes(stage: Stage, uniforms: np.ndarray, placement_factor: np.ndarray, scenario: Scenario) -> np.ndarray:
    """Destination codes; the placement factor of a client's segment scales
    the chance of a job, the other routes share what is left pro rata."""
    names = list(stage.routes)
    base = np.array([stage.routes[name] for name in names])
    stage_index = {name: index for index, name in enumerate(scenario.stages)}
    codes = np.array([DESTINATION_CODES.get(name, stage_index.get(name)) for name in names])
    if "job" not in names or all(s.placement_factor == 1.0 for s in scenario.segments.values()):
        cumulative = np.cumsum(base)
        choice = np.searchsorted(cumulative / cumulative[-1], uniforms, side="right")
        return codes[np.minimum(choice, len(names) - 1)]
    if "benefit" not in names:
        names.append("benefit")
        base = np.append(base, 0.0)
        codes = np.append(codes, BENEFIT)
    job = names.index("job")
    job_chance = np.minimum(base[job] * placement_factor, 1.0)
    others = base.copy()
    others[job] = 0.0
    others_total = others.sum()
    if others_total == 0:
        others[names.index("benefit")] = 1.0
        others_total = 1.0
    probabilities = np.outer(1 - job_chance, others / others_total)
    probabilities[:, job] = job_chance
    cumulative = np.cumsum(probabilities, axis=1)
    choice = (uniforms[:, None] >= cumulative).sum(axis=1)
    return codes[np.minimum(choice, len(names) - 1)]

