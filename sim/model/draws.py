"""Each person's luck, for a chunk of consecutive replications.

Every replication draws its uniforms from its own named streams
(``sim.model.streams``): referral gaps, one block for each person's own draws
(segment, intake, patience, job type, job loss), one per stage and visit
number (time in the stage, dropout, time of dropout, route), and the own
chance of finding work. Here they are turned into values by inverse
transform for the whole chunk at once. Each transformation works person by
person, so a replication's values never depend on the chunk it is in; only
the numpy calls are shared, which is the point: for one replication of a
hundred people, the fixed cost of each call outweighs its work.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim.model.streams import RandomStreams
from sim.scenario.edit import with_uncertain_values
from sim.scenario.schema import Scenario, Stage
from sim.scenario.uncertain import values_at

# Where a completed stage can send someone, besides another stage (>= 0).
JOB, BENEFIT, EXIT = -1, -2, -3
_DESTINATION_CODES = {"job": JOB, "benefit": BENEFIT, "exit": EXIT}

# The columns of the per-client random blocks (see sim.model.streams). Append new
# kinds at the end: the order fixes which uniform each kind gets.
CLIENT_DRAWS = ("segment", "intake", "patience", "job_type", "job_loss")
STAGE_DRAWS = ("duration", "dropout", "dropout_time", "route")


@dataclass(frozen=True)
class StagePlan:
    """For one stage and one visit number: each client's time in the stage if
    they start it, whether that ends in dropout, and where they go next
    (another stage's number, or JOB, BENEFIT, EXIT)."""

    time_in_stage: list[float]
    dropped: list[bool]
    destination: list[int]


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


class ChunkDraws:
    """The values drawn for replications ``first`` to ``stop - 1``. People are
    numbered through the chunk; replication ``first + i`` has people
    ``offsets[i]`` to ``offsets[i + 1] - 1``. Arrays serve the records of the
    chunk, lists (quicker to read one by one) the runs."""

    def __init__(self, scenario: Scenario, seed: int, first: int, stop: int):
        self.streams = [RandomStreams(seed, replication) for replication in range(first, stop)]
        referral_times = [draw_referral_times(scenario, streams) for streams in self.streams]
        self.offsets = np.cumsum([0] + [len(times) for times in referral_times])
        self.referral_time = np.concatenate(referral_times)
        self.referral_times = self.referral_time.tolist()
        client = self._per_client("client", CLIENT_DRAWS)

        segments = list(scenario.segments.values())
        cumulative_shares = np.cumsum([segment.share for segment in segments])
        self.segment = np.minimum(
            np.searchsorted(cumulative_shares / cumulative_shares[-1], client["segment"], side="right"),
            len(segments) - 1,
        )
        self.placement_factor = np.array([s.placement_factor for s in segments])[self.segment]
        self.no_placement_factors = all(s.placement_factor == 1.0 for s in segments)
        self.dropout_factor = np.array([s.dropout_factor for s in segments])[self.segment]
        self.accepted = (client["intake"] < scenario.referrals.acceptance).tolist()
        patience = scenario.referrals.patience
        self.patience = patience.ppf(client["patience"]).tolist() if patience is not None else None

        employment = scenario.employment
        part_time_factor = np.array([s.part_time_factor for s in segments])[self.segment]
        #: Would work part-time in any job they get (one draw, whichever way the job is found).
        self.part_time = client["job_type"] < np.minimum(employment.part_time_share * part_time_factor, 1.0)
        hazard = employment.job_loss_hazard_per_month
        if hazard > 0:
            with np.errstate(over="ignore"):  # a tiny hazard: the job outlasts any horizon
                self.job_length = -np.log1p(-client["job_loss"]) / hazard
        else:
            self.job_length = np.full(len(self.referral_time), np.inf)

        # The own chance of finding work: found once the hazard a person has
        # been exposed to reaches this unit exponential draw (see sim.model.engine).
        if scenario.without_programme.own_job_hazard_per_month > 0:
            uniforms = np.concatenate([
                streams.uniforms("own_job", self.people(position)) for position, streams in enumerate(self.streams)
            ])
            self.own_chance = -np.log1p(-uniforms)
        else:
            self.own_chance = np.full(len(self.referral_time), np.inf)
        self.own_chances = self.own_chance.tolist()

        # Leaving assistance for other reasons (moving, retirement, a
        # partner's income): one moment per person, the same in both worlds.
        other_hazard = scenario.without_programme.other_outflow_hazard_per_month
        if other_hazard > 0:
            uniforms = np.concatenate([
                streams.uniforms("other_outflow", self.people(position))
                for position, streams in enumerate(self.streams)
            ])
            self.other_outflow_time = self.referral_time - np.log1p(-uniforms) / other_hazard
        else:
            self.other_outflow_time = np.full(len(self.referral_time), np.inf)

        self.stage_names = tuple(scenario.stages)
        self.stages = tuple(scenario.stages.values())
        self.stage_index = {name: index for index, name in enumerate(self.stage_names)}
        # Nearly everyone's first visit to a stage is drawn anyway; later
        # visits (loops) are drawn per replication when someone makes one.
        self.first_visits = [
            self._plan_values(stage, self._per_client(f"stage:{name}:0", STAGE_DRAWS),
                              self.dropout_factor, self.placement_factor)
            for name, stage in zip(self.stage_names, self.stages)
        ]

    def people(self, position: int) -> int:
        """How many candidates the replication at ``position`` in the chunk has."""
        return int(self.offsets[position + 1] - self.offsets[position])

    def plan(self, position: int, stage: int, visit_number: int) -> StagePlan:
        """The draws of the replication at ``position`` for visit ``visit_number``
        of ``stage``, indexed by its own client numbers."""
        start, stop = self.offsets[position], self.offsets[position + 1]
        if visit_number == 0:
            chunk_plan = self.first_visits[stage]
            return StagePlan(chunk_plan.time_in_stage[start:stop], chunk_plan.dropped[start:stop],
                             chunk_plan.destination[start:stop])
        name = self.stage_names[stage]
        uniforms = self.streams[position].per_client(f"stage:{name}:{visit_number}", STAGE_DRAWS, stop - start)
        return self._plan_values(self.stages[stage], uniforms, self.dropout_factor[start:stop],
                                 self.placement_factor[start:stop])

    def _per_client(self, name: str, kinds: tuple[str, ...]) -> dict[str, np.ndarray]:
        blocks = [streams.per_client(name, kinds, self.people(position))
                  for position, streams in enumerate(self.streams)]
        return {kind: np.concatenate([block[kind] for block in blocks]) for kind in kinds}

    def _plan_values(self, stage: Stage, uniforms: dict[str, np.ndarray], dropout_factor: np.ndarray,
                     placement_factor: np.ndarray) -> StagePlan:
        duration = stage.duration.ppf(uniforms["duration"])
        dropout = stage.dropout
        if dropout is None or not dropout.possible:
            dropped = np.zeros(len(duration), dtype=bool)
            time_in_stage = duration
        elif dropout.probability is not None:
            chance = np.minimum(dropout.probability * dropout_factor, 1.0)
            dropped = uniforms["dropout"] < chance
            time_in_stage = np.where(dropped, duration * uniforms["dropout_time"], duration)
        else:
            hazard = dropout.hazard_per_month * dropout_factor
            with np.errstate(divide="ignore", over="ignore"):  # no hazard: never
                time_to_dropout = -np.log1p(-uniforms["dropout"]) / hazard
            dropped = time_to_dropout < duration
            time_in_stage = np.minimum(duration, time_to_dropout)
        destination = self._route(stage, uniforms["route"], placement_factor)
        return StagePlan(time_in_stage.tolist(), dropped.tolist(), destination.tolist())

    def _route(self, stage: Stage, uniforms: np.ndarray, placement_factor: np.ndarray) -> np.ndarray:
        """Destination codes; the placement factor of a client's segment scales
        the chance of a job, the other routes share what is left pro rata."""
        names = list(stage.routes)
        base = np.array([stage.routes[name] for name in names])
        codes = np.array([_DESTINATION_CODES.get(name, self.stage_index.get(name)) for name in names])
        if "job" not in names or self.no_placement_factors:
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


def drawn_for(scenario: Scenario, seed: int, replication: int) -> Scenario:
    """The scenario as replication ``replication`` sees it when the uncertain
    parameters are drawn per replication: one uniform each from the
    replication's own ``uncertain`` stream, so the draw does not depend on
    the worker or the chunk, and two scenarios with the same uncertain
    section draw the same quantiles."""
    quantiles = RandomStreams(seed, replication).uniforms("uncertain", len(scenario.uncertain))
    values = values_at(scenario, quantiles[None, :])[0]
    return with_uncertain_values(scenario, dict(zip(scenario.uncertain, values.tolist())))
