"""One replication of a training-to-work programme, simulated with SimPy.

The path of a person: referred -> accepted at intake (or not) -> waiting list
(turned away when full, may give up) -> one or more stages, each with a
number of places, a duration and a chance of dropping out -> routed to the
next stage, a job, back to ordinary assistance, or out of scope. Throughout,
people may find work on their own (the counterfactual section), which takes
them off the list or out of their place. What happens in a job (part-time or
not, how long it lasts) does not compete for anything, so it is worked out
after the simulation from each person's own draws, as is the same person's
course without the programme.

Everything random is drawn up front, one uniform per client per kind of draw
(see ``sim.streams``), and turned into values by inverse transform. The event
loop is SimPy's, but only moments when people compete for something are
events: a place coming free while someone waits for it, and someone reaching
a stage with limited places. Between them, referrals and the paths of people
who compete for nothing are worked out directly, in time order (see "events"
below); that keeps the cost per person low without hiding the flow.
"""

from __future__ import annotations

import heapq
import math
from collections import deque
from dataclasses import dataclass

import numpy as np
import simpy

from sim.scenario import Scenario, Stage
from sim.streams import RandomStreams

# Where a completed stage can send someone, besides another stage (>= 0).
JOB, BENEFIT, EXIT = -1, -2, -3
_DESTINATION_CODES = {"job": JOB, "benefit": BENEFIT, "exit": EXIT}

#: How each referred person stands at the horizon: exactly one of these.
FINAL_STATES = (
    "not_accepted",      # refused at intake, stays on ordinary assistance
    "turned_away",       # waiting list was full
    "reneged",           # gave up waiting
    "waiting",           # still on the waiting list
    "in_programme",      # in a stage, or waiting between stages
    "dropped_out",       # left a stage early, back on assistance
    "completed_no_job",  # finished, routed back to ordinary assistance
    "exited",            # finished, left the scope (moved, other benefit)
    "employed",          # placed and still in work
    "job_lost",          # placed, lost the job, back on assistance
    "found_work_on_own", # found work without the programme's help while waiting or in a stage
)
_CODE = {name: code for code, name in enumerate(FINAL_STATES)}
_PLACED = -1  # interim mark: has a job; employed or job_lost is decided afterwards
_STILL_IN = -2
_TERMINAL_OUTCOME = {JOB: _PLACED, BENEFIT: _CODE["completed_no_job"], EXIT: _CODE["exited"]}
#: Final states of people back on ordinary assistance after the programme,
#: where their own chance of finding work goes on.
BACK_ON_ASSISTANCE = ("not_accepted", "turned_away", "reneged", "dropped_out", "completed_no_job")
# By outcome code, the interim marks (negative) included.
_IS_BACK_ON_ASSISTANCE = np.zeros(len(FINAL_STATES) + 2, dtype=bool)
_IS_BACK_ON_ASSISTANCE[[_CODE[name] for name in BACK_ON_ASSISTANCE]] = True

# How a stay in a stage ends.
_COMPLETED, _DROPPED, _FOUND_WORK = 0, 1, 2
# Why someone leaves a wait before getting a place.
_PATIENCE, _OWN_JOB = 0, 1

# The columns of the per-client random blocks (see sim.streams). Append new
# kinds at the end: the order fixes which uniform each kind gets.
CLIENT_DRAWS = ("segment", "intake", "patience", "job_type", "job_loss")
STAGE_DRAWS = ("duration", "dropout", "dropout_time", "route")


@dataclass(frozen=True)
class ReplicationRecords:
    """Who did what, when, in one replication. Times are months since month 0.

    ``clients`` has one entry per referred person (people the lifetime cap kept
    from being referred are not in it); ``visits`` one entry per stage visit;
    ``between_stages`` one entry per wait for a place in a later stage.
    A time of ``inf`` means "not before the horizon".
    """

    horizon: float
    stage_names: tuple[str, ...]
    stage_slots: tuple[int | None, ...]
    clients: dict[str, np.ndarray]
    visits: dict[str, np.ndarray]
    between_stages: dict[str, np.ndarray]


def simulate(scenario: Scenario, seed: int, replication: int) -> ReplicationRecords:
    """Run replication number ``replication`` of ``scenario`` with root ``seed``."""
    streams = RandomStreams(seed, replication)
    referral_times = draw_referral_times(scenario, streams)
    return _ProgrammeRun(scenario, streams, referral_times).run()


def draw_referral_times(scenario: Scenario, streams: RandomStreams) -> np.ndarray:
    """Times at which candidates are referred, within the intake window."""
    referrals = scenario.referrals
    start, until = referrals.from_month, scenario.intake_until_month
    if referrals.process == "poisson":
        rate = referrals.rate_per_month
        expected = rate * max(until - start, 0.0)
        count = int(expected + 6 * math.sqrt(expected) + 10)
        while True:
            gaps = -np.log1p(-streams.uniforms("referral_gaps", count)) / rate
            times = start + np.cumsum(gaps)
            if times[-1] >= until:
                return times[times < until]
            count *= 2
    if referrals.process == "cohorts":
        cohort_starts = np.arange(start, until, referrals.every_months)
        return np.repeat(cohort_starts, referrals.cohort_size)
    months = np.array([entry.month for entry in referrals.schedule], dtype=float)
    counts = np.array([entry.count for entry in referrals.schedule], dtype=int)
    times = np.sort(np.repeat(months, counts))
    return times[times < scenario.horizon_months]


@dataclass(frozen=True)
class _StagePlan:
    """For one stage and one visit number: each client's time in the stage if
    they start it, whether that ends in dropout, and where they go next."""

    time_in_stage: list[float]
    dropped: list[bool]
    destination: list[int]


class _ProgrammeRun:
    def __init__(self, scenario: Scenario, streams: RandomStreams, referral_times: np.ndarray):
        self.scenario = scenario
        self.streams = streams
        self.env = simpy.Environment()
        self.horizon = scenario.horizon_months
        self.stage_names = tuple(scenario.stages)
        self.stages = tuple(scenario.stages.values())
        self.slots = [stage.slots for stage in self.stages]  # read on every start; plain list is quickest
        self.stage_index = {name: index for index, name in enumerate(self.stage_names)}
        self.entry_stage = self.stage_index[scenario.first_stage]

        n = len(referral_times)
        self.n = n
        self.referral_time = referral_times
        self.referrals_due = referral_times.tolist()
        self.next_referral = 0  # the number of the first referral not yet taken
        self.draws = streams.per_client("client", CLIENT_DRAWS, n)
        segments = list(scenario.segments.values())
        cumulative_shares = np.cumsum([segment.share for segment in segments])
        self.segment = np.minimum(
            np.searchsorted(cumulative_shares / cumulative_shares[-1], self.draws["segment"], side="right"),
            len(segments) - 1,
        )
        self.placement_factor = np.array([s.placement_factor for s in segments])[self.segment]
        self.dropout_factor = np.array([s.dropout_factor for s in segments])[self.segment]
        self.accepted = (self.draws["intake"] < scenario.referrals.acceptance).tolist()
        patience = scenario.referrals.patience
        self.patience = patience.ppf(self.draws["patience"]).tolist() if patience is not None else None
        self.plans: list[list[_StagePlan]] = [[] for _ in self.stages]  # by stage, then visit number

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
        self.own_hazard = scenario.counterfactual.own_job_hazard_per_month
        self.lock_in = [stage.lock_in for stage in self.stages]
        if self.own_hazard > 0:
            self.own_chance = -np.log1p(-streams.uniforms("own_job", n))
            self.own_chance_left = self.own_chance.tolist()
            self.exposed_since = referral_times.tolist()
            self.exposure_rate = [self.own_hazard] * n

        # Per limited stage, a heap of the moments its stays end: the places
        # taken are the stays not yet over. A place coming free matters only
        # to someone waiting for it, so there is an event for it only then.
        self.job_draws: tuple[np.ndarray, np.ndarray] | None = None  # see _job_course
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

    def run(self) -> ReplicationRecords:
        self._take_referrals_before_next_event()
        self.env.run(until=self.horizon)
        # Events at the horizon itself do not happen; leaving a wait likewise.
        self._settle_waits(up_to=self.horizon, inclusive=False)
        return self._records()

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
            plan = plans[visit_number] if visit_number < len(plans) else self._plan(stage, visit_number)
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

    # --- draws ---------------------------------------------------------------

    def _plan(self, stage: int, visit_number: int) -> _StagePlan:
        """Every client's draws for visit ``visit_number`` of ``stage``, made
        the first time anyone needs them (vectorised over all clients)."""
        plans = self.plans[stage]
        while len(plans) <= visit_number:  # visits are numbered 0, 1, 2... so this adds one
            plans.append(self._make_plan(self.stage_names[stage], self.stages[stage], len(plans)))
        return plans[visit_number]

    def _make_plan(self, name: str, stage: Stage, visit_number: int) -> _StagePlan:
        draws = self.streams.per_client(f"stage:{name}:{visit_number}", STAGE_DRAWS, self.n)
        duration = stage.duration.ppf(draws["duration"])
        dropout = stage.dropout
        if dropout is None or not dropout.possible:
            dropped = np.zeros(self.n, dtype=bool)
            time_in_stage = duration
        elif dropout.probability is not None:
            chance = np.minimum(dropout.probability * self.dropout_factor, 1.0)
            dropped = draws["dropout"] < chance
            time_in_stage = np.where(dropped, duration * draws["dropout_time"], duration)
        else:
            hazard = dropout.hazard_per_month * self.dropout_factor
            with np.errstate(divide="ignore", over="ignore"):  # no hazard: never
                time_to_dropout = -np.log1p(-draws["dropout"]) / hazard
            dropped = time_to_dropout < duration
            time_in_stage = np.minimum(duration, time_to_dropout)
        destination = self._route(stage, draws["route"])
        return _StagePlan(time_in_stage.tolist(), dropped.tolist(), destination.tolist())

    def _route(self, stage: Stage, uniforms: np.ndarray) -> np.ndarray:
        """Destination codes; the placement factor of a client's segment scales
        the chance of a job, the other routes share what is left pro rata."""
        names = list(stage.routes)
        base = np.array([stage.routes[name] for name in names])
        codes = np.array([_DESTINATION_CODES.get(name, self.stage_index.get(name)) for name in names])
        if "job" not in names or np.all(self.placement_factor == 1.0):
            cumulative = np.cumsum(base)
            choice = np.searchsorted(cumulative / cumulative[-1], uniforms, side="right")
            return codes[np.minimum(choice, len(names) - 1)]
        if "benefit" not in names:
            names.append("benefit")
            base = np.append(base, 0.0)
            codes = np.append(codes, BENEFIT)
        job = names.index("job")
        job_chance = np.minimum(base[job] * self.placement_factor, 1.0)
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

    # --- records -------------------------------------------------------------

    def _records(self) -> ReplicationRecords:
        # Few, wide numpy calls: at this size each call costs more than its work.
        horizon = self.horizon
        outcome, placed_from, referred, accepted = np.array(
            [self.outcome, self.placed_from, self.referred, self.accepted], dtype=np.int64).reshape(4, self.n)
        referred, accepted = referred.astype(bool), accepted.astype(bool)
        exit_time, start_time = np.array([self.exit_time, self.start_time], dtype=float).reshape(2, self.n)
        beyond = exit_time > horizon
        outcome[beyond] = _STILL_IN  # known ends past the horizon have not happened
        exit_time[beyond] = np.inf
        outcome[outcome == _STILL_IN] = _CODE["in_programme"]
        outcome[list(self.waiting_list)] = _CODE["waiting"]
        job_start = np.where(outcome == _PLACED, exit_time, np.inf)
        part_time, job_end = self._job_course(job_start)
        own_job_start, counterfactual_job_start = self._own_jobs(outcome, exit_time)
        own_part_time, own_job_end = self._job_course(own_job_start)
        counterfactual_part_time, counterfactual_job_end = self._job_course(counterfactual_job_start)
        placed = job_start < np.inf
        outcome[placed] = np.where(job_end[placed] <= horizon, _CODE["job_lost"], _CODE["employed"])
        never_started = np.isnan(start_time)
        left_the_list = (outcome == _CODE["reneged"]) | ((outcome == _CODE["found_work_on_own"]) & never_started)
        list_leave = np.where(left_the_list, exit_time, np.where(never_started, np.inf, start_time))
        joined_list = accepted & (outcome != _CODE["turned_away"])  # those who started at once: zero wait
        times = np.array([
            self.referral_time, np.where(joined_list, list_leave, self.referral_time), start_time, exit_time,
            job_start, job_end, own_job_start, own_job_end, counterfactual_job_start, counterfactual_job_end,
        ]).reshape(10, self.n)
        codes = np.array([
            np.arange(self.n), self.segment, outcome, np.where(placed, placed_from, -1),
        ]).reshape(4, self.n)
        flags = np.array([accepted, part_time, own_part_time, counterfactual_part_time]).reshape(4, self.n)
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
        }
        visit_count = len(self.visit_client)
        client, stage, ended_by, number = np.array(
            [self.visit_client, self.visit_stage, self.visit_ended_by, self.visit_number], dtype=np.int64,
        ).reshape(4, visit_count)
        start, end = np.array([self.visit_start, self.visit_end]).reshape(2, visit_count)
        end[end > horizon] = np.inf
        visits = {"client": client, "stage": stage, "start": start, "end": end,
                  "dropped": ended_by == _DROPPED, "found_work": ended_by == _FOUND_WORK, "first": number == 0}
        wait_count = len(self.between_client)
        client, stage = np.array([self.between_client, self.between_stage], dtype=np.int64).reshape(2, wait_count)
        start, end = np.array([self.between_start, self.between_end], dtype=float).reshape(2, wait_count)
        between = {"client": client, "stage": stage, "start": start, "end": end}
        return ReplicationRecords(
            horizon=horizon,
            stage_names=self.stage_names,
            stage_slots=tuple(self.slots),
            clients=clients,
            visits=visits,
            between_stages=between,
        )

    def _own_jobs(self, outcome: np.ndarray, exit_time: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """When people find work on their own (inf: not before the horizon),
        with the programme and, on the same draws, without it."""
        horizon = self.horizon
        if self.own_hazard == 0:
            return np.full(self.n, np.inf), np.full(self.n, np.inf)
        # Without the programme: the full own chance from referral on.
        without = self.referral_time + self.own_chance / self.own_hazard
        # With it: those who left while waiting or in a stage found work then;
        # those back on assistance go on from what they had left when they
        # left the programme (the chance they used up so far is subtracted).
        # (For those still in the programme exit_time is inf and the result,
        # nan or inf, is not used.)
        rate, since, chance_left = np.array(
            [self.exposure_rate, self.exposed_since, self.own_chance_left]).reshape(3, self.n)
        with np.errstate(invalid="ignore"):
            after_leaving = exit_time + (chance_left - rate * (exit_time - since)) / self.own_hazard
        with_programme = np.where(
            outcome == _CODE["found_work_on_own"], exit_time,
            np.where(_IS_BACK_ON_ASSISTANCE[outcome], after_leaving, np.inf),
        )
        return (np.where(with_programme > horizon, np.inf, with_programme),
                np.where(without > horizon, np.inf, without))

    def _job_course(self, job_start: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Part-time or not, and when the job ends (inf: still in work at the
        horizon), for jobs starting at ``job_start`` (inf: no job). A person
        has one job draw, whichever way the job was found."""
        if self.job_draws is None:
            employment = self.scenario.employment
            part_time_factor = np.array([s.part_time_factor for s in self.scenario.segments.values()])[self.segment]
            part_time = self.draws["job_type"] < np.minimum(employment.part_time_share * part_time_factor, 1.0)
            hazard = employment.job_loss_hazard_per_month
            if hazard > 0:
                with np.errstate(over="ignore"):  # a tiny hazard: the job outlasts any horizon
                    job_length = -np.log1p(-self.draws["job_loss"]) / hazard
            else:
                job_length = np.full(self.n, np.inf)
            self.job_draws = part_time, job_length
        part_time, job_length = self.job_draws
        placed = job_start < np.inf
        job_end = job_start + job_length  # inf where there is no job
        return part_time & placed, np.where(job_end > self.horizon, np.inf, job_end)
