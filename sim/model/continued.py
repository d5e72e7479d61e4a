"""The programme continued from its records: the process model
(``sim.model.processes``) started at the month a state file describes
(``sim.state.records``), with the people it names where they stand, and
the scenario's referrals after that month.

What the records do not say is drawn, given what they do say:

- someone in a stage since ``since`` has spent ``as_of - since`` months of
  a stay whose full length is not known: the stay is drawn from the stage's
  duration given that it is longer than that, with the dropout rule applied
  to the whole stay, and drawn again until it does not end before the
  month (a dropout comes a uniform share of the way through the full
  stay, so a stay still going may yet end in dropout);
- someone waiting since ``since`` has not given up yet: their patience is
  drawn given that it is longer than the wait so far; the waiting list
  keeps its order (who waited longest gets the next place), and those
  waiting between stages keep theirs;
- finding work on one's own, losing a job and leaving assistance for other
  reasons have no memory: drawn afresh from the month on (for those back
  on assistance, finding work of their own from when they left);
- who got a coach after placement is worked out from the records as a run
  decides it (in order of placement, while a coach is free); a job still
  coached at the month is, for what is left of its coaching months;
- without the programme, each person's own job comes from the same draw as
  with it, as in a run: the chance they had been exposed to in the
  programme without finding work (or until they found it), and what is
  left, at the full rate from referral.

The people of the records come first, in order of referral, then those the
scenario refers after the month. Their luck comes from the replication's own
streams under names of their own (``known:...``); those referred later take
the rows a fresh run gives the same referrals, so a continuation from an
empty programme at month 0 is that fresh run, draw for draw.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim.model.clock import URGENT
from sim.model.draws import CLIENT_DRAWS, STAGE_DRAWS, ChunkDraws, VisitNumbers
from sim.model.processes import Programme, run_to_the_horizon
from sim.model.records import COMPLETED, DROPPED, FOUND_WORK, PLACED, ChunkRecords
from sim.model.states import FINAL_STATES
from sim.scenario.schema import Scenario, Stage

_CODE = {name: code for code, name in enumerate(FINAL_STATES)}
_ENDED_BY = {"completed": COMPLETED, "dropped_out": DROPPED, "found_work_on_own": FOUND_WORK}
#: Rounds of drawing a stay again before taking the records' stay as ended at the month.
_MOST_ROUNDS = 200


@dataclass(frozen=True)
class Continuation:
    """The records a continued programme starts from, as plain arrays (sent
    to every worker): people in order of referral; months since month 0,
    NaN where not known; stages and client groups by number, -1 if none.
    ``visits_made``: per stage and person, the stays begun there by the month.
    ``past_stays``: the stays that had ended by then (person, stage, visit
    number from 0, start, end, how it ended)."""

    as_of: float
    person: tuple[str, ...]
    referred: np.ndarray
    segment: np.ndarray
    status: tuple[str, ...]
    stage: np.ndarray
    since: np.ndarray
    visit: np.ndarray          # the stay under way: its number from 0
    started: np.ndarray
    placed: np.ndarray
    part_time: np.ndarray      # for the placed
    ended: np.ndarray
    visits_made: np.ndarray    # [stage, person]
    past_stays: dict[str, np.ndarray]
    #: Until they left or the month, whichever came first: months in the programme at the full
    #: chance of finding work of one's own (waiting, between stages), and in each stage [stage, person].
    months_at_full_rate: np.ndarray
    months_in_stages: np.ndarray

    @property
    def people(self) -> int:
        return len(self.person)


def simulate_chunk(scenario: Scenario, continuation: Continuation, seed: int, first: int, stop: int) -> ChunkRecords:
    """Replications ``first`` to ``stop - 1`` of the programme continued from ``continuation``."""
    return run_to_the_horizon(scenario, ContinuedDraws(scenario, continuation, seed, first, stop), ContinuedProgramme)


class ContinuedDraws:
    """Each person's luck for a chunk of continued replications: the people of
    the records, then the referrals after the month, as ``ChunkDraws`` has
    them (the same names, so the process model reads either)."""

    def __init__(self, scenario: Scenario, continuation: Continuation, seed: int, first: int, stop: int):
        fresh = ChunkDraws(scenario, seed, first, stop)
        self.continuation, self.stage_names, self.stages = continuation, fresh.stage_names, fresh.stages
        self.streams, self._fresh = fresh.streams, fresh
        as_of, known = continuation.as_of, continuation.people
        # Per replication, the first of its fresh referrals that comes after the month.
        self._later = [int(fresh.offsets[p]) + int(np.searchsorted(
            fresh.referral_time[fresh.offsets[p]:fresh.offsets[p + 1]], as_of, side="right"))
            for p in range(len(fresh.streams))]
        later = [np.arange(start, fresh.offsets[p + 1]) for p, start in enumerate(self._later)]
        self.offsets = np.cumsum([0] + [known + len(rows) for rows in later])

        # What the records say of each person's wait and stay so far, the same in every replication:
        # the shares of patience and of stays no longer than that (worked out once for the chunk).
        status = np.array(continuation.status, dtype=object)
        waited = np.where(status == "waiting", as_of - continuation.since, 0.0)
        patience = scenario.referrals.patience
        self._waited = (waited, _share_below(patience, waited)) if patience is not None else None
        self._in_stage = {}
        for number, stage in enumerate(self.stages):
            people = np.flatnonzero((status == "in_stage") & (continuation.stage == number))
            if len(people):
                spent = as_of - continuation.since[people]
                self._in_stage[number] = (people, spent, _share_below(stage.duration, spent))
        of_records = [self._of_records(scenario, streams) for streams in fresh.streams]

        def joined(name: str, records_value=None) -> np.ndarray:
            values = getattr(fresh, name)
            return np.concatenate([part for drawn, rows in zip(of_records, later)
                                   for part in (drawn[name] if records_value is None else records_value,
                                                np.asarray(values)[rows])])

        self.referral_time = joined("referral_time", continuation.referred)
        self.referral_times = self.referral_time.tolist()
        self.segment = joined("segment")
        self.placement_factor = joined("placement_factor")
        self.dropout_factor = joined("dropout_factor")
        self.accepted = joined("accepted").astype(bool).tolist()
        self.patience = joined("patience").tolist() if fresh.patience is not None else None
        self.part_time = joined("part_time").astype(bool)
        self.job_loss_exponential = joined("job_loss_exponential")
        self.job_length = joined("job_length")
        self.own_chance = joined("own_chance")
        self.own_chances = self.own_chance.tolist()
        self.own_job_without_programme = joined("own_job_without_programme")
        self.other_outflow_time = joined("other_outflow_time")
        #: Per replication: for each person in a stage at the month, what is left of the stay and how it ends.
        self.rest_of_stays = [drawn["rest_of_stays"] for drawn in of_records]

    def people(self, position: int) -> int:
        return int(self.offsets[position + 1] - self.offsets[position])

    def visit_numbers(self, position: int, stage: int, visit_number: int) -> VisitNumbers:
        known = self.continuation.people
        name = self.stage_names[stage]
        uniforms = self.streams[position].per_client(f"known:stage:{name}:{visit_number}", STAGE_DRAWS, known)
        of_records = ChunkDraws._visit_numbers(self.stages[stage], uniforms)
        fresh = self._fresh.visit_numbers(position, stage, visit_number)
        skip = self._later[position] - int(self._fresh.offsets[position])
        return VisitNumbers(*(np.concatenate([mine, theirs[skip:]])
                              for mine, theirs in zip(vars(of_records).values(), vars(fresh).values())))

    def _of_records(self, scenario: Scenario, streams) -> dict[str, np.ndarray]:
        """The draws of the people the records name, for one replication."""
        records, known = self.continuation, self.continuation.people
        status = np.array(records.status, dtype=object)
        uniforms = streams.per_client("known:client", CLIENT_DRAWS, known)
        segments = list(scenario.segments.values())
        shares = np.cumsum([segment.share for segment in segments])
        drawn_segment = np.minimum(np.searchsorted(shares / shares[-1], uniforms["segment"], side="right"),
                                   len(segments) - 1)
        segment = np.where(records.segment >= 0, records.segment, drawn_segment)
        employment = scenario.employment
        part_time_factor = np.array([s.part_time_factor for s in segments])[segment]
        placed = np.isfinite(records.placed)
        part_time = np.where(placed, records.part_time,
                             uniforms["job_type"] < np.minimum(employment.part_time_share * part_time_factor, 1.0))
        job_loss = -np.log1p(-uniforms["job_loss"])
        hazard = employment.job_loss_hazard_per_month
        with np.errstate(over="ignore", divide="ignore"):
            job_length = job_loss / hazard if hazard > 0 else np.full(known, np.inf)
        drawn = {
            "referral_time": records.referred,
            "segment": segment,
            "placement_factor": np.array([s.placement_factor for s in segments])[segment],
            "dropout_factor": np.array([s.dropout_factor for s in segments])[segment],
            "accepted": status != "not_accepted",
            "part_time": part_time.astype(bool),
            "job_loss_exponential": job_loss,
            "job_length": job_length,
        }
        patience = scenario.referrals.patience
        if patience is not None:
            waited, below = self._waited
            drawn["patience"] = _beyond(patience, waited, below, uniforms["patience"]) - waited
        own_hazard = scenario.without_programme.own_job_hazard_per_month
        if own_hazard > 0:
            # As in a run, one draw for both worlds: work is found once the chance a person has been
            # exposed to reaches it. With the programme they had been exposed to ``exposed`` without
            # finding work (or found it then), so the draw is that and what is left, drawn afresh;
            # without it, the same draw at the full rate from referral.
            own_chance = -np.log1p(-streams.uniforms("known:own_job", known))
            lock_in = np.array([stage.lock_in for stage in self.stages])
            exposed = own_hazard * (records.months_at_full_rate + ((1 - lock_in)[:, None]
                                                                  * records.months_in_stages).sum(axis=0))
            drawn["own_job_without_programme"] = records.referred + (
                exposed + np.where(status == "found_work_on_own", 0.0, own_chance)) / own_hazard
        else:
            own_chance = np.full(known, np.inf)
            drawn["own_job_without_programme"] = own_chance.copy()
        drawn["own_chance"] = own_chance
        other_hazard = scenario.without_programme.other_outflow_hazard_per_month
        drawn["other_outflow_time"] = (records.referred - np.log1p(-streams.uniforms("known:other_outflow", known))
                                       / other_hazard if other_hazard > 0 else np.full(known, np.inf))
        drawn["rest_of_stays"] = self._rest_of_stays(streams, drawn["dropout_factor"])
        return drawn

    def _rest_of_stays(self, streams, dropout_factor: np.ndarray) -> dict[int, tuple[float, int]]:
        rest = {}
        for number, (people, spent, below) in self._in_stage.items():
            left, ended_by = rest_of_stay(self.stages[number], spent, dropout_factor[people], streams,
                                          f"known:rest:{self.stage_names[number]}", below)
            rest |= dict(zip(people.tolist(), zip(left.tolist(), ended_by.tolist())))
        return rest


def rest_of_stay(stage: Stage, spent: np.ndarray, dropout_factor: np.ndarray, streams, name: str,
                 below: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """For people ``spent`` months into a stay in ``stage``, still in it: the
    months left and how the stay ends (COMPLETED or DROPPED), drawn from the
    stage's rules given that the stay has not ended yet: drawn again until
    it outlasts the months spent. A stay the duration cannot make that long
    (the records say longer than the scenario allows) ends at once,
    completed. ``below``: the share of stays no longer than ``spent``
    (``_share_below``), if worked out already."""
    count = len(spent)
    stay, ended_by = spent.astype(float), np.full(count, COMPLETED)
    dropout = stage.dropout
    below = _share_below(stage.duration, spent) if below is None else below
    todo = np.flatnonzero(below < 1.0)
    for round_number in range(_MOST_ROUNDS):
        if not len(todo):
            break
        u = streams.uniforms(f"{name}:{round_number}", 3 * count).reshape(count, 3)[todo]
        full = _beyond(stage.duration, spent[todo], below[todo], u[:, 0])
        time, dropped = full, np.zeros(len(todo), dtype=bool)
        if dropout is not None and dropout.possible:
            if dropout.probability is not None:
                dropped = u[:, 1] < np.minimum(dropout.probability * dropout_factor[todo], 1.0)
                time = np.where(dropped, full * u[:, 2], full)
            else:
                # No memory: a dropout not come by now comes after it as it would from the start.
                hazard = dropout.hazard_per_month * dropout_factor[todo]
                with np.errstate(divide="ignore"):
                    at = spent[todo] - np.log1p(-u[:, 1]) / hazard
                dropped = at < full
                time = np.minimum(full, at)
        going = time > spent[todo]
        stay[todo[going]], ended_by[todo[going]] = time[going], np.where(dropped[going], DROPPED, COMPLETED)
        todo = todo[~going]
    if len(todo):
        # Rarely drawn again so often (dropout all but sure, the months spent near the longest stay): the
        # full length given that it is longer, then dropping out in the rest of it with the chance that it
        # comes after the months spent (a uniform share of the way through).
        u = streams.uniforms(f"{name}:last", 3 * count).reshape(count, 3)[todo]
        full = _beyond(stage.duration, spent[todo], below[todo], u[:, 0])
        by_chance = dropout is not None and dropout.possible and dropout.probability is not None
        chance = np.minimum(dropout.probability * dropout_factor[todo], 1.0) if by_chance else np.zeros(len(todo))
        later = chance * (1 - spent[todo] / full)
        dropped = u[:, 1] * (1 - chance * spent[todo] / full) < later
        stay[todo] = np.where(dropped, spent[todo] + u[:, 2] * (full - spent[todo]), full)
        ended_by[todo] = np.where(dropped, DROPPED, COMPLETED)
    return stay - spent, ended_by


def _share_below(distribution, x: np.ndarray) -> np.ndarray:
    """P(value <= x), found from the quantile function by halving (every
    distribution of a scenario has one; not all have their own cdf here)."""
    low, high = np.zeros(len(x)), np.ones(len(x))
    for _ in range(60):
        middle = (low + high) / 2
        below = distribution.ppf(middle) <= x
        low, high = np.where(below, middle, low), np.where(below, high, middle)
    return low


def _beyond(distribution, x: np.ndarray, below: np.ndarray, u: np.ndarray) -> np.ndarray:
    """A value drawn from ``distribution`` given that it exceeds ``x`` (inverse
    transform; ``below``: the share of values no longer than ``x``)."""
    return np.maximum(distribution.ppf(below + u * (1 - below)), x)


class ContinuedProgramme(Programme):
    """One replication, from the month of the records on."""

    def __init__(self, scenario: Scenario, draws: ContinuedDraws, position: int):
        records = draws.continuation
        super().__init__(scenario, draws, position, starts_at=records.as_of)
        self.records = records
        known, as_of = records.people, records.as_of
        self.first_to_refer = known
        self.rest_of_stays = draws.rest_of_stays[position]
        job_stage = next((number for number, stage in enumerate(self.stages) if "job" in stage.routes), 0)
        coached = self._coached_so_far() if self.support is not None else {}
        for person in range(known):
            self.referred[person] = True
            status = records.status[person]
            self.start_time[person] = records.started[person]
            # The own chance of work goes on from the month, or for those back on assistance from when they left.
            self.exposed_since[person] = as_of if np.isnan(records.ended[person]) else float(records.ended[person])
            if status in ("employed", "job_lost"):
                placed = float(records.placed[person])
                self.outcome[person], self.exit_time[person] = PLACED, placed
                self.placed_from[person] = int(records.stage[person]) if records.stage[person] >= 0 else job_stage
                if status == "job_lost":
                    self.job_length[person] = records.ended[person] - placed
                    if person in coached:
                        self.coached_until[person] = min(coached[person], records.ended[person])
                else:
                    self.job_length[person] = self._job_left(person, placed, coached.get(person))
            elif status not in ("waiting", "in_stage", "between_stages"):
                self.outcome[person], self.exit_time[person] = _CODE[status], float(records.ended[person])
        self.started = int(np.isfinite(records.started).sum())
        for stage in range(len(self.stages)):
            self.visits_made[stage][:known] = records.visits_made[stage].tolist()
        stays = records.past_stays
        self.stays += zip(*(stays[name].tolist() for name in ("person", "stage", "start", "end", "ended_by", "number")))

    def _coached_so_far(self) -> dict[int, float]:
        """Who among those placed by the month got a coach, and until when
        the coaching would run: as a run decides it, in order of placement,
        while a coach is free (one is busy until the coaching ends or the
        job is lost)."""
        records, support = self.records, self.support
        slots = support.slots or math.inf
        busy: list[float] = []
        coached = {}
        placed = [person for person in range(records.people) if records.status[person] in ("employed", "job_lost")]
        for person in sorted(placed, key=lambda person: records.placed[person]):
            month = float(records.placed[person])
            busy = [until for until in busy if until > month]  # (free at the very month it ends)
            if len(busy) < slots:
                coached[person] = month + support.months
                busy.append(min(coached[person], records.ended[person]) if records.status[person] == "job_lost"
                            else coached[person])
        return coached

    def _job_left(self, person: int, placed: float, coached_until: float | None) -> float:
        """The length of a job still held at the month: what is left of it
        drawn afresh, at the lower chance of losing it while coached (until
        ``coached_until``, None if not coached; coaching ends early if the
        job is lost)."""
        as_of, hazard = self.records.as_of, self.job_loss_hazard
        draw = float(self.draws.job_loss_exponential[self.draws.offsets[self.position] + person])
        if coached_until is None:
            return as_of - placed + (draw / hazard if hazard > 0 else math.inf)
        self.coached_until[person] = coached_until
        coached_left = coached_until - as_of
        if coached_left > 0:
            coached_hazard = hazard * self.support.job_loss_factor
            if draw < coached_hazard * coached_left:
                self.coached_until[person] = as_of + draw / coached_hazard  # lost while coached
                return self.coached_until[person] - placed
            draw -= coached_hazard * coached_left
            return coached_until - placed + (draw / hazard if hazard > 0 else math.inf)
        return as_of - placed + (draw / hazard if hazard > 0 else math.inf)

    def begin(self) -> None:
        """Those in a stage hold their places first; then the place
        schedule and the referrals to come, as in a fresh run; then those
        waiting between stages and on the waiting list, longest first."""
        records = self.records
        waiting = {status: sorted((records.since[person], person) for person in range(records.people)
                                  if records.status[person] == status)
                   for status in ("in_stage", "between_stages", "waiting")}
        for since, person in waiting["in_stage"]:
            self.env.process(self.stage_after_stage(person, int(records.stage[person]), in_stage_since=float(since)))
        super().begin()
        if self.support is not None:
            for person in range(records.people):
                if records.status[person] == "employed" and self.coached_until[person] > records.as_of:
                    self.env.process(self.coaching(self.coached_until[person]))
        for since, person in waiting["between_stages"]:
            self.env.process(self.stage_after_stage(person, int(records.stage[person]), moving_on=True,
                                                    waiting_since=float(since)))
        for since, person in waiting["waiting"]:
            self.env.process(self.stage_after_stage(person, self.entry_stage, waiting_since=float(since)))

    def coaching(self, until: float):
        """A coach busy until ``until`` with someone placed before the month
        (``_coached_so_far`` gave them one while one was free)."""
        with self.coaches.request() as coach:
            yield coach
            yield self.env.at(until, URGENT)

    def rest_of_stay(self, person: int, stage: int, since: float) -> tuple[float, int, int]:
        """The stay under way at the month, in ``stage`` since ``since``."""
        left, ended_by = self.rest_of_stays[person]
        return self.stay_from_now(person, stage, self.visits_made[stage][person] - 1, since, left, ended_by)
