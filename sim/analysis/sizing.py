"""Sizing: the smallest value of a field (places, intake, participants...)
at which a target is reached with a stated certainty.

The chance of reaching the target is taken to grow with the field. A
bisection over whole values finds the smallest value whose chance is at
least the confidence asked for. Each value probed gets replications in
rounds, doubling, only until the 95 % interval of its chance lies on one
side of the confidence (or a maximum is reached), so replications go where
the answer is decided rather than to a full grid. All values run on the same
random numbers, and further rounds continue the replication numbers, so
every probe is a comparison of like with like.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from sim.analysis.sweep import Varied, scenario_at
from sim.errors import Problem, ScenarioError
from sim.measure.statistics import TargetChance, target_chance
from sim.run.runner import run
from sim.scenario.edit import with_changes
from sim.scenario.schema import Scenario


@dataclass
class Probe:
    value: int
    chance: TargetChance | None
    outcomes: list[pd.DataFrame] = field(default_factory=list)  # per round, the outcome tables

    @property
    def replications(self) -> int:
        return sum(len(table) for table in self.outcomes)

    def mean(self, outcome: str) -> float:
        return float(pd.concat(self.outcomes)[outcome].mean())

    def reaches(self, confidence: float) -> bool:
        """Reaches the confidence by its estimate (decided or not)."""
        return self.chance.probability >= confidence

    def decided(self, confidence: float) -> bool:
        """Its 95 % interval lies wholly on one side of the confidence."""
        return self.chance.low >= confidence or self.chance.high < confidence


@dataclass(frozen=True)
class SizingResult:
    path: str
    target: tuple[str, float]
    confidence: float
    low: int
    high: int
    answer: int | None          # smallest value reaching the target with the confidence; None: not in range
    probes: dict[int, Probe]
    minimised: tuple[str, int] | None = None  # (outcome, value) chosen by --minimise
    by_month: float | None = None             # the target counted by this month, else by the horizon
    # Where the replication cap left the answer open: the smallest value that
    # may already reach the target and the smallest that surely does (None:
    # none in the range surely does). None when the answer is decided.
    undecided: tuple[int, int | None] | None = None
    max_replications: int = 0

    def neighbourhood(self) -> list[Probe]:
        """The probes at the answer and next to it, where the answer is decided."""
        if self.answer is None:
            return [self.probes[self.high]]
        return [self.probes[v] for v in (self.answer - 1, self.answer, self.answer + 1) if v in self.probes]


def size(base: Scenario, varied: Varied, target: tuple[str, float], confidence: float, seed: int,
         by_month: float | None = None, start_replications: int = 200, max_replications: int = 6400,
         workers: int | None = None, minimise: str | None = None,
         on_probe: Callable[[Probe], None] | None = None) -> SizingResult:
    if by_month is not None:  # the target counts what has happened by that month
        base = with_changes(base, {"horizon_months": float(by_month)}, f"--by-month {by_month:g}")
    low, high = int(varied.low), int(varied.high)
    probes: dict[int, Probe] = {}
    outcome, level = target

    def probe(value: int) -> Probe:
        found = probes.get(value)
        if found is None:
            found = probes[value] = Probe(value, None)
        scenario = scenario_at(base, {varied.path: value}, [varied])
        done = found.replications
        while True:
            decided = found.chance is not None and (found.chance.low >= confidence or found.chance.high < confidence)
            if decided or done >= max_replications:
                break
            more = start_replications if done == 0 else min(done, max_replications - done)
            found.outcomes.append(run(scenario, more, seed=seed, workers=workers, first_replication=done).outcomes)
            done += more
            values = pd.concat(found.outcomes)[outcome].to_numpy()
            found.chance = target_chance(values, outcome, level)
        if on_probe is not None:
            on_probe(found)
        return found

    def reaches(value: int) -> bool:
        return probe(value).reaches(confidence)

    reaches_high = reaches(high)
    if not reaches_high:
        _refuse_without_effect(probe(low), probe(high), varied.path, outcome)
        answer = None
    elif reaches(low):
        answer = low
    else:
        failing, passing = low, high
        while passing - failing > 1:
            middle = (failing + passing) // 2
            if reaches(middle):
                passing = middle
            else:
                failing = middle
        answer = passing
    if answer is not None:
        for neighbour in (answer - 1, answer + 1):
            if low <= neighbour <= high:
                probe(neighbour)
    minimised = None
    if minimise is not None and answer is not None:
        # Among values reaching the target, the one with the lowest mean of
        # the outcome: probe up to 12 values spread over [answer, high].
        step = max(1, (high - answer) // 11)
        candidates = [v for v in range(answer, high + 1, step) if reaches(v)]
        best = min(candidates, key=lambda v: probes[v].mean(minimise))
        minimised = (minimise, best)
    return SizingResult(varied.path, target, confidence, low, high, answer, probes, minimised, by_month,
                        _undecided(probes, answer, confidence), max_replications)


def _refuse_without_effect(at_low: Probe, at_high: Probe, path: str, outcome: str) -> None:
    """The target is not reached, and the same replications give the same
    outcome at both ends of the range: the field does not move the target,
    and "not reached" would suggest that more of it might help. (Where the
    target is reached at the low end, that is the answer, moving or not.)"""
    low_values, high_values = at_low.outcomes[0][outcome].to_numpy(), at_high.outcomes[0][outcome].to_numpy()
    if len(low_values) == len(high_values) and (low_values == high_values).all():
        raise ScenarioError([Problem(f"--vary {path}={at_low.value}:{at_high.value}", None, None, "",
                                     f"{path} has no effect on {outcome}: each of {len(low_values)} replications "
                                     f"gives the same {outcome} at {at_low.value} and at {at_high.value}; size a "
                                     "field that moves the target")])


def _undecided(probes: dict[int, Probe], answer: int | None, confidence: float) -> tuple[int, int | None] | None:
    """The values between the largest that surely fails and the smallest that
    surely reaches, when the answer lies between them undecided."""
    if answer is None:
        return None
    below = [v for v in probes if v < answer]
    if probes[answer].decided(confidence) and (not below or probes[max(below)].decided(confidence)):
        return None
    failing = [v for v, p in probes.items() if v < answer and p.decided(confidence) and not p.reaches(confidence)]
    passing = [v for v, p in probes.items() if v >= answer and p.decided(confidence) and p.reaches(confidence)]
    return (max(failing) + 1 if failing else min(probes)), (min(passing) if passing else None)


def probes_table(result: SizingResult) -> pd.DataFrame:
    rows = []
    for value in sorted(result.probes):
        probe = result.probes[value]
        outcomes = pd.concat(probe.outcomes)
        rows.append({"value": value, "replications": probe.replications, "chance": probe.chance.probability,
                     "chance_low": probe.chance.low, "chance_high": probe.chance.high,
                     "reaches": probe.chance.probability >= result.confidence,
                     **{f"mean_{name}": outcomes[name].mean() for name in
                        ("placed", "mean_wait_months", "waiting_at_horizon", "total_costs", "npv")
                        if name in outcomes}})
    return pd.DataFrame(rows)


