"""The programme as SimPy processes: the model as a researcher reads it.

The municipality refers people (``Programme.referrals``). Each referred
person is a process (``Programme.path``): intake; a place in the first stage
or the waiting list, given up when patience runs out or work is found on
one's own; a stay that ends when its time is up, or earlier by dropping out
or finding work; a route to the next stage, a job, back to assistance or out
of scope; in a job, until it is lost (``Programme.work``). Places are
SimPy resources: people moving on from an earlier stage ask with a higher
priority than the waiting list. At one and the same month,
stays end first, so a place freed then is free for whoever arrives then;
giving up a wait counts before the place is given; referrals come last.

Everything random comes from the draws (``sim.model.draws``), the same
numbers the fast engine (``sim.model.engine``) reads, so both write the same
records; ``tests/property/test_engines.py`` checks that they do.
"""

from __future__ import annotations

import math
from bisect import bisect_right

import numpy as np
import simpy

from sim.model.clock import AFTER_THE_REST, URGENT, moving_on_from, stay_end
from sim.model.draws import ChunkDraws, VisitNumbers
from sim.model.places import Places, WaitingEnvironment
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
#: Priorities of a request for a place: lower is served first. A place
#: closed by a schedule of places is taken from the next one to leave; in a
#: programme continued from its records (sim.model.continued), those already
#: in a stage hold their places before anything else.
ALREADY_IN, CLOSING, MOVING_ON, FROM_THE_LIST = -2, -1, 0, 1


def simulate(scenario: Scenario, seed: int, replication: int) -> ReplicationRecords:
    return simulate_chunk(scenario, seed, replication, replication + 1).replication(0)


def simulate_chunk(scenario: Scenario, seed: int, first: int, stop: int) -> ChunkRecords:
    return run_to_the_horizon(scenario, ChunkDraws(scenario, seed, first, stop), Programme)


def run_to_the_horizon(scenario: Scenario, draws, programme: type[Programme]) -> ChunkRecords:
    """Each replication of ``draws`` run as a ``programme`` (this module's, or
    one continued from records) to the horizon, and their records."""
    programmes = [programme(scenario, draws, position) for position in range(len(draws.streams))]
    for one in programmes:
        one.begin()
        one.env.run(until=scenario.horizon_months)
    return records_of_runs(scenario, draws, programmes)


class Programme:
    """One replication of the programme."""

    def __init__(self, scenario: Scenario, draws: ChunkDraws, position: int, starts_at: float = 0.0):
        self.env = WaitingEnvironment(initial_time=starts_at)
        self.horizon = scenario.horizon_months
        self.stages = tuple(scenario.stages.values())
        self.entry_stage = tuple(scenario.stages).index(scenario.first_stage)
        self.places = [Places(self.env, capacity=stage.most_places or math.inf)
                       for stage in self.stages]
        self.closed: list[list[simpy.Event]] = [[] for _ in self.stages]  # places closed by a schedule
        self.routes = [_RouteTable(stage, scenario) for stage in self.stages]
        self.cap = scenario.referrals.max_participants
        self.list_limit = scenario.referrals.waiting_list_limit
        self.own_hazard = scenario.without_programme.own_job_hazard_per_month
        self.job_loss_hazard = scenario.employment.job_loss_hazard_per_month
        self.support = scenario.employment.support
        self.coaches = (simpy.Resource(self.env, capacity=self.support.slots or math.inf)
                        if self.support is not None else None)

        # This replication's people, numbered from 0 in order of referral, and their luck.
        self.draws, self.position = draws, position
        first, stop = draws.offsets[position], draws.offsets[position + 1]
        n = stop - first
        self.referral_months = draws.referral_times[first:stop]
        self.first_to_refer = 0  # (a continued programme's people referred already come first)
        self.accepted = draws.accepted[first:stop]
        self.patience = draws.patience[first:stop] if draws.patience is not None else None
        self.dropout_factor = draws.dropout_factor[first:stop].tolist()
        self.placement_factor = draws.placement_factor[first:stop].tolist()
        self.numbers: dict[tuple[int, int], dict[str, list[float]]] = {}  # (stage, visit number) -> numbers

        # Finding work on one's own: a person finds it once the hazard they
        # were exposed to reaches their unit exponential draw; the full rate
        # while waiting or on assistance, less in a stage with lock-in.
        self.own_chance_left = draws.own_chances[first:stop]  # as it stood at ...
        self.exposed_since = list(self.referral_months)      # ... this month,
        self.exposure_rate = [self.own_hazard] * n            # used up at this rate since

        # What happened, in the form sim.model.records turns into records.
        self.referred = [False] * n
        self.outcome = [STILL_IN] * n
        self.exit_time = [math.inf] * n
        self.start_time = [math.nan] * n
        self.placed_from = [-1] * n
        self.started = 0
        self.waiting_list: dict[int, float] = {}  # person -> month they joined it
        self.visits_made = [[0] * n for _ in self.stages]
        self.stays: list[tuple] = []  # (person, stage, start, end, how it ended, visit number)
        self.between_client, self.between_stage, self.between_start, self.between_end = [], [], [], []
        self.job_length = draws.job_length[first:stop].tolist()  # (a job's, if they get one)
        if self.support is not None:  # coaching changes it
            self.job_loss_draws = draws.job_loss_exponential[first:stop].tolist()
            self.coached_until = [math.nan] * n

    def begin(self) -> None:
        """Start the processes that run from the first month."""
        for stage, schedule in enumerate(stage.place_schedule for stage in self.stages):
            for month, places in schedule or ():
                self.env.process(self.change_places(stage, month, places))
        self.env.process(self.referrals())

    def change_places(self, stage: int, month: float, places: int):
        """From ``month`` on, ``stage`` has ``places`` places (before anything
        else happens that month). Places beyond them are closed: nobody is
        sent away, a closed place is taken from the next person to leave."""
        if month > self.env.now:
            yield self.env.at(month, URGENT)
        resource, closed = self.places[stage], self.closed[stage]
        while len(closed) > resource.capacity - places:  # reopen, those not yet taken first
            closing = closed.pop()
            if closing.triggered:
                resource.release(closing)
            else:
                closing.cancel()
        while len(closed) < resource.capacity - places:
            closed.append(resource.request(priority=CLOSING))

    def referrals(self):
        """People are referred at their drawn months. With a lifetime cap,
        referring pauses while those started and waiting fill it, and stops
        for good once as many have started."""
        for person in range(self.first_to_refer, len(self.referral_months)):
            month = self.referral_months[person]
            if month >= self.horizon:
                return
            yield self.env.at(month, AFTER_THE_REST)
            if self.cap is not None and self.started + len(self.waiting_list) >= self.cap:
                if self.started >= self.cap:
                    return
                continue
            self.referred[person] = True
            self.env.process(self.path(person))

    def path(self, person: int):
        """Intake, then stage after stage until the person leaves. Places
        are SimPy's PriorityResource, told when to serve whom at one and the
        same month (``Places``, sim/model/places.py; docs/model.md)."""
        if not self.accepted[person]:
            return self.leave(person, "not_accepted")
        yield from self.stage_after_stage(person, self.entry_stage)

    def stage_after_stage(self, person: int, stage: int, moving_on: bool = False, waiting_since: float | None = None,
                          in_stage_since: float | None = None):
        """From asking for a place in ``stage`` until the person leaves.
        A programme continued from its records starts some people midway:
        waiting since a month, or in the stage since one (what is left of
        that stay: ``rest_of_stay``, sim.model.continued)."""
        while True:
            places = self.places[stage]
            no_free_place = bool(places.queue) or places.count >= places.capacity
            if not moving_on and waiting_since is None and in_stage_since is None and no_free_place \
                    and self.list_limit is not None \
                    and len(self.waiting_list) >= self.list_limit:
                return self.leave(person, "turned_away")
            priority = ALREADY_IN if in_stage_since is not None else MOVING_ON if moving_on else FROM_THE_LIST
            with places.request(priority=priority) as place:
                if not place.triggered:
                    got_it = yield from self.wait(person, stage, place, moving_on, waiting_since)
                    if not got_it:
                        return
                if in_stage_since is None:
                    start = self.env.now
                    end, ended_by, visit = self.stay(person, stage)
                else:
                    start = in_stage_since
                    end, ended_by, visit = self.rest_of_stay(person, stage, in_stage_since)
                if end > self.env.now:  # (a stay of no time frees the place at once)
                    yield self.env.at(end, stay_end(start, person))
            if ended_by == DROPPED:
                return self.leave(person, "dropped_out")
            if ended_by == FOUND_WORK:
                return self.leave(person, "found_work_on_own")
            destination = self.destination(person, stage, visit)
            if destination == JOB:
                self.placed_from[person] = stage
                self.leave(person, PLACED)
                yield from self.work(person)
                return
            if destination == BENEFIT:
                return self.leave(person, "completed_no_job")
            if destination == EXIT:
                return self.leave(person, "exited")
            stage, moving_on, waiting_since, in_stage_since = destination, True, None, None
            yield self.env.at(self.env.now, moving_on_from(start, person))

    def wait(self, person: int, stage: int, place: simpy.Event, moving_on: bool, since: float | None = None):
        """Wait for ``place``, on the waiting list or, moving on, between
        stages (``since``: a wait that began before a continued programme's
        first month; patience then is what is left of it). True once the
        place is theirs; False if they left first."""
        now = self.env.now
        since = now if since is None else since
        gives_up = self.env.event()  # never, unless patience runs out
        if moving_on:
            wait = len(self.between_client)
            self.between_client.append(person)
            self.between_stage.append(stage)
            self.between_start.append(since)
            self.between_end.append(math.inf)
        else:
            self.waiting_list[person] = since
            if self.patience is not None:
                gives_up = self.env.at(now + self.patience[person])
        finds_work = self.env.event()
        if self.own_hazard > 0:
            finds_work = self.env.at(now + self.own_chance_left[person] / self.own_hazard)

        happened = yield place | gives_up | finds_work

        if moving_on:
            self.between_end[wait] = self.env.now
        else:
            del self.waiting_list[person]
        # Leaving at the very month a place comes free counts as gone.
        if gives_up in happened:
            self.leave(person, "reneged")
            return False
        if finds_work in happened:
            self.leave(person, "found_work_on_own")
            return False
        return True

    def stay(self, person: int, stage: int) -> tuple[float, int, int]:
        """A stay begins: when it ends and how (completed, dropped out, found
        work on one's own), and which visit to the stage it is."""
        now = self.env.now
        visit = self.visits_made[stage][person]
        self.visits_made[stage][person] += 1
        if visit == 0 and stage == self.entry_stage:
            self.start_time[person] = now
            self.started += 1
        numbers = self.numbers_of(stage, visit)
        stay, ended_by = numbers["duration"][person], COMPLETED
        dropout = self.stages[stage].dropout
        if dropout is not None and dropout.possible:
            if dropout.probability is not None:
                if numbers["dropout"][person] < min(dropout.probability * self.dropout_factor[person], 1.0):
                    stay, ended_by = stay * numbers["dropout_time"][person], DROPPED
            else:
                hazard = dropout.hazard_per_month * self.dropout_factor[person]
                if hazard > 0 and numbers["dropout_exponential"][person] / hazard < stay:
                    stay, ended_by = numbers["dropout_exponential"][person] / hazard, DROPPED
        return self.stay_from_now(person, stage, visit, now, stay, ended_by)

    def stay_from_now(self, person: int, stage: int, visit: int, start: float, stay: float,
                      ended_by: int) -> tuple[float, int, int]:
        """A stay that began at ``start`` would end ``stay`` months from now,
        as ``ended_by`` says, unless the person finds work of their own first:
        when it ends and how, noted with the stays."""
        now = self.env.now
        if self.own_hazard > 0:
            # Finding work on one's own competes with finishing and dropping
            # out: at the lock-in rate during the stay, the full rate after.
            chance_left = (self.own_chance_left[person]
                           - self.exposure_rate[person] * (now - self.exposed_since[person]))
            rate = self.own_hazard * (1 - self.stages[stage].lock_in)
            if rate > 0 and chance_left / rate < stay:
                stay, ended_by = chance_left / rate, FOUND_WORK
            # (end - start, not stay: the fast engine's arithmetic, to the last digit)
            self.own_chance_left[person] = chance_left - rate * ((now + stay) - now)
            self.exposed_since[person] = now + stay
            self.exposure_rate[person] = self.own_hazard
        end = now + stay
        self.stays.append((person, stage, start, end, ended_by, visit))
        return end, ended_by, visit

    def work(self, person: int):
        """In a job found by the programme until it is lost: once the hazard
        of losing it adds up to the person's draw. With support after
        placement and a coach free, the hazard is lower for the first months.
        Jobs run on past the horizon (money is counted beyond it), so the
        records take each job's length from here, lost or not by then."""
        start = self.env.now
        support, coaches = self.support, self.coaches
        if support is not None and coaches.count < coaches.capacity:
            with coaches.request() as coach:
                yield coach
                hazard, draw = self.job_loss_hazard, self.job_loss_draws[person]
                coached_hazard = hazard * support.job_loss_factor
                if draw < coached_hazard * support.months:
                    coached = self.job_length[person] = draw / coached_hazard  # lost while coached
                else:
                    coached = support.months
                    self.job_length[person] = (coached + (draw - coached_hazard * coached) / hazard
                                               if hazard > 0 else math.inf)
                self.coached_until[person] = start + coached
                # Ends before anything else that month: the coach is free for whoever is placed then.
                yield self.env.at(start + coached, URGENT)
        lost = start + self.job_length[person]
        if lost < self.horizon:
            # The job is lost: back on assistance (job_length has it for the records).
            yield self.env.at(lost)

    def destination(self, person: int, stage: int, visit: int) -> int:
        """Where a completed stay leads: a stage's number, or JOB, BENEFIT, EXIT."""
        route = self.numbers_of(stage, visit)["route"][person]
        return self.routes[stage].destination(route, self.placement_factor[person])

    def leave(self, person: int, outcome: str | int) -> None:
        self.outcome[person] = _CODE[outcome] if isinstance(outcome, str) else outcome
        self.exit_time[person] = self.env.now

    def numbers_of(self, stage: int, visit: int) -> dict[str, list[float]]:
        """This replication's numbers for visit ``visit`` of ``stage``, drawn when first needed."""
        numbers = self.numbers.get((stage, visit))
        if numbers is None:
            drawn: VisitNumbers = self.draws.visit_numbers(self.position, stage, visit)
            numbers = self.numbers[stage, visit] = {name: values.tolist() for name, values in vars(drawn).items()}
        return numbers


class _RouteTable:
    """A stage's routes as running totals of their shares. A segment's
    placement factor scales the chance of a job; the other routes share
    what is left pro rata (back to assistance if nothing else)."""

    def __init__(self, stage: Stage, scenario: Scenario):
        names = list(stage.routes)
        stage_index = {name: index for index, name in enumerate(scenario.stages)}
        self.scaled = "job" in names and any(s.placement_factor != 1.0 for s in scenario.segments.values())
        shares = np.array([stage.routes[name] for name in names])
        if self.scaled and "benefit" not in names:
            names.append("benefit")
            shares = np.append(shares, 0.0)
        self.codes = [DESTINATION_CODES.get(name, stage_index.get(name)) for name in names]
        if not self.scaled:
            cumulative = np.cumsum(shares)
            self.cumulative = (cumulative / cumulative[-1]).tolist()
            return
        self.job = names.index("job")
        self.job_share = float(shares[self.job])
        others = shares.copy()
        others[self.job] = 0.0
        if others.sum() == 0:
            others[names.index("benefit")] = 1.0
        self.other_shares = (others / others.sum()).tolist()

    def destination(self, uniform: float, placement_factor: float) -> int:
        if self.scaled:
            job_chance = min(self.job_share * placement_factor, 1.0)
            cumulative, total = [], 0.0
            for index, share in enumerate(self.other_shares):
                total += job_chance if index == self.job else (1 - job_chance) * share
                cumulative.append(total)
        else:
            cumulative = self.cumulative
        return self.codes[min(bisect_right(cumulative, uniform), len(self.codes) - 1)]
