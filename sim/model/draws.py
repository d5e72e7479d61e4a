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

from sim.model.streams import RandomStreams, chunk_of_streams
from sim.scenario.edit import with_uncertain_values
from sim.scenario.schema import Scenario, Stage
from sim.scenario.uncertain import values_at

# The columns of the per-client random blocks (see sim.model.streams). Append new
# kinds at the end: the order fixes which uniform each kind gets.
CLIENT_DRAWS = ("segment", "intake", "patience", "job_type", "job_loss")
STAGE_DRAWS = ("duration", "dropout", "dropout_time", "route")


@dataclass(frozen=True)
class VisitNumbers:
    """For one stage and one visit number, each person's numbers: how long
    the stay would last, and the uniforms that decide whether they drop out,
    when, and where they go next. What they decide is the model's business
    (both engines apply the same rules)."""

    duration: np.ndarray
    dropout: np.ndarray              # uniform: compared with the chance of dropping out
    dropout_time: np.ndarray         # uniform: the share of the stay done before dropping out
    dropout_exponential: np.ndarray  # -log(1 - dropout): a unit exponential, for a dropout hazard
    route: np.ndarray                # uniform: where the route leads


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
        self.streams = chunk_of_streams(seed, first, stop, (
            "referral_gaps", "client", "own_job", "other_outflow", *(f"stage:{name}:0" for name in scenario.stages)))
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
        self.dropout_factor = np.array([s.dropout_factor for s in segments])[self.segment]
        self.accepted = (client["intake"] < scenario.referrals.acceptance).tolist()
        patience = scenario.referrals.patience
        self.patience = patience.ppf(client["patience"]).tolist() if patience is not None else None

        employment = scenario.employment
        part_time_factor = np.array([s.part_time_factor for s in segments])[self.segment]
        #: Would work part-time in any job they get (one draw, whichever way the job is found).
        self.part_time = client["job_type"] < np.minimum(employment.part_time_share * part_time_factor, 1.0)
        #: A unit exponential: the job is lost once the hazard of losing it adds up to this.
        self.job_loss_exponential = -np.log1p(-client["job_loss"])
        hazard = employment.job_loss_hazard_per_month
        if hazard > 0:
            with np.errstate(over="ignore"):  # a tiny hazard: the job outlasts any horizon
                self.job_length = self.job_loss_exponential / hazard
        else:
            self.job_length = np.full(len(self.referral_time), np.inf)

        # The own chance of finding work: found once the hazard a person has
        # been exposed to reaches this unit exponential draw (see sim.model.engine).
        own_hazard = scenario.without_programme.own_job_hazard_per_month
        if own_hazard > 0:
            uniforms = np.concatenate([
                streams.uniforms("own_job", self.people(position)) for position, streams in enumerate(self.streams)
            ])
            self.own_chance = -np.log1p(-uniforms)
        else:
            self.own_chance = np.full(len(self.referral_time), np.inf)
        self.own_chances = self.own_chance.tolist()
        #: Without the programme: the same draw at the full rate from referral (common random numbers).
        self.own_job_without_programme = (self.referral_time + self.own_chance / own_hazard if own_hazard > 0
                                          else self.own_chance.copy())

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
        # Nearly everyone's first visit to a stage is drawn anyway; later
        # visits (loops) are drawn per replication when someone makes one.
        self.first_visits = [self._visit_numbers(stage, self._per_client(f"stage:{name}:0", STAGE_DRAWS))
                             for name, stage in zip(self.stage_names, self.stages)]

    def people(self, position: int) -> int:
        """How many candidates the replication at ``position`` in the chunk has."""
        return int(self.offsets[position + 1] - self.offsets[position])

    def visit_numbers(self, position: int, stage: int, visit_number: int) -> VisitNumbers:
        """The numbers of the replication at ``position`` for visit
        ``visit_number`` of ``stage``, indexed by its own client numbers."""
        start, stop = self.offsets[position], self.offsets[position + 1]
        if visit_number == 0:
            chunk = self.first_visits[stage]
            return VisitNumbers(*(values[start:stop] for values in vars(chunk).values()))
        name = self.stage_names[stage]
        uniforms = self.streams[position].per_client(f"stage:{name}:{visit_number}", STAGE_DRAWS, stop - start)
        return self._visit_numbers(self.stages[stage], uniforms)

    def _per_client(self, name: str, kinds: tuple[str, ...]) -> dict[str, np.ndarray]:
        blocks = [streams.per_client(name, kinds, self.people(position))
                  for position, streams in enumerate(self.streams)]
        return {kind: np.concatenate([block[kind] for block in blocks]) for kind in kinds}

    @staticmethod
    def _visit_numbers(stage: Stage, uniforms: dict[str, np.ndarray]) -> VisitNumbers:
        dropout = uniforms["dropout"]
        return VisitNumbers(
            duration=stage.duration.ppf(uniforms["duration"]),
            dropout=dropout,
            dropout_time=uniforms["dropout_time"],
            dropout_exponential=-np.log1p(-dropout),
            route=uniforms["route"],
        )


def drawn_for(scenario: Scenario, seed: int, replication: int) -> Scenario:
    """The scenario as replication ``replication`` sees it when the uncertain
    parameters are drawn per replication: one uniform each from the
    replication's own ``uncertain`` stream, so the draw does not depend on
    the worker or the chunk, and two scenarios with the same uncertain
    section draw the same quantiles."""
    quantiles = RandomStreams(seed, replication).uniforms("uncertain", len(scenario.uncertain))
    values = values_at(scenario, quantiles[None, :])[0]
    return with_uncertain_values(scenario, dict(zip(scenario.uncertain, values.tolist())))
