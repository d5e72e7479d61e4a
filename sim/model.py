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
loop is SimPy's; events carry the client number and call back into this
module, which keeps the cost per person low without hiding the flow.
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
_BACK_ON_ASSISTANCE = tuple(_CODE[name] for name in BACK_ON_ASSISTANCE)

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
        self.stage_names = tuple(scenario.stages)
        self.stages = tuple(scenario.stages.values())
        self.slots = [stage.slots for stage in self.stages]  # read on every start; plain list is quickest
        self.stage_index = {name: index for index, name in enumerate(self.stage_names)}
        self.entry_stage = self.stage_index[scenario.first_stage]

        n = len(referral_times)
        self.n = n
        self.referral_time = referral_times
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

        self.occupied = [0] * len(self.stages)
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
        self.between_client: list[int] = []
        self.between_stage: list[int] = []
        self.between_start: list[float] = []
        self.between_end: list[float] = []

    # --- events --------------------------------------------------------------

    def run(self) -> ReplicationRecords:
        env = self.env
        for client, time in enumerate(self.referral_time.tolist()):
            env.timeout(time, value=client).callbacks.append(self._on_referral)
        env.run(until=self.scenario.horizon_months)
        # Events at the horizon itself do not happen; leaving a wait likewise.
        self._settle_waits(up_to=self.scenario.horizon_months, inclusive=False)
        return self._records()

    def _on_referral(self, event: simpy.Event) -> None:
        client = event.value
        self._settle_waits(up_to=self.env.now)
        if self.cap is not None and self.started + len(self.waiting_list) >= self.cap:
            return  # the pilot is full: the municipality stops referring
        self.referred[client] = True
        if not self.accepted[client]:
            self._leave(client, _CODE["not_accepted"])
            return
        stage = self.entry_stage
        if self._has_free_place(stage):
            self._start(client, stage)
        elif self.list_limit is not None and len(self.waiting_list) >= self.list_limit:
            self._leave(client, _CODE["turned_away"])
        else:
            now = self.env.now
            self.waiting_list[client] = now
            if self.patience is not None:
                heapq.heappush(self.leaving_waits, (now + self.patience[client], client, _PATIENCE, -1))
            self._watch_for_own_job(client, wait=-1)

    def _watch_for_own_job(self, client: int, wait: int) -> None:
        if self.own_hazard > 0:
            moment = self.env.now + self.own_chance_left[client] / self.own_hazard
            heapq.heappush(self.leaving_waits, (moment, client, _OWN_JOB, wait))

    def _settle_waits(self, up_to: float, inclusive: bool = True) -> None:
        """Take out of every wait the people who left it by ``up_to`` (patience
        ran out, or they found work on their own), as of the moment they left.

        Only events look at the waits, so instead of an event per person (most
        of whom get a place first) the waits are brought up to date whenever an
        event is about to look at them. Leaving at the very moment a place
        comes free counts as gone.
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

    def _expose(self, client: int, rate: float) -> None:
        """From now on the client's own chance of finding work runs at ``rate``."""
        now = self.env.now
        self.own_chance_left[client] -= self.exposure_rate[client] * (now - self.exposed_since[client])
        self.exposed_since[client] = now
        self.exposure_rate[client] = rate

    def _on_stage_end(self, event: simpy.Event) -> None:
        client, stage, visit = event.value
        now = self.env.now
        self._settle_waits(up_to=now)
        self.visit_end[visit] = now
        self.occupied[stage] -= 1
        self._fill_free_place(stage)
        if self.own_hazard > 0:
            self._expose(client, self.own_hazard)  # out of the stage: the full own chance again
        ended_by = self.visit_ended_by[visit]
        if ended_by != _COMPLETED:
            self._leave(client, _CODE["dropped_out"] if ended_by == _DROPPED else _CODE["found_work_on_own"])
            return
        destination = self._plan(stage, self.visits_made[stage][client] - 1).destination[client]
        if destination >= 0:
            self._enter_later_stage(client, destination)
        else:
            self._leave(client, _TERMINAL_OUTCOME[destination])
            if destination == JOB:
                self.placed_from[client] = stage

    # --- moves ---------------------------------------------------------------

    def _has_free_place(self, stage: int) -> bool:
        slots = self.slots[stage]
        return slots is None or (self.occupied[stage] < slots and not self._someone_waiting(stage))

    def _someone_waiting(self, stage: int) -> bool:
        return bool(self._first_in_queue(stage)) or (stage == self.entry_stage and bool(self.waiting_list))

    def _first_in_queue(self, stage: int) -> deque:
        """The queue between stages, without those at its head who already left it."""
        queue = self.queues[stage]
        while queue and self.waiting_between[queue[0][0]] != queue[0][1]:
            queue.popleft()
        return queue

    def _fill_free_place(self, stage: int) -> None:
        """A place came free: people moving on from an earlier stage go first,
        then the waiting list in order of arrival."""
        queue = self._first_in_queue(stage)
        if queue:
            client, wait = queue.popleft()
            self.waiting_between[client] = -1
            self.between_end[wait] = self.env.now
            self._start(client, stage)
        elif stage == self.entry_stage and self.waiting_list:
            client = next(iter(self.waiting_list))
            del self.waiting_list[client]
            self._start(client, stage)

    def _enter_later_stage(self, client: int, stage: int) -> None:
        if self._has_free_place(stage):
            self._start(client, stage)
            return
        wait = len(self.between_client)
        self.queues[stage].append((client, wait))
        self.waiting_between[client] = wait
        self._watch_for_own_job(client, wait)
        self.between_client.append(client)
        self.between_stage.append(stage)
        self.between_start.append(self.env.now)
        self.between_end.append(math.inf)

    def _start(self, client: int, stage: int) -> None:
        now = self.env.now
        visits_made = self.visits_made[stage]
        visit_number = visits_made[client]
        visits_made[client] = visit_number + 1
        if visit_number == 0 and stage == self.entry_stage:
            self.start_time[client] = now
            self.started += 1
        plan = self._plan(stage, visit_number)
        stay = plan.time_in_stage[client]
        ended_by = _DROPPED if plan.dropped[client] else _COMPLETED
        if self.own_hazard > 0:
            # Finding work on one's own competes with finishing and dropout.
            rate = self.own_hazard * (1 - self.lock_in[stage])
            self._expose(client, rate)
            if rate > 0 and self.own_chance_left[client] / rate < stay:
                stay, ended_by = self.own_chance_left[client] / rate, _FOUND_WORK
        visit = len(self.visit_client)
        self.visit_client.append(client)
        self.visit_stage.append(stage)
        self.visit_start.append(now)
        self.visit_ended_by.append(ended_by)
        destination = plan.destination[client]
        if self.slots[stage] is None and (ended_by != _COMPLETED or destination < 0):
            # Nothing competes for an unlimited place and the person leaves the
            # programme afterwards, so the end is known now: no event needed.
            # Ends past the horizon are undone in _records.
            end = now + stay
            self.visit_end.append(end)
            self.outcome[client] = (_TERMINAL_OUTCOME[destination] if ended_by == _COMPLETED
                                    else _CODE["dropped_out"] if ended_by == _DROPPED
                                    else _CODE["found_work_on_own"])
            self.exit_time[client] = end
            if ended_by == _COMPLETED and destination == JOB:
                self.placed_from[client] = stage
            return
        self.visit_end.append(math.inf)
        self.occupied[stage] += 1
        self.env.timeout(stay, value=(client, stage, visit)).callbacks.append(self._on_stage_end)

    def _leave(self, client: int, outcome: int) -> None:
        self.outcome[client] = outcome
        self.exit_time[client] = self.env.now

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
        horizon = self.scenario.horizon_months
        referred = np.array(self.referred, dtype=bool)
        outcome = np.array(self.outcome, dtype=np.int64)
        exit_time = np.array(self.exit_time)
        outcome[exit_time > horizon] = _STILL_IN  # known ends past the horizon have not happened
        exit_time[exit_time > horizon] = np.inf
        visit_end = np.array(self.visit_end)
        visit_end[visit_end > horizon] = np.inf
        outcome[outcome == _STILL_IN] = _CODE["in_programme"]
        for client in self.waiting_list:
            outcome[client] = _CODE["waiting"]
        job_start = np.where(outcome == _PLACED, exit_time, np.inf)
        part_time, job_end = self._job_course(job_start)
        own_job_start, counterfactual_job_start = self._own_jobs(outcome, exit_time)
        own_part_time, own_job_end = self._job_course(own_job_start)
        counterfactual_part_time, counterfactual_job_end = self._job_course(counterfactual_job_start)
        outcome[outcome == _PLACED] = np.where(job_end[outcome == _PLACED] <= horizon,
                                               _CODE["job_lost"], _CODE["employed"])
        list_leave = np.array(self.start_time)
        never_started = np.isnan(list_leave)
        left_the_list = (outcome == _CODE["reneged"]) | ((outcome == _CODE["found_work_on_own"]) & never_started)
        list_leave[left_the_list] = exit_time[left_the_list]
        list_leave[np.isnan(list_leave)] = np.inf
        accepted = np.array(self.accepted, dtype=bool) if self.n else np.zeros(0, dtype=bool)
        joined_list = accepted & (outcome != _CODE["turned_away"])  # those who started at once: zero wait
        clients = {
            "client": np.arange(self.n)[referred],
            "segment": self.segment[referred],
            "referral_time": self.referral_time[referred],
            "accepted": accepted[referred],
            "waiting_list_until": np.where(joined_list, list_leave, self.referral_time)[referred],
            "start_time": np.array(self.start_time)[referred],
            "exit_time": exit_time[referred],
            "final_state": outcome[referred],
            "job_start": job_start[referred],
            "placed_from": np.where(np.isfinite(job_start), np.array(self.placed_from, dtype=np.int64), -1)[referred],
            "job_end": job_end[referred],
            "part_time": part_time[referred],
            "own_job_start": own_job_start[referred],
            "own_job_end": own_job_end[referred],
            "own_part_time": own_part_time[referred],
            "counterfactual_job_start": counterfactual_job_start[referred],
            "counterfactual_job_end": counterfactual_job_end[referred],
            "counterfactual_part_time": counterfactual_part_time[referred],
        }
        visits = {
            "client": np.array(self.visit_client, dtype=np.int64),
            "stage": np.array(self.visit_stage, dtype=np.int64),
            "start": np.array(self.visit_start),
            "end": visit_end,
            "dropped": np.array(self.visit_ended_by, dtype=np.int64) == _DROPPED,
            "found_work": np.array(self.visit_ended_by, dtype=np.int64) == _FOUND_WORK,
        }
        between = {
            "client": np.array(self.between_client, dtype=np.int64),
            "stage": np.array(self.between_stage, dtype=np.int64),
            "start": np.array(self.between_start),
            "end": np.array(self.between_end),
        }
        return ReplicationRecords(
            horizon=self.scenario.horizon_months,
            stage_names=self.stage_names,
            stage_slots=tuple(stage.slots for stage in self.stages),
            clients=clients,
            visits=visits,
            between_stages=between,
        )

    def _own_jobs(self, outcome: np.ndarray, exit_time: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """When people find work on their own (inf: not before the horizon),
        with the programme and, on the same draws, without it."""
        horizon = self.scenario.horizon_months
        if self.own_hazard == 0:
            return np.full(self.n, np.inf), np.full(self.n, np.inf)
        # Without the programme: the full own chance from referral on.
        without = self.referral_time + self.own_chance / self.own_hazard
        # With it: those who left while waiting or in a stage found work then;
        # those back on assistance go on from what they had left when they
        # left the programme (the chance they used up so far is subtracted).
        # (For those still in the programme exit_time is inf and the result,
        # nan or inf, is not used.)
        with np.errstate(invalid="ignore"):
            used = np.array(self.exposure_rate) * (exit_time - np.array(self.exposed_since))
            after_leaving = exit_time + (np.array(self.own_chance_left) - used) / self.own_hazard
        with_programme = np.where(
            outcome == _CODE["found_work_on_own"], exit_time,
            np.where(np.isin(outcome, _BACK_ON_ASSISTANCE), after_leaving, np.inf),
        )
        return (np.where(with_programme > horizon, np.inf, with_programme),
                np.where(without > horizon, np.inf, without))

    def _job_course(self, job_start: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Part-time or not, and when the job ends (inf: still in work at the
        horizon), for jobs starting at ``job_start`` (inf: no job). A person
        has one job draw, whichever way the job was found."""
        employment = self.scenario.employment
        part_time_factor = np.array([s.part_time_factor for s in self.scenario.segments.values()])[self.segment]
        part_time = self.draws["job_type"] < np.minimum(employment.part_time_share * part_time_factor, 1.0)
        hazard = employment.job_loss_hazard_per_month
        if hazard > 0:
            with np.errstate(over="ignore"):  # a tiny hazard: the job outlasts any horizon
                job_length = -np.log1p(-self.draws["job_loss"]) / hazard
        else:
            job_length = np.full(self.n, np.inf)
        placed = np.isfinite(job_start)
        job_end = np.where(placed, job_start + job_length, np.inf)
        return part_time & placed, np.where(job_end > self.scenario.horizon_months, np.inf, job_end)
